//! SQLite without a thread hop per statement.
//!
//! sqlx's SQLite driver runs each connection on a thread of its own and hands every
//! statement over to it and the result back: two context switches per statement, which
//! measured as most of the server's CPU per message. SQLite is an in-process library whose
//! statements take microseconds, so here they run on the calling thread (rusqlite), behind
//! sea-orm's `ConnectionTrait`: the engine's queries are the same for SQLite and PostgreSQL.
//!
//! - One writer connection behind an async mutex: a write transaction holds it from `BEGIN
//!   IMMEDIATE` to `COMMIT` (or rollback on drop); writers queue on the mutex, never in
//!   SQLite's busy handler.
//! - A few read-only connections, each statement on whichever is free (WAL: readers never
//!   wait for the writer).
//! - A checkpointer thread with its own connection copies the WAL into the database once a
//!   second (passive: it never blocks the writer), instead of SQLite doing it inside every
//!   thousandth commit, while the writer waits. Pages written many times in that second are
//!   copied once.
//!
//! Values are bound as sqlx binds them (uuid as its 16 bytes, bool as 0/1), so a database
//! written by either driver reads the same. Rows come back typed by SQLite's storage class,
//! with two rules sea-orm needs: a column declared `boolean` is a bool, and sea-orm's count
//! (`num_items`) is an `i32`. Every other integer is an `i64`, so entities use `i64`. A row
//! is sea-orm's `ProxyRow`, which indexes its columns in the order of their names: read rows
//! of several columns by name (a `FromQueryResult` struct), never into a tuple.

use sea_orm::sea_query::Value;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, ExecResult, ProxyExecResult, ProxyRow, QueryResult,
    RuntimeErr, Statement,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Statements kept prepared per connection.
const STATEMENT_CACHE: usize = 256;
const READERS: usize = 4;
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// A WAL that grew beyond this in a burst is cut back to it when it starts over.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// The prefix of a unique-constraint error (see `store::is_unique_violation`).
pub(crate) const UNIQUE_VIOLATION: &str = "sqlite unique violation:";

fn err(e: rusqlite::Error) -> DbErr {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        {
            return DbErr::Exec(RuntimeErr::Internal(format!(
                "{UNIQUE_VIOLATION} {}",
                msg.as_deref().unwrap_or("")
            )));
        }
    }
    DbErr::Exec(RuntimeErr::Internal(format!("sqlite: {e}")))
}

fn open(path: &Path, read_only: bool) -> Result<rusqlite::Connection, DbErr> {
    use rusqlite::OpenFlags;
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    };
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;").map_err(err)?;
    } else {
        // WAL was set when the database was created; these are per connection.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(err)?;
    }
    Ok(conn)
}

/// Runs a transaction-control statement, kept prepared: four of them run per message, and
/// `execute_batch` would parse each one anew.
fn control(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(|_| ())
}

/// A connection, shareable between threads (`rusqlite::Connection` is `Send` only); the
/// inner lock is never contended: the async one, or the pool's choice, comes first.
type Shared = Mutex<rusqlite::Connection>;

