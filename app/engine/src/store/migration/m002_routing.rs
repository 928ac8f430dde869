//! Routing, presence and collaboration: agents' presence and capacity, conversations'
//! routing state and timers, who passed on a chat, who is in a room, and a presence log.

use sea_orm_migration::prelude::*;

pub struct Routing;

impl MigrationName for Routing {
    fn name(&self) -> &str {
        "migration_routing"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Presence,
    PresenceAuto,
    PresenceSince,
    Capacity,
    LastAssignedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    OfferedTo,
    Deadline,
    Missed,
    Lead,
    QueuedAt,
    AcceptedAt,
    FirstResponseAt,
    Status,
}

#[derive(DeriveIden)]
enum ConversationPasses {
    Table,
    Id,
    ConversationId,
    AccountId,
    Reason,
    At,
}

#[derive(DeriveIden)]
enum ConversationParticipants {
    Table,
    ConversationId,
    AccountId,
    Role,
    JoinedAt,
}

#[derive(DeriveIden)]
enum PresenceLog {
    Table,
    Id,
    AccountId,
    Presence,
    StartedAt,
    EndedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Routing {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let account_cols = [
            ColumnDef::new(Accounts::Presence)
                .string()
                .not_null()
                .default("offline")
                .to_owned(),
            ColumnDef::new(Accounts::PresenceAuto)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Accounts::PresenceSince)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Accounts::Capacity)
                .integer()
                .not_null()
                .default(3)
                .to_owned(),
            ColumnDef::new(Accounts::LastAssignedAt)
                .big_integer()
                .null()
                .to_owned(),
        ];
        for mut col in account_cols {
            m.alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        let conversation_cols = [
            ColumnDef::new(Conversations::OfferedTo)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(Conversations::Deadline)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Conversations::Missed)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Conversations::Lead)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Conversations::QueuedAt)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Conversations::AcceptedAt)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Conversations::FirstResponseAt)
                .big_integer()
                .null()
                .to_owned(),
        ];
        for mut col in conversation_cols {
            m.alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_conversations_deadline")
                .table(Conversations::Table)
                .col(Conversations::Status)
                .col(Conversations::Deadline)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ConversationPasses::Table)
                .col(
                    ColumnDef::new(ConversationPasses::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ConversationPasses::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationPasses::AccountId)
                        .uuid()
                        .not_null(),
                )
                // `missed` (the acceptance or queue timer ran out) or `declined`.
                .col(
                    ColumnDef::new(ConversationPasses::Reason)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationPasses::At)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_passes_conversation")
                .table(ConversationPasses::Table)
                .col(ConversationPasses::ConversationId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ConversationParticipants::Table)
                .col(
                    ColumnDef::new(ConversationParticipants::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationParticipants::AccountId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationParticipants::Role)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationParticipants::JoinedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ConversationParticipants::ConversationId)
                        .col(ConversationParticipants::AccountId),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PresenceLog::Table)
                .col(
                    ColumnDef::new(PresenceLog::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PresenceLog::AccountId).uuid().not_null())
                .col(ColumnDef::new(PresenceLog::Presence).string().not_null())
                .col(
                    ColumnDef::new(PresenceLog::StartedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(PresenceLog::EndedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_presence_log_account")
                .table(PresenceLog::Table)
                .col(PresenceLog::AccountId)
                .col(PresenceLog::StartedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PresenceLog::Table.into_iden(),
            ConversationParticipants::Table.into_iden(),
            ConversationPasses::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
