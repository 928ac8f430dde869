//! Which agent sockets a conversation's row update goes to: those whose inbox view shows it.
//! Indexed by folder and by the agents a scope names, so finding the recipients costs in
//! proportion to them, not to every open socket.

use std::collections::{HashMap, HashSet};
use switchboard_domain::conversation::Placement;
use switchboard_domain::{Folder, InboxView, Scope};
use uuid::Uuid;

pub type SocketId = u64;

#[derive(Debug, Default)]
pub struct ViewIndex {
    views: HashMap<SocketId, (Uuid, InboxView)>,
    /// Sockets whose view takes every conversation of a folder (shared folders, scope All).
    whole_folder: HashMap<Folder, HashSet<SocketId>>,
    /// Sockets whose view takes a folder's conversations involving one agent (Mine: the
    /// viewer; Operator: the one they watch).
    by_agent: HashMap<(Folder, Uuid), HashSet<SocketId>>,
}

impl ViewIndex {
    fn key(me: Uuid, view: &InboxView) -> Result<Folder, (Folder, Uuid)> {
        match view.effective_scope() {
            Scope::All => Ok(view.folder),
            Scope::Mine => Err((view.folder, me)),
            Scope::Operator(other) => Err((view.folder, other)),
        }
    }

    pub fn set(&mut self, socket: SocketId, me: Uuid, view: InboxView) {
        self.remove(socket);
        match Self::key(me, &view) {
            Ok(folder) => self.whole_folder.entry(folder).or_default().insert(socket),
            Err(key) => self.by_agent.entry(key).or_default().insert(socket),
        };
        self.views.insert(socket, (me, view));
    }

    pub fn remove(&mut self, socket: SocketId) {
        let Some((me, view)) = self.views.remove(&socket) else {
            return;
        };
        match Self::key(me, &view) {
            Ok(folder) => {
                if let Some(set) = self.whole_folder.get_mut(&folder) {
                    set.remove(&socket);
                    if set.is_empty() {
                        self.whole_folder.remove(&folder);
                    }
                }
            }
            Err(key) => {
                if let Some(set) = self.by_agent.get_mut(&key) {
                    set.remove(&socket);
                    if set.is_empty() {
                        self.by_agent.remove(&key);
                    }
                }
            }
        }
    }

    /// Adds to `out` every socket whose view shows a conversation placed so.
    pub fn matching(&self, p: &Placement, out: &mut Vec<SocketId>) {
        let folder = p.folder();
        let candidates = self.whole_folder.get(&folder).into_iter().flatten().chain(
            p.involved
                .iter()
                .filter_map(|a| self.by_agent.get(&(folder, *a)))
                .flatten(),
        );
        for socket in candidates {
            if let Some((me, view)) = self.views.get(socket) {
                if view.shows(*me, p) && !out.contains(socket) {
                    out.push(*socket);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.views.len()
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_domain::{Channel, ConversationStatus, Filter};

    fn placed(status: ConversationStatus, involved: &[u128]) -> Placement {
        Placement {
            status,
            lead: false,
            channel: Channel::Web,
            post: None,
            contact_id: Uuid::nil(),
            involved: involved.iter().map(|n| Uuid::from_u128(*n)).collect(),
            passed_by: vec![],
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

    fn recipients(idx: &ViewIndex, p: &Placement) -> Vec<SocketId> {
        let mut out = vec![];
        idx.matching(p, &mut out);
        out.sort();
        out
    }

    #[test]
    fn a_row_goes_only_to_views_that_show_it() {
        let mut idx = ViewIndex::default();
        let (a1, a2, admin) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(9));
        idx.set(10, a1, view(Folder::Engaged, Scope::Mine));
        idx.set(11, a2, view(Folder::Engaged, Scope::Mine));
        idx.set(12, a2, view(Folder::Queued, Scope::Mine));
        idx.set(13, admin, view(Folder::Engaged, Scope::All));
        idx.set(14, admin, view(Folder::Engaged, Scope::Operator(a1)));
        assert_eq!(
            recipients(&idx, &placed(ConversationStatus::Open, &[1])),
            vec![10, 13, 14]
        );
        assert_eq!(
            recipients(&idx, &placed(ConversationStatus::Open, &[2])),
            vec![11, 13]
        );
        assert_eq!(
            recipients(&idx, &placed(ConversationStatus::Queued, &[])),
            vec![12],
            "the queue is shared"
        );
        assert!(
            recipients(&idx, &placed(ConversationStatus::Closed, &[1])).is_empty(),
            "nobody views History"
        );
    }

    #[test]
    fn changing_or_dropping_a_view_moves_the_socket() {
        let mut idx = ViewIndex::default();
        let a1 = Uuid::from_u128(1);
        idx.set(10, a1, view(Folder::Engaged, Scope::Mine));
        idx.set(10, a1, view(Folder::History, Scope::All));
        assert!(recipients(&idx, &placed(ConversationStatus::Open, &[1])).is_empty());
        assert_eq!(
            recipients(&idx, &placed(ConversationStatus::Closed, &[5])),
            vec![10]
        );
        idx.remove(10);
        assert!(idx.is_empty());
        assert!(recipients(&idx, &placed(ConversationStatus::Closed, &[5])).is_empty());
        assert!(
            idx.whole_folder.is_empty() && idx.by_agent.is_empty(),
            "no empty buckets left behind"
        );
    }

    #[test]
    fn filters_still_apply_to_candidates() {
        let mut idx = ViewIndex::default();
        let a1 = Uuid::from_u128(1);
        let mut sms_only = view(Folder::Queued, Scope::All);
        sms_only.filter.channel = Some(Channel::Sms);
        idx.set(10, a1, sms_only);
        idx.set(11, a1, view(Folder::Queued, Scope::All));
        let mut declined = placed(ConversationStatus::Queued, &[]);
        assert_eq!(recipients(&idx, &declined), vec![11]);
        declined.passed_by.push(a1);
        assert!(
            recipients(&idx, &declined).is_empty(),
            "hidden from whoever declined it"
        );
    }
}
