//! The widget page shown inside the site's iframe.

use super::VisitorChat;
use crate::components::{ConnectionBadge, Composer, MessageList, Viewer};
use crate::realtime::ConnState;
use leptos::prelude::*;
use switchboard_domain::{ConversationStatus, Thread};
use uuid::Uuid;

/// Where the visitor token is kept, in the widget origin's localStorage.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const TOKEN_KEY: &str = "switchboard.visitor_token";

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Loading,
    Form,
    Chat,
}

#[derive(Debug, Clone, PartialEq)]
struct ChatSession {
    token: String,
    conversation_id: Uuid,
    contact_name: String,
}

#[component]
pub fn WidgetPage() -> impl IntoView {
    let phase = RwSignal::new(Phase::Loading);
    let session = RwSignal::new(None::<ChatSession>);
    let status = RwSignal::new(ConversationStatus::Queued);
    let thread = RwSignal::new(Thread::new());
    let conn = RwSignal::new(ConnState::Connecting);

    let adopt = move |chat: VisitorChat| {
        #[cfg(feature = "hydrate")]
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(TOKEN_KEY, &chat.token);
        }
        let mut t = Thread::new();
        for m in chat.messages {
            t.apply(m);
        }
        thread.set(t);
        status.set(chat.status);
        session.set(Some(ChatSession {
            token: chat.token,
            conversation_id: chat.conversation_id,
            contact_name: chat.contact_name,
        }));
        phase.set(Phase::Chat);
    };

    #[cfg(feature = "hydrate")]
    hydrate_only::boot(phase, session, status, thread, conn, adopt);

    let on_send = Callback::new(move |body: String| {
        #[cfg(feature = "hydrate")]
        hydrate_only::send(session, thread, body);
        #[cfg(not(feature = "hydrate"))]
        let _ = body;
    });
    let on_retry = Callback::new(move |id: Uuid| {
        #[cfg(feature = "hydrate")]
        hydrate_only::retry(session, thread, id);
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    });

    let status_line = move || match (phase.get(), status.get()) {
        (Phase::Chat, ConversationStatus::Queued) => "Waiting for an agent. We'll be with you shortly.",
        (Phase::Chat, ConversationStatus::Open) => "You're chatting with our team.",
        (Phase::Chat, ConversationStatus::Closed) => "This chat was closed. Write again any time.",
        _ => "We usually reply in a few minutes.",
    };

    view! {
        <leptos_meta::Title text="Chat · Switchboard"/>
        <div class="widget" data-testid="widget" data-phase=move || format!("{:?}", phase.get()).to_lowercase()>
            <header class="widget-head">
                <div>
                    <strong>"Chat with us"</strong>
                    <span class="sub" data-testid="widget-status">{status_line}</span>
                </div>
                <Show when=move || phase.get() == Phase::Chat>
                    <ConnectionBadge state=conn/>
                </Show>
            </header>
            {move || match phase.get() {
                Phase::Loading => view! { <div class="widget-body loading">"Loading…"</div> }.into_any(),
                Phase::Form => view! { <PreChatForm on_started=Callback::new(adopt)/> }.into_any(),
                Phase::Chat => view! {
                    <div class="widget-body chat">
                        <MessageList thread viewer=Viewer::Visitor on_retry/>
                        <Composer
                            on_send
                            placeholder=Signal::derive(move || {
                                session.with(|s| s.as_ref().map(|s| format!("Message as {}…", s.contact_name)).unwrap_or_default())
                            })
                        />
                    </div>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn PreChatForm(on_started: Callback<VisitorChat>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // One id for this start, reused on retries so a double submit makes one conversation.
    let start_id = StoredValue::new(None::<Uuid>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let id = start_id.get_value().unwrap_or_else(crate::realtime::client::new_uuid);
            start_id.set_value(Some(id));
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let result = super::start_chat(
                    name.get_untracked(),
                    email.get_untracked(),
                    phone.get_untracked(),
                    message.get_untracked(),
                    id,
                )
                .await;
                busy.set(false);
                match result {
                    Ok(chat) => on_started.run(chat),
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (start_id, on_started);
    };

    view! {
        <form class="widget-body prechat" on:submit=submit data-testid="prechat-form">
            <p class="intro">"Hi! Tell us who you are and what you need, and an agent will answer here."</p>
            <label>"Name" <input name="name" required autocomplete="name" on:input=move |e| name.set(event_target_value(&e)) prop:value=name/></label>
            <label>"Email" <input name="email" type="email" required autocomplete="email" on:input=move |e| email.set(event_target_value(&e)) prop:value=email/></label>
            <label><span>"Phone " <span class="muted">"(optional)"</span></span>
                <input name="phone" type="tel" autocomplete="tel" on:input=move |e| phone.set(event_target_value(&e)) prop:value=phone/>
            </label>
            <label>"How can we help?"
                <textarea name="message" rows="3" required on:input=move |e| message.set(event_target_value(&e)) prop:value=message></textarea>
            </label>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="form-error">{e}</p> })}
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { "Starting…" } else { "Start chat" }}
            </button>
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod hydrate_only {
    use super::*;
    use crate::realtime::client::{new_uuid, socket_url, LiveSocket};
    use crate::realtime::protocol::{ClientFrame, ServerFrame};

    pub fn boot(
        phase: RwSignal<Phase>,
        session: RwSignal<Option<ChatSession>>,
        status: RwSignal<ConversationStatus>,
        thread: RwSignal<Thread>,
        conn: RwSignal<ConnState>,
        adopt: impl Fn(VisitorChat) + Copy + 'static,
    ) {
        // Resume a previous chat from the stored token, or show the form.
        Effect::new(move |ran: Option<()>| {
            if ran.is_some() {
                return;
            }
            let token = web_sys::window()
                .and_then(|w| w.local_storage().ok().flatten())
                .and_then(|s| s.get_item(TOKEN_KEY).ok().flatten());
            let Some(token) = token else {
                phase.set(Phase::Form);
                return;
            };
            leptos::task::spawn_local(async move {
                match super::super::resume_chat(token).await {
                    Ok(Some(chat)) => adopt(chat),
                    Ok(None) => {
                        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                            let _ = s.remove_item(TOKEN_KEY);
                        }
                        phase.set(Phase::Form);
                    }
                    // Keep the token: the server may just be restarting. Try again shortly.
                    Err(_) => {
                        gloo_timers::future::TimeoutFuture::new(2000).await;
                        let _ = web_sys::window().map(|w| w.location().reload());
                    }
                }
            });
        });

        // One live socket per chat session.
        let socket = StoredValue::new_local(None::<LiveSocket>);
        Effect::new(move |_| {
            let Some(s) = session.get() else { return };
            if socket.with_value(|v| v.is_some()) {
                return;
            }
            let conversation_id = s.conversation_id;
            let url = socket_url(&format!("/ws/visitor?token={}", s.token));
            let live = LiveSocket::start(
                url,
                conn,
                move |live| {
                    let after_seq = thread.with_untracked(|t| t.watermark());
                    live.send(&ClientFrame::Subscribe { conversation_id, after_seq });
                },
                move |frame| match frame {
                    ServerFrame::Message { message } if message.conversation_id == conversation_id => {
                        thread.update(|t| {
                            t.apply(message);
                        });
                    }
                    ServerFrame::Status { conversation_id: id, status: st } if id == conversation_id => status.set(st),
                    _ => {}
                },
            );
            socket.set_value(Some(live));
        });
        on_cleanup(move || {
            socket.try_with_value(|s| s.as_ref().map(LiveSocket::stop));
        });
    }

    fn deliver_to(session: RwSignal<Option<ChatSession>>, thread: RwSignal<Thread>, id: Uuid, body: String) {
        let Some(s) = session.get_untracked() else { return };
        crate::components::deliver(thread, id, body, move |id, body| {
            super::super::send_visitor_message(s.token.clone(), s.conversation_id, id, body)
        });
    }

    pub fn send(session: RwSignal<Option<ChatSession>>, thread: RwSignal<Thread>, body: String) {
        let id = new_uuid();
        thread.update(|t| t.queue(id, body.clone(), js_sys::Date::now() as i64));
        deliver_to(session, thread, id, body);
    }

    pub fn retry(session: RwSignal<Option<ChatSession>>, thread: RwSignal<Thread>, id: Uuid) {
        let mut body = None;
        thread.update(|t| body = t.retry(id));
        if let Some(body) = body {
            deliver_to(session, thread, id, body);
        }
    }
}
