//! The provider simulator (demo mode): a page where a new user plays the customer on SMS,
//! WhatsApp, Messenger, a Facebook post comment, Instagram (DM, story reply, comment) and
//! Telegram. It uses the real paths both ways: what the customer types becomes the provider's
//! real webhook, signed as the provider signs it and posted to our real endpoint; in demo
//! mode every channel's API base URL points at the simulator's fake provider API
//! (`provider.rs`), which records the agents' replies for the simulated phones and sends
//! receipts back through the real status webhooks.

#[cfg(feature = "ssr")]
pub mod provider;
mod view;

pub use view::SimulatorPage;

use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use switchboard_domain::Channel;

/// Where the customer writes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimChannel {
    Sms,
    Whatsapp,
    Messenger,
    PageComment,
    InstagramDm,
    InstagramStory,
    InstagramComment,
    Telegram,
}

impl SimChannel {
    /// Where the customer can send a photo from the simulator.
    pub const WITH_PHOTOS: [SimChannel; 3] =
        [SimChannel::Sms, SimChannel::Whatsapp, SimChannel::Telegram];

    pub const ALL: [SimChannel; 8] = [
        Self::Sms,
        Self::Whatsapp,
        Self::Messenger,
        Self::PageComment,
        Self::InstagramDm,
        Self::InstagramStory,
        Self::InstagramComment,
        Self::Telegram,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Whatsapp => "whatsapp",
            Self::Messenger => "messenger",
            Self::PageComment => "page_comment",
            Self::InstagramDm => "instagram_dm",
            Self::InstagramStory => "instagram_story",
            Self::InstagramComment => "instagram_comment",
            Self::Telegram => "telegram",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Whatsapp => "WhatsApp",
            Self::Messenger => "Messenger",
            Self::PageComment => "Facebook post comment",
            Self::InstagramDm => "Instagram DM",
            Self::InstagramStory => "Instagram story reply",
            Self::InstagramComment => "Instagram comment",
            Self::Telegram => "Telegram",
        }
    }

    /// The inbox channel it lands on.
    pub fn channel(self) -> Channel {
        match self {
            Self::Sms => Channel::Sms,
            Self::Whatsapp => Channel::Whatsapp,
            Self::Messenger => Channel::Messenger,
            Self::PageComment => Channel::PageComment,
            Self::InstagramDm | Self::InstagramStory | Self::InstagramComment => Channel::Instagram,
            Self::Telegram => Channel::Telegram,
        }
    }

    /// The simulated phone's thread: story replies and DMs share one Instagram chat.
    pub fn phone(self) -> SimChannel {
        match self {
            Self::InstagramStory => Self::InstagramDm,
            other => other,
        }
    }
}

/// One line on a simulated phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimMessage {
    pub n: u64,
    /// The customer wrote it (else the business did).
    pub from_customer: bool,
    pub text: String,
    /// Receipts the simulated provider reported for a business message.
    pub status: Option<String>,
    /// The provider refused it (the simulator was told to fail it).
    pub refused: Option<String>,
    /// A file the business sent: the URL the provider fetched it from.
    #[serde(default)]
    pub media: Option<String>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SimState {
    pub threads: Vec<(SimChannel, Vec<SimMessage>)>,
    pub failing: Vec<SimChannel>,
    /// Phones on which the business shows "typing…" now.
    #[serde(default)]
    pub typing: Vec<SimChannel>,
}

impl SimState {
    pub fn thread(&self, c: SimChannel) -> Vec<SimMessage> {
        self.threads
            .iter()
            .find(|(k, _)| *k == c.phone())
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[cfg(feature = "ssr")]
fn simulator() -> Result<std::sync::Arc<provider::Simulator>, crate::error::AppError> {
    let state = crate::state::AppState::from_context()?;
    state
        .simulator
        .clone()
        .ok_or(crate::error::AppError::Engine(
            switchboard_engine::EngineError::NotFound(switchboard_engine::Missing::Account),
        ))
}

/// What the simulated phones show; `NotFound` outside demo mode.
#[server(endpoint = "simulator/state", input = Json, output = Json)]
pub async fn simulator_state() -> Result<SimState, ApiError> {
    crate::error::respond(simulator().map(|s| s.state()))
}

/// The customer writes: the provider's signed webhook goes to our endpoint.
#[server(endpoint = "simulator/send", input = Json, output = Json)]
pub async fn simulator_send(
    channel: SimChannel,
    name: String,
    text: String,
    hours_ago: u32,
    #[server(default)] photo: bool,
) -> Result<SimState, ApiError> {
    crate::error::respond(
        async {
            let sim = simulator()?;
            sim.customer_writes(channel, &name, &text, hours_ago, photo)
                .await?;
            Ok(sim.state())
        }
        .await,
    )
}

/// The customer deletes their latest comment on the post.
#[server(endpoint = "simulator/delete-comment", input = Json, output = Json)]
pub async fn simulator_delete_comment() -> Result<SimState, ApiError> {
    crate::error::respond(
        async {
            let sim = simulator()?;
            sim.customer_deletes_comment().await?;
            Ok(sim.state())
        }
        .await,
    )
}

/// Makes the simulated provider refuse (or accept again) what the business sends on a channel.
#[server(endpoint = "simulator/fail", input = Json, output = Json)]
pub async fn simulator_fail(channel: SimChannel, on: bool) -> Result<SimState, ApiError> {
    crate::error::respond(simulator().map(|s| {
        s.set_failing(channel, on);
        s.state()
    }))
}
