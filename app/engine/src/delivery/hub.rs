//! This node's open sockets and what each listens to: conversation streams (topics per
//! conversation), its contact (visitors), its agent, and the inbox view on screen (agents).
//! The dispatcher pushes pre-serialized frames to exactly the sockets concerned; a socket
//! that cannot keep up is told to catch up from the database instead of slowing anyone.

use super::views::{SocketId, ViewIndex};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use switchboard_domain::conversation::Placement;
use switchboard_domain::{Channel, InboxView, Millis};
use tokio::sync::Notify;
use uuid::Uuid;

/// Frames waiting for one socket; beyond this it catches up from the database.
const QUEUE: usize = 256;

/// Something for one socket's session to send.
#[derive(Debug, Clone)]
pub enum Push {
    /// A message frame; the session's cursor decides (send, skip, or refetch a gap).
    Message {
        conversation_id: Uuid,
        seq: u64,
        public: bool,
        frame: Arc<str>,
        /// The message's channel and when it was stored, for the delivery metrics.
        channel: Channel,
        stored_at: Millis,
    },
    /// Any other frame, sent as is.
    Frame(Arc<str>),
    /// Live updates may have been missed: catch up every stream from the database.
    Resync,
    /// The agent's access changed: check at once whether this socket may stay open.
    Recheck,
}

/// A message's frame as each side reads it (the same text when nothing differs).
pub struct MessageFrames {
    pub team: Arc<str>,
    pub contact: Arc<str>,
    pub channel: Channel,
    pub stored_at: Millis,
}

/// Who a socket serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Visitor { contact: Uuid },
    Agent { agent: Uuid },
}

/// Frames waiting for one socket. Allocates nothing until something is queued, so an idle
/// socket costs little; when full, it drops what it holds and tells its session to catch up
/// from the database instead.
#[derive(Default)]
pub struct Mailbox {
    queue: Mutex<VecDeque<Push>>,
    lagged: AtomicBool,
    ready: Notify,
}

/// What a session takes from its mailbox.
#[derive(Debug)]
pub enum Delivery {
    Push(Push),
    /// Pushes were dropped: catch up from the database.
    Lagged,
}

impl Mailbox {
    fn put(&self, push: Push) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= QUEUE {
            q.clear();
            q.shrink_to_fit();
            self.lagged.store(true, Ordering::Release);
        } else {
            q.push_back(push);
        }
        drop(q);
        self.ready.notify_one();
    }

    /// The next delivery, waiting for one.
    pub async fn take(&self) -> Delivery {
        loop {
            if let Some(d) = self.try_take() {
                return d;
            }
            self.ready.notified().await;
        }
    }

    /// The next delivery if one is there now (a session drains what is queued before it
    /// flushes its socket once).
    pub fn try_take(&self) -> Option<Delivery> {
        if self.lagged.swap(false, Ordering::AcqRel) {
            return Some(Delivery::Lagged);
        }
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let push = q.pop_front()?;
        if q.is_empty() && q.capacity() > 32 {
            q.shrink_to_fit();
        }
        Some(Delivery::Push(push))
    }
}

struct Entry {
    listener: Listener,
    mailbox: Arc<Mailbox>,
    streams: Vec<Uuid>,
}

#[derive(Default)]
struct Registry {
    sockets: HashMap<SocketId, Entry>,
    streams: HashMap<Uuid, Vec<SocketId>>,
    contacts: HashMap<Uuid, Vec<SocketId>>,
    agents: HashMap<Uuid, Vec<SocketId>>,
    views: ViewIndex,
}

fn unlink(map: &mut HashMap<Uuid, Vec<SocketId>>, key: Uuid, id: SocketId) {
    if let Some(list) = map.get_mut(&key) {
        list.retain(|s| *s != id);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}

impl Registry {
    fn push(&self, id: SocketId, push: Push) {
        if let Some(entry) = self.sockets.get(&id) {
            entry.mailbox.put(push);
        }
    }

    fn is_agent(&self, id: SocketId) -> bool {
        self.sockets
            .get(&id)
            .is_some_and(|e| matches!(e.listener, Listener::Agent { .. }))
    }
}

#[derive(Clone, Default)]
pub struct Hub {
    registry: Arc<Mutex<Registry>>,
    next: Arc<AtomicU64>,
}

/// A socket's place in the hub; dropping it leaves.
pub struct Membership {
    pub id: SocketId,
    pub mailbox: Arc<Mailbox>,
    hub: Hub,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.hub.leave(self.id);
    }
}

