//! An agent's access changed (they signed out, or an admin deactivated or changed them): every
//! socket of theirs, on every node, checks again at once whether it may stay open, and closes
//! if not. Each socket also checks on its own every [`RECHECK_EVERY`], so a notification lost
//! with a node's listener delays a closing by that much at most.

use crate::bus::BusKind;
use crate::error::Result;
use crate::Engine;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Duration;
use uuid::Uuid;

pub const ACCESS_CHANNEL: &str = "switchboard_access";

/// How often an agent's socket checks its session and account on its own.
pub const RECHECK_EVERY: Duration = Duration::from_secs(30);

impl Engine {
    /// Tells every node that this agent's sockets must check their access again.
    pub async fn access_changed(&self, agent: Uuid) -> Result<()> {
        match self.bus().kind() {
            BusKind::Local => self.hub().recheck_agent(agent),
            BusKind::Postgres => {
                // Every node hears it, this one included.
                self.db()
                    .write
                    .execute(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_notify($1, $2)",
                        [ACCESS_CHANNEL.into(), agent.to_string().into()],
                    ))
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether an agent's socket may stay open: the account is active and, for a socket
    /// opened with a browser session, that session still exists and is theirs.
    pub async fn agent_may_stay(&self, agent: Uuid, session: Option<&str>) -> Result<bool> {
        match self.active_agent(agent).await {
            Ok(_) => {}
            Err(crate::EngineError::Unauthorized) => return Ok(false),
            Err(e) => return Err(e),
        }
        let Some(id) = session else {
            return Ok(true);
        };
        Ok(self
            .session(id)
            .await?
            .is_some_and(|s| s.data.contains(&agent.to_string())))
    }
}
