//! Channel credentials an admin saves, layered over the environment. Each setting comes from
//! the environment when its group is set there (then it is read-only), else from what an admin
//! saved for its section, else (demo mode) from the provider simulator. A save is checked as a
//! whole configuration, stored as one row, and swapped in at once; the other nodes pick it up
//! within seconds (`run_channel_watch`). Secrets are never sent back in full.

use super::config::ChannelConfig;
use super::{ChannelSet, Live};
use crate::conversations::write::{retrying, Tx};
use crate::error::{EngineError, Result, Rule};
use crate::store::entities::setting;
use crate::store::Backend;
use crate::Engine;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use switchboard_wire::admin::{ChannelField, ChannelSection, ChannelsOverview, SettingSource};
use tokio_util::sync::CancellationToken;

/// The `settings` row holding what admins saved: a JSON object of variable → value.
const KEY: &str = "channels";
/// How often a node looks for settings another node saved.
const WATCH_EVERY: Duration = Duration::from_secs(5);

/// One setting.
pub struct Field {
    /// The environment variable that sets it.
    pub var: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// Settings set together: the environment setting any of a group makes all of it
    /// read-only.
    pub group: &'static str,
    pub secret: bool,
    pub multiline: bool,
    pub choices: &'static [&'static str],
}

/// One provider's settings, saved together.
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub about: &'static str,
    pub fields: &'static [Field],
}

const fn text(
    var: &'static str,
    label: &'static str,
    hint: &'static str,
    group: &'static str,
) -> Field {
    Field {
        var,
        label,
        hint,
        group,
        secret: false,
        multiline: false,
        choices: &[],
    }
}

const fn secret(
    var: &'static str,
    label: &'static str,
    hint: &'static str,
    group: &'static str,
) -> Field {
    Field {
        secret: true,
        ..text(var, label, hint, group)
    }
}

/// Every section, in the order the admin page shows them.
pub const SECTIONS: &[Section] = &[
    Section {
        id: "twilio",
        title: "SMS (Twilio)",
        about: "A Twilio phone number: visitors text it, agents answer by SMS.",
        fields: &[
            text("SWITCHBOARD_TWILIO_ACCOUNT_SID", "Account SID", "Starts with AC; on the Twilio console's home page.", "twilio"),
            secret("SWITCHBOARD_TWILIO_AUTH_TOKEN", "Auth token", "Also checks Twilio's webhook signatures.", "twilio"),
            text("SWITCHBOARD_TWILIO_NUMBER", "Phone number", "The number in E.164 form, such as +15005550006.", "twilio"),
            text("SWITCHBOARD_TWILIO_API_URL", "API base URL", "Empty for Twilio itself (https://api.twilio.com).", "twilio_api"),
        ],
    },
    Section {
        id: "meta",
        title: "Meta app",
        about: "The Meta app behind WhatsApp, Messenger, Page comments and Instagram: its secret checks their webhooks.",
        fields: &[
            secret("SWITCHBOARD_META_APP_SECRET", "App secret", "App settings → Basic in the Meta developer dashboard.", "meta"),
            secret("SWITCHBOARD_META_VERIFY_TOKEN", "Webhook verify token", "Any phrase; paste the same one where you subscribe the webhook.", "meta"),
            text("SWITCHBOARD_META_GRAPH_URL", "Graph API base URL", "With its version. Empty for https://graph.facebook.com/v25.0.", "graph_api"),
        ],
    },
    Section {
        id: "whatsapp",
        title: "WhatsApp (Cloud API)",
        about: "A WhatsApp Business phone number, through the Meta app above.",
        fields: &[
            text("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "Phone number ID", "The number's id in WhatsApp Manager (not the number itself).", "whatsapp"),
            secret("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", "Access token", "A system user's permanent token.", "whatsapp"),
            Field {
                multiline: true,
                ..text("SWITCHBOARD_WHATSAPP_TEMPLATES", "Approved templates", "A JSON list of {\"name\", \"language\", \"text\"}, with {{1}}, {{2}}… where the values go.", "whatsapp")
            },
            text("SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE", "Chat switch welcome", "The name of an approved template above, with one value at most (the visitor's first name): it greets a visitor who moves their web chat to WhatsApp. Empty: web chats can't move to WhatsApp.", "whatsapp"),
        ],
    },
    Section {
        id: "facebook",
        title: "Facebook Page and Instagram",
        about: "Messenger and the comments of a Page, and the Instagram account linked to it, through the Meta app above.",
        fields: &[
            text("SWITCHBOARD_FACEBOOK_PAGE_ID", "Page ID", "In the Page's About section.", "facebook"),
            secret("SWITCHBOARD_FACEBOOK_PAGE_TOKEN", "Page access token", "A long-lived Page token with messaging and comment permissions.", "facebook"),
            text("SWITCHBOARD_INSTAGRAM_ACCOUNT_ID", "Instagram account ID", "Optional: the professional account linked to the Page.", "facebook"),
        ],
    },
    Section {
        id: "telegram",
        title: "Telegram",
        about: "A Telegram bot: people write to it, agents answer as the bot.",
        fields: &[
            secret("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "Bot token", "From @BotFather, as 123456:ABC-DEF….", "telegram"),
            secret("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "Webhook secret token", "Any phrase; pass the same as secret_token to setWebhook. Not needed when polling.", "telegram"),
            Field {
                choices: &["webhook", "polling"],
                ..text("SWITCHBOARD_TELEGRAM_MODE", "Receive by", "polling fetches updates itself (no public URL needed).", "telegram")
            },
            text("SWITCHBOARD_TELEGRAM_API_URL", "API base URL", "Empty for https://api.telegram.org.", "telegram_api"),
        ],
    },
];

pub fn section(id: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.id == id)
}

fn field(var: &str) -> Option<&'static Field> {
    SECTIONS
        .iter()
        .flat_map(|s| s.fields)
        .find(|f| f.var == var)
}

/// What an admin saved: variable → value (never empty).
pub type Saved = BTreeMap<String, String>;

/// The layers under what an admin saves.
#[derive(Clone, Debug, Default)]
pub struct Layers {
    /// What the environment sets (the public URL too).
    pub env: ChannelConfig,
    /// Demo mode: the provider simulator's accounts.
    pub simulator: Option<ChannelConfig>,
}

/// The settings in effect.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub config: ChannelConfig,
    /// Each setting's value, by variable.
    pub values: BTreeMap<String, String>,
    /// Where each setting comes from, by variable.
    pub sources: BTreeMap<&'static str, SettingSource>,
}