impl Hub {
    fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        let mut guard = self
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    pub fn join(&self, listener: Listener) -> Membership {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mailbox = Arc::new(Mailbox::default());
        self.with(|r| {
            r.sockets.insert(
                id,
                Entry {
                    listener,
                    mailbox: mailbox.clone(),
                    streams: vec![],
                },
            );
            match listener {
                Listener::Visitor { contact } => r.contacts.entry(contact).or_default().push(id),
                Listener::Agent { agent } => r.agents.entry(agent).or_default().push(id),
            }
        });
        Membership {
            id,
            mailbox,
            hub: self.clone(),
        }
    }

    fn leave(&self, id: SocketId) {
        self.with(|r| {
            let Some(entry) = r.sockets.remove(&id) else {
                return;
            };
            for c in entry.streams {
                unlink(&mut r.streams, c, id);
            }
            match entry.listener {
                Listener::Visitor { contact } => unlink(&mut r.contacts, contact, id),
                Listener::Agent { agent } => unlink(&mut r.agents, agent, id),
            }
            r.views.remove(id);
        });
    }

    /// Listens to a conversation's stream (before replaying it, so nothing falls between).
    pub fn subscribe(&self, id: SocketId, conversation: Uuid) {
        self.with(|r| {
            let Some(entry) = r.sockets.get_mut(&id) else {
                return;
            };
            if !entry.streams.contains(&conversation) {
                entry.streams.push(conversation);
                r.streams.entry(conversation).or_default().push(id);
            }
        });
    }

    pub fn unsubscribe(&self, id: SocketId, conversation: Uuid) {
        self.with(|r| {
            if let Some(entry) = r.sockets.get_mut(&id) {
                entry.streams.retain(|c| *c != conversation);
            }
            unlink(&mut r.streams, conversation, id);
        });
    }

    pub fn set_view(&self, id: SocketId, agent: Uuid, view: InboxView) {
        self.with(|r| r.views.set(id, agent, view));
    }

    /// A message to the sockets streaming its conversation (visitors only if public).
    pub fn message(&self, conversation: Uuid, seq: u64, public: bool, frames: &MessageFrames) {
        self.with(|r| {
            for id in r.streams.get(&conversation).into_iter().flatten() {
                let agent = r.is_agent(*id);
                if public || agent {
                    let frame = if agent { &frames.team } else { &frames.contact };
                    r.push(
                        *id,
                        Push::Message {
                            conversation_id: conversation,
                            seq,
                            public,
                            frame: frame.clone(),
                            channel: frames.channel,
                            stored_at: frames.stored_at,
                        },
                    );
                }
            }
        });
    }

    /// A row update to the agents whose view shows the conversation in any of `placements`,
    /// and to agents streaming it (their open room).
    pub fn to_views(&self, conversation: Uuid, placements: &[Placement], frame: &Arc<str>) {
        self.with(|r| {
            let mut ids = vec![];
            for p in placements {
                r.views.matching(p, &mut ids);
            }
            for id in r.streams.get(&conversation).into_iter().flatten() {
                if r.is_agent(*id) && !ids.contains(id) {
                    ids.push(*id);
                }
            }
            for id in ids {
                r.push(id, Push::Frame(frame.clone()));
            }
        });
    }

    /// Someone typing, to the other parties streaming the conversation: agents hear the
    /// contact and each other, the contact hears agents; nobody hears themselves.
    pub fn typing(&self, note: &super::typing::TypingNote) {
        use switchboard_wire::frames::{ServerFrame, Typist};
        let typist = match note.t {
            Typist::Contact { .. } => None,
            Typist::Agent { id, .. } => Some(id),
        };
        let mut frame: Option<Arc<str>> = None;
        self.with(|r| {
            for id in r.streams.get(&note.c).into_iter().flatten() {
                let hears = match r.sockets.get(id).map(|e| e.listener) {
                    Some(Listener::Agent { agent }) => typist != Some(agent),
                    Some(Listener::Visitor { .. }) => typist.is_some(),
                    None => false,
                };
                if hears {
                    let frame = frame
                        .get_or_insert_with(|| {
                            super::dispatcher::frame(&ServerFrame::Typing {
                                conversation_id: note.c,
                                typist: note.t.clone(),
                                typing: note.on,
                            })
                        })
                        .clone();
                    r.push(*id, Push::Frame(frame));
                }
            }
        });
    }

    /// To the conversation's contact: their sockets, and visitor sockets streaming it (one
    /// opened under a contact since merged into this one).
    pub fn to_visitor(&self, conversation: Uuid, contact: Uuid, frame: &Arc<str>) {
        self.with(|r| {
            let mut ids: Vec<u64> = r
                .contacts
                .get(&contact)
                .into_iter()
                .flatten()
                .copied()
                .collect();
            for id in r.streams.get(&conversation).into_iter().flatten() {
                let visitor = matches!(
                    r.sockets.get(id).map(|e| e.listener),
                    Some(Listener::Visitor { .. })
                );
                if visitor && !ids.contains(id) {
                    ids.push(*id);
                }
            }
            for id in ids {
                r.push(id, Push::Frame(frame.clone()));
            }
        });
    }

