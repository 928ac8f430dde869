//! Crate tests, one module per provider plus windows and fuzzing. Compiled into the lib test
//! binary (one link instead of one per file).

mod fuzz;
mod instagram;
mod media;
mod messenger;
mod meta_security;
mod page_comments;
mod telegram;
mod twilio;
mod whatsapp;
mod window;

use crate::*;

pub(crate) const NOW: i64 = 1_800_000_000_000;
pub(crate) const HOUR: i64 = 3_600_000;

pub(crate) fn only(mut v: Vec<Inbound>) -> Inbound {
    assert_eq!(v.len(), 1, "expected exactly one event, got {v:#?}");
    v.remove(0)
}

pub(crate) fn message(i: &Inbound) -> &ContactMessage {
    match &i.event {
        InboundEvent::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

pub(crate) fn json_body(req: &HttpRequest) -> serde_json::Value {
    serde_json::from_slice(&req.body).expect("request body is JSON")
}

pub(crate) fn parse_meta(body: &str) -> Vec<Inbound> {
    meta::parse_body(body.as_bytes(), Channel::Messenger).expect("parses")
}

pub(crate) fn text(body: &str) -> OutboundContent {
    OutboundContent::Text {
        body: body.to_string(),
    }
}
