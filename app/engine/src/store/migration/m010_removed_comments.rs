//! A contact's comment an agent deleted from the post (the provider confirmed it). Empty and
//! unindexed for everything else.

use sea_orm_migration::prelude::*;

pub struct RemovedComments;

impl MigrationName for RemovedComments {
    fn name(&self) -> &str {
        "m010_removed_comments"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Removed,
}

#[async_trait::async_trait]
impl MigrationTrait for RemovedComments {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::Removed).boolean().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Messages::Removed)
                .to_owned(),
        )
        .await
    }
}
