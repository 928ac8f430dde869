//! Provider channels as configuration gives them (environment variables, for automated
//! deployments): which accounts connect, and what each webhook checks against. Secrets never
//! leave the server.

use super::{ConnectedAccount, Template};
use switchboard_channels::{Account, ApiAuth, WebhookSecrets};

pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";
pub const TWILIO_API: &str = "https://api.twilio.com";
pub const GRAPH_API: &str = "https://graph.facebook.com/v25.0";
pub const TELEGRAM_API: &str = "https://api.telegram.org";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Twilio {
    pub account_sid: String,
    pub auth_token: String,
    /// E.164 sender number.
    pub number: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Whatsapp {
    pub phone_number_id: String,
    pub access_token: String,
    /// Approved templates (`SWITCHBOARD_WHATSAPP_TEMPLATES`, a JSON array of
    /// `{"name", "language", "text"}` with `{{1}}`, `{{2}}`… where the values go).
    pub templates: Vec<Template>,
    /// The approved template (by name) that greets a visitor who moves their web chat to
    /// WhatsApp (`SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE`): the business may write first only
    /// that way. It takes at most one value, the visitor's first name. Without it, web chats
    /// cannot move to WhatsApp.
    pub switch_template: Option<String>,
}

impl Whatsapp {
    /// The chat switch's welcome template, when one is set.
    pub fn switch_welcome(&self) -> Option<&Template> {
        let name = self.switch_template.as_deref()?;
        self.templates.iter().find(|t| t.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facebook {
    pub page_id: String,
    pub page_token: String,
    /// An Instagram professional account linked to the Page (sent through the Page's token).
    pub instagram_account_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Telegram {
    pub bot_token: String,
    /// Checks the webhook (`setWebhook`'s `secret_token`); unused when polling.
    pub secret_token: String,
    /// `SWITCHBOARD_TELEGRAM_MODE=polling`: fetch updates with `getUpdates` instead of a
    /// webhook (machines without a public URL). The webhook endpoint then refuses everything.
    pub polling: bool,
}

/// Every channel's settings. Secrets never leave the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Where providers reach us (Twilio signs over it): `SWITCHBOARD_PUBLIC_URL`.
    pub public_url: String,
    pub twilio: Option<Twilio>,
    pub twilio_api: String,
    pub whatsapp: Option<Whatsapp>,
    /// Meta app secret (signs WhatsApp, Messenger, Page and Instagram webhooks) and the
    /// verify token of the subscription handshake.
    pub meta_app_secret: Option<String>,
    pub meta_verify_token: Option<String>,
    /// Graph API base URL with its version.
    pub graph_api: String,
    pub facebook: Option<Facebook>,
    pub telegram: Option<Telegram>,
    pub telegram_api: String,
    /// Demo mode: every channel is connected to the provider simulator, which posts its
    /// webhooks to this origin (the server's own address).
    pub simulator: Option<String>,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            public_url: DEFAULT_PUBLIC_URL.into(),
            twilio: None,
            twilio_api: TWILIO_API.into(),
            whatsapp: None,
            meta_app_secret: None,
            meta_verify_token: None,
            graph_api: GRAPH_API.into(),
            facebook: None,
            telegram: None,
            telegram_api: TELEGRAM_API.into(),
            simulator: None,
        }
    }
}

/// Reads a variable; blank counts as unset.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn read(var: Lookup, name: &str) -> Option<String> {
    var(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// All of a group's variables or none of them.
fn group<const N: usize>(var: Lookup, names: [&str; N]) -> Result<Option<[String; N]>, String> {
    let values: Vec<Option<String>> = names.iter().map(|n| read(var, n)).collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} must be set too (the channel needs all of them)",
            missing.join(", ")
        ));
    }
    Ok(Some(std::array::from_fn(|i| {
        values[i].clone().unwrap_or_default()
    })))
}