    /// Every socket of this agent checks its access again (see `access`).
    pub fn recheck_agent(&self, agent: Uuid) {
        self.with(|r| {
            for id in r.agents.get(&agent).into_iter().flatten() {
                r.push(*id, Push::Recheck);
            }
        });
    }

    /// A contact was signed out of the widget: their sockets check their tokens again.
    pub fn recheck_visitors(&self, contact: Uuid) {
        self.with(|r| {
            for id in r.contacts.get(&contact).into_iter().flatten() {
                r.push(*id, Push::Recheck);
            }
        });
    }

    pub fn to_agent(&self, agent: Uuid, frame: &Arc<str>) {
        self.with(|r| {
            for id in r.agents.get(&agent).into_iter().flatten() {
                r.push(*id, Push::Frame(frame.clone()));
            }
        });
    }

    pub fn to_all_agents(&self, frame: &Arc<str>) {
        self.with(|r| {
            for id in r.agents.values().flatten() {
                r.push(*id, Push::Frame(frame.clone()));
            }
        });
    }

    /// Every socket catches up from the database (a listener reconnect, a dispatcher restart).
    pub fn resync_all(&self) {
        self.with(|r| {
            for id in r.sockets.keys() {
                r.push(*id, Push::Resync);
            }
        });
    }

    /// Whether anyone on this node could receive something about this conversation.
    pub fn cares_about(&self, conversation: Uuid, contact: Uuid) -> bool {
        self.with(|r| {
            !r.agents.is_empty()
                || r.streams.contains_key(&conversation)
                || r.contacts.contains_key(&contact)
        })
    }

    pub fn has_agents(&self) -> bool {
        self.with(|r| !r.agents.is_empty())
    }

    pub fn socket_count(&self) -> usize {
        self.with(|r| r.sockets.len())
    }

    /// Open sockets: (visitors', agents').
    pub fn sockets_by_role(&self) -> (usize, usize) {
        self.with(|r| {
            let agents = r
                .sockets
                .values()
                .filter(|e| matches!(e.listener, Listener::Agent { .. }))
                .count();
            (r.sockets.len() - agents, agents)
        })
    }

