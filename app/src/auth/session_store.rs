//! tower-sessions records in our own database (SQLite or PostgreSQL through sea-orm), so
//! agent sessions survive a server restart and work across nodes.

use crate::db::entities::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn delete_expired(&self) -> Result<u64, sea_orm::DbErr> {
        let now = crate::db::now_millis();
        let res = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }

    fn row(record: &Record) -> session_store::Result<session::ActiveModel> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(session::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expires_at: Set((record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64),
        })
    }
}

fn backend(e: sea_orm::DbErr) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are random 128-bit values; on the vanishing chance of a collision, draw again.
        loop {
            match session::Entity::insert(Self::row(record)?).exec(&self.db).await {
                Ok(_) => return Ok(()),
                Err(e) if crate::db::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(Self::row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(backend)? else {
            return Ok(None);
        };
        if row.expires_at <= crate::db::now_millis() {
            return Ok(None);
        }
        let data = serde_json::from_str(&row.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(row.expires_at as i128 * 1_000_000)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(id.to_string()).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}
