//! The connection test of the admin page: one harmless read per provider that succeeds only
//! with working credentials, and what its answer says in plain words (the account's name on
//! success, the reason otherwise).

use crate::http::{join, segment, Headers, HttpRequest, Method};
use crate::json::{str_at, str_of};
use crate::meta::{graph_request, GraphBody};
use crate::outbound::{Account, ApiAuth, SendError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use switchboard_domain::Channel;

/// The request that proves an account's credentials, by its adapter id.
pub fn probe_request(adapter: &str, account: &Account) -> Result<HttpRequest, SendError> {
    match adapter {
        "twilio_sms" | "twilio_whatsapp" => {
            let ApiAuth::Basic { username, password } = &account.auth else {
                return Err(SendError::Misconfigured(
                    "Twilio needs Basic auth (AccountSid or API key and secret)",
                ));
            };
            let sid = account.twilio_account_sid.as_deref().unwrap_or(username);
            let mut headers = Headers::new();
            headers.insert(
                "Authorization",
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("{username}:{password}"))
                ),
            );
            Ok(HttpRequest {
                method: Method::Get,
                url: join(
                    &account.api_base,
                    &format!("/2010-04-01/Accounts/{}.json", segment(sid)),
                ),
                headers,
                body: vec![],
            })
        }
        "whatsapp_cloud" => graph_request(
            account,
            Method::Get,
            &format!(
                "/{}?fields=display_phone_number,verified_name",
                segment(&account.address)
            ),
            GraphBody::Empty,
        ),
        "messenger" | "page_comments" => graph_request(
            account,
            Method::Get,
            &format!("/{}?fields=name", segment(&account.address)),
            GraphBody::Empty,
        ),
        "instagram" => graph_request(
            account,
            Method::Get,
            &format!("/{}?fields=username", segment(&account.address)),
            GraphBody::Empty,
        ),
        "telegram" => {
            let ApiAuth::BotToken { token } = &account.auth else {
                return Err(SendError::Misconfigured("Telegram needs a bot token"));
            };
            Ok(HttpRequest {
                method: Method::Get,
                url: join(&account.api_base, &format!("/bot{}/getMe", segment(token))),
                headers: Headers::new(),
                body: vec![],
            })
        }
        _ => Err(SendError::Misconfigured(
            "no connection test for this adapter",
        )),
    }
}

