//! Alerts for a visitor's new message in a conversation the agent is not looking at: a short
//! sound, the browser tab's title blinking until the agent comes back, and a desktop
//! notification with a preview (one per conversation: a newer one replaces the older, by its
//! tag). Sound and notifications are each turned off per agent (kept in this browser under the
//! agent's id); the permission for notifications is asked from a button, never on load.

use super::state::InboxState;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the agent wants to be alerted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPrefs {
    pub sound: bool,
    pub desktop: bool,
}

impl Default for AlertPrefs {
    fn default() -> Self {
        Self {
            sound: true,
            desktop: true,
        }
    }
}

/// The bell in the top bar: the agent's choices, and the button that asks the browser for
/// permission to show notifications.
#[component]
pub(super) fn AlertSettings() -> impl IntoView {
    let state = expect_context::<InboxState>();
    let open = RwSignal::new(false);
    // "granted", "denied" or "default" (not asked yet); read again after asking.
    let permission = RwSignal::new(String::from("default"));
    #[cfg(feature = "browser")]
    Effect::new(move |_| permission.set(live::permission()));
    let set = move |f: fn(&mut AlertPrefs, bool)| {
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            state.alerts.update(|p| f(p, on));
            #[cfg(feature = "browser")]
            live::save(state);
        }
    };
    let ask = move |_| {
        #[cfg(feature = "browser")]
        live::ask_permission(permission);
    };
    view! {
        <div class="alerts">
            <button class="ghost" data-testid="alerts" aria-expanded=move || open.get().to_string()
                title="Alerts for new messages" on:click=move |_| open.update(|o| *o = !*o)>"🔔"</button>
            <Show when=move || open.get()>
                <div class="alerts-panel panel" data-testid="alerts-panel">
                    <label class="toggle">
                        <input type="checkbox" data-testid="alert-sound" prop:checked=move || state.alerts.get().sound
                            on:change=set(|p, on| p.sound = on)/>
                        "Sound on new messages"
                    </label>
                    <label class="toggle">
                        <input type="checkbox" data-testid="alert-desktop" prop:checked=move || state.alerts.get().desktop
                            on:change=set(|p, on| p.desktop = on)/>
                        "Desktop notifications"
                    </label>
                    {move || match permission.get().as_str() {
                        "granted" => view! { <small class="muted" data-testid="alert-permission">"Notifications are allowed in this browser."</small> }.into_any(),
                        "denied" => view! { <small class="muted" data-testid="alert-permission">"This browser blocks notifications from Switchboard: allow them in its site settings."</small> }.into_any(),
                        _ => view! { <button class="primary small" data-testid="allow-notifications" on:click=ask>"Allow desktop notifications"</button> }.into_any(),
                    }}
                    <small class="muted">"Never for the conversation you are looking at."</small>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

#[cfg(feature = "browser")]
pub(super) mod live {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use switchboard_domain::SenderKind;
    use switchboard_wire::inbox::Activity;
    use uuid::Uuid;
    use wasm_bindgen::prelude::*;

    thread_local! {
        /// The newest message each conversation alerted for (a replayed delta alerts once).
        static ALERTED: RefCell<HashMap<Uuid, u64>> = RefCell::new(HashMap::new());
        static BLINKING: Cell<bool> = const { Cell::new(false) };
        static AUDIO: RefCell<Option<web_sys::AudioContext>> = const { RefCell::new(None) };
    }

    fn key(state: InboxState) -> String {
        format!("switchboard.alerts.{}", state.me_id())
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// Reads the agent's choices.
    pub fn boot(state: InboxState) {
        let saved = storage()
            .and_then(|s| s.get_item(&key(state)).ok().flatten())
            .and_then(|json| serde_json::from_str::<AlertPrefs>(&json).ok());
        if let Some(prefs) = saved {
            state.alerts.set(prefs);
        }
    }

    pub fn save(state: InboxState) {
        if let (Some(s), Ok(json)) = (
            storage(),
            serde_json::to_string(&state.alerts.get_untracked()),
        ) {
            let _ = s.set_item(&key(state), &json);
        }
    }

    pub fn permission() -> String {
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => "granted".into(),
            web_sys::NotificationPermission::Denied => "denied".into(),
            _ => "default".into(),
        }
    }

    pub fn ask_permission(permission: RwSignal<String>) {
        let Ok(promise) = web_sys::Notification::request_permission() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            let _ = permission.try_set(super::live::permission());
        });
    }

    /// The agent looks at this conversation now: it is open and the page is on screen.
    fn looking_at(state: InboxState, conversation: Uuid) -> bool {
        let visible = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        visible && state.selected.get_untracked() == Some(conversation)
    }

    /// A list delta: a visitor's new public message alerts, unless the agent is looking.
    pub fn on_activity(state: InboxState, a: &Activity) {
        if a.last_sender != Some(SenderKind::Visitor) || looking_at(state, a.conversation_id) {
            return;
        }
        let Some(preview) = a.preview.clone() else {
            return;
        };
        let fresh = ALERTED.with(|m| {
            let mut m = m.borrow_mut();
            let seen = m.get(&a.conversation_id).copied().unwrap_or(0);
            (a.last_seq > seen)
                .then(|| m.insert(a.conversation_id, a.last_seq))
                .is_some()
        });
        if !fresh {
            return;
        }
        let name = state
            .summary_of(a.conversation_id)
            .map(|s| s.contact_name)
            .unwrap_or_else(|| "a visitor".into());
        let prefs = state.alerts.get_untracked();
        if prefs.sound {
            beep();
        }
        if prefs.desktop && permission() == "granted" {
            notify(state, a.conversation_id, &name, &preview);
        }
        blink(state, &name);
    }

    /// Two short tones.
    fn beep() {
        AUDIO.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = web_sys::AudioContext::new().ok();
            }
            let Some(ctx) = cell.as_ref() else { return };
            let now = ctx.current_time();
            for (i, freq) in [880.0f32, 1175.0].into_iter().enumerate() {
                let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                    return;
                };
                osc.set_type(web_sys::OscillatorType::Sine);
                osc.frequency().set_value(freq);
                gain.gain().set_value(0.08);
                let start = now + i as f64 * 0.16;
                let _ = osc.connect_with_audio_node(&gain);
                let _ = gain.connect_with_audio_node(&ctx.destination());
                let _ = osc.start_with_when(start);
                let _ = osc.stop_with_when(start + 0.12);
            }
        });
    }

    /// One notification per conversation (its tag): a newer one replaces the older. A click
    /// brings the inbox forward on that conversation.
    fn notify(state: InboxState, conversation: Uuid, name: &str, preview: &str) {
        let options = web_sys::NotificationOptions::new();
        options.set_body(preview);
        options.set_tag(&format!("conversation-{conversation}"));
        options.set_icon("/icons/icon-192.png");
        let Ok(n) = web_sys::Notification::new_with_options(&format!("{name} wrote"), &options)
        else {
            return;
        };
        let shown = n.clone();
        let click = Closure::<dyn FnMut()>::new(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
            state.selected.set(Some(conversation));
            shown.close();
        });
        n.set_onclick(Some(click.as_ref().unchecked_ref()));
        click.forget();
    }

    /// While the agent is away from the page (another tab or window), its title alternates
    /// with who wrote until they come back (two minutes at most), then shows the unread count
    /// as before.
    fn blink(state: InboxState, name: &str) {
        if BLINKING.with(|b| b.replace(true)) {
            return;
        }
        let line = format!("New message from {name}");
        leptos::task::spawn_local(async move {
            let doc = web_sys::window().and_then(|w| w.document());
            for tick in 0..240 {
                let Some(doc) = doc.as_ref() else { break };
                let away = doc.visibility_state() != web_sys::VisibilityState::Visible
                    || !doc.has_focus().unwrap_or(true);
                if !away {
                    break;
                }
                let normal = super::super::live::title(
                    state.rows.try_with_untracked(|r| r.unread()).unwrap_or(0),
                );
                doc.set_title(if tick % 2 == 0 { &line } else { &normal });
                gloo_timers::future::TimeoutFuture::new(1_000).await;
            }
            if let Some(doc) = doc {
                let unread = state.rows.try_with_untracked(|r| r.unread()).unwrap_or(0);
                doc.set_title(&super::super::live::title(unread));
            }
            BLINKING.with(|b| b.set(false));
        });
    }
}