fn lock<T>(c: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    c.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The writer's connection, and the physical transaction its members share.
struct WriterState {
    conn: rusqlite::Connection,
    /// Open while a group's members run (`BEGIN IMMEDIATE` done, `COMMIT` to come).
    group: Option<Arc<Group>>,
    members: usize,
}

/// Transactions committed together: each member's work is a savepoint inside one SQLite
/// transaction, and each member learns the one outcome.
struct Group {
    done: tokio::sync::watch::Sender<Option<Result<(), String>>>,
}

type Locked = OwnedMutexGuard<Mutex<WriterState>>;

/// The writer: one connection, one transaction at a time, committed in groups. A member that
/// finishes while others wait for the connection leaves the commit to the last of them (up
/// to `GROUP_MAX` members), then waits for it: pages that every member touched (the log's
/// tail, hot index pages) go to the WAL once per group instead of once per member.
#[derive(Clone)]
pub struct Writer {
    state: Arc<AsyncMutex<Mutex<WriterState>>>,
    waiting: Arc<AtomicUsize>,
    /// Groups committed (or failed) so far.
    groups: Arc<AtomicUsize>,
    /// Groups whose commit failed (everything their members did is gone): what remembers the
    /// writer's view (the engine's conversation states) forgets it when this changes.
    rollbacks: Arc<AtomicU64>,
}

const GROUP_MAX: usize = 32;
/// How long a member waits for the group's commit before doing it itself (a waiter that
/// gave up leaves nobody to commit).
const GROUP_WAIT: Duration = Duration::from_millis(20);

/// Counts a task waiting for the writer until it has it (or gives up).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Writer {
    pub fn open(path: &Path) -> Result<Writer, DbErr> {
        let conn = open(path, false)?;
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
        ))
        .map_err(err)?;
        let state = Arc::new(AsyncMutex::new(Mutex::new(WriterState {
            conn,
            group: None,
            members: 0,
        })));
        let checkpoints = open(path, false)?;
        let writer = Arc::downgrade(&state);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Ends within a period of the writer's end.
                loop {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    let Some(state) = writer.upgrade() else { break };
                    checkpoint(&checkpoints, &state);
                }
            })
            .map_err(|e| DbErr::Custom(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Writer {
            state,
            waiting: Arc::new(AtomicUsize::new(0)),
            groups: Arc::new(AtomicUsize::new(0)),
            rollbacks: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn lock(&self) -> Locked {
        let _waiting = Waiting::new(&self.waiting);
        self.state.clone().lock_owned().await
    }

    /// Begins a write transaction, waiting for the one before it to end.
    pub async fn begin(&self) -> Result<LiteTx, DbErr> {
        let guard = self.lock().await;
        let group = {
            let mut st = lock(&guard);
            let group = match &st.group {
                Some(g) => g.clone(),
                None => {
                    control(&st.conn, "BEGIN IMMEDIATE").map_err(err)?;
                    let g = Arc::new(Group {
                        done: tokio::sync::watch::channel(None).0,
                    });
                    st.group = Some(g.clone());
                    g
                }
            };
            st.members += 1;
            if let Err(e) = control(&st.conn, "SAVEPOINT member") {
                self.settle(&mut st);
                return Err(err(e));
            }
            group
        };
        Ok(LiteTx {
            guard: Some(guard),
            group,
            writer: self.clone(),
        })
    }

    /// A member is done: commit the group, unless others wait to join it. Returns the
    /// outcome when this member committed it.
    fn settle(&self, st: &mut WriterState) -> Option<Result<(), String>> {
        if self.waiting.load(Ordering::SeqCst) > 0 && st.members < GROUP_MAX {
            return None;
        }
        Some(self.commit_group(st))
    }

    fn commit_group(&self, st: &mut WriterState) -> Result<(), String> {
        self.groups.fetch_add(1, Ordering::SeqCst);
        let outcome = control(&st.conn, "COMMIT").map_err(|e| e.to_string());
        if outcome.is_err() {
            self.rollbacks.fetch_add(1, Ordering::SeqCst);
            if !st.conn.is_autocommit() {
                // Whatever SQLite left open must not leak into the next group.
                let _ = st.conn.execute_batch("ROLLBACK");
            }
        }
        st.members = 0;
        if let Some(g) = st.group.take() {
            g.done.send_replace(Some(outcome.clone()));
        }
        outcome
    }

    /// Waits for the commit of a group this member left open; commits it itself if nobody
    /// has within `GROUP_WAIT`.
    async fn wait_for(&self, group: &Arc<Group>) -> Result<(), String> {
        let mut done = group.done.subscribe();
        loop {
            if let Ok(Ok(outcome)) =
                tokio::time::timeout(GROUP_WAIT, done.wait_for(Option::is_some)).await
            {
                return outcome.clone().unwrap_or(Ok(()));
            }
            let guard = self.lock().await;
            let mut st = lock(&guard);
            // Holding the connection, no member is mid-way: whoever is open has finished.
            if st.group.as_ref().is_some_and(|g| Arc::ptr_eq(g, group)) {
                return self.commit_group(&mut st);
            }
        }
    }
}

/// Copies the WAL into the database, in two passes. The first copies what is there while
/// writers go on. SQLite starts the WAL over from its beginning only when a write transaction
/// begins with every frame copied, which under steady writes (a commit every millisecond) never
/// happens by chance: the WAL would grow without bound, and every commit would append to a new
/// part of the file. So the second pass copies the few frames committed meanwhile with the
/// writer held (when no group is open), and the next write transaction starts the WAL over.
fn checkpoint(conn: &rusqlite::Connection, writer: &AsyncMutex<Mutex<WriterState>>) {
    let pass = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    if let Err(e) = pass() {
        tracing::warn!(error = %e, "WAL checkpoint failed; will try again");
        return;
    }
    let held = writer.blocking_lock();
    if lock(&held).group.is_none() {
        if let Err(e) = pass() {
            tracing::warn!(error = %e, "WAL checkpoint failed; will try again");
        }
    }
}

/// Read-only connections.
pub struct Readers {
    conns: Vec<Shared>,
}

impl Readers {
    pub fn open(path: &Path) -> Result<Readers, DbErr> {
        Ok(Readers {
            conns: (0..READERS)
                .map(|_| open(path, true).map(Mutex::new))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Runs `f` on a free connection (statements are short and never held across an await).
    fn with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        for c in &self.conns {
            if let Ok(conn) = c.try_lock() {
                return f(&conn);
            }
        }
        f(&lock(&self.conns[0]))
    }
}

/// A write transaction (a member of a group). Dropped without `commit`, it rolls back its own
/// work only.
pub struct LiteTx {
    guard: Option<Locked>,
    group: Arc<Group>,
    writer: Writer,
}

impl LiteTx {
    fn conn(&self) -> Result<ConnGuard<'_>, DbErr> {
        self.guard
            .as_deref()
            .map(|m| ConnGuard(lock(m)))
            .ok_or_else(|| DbErr::Custom("transaction already ended".into()))
    }

    /// Group commits that failed so far on this writer (see `Writer::rollbacks`).
    pub fn rollbacks(&self) -> u64 {
        self.writer.rollbacks.load(Ordering::SeqCst)
    }

    /// Returns once the work is durable (or certainly not committed).
    pub async fn commit(self) -> Result<(), DbErr> {
        self.commit_then(|| {}).await
    }

    /// As `commit`; `released` runs once this member's work is part of the writer's
    /// transaction, before the next member can start (what the next member will read).
    pub async fn commit_then(mut self, released: impl FnOnce()) -> Result<(), DbErr> {
        let guard = self
            .guard
            .take()
            .ok_or_else(|| DbErr::Custom("transaction already ended".into()))?;
        let settled = {
            let mut st = lock(&guard);
            if let Err(e) = control(&st.conn, "RELEASE member") {
                undo_member(&st.conn);
                self.writer.settle(&mut st);
                return Err(err(e));
            }
            released();
            self.writer.settle(&mut st)
        };
        drop(guard);
        let outcome = match settled {
            Some(outcome) => outcome,
            None => self.writer.wait_for(&self.group).await,
        };
        outcome.map_err(|e| DbErr::Custom(format!("sqlite commit: {e}")))
    }
}

/// Rolls back one member's work, keeping the group's.
fn undo_member(conn: &rusqlite::Connection) {
    if !conn.is_autocommit() {
        if let Err(e) = conn.execute_batch("ROLLBACK TO member; RELEASE member") {
            tracing::error!(error = %e, "rollback failed");
        }
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            let mut st = lock(&guard);
            undo_member(&st.conn);
            self.writer.settle(&mut st);
        }
    }
}

/// The connection of a transaction, for the statements it runs.
struct ConnGuard<'a>(std::sync::MutexGuard<'a, WriterState>);

impl std::ops::Deref for ConnGuard<'_> {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.0.conn
    }
}

struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as V, ValueRef};
        fn int<T: Into<i64> + Copy>(v: &Option<T>) -> ToSqlOutput<'static> {
            ToSqlOutput::Owned(v.map(|x| V::Integer(x.into())).unwrap_or(V::Null))
        }
        Ok(match self.0 {
            Value::Bool(v) => {
                ToSqlOutput::Owned(v.map(|b| V::Integer(b as i64)).unwrap_or(V::Null))
            }
            Value::TinyInt(v) => int(v),
            Value::SmallInt(v) => int(v),
            Value::Int(v) => int(v),
            Value::BigInt(v) => int(v),
            Value::TinyUnsigned(v) => int(v),
            Value::SmallUnsigned(v) => int(v),
            Value::Unsigned(v) => int(v),
            Value::BigUnsigned(v) => match v {
                Some(x) => ToSqlOutput::Owned(V::Integer(
                    i64::try_from(*x)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                )),
                None => ToSqlOutput::Owned(V::Null),
            },
            Value::Float(v) => ToSqlOutput::Owned(v.map(|x| V::Real(x as f64)).unwrap_or(V::Null)),
            Value::Double(v) => ToSqlOutput::Owned(v.map(V::Real).unwrap_or(V::Null)),
            Value::String(v) => v
                .as_deref()
                .map(|s| ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())))
                .unwrap_or(ToSqlOutput::Owned(V::Null)),
            Value::Char(v) => {
                ToSqlOutput::Owned(v.map(|c| V::Text(c.to_string())).unwrap_or(V::Null))
            }
            Value::Bytes(v) => v
                .as_deref()
                .map(|b| ToSqlOutput::Borrowed(ValueRef::Blob(b)))
                .unwrap_or(ToSqlOutput::Owned(V::Null)),
            Value::Uuid(v) => v
                .as_deref()
                .map(|u| ToSqlOutput::Borrowed(ValueRef::Blob(u.as_bytes())))
                .unwrap_or(ToSqlOutput::Owned(V::Null)),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("no SQLite binding for {other:?}").into(),
                ));
            }
        })
    }
}

