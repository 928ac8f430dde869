//! First-boot data: the demo team and settings (demo mode, empty database only) and the
//! visitor-token signing secret.

use switchboard_domain::RoutingSettings;
use switchboard_engine::{Engine, EngineError};
use switchboard_wire::AgentRole;

pub const DEMO_PASSWORD: &str = "switchboard";
pub const DEMO_ACCOUNTS: [(&str, &str, AgentRole); 3] = [
    ("admin@demo.test", "Avery Admin", AgentRole::Admin),
    ("agent1@demo.test", "Alex Agent", AgentRole::Agent),
    ("agent2@demo.test", "Sam Agent", AgentRole::Agent),
];

/// Creates the demo accounts when there are no accounts at all, and the demo settings.
pub async fn demo(engine: &Engine) -> Result<(), EngineError> {
    if engine.account_count().await? == 0 {
        for (email, name, role) in DEMO_ACCOUNTS {
            match engine
                .create_account(email, name, DEMO_PASSWORD, role, 3)
                .await
            {
                // Another node seeded it first.
                Ok(_) | Err(EngineError::AccountExists(_)) => {}
                Err(e) => return Err(e),
            }
        }
        tracing::info!("seeded demo accounts (password: {DEMO_PASSWORD})");
    }
    engine.seed_settings(&RoutingSettings::demo()).await
}

const SECRET_KEY: &str = "visitor_token_secret";

/// The visitor-token key, made once and kept in the database (every node uses the same).
pub async fn stored_secret(engine: &Engine) -> Result<Vec<u8>, EngineError> {
    let value = engine
        .setting_or_init(SECRET_KEY, || {
            let mut bytes = [0u8; 32];
            rand::fill(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
        .await?;
    Ok(value.into_bytes())
}
