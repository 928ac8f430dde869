//! The widget's chat switch: **Switch to SMS** (or **Switch to WhatsApp**) opens a phone field
//! (shown as it will be dialled) with Cancel, the composer waits meanwhile; once the welcome
//! went out, a confirmation with **Chat Switch Revert** stays for the 10 seconds the visitor
//! may go back.

use super::SwitchView;
use leptos::prelude::*;
use switchboard_domain::conversation::switch::{dialable, readable_number};
use switchboard_domain::Channel;
use uuid::Uuid;

/// What the switch panel shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Nothing under way: the button, when a channel is offered.
    Idle,
    /// The phone field is open for moving to that channel (the composer waits).
    Asking(Channel),
    /// Sent; the welcome text is on its way.
    Sending(SwitchView),
    /// The chat is on the other channel; revertible while `revert_ms_left` lasts.
    Switched(SwitchView),
}

impl Stage {
    pub fn of(view: Option<SwitchView>) -> Stage {
        match view {
            Some(v) if v.to.is_some() && v.pending => Stage::Sending(v),
            Some(v) if v.to.is_some() => Stage::Switched(v),
            _ => Stage::Idle,
        }
    }

    /// The composer waits while the visitor types their number or the text is on its way.
    pub fn blocks_composer(&self) -> bool {
        matches!(self, Stage::Asking(_) | Stage::Sending(_))
    }
}

/// How the phone is reached on `to`, for the visitor's eyes.
fn wording(to: Channel) -> (&'static str, &'static str, &'static str) {
    match to {
        Channel::Whatsapp => (
            "We'll message you on WhatsApp there, and you can go on chatting from your phone.",
            "Message me",
            "a WhatsApp message",
        ),
        _ => (
            "We'll text you there, and you can go on chatting from your phone.",
            "Text me",
            "a text",
        ),
    }
}

