//! Canned responses in the room: a searchable list by the composer (send one as is, or insert
//! it to edit first), and suggestions while the agent types `/shortcut` (arrows choose, Enter
//! or Tab inserts, Escape closes). Placeholders are filled by the server for the conversation.

use super::CannedResponse;
use leptos::prelude::*;
use switchboard_domain::canned::listed;
use uuid::Uuid;

/// What the picker and the suggestions share with the room's composer.
#[derive(Clone, Copy)]
pub struct CannedState {
    all: RwSignal<Option<Vec<CannedResponse>>>,
    /// The suggestion (or list item) the arrows are on.
    highlight: RwSignal<usize>,
    /// The draft the agent closed the suggestions on (they stay closed while it is unchanged).
    dismissed: RwSignal<Option<String>>,
    pub draft: RwSignal<String>,
    conversation: StoredValue<Uuid>,
    on_send: Callback<String>,
    error: RwSignal<Option<String>>,
}

impl CannedState {
    pub fn new(
        conversation: Uuid,
        draft: RwSignal<String>,
        on_send: Callback<String>,
        error: RwSignal<Option<String>>,
    ) -> Self {
        Self {
            all: RwSignal::new(None),
            highlight: RwSignal::new(0),
            dismissed: RwSignal::new(None),
            draft,
            conversation: StoredValue::new(conversation),
            on_send,
            error,
        }
    }

