//! tower-sessions records in our own database (through the engine), so agent sessions
//! survive a restart and work across nodes.

use switchboard_engine::accounts::StoredSession;
use switchboard_engine::Engine;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone)]
pub struct DbSessionStore {
    engine: Engine,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(engine: Engine) -> Self {
        Self { engine }
    }

    fn stored(record: &Record) -> session_store::Result<StoredSession> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(StoredSession {
            id: record.id.to_string(),
            data,
            expires_at: (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64,
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
            .create_session(&Self::stored(record)?)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.engine
            .save_session(&Self::stored(record)?)
            .await
            .map_err(backend)
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
        self.engine
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}
