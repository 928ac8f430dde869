//! The Send API shared by Messenger and Instagram DMs (channels.md §3.2–3.4, §4.3, §5.3):
//! `POST {graph}/{node}/messages` with a `recipient` and either a `message` or a
//! `sender_action`. Private replies to comments use the same call with `recipient.comment_id`.

use super::graph::{graph_request, GraphBody};
use crate::capabilities::{AttachmentKind, Capabilities, WindowClosed, WindowVia};
use crate::http::{segment, HttpRequest, Method};
use crate::outbound::*;
use serde_json::{json, Value};

/// The node that sends: `send_node` (e.g. the Page linked to an Instagram account) or the
/// account itself.
pub(crate) fn node(account: &Account) -> &str {
    account.send_node.as_deref().unwrap_or(&account.address)
}

fn messages_path(account: &Account) -> String {
    format!("/{}/messages", segment(node(account)))
}

/// Text, attachment or typing to a PSID/IGSID, enforcing the standard window and adding the
/// `HUMAN_AGENT` tag in its 7-day extension.
pub(crate) fn dm_request(
    caps: &Capabilities,
    out: &Outbound,
    account: &Account,
) -> Result<HttpRequest, SendError> {
    if out.to.trim().is_empty() {
        return Err(SendError::InvalidRecipient(out.to.clone()));
    }
    let recipient = json!({"id": out.to});
    let message = match &out.content {
        OutboundContent::Text { body } => {
            check_text(body, caps.max_text_chars)?;
            json!({"text": body})
        }
        OutboundContent::Attachment {
            kind,
            url,
            mime,
            size,
            caption,
            ..
        } => {
            check_attachment(caps, *kind, mime.as_deref(), *size, caption.as_deref())?;
            let ty = match kind {
                AttachmentKind::Image => "image",
                AttachmentKind::Video => "video",
                AttachmentKind::Audio => "audio",
                AttachmentKind::Document => "file",
                other => return Err(SendError::AttachmentKindNotAllowed { kind: *other }),
            };
            json!({"attachment": {"type": ty, "payload": {"url": url, "is_reusable": true}}})
        }
        OutboundContent::Typing { on }
            if caps.typing != crate::capabilities::TypingSupport::None =>
        {
            // Sender actions are not covered by the human-agent tag: standard window only.
            match check_window(caps, out)? {
                Some(WindowVia::HumanAgentTag) => {
                    let closed_at_ms = out
                        .last_inbound_ms
                        .unwrap_or(0)
                        .saturating_add(caps.reply_window.as_ref().map_or(0, |w| w.standard_ms));
                    return Err(SendError::OutsideWindow(WindowClosed::Expired {
                        closed_at_ms,
                        templates_allowed: false,
                    }));
                }
                _ => {
                    let action = if *on { "typing_on" } else { "typing_off" };
                    let body = json!({"recipient": recipient, "sender_action": action});
                    return graph_request(
                        account,
                        Method::Post,
                        &messages_path(account),
                        GraphBody::Json(body),
                    );
                }
            }
        }
        other => return Err(unsupported(caps, other)),
    };
    let body = match check_window(caps, out)? {
        Some(WindowVia::HumanAgentTag) => {
            json!({"recipient": recipient, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT", "message": message})
        }
        _ => json!({"recipient": recipient, "messaging_type": "RESPONSE", "message": message}),
    };
    graph_request(
        account,
        Method::Post,
        &messages_path(account),
        GraphBody::Json(body),
    )
}

/// Private reply to a comment (`out.content` must be `PrivateReply`): once per comment, within
/// the channel's limit of its creation.
pub(crate) fn private_reply(
    caps: &Capabilities,
    out: &Outbound,
    account: &Account,
    max_chars: usize,
) -> Result<HttpRequest, SendError> {
    let OutboundContent::PrivateReply {
        comment_id,
        text,
        comment_created_ms,
        already_replied,
    } = &out.content
    else {
        return Err(unsupported(caps, &out.content));
    };
    check_private_reply(caps, *comment_created_ms, *already_replied, out.now_ms)?;
    check_text(text, max_chars)?;
    if comment_id.trim().is_empty() {
        return Err(SendError::InvalidRecipient(comment_id.to_string()));
    }
    let body = json!({"recipient": {"comment_id": comment_id}, "message": {"text": text}});
    graph_request(
        account,
        Method::Post,
        &messages_path(account),
        GraphBody::Json(body),
    )
}

/// Public reply on a comment: `POST /{comment-id}/{edge}` with `message` (form-encoded, as in
/// Graph's own examples). Page comments use the `comments` edge, Instagram `replies`.
pub(crate) fn comment_reply(
    account: &Account,
    comment_id: &str,
    edge: &str,
    text: &str,
    max_chars: usize,
) -> Result<HttpRequest, SendError> {
    check_text(text, max_chars)?;
    if comment_id.trim().is_empty() {
        return Err(SendError::InvalidRecipient(comment_id.to_string()));
    }
    graph_request(
        account,
        Method::Post,
        &format!("/{}/{edge}", segment(comment_id)),
        GraphBody::Form(vec![("message", text.to_string())]),
    )
}

/// `DELETE /{comment-id}`.
pub(crate) fn delete_comment(
    account: &Account,
    comment_id: &str,
) -> Result<HttpRequest, SendError> {
    if comment_id.trim().is_empty() {
        return Err(SendError::InvalidRecipient(comment_id.to_string()));
    }
    graph_request(
        account,
        Method::Delete,
        &format!("/{}", segment(comment_id)),
        GraphBody::Empty,
    )
}

/// The id in a Send API (`message_id`) or comment (`id`) success body.
pub(crate) fn id_of(v: &Value) -> Option<String> {
    v.get("message_id")
        .or_else(|| v.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}