fn prepare<'c>(
    conn: &'c rusqlite::Connection,
    stmt: &Statement,
) -> Result<rusqlite::CachedStatement<'c>, DbErr> {
    let mut s = conn.prepare_cached(&stmt.sql).map_err(err)?;
    if let Some(values) = &stmt.values {
        for (i, v) in values.0.iter().enumerate() {
            s.raw_bind_parameter(i + 1, Bind(v)).map_err(err)?;
        }
    }
    Ok(s)
}

fn exec(conn: &rusqlite::Connection, stmt: &Statement) -> Result<ExecResult, DbErr> {
    let mut s = prepare(conn, stmt)?;
    let mut rows = s.raw_query();
    while rows.next().map_err(err)?.is_some() {}
    drop(rows);
    Ok(ProxyExecResult::new(conn.last_insert_rowid() as u64, conn.changes()).into())
}

fn exec_unprepared(conn: &rusqlite::Connection, sql: &str) -> Result<ExecResult, DbErr> {
    exec(conn, &Statement::from_string(DbBackend::Sqlite, sql))
}

fn query(
    conn: &rusqlite::Connection,
    stmt: &Statement,
    limit: Option<usize>,
) -> Result<Vec<QueryResult>, DbErr> {
    let mut s = prepare(conn, stmt)?;
    let columns: Vec<(String, bool)> = s
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                c.decl_type()
                    .is_some_and(|t| t.eq_ignore_ascii_case("boolean")),
            )
        })
        .collect();
    let mut rows = s.raw_query();
    let mut out = vec![];
    while let Some(row) = rows.next().map_err(err)? {
        let mut values = BTreeMap::new();
        for (i, (name, boolean)) in columns.iter().enumerate() {
            values.insert(
                name.clone(),
                value_of(row.get_ref(i).map_err(err)?, name, *boolean),
            );
        }
        out.push(QueryResult::from(ProxyRow::new(values)));
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok(out)
}