impl Layers {
    /// Which groups the environment sets.
    fn env_groups(&self) -> Vec<&'static str> {
        let env = self.env.to_vars();
        SECTIONS
            .iter()
            .flat_map(|s| s.fields)
            .filter(|f| env.contains_key(f.var))
            .map(|f| f.group)
            .collect()
    }

    /// The settings in effect with `saved` on top of the environment and the simulator, or
    /// why they don't make a working configuration.
    pub fn resolve(&self, saved: &Saved) -> std::result::Result<Resolved, String> {
        let env = self.env.to_vars();
        let sim = self
            .simulator
            .as_ref()
            .map(ChannelConfig::to_vars)
            .unwrap_or_default();
        let locked = self.env_groups();
        let mut values = BTreeMap::new();
        let mut sources = BTreeMap::new();
        for section in SECTIONS {
            let saved_here = section
                .fields
                .iter()
                .any(|f| !locked.contains(&f.group) && saved.contains_key(f.var));
            for f in section.fields {
                let (source, value) = if locked.contains(&f.group) {
                    (SettingSource::Environment, env.get(f.var))
                } else if saved_here {
                    (SettingSource::Saved, saved.get(f.var))
                } else {
                    (SettingSource::Simulator, sim.get(f.var))
                };
                let source = match (source, value) {
                    (SettingSource::Environment, _) => SettingSource::Environment,
                    (s, Some(_)) => s,
                    (_, None) => SettingSource::Unset,
                };
                sources.insert(f.var, source);
                if let Some(v) = value {
                    values.insert(f.var.to_string(), v.clone());
                }
            }
        }
        let public_url = self
            .simulator
            .as_ref()
            .map_or(&self.env.public_url, |s| &s.public_url)
            .clone();
        let mut config = ChannelConfig::from_vars(&|name| {
            if name == "SWITCHBOARD_PUBLIC_URL" {
                Some(public_url.clone())
            } else {
                values.get(name).cloned()
            }
        })
        .map_err(|e| in_words(&e))?;
        config.simulator = self.simulator.as_ref().and_then(|s| s.simulator.clone());
        Ok(Resolved {
            config,
            values,
            sources,
        })
    }
}

/// A configuration message with the page's labels in place of variable names.
fn in_words(message: &str) -> String {
    let mut out = message.to_string();
    // Longest names first: one may begin another.
    let mut fields: Vec<&Field> = SECTIONS.iter().flat_map(|s| s.fields).collect();
    fields.sort_by_key(|f| std::cmp::Reverse(f.var.len()));
    for f in fields {
        if out.contains(f.var) {
            let title = SECTIONS
                .iter()
                .find(|s| s.fields.iter().any(|g| g.var == f.var))
                .map_or("", |s| s.title);
            out = out.replace(f.var, &format!("{} ({title})", f.label));
        }
    }
    out
}

