//! What the admin page shows of the connected accounts (secrets masked), and the connection
//! test: one harmless read with the account's credentials.

use super::settings::mask;
use crate::Engine;
use std::time::Duration;
use switchboard_channels::{probe, ApiAuth};
use switchboard_domain::Channel;
use switchboard_wire::admin::{ChannelAccountInfo, ChannelTest};

fn credentials(auth: &ApiAuth) -> String {
    match auth {
        ApiAuth::Basic { username, password } => format!("{username} / {}", mask(password)),
        ApiAuth::Bearer { token }
        | ApiAuth::AccessTokenQuery { token }
        | ApiAuth::BotToken { token } => mask(token),
    }
}

impl Engine {
    /// Every connected account, credentials masked.
    pub fn channel_accounts(&self) -> Vec<ChannelAccountInfo> {
        self.channels()
            .iter()
            .map(|c| ChannelAccountInfo {
                channel: c.channel(),
                adapter: c.adapter.id().to_string(),
                name: c.name.clone(),
                address: c.account.address.clone(),
                api_base: c.account.api_base.clone(),
                credentials: credentials(&c.account.auth),
                polling: c.poll,
                templates: c.templates.len(),
                webhook_path: switchboard_channels::webhook_path(c.adapter.id())
                    .map(str::to_string),
            })
            .collect()
    }

    /// Calls the provider with the account's credentials and says what came back.
    pub async fn test_channel(&self, channel: Channel, address: &str) -> Option<ChannelTest> {
        let connected = self.channels().find(channel, address)?;
        let adapter = connected.adapter.id();
        let request = match probe::probe_request(adapter, &connected.account) {
            Ok(r) => r,
            Err(e) => {
                return Some(ChannelTest {
                    ok: false,
                    message: e.to_string(),
                })
            }
        };
        Some(match self.call(&request, Duration::from_secs(10)).await {
            Ok((status, _, body)) => match probe::read_probe(adapter, status, &body) {
                Ok(name) => ChannelTest {
                    ok: true,
                    message: format!("Connected: {name}."),
                },
                Err(reason) => ChannelTest {
                    ok: false,
                    message: reason,
                },
            },
            Err(e) => ChannelTest {
                ok: false,
                message: format!("The provider could not be reached ({e})."),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_show_only_their_end() {
        assert_eq!(mask("short"), "•••••");
        assert_eq!(
            credentials(&ApiAuth::Basic {
                username: "AC1".into(),
                password: "0123456789abcdef".into()
            }),
            "AC1 / ••••cdef"
        );
        assert!(!credentials(&ApiAuth::BotToken {
            token: "700:secret-token-value".into()
        })
        .contains("secret"));
    }
}
