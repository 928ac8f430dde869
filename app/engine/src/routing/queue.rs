//! Where a waiting visitor stands, and an honest estimate: indexed counts, never a scan of
//! the queue.

use crate::error::{EngineError, Missing, Result};
use crate::store::entities::{account, conversation};
use crate::Engine;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use switchboard_domain::routing::wait_estimate;
use switchboard_domain::{ConversationStatus, Presence};
use switchboard_wire::widget::QueueInfo;
use uuid::Uuid;

const WAITING: [&str; 2] = ["queued", "offered"];

impl Engine {
    pub async fn queue_status(&self, conversation_id: Uuid, now: i64) -> Result<QueueInfo> {
        let db = &self.db().read;
        let me = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?;
        if !me.status.is_waiting() || me.lead {
            return Ok(QueueInfo {
                status: me.status,
                position: None,
                estimate: None,
                missed: me.missed,
            });
        }
        debug_assert_eq!(
            WAITING,
            [
                ConversationStatus::Queued.as_str(),
                ConversationStatus::Offered.as_str()
            ]
        );
        let ahead = conversation::Entity::find()
            .filter(conversation::Column::Status.is_in(WAITING))
            .filter(conversation::Column::Lead.eq(false))
            .filter(
                Condition::any()
                    .add(conversation::Column::QueuedAt.lt(me.queued_at))
                    .add(
                        Condition::all()
                            .add(conversation::Column::QueuedAt.eq(me.queued_at))
                            .add(conversation::Column::Id.lt(me.id)),
                    ),
            )
            .count(db)
            .await?;
        let position = ahead as usize + 1;
        let online = account::Entity::find()
            .filter(account::Column::Active.eq(true))
            .filter(account::Column::Presence.eq(Presence::Online.as_str()))
            .count(db)
            .await? as usize;
        // Pick-up times of the last chats taken in the past day.
        #[derive(sea_orm::FromQueryResult)]
        struct Pickup {
            queued_at: i64,
            accepted_at: Option<i64>,
        }
        let recent: Vec<Pickup> = conversation::Entity::find()
            .select_only()
            .column(conversation::Column::QueuedAt)
            .column(conversation::Column::AcceptedAt)
            .filter(conversation::Column::AcceptedAt.gte(now - 24 * 3600 * 1000))
            .order_by_desc(conversation::Column::AcceptedAt)
            .limit(20)
            .into_model::<Pickup>()
            .all(db)
            .await?;
        let pickups: Vec<u64> = recent
            .into_iter()
            .filter_map(|p| {
                p.accepted_at
                    .map(|a| ((a - p.queued_at).max(0) / 1000) as u64)
            })
            .collect();
        Ok(QueueInfo {
            status: me.status,
            position: Some(position),
            estimate: Some(wait_estimate(position, online, &pickups)),
            missed: me.missed,
        })
    }
}
