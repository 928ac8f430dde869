//! Chat switch: the switch in progress on a conversation (or the last one, while it can be
//! reverted), as the domain's JSON. Empty for almost every conversation.

use sea_orm_migration::prelude::*;

pub struct Switch;

impl MigrationName for Switch {
    fn name(&self) -> &str {
        "m015_switch"
    }
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Switch,
}

#[async_trait::async_trait]
impl MigrationTrait for Switch {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .add_column(ColumnDef::new(Conversations::Switch).text().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .drop_column(Conversations::Switch)
                .to_owned(),
        )
        .await
    }
}
