//! Fewer index pages written per message (each is a page in the WAL on SQLite):
//! - one unique index on `(client_msg_id, conversation_id)` serves both the per-conversation
//!   duplicate check and the look-up by client id alone, which had an index each;
//! - on SQLite the event logs' `tx` is always 0 (one writer: ids follow commits), so the
//!   `(tx, id)` index there only repeats the rowid's order.

use sea_orm_migration::prelude::*;

pub struct LeanIndexes;

impl MigrationName for LeanIndexes {
    fn name(&self) -> &str {
        "m006_lean_indexes"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ConversationId,
    ClientMsgId,
}

#[derive(DeriveIden)]
enum ConversationEvents {
    Table,
    Tx,
    Id,
}

#[derive(DeriveIden)]
enum AgentEvents {
    Table,
    Tx,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for LeanIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_messages_client_msg_id")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("uq_messages_client_msg_id")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
        // The name stays: a duplicate send is recognised by it.
        m.create_index(
            Index::create()
                .name("uq_messages_client_msg_id")
                .table(Messages::Table)
                .col(Messages::ClientMsgId)
                .col(Messages::ConversationId)
                .unique()
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            m.drop_index(
                Index::drop()
                    .name("idx_conversation_events_tx")
                    .table(ConversationEvents::Table)
                    .to_owned(),
            )
            .await?;
            m.drop_index(
                Index::drop()
                    .name("idx_agent_events_tx")
                    .table(AgentEvents::Table)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == sea_orm::DbBackend::Sqlite {
            m.create_index(
                Index::create()
                    .name("idx_conversation_events_tx")
                    .table(ConversationEvents::Table)
                    .col(ConversationEvents::Tx)
                    .col(ConversationEvents::Id)
                    .to_owned(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("idx_agent_events_tx")
                    .table(AgentEvents::Table)
                    .col(AgentEvents::Tx)
                    .col(AgentEvents::Id)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_index(
            Index::drop()
                .name("uq_messages_client_msg_id")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_messages_client_msg_id")
                .table(Messages::Table)
                .col(Messages::ConversationId)
                .col(Messages::ClientMsgId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_messages_client_msg_id")
                .table(Messages::Table)
                .col(Messages::ClientMsgId)
                .to_owned(),
        )
        .await
    }
}
