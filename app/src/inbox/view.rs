//! The inbox page: the top bar, the folder list on the left, the open room in the middle,
//! and the notices.

use super::list::{ConversationList, Filters, FolderTab, SearchBox};
use super::room::Room;
use super::state::{InboxState, Notice};
use super::Folder;
use crate::auth::{AgentProfile, AgentRole, Logout};
use crate::components::ConnectionBadge;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use switchboard_domain::Presence;

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
    let state = InboxState::new(agent.clone());
    provide_context(state);

    #[cfg(feature = "browser")]
    super::live::boot(state);

    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="inbox" class:has-room=move || state.selected.get().is_some() data-testid="inbox">
            <header class="topbar">
                <span class="brand">"Switchboard"</span>
                <ConnectionBadge state=state.conn/>
                <SearchBox/>
                <span class="spacer"></span>
                <a class="ghost" href="/responses" data-testid="responses-link" title="Canned responses">"Responses"</a>
                {is_admin.then(|| view! { <a class="ghost" href="/admin" data-testid="admin-link">"Admin"</a> })}
                <super::alerts::AlertSettings/>
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
                <RoomTabs/>
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
        let Some(p) = Presence::parse(&event_target_value(&ev)) else {
            return;
        };
        #[cfg(feature = "browser")]
        super::live::choose_presence(state, p);
        #[cfg(not(feature = "browser"))]
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

/// The conversations the agent keeps open, as tabs over the room: each with how long the
/// visitor's last message has waited for an answer.
#[component]
fn RoomTabs() -> impl IntoView {
    let state = expect_context::<InboxState>();
    view! {
        <Show when=move || state.tabs.with(|t| t.len() > 1)>
            <nav class="room-tabs" data-testid="room-tabs">
                <For each=move || state.tabs.get() key=|(id, _)| *id let:tab>
                    {
                        let (id, name) = tab;
                        let waiting = move || {
                            let s = state.summary_of(id)?;
                            (s.last_sender == Some(switchboard_domain::SenderKind::Visitor)
                                && s.status != switchboard_domain::ConversationStatus::Closed)
                                .then(|| super::state::waited(s.last_message_at, state.now.get()))
                        };
                        view! {
                            <span class="room-tab" class:active=move || state.selected.get() == Some(id) data-testid="room-tab">
                                <button class="link" on:click=move |_| state.selected.set(Some(id))>
                                    <span class="name">{name.clone()}</span>
                                    {move || waiting().map(|w| view! { <span class="waited" data-testid="tab-waited" title="Since the visitor's last unanswered message">{w}</span> })}
                                </button>
                                <button class="link close" data-testid="tab-close" aria-label="Close tab" on:click=move |_| {
                                    state.tabs.update(|t| t.retain(|(t, _)| *t != id));
                                    if state.selected.get_untracked() == Some(id) {
                                        state.selected.set(state.tabs.with_untracked(|t| t.last().map(|(t, _)| *t)));
                                    }
                                }>"×"</button>
                            </span>
                        }
                    }
                </For>
            </nav>
        </Show>
    }
    .into_any()
}
