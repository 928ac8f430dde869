//! Who may read and act on a conversation: the authorization policy, as one pure function
//! the server functions and sockets go through (README, "Who may do what").
//!
//! - Admins read and act on every conversation.
//! - Agents act on the conversations they hold, are offered or were invited to, and on the
//!   ones nobody holds (the shared queue, a lead nobody took). Taking a chat (accept,
//!   decline) is the routing rules' to decide.
//! - Agents read those too, and their colleagues' conversations only when the team setting
//!   "agents see colleagues' chats" is on (the default); with it off, "All" in their inbox
//!   means their own and the shared ones.
//! - Another operator's inbox is the admins' view only.

use crate::conversation::Placement;
use crate::{InboxView, Scope};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a request does to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Open it, page its history, follow it live, mark it read.
    Read,
    /// Write in it, close, transfer, invite, move its channel, sign its visitor out.
    Act,
}

/// The agent asking, as the policy needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub id: Uuid,
    pub admin: bool,
    /// The team setting: agents read colleagues' conversations.
    pub sees_colleagues: bool,
}

impl Viewer {
    /// Whether this agent may `access` a conversation placed so.
    pub fn may(&self, access: Access, p: &Placement) -> bool {
        if self.admin || p.involves(self.id) || p.involved.is_empty() {
            return true;
        }
        access == Access::Read && self.sees_colleagues
    }

    /// The scope an inbox listing or view really gets: `None` when it is not theirs to ask.
    pub fn scope(&self, asked: Scope) -> Option<Scope> {
        match asked {
            Scope::Operator(_) if !self.admin => None,
            Scope::All if !self.admin && !self.sees_colleagues => Some(Scope::Mine),
            other => Some(other),
        }
    }

    /// An inbox view narrowed to what this agent may see (another operator's becomes their own).
    pub fn narrow(&self, mut view: InboxView) -> InboxView {
        view.filter.scope = self.scope(view.filter.scope).unwrap_or(Scope::Mine);
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Channel, ConversationStatus, Filter, Folder};

    fn placed(involved: &[u128]) -> Placement {
        Placement {
            status: ConversationStatus::Open,
            lead: false,
            channel: Channel::Web,
            post: None,
            contact_id: Uuid::from_u128(9),
            involved: involved.iter().map(|n| Uuid::from_u128(*n)).collect(),
            passed_by: vec![],
        }
    }

    fn viewer(n: u128, admin: bool, sees_colleagues: bool) -> Viewer {
        Viewer {
            id: Uuid::from_u128(n),
            admin,
            sees_colleagues,
        }
    }

    #[test]
    fn the_policy_as_a_table() {
        use Access::*;
        let held_by_1 = placed(&[1]);
        let room_of_1_and_2 = placed(&[1, 2]);
        let nobodys = placed(&[]);
        // (viewer, sees colleagues, conversation, access, allowed)
        let table = [
            (1, false, &held_by_1, Act, true),
            (1, false, &held_by_1, Read, true),
            (2, true, &held_by_1, Read, true),
            (2, true, &held_by_1, Act, false),
            (2, false, &held_by_1, Read, false),
            (2, false, &room_of_1_and_2, Act, true),
            (3, false, &nobodys, Act, true),
            (3, false, &nobodys, Read, true),
        ];
        for (n, sees, p, access, allowed) in table {
            assert_eq!(
                viewer(n, false, sees).may(access, p),
                allowed,
                "agent {n}, sees colleagues {sees}, {access:?} on {:?}",
                p.involved
            );
        }
        for sees in [false, true] {
            for access in [Read, Act] {
                assert!(viewer(7, true, sees).may(access, &held_by_1), "admins");
            }
        }
    }

    #[test]
    fn listings_narrow_to_what_an_agent_may_see() {
        let other = Scope::Operator(Uuid::from_u128(2));
        assert_eq!(viewer(1, false, true).scope(Scope::All), Some(Scope::All));
        assert_eq!(viewer(1, false, false).scope(Scope::All), Some(Scope::Mine));
        assert_eq!(viewer(1, false, true).scope(other), None);
        assert_eq!(viewer(1, true, false).scope(other), Some(other));
        assert_eq!(viewer(1, true, false).scope(Scope::All), Some(Scope::All));
        let view = InboxView {
            folder: Folder::Engaged,
            filter: Filter {
                scope: other,
                ..Filter::default()
            },
        };
        assert_eq!(
            viewer(1, false, true).narrow(view).filter.scope,
            Scope::Mine
        );
    }
}