fn base_url(var: Lookup, name: &str, default: &str) -> Result<String, String> {
    let url = read(var, name).unwrap_or_else(|| default.into());
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{name} must be an http(s) URL, not {url:?}"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

impl ChannelConfig {
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(&|name| std::env::var(name).ok())
    }

    /// As `from_env`, with the variables read through `var`.
    pub fn from_vars(var: Lookup) -> Result<Self, String> {
        let public_url = base_url(var, "SWITCHBOARD_PUBLIC_URL", DEFAULT_PUBLIC_URL)?;
        let twilio = group(
            var,
            [
                "SWITCHBOARD_TWILIO_ACCOUNT_SID",
                "SWITCHBOARD_TWILIO_AUTH_TOKEN",
                "SWITCHBOARD_TWILIO_NUMBER",
            ],
        )?
        .map(|[account_sid, auth_token, number]| Twilio {
            account_sid,
            auth_token,
            number,
        });
        let templates = match read(var, "SWITCHBOARD_WHATSAPP_TEMPLATES") {
            None => vec![],
            Some(json) => serde_json::from_str::<Vec<Template>>(&json).map_err(|e| {
                format!("SWITCHBOARD_WHATSAPP_TEMPLATES must be a JSON array of {{\"name\", \"language\", \"text\"}}: {e}")
            })?,
        };
        let switch_template = read(var, "SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE");
        let whatsapp = group(
            var,
            [
                "SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID",
                "SWITCHBOARD_WHATSAPP_ACCESS_TOKEN",
            ],
        )?
        .map(|[phone_number_id, access_token]| Whatsapp {
            phone_number_id,
            access_token,
            templates,
            switch_template,
        });
        if let Some(w) = &whatsapp {
            if let Some(name) = &w.switch_template {
                match w.switch_welcome() {
                    None => {
                        return Err(format!(
                            "SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE names {name:?}, which is not among the approved templates"
                        ))
                    }
                    Some(t) if t.parameters() > 1 => {
                        return Err(format!(
                            "SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE: {name:?} takes {} values; the chat switch welcome may take one at most (the visitor's first name)",
                            t.parameters()
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        let facebook = group(
            var,
            [
                "SWITCHBOARD_FACEBOOK_PAGE_ID",
                "SWITCHBOARD_FACEBOOK_PAGE_TOKEN",
            ],
        )?
        .map(|[page_id, page_token]| Facebook {
            page_id,
            page_token,
            instagram_account_id: read(var, "SWITCHBOARD_INSTAGRAM_ACCOUNT_ID"),
        });
        if facebook.is_none() && read(var, "SWITCHBOARD_INSTAGRAM_ACCOUNT_ID").is_some() {
            return Err("SWITCHBOARD_INSTAGRAM_ACCOUNT_ID needs SWITCHBOARD_FACEBOOK_PAGE_ID and SWITCHBOARD_FACEBOOK_PAGE_TOKEN (Instagram is sent through the linked Page)".into());
        }
        let polling = match read(var, "SWITCHBOARD_TELEGRAM_MODE").as_deref() {
            None | Some("webhook") => false,
            Some("polling") => true,
            Some(other) => {
                return Err(format!(
                    "SWITCHBOARD_TELEGRAM_MODE must be webhook or polling, not {other:?}"
                ))
            }
        };
        let telegram = if polling {
            let bot_token = read(var, "SWITCHBOARD_TELEGRAM_BOT_TOKEN")
                .ok_or("SWITCHBOARD_TELEGRAM_MODE=polling needs SWITCHBOARD_TELEGRAM_BOT_TOKEN")?;
            Some(Telegram {
                bot_token,
                secret_token: String::new(),
                polling,
            })
        } else {
            group(
                var,
                [
                    "SWITCHBOARD_TELEGRAM_BOT_TOKEN",
                    "SWITCHBOARD_TELEGRAM_SECRET_TOKEN",
                ],
            )?
            .map(|[bot_token, secret_token]| Telegram {
                bot_token,
                secret_token,
                polling,
            })
        };
        if let Some(t) = &telegram {
            if switchboard_channels::telegram::bot_id(&t.bot_token).is_none() {
                return Err(
                    "SWITCHBOARD_TELEGRAM_BOT_TOKEN must look like <bot id>:<secret>".into(),
                );
            }
        }
        let config = Self {
            public_url,
            twilio,
            twilio_api: base_url(var, "SWITCHBOARD_TWILIO_API_URL", TWILIO_API)?,
            whatsapp,
            meta_app_secret: read(var, "SWITCHBOARD_META_APP_SECRET"),
            meta_verify_token: read(var, "SWITCHBOARD_META_VERIFY_TOKEN"),
            graph_api: base_url(var, "SWITCHBOARD_META_GRAPH_URL", GRAPH_API)?,
            facebook,
            telegram,
            telegram_api: base_url(var, "SWITCHBOARD_TELEGRAM_API_URL", TELEGRAM_API)?,
            simulator: None,
        };
        if (config.whatsapp.is_some() || config.facebook.is_some())
            && config.meta_app_secret.is_none()
        {
            return Err("SWITCHBOARD_META_APP_SECRET must be set for WhatsApp and Facebook/Instagram (it checks their webhooks)".into());
        }
        Ok(config)
    }

    /// The variables that give this configuration (the inverse of `from_vars`, without the
    /// public URL). API base URLs at their default and the default Telegram mode are left
    /// out: they are not set.
    pub fn to_vars(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        let mut put = |name: &str, value: &str| {
            out.insert(name.to_string(), value.to_string());
        };
        if let Some(t) = &self.twilio {
            put("SWITCHBOARD_TWILIO_ACCOUNT_SID", &t.account_sid);
            put("SWITCHBOARD_TWILIO_AUTH_TOKEN", &t.auth_token);
            put("SWITCHBOARD_TWILIO_NUMBER", &t.number);
        }
        if self.twilio_api != TWILIO_API {
            put("SWITCHBOARD_TWILIO_API_URL", &self.twilio_api);
        }
        if let Some(w) = &self.whatsapp {
            put("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", &w.phone_number_id);
            put("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", &w.access_token);
            if !w.templates.is_empty() {
                if let Ok(json) = serde_json::to_string(&w.templates) {
                    put("SWITCHBOARD_WHATSAPP_TEMPLATES", &json);
                }
            }
            if let Some(name) = &w.switch_template {
                put("SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE", name);
            }
        }
        if let Some(s) = &self.meta_app_secret {
            put("SWITCHBOARD_META_APP_SECRET", s);
        }
        if let Some(t) = &self.meta_verify_token {
            put("SWITCHBOARD_META_VERIFY_TOKEN", t);
        }
        if self.graph_api != GRAPH_API {
            put("SWITCHBOARD_META_GRAPH_URL", &self.graph_api);
        }
        if let Some(f) = &self.facebook {
            put("SWITCHBOARD_FACEBOOK_PAGE_ID", &f.page_id);
            put("SWITCHBOARD_FACEBOOK_PAGE_TOKEN", &f.page_token);
            if let Some(ig) = &f.instagram_account_id {
                put("SWITCHBOARD_INSTAGRAM_ACCOUNT_ID", ig);
            }
        }
        if let Some(t) = &self.telegram {
            put("SWITCHBOARD_TELEGRAM_BOT_TOKEN", &t.bot_token);
            if t.polling {
                put("SWITCHBOARD_TELEGRAM_MODE", "polling");
            } else {
                put("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", &t.secret_token);
            }
        }
        if self.telegram_api != TELEGRAM_API {
            put("SWITCHBOARD_TELEGRAM_API_URL", &self.telegram_api);
        }
        out
    }

    /// Whether any channel is connected.
    pub fn any(&self) -> bool {
        self.twilio.is_some()
            || self.whatsapp.is_some()
            || self.facebook.is_some()
            || self.telegram.is_some()
    }

    /// The accounts the engine connects.
    pub fn accounts(&self) -> Vec<ConnectedAccount> {
        let mut out = vec![];
        if let Some(t) = &self.twilio {
            let mut account = Account::new(
                &t.number,
                &self.twilio_api,
                ApiAuth::Basic {
                    username: t.account_sid.clone(),
                    password: t.auth_token.clone(),
                },
            );
            account.status_callback_url =
                Some(format!("{}/webhooks/twilio/status", self.public_url));
            out.push(ConnectedAccount {
                adapter: "twilio_sms".into(),
                name: format!("SMS {}", t.number),
                account,
                templates: vec![],
                poll: false,
            });
        }
        if let Some(w) = &self.whatsapp {
            let account = Account::new(
                &w.phone_number_id,
                &self.graph_api,
                ApiAuth::Bearer {
                    token: w.access_token.clone(),
                },
            );
            out.push(ConnectedAccount {
                adapter: "whatsapp_cloud".into(),
                name: "WhatsApp".into(),
                account,
                templates: w.templates.clone(),
                poll: false,
            });
        }
        if let Some(f) = &self.facebook {
            let auth = ApiAuth::AccessTokenQuery {
                token: f.page_token.clone(),
            };
            out.push(ConnectedAccount {
                adapter: "messenger".into(),
                name: "Messenger".into(),
                account: Account::new(&f.page_id, &self.graph_api, auth.clone()),
                templates: vec![],
                poll: false,
            });
            out.push(ConnectedAccount {
                adapter: "page_comments".into(),
                name: "Facebook Page".into(),
                account: Account::new(&f.page_id, &self.graph_api, auth.clone()),
                templates: vec![],
                poll: false,
            });
            if let Some(ig) = &f.instagram_account_id {
                let mut account = Account::new(ig, &self.graph_api, auth);
                account.send_node = Some(f.page_id.clone());
                out.push(ConnectedAccount {
                    adapter: "instagram".into(),
                    name: "Instagram".into(),
                    account,
                    templates: vec![],
                    poll: false,
                });
            }
        }
        if let Some(t) = &self.telegram {
            let id = switchboard_channels::telegram::bot_id(&t.bot_token).unwrap_or_default();
            out.push(ConnectedAccount {
                adapter: "telegram".into(),
                name: "Telegram".into(),
                account: Account::new(
                    id,
                    &self.telegram_api,
                    ApiAuth::BotToken {
                        token: t.bot_token.clone(),
                    },
                ),
                templates: vec![],
                poll: t.polling,
            });
        }
        out
    }

    /// What a webhook endpoint checks against; none when its channel is not configured.
    pub fn secrets(&self, endpoint: &str) -> Option<WebhookSecrets> {
        let meta = || {
            self.meta_app_secret.as_ref().map(|s| {
                let secrets = WebhookSecrets::new(s);
                match &self.meta_verify_token {
                    Some(t) => secrets.with_verify_token(t),
                    None => secrets,
                }
            })
        };
        match endpoint {
            "twilio" => self
                .twilio
                .as_ref()
                .map(|t| WebhookSecrets::new(&t.auth_token)),
            "whatsapp" => self.whatsapp.as_ref().and_then(|_| meta()),
            "meta" => self.facebook.as_ref().and_then(|_| meta()),
            "telegram" => self.telegram.as_ref().filter(|t| !t.polling).map(|t| {
                WebhookSecrets::new(&t.secret_token).with_account(
                    switchboard_channels::telegram::bot_id(&t.bot_token).unwrap_or_default(),
                )
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<ChannelConfig, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ChannelConfig::from_vars(&|name| map.get(name).cloned())
    }

    #[test]
    fn nothing_set_connects_nothing_and_keeps_the_real_provider_urls() {
        let c = parse(&[]).unwrap();
        assert_eq!(c, ChannelConfig::default());
        assert!(c.accounts().is_empty());
        assert!(["twilio", "whatsapp", "meta", "telegram"]
            .iter()
            .all(|e| c.secrets(e).is_none()));
    }

    #[test]
    fn a_partial_channel_is_refused_naming_what_is_missing() {
        let err = parse(&[
            ("SWITCHBOARD_TWILIO_ACCOUNT_SID", "AC1"),
            ("SWITCHBOARD_TWILIO_NUMBER", "+15550001111"),
        ])
        .unwrap_err();
        assert!(err.contains("SWITCHBOARD_TWILIO_AUTH_TOKEN"), "{err}");
        let err = parse(&[
            ("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "1"),
            ("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", "t"),
        ])
        .unwrap_err();
        assert!(err.contains("SWITCHBOARD_META_APP_SECRET"), "{err}");
        let err = parse(&[("SWITCHBOARD_INSTAGRAM_ACCOUNT_ID", "17")]).unwrap_err();
        assert!(err.contains("SWITCHBOARD_FACEBOOK_PAGE_ID"), "{err}");
        let err = parse(&[
            ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "no-colon"),
            ("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "s"),
        ])
        .unwrap_err();
        assert!(err.contains("<bot id>:<secret>"), "{err}");
        let err = parse(&[("SWITCHBOARD_TWILIO_API_URL", "api.twilio.com")]).unwrap_err();
        assert!(err.contains("SWITCHBOARD_TWILIO_API_URL"), "{err}");
    }

    #[test]
    fn a_configuration_reads_back_from_its_variables() {
        let vars = [
            ("SWITCHBOARD_TWILIO_ACCOUNT_SID", "AC1"),
            ("SWITCHBOARD_TWILIO_AUTH_TOKEN", "tw"),
            ("SWITCHBOARD_TWILIO_NUMBER", "+15550001111"),
            ("SWITCHBOARD_TWILIO_API_URL", "http://127.0.0.1:9/twilio"),
            ("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "1065"),
            ("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", "wa"),
            (
                "SWITCHBOARD_WHATSAPP_TEMPLATES",
                r#"[{"name":"hello","language":"en_US","text":"Hi {{1}}"}]"#,
            ),
            ("SWITCHBOARD_META_APP_SECRET", "app"),
            ("SWITCHBOARD_META_VERIFY_TOKEN", "verify"),
            ("SWITCHBOARD_FACEBOOK_PAGE_ID", "123"),
            ("SWITCHBOARD_FACEBOOK_PAGE_TOKEN", "page"),
            ("SWITCHBOARD_INSTAGRAM_ACCOUNT_ID", "1784"),
            ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "700:abc"),
            ("SWITCHBOARD_TELEGRAM_MODE", "polling"),
        ];
        let c = parse(&vars).unwrap();
        let back = c.to_vars();
        assert_eq!(
            back,
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        );
        let again = ChannelConfig::from_vars(&|name| back.get(name).cloned()).unwrap();
        assert_eq!(again, c);
        assert!(ChannelConfig::default().to_vars().is_empty());
    }

    #[test]
    fn telegram_polls_with_its_token_alone_and_then_takes_no_webhook() {
        let c = parse(&[
            ("SWITCHBOARD_TELEGRAM_MODE", "polling"),
            ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "700:abc"),
        ])
        .unwrap();
        let accounts = c.accounts();
        assert_eq!(accounts.len(), 1);
        assert!(accounts[0].poll);
        assert_eq!(
            c.secrets("telegram"),
            None,
            "the webhook refuses everything"
        );
        let err = parse(&[("SWITCHBOARD_TELEGRAM_MODE", "polling")]).unwrap_err();
        assert!(err.contains("SWITCHBOARD_TELEGRAM_BOT_TOKEN"), "{err}");
        let err = parse(&[("SWITCHBOARD_TELEGRAM_MODE", "push")]).unwrap_err();
        assert!(err.contains("webhook or polling"), "{err}");
        let hooked = parse(&[
            ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "700:abc"),
            ("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "s"),
        ])
        .unwrap();
        assert!(!hooked.accounts()[0].poll);
    }

    #[test]
    fn templates_come_as_json_and_bad_json_is_refused() {
        let base = [
            ("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "1"),
            ("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", "t"),
            ("SWITCHBOARD_META_APP_SECRET", "a"),
        ];
        let mut vars = base.to_vec();
        vars.push((
            "SWITCHBOARD_WHATSAPP_TEMPLATES",
            r#"[{"name":"order_update","language":"en_US","text":"Hi {{1}}"}]"#,
        ));
        let c = parse(&vars).unwrap();
        assert_eq!(
            c.accounts()[0].templates,
            vec![Template {
                name: "order_update".into(),
                language: "en_US".into(),
                text: "Hi {{1}}".into()
            }]
        );
        let mut bad = base.to_vec();
        bad.push(("SWITCHBOARD_WHATSAPP_TEMPLATES", "order_update"));
        assert!(parse(&bad)
            .unwrap_err()
            .contains("SWITCHBOARD_WHATSAPP_TEMPLATES"));
    }

    #[test]
    fn the_switch_welcome_must_be_an_approved_template_with_one_value_at_most() {
        let with = |templates: &str, name: &str| {
            parse(&[
                ("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "1"),
                ("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", "t"),
                ("SWITCHBOARD_WHATSAPP_TEMPLATES", templates),
                ("SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE", name),
                ("SWITCHBOARD_META_APP_SECRET", "a"),
            ])
        };
        let two = r#"[{"name":"hello","language":"en","text":"Hi {{1}}"},{"name":"order","language":"en","text":"{{1}} {{2}}"}]"#;
        let c = with(two, "hello").unwrap();
        let w = c.whatsapp.as_ref().unwrap();
        assert_eq!(w.switch_welcome().map(|t| t.name.as_str()), Some("hello"));
        // It round-trips through the variables admins save.
        assert_eq!(
            c.to_vars()
                .get("SWITCHBOARD_WHATSAPP_SWITCH_TEMPLATE")
                .map(String::as_str),
            Some("hello")
        );
        assert!(with(two, "missing")
            .unwrap_err()
            .contains("not among the approved templates"));
        assert!(with(two, "order").unwrap_err().contains("one at most"));
        assert_eq!(
            with(two, " ").unwrap().whatsapp.unwrap().switch_template,
            None
        );
    }

    #[test]
    fn every_channel_becomes_accounts_and_webhook_secrets() {
        let c = parse(&[
            ("SWITCHBOARD_PUBLIC_URL", "https://chat.example.com/"),
            ("SWITCHBOARD_TWILIO_ACCOUNT_SID", "AC1"),
            ("SWITCHBOARD_TWILIO_AUTH_TOKEN", "tw"),
            ("SWITCHBOARD_TWILIO_NUMBER", "+15550001111"),
            ("SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID", "1065"),
            ("SWITCHBOARD_WHATSAPP_ACCESS_TOKEN", "wa"),
            ("SWITCHBOARD_META_APP_SECRET", "app"),
            ("SWITCHBOARD_META_VERIFY_TOKEN", "verify"),
            ("SWITCHBOARD_FACEBOOK_PAGE_ID", "123"),
            ("SWITCHBOARD_FACEBOOK_PAGE_TOKEN", "page"),
            ("SWITCHBOARD_INSTAGRAM_ACCOUNT_ID", "1784"),
            ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "700:abc"),
            ("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", "tg"),
            ("SWITCHBOARD_META_GRAPH_URL", "http://127.0.0.1:9/v25.0"),
        ])
        .unwrap();
        let accounts: Vec<(String, String)> = c
            .accounts()
            .into_iter()
            .map(|a| (a.adapter, a.account.address))
            .collect();
        let expected = [
            ("twilio_sms", "+15550001111"),
            ("whatsapp_cloud", "1065"),
            ("messenger", "123"),
            ("page_comments", "123"),
            ("instagram", "1784"),
            ("telegram", "700"),
        ];
        assert_eq!(
            accounts,
            expected
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        );
        let sms = &c.accounts()[0].account;
        assert_eq!(
            sms.status_callback_url.as_deref(),
            Some("https://chat.example.com/webhooks/twilio/status")
        );
        assert_eq!(sms.api_base, TWILIO_API);
        let instagram = &c.accounts()[4].account;
        assert_eq!(
            (instagram.send_node.as_deref(), instagram.api_base.as_str()),
            (Some("123"), "http://127.0.0.1:9/v25.0")
        );
        assert_eq!(c.secrets("twilio"), Some(WebhookSecrets::new("tw")));
        assert_eq!(
            c.secrets("meta"),
            Some(WebhookSecrets::new("app").with_verify_token("verify"))
        );
        assert_eq!(
            c.secrets("telegram"),
            Some(WebhookSecrets::new("tg").with_account("700"))
        );
        assert_eq!(c.secrets("nope"), None);
    }
}
