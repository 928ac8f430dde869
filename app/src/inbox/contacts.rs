//! The contact behind the open conversation: their previous chats, and merging two contacts
//! that are one person ("Unite": search, review side by side, confirm; the contact on the
//! right is merged into the one on the left). Contacts sharing a phone number or an email
//! are suggested over the room; nothing is merged until an agent confirms.

use super::state::InboxState;
use crate::components::format_day_time;
use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use switchboard_wire::inbox::{ContactCard, ContactHit, MergeCandidate};
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

/// Previous chats listed at most.
#[cfg(feature = "ssr")]
const PREVIOUS_MAX: u64 = 50;

/// A contact as the merge review shows it.
#[server(endpoint = "inbox/contact-card", input = Json, output = Json)]
pub async fn card_of_contact(contact_id: Uuid) -> Result<ContactCard, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.contact_card(contact_id).await?)
        }
        .await,
    )
}

/// Other contacts sharing this contact's phone number or email.
#[server(endpoint = "inbox/merge-candidates", input = Json, output = Json)]
pub async fn merge_candidates(contact_id: Uuid) -> Result<Vec<MergeCandidate>, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.merge_candidates(contact_id).await?)
        }
        .await,
    )
}

/// Merges the contact `merge` into `keep`, with all their conversations and channels.
#[server(endpoint = "inbox/merge-contacts", input = Json, output = Json)]
pub async fn merge_contacts(keep: Uuid, merge: Uuid) -> Result<ContactCard, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .merge_contacts(crate::auth::ssr::agent_ref(&agent), keep, merge)
                .await?)
        }
        .await,
    )
}

/// Signs the conversation's contact out of the chat widget on every device (a shared
/// computer, a leaked link): their widget tokens stop working and open widgets close.
#[server(endpoint = "inbox/sign-out-visitor", input = Json, output = Json)]
pub async fn sign_out_visitor(conversation_id: Uuid) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Act,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .sign_out_visitor(crate::auth::ssr::agent_ref(&agent), conversation_id)
                .await?)
        }
        .await,
    )
}

/// A contact's conversations, the latest first.
#[server(endpoint = "inbox/contact-conversations", input = Json, output = Json)]
pub async fn contact_conversations(contact_id: Uuid) -> Result<Vec<ConversationSummary>, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .contact_conversations(contact_id, PREVIOUS_MAX)
                .await?)
        }
        .await,
    )
}

/// "Same phone number", "same email", or both.
fn shared(c: &MergeCandidate) -> &'static str {
    match (c.same_phone, c.same_email) {
        (true, true) => "the same phone number and email",
        (true, false) => "the same phone number",
        _ => "the same email",
    }
}

