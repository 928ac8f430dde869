//! Inbox folders and filters: which conversations an agent's view shows. The server routes
//! live updates with these rules and the browser filters its list with the same ones.

use crate::conversation::{Channel, Placement};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which folder of the inbox to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    /// Requests waiting for an agent (broadcast queue, or nobody free yet).
    Queued,
    /// Chats being handled (or offered to someone).
    Engaged,
    /// Closed chats.
    History,
    /// Offline messages and chats the queue gave up on.
    Leads,
}

impl Folder {
    pub const ALL: [Folder; 4] = [
        Folder::Queued,
        Folder::Engaged,
        Folder::History,
        Folder::Leads,
    ];

    /// Whether the mine / all / operator scope applies. The queue and the leads are shared
    /// by the whole team, so they ignore it (a declined request leaves the queue per agent).
    pub fn scoped(self) -> bool {
        matches!(self, Folder::Engaged | Folder::History)
    }
}

/// Whose chats a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Scope {
    All,
    Mine,
    /// Another operator's chats (admins only).
    Operator(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub scope: Scope,
    pub unread_only: bool,
    pub channel: Option<Channel>,
    /// Comment conversations about one post only.
    #[serde(default)]
    pub post: Option<Uuid>,
}

impl Default for Filter {
    fn default() -> Self {
        // Engaged is "my chats" unless the agent asks for everyone's.
        Self {
            scope: Scope::Mine,
            unread_only: false,
            channel: None,
            post: None,
        }
    }
}

/// What one agent is looking at: a folder with a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InboxView {
    pub folder: Folder,
    pub filter: Filter,
}

impl Default for InboxView {
    fn default() -> Self {
        Self {
            folder: Folder::Engaged,
            filter: Filter::default(),
        }
    }
}

impl InboxView {
    /// The scope that applies in this folder (none in the shared folders).
    pub fn effective_scope(&self) -> Scope {
        if self.folder.scoped() {
            self.filter.scope
        } else {
            Scope::All
        }
    }

    /// Whether the view of agent `me` shows a conversation placed so. Unread-only is left to
    /// the viewer, who knows what they have read.
    pub fn shows(&self, me: Uuid, p: &Placement) -> bool {
        let folder = p.folder();
        let in_folder =
            folder == self.folder && (folder != Folder::Queued || !p.passed_by.contains(&me));
        let in_scope = match self.effective_scope() {
            Scope::All => true,
            Scope::Mine => p.involves(me),
            Scope::Operator(other) => p.involves(other),
        };
        in_folder
            && in_scope
            && self.filter.channel.is_none_or(|c| c == p.channel)
            && self.filter.post.is_none_or(|post| p.post == Some(post))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ConversationStatus::{self, *};

    fn placed(
        status: ConversationStatus,
        lead: bool,
        involved: &[u128],
        passed: &[u128],
    ) -> Placement {
        Placement {
            status,
            lead,
            channel: Channel::Web,
            post: None,
            contact_id: Uuid::nil(),
            involved: involved.iter().map(|n| Uuid::from_u128(*n)).collect(),
            passed_by: passed.iter().map(|n| Uuid::from_u128(*n)).collect(),
        }
    }

    fn view(folder: Folder, scope: Scope) -> InboxView {
        InboxView {
            folder,
            filter: Filter {
                scope,
                unread_only: false,
                channel: None,
                post: None,
            },
        }
    }

    #[test]
    fn a_post_filter_shows_the_comments_on_that_post_only() {
        let post = Uuid::from_u128(9);
        let mut v = view(Folder::Queued, Scope::All);
        v.filter.post = Some(post);
        let mut on_post = placed(Queued, false, &[], &[]);
        on_post.post = Some(post);
        let mut other_post = on_post.clone();
        other_post.post = Some(Uuid::from_u128(10));
        assert!(v.shows(Uuid::nil(), &on_post));
        assert!(!v.shows(Uuid::nil(), &other_post));
        assert!(!v.shows(Uuid::nil(), &placed(Queued, false, &[], &[])));
        v.filter.post = None;
        assert!(v.shows(Uuid::nil(), &other_post), "no filter shows all");
    }

    #[test]
    fn each_conversation_is_in_exactly_one_folder() {
        assert_eq!(placed(Queued, false, &[], &[]).folder(), Folder::Queued);
        assert_eq!(placed(Offered, false, &[1], &[]).folder(), Folder::Engaged);
        assert_eq!(placed(Open, false, &[1], &[]).folder(), Folder::Engaged);
        assert_eq!(placed(Closed, false, &[], &[]).folder(), Folder::History);
        for s in ConversationStatus::ALL {
            assert_eq!(placed(s, true, &[], &[]).folder(), Folder::Leads);
        }
    }

    #[test]
    fn mine_all_and_operator_scopes() {
        let me = Uuid::from_u128(1);
        let open_mine = placed(Open, false, &[1], &[]);
        let open_other = placed(Open, false, &[2], &[]);
        assert!(view(Folder::Engaged, Scope::Mine).shows(me, &open_mine));
        assert!(!view(Folder::Engaged, Scope::Mine).shows(me, &open_other));
        assert!(view(Folder::Engaged, Scope::All).shows(me, &open_other));
        assert!(view(Folder::Engaged, Scope::Operator(Uuid::from_u128(2))).shows(me, &open_other));
        assert!(
            !view(Folder::History, Scope::All).shows(me, &open_other),
            "wrong folder"
        );
    }

    #[test]
    fn the_queue_ignores_scope_but_hides_what_i_passed_on() {
        let me = Uuid::from_u128(1);
        let q = placed(Queued, false, &[], &[]);
        assert!(
            view(Folder::Queued, Scope::Mine).shows(me, &q),
            "the queue is the team's"
        );
        let declined = placed(Queued, false, &[], &[1]);
        assert!(!view(Folder::Queued, Scope::All).shows(me, &declined));
        assert!(view(Folder::Queued, Scope::All).shows(Uuid::from_u128(2), &declined));
        assert!(view(Folder::Leads, Scope::Mine).shows(me, &placed(Closed, true, &[], &[])));
    }

    #[test]
    fn channel_filter() {
        let me = Uuid::from_u128(1);
        let mut v = view(Folder::Queued, Scope::All);
        v.filter.channel = Some(Channel::Sms);
        assert!(!v.shows(me, &placed(Queued, false, &[], &[])));
        let mut sms = placed(Queued, false, &[], &[]);
        sms.channel = Channel::Sms;
        assert!(v.shows(me, &sms));
    }
}