/// The switch button and panel. `session` gives the token and conversation.
#[component]
pub fn SwitchPanel(
    stage: RwSignal<Stage>,
    #[prop(into)] offered: Signal<Vec<Channel>>,
    #[prop(into)] session: Signal<Option<(String, Uuid)>>,
    #[prop(into)] phone: Signal<Option<String>>,
    #[prop(into)] open: Signal<bool>,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let seconds_left = RwSignal::new(0i64);
    let preview = move || {
        let whatsapp = stage.with(|s| *s == Stage::Asking(Channel::Whatsapp));
        number.with(|n| {
            dialable(n).ok().map(|d| match whatsapp {
                true => format!("We'll message {} on WhatsApp", readable_number(&d)),
                false => format!("We'll text {}", readable_number(&d)),
            })
        })
    };
    let ask = move |to: Channel| {
        number.set(phone.get_untracked().unwrap_or_default());
        error.set(None);
        notice.set(None);
        stage.set(Stage::Asking(to));
    };
    let cancel = move |_| {
        error.set(None);
        stage.set(Stage::Idle);
    };
    #[cfg(feature = "browser")]
    let follow =
        move |view: SwitchView| hydrate_only::follow(stage, view, notice, seconds_left, session);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = dialable(&number.get_untracked()) {
            error.set(Some(e.to_string()));
            return;
        }
        let Some((token, conversation_id)) = session.get_untracked() else {
            return;
        };
        let Stage::Asking(to) = stage.get_untracked() else {
            return;
        };
        error.set(None);
        let phone = number.get_untracked();
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match super::switch_chat(token, conversation_id, to, phone).await {
                Ok(view) => follow(view),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = (token, conversation_id, phone, to);
    };
    let revert = move |_| {
        let Some((token, conversation_id)) = session.get_untracked() else {
            return;
        };
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            match super::revert_switch(token, conversation_id).await {
                Ok(_) => {
                    stage.set(Stage::Idle);
                    notice.set(Some("Back to the web chat: write here as before.".into()));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = (token, conversation_id);
    };
    // Opened by an agent's invitation: offer the number the visitor gave.
    Effect::new(move |_| {
        if matches!(stage.get(), Stage::Asking(_)) && number.get_untracked().is_empty() {
            number.set(phone.get_untracked().unwrap_or_default());
        }
    });
    // A switch under way when the widget opened (a reload): follow it.
    #[cfg(feature = "browser")]
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        match stage.get_untracked() {
            Stage::Sending(v) | Stage::Switched(v) if session.get().is_some() => {
                follow(v);
                true
            }
            _ => false,
        }
    });
    view! {
        <div class="switch-panel" data-testid="switch-panel">
            {move || match stage.get() {
                Stage::Idle => open.get().then(|| view! {
                    <div class="switch-offers">
                        {offered.get().into_iter().map(|to| view! {
                            <button class="link switch-button" data-testid=format!("switch-to-{}", to.as_str())
                                on:click=move |_| ask(to)>{format!("Switch to {}", to.label())}</button>
                        }).collect_view()}
                    </div>
                }.into_any()),
                Stage::Asking(to) => Some(view! {
                    <form class="switch-ask" data-testid="switch-ask" on:submit=submit>
                        <label>"Phone number"
                            <input type="tel" autocomplete="tel" data-testid="switch-phone" placeholder="+1 500 555 0006"
                                prop:value=number on:input=move |e| number.set(event_target_value(&e))/>
                        </label>
                        <small class="muted" data-testid="switch-preview">{move || preview().unwrap_or_else(|| "With the country code, such as +1.".into())}</small>
                        <p class="muted">{wording(to).0}</p>
                        <div class="form-actions">
                            <button type="submit" class="primary" data-testid="switch-send">{wording(to).1}</button>
                            <button type="button" class="ghost" data-testid="switch-cancel" on:click=cancel>"Cancel"</button>
                        </div>
                    </form>
                }.into_any()),
                Stage::Sending(v) => Some(view! {
                    <p class="switch-status" data-testid="switch-sending">{format!("Sending {} to {}…", wording(v.to.unwrap_or(Channel::Sms)).2, v.address.unwrap_or_default())}</p>
                }.into_any()),
                Stage::Switched(v) => {
                    let address = v.address.clone().unwrap_or_default();
                    let done = match v.to {
                        Some(Channel::Whatsapp) => format!("We messaged you on WhatsApp at {address}. Reply there to go on chatting on WhatsApp."),
                        _ => format!("We texted you at {address}. Reply to that text to go on chatting by SMS."),
                    };
                    Some(view! {
                        <div class="switch-status" data-testid="switch-done">
                            <p>{done}</p>
                            <Show when=move || { seconds_left.get() > 0 }>
                                <button class="ghost" data-testid="switch-revert" on:click=revert>
                                    {move || format!("Chat Switch Revert ({} s)", seconds_left.get())}
                                </button>
                            </Show>
                        </div>
                    }.into_any())
                }
            }}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="switch-error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="muted" data-testid="switch-notice">{n}</p> })}
        </div>
    }
}

#[cfg(feature = "browser")]
mod hydrate_only {
    use super::*;

    /// Shows `view`, then polls until the welcome went out (or failed), and counts down the
    /// revert window. Bounded: a minute of polling at most.
    pub fn follow(
        stage: RwSignal<Stage>,
        view: SwitchView,
        notice: RwSignal<Option<String>>,
        seconds_left: RwSignal<i64>,
        session: Signal<Option<(String, Uuid)>>,
    ) {
        let address = view.address.clone().unwrap_or_default();
        stage.set(Stage::of(Some(view.clone())));
        leptos::task::spawn_local(async move {
            let mut view = view;
            let mut polls = 0;
            while view.pending && polls < 90 {
                gloo_timers::future::TimeoutFuture::new(700).await;
                polls += 1;
                let Some((token, conversation_id)) = session.get_untracked() else {
                    return;
                };
                if let Ok(v) = super::super::switch_status(token, conversation_id).await {
                    view = v;
                }
            }
            if view.to.is_none() {
                let _ = stage.try_set(Stage::Idle);
                let _ = notice.try_set(Some(format!(
                    "We couldn't reach {address}, so the chat stays here (the reason is in the chat)."
                )));
                return;
            }
            let _ = stage.try_set(Stage::of(Some(view.clone())));
            let mut left = view.revert_ms_left.unwrap_or(0);
            while left > 0 {
                let _ = seconds_left.try_set((left + 999) / 1000);
                gloo_timers::future::TimeoutFuture::new(250).await;
                left -= 250;
                if !matches!(stage.try_get_untracked(), Some(Stage::Switched(_))) {
                    return;
                }
            }
            let _ = seconds_left.try_set(0);
        });
    }
}