/// Over the room: another contact may be this one (they share a phone number or an email).
#[component]
pub(super) fn MergePrompt(
    contact: Signal<Option<Uuid>>,
    /// Bumped after a merge: look again.
    refresh: RwSignal<u32>,
    on_review: Callback<Uuid>,
) -> impl IntoView {
    let candidates = RwSignal::new(Vec::<MergeCandidate>::new());
    let dismissed = RwSignal::new(Vec::<Uuid>::new());
    Effect::new(move |_| {
        let _again = refresh.get();
        let Some(id) = contact.get() else {
            candidates.set(vec![]);
            return;
        };
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            if let Ok(found) = merge_candidates(id).await {
                // Still the contact on screen?
                if contact.get_untracked() == Some(id) {
                    let _ = candidates.try_set(found);
                }
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = id;
    });
    let shown = move || {
        candidates.with(|c| {
            c.iter()
                .find(|c| !dismissed.with(|d| d.contains(&c.card.id)))
                .cloned()
        })
    };
    move || {
        shown().map(|c| {
            let other = c.card.id;
            let text = format!(
                "{} has {} as this contact: the same person?",
                c.card.name,
                shared(&c)
            );
            view! {
                <div class="merge-prompt" role="status" data-testid="merge-prompt">
                    <span>{text}</span>
                    <button class="primary" data-testid="merge-review"
                        on:click=move |_| on_review.run(other)>"Review and merge"</button>
                    <button class="ghost" data-testid="merge-dismiss" aria-label="Not the same person"
                        title="Not the same person" on:click=move |_| dismissed.update(|d| d.push(other))>"×"</button>
                </div>
            }
        })
    }
}

/// One side of the review.
#[component]
fn CardView(card: ContactCard, side: &'static str) -> impl IntoView {
    let label = if side == "left" {
        "Keeps"
    } else {
        "Merged into the left"
    };
    view! {
        <div class="contact-card" data-testid=format!("merge-{side}")>
            <span class="muted">{label}</span>
            <strong data-testid="card-name">{card.name.clone()}</strong>
            <dl>
                <dt>"Email"</dt><dd data-testid="card-email">{card.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Phone"</dt><dd data-testid="card-phone">{card.phone.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Channels"</dt>
                <dd>
                    {card.identities.iter().map(|i| view! {
                        <span class="channel-chip" data-testid="card-channel">
                            <strong>{i.channel.label()}</strong>
                            {(i.address != "Web chat").then(|| format!(" {}", i.address))}
                        </span>
                    }).collect_view()}
                </dd>
                <dt>"Chats"</dt><dd data-testid="card-chats">{card.conversations}</dd>
                <dt>"Last active"</dt><dd>{card.last_active.map(format_day_time).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Since"</dt><dd>{format_day_time(card.created_at)}</dd>
            </dl>
        </div>
    }
}

/// Merge: find the other contact by name (or start from a suggestion), review both side by
/// side, swap if the other one should stay, and unite.
#[component]
pub(super) fn MergePanel(
    /// The open conversation's contact: on the left to begin with.
    contact: Uuid,
    /// A suggested contact to review at once.
    with: Option<Uuid>,
    on_done: Callback<bool>,
) -> impl IntoView {
    let left = RwSignal::new(None::<ContactCard>);
    let right = RwSignal::new(None::<ContactCard>);
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(Vec::<ContactHit>::new());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let load = move |id: Uuid, into: RwSignal<Option<ContactCard>>| {
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match card_of_contact(id).await {
                Ok(card) => {
                    let _ = into.try_set(Some(card));
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.to_string()));
                }
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = (id, into);
    };
    load(contact, left);
    if let Some(other) = with {
        load(other, right);
    }
    let search = move |text: String| {
        query.set(text.clone());
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            let found = if text.trim().chars().count() < 2 {
                vec![]
            } else {
                super::search_contacts(text.clone())
                    .await
                    .unwrap_or_default()
            };
            if query.get_untracked() == text {
                let _ = hits.try_set(found);
            }
        });
    };
    let unite = move |_| {
        let (Some(keep), Some(merge)) = (
            left.with_untracked(|c| c.as_ref().map(|c| c.id)),
            right.with_untracked(|c| c.as_ref().map(|c| c.id)),
        ) else {
            return;
        };
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match merge_contacts(keep, merge).await {
                Ok(_) => on_done.run(true),
                Err(e) => {
                    let _ = problem.try_set(Some(e.to_string()));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="panel merge" data-testid="merge-panel">
            <strong>"Merge contacts"</strong>
            {move || match right.get() {
                None => view! {
                    <p class="muted">"Find the other contact by name, email or phone."</p>
                    <input type="search" data-testid="merge-search" placeholder="Search contacts…" autofocus
                        prop:value=query on:input=move |e| search(event_target_value(&e))/>
                    <ul class="merge-hits">
                        {move || hits.get().into_iter().filter(|h| h.contact_id != contact).map(|h| {
                            let id = h.contact_id;
                            let detail = [h.email.clone(), h.phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                            view! {
                                <li>
                                    <button class="ghost merge-hit" data-testid="merge-hit" on:click=move |_| load(id, right)>
                                        <strong>{h.name.clone()}</strong>" "<span class="muted">{detail}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <div class="panel-actions">
                        <button type="button" class="ghost" on:click=move |_| on_done.run(false)>"Cancel"</button>
                    </div>
                }.into_any(),
                Some(r) => view! {
                    <p class="muted">"The contact on the right is merged into the one on the left: its chats and channels move over, and the left keeps its details (missing ones are filled from the right)."</p>
                    <div class="merge-review" data-testid="merge-review-pair">
                        {move || left.get().map(|l| view! { <CardView card=l side="left"/> })}
                        <button class="ghost merge-swap" data-testid="merge-swap" title="Keep the other one"
                            on:click=move |_| {
                                let (l, r) = (left.get_untracked(), right.get_untracked());
                                left.set(r);
                                right.set(l);
                            }>"⇄"</button>
                        <CardView card=r side="right"/>
                    </div>
                    <div class="panel-actions">
                        <button class="primary" data-testid="merge-confirm" disabled=move || busy.get() || left.with(Option::is_none) on:click=unite>"Unite"</button>
                        <button type="button" class="ghost" data-testid="merge-back" on:click=move |_| right.set(None)>"Back"</button>
                        <button type="button" class="ghost" on:click=move |_| on_done.run(false)>"Cancel"</button>
                    </div>
                }.into_any(),
            }}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert" data-testid="merge-error">{p}</p> })}
        </div>
    }
    .into_any()
}

/// The contact's other conversations, the latest first; one opens in the room.
#[component]
pub(super) fn PreviousChats(contact: Uuid, current: Uuid) -> impl IntoView {
    let state = expect_context::<InboxState>();
    let chats = RwSignal::new(None::<Vec<ConversationSummary>>);
    #[cfg(feature = "browser")]
    leptos::task::spawn_local(async move {
        match contact_conversations(contact).await {
            Ok(list) => {
                let _ = chats.try_set(Some(list));
            }
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
    #[cfg(not(feature = "browser"))]
    let _ = contact;
    view! {
        <div class="panel previous" data-testid="previous-chats">
            <strong>"Previous chats"</strong>
            {move || chats.get().map(|list| {
                let others: Vec<ConversationSummary> = list.into_iter().filter(|c| c.id != current).collect();
                if others.is_empty() {
                    return view! { <p class="muted" data-testid="no-previous">"No other chats with this contact."</p> }.into_any();
                }
                view! {
                    <ul class="previous-list">
                        {others.into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <li>
                                    <button class="ghost previous-chat" data-testid="previous-chat" on:click=move |_| state.selected.set(Some(id))>
                                        <span class="muted">{format!("{} · {} · {}", format_day_time(c.last_message_at), c.active_channel.label(), c.status.as_str())}</span>
                                        <span>{c.preview.clone()}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </div>
    }
    .into_any()
}
