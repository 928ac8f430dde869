//! The approved template an agent's message was sent as (WhatsApp outside its reply window),
//! as JSON: name, language and parameters. Empty and unindexed for everything else.

use sea_orm_migration::prelude::*;

pub struct Templates;

impl MigrationName for Templates {
    fn name(&self) -> &str {
        "m009_templates"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Template,
}

#[async_trait::async_trait]
impl MigrationTrait for Templates {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::Template).text().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Messages::Template)
                .to_owned(),
        )
        .await
    }
}
