//! What a contact did to a message since (edited, deleted, a comment hidden): empty and
//! unindexed for everything else.

use sea_orm_migration::prelude::*;

pub struct ContactChanges;

impl MigrationName for ContactChanges {
    fn name(&self) -> &str {
        "m013_contact_changes"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Altered,
}

#[async_trait::async_trait]
impl MigrationTrait for ContactChanges {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::Altered).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Messages::Altered)
                .to_owned(),
        )
        .await
    }
}
