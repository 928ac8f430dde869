//! "Mine" at scale: an agent's own chats in a big folder by keyset, without walking the folder.
//! - History (status `closed`) by assignee: a partial index `(assignee_id, lead,
//!   last_message_at, id) WHERE status = 'closed'`. Partial so that the message path does not
//!   pay for it: a message to an open chat changes `last_message_at`, which would move an
//!   entry of a full index on every message (SQLite) or add one per new row version
//!   (PostgreSQL); a chat enters this index once, when it closes, and leaves when it reopens.
//!   Engaged (offered, open) stays on `idx_conversations_assignee`: an agent has a handful.
//! - The room mirror by agent: `(account_id, role)` on `conversation_participants`, which had
//!   only its `(conversation_id, account_id)` key, so "the rooms I was invited to" read the
//!   whole table. Written when someone joins or leaves a room, never per message.

use sea_orm_migration::prelude::*;

pub struct MineIndexes;

impl MigrationName for MineIndexes {
    fn name(&self) -> &str {
        "m020_mine_indexes"
    }
}

#[derive(DeriveIden)]
enum ConversationParticipants {
    Table,
    AccountId,
    Role,
}

/// The same statement on both: sea-query writes no partial indexes. The status is a literal
/// here and in the query that uses it (a bound parameter cannot prove the index's condition).
const HISTORY_OF_UP: &str = "CREATE INDEX idx_conversations_history_of ON conversations \
     (assignee_id, lead, last_message_at, id) WHERE status = 'closed'";

#[async_trait::async_trait]
impl MigrationTrait for MineIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(HISTORY_OF_UP).await?;
        m.create_index(
            Index::create()
                .name("idx_conversation_participants_account")
                .table(ConversationParticipants::Table)
                .col(ConversationParticipants::AccountId)
                .col(ConversationParticipants::Role)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_conversation_participants_account")
                .table(ConversationParticipants::Table)
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("DROP INDEX idx_conversations_history_of")
            .await?;
        Ok(())
    }
}
