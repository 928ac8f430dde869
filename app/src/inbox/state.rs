//! What the parts of the inbox page share: the view on screen, the list, the open room.

use super::rows::{Applied, InboxRows, Update as RowUpdate};
use crate::realtime::ConnState;
use leptos::prelude::*;
use switchboard_domain::{Filter, Folder, InboxView, Presence, Thread};
use switchboard_wire::inbox::AgentInfo;
use switchboard_wire::{AgentProfile, ConversationSummary};
use uuid::Uuid;

/// A message for the agent's attention, shown as a toast.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Notice {
    pub id: u64,
    pub conversation_id: Uuid,
    pub text: String,
    /// When it appeared (browser clock), for expiry.
    pub at: i64,
}

/// How long a notice stays up.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(super) const NOTICE_MILLIS: i64 = 10_000;

/// The presence frames heard on the socket, so that a listing of the team read before one of
/// them arrived cannot undo it (a listing and a frame travel on different connections, and
/// may arrive in either order).
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
#[derive(Debug, Default)]
pub(super) struct PresenceHeard {
    frames: u64,
    /// Per agent, the number of the last frame about them.
    last: std::collections::HashMap<Uuid, u64>,
}

#[cfg_attr(not(feature = "browser"), allow(dead_code))]
impl PresenceHeard {
    /// Taken when a listing is asked for.
    pub fn mark(&self) -> u64 {
        self.frames
    }

    /// A frame said this agent's presence.
    pub fn heard(&mut self, agent: Uuid) {
        self.frames += 1;
        self.last.insert(agent, self.frames);
    }

