//! The left side of the inbox: contact search, folders, filters and the live list (a page at
//! a time: "Load more" at its end).

use super::state::{countdown, InboxState};
use super::{Filter, Folder, Scope};
use crate::components::format_time;
use leptos::prelude::*;
use switchboard_domain::{Channel, ConversationStatus};
use switchboard_wire::inbox::{ContactHit, InboxRow};
use uuid::Uuid;

#[component]
pub(super) fn SearchBox() -> impl IntoView {
    let state = expect_context::<InboxState>();
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<ContactHit>::new());
    let searching = move || query.with(|q| q.trim().chars().count() >= 2);
    let on_input = move |ev| {
        let q = event_target_value(&ev);
        query.set(q.clone());
        #[cfg(feature = "browser")]
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
pub(super) fn FolderTab(folder: Folder, label: &'static str) -> impl IntoView {
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
pub(super) fn Filters(is_admin: bool) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let scope_btn = move |scope: Scope, label: &'static str| {
        view! {
            <button
                // The queue and the leads are the team's: no mine / all there.
                // Without colleagues' chats, "All" is "Mine": no choice to offer.
                hidden=move || !state.folder.get().scoped() || !state.sees_colleagues.get()
                class=move || if state.filter.get().scope == scope { "chip-btn on" } else { "chip-btn" }
                data-testid=format!("filter-{}", label.to_lowercase())
                on:click=move |_| state.filter.update(|f| f.scope = scope)
            >{label}</button>
        }
    };
    let operator_change = move |ev| {
        let v = event_target_value(&ev);
        state.filter.update(|f| {
            f.scope = Uuid::parse_str(&v)
                .map(Scope::Operator)
                .unwrap_or(Scope::All);
        });
    };
    let post_change = move |ev| {
        let v = event_target_value(&ev);
        state.filter.update(|f| f.post = Uuid::parse_str(&v).ok());
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
            <Show when=move || state.posts.with(|p| !p.is_empty()) || state.filter.with(|f| f.post.is_some())>
                <select data-testid="filter-post" on:change=post_change title="Comments on one post">
                    <option value="">"All posts"</option>
                    {move || {
                        let chosen = state.filter.with(|f| f.post);
                        state.posts.get().into_iter().map(|p| {
                            let n = p.conversations;
                            let label = format!("{} ({n})", p.label());
                            view! { <option value=p.id.to_string() selected=chosen == Some(p.id)>{label}</option> }
                        }).collect_view()
                    }}
                </select>
            </Show>
        </div>
    }
}

#[component]
pub(super) fn ConversationList() -> impl IntoView {
    let state = expect_context::<InboxState>();
    view! {
        <ul class="conversations" data-testid="conversation-list">
            <For
                each=move || state.rows.with(|r| r.rows().to_vec())
                // A row re-renders when it changes: a new revision, message or read position.
                key=|r| (r.summary.id, r.summary.revision, r.summary.last_seq, r.read_seq)
                children=move |row: InboxRow| view! { <Row row/> }
            />
            // The end of the page: the next one on request, within the list's scroll.
            <Show when=move || state.rows.with(|r| r.has_more())>
                <li class="load-more">
                    <button class="ghost" data-testid="load-more"
                        disabled=move || state.rows.with(|r| r.loading_more())
                        on:click=move |_| {
                            #[cfg(feature = "browser")]
                            super::live::load_more(state);
                        }
                    >{move || if state.rows.with(|r| r.loading_more()) { "Loading…" } else { "Load more" }}</button>
                </li>
            </Show>
        </ul>
        <Show when=move || state.rows.with(|r| r.rows().is_empty() && !r.has_more())>
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
    let offered_to_me = s.offered_to_me(me);
    let queued = s.status == ConversationStatus::Queued && !s.lead;
    let deadline = s.deadline;
    let timer_class = if s.status == ConversationStatus::Offered {
        "timer accept"
    } else {
        "timer queue"
    };
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
            #[cfg(feature = "browser")]
            super::live::act(state, id, action);
            #[cfg(not(feature = "browser"))]
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