    /// How many sockets this node holds for one agent or one contact.
    pub fn sockets_of(&self, listener: Listener) -> usize {
        self.with(|r| match listener {
            Listener::Agent { agent } => r.agents.get(&agent).map_or(0, Vec::len),
            Listener::Visitor { contact } => r.contacts.get(&contact).map_or(0, Vec::len),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_domain::{Channel, ConversationStatus, Filter, Folder, Scope};

    fn frame(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn internal_messages_never_reach_a_visitor_socket_and_each_side_gets_its_own_frame() {
        let hub = Hub::default();
        let conv = Uuid::from_u128(5);
        let visitor = hub.join(Listener::Visitor {
            contact: Uuid::from_u128(7),
        });
        let agent = hub.join(Listener::Agent {
            agent: Uuid::from_u128(1),
        });
        hub.subscribe(visitor.id, conv);
        hub.subscribe(agent.id, conv);
        let frames = |s: &str| MessageFrames {
            team: frame(&format!("{s} for agents")),
            contact: frame(&format!("{s} for the contact")),
            channel: Channel::Web,
            stored_at: 0,
        };
        hub.message(conv, 1, true, &frames("public"));
        hub.message(conv, 2, false, &frames("note"));
        let text = |p: Option<Push>| match p {
            Some(Push::Message { frame, .. }) => frame.to_string(),
            other => panic!("expected a message, got {other:?}"),
        };
        assert_eq!(text(next(&visitor)), "public for the contact");
        assert!(next(&visitor).is_none(), "the note stays with agents");
        assert_eq!(text(next(&agent)), "public for agents");
        assert_eq!(text(next(&agent)), "note for agents");
    }

    #[test]
    fn typing_reaches_the_other_parties_streaming_the_conversation_only() {
        use crate::delivery::typing::TypingNote;
        use switchboard_wire::frames::Typist;
        let hub = Hub::default();
        let conv = Uuid::from_u128(5);
        let (ana, bo) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let visitor = hub.join(Listener::Visitor {
            contact: Uuid::from_u128(7),
        });
        let ana_tab = hub.join(Listener::Agent { agent: ana });
        let ana_other_tab = hub.join(Listener::Agent { agent: ana });
        let bo_tab = hub.join(Listener::Agent { agent: bo });
        let elsewhere = hub.join(Listener::Agent {
            agent: Uuid::from_u128(3),
        });
        for s in [&visitor, &ana_tab, &ana_other_tab, &bo_tab] {
            hub.subscribe(s.id, conv);
        }
        hub.subscribe(elsewhere.id, Uuid::from_u128(6));
        let text = |p: Option<Push>| match p {
            Some(Push::Frame(f)) => f.to_string(),
            other => panic!("expected a frame, got {other:?}"),
        };

        hub.typing(&TypingNote {
            c: conv,
            t: Typist::Agent {
                id: ana,
                name: "Ana".into(),
            },
            on: true,
        });
        assert!(text(next(&visitor)).contains(r#""name":"Ana""#));
        assert!(text(next(&bo_tab)).contains(r#""typing":true"#));
        assert!(next(&ana_tab).is_none(), "nobody hears themselves");
        assert!(next(&ana_other_tab).is_none(), "not even in another tab");
        assert!(
            next(&elsewhere).is_none(),
            "only the conversation's streams"
        );

        hub.typing(&TypingNote {
            c: conv,
            t: Typist::Contact { name: "Vi".into() },
            on: false,
        });
        assert!(
            next(&visitor).is_none(),
            "the contact does not hear themselves"
        );
        assert!(text(next(&ana_tab)).contains(r#""kind":"contact""#));
        assert!(text(next(&ana_other_tab)).contains(r#""typing":false"#));
        assert!(text(next(&bo_tab)).contains(r#""name":"Vi""#));
        assert!(next(&elsewhere).is_none());
    }

    #[test]
    fn row_updates_go_to_matching_views_and_open_rooms_once() {
        let hub = Hub::default();
        let conv = Uuid::from_u128(5);
        let a1 = Uuid::from_u128(1);
        let mine = hub.join(Listener::Agent { agent: a1 });
        let other = hub.join(Listener::Agent {
            agent: Uuid::from_u128(2),
        });
        let room = hub.join(Listener::Agent {
            agent: Uuid::from_u128(3),
        });
        hub.set_view(
            mine.id,
            a1,
            InboxView {
                folder: Folder::Engaged,
                filter: Filter::default(),
            },
        );
        hub.set_view(
            other.id,
            Uuid::from_u128(2),
            InboxView {
                folder: Folder::Engaged,
                filter: Filter::default(),
            },
        );
        hub.subscribe(room.id, conv);
        hub.subscribe(mine.id, conv);
        let p = Placement {
            status: ConversationStatus::Open,
            lead: false,
            channel: Channel::Web,
            post: None,
            contact_id: Uuid::nil(),
            involved: vec![a1],
            passed_by: vec![],
        };
        hub.to_views(conv, &[p], &frame("row"));
        assert!(matches!(next(&mine), Some(Push::Frame(_))));
        assert!(
            next(&mine).is_none(),
            "once, though it both views and streams it"
        );
        assert!(next(&other).is_none(), "not their chat");
        assert!(
            matches!(next(&room), Some(Push::Frame(_))),
            "their open room"
        );
        let _ = Scope::All;
    }

    /// What a mailbox holds now, without waiting.
    fn next(m: &Membership) -> Option<Push> {
        m.mailbox.queue.lock().unwrap().pop_front()
    }

    #[tokio::test]
    async fn a_socket_that_falls_behind_is_told_to_catch_up() {
        let hub = Hub::default();
        let agent = Uuid::from_u128(1);
        let m = hub.join(Listener::Agent { agent });
        hub.to_agent(agent, &frame("x"));
        assert!(matches!(m.mailbox.take().await, Delivery::Push(_)));
        for _ in 0..QUEUE + 1 {
            hub.to_agent(agent, &frame("x"));
        }
        let got = tokio::time::timeout(std::time::Duration::from_secs(1), m.mailbox.take())
            .await
            .expect("woken");
        assert!(matches!(got, Delivery::Lagged), "{got:?}");
        assert_eq!(
            m.mailbox.queue.lock().unwrap().capacity(),
            0,
            "nothing kept"
        );
    }

    #[test]
    fn leaving_removes_every_trace() {
        let hub = Hub::default();
        let m = hub.join(Listener::Visitor {
            contact: Uuid::from_u128(7),
        });
        hub.subscribe(m.id, Uuid::from_u128(5));
        assert_eq!(hub.socket_count(), 1);
        drop(m);
        assert_eq!(hub.socket_count(), 0);
        assert!(!hub.cares_about(Uuid::from_u128(5), Uuid::from_u128(7)));
    }
}
