//! Persistence: connections, migrations, entities, and strict conversion between rows and
//! domain types. SQLite by default, PostgreSQL when the URL says so.
//!
//! SQLite allows one writer at a time; rather than let pooled writers collide and sleep in
//! the busy handler, every write goes through a pool of exactly one connection, and reads
//! through a read-only pool. PostgreSQL uses one pool for both.

pub mod codec;
pub mod entities;
pub mod migration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, as the engine uses it.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads outside a write transaction.
    pub read: DatabaseConnection,
    /// Every write transaction.
    pub write: DatabaseConnection,
    pub backend: Backend,
}

impl Db {
    /// Opens the database (creating an SQLite file and its folder if needed) and migrates it.
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut opts = ConnectOptions::new(url.to_string());
            opts.max_connections(20)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(10))
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .sqlx_logging(false);
            let db = Database::connect(opts).await?;
            migrate_postgres(&db).await?;
            Ok(Db { read: db.clone(), write: db, backend: Backend::Postgres })
        } else {
            Err(DbErr::Custom(format!("unsupported database URL {url:?}: use sqlite://… or postgres://…")))
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Db, DbErr> {
        if let Some(path) = sqlite_file_path(url) {
            if let Some(dir) = std::path::Path::new(&path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
                }
            }
        }
        let pool = |max: u32, read_only: bool| {
            let mut opts = ConnectOptions::new(url.to_string());
            opts.max_connections(max)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(10))
                // Writers queue here for the one connection instead of in SQLite's busy loop.
                .acquire_timeout(Duration::from_secs(30))
                .test_before_acquire(false)
                .sqlx_logging(false)
                .map_sqlx_sqlite_opts(move |o: SqliteConnectOptions| {
                    o.create_if_missing(!read_only)
                        .read_only(read_only)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(10))
                });
            opts
        };
        let write = Database::connect(pool(1, false)).await?;
        migration::Migrator::up(&write, None).await?;
        let read = Database::connect(pool(4, true)).await?;
        Ok(Db { read, write, backend: Backend::Sqlite })
    }

    pub fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }
}

/// Locks the selected rows for the transaction on PostgreSQL. SQLite has one writer at a
/// time, which is the lock.
pub fn for_update<E: sea_orm::EntityTrait>(q: sea_orm::Select<E>, backend: Backend) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    match backend {
        Backend::Postgres => q.lock_exclusive(),
        Backend::Sqlite => q,
    }
}

/// Several nodes may start at once: one migrates while the others wait (a session-level
/// advisory lock held on one connection), then find nothing left to do.
async fn migrate_postgres(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::sqlx;
    const KEY: i64 = 0x5357_4954_4348; // "SWITCH"
    let pool = db.get_postgres_connection_pool();
    let mut conn = pool.acquire().await.map_err(|e| DbErr::Custom(format!("migration lock: {e}")))?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(KEY).execute(&mut *conn).await.map_err(|e| DbErr::Custom(format!("migration lock: {e}")))?;
    let migrated = migration::Migrator::up(db, None).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(KEY).execute(&mut *conn).await;
    migrated?;
    unlocked.map_err(|e| DbErr::Custom(format!("migration unlock: {e}")))?;
    Ok(())
}

fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Whether an error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Whether an error is one a transaction can simply be tried again after (nothing was
/// committed): SQLite busy, PostgreSQL serialization failure or deadlock.
pub fn is_transient(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("database is locked")
        || text.contains("SQLITE_BUSY")
        || text.contains("could not serialize access")
        || text.contains("deadlock detected")
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file_path;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(sqlite_file_path("sqlite://data/switchboard.db?mode=rwc").as_deref(), Some("data/switchboard.db"));
        assert_eq!(sqlite_file_path("sqlite:x.db").as_deref(), Some("x.db"));
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
    }
}
