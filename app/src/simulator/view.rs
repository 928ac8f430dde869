//! The simulator page: pick a channel, write as the customer, watch the agent's replies (and
//! their receipts) arrive on the simulated phone.

use super::{SimChannel, SimState};
use leptos::prelude::*;

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let channel = RwSignal::new(SimChannel::Sms);
    let name = RwSignal::new("Sam Carter".to_string());
    let draft = RwSignal::new(String::new());
    let state = RwSignal::new(None::<Result<SimState, String>>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let hours_ago = RwSignal::new(0u32);
    let photo = RwSignal::new(false);

    // Loaded and refreshed by the browser: the phones show replies as they arrive.
    #[cfg(feature = "browser")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            loop {
                let got = super::simulator_state().await.map_err(|e| e.to_string());
                if state.try_set(Some(got)).is_some() {
                    return; // the page is gone
                }
                gloo_timers::future::TimeoutFuture::new(700).await;
            }
        });
    });

    let send = move || {
        let text = draft.get_untracked();
        let with_photo =
            photo.get_untracked() && SimChannel::WITH_PHOTOS.contains(&channel.get_untracked());
        if (text.trim().is_empty() && !with_photo) || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (c, n, h) = (
            channel.get_untracked(),
            name.get_untracked(),
            hours_ago.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match super::simulator_send(c, n, text, h, with_photo).await {
                Ok(s) => {
                    draft.set(String::new());
                    photo.set(false);
                    state.set(Some(Ok(s)));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let set_failing = move |on: bool| {
        let c = channel.get_untracked();
        leptos::task::spawn_local(async move {
            match super::simulator_fail(c, on).await {
                Ok(s) => state.set(Some(Ok(s))),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let thread = move || {
        state.with(|s| {
            s.as_ref()
                .and_then(|s| s.as_ref().ok())
                .map(|s| s.thread(channel.get()))
                .unwrap_or_default()
        })
    };
    let typing = move || {
        state.with(|s| {
            s.as_ref()
                .and_then(|s| s.as_ref().ok())
                .is_some_and(|s| s.typing.contains(&channel.get().phone()))
        })
    };
    let failing = move || {
        state.with(|s| {
            s.as_ref()
                .and_then(|s| s.as_ref().ok())
                .is_some_and(|s| s.failing.contains(&channel.get().phone()))
        })
    };

    view! {
        <leptos_meta::Title text="Provider simulator · Switchboard"/>
        <div class="simulator">
            <header class="topbar">
                <span class="brand">"Switchboard"</span>
                <span class="muted">"Provider simulator"</span>
                <span class="spacer"></span>
                <a class="ghost" href="/inbox" target="_blank">"Open the inbox"</a>
            </header>
            {move || match state.get() {
                Some(Err(_)) => view! {
                    <main class="center-page"><div class="card">
                        <h1>"Simulator unavailable"</h1>
                        <p>"The provider simulator runs in demo mode only (SWITCHBOARD_MODE=demo, with no channel configured from the environment)."</p>
                    </div></main>
                }.into_any(),
                _ => view! {
                    <main class="sim-body">
                        <p class="muted sim-intro">
                            "Play the customer: what you send here becomes the provider's real, signed webhook to Switchboard. "
                            "Agents answer in the inbox; their replies go out through the provider API, which this page simulates. "
                            "This phone's number is "<strong data-testid="sim-number">"+1 555 765 4321"</strong>
                            ": give it to the web chat's “Switch to SMS” to go on chatting here."
                        </p>
                        <nav class="sim-channels">
                            {SimChannel::ALL.map(|c| view! {
                                <button
                                    class=move || if channel.get() == c { "tab active" } else { "tab" }
                                    data-testid=format!("sim-channel-{}", c.as_str())
                                    on:click=move |_| channel.set(c)
                                >{c.label()}</button>
                            })}
                        </nav>
                        <div class="sim-phone" data-testid="sim-phone" data-channel=move || channel.get().as_str()>
                            <div class="sim-phone-head">
                                <strong>{move || channel.get().label()}</strong>
                                <label class="sim-name">"You are "
                                    <input data-testid="sim-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                                </label>
                            </div>
                            <div class="messages sim-thread">
                                <For
                                    each=thread
                                    key=|m| (m.n, m.status.clone())
                                    children=move |m| {
                                        let who = if m.from_customer { "customer" } else { "business" };
                                        view! {
                                            <div class=if m.from_customer { "msg mine" } else { "msg theirs" } data-testid="sim-message" data-from=who>
                                                {m.media.clone().map(|url| {
                                                    let picture = [".jpg", ".jpeg", ".png", ".gif", ".webp"].iter().any(|e| url.split('?').next().unwrap_or_default().to_lowercase().ends_with(e));
                                                    view! {
                                                        <a href=url.clone() target="_blank" rel="noopener" data-testid="sim-media">
                                                            {picture.then(|| view! { <img class="attachment-image" src=url.clone() alt=""/> })}
                                                        </a>
                                                    }
                                                })}
                                                <p class="body">{m.text.clone()}</p>
                                                {m.status.clone().map(|s| view! { <span class="time" data-testid="sim-status">{s}</span> })}
                                                {m.refused.clone().map(|r| view! { <span class="time failed" data-testid="sim-refused">"Refused by the provider: " {r}</span> })}
                                            </div>
                                        }
                                    }
                                />
                            </div>
                            <p class="typing-line" data-testid="sim-typing">{move || typing().then_some("Support is typing…")}</p>
                            <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
                                <input
                                    data-testid="sim-input"
                                    placeholder=move || format!("Write as the customer on {}", channel.get().label())
                                    prop:value=move || draft.get()
                                    on:input=move |ev| draft.set(event_target_value(&ev))
                                />
                                <button class="primary" data-testid="sim-send" type="submit" disabled=move || busy.get()>"Send"</button>
                            </form>
                            {move || error.get().map(|e| view! { <p class="error" data-testid="sim-error">{e}</p> })}
                            <Show when=move || SimChannel::WITH_PHOTOS.contains(&channel.get())>
                                <label class="sim-fail">
                                    <input type="checkbox" data-testid="sim-photo" prop:checked=photo on:change=move |ev| photo.set(event_target_checked(&ev))/>
                                    " Attach a photo (the text, if any, is its caption)"
                                </label>
                            </Show>
                            <label class="sim-fail">
                                "Sent "
                                <select data-testid="sim-age" on:change=move |ev| hours_ago.set(event_target_value(&ev).parse().unwrap_or(0))>
                                    <option value="0" selected=move || hours_ago.get() == 0>"now"</option>
                                    <option value="25" selected=move || hours_ago.get() == 25>"25 hours ago (to see a closed reply window)"</option>
                                </select>
                            </label>
                            <Show when=move || channel.get() == SimChannel::PageComment>
                                <button class="ghost" data-testid="sim-delete-comment" on:click=move |_| {
                                    leptos::task::spawn_local(async move {
                                        match super::simulator_delete_comment().await {
                                            Ok(s) => { error.set(None); state.set(Some(Ok(s))) }
                                            Err(e) => error.set(Some(e.to_string())),
                                        }
                                    });
                                }>"Delete my latest comment"</button>
                            </Show>
                            <label class="sim-fail">
                                <input type="checkbox" data-testid="sim-fail" prop:checked=failing on:change=move |ev| set_failing(event_target_checked(&ev))/>
                                " The provider refuses the business's replies on this channel (to see a failed send in the inbox)"
                            </label>
                        </div>
                    </main>
                }.into_any(),
            }}
        </div>
    }
}
