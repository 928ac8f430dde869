//! Agent and admin accounts: argon2 password hashes, sign-in checks, the admin's changes to
//! agents, and the stored browser sessions.

use crate::conversations::write::{retrying, Tx};
use crate::error::{EngineError, Missing, Result, Rule};
use crate::routing::assign::active_counts;
use crate::store::entities::{account, session};
use crate::store::{codec, for_update, is_unique_violation};
use crate::Engine;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use switchboard_domain::conversation::Work;
use switchboard_domain::presence::PresenceCommand;
use switchboard_domain::Presence;
use switchboard_wire::inbox::AgentInfo;
use switchboard_wire::{AgentProfile, AgentRole};
use uuid::Uuid;

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const CAPACITY_MAX: u32 = 50;

/// Hashing is deliberately slow; it runs off the async workers.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| EngineError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| EngineError::Internal(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn role(row: &account::Model) -> Result<AgentRole> {
    codec::parse("accounts", "role", &row.role, AgentRole::parse)
}

pub fn profile_of(row: &account::Model) -> Result<AgentProfile> {
    Ok(AgentProfile {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        role: role(row)?,
    })
}

/// Every chat a deactivated agent holds, is offered or sits in: released (back to routing,
/// or out of the room), in the caller's transaction.
async fn release_chats_of(tx: &mut Tx, agent: &account::Model, now: i64) -> Result<()> {
    use crate::conversations::write::Lock;
    use crate::store::entities::conversation;
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    use switchboard_domain::conversation::{decide, AgentRef, Command};
    let ids: Vec<Uuid> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::Id)
        .filter(
            conversation::Column::Status
                .ne(switchboard_domain::ConversationStatus::Closed.as_str()),
        )
        .filter(
            Condition::any()
                .add(conversation::Column::AssigneeId.eq(agent.id))
                .add(conversation::Column::OfferedTo.eq(agent.id))
                .add(conversation::Column::Members.contains(agent.id.to_string())),
        )
        .order_by_asc(conversation::Column::Id)
        .into_tuple()
        .all(&tx.txn)
        .await?;
    let command = Command::Release {
        agent: AgentRef {
            id: agent.id,
            name: agent.name.clone(),
        },
    };
    for id in ids {
        let Some(state) = tx.load(id, Lock::Wait).await? else {
            continue;
        };
        let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
        tx.apply(&state, decision, now).await?;
    }
    Ok(())
}

/// A concurrent-chat limit an admin may set.
pub fn capacity_in_range(capacity: u32) -> Result<u32> {
    if (1..=CAPACITY_MAX).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(Rule::CapacityOutOfRange(CAPACITY_MAX).into())
    }
}

/// A browser session as stored (the web layer's session store speaks through these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: String,
    pub data: String,
    pub expires_at: i64,
}

impl Engine {
    pub async fn account_count(&self) -> Result<u64> {
        Ok(account::Entity::find().count(&self.db().read).await?)
    }

