//! Frames on the websocket, as JSON text. Messages themselves are only ever written through
//! server functions; the socket delivers them, exactly once and in order.

use crate::inbox::{Activity, ConversationSummary};
use serde::{Deserialize, Serialize};
use switchboard_domain::{ConversationStatus, InboxView, Message, Presence};
use uuid::Uuid;

/// Seconds between client heartbeats; the server drops a socket silent for three of them.
pub const HEARTBEAT_SECS: u64 = 15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Visitors: the first frame on `/ws/visitor`, with the visitor token (kept out of the
    /// URL, which proxies and logs keep). Ignored after the first.
    Hello {
        token: String,
    },
    /// Start (or resume) a conversation's stream: everything after `after_seq`, then live.
    Subscribe {
        conversation_id: Uuid,
        after_seq: u64,
    },
    Unsubscribe {
        conversation_id: Uuid,
    },
    /// Agents: the inbox folder and filter on screen, which live row updates follow.
    View {
        view: InboxView,
    },
    /// Visitors: a message, as `visitor/send` takes it (stored once per `client_msg_id`). The
    /// stored message comes back as the acknowledgement: a `message` frame on a socket
    /// subscribed to the conversation, else (or for a repeat) `sent`; a refusal as
    /// `send_failed`.
    Send {
        conversation_id: Uuid,
        client_msg_id: Uuid,
        body: String,
    },
    /// Someone is typing in a conversation this socket follows (`typing: false` when they
    /// stop). Never stored; forwarded to the conversation's other parties only. Clients send it
    /// at most every [`TYPING_REFRESH_SECS`] while typing, and `false` on send, blur or pause.
    Typing {
        conversation_id: Uuid,
        typing: bool,
    },
    Ping,
}

/// While someone keeps typing, their client repeats `typing` this often.
pub const TYPING_REFRESH_SECS: u64 = 3;
/// The close code of an agent's socket whose session ended (signed out, or the account was
/// deactivated): the inbox goes to the sign-in page rather than reconnecting.
pub const CLOSE_SIGNED_OUT: u16 = 4401;
/// A typing indicator not refreshed within this is cleared by the receiver (a lost `false`).
pub const TYPING_TTL_SECS: u64 = 7;

/// Who is typing, as the other parties see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Typist {
    /// The contact (their name as the conversation knows it).
    Contact {
        name: String,
    },
    Agent {
        id: Uuid,
        name: String,
    },
}

