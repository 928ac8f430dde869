//! Where canned responses are kept: a form (new, or the one being edited) and the two
//! libraries, the team's and the agent's own. Admins keep the team's; everyone keeps their own.

use super::CannedResponse;
use crate::auth::AgentRole;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use uuid::Uuid;

/// `/responses`: every signed-in agent's page for canned responses.
#[component]
pub fn CannedPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| crate::auth::current_agent());
    view! {
        <leptos_meta::Title text="Canned responses · Switchboard"/>
        <Suspense fallback=|| view! { <main class="center-page">"Loading…"</main> }>
            {move || me.get().map(|res| match res {
                Ok(Some(a)) => {
                    let admin = a.role == AgentRole::Admin;
                    view! {
                        <div class="admin">
                            <header class="topbar">
                                <span class="brand">"Switchboard"</span>
                                <span class="muted">"Canned responses"</span>
                                <span class="spacer"></span>
                                {admin.then(|| view! { <a class="ghost" href="/admin">"Admin"</a> })}
                                <a class="ghost" href="/inbox" data-testid="back-to-inbox">"Inbox"</a>
                            </header>
                            <main class="admin-body">
                                <CannedManager admin shared_first=false/>
                            </main>
                        </div>
                    }
                    .into_any()
                }
                _ => view! { <Redirect path="/login"/> }.into_any(),
            })}
        </Suspense>
    }
}

/// The form and the libraries. `shared_first`: a new response goes to the team's library
/// unless unticked (the admin page); otherwise to the agent's own.
#[component]
pub fn CannedManager(admin: bool, shared_first: bool) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let all = RwSignal::new(None::<Result<Vec<CannedResponse>, String>>);
    Effect::new(move |_| {
        version.track();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            let _ = all.try_set(Some(super::list_canned().await.map_err(|e| e.to_string())));
        });
    });
    let editing = RwSignal::new(None::<Uuid>);
    let (title, shortcut, text) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let shared = RwSignal::new(admin && shared_first);
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let reset = move || {
        editing.set(None);
        title.set(String::new());
        shortcut.set(String::new());
        text.set(String::new());
        shared.set(admin && shared_first);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, is_shared) = (editing.get_untracked(), shared.get_untracked());
        let (t, s, x) = (
            title.get_untracked(),
            shortcut.get_untracked(),
            text.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match super::save_canned(id, is_shared, t, s, x).await {
                Ok(r) => {
                    error.set(None);
                    saved.set(Some(format!("Saved /{}.", r.shortcut)));
                    reset();
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    saved.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        });
    };
    let edit = move |r: CannedResponse| {
        editing.set(Some(r.id));
        title.set(r.title);
        shortcut.set(r.shortcut);
        text.set(r.text);
        shared.set(r.owner.is_none());
        error.set(None);
        saved.set(None);
    };
    let remove = move |id: Uuid| {
        leptos::task::spawn_local(async move {
            match super::delete_canned(id).await {
                Ok(()) => {
                    if editing.get_untracked() == Some(id) {
                        reset();
                    }
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let library = move |team: bool| {
        let rows = all.with(|a| match a {
            Some(Ok(list)) => list
                .iter()
                .filter(|r| r.shared() == team)
                .cloned()
                .collect::<Vec<_>>(),
            _ => vec![],
        });
        let changeable = !team || admin;
        if rows.is_empty() {
            let empty = if team {
                "The team has no shared responses yet."
            } else {
                "You have no personal responses yet."
            };
            return view! { <p class="muted">{empty}</p> }.into_any();
        }
        view! {
            <ul class="canned-list">
                {rows.into_iter().map(|r| {
                    let (id, row) = (r.id, r.clone());
                    view! {
                        <li class="canned-row" data-testid="canned-row" data-shortcut=r.shortcut.clone()>
                            <div>
                                <strong>{r.title.clone()}</strong>" "
                                <code class="muted">{format!("/{}", r.shortcut)}</code>
                                <p class="canned-text">{r.text.clone()}</p>
                            </div>
                            {changeable.then(|| view! {
                                <div class="panel-actions">
                                    <button class="ghost" data-testid="canned-edit" on:click=move |_| edit(row.clone())>"Edit"</button>
                                    <button class="ghost" data-testid="canned-delete" on:click=move |_| remove(id)>"Delete"</button>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card canned-manager" data-testid="canned-manager">
            <h2>{move || if editing.get().is_some() { "Edit the response" } else { "New canned response" }}</h2>
            <form class="stack" on:submit=save data-testid="canned-form">
                <label>"Title"
                    <input data-testid="canned-title" required maxlength=switchboard_domain::canned::TITLE_MAX_CHARS
                        prop:value=title on:input=move |e| title.set(event_target_value(&e))/>
                </label>
                <label>"Shortcut (typed as /shortcut in the reply box)"
                    <input data-testid="canned-shortcut" required placeholder="refund"
                        prop:value=shortcut on:input=move |e| shortcut.set(event_target_value(&e))/>
                </label>
                <label>"Text"
                    <textarea rows="4" data-testid="canned-text" required maxlength=switchboard_domain::message::BODY_MAX_CHARS
                        prop:value=text on:input=move |e| text.set(event_target_value(&e))></textarea>
                </label>
                <p class="muted hint">"Placeholders: {visitor_name} becomes the visitor's first name, {agent_name} yours."</p>
                {admin.then(|| view! {
                    <label class="toggle">
                        <input type="checkbox" data-testid="canned-shared" prop:checked=shared
                            disabled=move || editing.get().is_some()
                            on:change=move |e| shared.set(event_target_checked(&e))/>
                        "Shared with the team"
                    </label>
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="canned-error">{e}</p> })}
                {move || saved.get().map(|s| view! { <p class="muted" role="status" data-testid="canned-saved">{s}</p> })}
                <div class="panel-actions">
                    <button type="submit" class="primary" data-testid="canned-save">"Save"</button>
                    <Show when=move || editing.get().is_some()>
                        <button type="button" class="ghost" on:click=move |_| reset()>"Cancel"</button>
                    </Show>
                </div>
            </form>
        </section>
        <section class="card" data-testid="canned-team">
            <h2>"Team responses"</h2>
            {move || match all.get() {
                Some(Err(e)) => view! { <p class="form-error">{e}</p> }.into_any(),
                _ => library(true),
            }}
        </section>
        <section class="card" data-testid="canned-mine">
            <h2>"My responses"</h2>
            <p class="muted hint">"Only you see these."</p>
            {move || library(false)}
        </section>
    }
    .into_any()
}
