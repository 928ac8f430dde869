//! The inbox page: folders, filters and the live conversation list on the left; the open
//! room in the middle with its actions (start / accept / hold / decline, transfer, invite,
//! close) and room details.

use super::{AgentInfo, ContactHit, Filter, Folder, Scope};
use crate::auth::{AgentProfile, AgentRole, Logout};
use crate::components::{format_time, ConnectionBadge, Composer, MessageList, Viewer};
use crate::conversations::InboxRow;
use crate::realtime::ConnState;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use switchboard_domain::{Channel, ConversationStatus, ConversationSummary, Presence, SummaryRevisions, Thread};
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
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(super) const NOTICE_MILLIS: i64 = 10_000;

/// Everything the inbox page shares between its parts.
#[derive(Clone, Copy)]
pub(super) struct InboxState {
    pub me: StoredValue<AgentProfile>,
    pub folder: RwSignal<Folder>,
    pub filter: RwSignal<Filter>,
    pub rows: RwSignal<Vec<InboxRow>>,
    pub selected: RwSignal<Option<Uuid>>,
    pub thread: RwSignal<Thread>,
    pub conn: RwSignal<ConnState>,
    pub internal: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub agents: RwSignal<Vec<AgentInfo>>,
    pub notices: RwSignal<Vec<Notice>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub auto_away_secs: RwSignal<u32>,
    /// Ticks every second in the browser, for countdowns.
    pub now: RwSignal<i64>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub list_load: StoredValue<ListLoad>,
    /// The newest revision seen of each conversation: an older summary never wins.
    pub revisions: StoredValue<SummaryRevisions>,
}

/// The folder listing in flight. Live updates that arrive while it runs are kept and
/// replayed over its answer, which may have been read before them; only the newest
/// listing is applied.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(super) struct ListLoad {
    pub generation: u64,
    pub since: Option<Vec<ConversationSummary>>,
}

impl InboxState {
    pub fn me_id(&self) -> Uuid {
        self.me.with_value(|m| m.id)
    }

    pub fn my_presence(&self) -> Presence {
        let me = self.me_id();
        self.agents.with(|a| a.iter().find(|a| a.id == me).map(|a| a.presence).unwrap_or(Presence::Offline))
    }

    /// Whether a summary belongs in the current folder and filter (live updates use this).
    fn shows(&self, s: &ConversationSummary, read_seq: u64) -> bool {
        let me = self.me_id();
        let filter = self.filter.get_untracked();
        let in_folder = match self.folder.get_untracked() {
            Folder::Queued => s.queued_for(me),
            Folder::Engaged => !s.lead && matches!(s.status, ConversationStatus::Offered | ConversationStatus::Open),
            Folder::History => !s.lead && s.status == ConversationStatus::Closed,
            Folder::Leads => s.lead,
        };
        let in_scope = match filter.scope {
            _ if !self.folder.get_untracked().scoped() => true,
            Scope::All => true,
            Scope::Mine => s.involves(me),
            Scope::Operator(id) => s.involves(id),
        };
        in_folder
            && in_scope
            && filter.channel.is_none_or(|c| c == s.active_channel)
            && (!filter.unread_only || read_seq < s.last_seq)
    }

    /// Applies a live row update: matching rows move to the top, others leave.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn upsert(&self, summary: ConversationSummary) {
        self.list_load.update_value(|l| {
            if let Some(since) = l.since.as_mut() {
                since.push(summary.clone());
            }
        });
        self.apply(summary);
    }

    /// Puts a freshly listed folder in place, then replays what happened meanwhile.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn replace_rows(&self, listed: Vec<InboxRow>, since: Vec<ConversationSummary>) {
        // A listed row older than a live update already seen is dropped: that update came
        // while the listing ran, so it is in `since` and replayed below.
        let rows = listed
            .into_iter()
            .filter(|row| self.revisions.try_update_value(|r| r.admit(&row.summary)).unwrap_or(true))
            .collect();
        self.rows.set(rows);
        for summary in since {
            self.apply(summary);
        }
    }

    fn apply(&self, summary: ConversationSummary) {
        if !self.revisions.try_update_value(|r| r.admit(&summary)).unwrap_or(true) {
            return;
        }
        let selected = self.selected.get_untracked() == Some(summary.id);
        let read_seq = self
            .rows
            .with_untracked(|rows| rows.iter().find(|r| r.summary.id == summary.id).map(|r| r.read_seq))
            .unwrap_or(0);
        let read_seq = if selected { summary.last_seq } else { read_seq };
        let keep = self.shows(&summary, read_seq) || selected;
        self.rows.update(|rows| {
            rows.retain(|r| r.summary.id != summary.id);
            if keep {
                rows.push(InboxRow { summary, read_seq });
                rows.sort_by_key(|r| std::cmp::Reverse(r.summary.last_message_at));
            }
        });
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn notify(&self, conversation_id: Uuid, text: String) {
        let at = self.now.get_untracked();
        self.notices.update(|n| {
            let id = n.last().map(|l| l.id + 1).unwrap_or(at as u64);
            n.push(Notice { id, conversation_id, text, at });
            if n.len() > 4 {
                n.remove(0);
            }
        });
    }

    fn online_colleagues(&self) -> Vec<AgentInfo> {
        let me = self.me_id();
        self.agents.with(|a| a.iter().filter(|a| a.id != me && a.presence == Presence::Online).cloned().collect())
    }
}

