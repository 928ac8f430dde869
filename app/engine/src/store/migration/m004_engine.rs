//! The transactional engine: a conversation row holds its whole state (room members and
//! passes too), every change appends to `conversation_events` (and presence changes to
//! `agent_events`) in the same transaction, follow-up work goes to the `outbox`, and
//! `presence_leases` records which node holds which agent's sockets.

use crate::store::entities::{conversation_participant, conversation_pass};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryOrder};
use sea_orm_migration::prelude::*;
use std::collections::HashMap;

pub struct Engine;

impl MigrationName for Engine {
    fn name(&self) -> &str {
        "m004_engine"
    }
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Members,
    PassedBy,
    AssigneeId,
    OfferedTo,
    Status,
    AcceptedAt,
    Lead,
    QueuedAt,
    Id,
}

#[derive(DeriveIden)]
enum ConversationEvents {
    Table,
    Id,
    ConversationId,
    Revision,
    Kind,
    Payload,
    Placement,
    MovedFrom,
    CreatedAt,
    Tx,
}

#[derive(DeriveIden)]
enum AgentEvents {
    Table,
    Id,
    AccountId,
    Kind,
    Payload,
    CreatedAt,
    Tx,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    ConversationId,
    DedupeKey,
    DueAt,
    Attempts,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PresenceLeases {
    Table,
    NodeId,
    AccountId,
    Sockets,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ConversationPasses {
    Table,
    Active,
}

fn log_id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Engine {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let postgres = m.get_database_backend() == DbBackend::Postgres;
        for mut col in [
            ColumnDef::new(Conversations::Members)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
            ColumnDef::new(Conversations::PassedBy)
                .text()
                .not_null()
                .default("[]")
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        // A reopened conversation starts a new round: its earlier passes stay for reports
        // but no longer hide it from anyone's queue.
        m.alter_table(
            Table::alter()
                .table(ConversationPasses::Table)
                .add_column(
                    ColumnDef::new(ConversationPasses::Active)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .to_owned(),
        )
        .await?;
        backfill_room_state(m).await?;

        for (name, cols) in [
            (
                "idx_conversations_assignee",
                vec![Conversations::AssigneeId, Conversations::Status],
            ),
            (
                "idx_conversations_offered_to",
                vec![Conversations::OfferedTo, Conversations::Status],
            ),
            (
                "idx_conversations_accepted_at",
                vec![Conversations::AcceptedAt],
            ),
            (
                "idx_conversations_queue",
                vec![
                    Conversations::Status,
                    Conversations::Lead,
                    Conversations::QueuedAt,
                    Conversations::Id,
                ],
            ),
        ] {
            let mut idx = Index::create()
                .name(name)
                .table(Conversations::Table)
                .to_owned();
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }

        m.create_table(
            Table::create()
                .table(ConversationEvents::Table)
                .col(log_id(ConversationEvents::Id))
                .col(
                    ColumnDef::new(ConversationEvents::ConversationId)
                        .uuid()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationEvents::Revision)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ConversationEvents::Kind).string().not_null())
                .col(
                    ColumnDef::new(ConversationEvents::Payload)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationEvents::Placement)
                        .text()
                        .not_null(),
                )
                .col(ColumnDef::new(ConversationEvents::MovedFrom).text().null())
                .col(
                    ColumnDef::new(ConversationEvents::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                // PostgreSQL: the writing transaction's id (default set below), which lets a
                // reader take only what no running transaction can still add before.
                .col(
                    ColumnDef::new(ConversationEvents::Tx)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_conversation_events_revision")
                .table(ConversationEvents::Table)
                .col(ConversationEvents::ConversationId)
                .col(ConversationEvents::Revision)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversation_events_tx")
                .table(ConversationEvents::Table)
                .col(ConversationEvents::Tx)
                .col(ConversationEvents::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AgentEvents::Table)
                .col(log_id(AgentEvents::Id))
                .col(ColumnDef::new(AgentEvents::AccountId).uuid().not_null())
                .col(ColumnDef::new(AgentEvents::Kind).string().not_null())
                .col(ColumnDef::new(AgentEvents::Payload).text().not_null())
                .col(
                    ColumnDef::new(AgentEvents::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AgentEvents::Tx)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
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
        if postgres {
            let conn = m.get_connection();
            for table in ["conversation_events", "agent_events"] {
                conn.execute_unprepared(&format!(
                    "ALTER TABLE {table} ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint)"
                ))
                .await?;
            }
        }

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(log_id(Outbox::Id))
                .col(ColumnDef::new(Outbox::Kind).string().not_null())
                .col(ColumnDef::new(Outbox::ConversationId).uuid().null())
                // One pending row per job ("route:<id>", "drain_queue"): asking twice is once.
                .col(
                    ColumnDef::new(Outbox::DedupeKey)
                        .string()
                        .null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Outbox::DueAt).big_integer().not_null())
                .col(
                    ColumnDef::new(Outbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Outbox::LastError).text().null())
                .col(ColumnDef::new(Outbox::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_due")
                .table(Outbox::Table)
                .col(Outbox::DueAt)
                .col(Outbox::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PresenceLeases::Table)
                .col(ColumnDef::new(PresenceLeases::NodeId).uuid().not_null())
                .col(ColumnDef::new(PresenceLeases::AccountId).uuid().not_null())
                .col(ColumnDef::new(PresenceLeases::Sockets).integer().not_null())
                .col(
                    ColumnDef::new(PresenceLeases::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(PresenceLeases::NodeId)
                        .col(PresenceLeases::AccountId),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_presence_leases_account")
                .table(PresenceLeases::Table)
                .col(PresenceLeases::AccountId)
                .col(PresenceLeases::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_expires")
                .table(Sessions::Table)
                .col(Sessions::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PresenceLeases::Table.into_iden(),
            Outbox::Table.into_iden(),
            AgentEvents::Table.into_iden(),
            ConversationEvents::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(ConversationPasses::Table)
                .drop_column(ConversationPasses::Active)
                .to_owned(),
        )
        .await?;
        for c in [
            Conversations::Members.into_iden(),
            Conversations::PassedBy.into_iden(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

/// Copies room members and passes of existing conversations into their rows.
async fn backfill_room_state(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = m.get_connection();
    let mut members: HashMap<uuid::Uuid, Vec<serde_json::Value>> = HashMap::new();
    for p in conversation_participant::Entity::find()
        .order_by_asc(conversation_participant::Column::JoinedAt)
        .all(conn)
        .await?
    {
        members
            .entry(p.conversation_id)
            .or_default()
            .push(serde_json::json!({"agent": p.account_id, "role": p.role}));
    }
    let mut passes: HashMap<uuid::Uuid, Vec<uuid::Uuid>> = HashMap::new();
    for p in conversation_pass::Entity::find()
        .order_by_asc(conversation_pass::Column::At)
        .all(conn)
        .await?
    {
        let list = passes.entry(p.conversation_id).or_default();
        if !list.contains(&p.account_id) {
            list.push(p.account_id);
        }
    }
    let ids: std::collections::HashSet<uuid::Uuid> =
        members.keys().chain(passes.keys()).copied().collect();
    for id in ids {
        let stmt = Query::update()
            .table(Conversations::Table)
            .value(
                Conversations::Members,
                serde_json::Value::Array(members.remove(&id).unwrap_or_default()).to_string(),
            )
            .value(
                Conversations::PassedBy,
                serde_json::to_string(&passes.remove(&id).unwrap_or_default()).unwrap_or_default(),
            )
            .and_where(Expr::col(Conversations::Id).eq(id))
            .to_owned();
        conn.execute(m.get_database_backend().build(&stmt)).await?;
    }
    Ok(())
}
