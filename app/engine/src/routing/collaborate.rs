//! Working together on a chat: transfer it to a colleague, invite one into the room. Whether
//! the colleague can take it (active and Online) is read in the same transaction as the
//! change.

use crate::conversations::write::{retrying, Lock, Outcome, Tx};
use crate::error::{EngineError, Missing, Result};
use crate::store::codec;
use crate::store::entities::account;
use crate::Engine;
use sea_orm::EntityTrait;
use switchboard_domain::conversation::{decide, AgentRef, Command};
use switchboard_domain::Presence;
use uuid::Uuid;

impl Tx {
    /// A colleague as a command names them, and whether they are Online now.
    async fn colleague(&self, id: Uuid) -> Result<(AgentRef, bool)> {
        let row = account::Entity::find_by_id(id)
            .one(&self.txn)
            .await?
            .ok_or(EngineError::NotFound(Missing::Agent))?;
        let online = row.active && codec::presence(&row.presence)? == Presence::Online;
        Ok((
            AgentRef {
                id: row.id,
                name: row.name,
            },
            online,
        ))
    }
}

impl Engine {
    /// Hands a chat to another Online agent, with a comment only agents see.
    pub async fn transfer(
        &self,
        conversation_id: Uuid,
        from: AgentRef,
        to: Uuid,
        comment: &str,
    ) -> Result<Outcome> {
        self.with_colleague(conversation_id, to, |to, to_online| Command::Transfer {
            from: from.clone(),
            to,
            to_online,
            comment: comment.to_string(),
        })
        .await
    }

    /// Invites another Online agent into the room.
    pub async fn invite(
        &self,
        conversation_id: Uuid,
        by: AgentRef,
        agent: Uuid,
    ) -> Result<Outcome> {
        self.with_colleague(conversation_id, agent, |agent, agent_online| {
            Command::Invite {
                by: by.clone(),
                agent,
                agent_online,
            }
        })
        .await
    }

    async fn with_colleague(
        &self,
        conversation_id: Uuid,
        colleague: Uuid,
        command: impl Fn(AgentRef, bool) -> Command,
    ) -> Result<Outcome> {
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let state = tx
                .load(conversation_id, Lock::Wait)
                .await?
                .ok_or(EngineError::NotFound(Missing::Conversation))?;
            let (agent, online) = tx.colleague(colleague).await?;
            let decision = decide(&state, &command(agent, online), now, &mut Uuid::now_v7)?;
            let outcome = tx.apply(&state, decision, now).await?;
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }
}