/// "1:05" for a countdown, "0:00" when due.
fn countdown(deadline: i64, now: i64) -> String {
    let secs = ((deadline - now).max(0) + 999) / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
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
    let is_admin = agent.role == AgentRole::Admin;
    let state = InboxState {
        me: StoredValue::new(agent.clone()),
        folder: RwSignal::new(Folder::Engaged),
        filter: RwSignal::new(Filter::default()),
        rows: RwSignal::new(Vec::new()),
        selected: RwSignal::new(None),
        thread: RwSignal::new(Thread::new()),
        conn: RwSignal::new(ConnState::Connecting),
        internal: RwSignal::new(false),
        error: RwSignal::new(None),
        agents: RwSignal::new(Vec::new()),
        notices: RwSignal::new(Vec::new()),
        auto_away_secs: RwSignal::new(300),
        now: RwSignal::new(0),
        list_load: StoredValue::new(ListLoad::default()),
        revisions: StoredValue::new(SummaryRevisions::default()),
    };
    provide_context(state);

    #[cfg(feature = "hydrate")]
    super::live::boot(state);

    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="inbox" data-testid="inbox">
            <header class="topbar">
                <span class="brand">"Switchboard"</span>
                <ConnectionBadge state=state.conn/>
                <SearchBox/>
                <span class="spacer"></span>
                {is_admin.then(|| view! { <a class="ghost" href="/admin" data-testid="admin-link">"Admin"</a> })}
                <PresencePicker/>
                <span class="me" data-testid="me">{agent.name.clone()} " · " {agent.role.as_str()}</span>
                <ActionForm action=logout attr:class="inline">
                    <button type="submit" class="ghost" data-testid="logout">"Sign out"</button>
                </ActionForm>
            </header>
            <aside class="sidebar">
                <nav class="folders">
                    <FolderTab folder=Folder::Queued label="Queued"/>
                    <FolderTab folder=Folder::Engaged label="Engaged"/>
                    <FolderTab folder=Folder::History label="History"/>
                    <FolderTab folder=Folder::Leads label="Leads"/>
                </nav>
                <Filters is_admin/>
                <Show when=move || state.folder.get() == Folder::Queued && state.my_presence() != Presence::Online>
                    <p class="hint pad" data-testid="offline-hint">"You are not Online: go Online to take chats."</p>
                </Show>
                <ConversationList/>
            </aside>
            <section class="thread">
                // Keyed on the id only: row updates must not re-create the pane (and its draft).
                {move || match state.selected.get() {
                    None => view! { <div class="empty">"Pick a conversation on the left."</div> }.into_any(),
                    Some(id) => view! { <Room id/> }.into_any(),
                }}
            </section>
            <Notices/>
        </div>
    }
}

#[component]
fn PresencePicker() -> impl IntoView {
    let state = expect_context::<InboxState>();
    let change = move |ev| {
        let Some(p) = Presence::parse(&event_target_value(&ev)) else { return };
        #[cfg(feature = "hydrate")]
        super::live::choose_presence(state, p);
        #[cfg(not(feature = "hydrate"))]
        let _ = p;
    };
    view! {
        <label class=move || format!("presence presence-{}", state.my_presence().as_str())>
            <span class="dot"></span>
            <select data-testid="presence" on:change=change prop:value=move || state.my_presence().as_str()>
                {[Presence::Online, Presence::Away, Presence::Offline].map(|p| view! {
                    <option value=p.as_str() selected=move || state.my_presence() == p>{p.label()}</option>
                })}
            </select>
        </label>
    }
}