impl Typist {
    pub fn name(&self) -> &str {
        match self {
            Typist::Contact { name } | Typist::Agent { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        role: Role,
    },
    /// A `send` was stored (when no `message` frame will say so).
    Sent {
        message: Message,
    },
    /// A `send` was not stored, and why.
    SendFailed {
        client_msg_id: Uuid,
        error: crate::ApiError,
    },
    /// A message the receiver may see, in seq order, never twice on one socket.
    Message {
        message: Message,
    },
    /// Replay for a subscription is complete up to `seq`; live messages follow.
    Synced {
        conversation_id: Uuid,
        seq: u64,
    },
    /// An inbox row changed (agents only). Frames can come out of order: the higher revision
    /// is the newer.
    Conversation {
        summary: ConversationSummary,
    },
    /// One of our messages moved on its way to the contact through a provider (agents only):
    /// sent, delivered, read, or failed with the provider's reason.
    Delivery {
        conversation_id: Uuid,
        message_id: Uuid,
        delivery: switchboard_domain::Delivery,
    },
    /// A contact's comment was deleted from its post (agents only).
    CommentRemoved {
        conversation_id: Uuid,
        message_id: Uuid,
    },
    /// The contact edited, deleted or hid one of their messages (agents only).
    MessageChanged {
        conversation_id: Uuid,
        message_id: Uuid,
        change: switchboard_domain::ContactChange,
    },
    /// A row got a new message (agents only): its preview and unread state move on.
    Activity {
        activity: Activity,
    },
    /// A conversation's status changed (what a contact may know of it). The higher revision
    /// is the newer.
    Status {
        conversation_id: Uuid,
        status: ConversationStatus,
        revision: u64,
    },
    /// An agent invites the visitor to move the chat to `to` (the widget opens its phone
    /// request).
    SwitchInvite {
        conversation_id: Uuid,
        to: switchboard_domain::Channel,
    },
    /// An agent's presence changed (agents only).
    Presence {
        agent: Uuid,
        presence: Presence,
    },
    /// Something for this agent's attention: a chat offered, transferred or an invitation.
    Notice {
        conversation_id: Uuid,
        text: String,
    },
    /// Someone else in the conversation started or stopped typing (never stored).
    Typing {
        conversation_id: Uuid,
        typist: Typist,
        typing: bool,
    },
    /// The server may have missed live updates for this socket: reload lists (subscriptions
    /// are replayed).
    Resync,
    Pong,
    /// `code` is stable (`bad_frame`, `not_found`, `replay_too_long`, `too_many_subscriptions`).
    Error {
        code: String,
        message: String,
    },
}

/// What the widget reads of the frames a visitor's socket is sent: the same wire as
/// [`ServerFrame`], decoded without the agents' types, so the widget's bundle carries no code
/// for them. Any other frame (`welcome`, `pong`, `resync`, `error`, or one added later) reads
/// as [`VisitorFrame::Other`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorFrame {
    Sent {
        message: Message,
    },
    SendFailed {
        client_msg_id: Uuid,
        error: crate::ApiError,
    },
    Message {
        message: Message,
    },
    Synced {
        conversation_id: Uuid,
    },
    Status {
        conversation_id: Uuid,
        status: ConversationStatus,
        revision: u64,
    },
    SwitchInvite {
        conversation_id: Uuid,
        to: switchboard_domain::Channel,
    },
    Typing {
        conversation_id: Uuid,
        typist: Typist,
        typing: bool,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Visitor,
    Agent,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a visitor's socket is sent reads the same as a `VisitorFrame`; the rest is `Other`.
    #[test]
    fn a_visitor_reads_its_frames_and_passes_over_the_rest() {
        use switchboard_domain::{Channel, Delivery};
        let id = Uuid::from_u128(1);
        let read = |frame: &ServerFrame| -> VisitorFrame {
            serde_json::from_str(&serde_json::to_string(frame).unwrap()).unwrap()
        };
        let typist = Typist::Contact { name: "Ada".into() };
        for (sent, expected) in [
            (
                ServerFrame::Synced {
                    conversation_id: id,
                    seq: 4,
                },
                VisitorFrame::Synced {
                    conversation_id: id,
                },
            ),
            (
                ServerFrame::Status {
                    conversation_id: id,
                    status: ConversationStatus::Closed,
                    revision: 7,
                },
                VisitorFrame::Status {
                    conversation_id: id,
                    status: ConversationStatus::Closed,
                    revision: 7,
                },
            ),
            (
                ServerFrame::SwitchInvite {
                    conversation_id: id,
                    to: Channel::Sms,
                },
                VisitorFrame::SwitchInvite {
                    conversation_id: id,
                    to: Channel::Sms,
                },
            ),
            (
                ServerFrame::Typing {
                    conversation_id: id,
                    typist: typist.clone(),
                    typing: true,
                },
                VisitorFrame::Typing {
                    conversation_id: id,
                    typist,
                    typing: true,
                },
            ),
            (
                ServerFrame::SendFailed {
                    client_msg_id: id,
                    error: crate::ApiError::RateLimited {
                        retry_after_secs: 2,
                    },
                },
                VisitorFrame::SendFailed {
                    client_msg_id: id,
                    error: crate::ApiError::RateLimited {
                        retry_after_secs: 2,
                    },
                },
            ),
        ] {
            assert_eq!(read(&sent), expected, "{sent:?}");
        }
        for other in [
            ServerFrame::Welcome {
                role: Role::Visitor,
            },
            ServerFrame::Pong,
            ServerFrame::Resync,
            ServerFrame::Error {
                code: "bad_frame".into(),
                message: "?".into(),
            },
            ServerFrame::Delivery {
                conversation_id: id,
                message_id: id,
                delivery: Delivery::queued(),
            },
            ServerFrame::Notice {
                conversation_id: id,
                text: "offered".into(),
            },
        ] {
            assert_eq!(read(&other), VisitorFrame::Other, "{other:?}");
        }
        // A frame this build does not know yet.
        let later: VisitorFrame = serde_json::from_str(r#"{"type":"not_yet","x":1}"#).unwrap();
        assert_eq!(later, VisitorFrame::Other);
    }

    #[test]
    fn frames_keep_their_json_shape() {
        let f: ClientFrame = serde_json::from_str(
            r#"{"type":"subscribe","conversation_id":"00000000-0000-0000-0000-000000000001","after_seq":3}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            ClientFrame::Subscribe {
                conversation_id: Uuid::from_u128(1),
                after_seq: 3
            }
        );
        let v: ClientFrame = serde_json::from_str(
            r#"{"type":"view","view":{"folder":"queued","filter":{"scope":{"kind":"all"},"unread_only":false,"channel":null}}}"#,
        )
        .unwrap();
        assert!(matches!(v, ClientFrame::View { .. }));
        assert_eq!(
            serde_json::to_string(&ServerFrame::Pong).unwrap(),
            r#"{"type":"pong"}"#
        );
        let t: ClientFrame = serde_json::from_str(
            r#"{"type":"typing","conversation_id":"00000000-0000-0000-0000-000000000001","typing":true}"#,
        )
        .unwrap();
        assert_eq!(
            t,
            ClientFrame::Typing {
                conversation_id: Uuid::from_u128(1),
                typing: true
            }
        );
        let shown = ServerFrame::Typing {
            conversation_id: Uuid::from_u128(1),
            typist: Typist::Agent {
                id: Uuid::from_u128(2),
                name: "Ana".into(),
            },
            typing: false,
        };
        assert_eq!(
            serde_json::to_string(&shown).unwrap(),
            r#"{"type":"typing","conversation_id":"00000000-0000-0000-0000-000000000001","typist":{"kind":"agent","id":"00000000-0000-0000-0000-000000000002","name":"Ana"},"typing":false}"#
        );
    }
}