/// Only the end of a secret, enough to tell two apart.
pub(crate) fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n <= 8 {
        "•".repeat(n.max(4))
    } else {
        format!("••••{}", secret.chars().skip(n - 4).collect::<String>())
    }
}

fn parse_saved(raw: Option<&str>) -> std::result::Result<Saved, String> {
    match raw {
        None => Ok(Saved::new()),
        Some(raw) => serde_json::from_str(raw).map_err(|e| format!("settings.{KEY}: {e}")),
    }
}

/// The live settings built from `raw` (what admins saved) over `layers`. Saved settings that
/// cannot be used are set aside (the server runs on the others) and named in `problem`.
pub(crate) fn build(layers: &Layers, raw: Option<String>) -> Result<Live> {
    let attempt = |saved: &Saved| -> std::result::Result<(Resolved, ChannelSet), String> {
        let resolved = layers.resolve(saved)?;
        let set = ChannelSet::new(resolved.config.accounts()).map_err(|e| e.to_string())?;
        Ok((resolved, set))
    };
    let saved = parse_saved(raw.as_deref());
    let (resolved, set, problem) = match saved.and_then(|s| attempt(&s)) {
        Ok((r, set)) => (r, set, None),
        Err(why) => {
            let (r, set) = attempt(&Saved::new()).map_err(EngineError::Config)?;
            if raw.is_some() {
                tracing::error!(problem = why, "the saved channel settings cannot be used");
            }
            (r, set, raw.as_ref().map(|_| why))
        }
    };
    Ok(Live {
        set,
        config: resolved.config,
        values: resolved.values,
        sources: resolved.sources,
        saved_raw: raw,
        problem,
    })
}

async fn load_raw<C: ConnectionTrait>(db: &C) -> Result<Option<String>> {
    Ok(setting::Entity::find_by_id(KEY)
        .one(db)
        .await?
        .map(|row| row.value))
}

impl Engine {
    /// Builds the live channels from what is saved (at start).
    pub(crate) async fn load_channels(&self) -> Result<()> {
        let raw = load_raw(&self.db().read).await?;
        self.swap_channels(build(&self.config().channels, raw)?);
        Ok(())
    }

    /// Takes settings another node saved, if any. Whether they changed.
    pub async fn reload_channels(&self) -> Result<bool> {
        let raw = load_raw(&self.db().read).await?;
        if raw == self.channels().saved_raw {
            return Ok(false);
        }
        self.swap_channels(build(&self.config().channels, raw)?);
        if self.config().serves {
            self.record_accounts().await?;
        }
        Ok(true)
    }

    /// With several nodes: looks every few seconds for settings another node saved.
    pub(crate) async fn run_channel_watch(self, token: CancellationToken) {
        let mut every = tokio::time::interval(WATCH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = every.tick() => {}
            }
            match self.reload_channels().await {
                Ok(true) => tracing::info!("channel settings changed on another node: reloaded"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the channel settings"),
            }
        }
    }

    /// The admin's view of the channels: accounts and settings, secrets masked.
    pub fn channels_overview(&self) -> ChannelsOverview {
        let live = self.channels();
        let sections = SECTIONS
            .iter()
            .map(|s| ChannelSection {
                id: s.id.into(),
                title: s.title.into(),
                about: s.about.into(),
                fields: s
                    .fields
                    .iter()
                    .map(|f| {
                        let value = live.values.get(f.var).cloned().unwrap_or_default();
                        ChannelField {
                            var: f.var.into(),
                            label: f.label.into(),
                            hint: f.hint.into(),
                            secret: f.secret,
                            multiline: f.multiline,
                            choices: f.choices.iter().map(|c| c.to_string()).collect(),
                            value: if f.secret && !value.is_empty() {
                                mask(&value)
                            } else {
                                value
                            },
                            source: live
                                .sources
                                .get(f.var)
                                .copied()
                                .unwrap_or(SettingSource::Unset),
                        }
                    })
                    .collect(),
            })
            .collect();
        ChannelsOverview {
            accounts: self.channel_accounts(),
            public_url: live.config.public_url.clone(),
            simulated: live.config.simulator.is_some(),
            sections,
            problem: live.problem.clone(),
        }
    }

