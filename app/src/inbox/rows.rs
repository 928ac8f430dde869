//! How the inbox list keeps up: a folder listing plus live updates, which can arrive out of
//! order and while a listing is in flight. Pure logic, no browser: unit-tested here.
//!
//! - A row's routing fields (status, assignee, offer…) move on with the summary's revision:
//!   an older summary never replaces a newer one.
//! - Its activity fields (last message, preview, unread) move on with `last_seq`: a compact
//!   `Activity` delta patches them, and a summary never takes them back.
//! - Updates that come while a listing runs are kept and replayed over its answer, which may
//!   have been read before them; only the newest listing is applied.
//! - A folder comes a page at a time: "Load more" appends the page after the listing's last
//!   (by the server's cursor). A row the list already has (it came live meanwhile) is not
//!   added again; the newer revision stays. A new listing (folder or filter changed, a
//!   reconnect) starts again from the first page and drops a page still in flight.

use std::collections::HashMap;
use switchboard_wire::inbox::{Activity, FolderPage, InboxRow, PageCursor};
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

/// A live update for the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Summary(Box<ConversationSummary>),
    Activity(Activity),
}

impl Update {
    fn conversation_id(&self) -> Uuid {
        match self {
            Update::Summary(s) => s.id,
            Update::Activity(a) => a.conversation_id,
        }
    }
}

/// What applying an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Changed,
    /// Older than what the list has, or it changed nothing.
    Ignored,
    /// An activity for a row the list does not have: the listing is missing it.
    UnknownRow,
}

#[derive(Debug, Default)]
pub struct InboxRows {
    rows: Vec<InboxRow>,
    revisions: HashMap<Uuid, u64>,
    generation: u64,
    /// Updates since the listing in flight started.
    since: Option<Vec<Update>>,
    /// Where the folder's next page starts; `None` once it ended (or while listing).
    next: Option<PageCursor>,
    /// A next page is being read (for the listing of this generation).
    more_in_flight: Option<u64>,
}

impl InboxRows {
    pub fn rows(&self) -> &[InboxRow] {
        &self.rows
    }

    pub fn get(&self, id: Uuid) -> Option<&InboxRow> {
        self.rows.iter().find(|r| r.summary.id == id)
    }