#[component]
fn SearchBox() -> impl IntoView {
    let state = expect_context::<InboxState>();
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<ContactHit>::new());
    let searching = move || query.with(|q| q.trim().chars().count() >= 2);
    let on_input = move |ev| {
        let q = event_target_value(&ev);
        query.set(q.clone());
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let found = super::search_contacts(q.clone()).await.unwrap_or_default();
            if query.get_untracked() == q {
                hits.set(found);
            }
        });
    };
    view! {
        <div class="search">
            <input type="search" placeholder="Search contacts: name, email, phone" data-testid="search"
                prop:value=query on:input=on_input/>
            <Show when=searching>
                <ul class="search-results" data-testid="search-results">
                    {move || {
                        let list = hits.get();
                        if list.is_empty() {
                            return view! { <li class="muted">"No contacts found."</li> }.into_any();
                        }
                        list.into_iter().map(|h| {
                            let conv = h.conversation.clone();
                            let open = move |_| {
                                if let Some(c) = &conv {
                                    state.folder.set(match (c.lead, c.status) {
                                        (true, _) => Folder::Leads,
                                        (_, ConversationStatus::Closed) => Folder::History,
                                        (_, ConversationStatus::Queued) => Folder::Queued,
                                        _ => Folder::Engaged,
                                    });
                                    state.filter.set(Filter::default());
                                    state.selected.set(Some(c.id));
                                }
                                query.set(String::new());
                            };
                            view! {
                                <li data-testid="search-hit" on:click=open>
                                    <strong>{h.name.clone()}</strong>
                                    <span class="muted">
                                        {[h.email.clone(), h.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")}
                                    </span>
                                </li>
                            }
                        }).collect_view().into_any()
                    }}
                </ul>
            </Show>
        </div>
    }
}

#[component]
fn FolderTab(folder: Folder, label: &'static str) -> impl IntoView {
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
        </button>
    }
}

#[component]
fn Filters(is_admin: bool) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let scope_btn = move |scope: Scope, label: &'static str| {
        view! {
            <button
                // The queue and the leads are the team's: no mine / all there.
                hidden=move || !state.folder.get().scoped()
                class=move || if state.filter.get().scope == scope { "chip-btn on" } else { "chip-btn" }
                data-testid=format!("filter-{}", label.to_lowercase())
                on:click=move |_| state.filter.update(|f| f.scope = scope)
            >{label}</button>
        }
    };
    let operator_change = move |ev| {
        let v = event_target_value(&ev);
        state.filter.update(|f| {
            f.scope = Uuid::parse_str(&v).map(Scope::Operator).unwrap_or(Scope::All);
        });
    };
    let channel_change = move |ev| {
        let v = event_target_value(&ev);
        state.filter.update(|f| f.channel = Channel::parse(&v));
    };
    view! {
        <div class="filters">
            {scope_btn(Scope::All, "All")}
            {scope_btn(Scope::Mine, "Mine")}
            <button
                class=move || if state.filter.get().unread_only { "chip-btn on" } else { "chip-btn" }
                data-testid="filter-unread"
                on:click=move |_| state.filter.update(|f| f.unread_only = !f.unread_only)
            >"Unread"</button>
            {is_admin.then(|| view! {
                <select data-testid="filter-operator" on:change=operator_change title="Another operator's chats"
                    hidden=move || !state.folder.get().scoped()>
                    <option value="">"Operator…"</option>
                    {move || state.agents.get().into_iter().map(|a| view! {
                        <option value=a.id.to_string()>{a.name}</option>
                    }).collect_view()}
                </select>
            })}
            <select data-testid="filter-channel" on:change=channel_change title="Channel">
                <option value="">"All channels"</option>
                {Channel::ALL.map(|c| view! { <option value=c.as_str()>{c.label()}</option> })}
            </select>
        </div>
    }
}

#[component]
fn ConversationList() -> impl IntoView {
    let state = expect_context::<InboxState>();
    view! {
        <ul class="conversations" data-testid="conversation-list">
            <For
                each=move || state.rows.get()
                // Any change to a row re-renders it.
                key=|r| format!("{r:?}")
                children=move |row: InboxRow| view! { <Row row/> }
            />
        </ul>
        <Show when=move || state.rows.with(|r| r.is_empty())>
            <p class="muted pad" data-testid="empty-folder">{move || match state.folder.get() {
                Folder::Queued => "Nobody is waiting. New requests appear here live.",
                Folder::Engaged => "No chats in progress.",
                Folder::History => "No closed conversations yet.",
                Folder::Leads => "No offline leads.",
            }}</p>
        </Show>
    }
}