    /// Creates an account; the email must be new and the password long enough.
    pub async fn create_account(
        &self,
        email: &str,
        name: &str,
        password: &str,
        role: AgentRole,
        capacity: u32,
    ) -> Result<AgentProfile> {
        let email = switchboard_domain::contact::parse_email(email)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Rule::NameMissing.into());
        }
        use switchboard_domain::contact::{forbidden_in_names, NAME_MAX_CHARS};
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(switchboard_domain::ContactError::NameTooLong.into());
        }
        if name.chars().any(forbidden_in_names) {
            return Err(switchboard_domain::ContactError::NameInvalid.into());
        }
        if password.chars().count() < PASSWORD_MIN_CHARS {
            return Err(Rule::PasswordTooShort(PASSWORD_MIN_CHARS).into());
        }
        let capacity = capacity_in_range(capacity)?;
        if account::Entity::find()
            .filter(account::Column::Email.eq(&email))
            .one(&self.db().read)
            .await?
            .is_some()
        {
            return Err(EngineError::AccountExists(email));
        }
        let now = crate::now();
        let id = Uuid::now_v7();
        let row = account::ActiveModel {
            id: Set(id),
            email: Set(email.clone()),
            name: Set(name.to_string()),
            role: Set(role.as_str().to_string()),
            password_hash: Set(hash_password(password.to_string()).await?),
            active: Set(true),
            created_at: Set(now),
            presence: Set(Presence::Offline.as_str().into()),
            presence_auto: Set(false),
            presence_since: Set(now),
            capacity: Set(capacity as i64),
            last_assigned_at: Set(None),
        };
        match account::Entity::insert(row)
            .exec_without_returning(&self.db().write)
            .await
        {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(EngineError::AccountExists(email)),
            Err(e) => return Err(e.into()),
        }
        Ok(AgentProfile {
            id,
            email,
            name: name.to_string(),
            role,
        })
    }

    /// Checks credentials. The same answer for an unknown email and a wrong password, so the
    /// form does not reveal who has an account.
    /// Refused for a while after [`crate::limits::FAILURES_PER_ACCOUNT`] wrong passwords; a
    /// few hashes run at once, more wait their turn.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<AgentProfile> {
        let email = email.trim().to_lowercase();
        self.limits().login_failures.check(&email)?;
        let _turn = self.limits().hashing_turn().await?;
        let failed = || {
            self.limits().login_failures.failed(&email);
            Err(Rule::BadCredentials.into())
        };
        let row = account::Entity::find()
            .filter(account::Column::Email.eq(&email))
            .one(&self.db().read)
            .await?;
        let Some(row) = row else {
            // Spend about the time of a real check, so timing does not reveal who has an account.
            let _ = hash_password(password.to_string()).await;
            return failed();
        };
        if !row.active || !verify_password(password.to_string(), row.password_hash.clone()).await {
            return failed();
        }
        profile_of(&row)
    }

    /// An active account by id (a session's agent); `Unauthorized` if gone or deactivated.
    pub async fn active_agent(&self, id: Uuid) -> Result<AgentProfile> {
        let row = account::Entity::find_by_id(id)
            .one(&self.db().read)
            .await?
            .ok_or(EngineError::Unauthorized)?;
        if !row.active {
            return Err(EngineError::Unauthorized);
        }
        profile_of(&row)
    }

    /// Changes an agent's role, chat limit or whether the account may sign in at all, in one
    /// transaction: a deactivated agent goes Offline with it, and freed or added capacity
    /// goes to waiting chats.
    pub async fn update_agent(
        &self,
        by: Uuid,
        id: Uuid,
        role: AgentRole,
        capacity: u32,
        active: bool,
    ) -> Result<AgentInfo> {
        if id == by && (!active || role != AgentRole::Admin) {
            return Err(Rule::SelfDemotion.into());
        }
        let capacity = capacity_in_range(capacity)?;
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let row = for_update(account::Entity::find_by_id(id), tx.backend())
                .one(&tx.txn)
                .await?
                .ok_or(EngineError::NotFound(Missing::Agent))?;
            account::Entity::update_many()
                .col_expr(account::Column::Role, Expr::value(role.as_str()))
                .col_expr(account::Column::Capacity, Expr::value(capacity as i64))
                .col_expr(account::Column::Active, Expr::value(active))
                .filter(account::Column::Id.eq(id))
                .exec(&tx.txn)
                .await?;
            if !active {
                // A deactivated agent takes no chats, and the ones they had go to others.
                tx.presence(&row, PresenceCommand::Choose(Presence::Offline), now)
                    .await?;
                release_chats_of(&mut tx, &row, now).await?;
            }
            tx.enqueue(None, &[Work::DrainQueue], now).await?;
            tx.commit().await
        })
        .await?;
        // Their sockets check again: a deactivated agent's close, on every node.
        self.access_changed(id).await?;
        self.agents()
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(EngineError::NotFound(Missing::Agent))
    }

    /// Whether any active agent is Online (the widget offers a chat, or the offline form).
    pub async fn anyone_online(&self) -> Result<bool> {
        Ok(account::Entity::find()
            .filter(account::Column::Active.eq(true))
            .filter(account::Column::Presence.eq(Presence::Online.as_str()))
            .count(&self.db().read)
            .await?
            > 0)
    }

    /// Every agent account with presence and load, for colleague pickers and the admin page.
    pub async fn agents(&self) -> Result<Vec<AgentInfo>> {
        let active = active_counts(&self.db().read).await?;
        let mut out = account::Entity::find()
            .all(&self.db().read)
            .await?
            .into_iter()
            .map(|a| {
                Ok(AgentInfo {
                    id: a.id,
                    role: role(&a)?,
                    presence: codec::presence(&a.presence)?,
                    capacity: a.capacity.max(0) as u32,
                    active_chats: active.get(&a.id).copied().unwrap_or(0),
                    active: a.active,
                    name: a.name,
                    email: a.email,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub async fn session(&self, id: &str) -> Result<Option<StoredSession>> {
        Ok(session::Entity::find_by_id(id.to_string())
            .one(&self.db().read)
            .await?
            .filter(|row| row.expires_at > crate::now())
            .map(|row| StoredSession {
                id: row.id,
                data: row.data,
                expires_at: row.expires_at,
            }))
    }

    /// Stores a new session; `false` if the id is taken.
    pub async fn create_session(&self, s: &StoredSession) -> Result<bool> {
        let row = session::ActiveModel {
            id: Set(s.id.clone()),
            data: Set(s.data.clone()),
            expires_at: Set(s.expires_at),
        };
        match session::Entity::insert(row)
            .exec_without_returning(&self.db().write)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn save_session(&self, s: &StoredSession) -> Result<()> {
        let row = session::ActiveModel {
            id: Set(s.id.clone()),
            data: Set(s.data.clone()),
            expires_at: Set(s.expires_at),
        };
        session::Entity::insert(row)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db().write)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        session::Entity::delete_by_id(id.to_string())
            .exec(&self.db().write)
            .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(crate::now()))
            .exec(&self.db().write)
            .await?
            .rows_affected)
    }
}
