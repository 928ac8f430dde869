//! tower-sessions records in our own database (through the engine), so agent sessions
//! survive a restart and work across nodes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use switchboard_engine::accounts::StoredSession;
use switchboard_engine::Engine;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Sessions end when unused for the idle time (tower-sessions' `OnInactivity` expiry) and
/// anyway a lifetime after sign-in: every record's expiry is capped at the sign-in time kept
/// in it ([`super::ssr::SESSION_SIGNED_IN_KEY`]) plus the lifetime. Expired records are
/// never loaded, so the cap holds for requests and for the sockets' periodic check alike.
///
/// Every request of a signed-in agent saves its session (that is what moves the idle end), but
/// a save that changes nothing and moves the end by less than [`DbSessionStore::slack_ms`] is
/// skipped: this node wrote nearly the same a moment ago, so a busy agent costs one write a
/// minute, not one per request.
#[derive(Clone)]
pub struct DbSessionStore {
    engine: Engine,
    lifetime_ms: i64,
    slack_ms: i64,
    /// What this node last wrote per session: its data and end.
    written: Arc<Mutex<HashMap<String, (String, i64)>>>,
}

/// Sessions remembered at most; past it the memory starts afresh (a few extra writes).
const REMEMBERED: usize = 10_000;

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(engine: Engine, idle: std::time::Duration, lifetime: std::time::Duration) -> Self {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self {
            engine,
            lifetime_ms: ms(lifetime),
            // A fiftieth of the idle time, at most a minute.
            slack_ms: (ms(idle) / 50).min(60_000),
            written: Arc::default(),
        }
    }

    /// Whether this node wrote the same data with nearly this end already.
    fn unchanged(&self, s: &StoredSession) -> bool {
        let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.get(&s.id).is_some_and(|(data, end)| {
            *data == s.data && s.expires_at >= *end && s.expires_at - *end < self.slack_ms
        })
    }

    fn remember(&self, s: &StoredSession) {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if written.len() >= REMEMBERED {
            written.clear();
        }
        written.insert(s.id.clone(), (s.data.clone(), s.expires_at));
    }

    fn forget(&self, id: &str) {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    fn stored(&self, record: &Record) -> session_store::Result<StoredSession> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let idle_end = (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64;
        let expires_at = match record
            .data
            .get(super::ssr::SESSION_SIGNED_IN_KEY)
            .and_then(serde_json::Value::as_i64)
        {
            Some(signed_in) => idle_end.min(signed_in.saturating_add(self.lifetime_ms)),
            None => idle_end,
        };
        Ok(StoredSession {
            id: record.id.to_string(),
            data,
            expires_at,
        })
    }
}

fn backend(e: switchboard_engine::EngineError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are random 128-bit values; on the vanishing chance of a collision, draw again.
        while !self
            .engine
            .create_session(&self.stored(record)?)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        self.remember(&self.stored(record)?);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let stored = self.stored(record)?;
        if self.unchanged(&stored) {
            return Ok(());
        }
        self.engine.save_session(&stored).await.map_err(backend)?;
        self.remember(&stored);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = self
            .engine
            .session(&id.to_string())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(row.expires_at as i128 * 1_000_000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.forget(&id.to_string());
        self.engine
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}