#[component]
fn Row(row: InboxRow) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let me = state.me_id();
    let s = row.summary;
    let id = s.id;
    let unread = row.read_seq < s.last_seq;
    let display = s.display_status(row.read_seq);
    let offered_to_me = s.status == ConversationStatus::Offered && s.offered_to == Some(me);
    let queued = s.status == ConversationStatus::Queued && !s.lead;
    let deadline = s.deadline;
    let timer_class = if s.status == ConversationStatus::Offered { "timer accept" } else { "timer queue" };
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
            data-status=s.status.as_str()
            on:click=move |_| state.selected.set(Some(id))
        >
            <div class="line1">
                <span class="name">{s.contact_name.clone()}</span>
                {match deadline {
                    Some(d) => view! {
                        <span class=timer_class data-testid="timer" title="Time left">{move || countdown(d, state.now.get())}</span>
                    }.into_any(),
                    None => view! { <span class="time">{format_time(s.last_message_at)}</span> }.into_any(),
                }}
            </div>
            <div class="line2">
                <span class="preview">{s.preview.clone()}</span>
                {unread.then(|| view! { <span class="dot-unread" title="Unread"></span> })}
            </div>
            <div class="line3">
                <span class="chip">{s.active_channel.label()}</span>
                <span class=format!("chip status {}", display.as_str())>{display.as_str()}</span>
                {s.missed.then(|| view! { <span class="chip warn" data-testid="missed">"missed"</span> })}
                {s.lead.then(|| view! { <span class="chip">"lead"</span> })}
                {s.assignee_name.clone().map(|n| view! { <span class="chip">{n}</span> })}
                {(s.status == ConversationStatus::Offered && !offered_to_me).then(|| s.offered_to_name.clone().map(|n| view! {
                    <span class="chip">"offered to " {n}</span>
                }))}
            </div>
            {(queued || offered_to_me).then(|| view! { <RowActions id offered=offered_to_me/> })}
        </li>
    }
}

/// Start chat (queue) or Accept / Hold / Decline (an offer to me).
#[component]
fn RowActions(id: Uuid, offered: bool) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let act = move |action: &'static str| {
        move |ev: leptos::ev::MouseEvent| {
            ev.stop_propagation();
            #[cfg(feature = "hydrate")]
            super::live::act(state, id, action);
            #[cfg(not(feature = "hydrate"))]
            let _ = (action, state, id);
        }
    };
    view! {
        <div class="row-actions">
            {if offered {
                view! {
                    <button class="primary small" data-testid="accept" on:click=act("accept")>"Accept"</button>
                    <button class="ghost small" data-testid="hold" on:click=act("hold")>"Hold"</button>
                    <button class="ghost small" data-testid="decline" on:click=act("decline")>"Decline"</button>
                }.into_any()
            } else {
                view! {
                    <button class="primary small" data-testid="start-chat" on:click=act("accept")>"Start chat"</button>
                    <button class="ghost small" data-testid="decline" on:click=act("decline")>"Decline"</button>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn Room(id: Uuid) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let me = state.me_id();
    let summary = Memo::new(move |_| {
        state.rows.with(|rows| rows.iter().find(|r| r.summary.id == id).map(|r| r.summary.clone()))
    });
    let field = move |f: fn(&ConversationSummary) -> String| move || summary.with(|s| s.as_ref().map(f).unwrap_or_default());
    let status = move || summary.with(|s| s.as_ref().map(|s| s.status));
    let closed = move || status() == Some(ConversationStatus::Closed);
    let waiting = move || summary.with(|s| s.as_ref().is_some_and(|s| s.queued_for(me) || (s.status == ConversationStatus::Offered && s.offered_to == Some(me))));
    let open = move || status() == Some(ConversationStatus::Open);
    let panel = RwSignal::new(None::<&'static str>);
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
    let act = move |action: &'static str| {
        move |_| {
            #[cfg(feature = "hydrate")]
            super::live::act(state, id, action);
            #[cfg(not(feature = "hydrate"))]
            let _ = action;
        }
    };
    let toggle = move |name: &'static str| move |_| panel.update(|p| *p = if *p == Some(name) { None } else { Some(name) });
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
            <Show when=waiting>
                <button class="primary" data-testid="room-accept" on:click=act("accept")>"Start chat"</button>
            </Show>
            <Show when=open>
                <button class="ghost" data-testid="transfer" on:click=toggle("transfer")>"Transfer"</button>
                <button class="ghost" data-testid="invite" on:click=toggle("invite")>"Invite"</button>
            </Show>
            <button class="ghost" data-testid="details" on:click=toggle("details")>"Details"</button>
            <Show when=move || !closed()>
                <button class="ghost" data-testid="close-conversation" on:click=act("close")>"Close"</button>
            </Show>
        </div>
        {move || state.error.get().map(|e| view! { <p class="form-error banner" role="alert" data-testid="room-error">{e}</p> })}
        {move || match panel.get() {
            Some("transfer") => view! { <TransferPanel id on_done=Callback::new(move |_| panel.set(None))/> }.into_any(),
            Some("invite") => view! { <InvitePanel id on_done=Callback::new(move |_| panel.set(None))/> }.into_any(),
            Some("details") => view! { <Details summary/> }.into_any(),
            _ => ().into_any(),
        }}
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
                else if waiting() { "Reply to start this chat…".to_string() }
                else { "Reply…".to_string() }
            })
        />
    }
}

