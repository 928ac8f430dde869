//! First-boot data: the demo team (demo mode, empty database only) and the signing secret.

use app::auth::{ssr::{account_count, create_account}, AgentRole};
use app::db::entities::setting;
use app::error::AppError;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

pub const DEMO_PASSWORD: &str = "switchboard";
pub const DEMO_ACCOUNTS: [(&str, &str, AgentRole); 3] = [
    ("admin@demo.test", "Avery Admin", AgentRole::Admin),
    ("agent1@demo.test", "Alex Agent", AgentRole::Agent),
    ("agent2@demo.test", "Sam Agent", AgentRole::Agent),
];

/// Creates the demo accounts when there are no accounts at all.
pub async fn demo_accounts(db: &DatabaseConnection) -> Result<(), AppError> {
    if account_count(db).await? > 0 {
        return Ok(());
    }
    for (email, name, role) in DEMO_ACCOUNTS {
        create_account(db, email, name, DEMO_PASSWORD, role, 3).await?;
    }
    tracing::info!("seeded demo accounts (password: {DEMO_PASSWORD})");
    Ok(())
}

const SECRET_KEY: &str = "visitor_token_secret";

/// The visitor-token key, made once and kept in the database.
pub async fn stored_secret(db: &DatabaseConnection) -> Result<Vec<u8>, AppError> {
    if let Some(row) = setting::Entity::find_by_id(SECRET_KEY).one(db).await? {
        return Ok(row.value.into_bytes());
    }
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let value: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let insert = setting::Entity::insert(setting::ActiveModel { key: Set(SECRET_KEY.into()), value: Set(value) })
        .exec(db)
        .await;
    if let Err(e) = insert {
        // Another node won the race; use its key.
        if !app::db::is_unique_violation(&e) {
            return Err(e.into());
        }
    }
    let row = setting::Entity::find_by_id(SECRET_KEY)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("secret vanished".into()))?;
    Ok(row.value.into_bytes())
}
