//! Provider channels in the engine: the connected accounts, webhook events stored once and
//! turned into contacts, conversations and messages (`inbound`), and agents' replies sent
//! through the provider's API from the outbox (`outbound`). The engine knows a channel's
//! capabilities and its adapter's verdicts, never a provider's JSON.

pub mod admin;
pub mod config;
pub mod inbound;
pub mod media;
pub mod outbound;
pub mod polling;
pub mod posts;
pub mod settings;
pub mod status;

use crate::error::{EngineError, Result};
use crate::store::entities::channel_account;
use crate::Engine;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use std::sync::Arc;
use switchboard_channels::{Account, ChannelAdapter};
use switchboard_domain::Channel;
use uuid::Uuid;

/// An account to connect, as configuration gives it.
#[derive(Debug, Clone)]
pub struct ConnectedAccount {
    /// The adapter id (`twilio_sms`, `whatsapp_cloud`, `messenger`, `page_comments`,
    /// `instagram`, `telegram`…).
    pub adapter: String,
    /// What the inbox calls it ("Support line", "Acme Page").
    pub name: String,
    pub account: Account,
    /// The account's approved templates (WhatsApp), as the provider approved them.
    pub templates: Vec<Template>,
    /// Fetch its events by long polling instead of a webhook (Telegram `getUpdates`).
    pub poll: bool,
}

/// An approved message template: `{{1}}`, `{{2}}`… in `text` are its parameters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub text: String,
}

impl Template {
    /// How many parameters it takes: the highest `{{n}}` in its text.
    pub fn parameters(&self) -> usize {
        let mut max = 0;
        let mut rest = self.text.as_str();
        while let Some(i) = rest.find("{{") {
            rest = &rest[i + 2..];
            if let Some(j) = rest.find("}}") {
                if let Ok(n) = rest[..j].trim().parse::<usize>() {
                    max = max.max(n);
                }
            }
        }
        max
    }

    /// Its text as the contact reads it, parameters filled in.
    pub fn render(&self, parameters: &[String]) -> String {
        let mut text = self.text.clone();
        for (i, p) in parameters.iter().enumerate() {
            text = text.replace(&format!("{{{{{}}}}}", i + 1), p);
        }
        text
    }
}

/// One connected account with its adapter.
pub struct Connected {
    pub adapter: Box<dyn ChannelAdapter>,
    pub name: String,
    pub account: Account,
    pub templates: Vec<Template>,
    pub poll: bool,
}

impl Connected {
    pub fn channel(&self) -> Channel {
        self.adapter.channel()
    }
}

/// Every connected account. Built once at start; an account's address is unique per channel.
#[derive(Default)]
pub struct ChannelSet {
    list: Vec<Arc<Connected>>,
}

impl ChannelSet {
    pub fn new(accounts: Vec<ConnectedAccount>) -> Result<Self> {
        let mut list: Vec<Arc<Connected>> = Vec::with_capacity(accounts.len());
        for a in accounts {
            let adapter = switchboard_channels::adapter(&a.adapter).ok_or_else(|| {
                EngineError::Config(format!("unknown channel adapter {:?}", a.adapter))
            })?;
            if a.account.address.trim().is_empty() {
                return Err(EngineError::Config(format!(
                    "the {} account has no address",
                    a.adapter
                )));
            }
            if list
                .iter()
                .any(|c| c.channel() == adapter.channel() && c.account.address == a.account.address)
            {
                return Err(EngineError::Config(format!(
                    "{} account {} is configured twice",
                    a.adapter, a.account.address
                )));
            }
            list.push(Arc::new(Connected {
                adapter,
                name: a.name,
                account: a.account,
                templates: a.templates,
                poll: a.poll,
            }));
        }
        Ok(Self { list })
    }

    /// The account a conversation runs on.
    pub fn find(&self, channel: Channel, address: &str) -> Option<Arc<Connected>> {
        self.list
            .iter()
            .find(|c| c.channel() == channel && c.account.address == address)
            .cloned()
    }

    /// The account an event reached. Providers that don't name it (an empty address) reach the
    /// channel's only account.
    pub fn reached(&self, channel: Channel, address: &str) -> Option<Arc<Connected>> {
        if address.is_empty() {
            let mut on_channel = self.list.iter().filter(|c| c.channel() == channel);
            return match (on_channel.next(), on_channel.next()) {
                (Some(only), None) => Some(only.clone()),
                _ => None,
            };
        }
        self.find(channel, address)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Connected> {
        self.list.iter().map(|c| &**c)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The channels in effect: the accounts, and the settings they come from.
pub struct Live {
    pub set: ChannelSet,
    pub config: config::ChannelConfig,
    /// Each setting's value, by variable (secrets included: never sent to a browser).
    pub values: std::collections::BTreeMap<String, String>,
    /// Where each setting comes from, by variable.
    pub sources: std::collections::BTreeMap<&'static str, switchboard_wire::admin::SettingSource>,
    /// What admins saved, as stored (to notice another node's save).
    pub(crate) saved_raw: Option<String>,
    /// Saved settings that could not be used, in plain words.
    pub problem: Option<String>,
}

impl std::ops::Deref for Live {
    type Target = ChannelSet;

    fn deref(&self) -> &ChannelSet {
        &self.set
    }
}

impl Live {
    /// Where an account's settings come from.
    pub fn source_of(&self, adapter: &str) -> switchboard_wire::admin::SettingSource {
        let var = match adapter {
            "twilio_sms" | "twilio_whatsapp" => "SWITCHBOARD_TWILIO_ACCOUNT_SID",
            "whatsapp_cloud" => "SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID",
            "messenger" | "page_comments" | "instagram" => "SWITCHBOARD_FACEBOOK_PAGE_ID",
            _ => "SWITCHBOARD_TELEGRAM_BOT_TOKEN",
        };
        self.sources
            .get(var)
            .copied()
            .unwrap_or(switchboard_wire::admin::SettingSource::Unset)
    }
}

impl Engine {
    /// Records the connected accounts as rows (what the inbox and admin pages list). Their
    /// settings keep the API base URL only: credentials stay with the channel settings.
    pub(crate) async fn record_accounts(&self) -> Result<()> {
        let now = crate::now();
        let live = self.channels();
        for c in live.iter() {
            let settings = serde_json::json!({ "api_base": c.account.api_base }).to_string();
            channel_account::Entity::insert(channel_account::ActiveModel {
                id: Set(Uuid::now_v7()),
                channel: Set(c.channel().as_str().into()),
                adapter: Set(c.adapter.id().into()),
                address: Set(c.account.address.clone()),
                name: Set(c.name.clone()),
                settings: Set(settings),
                source: Set(live.source_of(c.adapter.id()).as_str().into()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    channel_account::Column::Channel,
                    channel_account::Column::Address,
                ])
                .update_columns([
                    channel_account::Column::Adapter,
                    channel_account::Column::Name,
                    channel_account::Column::Settings,
                    channel_account::Column::Source,
                    channel_account::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec(&self.db().write)
            .await?;
        }
        Ok(())
    }
}