#[component]
fn TransferPanel(id: Uuid, on_done: Callback<()>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let to = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(target) = Uuid::parse_str(&to.get_untracked()) else {
            state.error.set(Some("Pick an Online agent to transfer to.".into()));
            return;
        };
        #[cfg(feature = "hydrate")]
        super::live::transfer(state, id, target, comment.get_untracked(), on_done);
        #[cfg(not(feature = "hydrate"))]
        let _ = (target, on_done, id);
    };
    view! {
        <form class="panel" data-testid="transfer-panel" on:submit=submit>
            <strong>"Transfer to"</strong>
            <select data-testid="transfer-to" on:change=move |e| to.set(event_target_value(&e)) prop:value=to>
                <option value="">"Choose an Online agent…"</option>
                {move || state.online_colleagues().into_iter().map(|a| view! {
                    <option value=a.id.to_string()>{format!("{} ({} chats)", a.name, a.active_chats)}</option>
                }).collect_view()}
            </select>
            <textarea rows="2" data-testid="transfer-comment" placeholder="Comment for your colleague (the visitor never sees it)"
                on:input=move |e| comment.set(event_target_value(&e)) prop:value=comment></textarea>
            <div class="panel-actions">
                <button type="submit" class="primary" data-testid="transfer-submit">"Transfer"</button>
                <button type="button" class="ghost" on:click=move |_| on_done.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn InvitePanel(id: Uuid, on_done: Callback<()>) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let who = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(agent) = Uuid::parse_str(&who.get_untracked()) else {
            state.error.set(Some("Pick an Online agent to invite.".into()));
            return;
        };
        #[cfg(feature = "hydrate")]
        super::live::invite(state, id, agent, on_done);
        #[cfg(not(feature = "hydrate"))]
        let _ = (agent, on_done, id);
    };
    view! {
        <form class="panel" data-testid="invite-panel" on:submit=submit>
            <strong>"Invite into this chat"</strong>
            <select data-testid="invite-who" on:change=move |e| who.set(event_target_value(&e)) prop:value=who>
                <option value="">"Choose an Online agent…"</option>
                {move || state.online_colleagues().into_iter().map(|a| view! {
                    <option value=a.id.to_string()>{a.name}</option>
                }).collect_view()}
            </select>
            <div class="panel-actions">
                <button type="submit" class="primary" data-testid="invite-submit">"Invite"</button>
                <button type="button" class="ghost" on:click=move |_| on_done.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn Details(summary: Memo<Option<ConversationSummary>>) -> impl IntoView {
    view! {
        <div class="panel details" data-testid="room-details">
            {move || summary.get().map(|s| view! {
                <dl>
                    <dt>"Contact"</dt><dd>{s.contact_name.clone()}</dd>
                    <dt>"Email"</dt><dd>{s.contact_email.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Phone"</dt><dd>{s.contact_phone.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Channel"</dt><dd>{s.active_channel.label()}</dd>
                    <dt>"Status"</dt><dd>{s.status.as_str()}</dd>
                    <dt>"Started"</dt><dd>{format_time(s.created_at)}</dd>
                </dl>
                <strong>"Participants"</strong>
                <ul class="participants" data-testid="participants">
                    <li>{s.contact_name.clone()} <span class="muted">" · visitor"</span></li>
                    {s.participants.iter().map(|p| view! {
                        <li data-testid="participant">{p.name.clone()} <span class="muted">{format!(" · {}", p.role.as_str())}</span></li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

#[component]
fn Notices() -> impl IntoView {
    let state = expect_context::<InboxState>();
    view! {
        <div class="notices" aria-live="polite">
            <For
                each=move || state.notices.get()
                key=|n| n.id
                children=move |n: Notice| {
                    let id = n.id;
                    let conv = n.conversation_id;
                    view! {
                        <div class="notice" data-testid="notice" on:click=move |_| {
                            state.selected.set(Some(conv));
                            state.notices.update(|all| all.retain(|x| x.id != id));
                        }>
                            {n.text.clone()}
                        </div>
                    }
                }
            />
        </div>
    }
}