    pub fn unread(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.read_seq < r.summary.last_seq)
            .count()
    }

    /// A listing starts: returns its generation (only the newest is applied).
    pub fn begin_listing(&mut self) -> u64 {
        self.generation += 1;
        self.since = Some(vec![]);
        self.next = None;
        self.more_in_flight = None;
        self.generation
    }

    /// Whether the folder has a page after the rows listed.
    pub fn has_more(&self) -> bool {
        self.next.is_some()
    }

    /// Whether a next page is being read.
    pub fn loading_more(&self) -> bool {
        self.more_in_flight.is_some()
    }

    /// The first page answered: its rows (as `finish_listing`) and where the next starts.
    pub fn finish_page(
        &mut self,
        generation: u64,
        page: FolderPage,
        selected: Option<Uuid>,
        shows: impl Fn(&ConversationSummary, u64) -> bool,
    ) -> bool {
        let applied = self.finish_listing(generation, page.rows, selected, shows);
        if applied {
            self.next = page.next;
        }
        applied
    }

    /// "Load more": the generation and cursor to read the next page with, or `None` when
    /// there is none, the first page is still coming, or the next is being read already.
    pub fn begin_more(&mut self) -> Option<(u64, PageCursor)> {
        if self.since.is_some() || self.more_in_flight.is_some() {
            return None;
        }
        let next = self.next?;
        self.more_in_flight = Some(self.generation);
        Some((self.generation, next))
    }

    /// The next page failed: it may be asked for again.
    pub fn fail_more(&mut self, generation: u64) {
        if self.more_in_flight == Some(generation) {
            self.more_in_flight = None;
        }
    }

    /// The next page answered: appended unless a new listing started meanwhile. Rows already
    /// listed (they came live, or the open room kept) keep what they have unless the page's
    /// summary is newer; rows older than an update already seen are left out.
    pub fn append_page(&mut self, generation: u64, page: FolderPage) -> bool {
        if generation != self.generation || self.more_in_flight != Some(generation) {
            return false;
        }
        self.more_in_flight = None;
        for row in page.rows {
            match self
                .rows
                .iter()
                .position(|r| r.summary.id == row.summary.id)
            {
                Some(i) => {
                    let had = &self.rows[i];
                    if row.summary.revision > had.summary.revision {
                        let mut summary = row.summary;
                        if had.summary.last_seq > summary.last_seq {
                            // A delta already brought newer activity: keep it.
                            summary.last_seq = had.summary.last_seq;
                            summary.preview = had.summary.preview.clone();
                            summary.last_sender = had.summary.last_sender;
                            summary.last_message_at = had.summary.last_message_at;
                        }
                        let read_seq = had.read_seq.max(row.read_seq);
                        self.admit(&summary);
                        self.rows[i] = InboxRow { summary, read_seq };
                    }
                }
                None => {
                    if self.admit(&row.summary) {
                        self.rows.push(row);
                    }
                }
            }
        }
        self.next = page.next;
        self.sort();
        true
    }

    /// A listing answered. `shows` says whether a row belongs in the view (with its read
    /// position); the `selected` conversation stays even if it left the folder.
    pub fn finish_listing(
        &mut self,
        generation: u64,
        listed: Vec<InboxRow>,
        selected: Option<Uuid>,
        shows: impl Fn(&ConversationSummary, u64) -> bool,
    ) -> bool {
        if generation != self.generation {
            return false;
        }
        let since = self.since.take().unwrap_or_default();
        let kept = selected.and_then(|id| self.get(id).cloned());
        let mut rows = Vec::with_capacity(listed.len());
        for row in listed {
            // Older than an update already seen: that update came while the listing ran and
            // is replayed below.
            if self.admit(&row.summary) {
                rows.push(row);
            }
        }
        if let Some(keep) = kept {
            if !rows.iter().any(|r| r.summary.id == keep.summary.id) {
                rows.push(keep);
            }
        }
        self.rows = rows;
        self.sort();
        for update in since {
            self.apply_now(update, selected, &shows);
        }
        true
    }

    fn admit(&mut self, s: &ConversationSummary) -> bool {
        let seen = self.revisions.entry(s.id).or_insert(0);
        if s.revision < *seen {
            return false;
        }
        *seen = s.revision;
        true
    }

    fn sort(&mut self) {
        self.rows
            .sort_by_key(|r| (std::cmp::Reverse(r.summary.last_message_at), r.summary.id));
    }

    /// Applies a live update (and keeps it for a listing in flight).
    pub fn apply(
        &mut self,
        update: Update,
        selected: Option<Uuid>,
        shows: impl Fn(&ConversationSummary, u64) -> bool,
    ) -> Applied {
        if let Some(since) = self.since.as_mut() {
            since.push(update.clone());
        }
        let applied = self.apply_now(update, selected, &shows);
        // While a listing runs, a missing row is expected: the listing brings it.
        if applied == Applied::UnknownRow && self.since.is_some() {
            return Applied::Ignored;
        }
        applied
    }

    fn apply_now(
        &mut self,
        update: Update,
        selected: Option<Uuid>,
        shows: &impl Fn(&ConversationSummary, u64) -> bool,
    ) -> Applied {
        let id = update.conversation_id();
        let is_selected = selected == Some(id);
        let existing = self.rows.iter().position(|r| r.summary.id == id);
        match update {
            Update::Summary(summary) => {
                let mut summary = *summary;
                if !self.admit(&summary) {
                    return Applied::Ignored;
                }
                let mut read_seq = existing.map(|i| self.rows[i].read_seq).unwrap_or(0);
                if let Some(i) = existing {
                    let old = &self.rows[i].summary;
                    if old.last_seq > summary.last_seq {
                        // A delta already brought newer activity: keep it.
                        summary.last_seq = old.last_seq;
                        summary.preview = old.preview.clone();
                        summary.last_sender = old.last_sender;
                        summary.last_message_at = old.last_message_at;
                    }
                }
                if is_selected {
                    read_seq = summary.last_seq;
                }
                if let Some(i) = existing {
                    self.rows.remove(i);
                }
                if shows(&summary, read_seq) || is_selected {
                    self.rows.push(InboxRow { summary, read_seq });
                }
                self.sort();
                Applied::Changed
            }
            Update::Activity(a) => {
                let Some(i) = existing else {
                    return Applied::UnknownRow;
                };
                let row = &mut self.rows[i];
                if a.last_seq <= row.summary.last_seq {
                    return Applied::Ignored;
                }
                row.summary.last_seq = a.last_seq;
                if let Some(preview) = a.preview {
                    row.summary.preview = preview;
                    row.summary.last_sender = a.last_sender;
                    row.summary.last_message_at = a.last_message_at;
                }
                if is_selected {
                    row.read_seq = a.last_seq;
                }
                self.sort();
                Applied::Changed
            }
        }
    }

    /// The agent read a conversation up to `seq`.
    pub fn mark_read(&mut self, id: Uuid, seq: u64) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.summary.id == id) {
            row.read_seq = row.read_seq.max(seq);
        }
    }

    pub fn remove(&mut self, id: Uuid) {
        self.rows.retain(|r| r.summary.id != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_domain::{Channel, ConversationStatus, SenderKind};

    fn summary(
        id: u128,
        revision: u64,
        status: ConversationStatus,
        last_seq: u64,
        at: i64,
    ) -> ConversationSummary {
        ConversationSummary {
            id: Uuid::from_u128(id),
            contact_id: Uuid::nil(),
            contact_name: format!("C{id}"),
            contact_email: None,
            contact_phone: None,
            status,
            active_channel: Channel::Web,
            assignee_id: None,
            assignee_name: None,
            last_seq,
            preview: format!("m{last_seq}"),
            last_sender: Some(SenderKind::Visitor),
            last_message_at: at,
            created_at: 0,
            offered_to: None,
            offered_to_name: None,
            deadline: None,
            missed: false,
            lead: false,
            queued_at: 0,
            passed_by: vec![],
            participants: vec![],
            revision,
            post: None,
        }
    }

    fn row(s: ConversationSummary) -> InboxRow {
        InboxRow {
            summary: s,
            read_seq: 0,
        }
    }

    fn activity(id: u128, last_seq: u64, at: i64) -> Activity {
        Activity {
            conversation_id: Uuid::from_u128(id),
            last_seq,
            preview: Some(format!("m{last_seq}")),
            last_sender: Some(SenderKind::Agent),
            last_message_at: at,
        }
    }

    /// The Queued folder.
    fn queued(s: &ConversationSummary, _read: u64) -> bool {
        s.status == ConversationStatus::Queued
    }

    fn ids(rows: &InboxRows) -> Vec<u128> {
        rows.rows().iter().map(|r| r.summary.id.as_u128()).collect()
    }

    #[test]
    fn an_older_summary_never_replaces_a_newer_one() {
        let mut rows = InboxRows::default();
        let g = rows.begin_listing();
        rows.finish_listing(
            g,
            vec![row(summary(1, 3, ConversationStatus::Queued, 1, 10))],
            None,
            queued,
        );
        assert_eq!(
            rows.apply(
                Update::Summary(Box::new(summary(1, 5, ConversationStatus::Open, 1, 10))),
                None,
                queued
            ),
            Applied::Changed
        );
        assert!(rows.rows().is_empty(), "taken: it left the queue");
        assert_eq!(
            rows.apply(
                Update::Summary(Box::new(summary(1, 4, ConversationStatus::Queued, 1, 10))),
                None,
                queued
            ),
            Applied::Ignored
        );
        assert!(rows.rows().is_empty(), "published later, but older");
    }

    #[test]
    fn live_updates_during_a_listing_are_replayed_over_its_answer() {
        let mut rows = InboxRows::default();
        let g = rows.begin_listing();
        // While the listing runs, conversation 2 arrives and 1 is taken.
        rows.apply(
            Update::Summary(Box::new(summary(2, 2, ConversationStatus::Queued, 1, 20))),
            None,
            queued,
        );
        rows.apply(
            Update::Summary(Box::new(summary(1, 6, ConversationStatus::Open, 2, 15))),
            None,
            queued,
        );
        // The listing was read before both.
        let listed = vec![row(summary(1, 4, ConversationStatus::Queued, 1, 10))];
        assert!(rows.finish_listing(g, listed, None, queued));
        assert_eq!(
            ids(&rows),
            vec![2],
            "the stale row is dropped, the new one kept"
        );
        // A superseded listing is not applied.
        let old = rows.begin_listing();
        let newer = rows.begin_listing();
        assert!(!rows.finish_listing(old, vec![], None, queued));
        assert!(rows.finish_listing(
            newer,
            vec![row(summary(2, 2, ConversationStatus::Queued, 1, 20))],
            None,
            queued
        ));
    }

    #[test]
    fn activity_patches_the_row_and_a_summary_never_takes_it_back() {
        let mut rows = InboxRows::default();
        let g = rows.begin_listing();
        rows.finish_listing(
            g,
            vec![
                row(summary(1, 3, ConversationStatus::Queued, 1, 10)),
                row(summary(2, 3, ConversationStatus::Queued, 1, 20)),
            ],
            None,
            queued,
        );
        assert_eq!(ids(&rows), vec![2, 1], "newest activity first");
        assert_eq!(
            rows.apply(Update::Activity(activity(1, 2, 30)), None, queued),
            Applied::Changed
        );
        assert_eq!(ids(&rows), vec![1, 2], "moved to the top");
        assert_eq!(rows.get(Uuid::from_u128(1)).unwrap().summary.preview, "m2");
        assert_eq!(rows.unread(), 2);
        // A status change read before the message arrives after it.
        rows.apply(
            Update::Summary(Box::new(summary(1, 4, ConversationStatus::Queued, 1, 10))),
            None,
            queued,
        );
        let r = rows.get(Uuid::from_u128(1)).unwrap();
        assert_eq!(
            (
                r.summary.revision,
                r.summary.last_seq,
                r.summary.preview.as_str()
            ),
            (4, 2, "m2")
        );
        assert_eq!(
            rows.apply(Update::Activity(activity(1, 2, 30)), None, queued),
            Applied::Ignored,
            "the same delta twice"
        );
        let note = Activity {
            preview: None,
            last_sender: None,
            ..activity(1, 3, 40)
        };
        rows.apply(Update::Activity(note), None, queued);
        assert_eq!(
            rows.get(Uuid::from_u128(1)).unwrap().summary.preview,
            "m2",
            "an internal note is no preview"
        );
        assert_eq!(
            rows.get(Uuid::from_u128(1)).unwrap().summary.last_seq,
            3,
            "but it is unread"
        );
    }

    #[test]
    fn an_activity_for_a_missing_row_asks_for_a_reload_unless_a_listing_brings_it() {
        let mut rows = InboxRows::default();
        assert_eq!(
            rows.apply(Update::Activity(activity(9, 2, 1)), None, queued),
            Applied::UnknownRow
        );
        rows.begin_listing();
        assert_eq!(
            rows.apply(Update::Activity(activity(9, 3, 1)), None, queued),
            Applied::Ignored
        );
    }

    fn page(rows: Vec<InboxRow>, next: Option<u128>) -> FolderPage {
        FolderPage {
            rows,
            next: next.map(|id| PageCursor {
                last_message_at: 0,
                id: Uuid::from_u128(id),
            }),
        }
    }

    #[test]
    fn load_more_appends_the_next_page_once_and_a_new_listing_starts_over() {
        let mut rows = InboxRows::default();
        assert_eq!(rows.begin_more(), None, "nothing listed yet");
        let g = rows.begin_listing();
        assert_eq!(rows.begin_more(), None, "the first page is still coming");
        rows.finish_page(
            g,
            page(
                vec![
                    row(summary(1, 3, ConversationStatus::Queued, 1, 50)),
                    row(summary(2, 3, ConversationStatus::Queued, 1, 40)),
                ],
                Some(2),
            ),
            None,
            queued,
        );
        assert!(rows.has_more());
        let (gm, after) = rows.begin_more().expect("a next page");
        assert_eq!((gm, after.id), (g, Uuid::from_u128(2)));
        assert!(rows.loading_more());
        assert_eq!(rows.begin_more(), None, "one page at a time");
        // While it is read, 3 (on that page) comes live with a newer revision, and 9 is new.
        rows.apply(
            Update::Summary(Box::new(summary(3, 5, ConversationStatus::Queued, 2, 60))),
            None,
            queued,
        );
        rows.apply(
            Update::Summary(Box::new(summary(9, 1, ConversationStatus::Queued, 1, 70))),
            None,
            queued,
        );
        assert!(rows.append_page(
            gm,
            page(
                vec![
                    row(summary(3, 4, ConversationStatus::Queued, 1, 30)),
                    row(summary(4, 3, ConversationStatus::Queued, 1, 20)),
                ],
                None,
            ),
        ));
        assert_eq!(
            ids(&rows),
            vec![9, 3, 1, 2, 4],
            "every row once, newest first"
        );
        assert_eq!(rows.get(Uuid::from_u128(3)).unwrap().summary.revision, 5);
        assert!(!rows.has_more() && !rows.loading_more(), "the folder ended");
        assert_eq!(rows.begin_more(), None);

        // A failed page may be asked again; a new listing drops the one in flight.
        let g = rows.begin_listing();
        rows.finish_page(
            g,
            page(
                vec![row(summary(1, 3, ConversationStatus::Queued, 1, 50))],
                Some(1),
            ),
            None,
            queued,
        );
        let (gm, _) = rows.begin_more().unwrap();
        rows.fail_more(gm);
        let (gm, _) = rows.begin_more().expect("again after a failure");
        let g2 = rows.begin_listing();
        assert!(!rows.has_more(), "starts again from the first page");
        assert!(!rows.append_page(
            gm,
            page(
                vec![row(summary(4, 3, ConversationStatus::Queued, 1, 20))],
                None
            ),
        ));
        rows.finish_page(g2, page(vec![], None), None, queued);
        assert!(ids(&rows).is_empty());
    }

    #[test]
    fn the_open_room_stays_listed_and_read() {
        let mut rows = InboxRows::default();
        let id = Uuid::from_u128(1);
        let g = rows.begin_listing();
        rows.finish_listing(
            g,
            vec![row(summary(1, 3, ConversationStatus::Queued, 1, 10))],
            Some(id),
            queued,
        );
        rows.apply(
            Update::Summary(Box::new(summary(1, 5, ConversationStatus::Open, 1, 10))),
            Some(id),
            queued,
        );
        assert_eq!(
            ids(&rows),
            vec![1],
            "left the folder but it is open on screen"
        );
        rows.apply(Update::Activity(activity(1, 2, 20)), Some(id), queued);
        assert_eq!(rows.unread(), 0, "read as it arrives");
        let g = rows.begin_listing();
        rows.finish_listing(g, vec![], Some(id), queued);
        assert_eq!(ids(&rows), vec![1], "a new listing keeps it too");
    }
}
