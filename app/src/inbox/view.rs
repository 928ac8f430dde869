//! The inbox page: folders and live conversation list on the left, the open thread in the
//! middle, contact details on the right.

use super::Folder;
use crate::auth::{AgentProfile, Logout};
use crate::components::{format_time, ConnectionBadge, Composer, MessageList, Viewer};
use crate::conversations::InboxRow;
use crate::realtime::ConnState;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use switchboard_domain::{ConversationStatus, ConversationSummary, Thread};
use uuid::Uuid;

/// Everything the inbox page shares between its parts.
#[derive(Clone, Copy)]
pub(super) struct InboxState {
    pub folder: RwSignal<Folder>,
    pub rows: RwSignal<Vec<InboxRow>>,
    pub selected: RwSignal<Option<Uuid>>,
    pub thread: RwSignal<Thread>,
    pub conn: RwSignal<ConnState>,
    pub internal: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl InboxState {
    /// Applies a live row update: in this folder it moves to the top, otherwise it leaves.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn upsert(&self, summary: ConversationSummary) {
        let in_folder = match self.folder.get_untracked() {
            Folder::Open => summary.status != ConversationStatus::Closed,
            Folder::Closed => summary.status == ConversationStatus::Closed,
        };
        let selected = self.selected.get_untracked() == Some(summary.id);
        self.rows.update(|rows| {
            let read_seq = rows.iter().find(|r| r.summary.id == summary.id).map(|r| r.read_seq).unwrap_or(0);
            rows.retain(|r| r.summary.id != summary.id);
            if in_folder || selected {
                let read_seq = if selected { summary.last_seq } else { read_seq };
                rows.push(InboxRow { summary, read_seq });
                rows.sort_by_key(|r| std::cmp::Reverse(r.summary.last_message_at));
            }
        });
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| crate::auth::current_agent());
    view! {
        <leptos_meta::Title text="Inbox · Switchboard"/>
        <Suspense fallback=|| view! { <main class="center-page">"Loading your inbox…"</main> }>
            {move || me.get().map(|res| match res {
                Ok(Some(agent)) => view! { <Inbox agent/> }.into_any(),
                Ok(None) | Err(crate::error::ApiError::Unauthorized) => view! { <Redirect path="/login"/> }.into_any(),
                Err(e) => view! { <main class="center-page"><p class="form-error">{e.to_string()}</p></main> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Inbox(agent: AgentProfile) -> impl IntoView {
    let state = InboxState {
        folder: RwSignal::new(Folder::Open),
        rows: RwSignal::new(Vec::new()),
        selected: RwSignal::new(None),
        thread: RwSignal::new(Thread::new()),
        conn: RwSignal::new(ConnState::Connecting),
        internal: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    provide_context(state);

    #[cfg(feature = "hydrate")]
    super::live::boot(state);

    let logout = ServerAction::<Logout>::new();
    let unread_total = move || {
        state.rows.with(|rows| rows.iter().filter(|r| r.read_seq < r.summary.last_seq).count())
    };
    view! {
        <div class="inbox" data-testid="inbox">
            <header class="topbar">
                <span class="brand">"Switchboard"</span>
                <ConnectionBadge state=state.conn/>
                <span class="spacer"></span>
                <span class="me" data-testid="me">{agent.name.clone()} " · " {agent.role.as_str()}</span>
                <ActionForm action=logout attr:class="inline">
                    <button type="submit" class="ghost" data-testid="logout">"Sign out"</button>
                </ActionForm>
            </header>
            <aside class="sidebar">
                <nav class="folders">
                    <FolderTab folder=Folder::Open label="Open" badge=Signal::derive(unread_total)/>
                    <FolderTab folder=Folder::Closed label="History" badge=Signal::derive(|| 0)/>
                </nav>
                <ConversationList/>
            </aside>
            <section class="thread">
                // Keyed on the id only: row updates must not re-create the pane (and its draft).
                {move || match state.selected.get() {
                    None => view! { <div class="empty">"Pick a conversation on the left."</div> }.into_any(),
                    Some(id) => view! { <ThreadPane id/> }.into_any(),
                }}
            </section>
        </div>
    }
}

#[component]
fn FolderTab(folder: Folder, label: &'static str, badge: Signal<usize>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    view! {
        <button
            class=move || if state.folder.get() == folder { "tab active" } else { "tab" }
            data-testid=format!("folder-{}", label.to_lowercase())
            on:click=move |_| {
                if state.folder.get_untracked() != folder {
                    state.folder.set(folder);
                    state.selected.set(None);
                }
            }
        >
            {label}
            {move || (badge.get() > 0).then(|| view! { <span class="badge">{badge.get()}</span> })}
        </button>
    }
}

#[component]
fn ConversationList() -> impl IntoView {
    let state = expect_context::<InboxState>();
    view! {
        <ul class="conversations" data-testid="conversation-list">
            <For
                each=move || state.rows.get()
                key=|r| (r.summary.id, r.summary.last_seq, r.read_seq, r.summary.status, r.summary.assignee_id)
                children=move |row: InboxRow| {
                    let id = row.summary.id;
                    let unread = row.read_seq < row.summary.last_seq;
                    let display = row.summary.display_status(row.read_seq);
                    let s = row.summary;
                    view! {
                        <li
                            class=move || {
                                let mut c = format!("row status-{}", display.as_str());
                                if unread { c.push_str(" unread"); }
                                if state.selected.get() == Some(id) { c.push_str(" selected"); }
                                c
                            }
                            data-testid="conversation-row"
                            data-conversation=id.to_string()
                            on:click=move |_| state.selected.set(Some(id))
                        >
                            <div class="line1">
                                <span class="name">{s.contact_name.clone()}</span>
                                <span class="time">{format_time(s.last_message_at)}</span>
                            </div>
                            <div class="line2">
                                <span class="preview">{s.preview.clone()}</span>
                                {unread.then(|| view! { <span class="dot-unread" title="Unread"></span> })}
                            </div>
                            <div class="line3">
                                <span class="chip">{s.active_channel.label()}</span>
                                <span class=format!("chip status {}", display.as_str())>{display.as_str()}</span>
                                {s.assignee_name.clone().map(|n| view! { <span class="chip">{n}</span> })}
                            </div>
                        </li>
                    }
                }
            />
        </ul>
        <Show when=move || state.rows.with(|r| r.is_empty())>
            <p class="muted pad">{move || match state.folder.get() {
                Folder::Open => "No open conversations. New chats appear here live.",
                Folder::Closed => "No closed conversations yet.",
            }}</p>
        </Show>
    }
}

#[component]
fn ThreadPane(id: Uuid) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let summary = Memo::new(move |_| {
        state.rows.with(|rows| rows.iter().find(|r| r.summary.id == id).map(|r| r.summary.clone()))
    });
    let field = move |f: fn(&ConversationSummary) -> String| move || summary.with(|s| s.as_ref().map(f).unwrap_or_default());
    let closed = move || summary.with(|s| s.as_ref().is_some_and(|s| s.status == ConversationStatus::Closed));
    let on_send = Callback::new(move |body: String| {
        #[cfg(feature = "hydrate")]
        super::live::send(state, id, body);
        #[cfg(not(feature = "hydrate"))]
        let _ = body;
    });
    let on_retry = Callback::new(move |msg: Uuid| {
        #[cfg(feature = "hydrate")]
        super::live::retry(state, id, msg);
        #[cfg(not(feature = "hydrate"))]
        let _ = msg;
    });
    let on_close = move |_| {
        #[cfg(feature = "hydrate")]
        super::live::close(state, id);
    };
    view! {
        <div class="thread-head">
            <div>
                <h2 data-testid="thread-title">{field(|s| s.contact_name.clone())}</h2>
                <span class="muted">
                    {field(|s| {
                        let mut parts = vec![];
                        parts.extend(s.contact_email.clone());
                        parts.extend(s.contact_phone.clone());
                        parts.push(s.active_channel.label().to_string());
                        parts.join(" · ")
                    })}
                </span>
            </div>
            <span class="spacer"></span>
            <Show when=move || !closed()>
                <button class="ghost" data-testid="close-conversation" on:click=on_close>"Close"</button>
            </Show>
        </div>
        {move || state.error.get().map(|e| view! { <p class="form-error banner" role="alert">{e}</p> })}
        <MessageList thread=state.thread viewer=Viewer::Agent on_retry/>
        <div class="reply-bar">
            <label class="toggle">
                <input type="checkbox" data-testid="internal-toggle" prop:checked=state.internal
                    on:change=move |e| state.internal.set(event_target_checked(&e))/>
                "Internal note (agents only)"
            </label>
        </div>
        <Composer
            on_send
            disabled=Signal::derive(move || closed() && !state.internal.get())
            placeholder=Signal::derive(move || {
                if state.internal.get() { "Write a note only agents will see…".to_string() }
                else if closed() { "This conversation is closed.".to_string() }
                else { "Reply…".to_string() }
            })
        />
    }
}
