//! Persistence: connections, migrations, entities, and strict conversion between rows and
//! domain types. SQLite by default, PostgreSQL when the URL says so.
//!
//! SQLite allows one writer at a time; rather than let writers collide and sleep in the busy
//! handler, every write goes through one connection, and reads through read-only ones, all
//! running statements on the calling thread (`lite`). PostgreSQL uses one sqlx pool for both.

pub mod codec;
pub mod entities;
pub mod lite;
pub mod migration;
pub mod prebuilt;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, as the engine uses it.
#[derive(Clone)]
pub struct Db {
    /// Reads outside a write transaction.
    pub read: Conn,
    /// Every write transaction.
    pub write: Conn,
    pub backend: Backend,
    /// The sqlx pool on PostgreSQL (the bus listens on it).
    postgres: Option<DatabaseConnection>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// A connection (or pool) the engine's queries run on.
#[derive(Clone)]
pub enum Conn {
    Sea(DatabaseConnection),
    LiteRead(Arc<lite::Readers>),
    LiteWrite(Arc<lite::Writer>),
}

/// A write transaction.
pub enum TxConn {
    Sea(DatabaseTransaction),
    Lite(lite::LiteTx),
}

impl Conn {
    pub async fn begin(&self) -> Result<TxConn, DbErr> {
        match self {
            Conn::Sea(db) => Ok(TxConn::Sea(db.begin().await?)),
            Conn::LiteWrite(w) => Ok(TxConn::Lite(w.begin().await?)),
            Conn::LiteRead(_) => Err(DbErr::Custom(
                "a write transaction on the read connections".into(),
            )),
        }
    }
}

impl TxConn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.commit_then(|| {}).await
    }

    /// Commits; on SQLite `released` runs when the work joins the writer's transaction, before
    /// the next writer starts (see `lite::LiteTx::commit_then`), and on PostgreSQL never.
    pub async fn commit_then(self, released: impl FnOnce()) -> Result<(), DbErr> {
        match self {
            TxConn::Sea(t) => t.commit().await,
            TxConn::Lite(t) => t.commit_then(released).await,
        }
    }

    /// SQLite: the writer's count of failed group commits.
    pub fn writer_rollbacks(&self) -> Option<u64> {
        match self {
            TxConn::Sea(_) => None,
            TxConn::Lite(t) => Some(t.rollbacks()),
        }
    }
}

macro_rules! delegate_connection {
    ($ty:ty, $($variant:ident),+) => {
        #[async_trait::async_trait]
        impl ConnectionTrait for $ty {
            fn get_database_backend(&self) -> DbBackend {
                match self { $(Self::$variant(c) => c.get_database_backend()),+ }
            }
            async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                match self { $(Self::$variant(c) => c.execute(stmt).await),+ }
            }
            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                match self { $(Self::$variant(c) => c.execute_unprepared(sql).await),+ }
            }
            async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                match self { $(Self::$variant(c) => c.query_one(stmt).await),+ }
            }
            async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                match self { $(Self::$variant(c) => c.query_all(stmt).await),+ }
            }
        }
    };
}
delegate_connection!(Conn, Sea, LiteRead, LiteWrite);
delegate_connection!(TxConn, Sea, Lite);

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
            Ok(Db {
                read: Conn::Sea(db.clone()),
                write: Conn::Sea(db.clone()),
                backend: Backend::Postgres,
                postgres: Some(db),
            })
        } else {
            Err(DbErr::Custom(format!(
                "unsupported database URL {url:?}: use sqlite://… or postgres://…"
            )))
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Db, DbErr> {
        let path = sqlite_file_path(url).ok_or_else(|| {
            DbErr::Custom(format!(
                "{url:?}: an in-memory SQLite database is not supported, name a file"
            ))
        })?;
        if let Some(dir) = std::path::Path::new(&path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        // Created and migrated through sqlx (sea-orm's migrator), then served by `lite`.
        let mut opts = ConnectOptions::new(url.to_string());
        opts.max_connections(1)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        let setup = Database::connect(opts).await?;
        migration::Migrator::up(&setup, None).await?;
        setup.close().await?;
        let path = std::path::Path::new(&path);
        let write = Conn::LiteWrite(Arc::new(lite::Writer::open(path)?));
        let read = Conn::LiteRead(Arc::new(lite::Readers::open(path)?));
        Ok(Db {
            read,
            write,
            backend: Backend::Sqlite,
            postgres: None,
        })
    }

    /// The PostgreSQL pool (`None` on SQLite).
    pub fn postgres_pool(&self) -> Option<&sea_orm::sqlx::PgPool> {
        self.postgres
            .as_ref()
            .map(|db| db.get_postgres_connection_pool())
    }

    pub fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }
}

/// An id and a name, read by column name. Rows with several columns are read into named
/// structs like this one, never into tuples: SQLite rows (`lite`) index their columns in
/// the order of their names.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct Named {
    pub id: uuid::Uuid,
    pub name: String,
}

/// Locks the selected rows for the transaction on PostgreSQL. SQLite has one writer at a
/// time, which is the lock.
pub fn for_update<E: sea_orm::EntityTrait>(
    q: sea_orm::Select<E>,
    backend: Backend,
) -> sea_orm::Select<E> {
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
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| DbErr::Custom(format!("migration lock: {e}")))?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(KEY)
        .execute(&mut *conn)
        .await
        .map_err(|e| DbErr::Custom(format!("migration lock: {e}")))?;
    let migrated = migration::Migrator::up(db, None).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(KEY)
        .execute(&mut *conn)
        .await;
    migrated?;
    unlocked.map_err(|e| DbErr::Custom(format!("migration unlock: {e}")))?;
    Ok(())
}

fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Whether an error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) || matches!(err, DbErr::Exec(sea_orm::RuntimeErr::Internal(m)) if m.starts_with(lite::UNIQUE_VIOLATION))
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
        assert_eq!(
            sqlite_file_path("sqlite://data/switchboard.db?mode=rwc").as_deref(),
            Some("data/switchboard.db")
        );
        assert_eq!(sqlite_file_path("sqlite:x.db").as_deref(), Some("x.db"));
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
    }
}