    /// A listing asked for at `mark`: agents heard of since keep the presence the frames
    /// gave them (`current`); the others take the listing's, read later than they were.
    pub fn merge(&self, mark: u64, listed: &mut [AgentInfo], current: &[AgentInfo]) {
        for agent in listed {
            if self.last.get(&agent.id).is_some_and(|&n| n > mark) {
                if let Some(now) = current.iter().find(|c| c.id == agent.id) {
                    agent.presence = now.presence;
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct InboxState {
    pub me: StoredValue<AgentProfile>,
    pub folder: RwSignal<Folder>,
    pub filter: RwSignal<Filter>,
    pub rows: RwSignal<InboxRows>,
    pub selected: RwSignal<Option<Uuid>>,
    pub thread: RwSignal<Thread>,
    /// Whether the open room has messages before the oldest shown.
    pub has_older: RwSignal<bool>,
    pub conn: RwSignal<ConnState>,
    pub internal: RwSignal<bool>,
    /// Comment conversations: answer the latest comment by a private message, not publicly.
    pub private_reply: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub agents: RwSignal<Vec<AgentInfo>>,
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub presence_heard: StoredValue<PresenceHeard>,
    /// Posts with comment conversations (for the post filter and room heads).
    pub posts: RwSignal<Vec<switchboard_wire::inbox::PostInfo>>,
    /// Channels a web chat can move to ("Ask to switch to SMS").
    pub switch_to: RwSignal<Vec<switchboard_domain::Channel>>,
    /// Colleagues' chats are readable here (see `InboxContext::sees_colleagues`).
    pub sees_colleagues: RwSignal<bool>,
    pub notices: RwSignal<Vec<Notice>>,
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub auto_away_secs: RwSignal<u32>,
    /// Ticks every second in the browser, for countdowns.
    pub now: RwSignal<i64>,
    /// Conversations kept open as tabs over the room (id, contact name), oldest first.
    pub tabs: RwSignal<Vec<(Uuid, String)>>,
    /// The agent's alert choices (sound, desktop notifications), kept in this browser.
    pub alerts: RwSignal<super::alerts::AlertPrefs>,
    /// Who is typing in the open room.
    pub typing: RwSignal<crate::realtime::typing::Typing>,
    /// The agent's socket (see `live`).
    #[cfg(feature = "browser")]
    pub socket: StoredValue<Option<crate::realtime::client::LiveSocket>, LocalStorage>,
}

impl InboxState {
    pub fn new(agent: AgentProfile) -> Self {
        Self {
            me: StoredValue::new(agent),
            folder: RwSignal::new(Folder::Engaged),
            filter: RwSignal::new(Filter::default()),
            rows: RwSignal::new(InboxRows::default()),
            selected: RwSignal::new(None),
            thread: RwSignal::new(Thread::new()),
            has_older: RwSignal::new(false),
            conn: RwSignal::new(ConnState::Connecting),
            internal: RwSignal::new(false),
            private_reply: RwSignal::new(false),
            error: RwSignal::new(None),
            agents: RwSignal::new(Vec::new()),
            presence_heard: StoredValue::new(PresenceHeard::default()),
            posts: RwSignal::new(Vec::new()),
            switch_to: RwSignal::new(Vec::new()),
            sees_colleagues: RwSignal::new(true),
            notices: RwSignal::new(Vec::new()),
            auto_away_secs: RwSignal::new(300),
            now: RwSignal::new(0),
            typing: RwSignal::new(Default::default()),
            alerts: RwSignal::new(Default::default()),
            tabs: RwSignal::new(Vec::new()),
            #[cfg(feature = "browser")]
            socket: StoredValue::new_local(None),
        }
    }

    pub fn me_id(&self) -> Uuid {
        self.me.with_value(|m| m.id)
    }

    pub fn my_presence(&self) -> Presence {
        let me = self.me_id();
        self.agents.with(|a| {
            a.iter()
                .find(|a| a.id == me)
                .map(|a| a.presence)
                .unwrap_or(Presence::Offline)
        })
    }

    /// The folder and filter on screen (what the server sends live rows for).
    pub fn view(&self) -> InboxView {
        InboxView {
            folder: self.folder.get_untracked(),
            filter: self.filter.get_untracked(),
        }
    }

    /// Whether a row belongs in the list on screen: the domain's folder rules, plus unread.
    fn shows(view: InboxView, me: Uuid, s: &ConversationSummary, read_seq: u64) -> bool {
        view.shows(me, &s.placement()) && (!view.filter.unread_only || read_seq < s.last_seq)
    }

    /// Applies a live update; `UnknownRow` means the list misses a row it should have.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub fn apply(&self, update: RowUpdate) -> Applied {
        let (view, me, selected) = (self.view(), self.me_id(), self.selected.get_untracked());
        let mut applied = Applied::Ignored;
        self.rows.update(|rows| {
            applied = rows.apply(update, selected, |s, read| Self::shows(view, me, s, read))
        });
        applied
    }

    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub fn upsert(&self, summary: ConversationSummary) {
        self.apply(RowUpdate::Summary(Box::new(summary)));
    }

    /// Puts a folder's first page in place (if it is still the newest listing), replaying
    /// what came meanwhile.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub fn finish_listing(&self, generation: u64, page: switchboard_wire::inbox::FolderPage) {
        let (view, me, selected) = (self.view(), self.me_id(), self.selected.get_untracked());
        self.rows.update(|rows| {
            rows.finish_page(generation, page, selected, |s, read| {
                Self::shows(view, me, s, read)
            });
        });
    }

    /// The open room's row, if listed.
    pub fn summary_of(&self, id: Uuid) -> Option<ConversationSummary> {
        self.rows
            .with(|rows| rows.get(id).map(|r| r.summary.clone()))
    }

    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub fn notify(&self, conversation_id: Uuid, text: String) {
        let at = self.now.get_untracked();
        self.notices.update(|n| {
            let id = n.last().map(|l| l.id + 1).unwrap_or(at as u64);
            n.push(Notice {
                id,
                conversation_id,
                text,
                at,
            });
            if n.len() > 4 {
                n.remove(0);
            }
        });
    }

    pub fn online_colleagues(&self) -> Vec<AgentInfo> {
        let me = self.me_id();
        self.agents.with(|a| {
            a.iter()
                .filter(|a| a.id != me && a.presence == Presence::Online)
                .cloned()
                .collect()
        })
    }
}

/// "1:05" for a countdown, "0:00" when due.
pub(super) fn countdown(deadline: i64, now: i64) -> String {
    let secs = ((deadline - now).max(0) + 999) / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// How many conversations stay open as tabs; opening one more closes the oldest.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub(super) const MAX_TABS: usize = 8;

/// "12 s", "4 min", "2 h 05 min": how long the visitor has waited for an answer.
pub(super) fn waited(since: i64, now: i64) -> String {
    let secs = ((now - since).max(0)) / 1000;
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_listing_read_before_a_presence_frame_does_not_undo_it() {
        use super::PresenceHeard;
        use switchboard_domain::Presence;
        use switchboard_wire::auth::AgentRole;
        use switchboard_wire::inbox::AgentInfo;
        let agent = |n: u128, presence| AgentInfo {
            id: uuid::Uuid::from_u128(n),
            name: format!("A{n}"),
            email: format!("a{n}@example.com"),
            role: AgentRole::Agent,
            presence,
            capacity: 3,
            active_chats: 0,
            active: true,
        };
        let mut heard = PresenceHeard::default();
        heard.heard(agent(1, Presence::Online).id);
        // A listing is asked for; then a frame says agent 1 went Offline.
        let mark = heard.mark();
        heard.heard(agent(1, Presence::Offline).id);
        let current = [agent(1, Presence::Offline), agent(2, Presence::Away)];
        // The listing, read before that frame, still says Online; agent 2 changed since the
        // page last heard of them, with no frame yet.
        let mut listed = [agent(1, Presence::Online), agent(2, Presence::Online)];
        heard.merge(mark, &mut listed, &current);
        assert_eq!(listed[0].presence, Presence::Offline, "the frame is newer");
        assert_eq!(listed[1].presence, Presence::Online, "the listing is newer");
        // A listing asked for after the frame is taken as it is.
        let mut later = [agent(1, Presence::Away)];
        heard.merge(heard.mark(), &mut later, &current);
        assert_eq!(later[0].presence, Presence::Away);
    }

    #[test]
    fn a_wait_reads_in_seconds_minutes_then_hours() {
        use super::waited;
        assert_eq!(waited(0, 12_400), "12 s");
        assert_eq!(waited(0, 4 * 60_000 + 59_000), "4 min");
        assert_eq!(waited(0, 2 * 3_600_000 + 5 * 60_000), "2 h 05 min");
        assert_eq!(waited(10_000, 0), "0 s");
    }
}