    /// Reads the responses (again).
    fn load(self) {
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match super::list_canned().await {
                Ok(list) => {
                    let _ = self.all.try_set(Some(list));
                }
                Err(e) => {
                    let _ = self.error.try_set(Some(e.to_string()));
                }
            }
        });
    }

    /// The shortcut being typed: a draft that is `/` and a word, not closed by the agent.
    fn typed_shortcut(&self) -> Option<String> {
        let draft = self.draft.get();
        let shortcut = draft.strip_prefix('/')?;
        if shortcut.chars().any(char::is_whitespace)
            || self
                .dismissed
                .with(|d| d.as_deref() == Some(draft.as_str()))
        {
            return None;
        }
        Some(draft)
    }

    fn found(&self, query: &str) -> Vec<CannedResponse> {
        self.all.with(|all| {
            all.as_deref()
                .map(|all| listed(all, query).into_iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// What `/shortcut` suggests now (nothing when no shortcut is being typed).
    fn suggestions(&self) -> Vec<CannedResponse> {
        self.typed_shortcut()
            .map(|q| self.found(&q))
            .unwrap_or_default()
    }

    /// Keys in the composer while suggestions show; whether the key was theirs.
    pub fn on_key(&self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let shown = self.suggestions();
        if shown.is_empty() || ev.is_composing() {
            return false;
        }
        let n = shown.len();
        match ev.key().as_str() {
            "ArrowDown" => self.highlight.update(|h| *h = (*h + 1) % n),
            "ArrowUp" => self.highlight.update(|h| *h = (*h + n - 1) % n),
            "Enter" | "Tab" if !ev.shift_key() => {
                let at = self.highlight.get_untracked().min(n - 1);
                self.insert(shown[at].id);
            }
            "Escape" => self.dismissed.set(Some(self.draft.get_untracked())),
            _ => return false,
        }
        true
    }

    /// The response, filled for this conversation, into the composer to edit before sending.
    fn insert(self, id: Uuid) {
        let conversation = self.conversation.get_value();
        leptos::task::spawn_local(async move {
            match super::use_canned(id, conversation).await {
                Ok(text) => {
                    let _ = self.draft.try_set(text);
                    self.highlight.set(0);
                    focus_composer();
                }
                Err(e) => {
                    let _ = self.error.try_set(Some(e.to_string()));
                }
            }
        });
    }

    /// The response, filled for this conversation, sent as it is.
    fn send(self, id: Uuid) {
        let conversation = self.conversation.get_value();
        leptos::task::spawn_local(async move {
            match super::use_canned(id, conversation).await {
                Ok(text) => self.on_send.run(text),
                Err(e) => {
                    let _ = self.error.try_set(Some(e.to_string()));
                }
            }
        });
    }
}

fn focus_composer() {
    #[cfg(feature = "browser")]
    {
        use wasm_bindgen::JsCast;
        let input = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector("[data-testid=composer-input]")
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok());
        if let Some(input) = input {
            let _ = input.focus();
            let end = input.value().encode_utf16().count() as u32;
            let _ = input.set_selection_range(end, end);
        }
    }
}

/// The first line of a text, shortened for a list.
fn preview(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out = switchboard_domain::clip(line, 90);
    if line.len() < text.trim_end().len() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

/// Suggestions over the composer while the agent types `/shortcut`.
#[component]
pub fn CannedSuggestions(canned: CannedState) -> impl IntoView {
    // The list is read the first time a shortcut is typed.
    Effect::new(move |_| {
        if canned.typed_shortcut().is_some() && canned.all.with_untracked(Option::is_none) {
            canned.load();
        }
    });
    // A new query starts at the top.
    Effect::new(move |_| {
        canned.typed_shortcut();
        canned.highlight.set(0);
    });
    move || {
        let shown = canned.suggestions();
        if canned.typed_shortcut().is_none() || canned.all.with(Option::is_none) {
            return ().into_any();
        }
        if shown.is_empty() {
            return view! {
                <p class="canned-suggest muted" data-testid="canned-none">"No canned response starts with that shortcut."</p>
            }
            .into_any();
        }
        let at = canned.highlight.get().min(shown.len() - 1);
        view! {
            <div class="canned-suggest" role="listbox" aria-label="Canned responses" data-testid="canned-suggest">
                {shown.into_iter().enumerate().map(|(i, r)| {
                    let id = r.id;
                    view! {
                        <button type="button" role="option" class="canned-suggestion" class:active=i == at
                            aria-selected=(i == at).to_string() data-testid="canned-suggestion"
                            on:mousedown=move |ev| ev.prevent_default()
                            on:click=move |_| canned.insert(id)>
                            <code>{format!("/{}", r.shortcut)}</code>" "
                            <strong>{r.title.clone()}</strong>" "
                            <span class="muted">{preview(&r.text)}</span>
                        </button>
                    }
                }).collect_view()}
                <span class="muted canned-keys">"↑ ↓ to choose · Enter or Tab to insert · Esc to close"</span>
            </div>
        }
        .into_any()
    }
}

/// "Canned responses" by the composer: search, then send one as is or insert it to edit.
#[component]
pub fn CannedPicker(canned: CannedState, #[prop(into)] disabled: Signal<bool>) -> impl IntoView {
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let highlight = RwSignal::new(0usize);
    let shown = move || canned.found(&query.get());
    let toggle = move |_| {
        let now = !open.get_untracked();
        open.set(now);
        if now {
            query.set(String::new());
            highlight.set(0);
            canned.load();
        }
    };
    let done = move || {
        open.set(false);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let list = shown();
        let n = list.len();
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => highlight.update(|h| *h = (*h + 1) % n),
            "ArrowUp" if n > 0 => highlight.update(|h| *h = (*h + n - 1) % n),
            "Enter" if n > 0 => {
                canned.insert(list[highlight.get_untracked().min(n - 1)].id);
                done();
            }
            "Escape" => done(),
            _ => return,
        }
        ev.prevent_default();
    };
    view! {
        <div class="canned-picker">
            <button type="button" class="ghost" data-testid="canned-open" aria-expanded=move || open.get().to_string()
                disabled=move || disabled.get() on:click=toggle>"Canned responses"</button>
            <Show when=move || open.get()>
                <div class="canned-pop panel" data-testid="canned-pop">
                    <input type="search" data-testid="canned-search" placeholder="Search titles, shortcuts and texts…" autofocus
                        prop:value=query on:input=move |e| { query.set(event_target_value(&e)); highlight.set(0); }
                        on:keydown=on_key/>
                    {move || {
                        let list = shown();
                        if canned.all.with(Option::is_none) {
                            return view! { <p class="muted">"Loading…"</p> }.into_any();
                        }
                        if list.is_empty() {
                            let none = if query.with(|q| q.trim().is_empty()) {
                                "No canned responses yet."
                            } else {
                                "None matches."
                            };
                            return view! {
                                <p class="muted" data-testid="canned-empty">{none}" "<a href="/responses">"Manage canned responses"</a></p>
                            }.into_any();
                        }
                        let at = highlight.get().min(list.len() - 1);
                        view! {
                            <ul class="canned-items">
                                {list.into_iter().enumerate().map(|(i, r)| {
                                    let id = r.id;
                                    view! {
                                        <li class="canned-item" class:active=i == at data-testid="canned-item" data-shortcut=r.shortcut.clone()>
                                            <div>
                                                <strong>{r.title.clone()}</strong>" "
                                                <code class="muted">{format!("/{}", r.shortcut)}</code>
                                                {r.shared().then(|| view! { <span class="tag">"Team"</span> })}
                                                <p class="canned-text">{preview(&r.text)}</p>
                                            </div>
                                            <div class="panel-actions">
                                                <button type="button" class="ghost" data-testid="canned-insert" title="Put it in the reply box to edit"
                                                    on:click=move |_| { canned.insert(id); done(); }>"Insert"</button>
                                                <button type="button" class="primary" data-testid="canned-send" title="Send it as it is"
                                                    on:click=move |_| { canned.send(id); done(); }>"Send"</button>
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    <a class="muted" href="/responses" data-testid="canned-manage">"Manage canned responses"</a>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
