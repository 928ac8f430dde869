//! A contact's name where the webhook gives only an id (Messenger's PSID, Instagram's IGSID):
//! the Graph profile lookup the Page's token allows, and reading its answer. No I/O here.

use crate::http::{segment, HttpRequest, Method};
use crate::json::str_at;
use crate::meta::{graph_request, GraphBody};
use crate::outbound::Account;
use serde_json::Value;

/// `GET /{PSID}?fields=first_name,last_name` with the Page token.
pub(crate) fn messenger(address: &str, account: &Account) -> Option<HttpRequest> {
    lookup(address, "first_name,last_name", account)
}

/// `GET /{IGSID}?fields=name,username` with the Page token.
pub(crate) fn instagram(address: &str, account: &Account) -> Option<HttpRequest> {
    lookup(address, "name,username", account)
}

fn lookup(address: &str, fields: &str, account: &Account) -> Option<HttpRequest> {
    if address.is_empty() {
        return None;
    }
    graph_request(
        account,
        Method::Get,
        &format!("/{}?fields={fields}", segment(address)),
        GraphBody::Empty,
    )
    .ok()
}

/// "First Last", the name, or the @username; none when the answer has none of them.
pub(crate) fn read(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let full = [
        clean(str_at(&json, &["first_name"])),
        clean(str_at(&json, &["last_name"])),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let name: String = clean(Some(full))
        .or_else(|| clean(str_at(&json, &["name"])))
        .or_else(|| clean(str_at(&json, &["username"])))?;
    Some(name.chars().take(120).collect())
}