/// The account's name as the provider knows it, or why the test failed.
pub fn read_probe(adapter: &str, status: u16, body: &[u8]) -> Result<String, String> {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let ok = (200..300).contains(&status);
    match adapter {
        "twilio_sms" | "twilio_whatsapp" => match (ok, status) {
            (true, _) => Ok(str_of(&v, "friendly_name").unwrap_or_else(|| "Twilio account".into())),
            (false, 401 | 403 | 404) => Err("Twilio refused the Account SID or Auth Token.".into()),
            _ => Err(format!(
                "Twilio answered {status}: {}",
                str_of(&v, "message").unwrap_or_default()
            )),
        },
        "whatsapp_cloud" | "messenger" | "page_comments" | "instagram" => {
            if ok {
                let name = match adapter {
                    "whatsapp_cloud" => match (
                        str_of(&v, "verified_name"),
                        str_of(&v, "display_phone_number"),
                    ) {
                        (Some(n), Some(p)) => format!("{n} ({p})"),
                        (n, p) => n.or(p).unwrap_or_else(|| "WhatsApp number".into()),
                    },
                    "instagram" => str_of(&v, "username")
                        .map(|u| format!("@{u}"))
                        .unwrap_or_else(|| "Instagram account".into()),
                    _ => str_of(&v, "name").unwrap_or_else(|| "Facebook Page".into()),
                };
                return Ok(name);
            }
            let channel = match adapter {
                "whatsapp_cloud" => Channel::Whatsapp,
                "instagram" => Channel::Instagram,
                _ => Channel::Messenger,
            };
            let code = v
                .pointer("/error/code")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let subcode = v.pointer("/error/error_subcode").and_then(Value::as_i64);
            let message = str_at(&v, &["error", "message"]);
            Err(crate::meta::graph_error(channel, code, subcode, message.as_deref(), None).reason)
        }
        "telegram" => {
            if ok && v.get("ok").and_then(Value::as_bool) == Some(true) {
                Ok(str_at(&v, &["result", "username"])
                    .map(|u| format!("@{u}"))
                    .unwrap_or_else(|| "Telegram bot".into()))
            } else if status == 401 || status == 404 {
                Err("Telegram refused the bot token.".into())
            } else {
                Err(format!(
                    "Telegram answered {status}: {}",
                    str_of(&v, "description").unwrap_or_default()
                ))
            }
        }
        _ => Err("no connection test for this adapter".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_is_asked_with_its_own_credentials() {
        let twilio = Account::new(
            "+15550001111",
            "https://api.twilio.com",
            ApiAuth::Basic {
                username: "AC1".into(),
                password: "tok".into(),
            },
        );
        let r = probe_request("twilio_sms", &twilio).unwrap();
        assert_eq!(
            (r.method, r.url.as_str()),
            (
                Method::Get,
                "https://api.twilio.com/2010-04-01/Accounts/AC1.json"
            )
        );
        assert_eq!(r.headers.get("authorization"), Some("Basic QUMxOnRvaw=="));
        let wa = Account::new(
            "1065",
            "https://graph.facebook.com/v25.0",
            ApiAuth::Bearer { token: "t".into() },
        );
        let r = probe_request("whatsapp_cloud", &wa).unwrap();
        assert_eq!(
            r.url,
            "https://graph.facebook.com/v25.0/1065?fields=display_phone_number,verified_name"
        );
        assert_eq!(r.headers.get("authorization"), Some("Bearer t"));
        let page = Account::new(
            "123",
            "https://graph.facebook.com/v25.0",
            ApiAuth::AccessTokenQuery { token: "p".into() },
        );
        assert_eq!(
            probe_request("messenger", &page).unwrap().url,
            "https://graph.facebook.com/v25.0/123?fields=name&access_token=p"
        );
        let bot = Account::new(
            "700",
            "https://api.telegram.org",
            ApiAuth::BotToken {
                token: "700:abc".into(),
            },
        );
        assert_eq!(
            probe_request("telegram", &bot).unwrap().url,
            "https://api.telegram.org/bot700:abc/getMe"
        );
        assert!(probe_request("fax", &bot).is_err());
    }

    #[test]
    fn answers_read_as_a_name_or_a_reason() {
        assert_eq!(
            read_probe("twilio_sms", 200, br#"{"friendly_name":"Acme support"}"#),
            Ok("Acme support".into())
        );
        assert_eq!(
            read_probe("twilio_sms", 401, br#"{"code":20003}"#),
            Err("Twilio refused the Account SID or Auth Token.".into())
        );
        assert_eq!(
            read_probe(
                "whatsapp_cloud",
                200,
                br#"{"verified_name":"Acme","display_phone_number":"+1 555"}"#
            ),
            Ok("Acme (+1 555)".into())
        );
        let expired = br#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190}}"#;
        assert!(read_probe("messenger", 400, expired)
            .unwrap_err()
            .contains("access token"));
        assert_eq!(
            read_probe("instagram", 200, br#"{"username":"acme"}"#),
            Ok("@acme".into())
        );
        assert_eq!(
            read_probe(
                "telegram",
                200,
                br#"{"ok":true,"result":{"username":"acme_bot"}}"#
            ),
            Ok("@acme_bot".into())
        );
        assert_eq!(
            read_probe(
                "telegram",
                401,
                br#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#
            ),
            Err("Telegram refused the bot token.".into())
        );
    }
}
