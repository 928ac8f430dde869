//! A revision per conversation, bumped by every change to it (messages, status, routing,
//! participants). Events are published after commit by whichever task made the change, so
//! two of them can reach a client out of order; the revision lets clients keep the newest.

use sea_orm_migration::prelude::*;

pub struct Revision;

impl MigrationName for Revision {
    fn name(&self) -> &str {
        "migration_revision"
    }
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Revision,
}

#[async_trait::async_trait]
impl MigrationTrait for Revision {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .add_column(
                    ColumnDef::new(Conversations::Revision)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .drop_column(Conversations::Revision)
                .to_owned(),
        )
        .await
    }
}