fn value_of(v: rusqlite::types::ValueRef<'_>, column: &str, boolean: bool) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        // A NULL fits any `Option` field: the variant does not matter.
        ValueRef::Null => Value::BigInt(None),
        ValueRef::Integer(i) if boolean => Value::Bool(Some(i != 0)),
        // sea-orm's paginator reads its count as i32 on SQLite.
        ValueRef::Integer(i) if column == "num_items" => Value::Int(Some(i as i32)),
        ValueRef::Integer(i) => Value::BigInt(Some(i)),
        ValueRef::Real(f) => Value::Double(Some(f)),
        ValueRef::Text(t) => Value::String(Some(Box::new(String::from_utf8_lossy(t).into_owned()))),
        // The schema stores no blobs but uuids (sqlx writes them as their 16 bytes).
        ValueRef::Blob(b) => match uuid::Uuid::from_slice(b) {
            Ok(u) => Value::Uuid(Some(Box::new(u))),
            Err(_) => Value::Bytes(Some(Box::new(b.to_vec()))),
        },
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for LiteTx {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }
    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        exec(&*self.conn()?, &stmt)
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        exec_unprepared(&*self.conn()?, sql)
    }
    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(query(&*self.conn()?, &stmt, Some(1))?.pop())
    }
    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        query(&*self.conn()?, &stmt, None)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Writer {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }
    // Outside a transaction: each statement is a transaction of its own.
    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let tx = self.begin().await?;
        let r = tx.execute(stmt).await?;
        tx.commit().await?;
        Ok(r)
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let tx = self.begin().await?;
        let r = tx.execute_unprepared(sql).await?;
        tx.commit().await?;
        Ok(r)
    }
    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let tx = self.begin().await?;
        let r = tx.query_one(stmt).await?;
        tx.commit().await?;
        Ok(r)
    }
    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let tx = self.begin().await?;
        let r = tx.query_all(stmt).await?;
        tx.commit().await?;
        Ok(r)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Readers {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }
    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.with(|c| exec(c, &stmt))
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.with(|c| exec_unprepared(c, sql))
    }
    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.with(|c| query(c, &stmt, Some(1)))?.pop())
    }
    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.with(|c| query(c, &stmt, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{FromQueryResult, PaginatorTrait};

    #[derive(Debug, PartialEq, FromQueryResult)]
    struct Row {
        id: uuid::Uuid,
        flag: bool,
        n: i64,
        note: Option<String>,
        other: Option<uuid::Uuid>,
    }

    fn db() -> (tempfile_dir::Dir, Writer, Readers) {
        let dir = tempfile_dir::Dir::new();
        let path = dir.path().join("t.db");
        let setup = rusqlite::Connection::open(&path).unwrap();
        setup
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id uuid_text NOT NULL PRIMARY KEY, flag boolean NOT NULL, \
                 n bigint NOT NULL, note text NULL, other uuid_text NULL);",
            )
            .unwrap();
        drop(setup);
        (
            dir,
            Writer::open(&path).unwrap(),
            Readers::open(&path).unwrap(),
        )
    }

    /// A temporary folder removed on drop (no extra crate for two tests).
    mod tempfile_dir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let p =
                    std::env::temp_dir().join(format!("sb-lite-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn insert(id: uuid::Uuid, flag: bool, n: i64, note: Option<&str>) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (id, flag, n, note, other) VALUES (?, ?, ?, ?, ?)",
            [
                id.into(),
                flag.into(),
                n.into(),
                note.map(str::to_string).into(),
                Option::<uuid::Uuid>::None.into(),
            ],
        )
    }

    /// The WAL header's checkpoint sequence number: how many times the WAL started over.
    fn wal_restarts(dir: &tempfile_dir::Dir) -> u32 {
        let header = std::fs::read(dir.path().join("t.db-wal")).unwrap();
        u32::from_be_bytes(header[12..16].try_into().unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_steady_writes_the_wal_starts_over_instead_of_growing() {
        let (dir, w, _r) = db();
        let started = std::time::Instant::now();
        let mut n = 0;
        // A commit about every millisecond for four checkpoint periods (bounded in time).
        while started.elapsed() < CHECKPOINT_EVERY * 4 {
            let tx = w.begin().await.unwrap();
            tx.execute(insert(
                uuid::Uuid::now_v7(),
                true,
                n,
                Some(&"x".repeat(2000)),
            ))
            .await
            .unwrap();
            tx.commit().await.unwrap();
            n += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            wal_restarts(&dir) >= 1,
            "the WAL never started over after {n} commits"
        );
    }

    #[tokio::test]
    async fn values_round_trip_with_their_types() {
        let (_dir, w, r) = db();
        let id = uuid::Uuid::now_v7();
        let tx = w.begin().await.unwrap();
        tx.execute(insert(id, true, i64::MAX, Some("ü")))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT * FROM t WHERE id = ?",
            [id.into()],
        );
        let row = Row::find_by_statement(stmt).one(&r).await.unwrap().unwrap();
        assert_eq!(
            row,
            Row {
                id,
                flag: true,
                n: i64::MAX,
                note: Some("ü".into()),
                other: None
            }
        );
        // As sqlx stores them: a uuid is its 16 bytes, a bool 0 or 1.
        let raw: (Vec<u8>, i64) = rusqlite::Connection::open(_dir.path().join("t.db"))
            .unwrap()
            .query_row("SELECT id, flag FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(raw, (id.as_bytes().to_vec(), 1));
    }

    #[tokio::test]
    async fn a_dropped_transaction_rolls_back_and_frees_the_writer() {
        let (_dir, w, r) = db();
        let tx = w.begin().await.unwrap();
        tx.execute(insert(uuid::Uuid::now_v7(), false, 1, None))
            .await
            .unwrap();
        drop(tx);
        let tx = w.begin().await.unwrap();
        tx.execute(insert(uuid::Uuid::now_v7(), false, 2, None))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let count = sea_orm::sea_query::Query::select()
            .expr(sea_orm::sea_query::Expr::cust("n"))
            .from(sea_orm::sea_query::Alias::new("t"))
            .to_owned();
        let rows = r.query_all(DbBackend::Sqlite.build(&count)).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].try_get::<i64>("", "n").unwrap(), 2);
    }

    #[tokio::test]
    async fn a_unique_violation_is_recognised_and_nothing_is_lost() {
        let (_dir, w, _r) = db();
        let id = uuid::Uuid::now_v7();
        w.execute(insert(id, false, 1, None)).await.unwrap();
        let e = w.execute(insert(id, false, 2, None)).await.unwrap_err();
        assert!(crate::store::is_unique_violation(&e), "{e}");
        // A read-only connection refuses writes.
        let (_d2, _w2, r2) = db();
        assert!(r2.execute(insert(id, false, 1, None)).await.is_err());
    }

    #[tokio::test]
    async fn the_checkpointer_moves_commits_into_the_database_file() {
        let (dir, w, _r) = db();
        let tx = w.begin().await.unwrap();
        for n in 0..50 {
            tx.execute(insert(uuid::Uuid::now_v7(), false, n, None))
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        // The database file alone (without its WAL) has the rows once a checkpoint ran.
        let copied = |name: &str| {
            let to = dir.path().join(name);
            std::fs::copy(dir.path().join("t.db"), &to).unwrap();
            rusqlite::Connection::open(&to)
                .unwrap()
                .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap()
        };
        // (Without the checkpointer, 50 rows would stay in the WAL: far below SQLite's own
        // threshold, which the writer turns off anyway.)
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while copied("after.db") != 50 {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_transactions_commit_in_groups_and_a_rollback_undoes_only_its_own() {
        let (_dir, w, r) = db();
        let tasks: Vec<_> = (0..64i64)
            .map(|n| {
                let w = w.clone();
                tokio::spawn(async move {
                    let tx = w.begin().await.unwrap();
                    tx.execute(insert(uuid::Uuid::now_v7(), false, n, None))
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                    if n % 5 == 0 {
                        drop(tx); // gives up: its row must not stay
                        return None;
                    }
                    tx.commit().await.unwrap();
                    Some(n)
                })
            })
            .collect();
        let mut committed = vec![];
        for t in tasks {
            committed.extend(t.await.unwrap());
        }
        // Every commit that returned is visible to a reader at once, and only those.
        let stmt = Statement::from_string(DbBackend::Sqlite, "SELECT n FROM t ORDER BY n");
        let rows = r.query_all(stmt).await.unwrap();
        let stored: Vec<i64> = rows
            .iter()
            .map(|row| row.try_get::<i64>("", "n").unwrap())
            .collect();
        committed.sort();
        assert_eq!(stored, committed);
        assert_eq!(stored.len(), 51);
        let groups = w.groups.load(Ordering::SeqCst);
        assert!(
            groups < 64,
            "members waiting for the writer joined a group: {groups} commits"
        );
    }

    #[tokio::test]
    async fn a_member_left_waiting_commits_the_group_itself() {
        let (_dir, w, r) = db();
        let first = w.begin().await.unwrap();
        first
            .execute(insert(uuid::Uuid::now_v7(), true, 1, None))
            .await
            .unwrap();
        // Someone seems to queue for the writer (and never comes): `first` leaves the commit
        // to them, then, after waiting, does it itself.
        w.waiting.fetch_add(1, Ordering::SeqCst);
        first.commit().await.unwrap();
        w.waiting.fetch_sub(1, Ordering::SeqCst);
        let rows = r
            .query_all(Statement::from_string(DbBackend::Sqlite, "SELECT n FROM t"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "committed and visible");
        assert_eq!(w.groups.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn counts_read_as_sea_orm_expects() {
        use crate::store::entities::account;
        use sea_orm::EntityTrait;
        let dir = tempfile_dir::Dir::new();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
        let db = crate::store::Db::connect(&url).await.unwrap();
        assert_eq!(account::Entity::find().count(&db.read).await.unwrap(), 0);
    }
}