    /// Saves one section's settings. A field left out keeps its value; an empty secret keeps
    /// its value (the page never has it to send back); another empty field is cleared. The
    /// result must make a working configuration, or nothing is saved.
    pub async fn save_channel_section(
        &self,
        id: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<()> {
        let section = section(id).ok_or_else(|| Rule::UnknownSetting(id.to_string()))?;
        for var in values.keys() {
            if !section.fields.iter().any(|f| f.var == var) {
                return Err(Rule::UnknownSetting(var.clone()).into());
            }
        }
        self.change_channel_settings(|saved, live| {
            for f in section.fields {
                let source = live.sources.get(f.var).copied();
                let given = values.get(f.var).map(|v| v.trim());
                if source == Some(SettingSource::Environment) {
                    if given.is_some_and(|v| {
                        !v.is_empty() && Some(v) != live.values.get(f.var).map(String::as_str)
                    }) {
                        return Err(Rule::SetByEnvironment(f.label.to_string()).into());
                    }
                    continue;
                }
                let value = match given {
                    Some(v) if !v.is_empty() => Some(v.to_string()),
                    Some(_) if !f.secret => None,
                    _ => live.values.get(f.var).cloned(),
                };
                match value {
                    Some(v) => saved.insert(f.var.to_string(), v),
                    None => saved.remove(f.var),
                };
            }
            Ok(())
        })
        .await
    }

    /// Removes what was saved for one section: it falls back to the simulator (demo mode) or
    /// to nothing. Refused when other channels need it.
    pub async fn clear_channel_section(&self, id: &str) -> Result<()> {
        let section = section(id).ok_or_else(|| Rule::UnknownSetting(id.to_string()))?;
        self.change_channel_settings(|saved, _| {
            for f in section.fields {
                saved.remove(f.var);
            }
            Ok(())
        })
        .await
    }

    /// Reads what is saved, changes it, checks the result, stores it and swaps it in, in one
    /// transaction (PostgreSQL: with the row locked, so two admins' saves don't undo each
    /// other).
    async fn change_channel_settings(
        &self,
        change: impl Fn(&mut Saved, &Live) -> Result<()>,
    ) -> Result<()> {
        let layers = &self.config().channels;
        let live = retrying(|| async {
            let tx = Tx::begin(self).await?;
            setting::Entity::insert(setting::ActiveModel {
                key: Set(KEY.into()),
                value: Set("{}".into()),
            })
            .on_conflict(
                OnConflict::column(setting::Column::Key)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&tx.txn)
            .await?;
            let mut select = setting::Entity::find_by_id(KEY);
            if tx.backend() == Backend::Postgres {
                select = select.lock_exclusive();
            }
            let raw = select.one(&tx.txn).await?.map(|r| r.value);
            let mut saved = parse_saved(raw.as_deref()).map_err(EngineError::Corrupt)?;
            change(&mut saved, &self.channels())?;
            for var in saved.keys() {
                if field(var).is_none() {
                    return Err(EngineError::Corrupt(format!(
                        "settings.{KEY}: unknown {var}"
                    )));
                }
            }
            layers.resolve(&saved).map_err(Rule::ChannelSettings)?;
            let value =
                serde_json::to_string(&saved).map_err(|e| EngineError::Internal(e.to_string()))?;
            let live = build(layers, Some(value.clone()))?;
            if let Some(problem) = &live.problem {
                return Err(Rule::ChannelSettings(problem.clone()).into());
            }
            setting::Entity::update(setting::ActiveModel {
                key: Set(KEY.into()),
                value: Set(value),
            })
            .exec(&tx.txn)
            .await?;
            tx.commit().await?;
            Ok(live)
        })
        .await?;
        self.swap_channels(live);
        self.record_accounts().await?;
        tracing::info!("channel settings saved");
        Ok(())
    }

    fn swap_channels(&self, live: Live) {
        let mut slot = self
            .inner
            .channels
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Arc::new(live);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(pairs: &[(&str, &str)]) -> Saved {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn simulator() -> ChannelConfig {
        ChannelConfig::from_vars(&|name| {
            saved(&[
                ("SWITCHBOARD_PUBLIC_URL", "http://127.0.0.1:4000"),
                ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "100:sim"),
                ("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "sim-secret"),
                (
                    "SWITCHBOARD_TELEGRAM_API_URL",
                    "http://127.0.0.1:4000/simulator/api/telegram",
                ),
                ("SWITCHBOARD_TWILIO_ACCOUNT_SID", "ACsim"),
                ("SWITCHBOARD_TWILIO_AUTH_TOKEN", "sim-token"),
                ("SWITCHBOARD_TWILIO_NUMBER", "+15005550006"),
            ])
            .get(name)
            .cloned()
        })
        .map(|mut c| {
            c.simulator = Some("http://127.0.0.1:4000".into());
            c
        })
        .unwrap()
    }

    #[test]
    fn saved_settings_replace_the_simulator_per_section_and_the_environment_wins() {
        let layers = Layers {
            env: ChannelConfig::from_vars(&|name| {
                saved(&[("SWITCHBOARD_TWILIO_API_URL", "http://127.0.0.1:9/fake")])
                    .get(name)
                    .cloned()
            })
            .unwrap(),
            simulator: Some(simulator()),
        };
        let r = layers
            .resolve(&saved(&[
                ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "700:real"),
                ("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "mine"),
            ]))
            .unwrap();
        let telegram = r.config.telegram.clone().unwrap();
        assert_eq!(telegram.bot_token, "700:real");
        // The saved section does not borrow the simulator's API URL: Telegram itself.
        assert_eq!(r.config.telegram_api, super::super::config::TELEGRAM_API);
        assert_eq!(
            r.sources["SWITCHBOARD_TELEGRAM_BOT_TOKEN"],
            SettingSource::Saved
        );
        assert_eq!(
            r.sources["SWITCHBOARD_TELEGRAM_API_URL"],
            SettingSource::Unset
        );
        // Twilio stays the simulator's, except what the environment sets.
        assert_eq!(r.config.twilio.unwrap().account_sid, "ACsim");
        assert_eq!(
            r.sources["SWITCHBOARD_TWILIO_AUTH_TOKEN"],
            SettingSource::Simulator
        );
        assert_eq!(r.config.twilio_api, "http://127.0.0.1:9/fake");
        assert_eq!(
            r.sources["SWITCHBOARD_TWILIO_API_URL"],
            SettingSource::Environment
        );
        assert_eq!(r.config.public_url, "http://127.0.0.1:4000");
        assert_eq!(r.config.simulator.as_deref(), Some("http://127.0.0.1:4000"));
        assert_eq!(
            r.sources["SWITCHBOARD_META_APP_SECRET"],
            SettingSource::Unset
        );
    }

    #[test]
    fn an_environment_group_ignores_what_was_saved_for_it() {
        let layers = Layers {
            env: ChannelConfig::from_vars(&|name| {
                saved(&[
                    ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "700:env"),
                    ("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "env"),
                ])
                .get(name)
                .cloned()
            })
            .unwrap(),
            simulator: None,
        };
        let r = layers
            .resolve(&saved(&[("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "800:saved")]))
            .unwrap();
        assert_eq!(r.config.telegram.unwrap().bot_token, "700:env");
        assert_eq!(
            r.sources["SWITCHBOARD_TELEGRAM_MODE"],
            SettingSource::Environment
        );
    }

    #[test]
    fn a_broken_configuration_is_explained_with_the_page_labels() {
        let layers = Layers::default();
        let err = layers
            .resolve(&saved(&[("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "1065")]))
            .unwrap_err();
        assert!(err.contains("Access token (WhatsApp (Cloud API))"), "{err}");
        assert!(!err.contains("SWITCHBOARD_"), "{err}");
    }

    #[test]
    fn unusable_saved_settings_are_set_aside_and_named() {
        let layers = Layers {
            env: ChannelConfig::default(),
            simulator: Some(simulator()),
        };
        let live = build(
            &layers,
            Some(
                r#"{"SWITCHBOARD_TELEGRAM_BOT_TOKEN":"no-colon","SWITCHBOARD_TELEGRAM_SECRET_TOKEN":"s"}"#
                    .into(),
            ),
        )
        .unwrap();
        assert!(live.problem.as_deref().unwrap().contains("Bot token"));
        assert_eq!(live.config.telegram.as_ref().unwrap().bot_token, "100:sim");
        let fine = build(&layers, None).unwrap();
        assert_eq!(fine.problem, None);
    }

    #[test]
    fn every_field_is_a_variable_the_configuration_reads() {
        let all: Vec<&str> = SECTIONS
            .iter()
            .flat_map(|s| s.fields)
            .map(|f| f.var)
            .collect();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        let read = std::sync::Mutex::new(Vec::new());
        let _ = ChannelConfig::from_vars(&|name| {
            read.lock().unwrap().push(name.to_string());
            None
        });
        let read = read.into_inner().unwrap();
        for var in all {
            assert!(read.iter().any(|r| r == var), "{var} is never read");
        }
        assert_eq!(mask("EAAGm0PX4ZCpsBAKZC0"), "••••KZC0");
    }
}
