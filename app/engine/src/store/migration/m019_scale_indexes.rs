//! Indexes for an inbox at scale (100,000 conversations in history, 10,000 waiting):
//! - folder listings page by keyset, `(last_message_at, id)` descending within a status and
//!   lead flag: `(status, lead, last_message_at, id)` replaces `(status, last_message_at)`
//!   (same number of index entries written per message, and ties on the time are ordered);
//! - (the queue, oldest first, has had `idx_conversations_queue` since `m004_engine`);
//! - the timer tick takes due timers by deadline alone: a partial index on the deadline of
//!   the conversations that have one replaces `(status, deadline)`, whose two status ranges
//!   had to be sorted together;
//! - contact search ("contains", case-insensitive) is answered by a trigram index: FTS5's
//!   trigram tokenizer over the contacts on SQLite (kept by triggers), `pg_trgm` on
//!   PostgreSQL (a trusted extension: the database's owner may create it).

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

pub struct ScaleIndexes;

impl MigrationName for ScaleIndexes {
    fn name(&self) -> &str {
        "m019_scale_indexes"
    }
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Status,
    Lead,
    LastMessageAt,
    Deadline,
    Id,
}

/// SQLite: the contacts' search index, an external-content FTS5 table over the contacts'
/// rows (by rowid), kept in step by triggers.
const SQLITE_SEARCH_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE contact_search USING fts5(name, email, phone, \
     content='contacts', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts BEGIN \
     INSERT INTO contact_search(rowid, name, email, phone) \
     VALUES (new.rowid, new.name, new.email, new.phone); END",
    "CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts BEGIN \
     INSERT INTO contact_search(contact_search, rowid, name, email, phone) \
     VALUES ('delete', old.rowid, old.name, old.email, old.phone); END",
    "CREATE TRIGGER contact_search_update AFTER UPDATE OF name, email, phone ON contacts BEGIN \
     INSERT INTO contact_search(contact_search, rowid, name, email, phone) \
     VALUES ('delete', old.rowid, old.name, old.email, old.phone); \
     INSERT INTO contact_search(rowid, name, email, phone) \
     VALUES (new.rowid, new.name, new.email, new.phone); END",
    "INSERT INTO contact_search(contact_search) VALUES ('rebuild')",
];

const SQLITE_SEARCH_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS contact_search_update",
    "DROP TRIGGER IF EXISTS contact_search_delete",
    "DROP TRIGGER IF EXISTS contact_search_insert",
    "DROP TABLE IF EXISTS contact_search",
];

/// PostgreSQL: trigram indexes on exactly the expressions the search compares.
const POSTGRES_SEARCH_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX idx_contacts_search_name ON contacts USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX idx_contacts_search_email ON contacts USING gin (lower(email) gin_trgm_ops)",
    "CREATE INDEX idx_contacts_search_phone ON contacts USING gin (phone gin_trgm_ops)",
];

const POSTGRES_SEARCH_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_contacts_search_phone",
    "DROP INDEX IF EXISTS idx_contacts_search_email",
    "DROP INDEX IF EXISTS idx_contacts_search_name",
];

/// The same statement on both: sea-query writes no partial indexes.
const DUE_UP: &str =
    "CREATE INDEX idx_conversations_due ON conversations (deadline) WHERE deadline IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for ScaleIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_conversations_status_recent")
                .table(Conversations::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversations_listing")
                .table(Conversations::Table)
                .col(Conversations::Status)
                .col(Conversations::Lead)
                .col(Conversations::LastMessageAt)
                .col(Conversations::Id)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_conversations_deadline")
                .table(Conversations::Table)
                .to_owned(),
        )
        .await?;
        let conn = m.get_connection();
        conn.execute_unprepared(DUE_UP).await?;
        let search = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_SEARCH_UP,
            _ => POSTGRES_SEARCH_UP,
        };
        for statement in search {
            conn.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        let search = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_SEARCH_DOWN,
            _ => POSTGRES_SEARCH_DOWN,
        };
        for statement in search {
            conn.execute_unprepared(statement).await?;
        }
        conn.execute_unprepared("DROP INDEX idx_conversations_due")
            .await?;
        m.create_index(
            Index::create()
                .name("idx_conversations_deadline")
                .table(Conversations::Table)
                .col(Conversations::Status)
                .col(Conversations::Deadline)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_conversations_listing")
                .table(Conversations::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversations_status_recent")
                .table(Conversations::Table)
                .col(Conversations::Status)
                .col(Conversations::LastMessageAt)
                .to_owned(),
        )
        .await
    }
}
