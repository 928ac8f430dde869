//! Sequence and dedupe rules on both ends of a conversation stream.
//!
//! The server gives every message a gap-free per-conversation `seq`. A [`DeliveryCursor`]
//! makes one subscriber's stream exactly-once and in order; a [`Thread`] is what a client
//! shows: delivered messages by `seq` plus its own sends still in flight.

use crate::message::Message;
use crate::Millis;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What to do with a live message for a subscriber who has everything up to `delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The next one in order: send it.
    Send,
    /// Already delivered (replay overlapped the live stream): drop it.
    Skip,
    /// Something before it is missing (published out of order, or a lagging receiver):
    /// read everything after `delivered` from the database instead.
    Refetch,
}

/// Per-subscriber position in one conversation's sequence. It counts every seq, including
/// messages the subscriber may not see, so a filtered message never looks like a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryCursor {
    delivered: u64,
}

impl DeliveryCursor {
    pub fn after(seq: u64) -> Self {
        Self { delivered: seq }
    }

    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    pub fn decide(&self, seq: u64) -> Delivery {
        if seq <= self.delivered {
            Delivery::Skip
        } else if seq == self.delivered + 1 {
            Delivery::Send
        } else {
            Delivery::Refetch
        }
    }

    /// Records that everything up to `seq` was handled (sent or deliberately filtered).
    pub fn advance(&mut self, seq: u64) {
        self.delivered = self.delivered.max(seq);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingState {
    Sending,
    /// The last attempt failed; the client retries with the same id.
    Failed(String),
}

/// A message this client sent that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    pub client_msg_id: Uuid,
    pub body: String,
    pub created_at: Millis,
    pub attempts: u32,
    pub state: PendingState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    New,
    Duplicate,
}

/// A client's view of one conversation: confirmed messages in `seq` order, then pending ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thread {
    messages: BTreeMap<u64, Message>,
    pending: Vec<PendingMessage>,
}

impl Thread {
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest seq received: what to resume after on reconnect. The server delivers in
    /// order, so nothing below it is missing.
    pub fn watermark(&self) -> u64 {
        self.messages.keys().next_back().copied().unwrap_or(0)
    }

    /// The lowest seq held (0 when empty): what to load history before.
    pub fn oldest(&self) -> u64 {
        self.messages.keys().next().copied().unwrap_or(0)
    }

    /// Adds a confirmed message, once. Confirms the matching pending send, if any.
    pub fn apply(&mut self, message: Message) -> Applied {
        if let Some(id) = message.client_msg_id {
            self.pending.retain(|p| p.client_msg_id != id);
        }
        if self.messages.contains_key(&message.seq) {
            return Applied::Duplicate;
        }
        self.messages.insert(message.seq, message);
        Applied::New
    }

    pub fn queue(&mut self, client_msg_id: Uuid, body: String, now: Millis) {
        self.pending.push(PendingMessage {
            client_msg_id,
            body,
            created_at: now,
            attempts: 1,
            state: PendingState::Sending,
        });
    }

    pub fn mark_failed(&mut self, client_msg_id: Uuid, error: String) {
        if let Some(p) = self
            .pending
            .iter_mut()
            .find(|p| p.client_msg_id == client_msg_id)
        {
            p.state = PendingState::Failed(error);
        }
    }

    /// Puts a failed send back in flight; returns its body for the retry.
    pub fn retry(&mut self, client_msg_id: Uuid) -> Option<String> {
        let p = self
            .pending
            .iter_mut()
            .find(|p| p.client_msg_id == client_msg_id)?;
        p.attempts += 1;
        p.state = PendingState::Sending;
        Some(p.body.clone())
    }

    /// Records how far one of our messages got, forward only (receipts arrive out of
    /// order). Whether anything changed.
    pub fn set_delivery(&mut self, message_id: Uuid, delivery: crate::message::Delivery) -> bool {
        let Some(m) = self.messages.values_mut().find(|m| m.id == message_id) else {
            return false;
        };
        if m.delivery
            .as_ref()
            .is_some_and(|now| !now.status.advances_to(delivery.status))
        {
            return false;
        }
        m.delivery = Some(delivery);
        true
    }

    /// A comment was deleted from its post. Whether anything changed.
    /// A contact changed one of their messages (edited, deleted, hidden); whether it is here.
    pub fn alter(&mut self, message_id: Uuid, change: &crate::message::ContactChange) -> bool {
        match self.messages.values_mut().find(|m| m.id == message_id) {
            Some(m) => {
                m.alter(change);
                true
            }
            None => false,
        }
    }

    pub fn set_removed(&mut self, message_id: Uuid) -> bool {
        match self.messages.values_mut().find(|m| m.id == message_id) {
            Some(m) if !m.removed => {
                m.removed = true;
                true
            }
            _ => false,
        }
    }

    /// Whether the message at `seq` is a comment deleted from its post.
    pub fn removed(&self, seq: u64) -> bool {
        self.messages.get(&seq).is_some_and(|m| m.removed)
    }

    /// How far the message at `seq` got, if it goes through a provider.
    /// The text at `seq` and what its author did to it since.
    pub fn text(&self, seq: u64) -> Option<(&str, Option<crate::message::Altered>)> {
        self.messages
            .get(&seq)
            .map(|m| (m.body.as_str(), m.altered))
    }

    pub fn delivery(&self, seq: u64) -> Option<&crate::message::Delivery> {
        self.messages.get(&seq).and_then(|m| m.delivery.as_ref())
    }

    pub fn messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.values()
    }

    pub fn pending(&self) -> &[PendingMessage] {
        &self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Channel;
    use crate::message::{Sender, SenderKind, Visibility};

    fn msg(seq: u64, client: Option<Uuid>) -> Message {
        Message {
            id: Uuid::from_u128(seq as u128),
            conversation_id: Uuid::nil(),
            seq,
            sender: Sender {
                kind: SenderKind::Visitor,
                id: None,
                name: "Ada".into(),
            },
            body: format!("m{seq}"),
            visibility: Visibility::Public,
            channel: Channel::Web,
            client_msg_id: client,
            created_at: seq as i64,
            delivery: None,
            reply_to: None,
            template: None,
            removed: false,
            attachment: None,
            altered: None,
        }
    }

    #[test]
    fn cursor_sends_in_order_and_refetches_on_gaps() {
        let mut c = DeliveryCursor::after(3);
        assert_eq!(c.decide(2), Delivery::Skip);
        assert_eq!(c.decide(3), Delivery::Skip);
        assert_eq!(c.decide(4), Delivery::Send);
        assert_eq!(c.decide(6), Delivery::Refetch);
        c.advance(4);
        assert_eq!(c.decide(5), Delivery::Send);
        c.advance(6);
        assert_eq!(c.decide(5), Delivery::Skip);
        c.advance(2);
        assert_eq!(c.delivered(), 6, "advance never goes back");
    }

    #[test]
    fn a_thread_moves_a_message_delivery_forward_only() {
        use crate::message::{Delivery as D, DeliveryStatus as S};
        let mut t = Thread::new();
        let mut m = msg(1, None);
        m.delivery = Some(D::queued());
        t.apply(m);
        let id = Uuid::from_u128(1);
        let to = |status| D {
            status,
            reason: None,
        };
        assert!(t.set_delivery(id, to(S::Delivered)));
        assert!(
            !t.set_delivery(id, to(S::Sent)),
            "a late 'sent' is not news"
        );
        assert!(!t.set_delivery(
            id,
            D {
                status: S::Failed,
                reason: Some("x".into())
            }
        ));
        assert!(t.set_delivery(id, to(S::Read)));
        assert_eq!(t.delivery(1).map(|d| d.status), Some(S::Read));
        assert!(
            !t.set_delivery(Uuid::from_u128(9), to(S::Read)),
            "not in this thread"
        );
        assert_eq!(t.delivery(2), None);
    }

    #[test]
    fn thread_orders_by_seq_and_drops_duplicates() {
        let mut t = Thread::new();
        assert_eq!(t.watermark(), 0);
        assert_eq!(t.apply(msg(2, None)), Applied::New);
        assert_eq!(t.apply(msg(1, None)), Applied::New);
        assert_eq!(t.apply(msg(2, None)), Applied::Duplicate);
        assert_eq!(t.messages().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(t.watermark(), 2);
    }

    #[test]
    fn confirmation_replaces_the_pending_send() {
        let mut t = Thread::new();
        let id = Uuid::from_u128(99);
        t.queue(id, "hello".into(), 5);
        assert_eq!(t.pending().len(), 1);
        t.mark_failed(id, "offline".into());
        assert_eq!(t.pending()[0].state, PendingState::Failed("offline".into()));
        assert_eq!(t.retry(id).as_deref(), Some("hello"));
        assert_eq!(t.pending()[0].attempts, 2);
        assert_eq!(t.pending()[0].state, PendingState::Sending);
        t.apply(msg(1, Some(id)));
        assert!(t.pending().is_empty());
        assert_eq!(t.messages().count(), 1);
        // The echo of the same message arriving twice (reply + push) is still one message.
        assert_eq!(t.apply(msg(1, Some(id))), Applied::Duplicate);
        assert_eq!(t.retry(id), None);
    }
}
