//! What Messenger, Page comments, Instagram and WhatsApp Cloud share: the webhook signature and
//! GET handshake, the `{"object", "entry": [...]}` envelope and its dispatch by `object`, the
//! messaging-event format of Messenger and Instagram DMs, and Graph API calls and errors.

pub mod fake;
mod graph;
mod messaging;
mod send_api;
mod signature;

pub use graph::graph_error;
pub(crate) use graph::{graph_request, read_graph_response, GraphBody};
pub(crate) use messaging::parse_messaging;
pub(crate) use send_api::{
    comment_reply, delete_comment, dm_request, id_of as send_api_id_of, private_reply,
};
pub use signature::{handshake, sign, verify, SIGNATURE_HEADER};

use crate::http::WebhookRequest;
use crate::inbound::{DedupeKey, Ignored, Inbound, InboundEvent};
use crate::json::{arr, content_key, str_of};
use crate::webhook::{WebhookError, WebhookSecrets};
use crate::WebhookEndpoint;
use serde_json::Value;
use switchboard_domain::conversation::Channel;

/// Meta's default Graph base, version included (configurable per account).
pub const GRAPH_BASE: &str = "https://graph.facebook.com/v25.0";

/// Parses one `entry[]` item of a given `object`.
pub type EntryParser = fn(&Value) -> Vec<Inbound>;

/// Dispatch by the envelope's `object`. A new Meta-delivered channel adds one line here.
pub const OBJECTS: &[(&str, EntryParser)] = &[
    ("whatsapp_business_account", crate::whatsapp::parse_entry),
    ("page", page_entry),
    ("instagram", crate::instagram::parse_entry),
];

/// A Page entry carries Messenger events (`messaging[]`, `standby[]`) and feed changes.
fn page_entry(entry: &Value) -> Vec<Inbound> {
    let page_id = str_of(entry, "id").unwrap_or_default();
    let mut out = Vec::new();
    for ev in arr(entry, "messaging") {
        out.extend(parse_messaging(
            ev,
            &page_id,
            Channel::Messenger,
            "messenger",
        ));
    }
    for ev in arr(entry, "standby") {
        out.push(Inbound {
            key: DedupeKey::new("messenger", &["standby", &content_key(ev)]),
            channel: Channel::Messenger,
            account: page_id.clone(),
            event: InboundEvent::Ignored(Ignored::Standby),
        });
    }
    for change in arr(entry, "changes") {
        out.extend(crate::page_comments::parse_change(change, &page_id));
    }
    out
}

/// Parses a Meta webhook body: every entry of every batch, dispatched by `object`.
pub fn parse_body(body: &[u8], unknown_channel: Channel) -> Result<Vec<Inbound>, WebhookError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| WebhookError::MalformedBody("json"))?;
    if !v.is_object() {
        return Err(WebhookError::MalformedBody("json"));
    }
    let object = str_of(&v, "object").ok_or(WebhookError::MissingField("object"))?;
    let Some((_, parser)) = OBJECTS.iter().find(|(name, _)| *name == object) else {
        return Ok(vec![Inbound {
            key: DedupeKey::new("meta", &[&content_key(&v)]),
            channel: unknown_channel,
            account: String::new(),
            event: InboundEvent::Ignored(Ignored::UnknownObject { object }),
        }]);
    };
    Ok(arr(&v, "entry")
        .iter()
        .filter(|e| e.is_object())
        .flat_map(parser)
        .collect())
}

/// A Meta webhook URL. `/webhooks/whatsapp` and `/webhooks/meta` behave the same (both
/// dispatch by `object`, so a misrouted subscription still works); they differ only in name
/// and in the channel reported for bodies with an unknown `object`.
#[derive(Debug, Clone, Copy)]
pub struct MetaWebhook {
    name: &'static str,
    unknown_channel: Channel,
}

impl MetaWebhook {
    pub fn whatsapp() -> Self {
        Self {
            name: "whatsapp",
            unknown_channel: Channel::Whatsapp,
        }
    }

    pub fn meta() -> Self {
        Self {
            name: "meta",
            unknown_channel: Channel::Messenger,
        }
    }
}

impl WebhookEndpoint for MetaWebhook {
    fn name(&self) -> &'static str {
        self.name
    }

    fn verify(&self, req: &WebhookRequest, secrets: &WebhookSecrets) -> Result<(), WebhookError> {
        verify(req, &secrets.signing_secret)
    }

    fn handshake(
        &self,
        req: &WebhookRequest,
        secrets: &WebhookSecrets,
    ) -> Result<String, WebhookError> {
        handshake(req, secrets)
    }

    fn parse(
        &self,
        req: &WebhookRequest,
        _secrets: &WebhookSecrets,
    ) -> Result<Vec<Inbound>, WebhookError> {
        parse_body(&req.body, self.unknown_channel)
    }
}
