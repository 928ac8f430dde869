//! Routing and widget settings, one JSON document in the `settings` table.

use crate::conversations::write::{retrying, Tx};
use crate::error::{EngineError, Result};
use crate::store::entities::setting;
use crate::Engine;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use switchboard_domain::conversation::Work;
use switchboard_domain::{RoutingMode, RoutingSettings};

const KEY: &str = "routing";

pub(crate) async fn load<C: ConnectionTrait>(db: &C) -> Result<RoutingSettings> {
    match setting::Entity::find_by_id(KEY).one(db).await? {
        Some(row) => serde_json::from_str(&row.value)
            .map_err(|e| EngineError::Corrupt(format!("settings.routing: {e}"))),
        None => Ok(RoutingSettings::default()),
    }
}

impl Engine {
    pub async fn settings(&self) -> Result<RoutingSettings> {
        load(&self.db().read).await
    }

    /// Saves settings. Switching to time-based routing offers what waits in the queue.
    pub async fn save_settings(&self, settings: &RoutingSettings) -> Result<RoutingSettings> {
        let settings = &RoutingSettings {
            files: settings.files.clone().normalized(),
            ..settings.clone()
        };
        settings.validate()?;
        let value =
            serde_json::to_string(settings).map_err(|e| EngineError::Internal(e.to_string()))?;
        retrying(|| async {
            let mut tx = Tx::begin(self).await?;
            setting::Entity::insert(setting::ActiveModel {
                key: Set(KEY.into()),
                value: Set(value.clone()),
            })
            .on_conflict(
                OnConflict::column(setting::Column::Key)
                    .update_column(setting::Column::Value)
                    .to_owned(),
            )
            .exec_without_returning(&tx.txn)
            .await?;
            if settings.mode == RoutingMode::TimeBased {
                tx.enqueue(None, &[Work::DrainQueue], crate::now()).await?;
            }
            tx.commit().await
        })
        .await?;
        Ok(settings.clone())
    }

    /// Stores these settings unless some are stored already (the demo's first start).
    pub async fn seed_settings(&self, settings: &RoutingSettings) -> Result<()> {
        setting::Entity::insert(setting::ActiveModel {
            key: Set(KEY.into()),
            value: Set(serde_json::to_string(settings)
                .map_err(|e| EngineError::Internal(e.to_string()))?),
        })
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db().write)
        .await?;
        Ok(())
    }

    /// A stored string setting, made by `make` and kept the first time it is asked for (of
    /// racing nodes, the first to store it wins and everyone uses that).
    pub async fn setting_or_init(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String> {
        if let Some(row) = setting::Entity::find_by_id(key)
            .one(&self.db().write)
            .await?
        {
            return Ok(row.value);
        }
        setting::Entity::insert(setting::ActiveModel {
            key: Set(key.into()),
            value: Set(make()),
        })
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db().write)
        .await?;
        setting::Entity::find_by_id(key)
            .one(&self.db().write)
            .await?
            .map(|r| r.value)
            .ok_or_else(|| EngineError::Internal(format!("setting {key} vanished")))
    }
}
