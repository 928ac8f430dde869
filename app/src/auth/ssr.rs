//! Server side of agent authentication: argon2 password hashes, account lookup, and the
//! guard every agent-only server function and socket goes through.

use super::{AgentProfile, AgentRole};
use crate::db::entities::account;
use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use tower_sessions::Session;
use uuid::Uuid;

pub const SESSION_ACCOUNT_KEY: &str = "account_id";
pub const PASSWORD_MIN_CHARS: usize = 8;

/// Hashing is deliberately slow; keep it off the async workers.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

pub fn profile_of(row: &account::Model) -> AgentProfile {
    AgentProfile {
        id: row.id,
        email: row.email.clone(),
        name: row.name.clone(),
        role: AgentRole::parse(&row.role).unwrap_or(AgentRole::Agent),
    }
}

pub async fn account_count(db: &DatabaseConnection) -> Result<u64, AppError> {
    Ok(account::Entity::find().count(db).await?)
}

/// Creates an account; the email must be new and the password long enough.
pub async fn create_account(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
    password: &str,
    role: AgentRole,
    capacity: u32,
) -> Result<AgentProfile, AppError> {
    let email = switchboard_domain::contact::parse_email(email)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid("A name is required.".into()));
    }
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(AppError::Invalid(format!("A password needs at least {PASSWORD_MIN_CHARS} characters.")));
    }
    if account::Entity::find().filter(account::Column::Email.eq(&email)).one(db).await?.is_some() {
        return Err(AppError::Conflict(format!("An account for {email} already exists.")));
    }
    let row = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        name: Set(name.to_string()),
        role: Set(role.as_str().to_string()),
        password_hash: Set(hash_password(password.to_string()).await?),
        active: Set(true),
        created_at: Set(crate::db::now_millis()),
        presence: Set(switchboard_domain::Presence::Offline.as_str().into()),
        presence_auto: Set(false),
        presence_since: Set(crate::db::now_millis()),
        capacity: Set(capacity_in_range(capacity)? as i32),
        last_assigned_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(profile_of(&row))
}

pub const CAPACITY_MAX: u32 = 50;

/// A concurrent-chat limit an admin may set.
pub fn capacity_in_range(capacity: u32) -> Result<u32, AppError> {
    if (1..=CAPACITY_MAX).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(AppError::Invalid(format!("The chat limit must be between 1 and {CAPACITY_MAX}.")))
    }
}

/// Checks credentials. The same error for unknown email and wrong password, so the form
/// does not reveal who has an account.
pub async fn authenticate(db: &DatabaseConnection, email: &str, password: &str) -> Result<AgentProfile, AppError> {
    let denied = || AppError::Invalid("That email and password do not match an active account.".into());
    let email = email.trim().to_lowercase();
    let row = account::Entity::find().filter(account::Column::Email.eq(&email)).one(db).await?;
    let Some(row) = row else {
        // Spend about the time of a real check, so timing does not reveal who has an account.
        let _ = hash_password(password.to_string()).await;
        return Err(denied());
    };
    if !row.active || !verify_password(password.to_string(), row.password_hash.clone()).await {
        return Err(denied());
    }
    Ok(profile_of(&row))
}

/// The signed-in, active agent of this session.
pub async fn agent_of_session(db: &DatabaseConnection, session: &Session) -> Result<AgentProfile, AppError> {
    let id: Option<Uuid> = session
        .get(SESSION_ACCOUNT_KEY)
        .await
        .map_err(|e| AppError::Internal(format!("session: {e}")))?;
    let id = id.ok_or(AppError::Unauthorized)?;
    let row = account::Entity::find_by_id(id).one(db).await?.ok_or(AppError::Unauthorized)?;
    if !row.active {
        return Err(AppError::Unauthorized);
    }
    Ok(profile_of(&row))
}

/// Inside a server function: the signed-in agent, or 401.
pub async fn require_agent() -> Result<AgentProfile, AppError> {
    let state = crate::state::AppState::from_context()?;
    let session: Session = leptos_axum::extract().await.map_err(|_| AppError::Unauthorized)?;
    agent_of_session(&state.db, &session).await
}
