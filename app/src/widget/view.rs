//! The widget page shown inside the site's iframe.

use super::VisitorChat;
use crate::components::{Composer, ConnectionBadge, MessageList, TypingLine, Viewer};
use crate::realtime::typing::Typing;
use crate::realtime::ConnState;
use leptos::prelude::*;
use switchboard_domain::{ConversationStatus, Thread};
use uuid::Uuid;

/// Where the visitor token is kept, in the widget origin's localStorage.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
pub const TOKEN_KEY: &str = "switchboard.visitor_token";

#[cfg_attr(not(feature = "browser"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Loading,
    /// The chatbot: canned answers, and always "Talk to an agent".
    Bot,
    Form,
    /// Nobody is Online: leave a message instead.
    Offline,
    Chat,
}

#[derive(Debug, Clone, PartialEq)]
struct ChatSession {
    token: String,
    conversation_id: Uuid,
    contact_name: String,
}

/// What the chat room shares with the page around it: the chat's state, set when a chat is
/// adopted (started or resumed), and the phase and chatbot it goes back to when the chat ends.
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
#[derive(Clone, Copy)]
struct Chat {
    phase: RwSignal<Phase>,
    bot: RwSignal<Option<switchboard_domain::BotSettings>>,
    session: RwSignal<Option<ChatSession>>,
    status: RwSignal<ConversationStatus>,
    status_revision: StoredValue<u64>,
    thread: RwSignal<Thread>,
    has_older: RwSignal<bool>,
    conn: RwSignal<ConnState>,
    switch_stage: RwSignal<super::switch::Stage>,
    switch_to: RwSignal<Vec<switchboard_domain::Channel>>,
    phone: RwSignal<Option<String>>,
}

#[component]
pub fn WidgetPage() -> impl IntoView {
    let phase = RwSignal::new(Phase::Loading);
    let chat = Chat {
        phase,
        bot: RwSignal::new(None),
        session: RwSignal::new(None),
        status: RwSignal::new(ConversationStatus::Queued),
        status_revision: StoredValue::new(0),
        thread: RwSignal::new(Thread::new()),
        has_older: RwSignal::new(false),
        conn: RwSignal::new(ConnState::Connecting),
        switch_stage: RwSignal::new(super::switch::Stage::Idle),
        switch_to: RwSignal::new(Vec::new()),
        phone: RwSignal::new(None),
    };
    let Chat {
        bot,
        session,
        status,
        conn,
        ..
    } = chat;

    let adopt = move |started: VisitorChat| {
        #[cfg(feature = "browser")]
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(TOKEN_KEY, &started.token);
        }
        let mut t = Thread::new();
        for m in started.messages {
            t.apply(m);
        }
        chat.thread.set(t);
        chat.has_older.set(started.has_older);
        chat.switch_to.set(started.switch_to);
        chat.phone.set(started.phone);
        chat.switch_stage
            .set(super::switch::Stage::of(started.switch));
        status.set(started.status);
        chat.status_revision.set_value(started.revision);
        session.set(Some(ChatSession {
            token: started.token,
            conversation_id: started.conversation_id,
            contact_name: started.contact_name,
        }));
        phase.set(Phase::Chat);
    };

    #[cfg(feature = "browser")]
    hydrate_only::boot(phase, bot, adopt);

    let status_line = move || match (phase.get(), status.get()) {
        (Phase::Chat, ConversationStatus::Queued | ConversationStatus::Offered) => {
            "Waiting for an agent."
        }
        (Phase::Chat, ConversationStatus::Open) => "You're chatting with our team.",
        (Phase::Chat, ConversationStatus::Closed) => "This chat was closed. Write again any time.",
        (Phase::Offline, _) => "We're away right now. Leave a message and we'll reply by email.",
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
                Phase::Bot => view! {
                    <BotPanel bot on_agent=Callback::new(move |_| phase.set(Phase::Form))/>
                }.into_any(),
                Phase::Form => view! { <PreChatForm offline=false on_started=Callback::new(adopt)/> }.into_any(),
                Phase::Offline => view! { <PreChatForm offline=true on_started=Callback::new(adopt)/> }.into_any(),
                // The room's code is a chunk of its own, fetched when a chat begins: a visitor
                // who only looks at the form never downloads it.
                Phase::Chat => {
                    let attempt = RwSignal::new(0u32);
                    view! {
                        <Suspense fallback=|| view! { <div class="widget-body loading">"Loading…"</div> }>
                            {move || {
                                attempt.track();
                                let room = leptos::__reexports::send_wrapper::SendWrapper::new(chat_room(chat));
                                Suspend::new(async move {
                                    match room.await {
                                        Ok(room) => room,
                                        Err(RoomUnavailable) => view! {
                                            <div class="widget-body loading" role="alert" data-testid="room-unavailable">
                                                <p>"The chat could not load. Check your connection."</p>
                                                <button class="primary" on:click=move |_| attempt.update(|n| *n += 1)>"Try again"</button>
                                            </div>
                                        }.into_any(),
                                    }
                                })
                            }}
                        </Suspense>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// The chat room's chunk could not be fetched (the network dropped): the page offers to try
/// again, and nothing of the chat is lost (its state lives in the page).
#[derive(Debug)]
struct RoomUnavailable;

impl From<leptos::wasm_split::SplitLoaderError> for RoomUnavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        RoomUnavailable
    }
}

/// The chat room, loaded on first use: in the widget's bundle it is a WebAssembly chunk of
/// its own (`.ci/widget` cuts it out), fetched when a chat begins or resumes.
#[leptos::wasm_split::wasm_split(
    widget_chat_room,
    wasm_split_path = ::leptos::wasm_split,
    preload(#[cfg_attr(not(feature = "browser"), allow(dead_code))] preload_chat_room),
    fallible
)]
fn chat_room(chat: Chat) -> Result<AnyView, RoomUnavailable> {
    Ok(view! { <ChatRoom chat/> }.into_any())
}

/// The live chat: its socket, the thread, the composer, the switch panel and the visitor's
/// place in line. Its socket closes when it goes (the chat ended on this device).
#[component]
fn ChatRoom(chat: Chat) -> impl IntoView {
    let Chat {
        session,
        status,
        thread,
        has_older,
        switch_stage,
        switch_to,
        phone,
        ..
    } = chat;
    let queue = RwSignal::new(None::<super::QueueInfo>);
    let typing = RwSignal::new(Typing::default());

    #[cfg(feature = "browser")]
    let link = StoredValue::new_local(hydrate_only::Link::default());
    #[cfg(feature = "browser")]
    hydrate_only::connect(chat, typing, link);
    #[cfg(feature = "browser")]
    crate::realtime::typing::keep_fresh(typing);
    #[cfg(feature = "browser")]
    hydrate_only::poll_queue(session, status, queue);

    let on_send = Callback::new(move |body: String| {
        #[cfg(feature = "browser")]
        hydrate_only::send(session, thread, link, body);
        #[cfg(not(feature = "browser"))]
        let _ = body;
    });
    // The widget's files are fetched with the token in a header.
    provide_context(crate::attachments::VisitorToken(Signal::derive(
        move || session.with(|s| s.as_ref().map(|s| s.token.clone())),
    )));
    let uploading = RwSignal::new(false);
    let file_error = RwSignal::new(None::<String>);
    let on_file = Callback::new(move |picked: crate::attachments::Picked| {
        #[cfg(feature = "browser")]
        hydrate_only::send_file(session, thread, picked, uploading, file_error);
        #[cfg(not(feature = "browser"))]
        let _ = picked;
    });
    let on_typing = Callback::new(move |on: bool| {
        #[cfg(feature = "browser")]
        hydrate_only::typing(session, link, on);
        #[cfg(not(feature = "browser"))]
        let _ = on;
    });
    let on_retry = Callback::new(move |id: Uuid| {
        #[cfg(feature = "browser")]
        hydrate_only::retry(session, thread, link, id);
        #[cfg(not(feature = "browser"))]
        let _ = id;
    });

    let queue_line = move || {
        use switchboard_domain::WaitEstimate;
        let q = queue.get()?;
        let position = q.position?;
        let wait = match q.estimate {
            Some(WaitEstimate::About { secs }) => format!(" · about {} min", secs.div_ceil(60)),
            Some(WaitEstimate::NoAgents) => " · no agents are online right now".to_string(),
            _ => String::new(),
        };
        let ahead = if position <= 1 {
            "You're next in line".to_string()
        } else {
            format!("You're number {position} in line")
        };
        Some(format!("{ahead}{wait}."))
    };

    view! {
        <div class="widget-body chat">
            {move || queue_line().map(|l| view! { <p class="queue-line" data-testid="queue-info">{l}</p> })}
            <MessageList thread viewer=Viewer::Visitor on_retry has_older on_older=Callback::new(move |_| {
                #[cfg(feature = "browser")]
                hydrate_only::load_older(session, thread, has_older);
            })/>
            <TypingLine typing/>
            {move || file_error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="widget-file-error">{e}</p> })}
            <super::switch::SwitchPanel
                stage=switch_stage
                offered=switch_to
                session=Signal::derive(move || session.with(|s| s.as_ref().map(|s| (s.token.clone(), s.conversation_id))))
                phone
                open=Signal::derive(move || status.get() != ConversationStatus::Closed)
            />
            <Composer
                on_send
                on_typing
                on_file
                uploading
                disabled=Signal::derive(move || switch_stage.with(|s| s.blocks_composer()))
                placeholder=Signal::derive(move || {
                    session.with(|s| s.as_ref().map(|s| format!("Message as {}…", s.contact_name)).unwrap_or_default())
                })
            />
        </div>
    }
}

/// The chatbot: a greeting, canned answers, and always a way to a person.
#[component]
fn BotPanel(
    bot: RwSignal<Option<switchboard_domain::BotSettings>>,
    on_agent: Callback<()>,
) -> impl IntoView {
    let asked = RwSignal::new(Vec::<(String, String)>::new());
    view! {
        <div class="widget-body bot" data-testid="bot">
            <div class="messages">
                <div class="msg theirs"><span class="who">"Assistant"</span>
                    <p class="body">{move || bot.get().map(|b| b.greeting).unwrap_or_default()}</p></div>
                {move || asked.get().into_iter().map(|(q, a)| view! {
                    <div class="msg mine"><p class="body">{q}</p></div>
                    <div class="msg theirs" data-testid="bot-answer"><span class="who">"Assistant"</span><p class="body">{a}</p></div>
                }).collect_view()}
            </div>
            <div class="bot-choices">
                {move || bot.get().map(|b| b.answers.into_iter().map(|qa| {
                    let (q, a) = (qa.question.clone(), qa.answer.clone());
                    view! {
                        <button class="choice" data-testid="bot-question" on:click=move |_| asked.update(|v| v.push((q.clone(), a.clone())))>
                            {qa.question.clone()}
                        </button>
                    }
                }).collect_view())}
                <button class="primary" data-testid="talk-to-agent" on:click=move |_| on_agent.run(())>"Talk to an agent"</button>
            </div>
        </div>
    }
}

/// The pre-chat form, or (with `offline`) the leave-a-message form: same fields.
#[component]
fn PreChatForm(offline: bool, on_started: Callback<VisitorChat>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sent = RwSignal::new(false);
    // One id for this start, reused on retries so a double submit makes one conversation,
    // with the nonce the server handed out for it (a retry must bring the same).
    let start_id = StoredValue::new(None::<Uuid>);
    let start_nonce = StoredValue::new(None::<String>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        #[cfg(feature = "browser")]
        {
            let id = start_id
                .get_value()
                .unwrap_or_else(crate::realtime::client::new_uuid);
            start_id.set_value(Some(id));
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let (n, e, p, m) = (
                    name.get_untracked(),
                    email.get_untracked(),
                    phone.get_untracked(),
                    message.get_untracked(),
                );
                let nonce = match start_nonce.get_value() {
                    Some(nonce) => Some(nonce),
                    None => super::widget_config().await.ok().map(|s| s.start_nonce),
                };
                start_nonce.set_value(nonce.clone());
                let result = if offline {
                    super::leave_message(n, e, p, m, id, nonce).await
                } else {
                    super::start_chat(n, e, p, m, id, nonce).await
                };
                busy.set(false);
                // A form left open past its nonce's life: the next try starts afresh.
                if matches!(&result, Err(e) if e.code() == Some("start_expired")) {
                    start_nonce.set_value(None);
                    start_id.set_value(None);
                }
                match result {
                    Ok(chat) if offline => {
                        if let Some(storage) =
                            web_sys::window().and_then(|w| w.local_storage().ok().flatten())
                        {
                            let _ = storage.set_item(TOKEN_KEY, &chat.token);
                        }
                        sent.set(true);
                    }
                    Ok(chat) => on_started.run(chat),
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(feature = "browser"))]
        let _ = (start_id, start_nonce, on_started, sent);
    };

    view! {
        <Show
            when=move || !sent.get()
            fallback=move || view! {
                <div class="widget-body thanks" data-testid="left-message">
                    <h3>"Thanks, we got your message."</h3>
                    <p>{move || format!("We'll reply to {} as soon as we're back.", email.get())}</p>
                </div>
            }
        >
            <form class="widget-body prechat" on:submit=submit data-testid=if offline { "offline-form" } else { "prechat-form" }>
                <p class="intro">{if offline {
                    "No one is online right now. Leave a message and we'll get back to you by email."
                } else {
                    "Hi! Tell us who you are and what you need, and an agent will answer here."
                }}</p>
                <label>"Name" <input name="name" required autocomplete="name" on:input=move |e| name.set(event_target_value(&e)) prop:value=name/></label>
                <label>"Email" <input name="email" type="email" required autocomplete="email" on:input=move |e| email.set(event_target_value(&e)) prop:value=email/></label>
                <label><span>"Phone " <span class="muted">"(optional)"</span></span>
                    <input name="phone" type="tel" autocomplete="tel" on:input=move |e| phone.set(event_target_value(&e)) prop:value=phone/>
                </label>
                <label>{if offline { "Your message" } else { "How can we help?" }}
                    <textarea name="message" rows="3" required on:input=move |e| message.set(event_target_value(&e)) prop:value=message></textarea>
                </label>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-testid="form-error">{e}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || match (busy.get(), offline) {
                        (true, _) => "Sending…",
                        (false, true) => "Leave message",
                        (false, false) => "Start chat",
                    }}
                </button>
            </form>
        </Show>
    }
}

#[cfg(feature = "browser")]
mod hydrate_only {
    use super::*;
    use crate::error::ApiError;
    use crate::realtime::client::{new_uuid, socket_url, LiveSocket};
    use futures::channel::oneshot;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use std::rc::Rc;
    use switchboard_domain::Message;
    use switchboard_wire::frames::{ClientFrame, VisitorFrame};

    /// How long a message sent over the socket waits for its acknowledgement before it goes
    /// again over HTTP (stored once either way: the server keys it by its client id).
    const SOCKET_ACK_MS: u32 = 8_000;

    type Ack = oneshot::Sender<Result<Message, ApiError>>;

    /// The chat's socket, and the messages sent over it that wait for their answer.
    #[derive(Clone, Default)]
    pub struct Link {
        socket: Rc<RefCell<Option<LiveSocket<VisitorFrame>>>>,
        /// Subscribed and replayed: the stored message will come back on this socket.
        synced: Rc<Cell<bool>>,
        acks: Rc<RefCell<HashMap<Uuid, Ack>>>,
    }

    impl Link {
        /// Sends over the socket when it is up; the receiver gets the outcome.
        fn try_send(
            &self,
            conversation_id: Uuid,
            client_msg_id: Uuid,
            body: &str,
        ) -> Option<oneshot::Receiver<Result<Message, ApiError>>> {
            if !self.synced.get() {
                return None;
            }
            let (tx, rx) = oneshot::channel();
            self.acks.borrow_mut().insert(client_msg_id, tx);
            let frame = ClientFrame::Send {
                conversation_id,
                client_msg_id,
                body: body.to_string(),
            };
            let sent = self
                .socket
                .borrow()
                .as_ref()
                .is_some_and(|s| s.send(&frame));
            if !sent {
                self.acks.borrow_mut().remove(&client_msg_id);
                return None;
            }
            Some(rx)
        }

        fn answer(&self, client_msg_id: Uuid, outcome: impl FnOnce() -> Result<Message, ApiError>) {
            if let Some(ack) = self.acks.borrow_mut().remove(&client_msg_id) {
                let _ = ack.send(outcome());
            }
        }

        fn forget(&self, client_msg_id: Uuid) {
            self.acks.borrow_mut().remove(&client_msg_id);
        }
    }

    /// Resumes a previous chat from the stored token, or shows the way in.
    pub fn boot(
        phase: RwSignal<Phase>,
        bot: RwSignal<Option<switchboard_domain::BotSettings>>,
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
                choose_entry(phase, bot);
                return;
            };
            // A chat to resume: its room's chunk comes while the chat is asked for. (Should
            // this fail, the room's own load tries again and says so.)
            leptos::task::spawn_local(async {
                let _ = super::preload_chat_room().await;
            });
            leptos::task::spawn_local(async move {
                let mut failures = 0u32;
                loop {
                    match super::super::resume_chat(token.clone()).await {
                        Ok(Some(chat)) => adopt(chat),
                        Ok(None) => forget_chat(phase, bot),
                        // Keep the token: the server may just be restarting. Try again, a
                        // little later each time (1 s, 2 s, 4 s… at most 30 s).
                        Err(_) => {
                            failures += 1;
                            let wait = 1000u32 << failures.saturating_sub(1).min(5);
                            gloo_timers::future::TimeoutFuture::new(wait.min(30_000)).await;
                            continue;
                        }
                    }
                    break;
                }
            });
        });
    }

    /// The chat's live socket: subscribed to the conversation, it keeps the thread, the
    /// status and the typing line current, and answers messages sent over it.
    pub fn connect(chat: Chat, typing: RwSignal<Typing>, link: StoredValue<Link, LocalStorage>) {
        let Chat {
            phase,
            bot,
            session,
            status,
            status_revision,
            thread,
            conn,
            switch_stage,
            ..
        } = chat;
        Effect::new(move |_| {
            let Some(s) = session.get() else { return };
            if link.with_value(|l| l.socket.borrow().is_some()) {
                return;
            }
            let conversation_id = s.conversation_id;
            // The token goes in the first frame, never in the URL (which proxies log).
            let token = s.token;
            let live = LiveSocket::start(
                socket_url("/ws/visitor"),
                conn,
                move |live| {
                    link.with_value(|l| l.synced.set(false));
                    typing.update(Typing::reset);
                    let after_seq = thread.with_untracked(|t| t.watermark());
                    live.send(&ClientFrame::Hello {
                        token: token.clone(),
                    });
                    live.send(&ClientFrame::Subscribe {
                        conversation_id,
                        after_seq,
                    });
                },
                move |frame| match frame {
                    VisitorFrame::Message { message } | VisitorFrame::Sent { message }
                        if message.conversation_id == conversation_id =>
                    {
                        if let Some(id) = message.client_msg_id {
                            link.with_value(|l| l.answer(id, || Ok(message.clone())));
                        }
                        if message.sender.kind == switchboard_domain::SenderKind::Agent {
                            typing.update(|t| t.clear(message.sender.id));
                        }
                        thread.update(|t| {
                            t.apply(message);
                        });
                    }
                    VisitorFrame::Synced {
                        conversation_id: id,
                    } if id == conversation_id => {
                        link.with_value(|l| l.synced.set(true));
                    }
                    VisitorFrame::Typing {
                        conversation_id: id,
                        typist,
                        typing: on,
                    } if id == conversation_id => {
                        typing.update(|t| t.apply(&typist, on, js_sys::Date::now()));
                    }
                    VisitorFrame::SendFailed {
                        client_msg_id,
                        error,
                    } => {
                        link.with_value(|l| l.answer(client_msg_id, || Err(error)));
                    }
                    VisitorFrame::Status {
                        conversation_id: id,
                        status: st,
                        revision,
                    } if id == conversation_id && revision >= status_revision.get_value() => {
                        status_revision.set_value(revision);
                        status.set(st);
                    }
                    // An agent asked to go on by SMS or WhatsApp: open the phone request.
                    VisitorFrame::SwitchInvite {
                        conversation_id: id,
                        to,
                    } if id == conversation_id
                        && switch_stage.get_untracked() == super::super::switch::Stage::Idle =>
                    {
                        switch_stage.set(super::super::switch::Stage::Asking(to));
                    }
                    _ => {}
                },
                // Signed out by an agent (or the token expired): a new visitor from here.
                move || {
                    link.with_value(|l| *l.socket.borrow_mut() = None);
                    session.set(None);
                    forget_chat(phase, bot);
                },
            );
            link.with_value(|l| *l.socket.borrow_mut() = Some(live));
        });
        on_cleanup(move || {
            link.try_with_value(|l| l.socket.borrow().as_ref().map(LiveSocket::stop));
        });
    }

    /// A new visitor meets the chatbot (if enabled), the pre-chat form, or, with nobody
    /// Online, the offline form.
    /// The stored chat is no more (unknown, expired or revoked token): forget it and start
    /// as a new visitor.
    fn forget_chat(phase: RwSignal<Phase>, bot: RwSignal<Option<switchboard_domain::BotSettings>>) {
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.remove_item(TOKEN_KEY);
        }
        choose_entry(phase, bot);
    }

    fn choose_entry(
        phase: RwSignal<Phase>,
        bot: RwSignal<Option<switchboard_domain::BotSettings>>,
    ) {
        leptos::task::spawn_local(async move {
            match super::super::widget_config().await {
                Ok(setup) if !setup.agents_online => phase.set(Phase::Offline),
                Ok(setup) => {
                    let has_bot = setup.bot.is_some();
                    bot.set(setup.bot);
                    phase.set(if has_bot { Phase::Bot } else { Phase::Form });
                }
                Err(_) => phase.set(Phase::Form),
            }
        });
    }

    /// While the visitor waits, their place in line and an estimate, every few seconds, for
    /// as long as the room that shows it.
    pub fn poll_queue(
        session: RwSignal<Option<ChatSession>>,
        status: RwSignal<ConversationStatus>,
        queue: RwSignal<Option<super::super::QueueInfo>>,
    ) {
        leptos::task::spawn_local(async move {
            loop {
                // The room is gone (the chat ended here): so is this loop.
                if queue.is_disposed() {
                    return;
                }
                let waiting = matches!(
                    status.try_get_untracked(),
                    Some(ConversationStatus::Queued | ConversationStatus::Offered)
                );
                match (waiting, session.try_get_untracked()) {
                    (_, None) => return, // page gone
                    (true, Some(Some(s))) => {
                        if let Ok(info) =
                            super::super::queue_status(s.token.clone(), s.conversation_id).await
                        {
                            queue.set(Some(info));
                        }
                    }
                    _ => queue.set(None),
                }
                gloo_timers::future::TimeoutFuture::new(4000).await;
            }
        });
    }

    /// Sends over the socket when it is up, else (or without an answer in time) over HTTP.
    fn deliver_to(
        session: RwSignal<Option<ChatSession>>,
        thread: RwSignal<Thread>,
        link: StoredValue<Link, LocalStorage>,
        id: Uuid,
        body: String,
    ) {
        let Some(s) = session.get_untracked() else {
            return;
        };
        crate::components::deliver(thread, id, body, move |id, body| {
            let (s, link) = (s.clone(), link.get_value());
            async move {
                if let Some(answer) = link.try_send(s.conversation_id, id, &body) {
                    let waited = futures::future::select(
                        answer,
                        gloo_timers::future::TimeoutFuture::new(SOCKET_ACK_MS),
                    )
                    .await;
                    if let futures::future::Either::Left((Ok(outcome), _)) = waited {
                        return outcome;
                    }
                    link.forget(id);
                }
                super::super::send_visitor_message(s.token, s.conversation_id, id, body).await
            }
        });
    }

    /// Uploads a picked file and sends it; a refused one says why, naming the rule.
    pub fn send_file(
        session: RwSignal<Option<ChatSession>>,
        thread: RwSignal<Thread>,
        picked: crate::attachments::Picked,
        uploading: RwSignal<bool>,
        file_error: RwSignal<Option<String>>,
    ) {
        let Some(s) = session.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            file_error.set(None);
            uploading.set(true);
            let result = crate::attachments::upload_and_send(
                switchboard_wire::files::VISITOR_UPLOAD_PATH,
                s.conversation_id,
                Some(&s.token),
                &picked,
                |file_id, client_msg_id| {
                    super::super::send_visitor_file(
                        s.token.clone(),
                        s.conversation_id,
                        file_id,
                        client_msg_id,
                    )
                },
            )
            .await;
            let _ = uploading.try_set(false);
            match result {
                Ok(message) => thread.update(|t| {
                    t.apply(message);
                }),
                Err(e) => file_error.set(Some(format!("{} was not sent: {e}", picked.name))),
            }
        });
    }

    /// The visitor started or stopped typing: the agents hear it over the socket (a hint, so
    /// nothing is sent while the socket is down).
    pub fn typing(
        session: RwSignal<Option<ChatSession>>,
        link: StoredValue<Link, LocalStorage>,
        on: bool,
    ) {
        let Some(s) = session.get_untracked() else {
            return;
        };
        link.with_value(|l| {
            if l.synced.get() {
                if let Some(socket) = l.socket.borrow().as_ref() {
                    socket.send(&ClientFrame::Typing {
                        conversation_id: s.conversation_id,
                        typing: on,
                    });
                }
            }
        });
    }

    /// The page of public messages before the oldest shown.
    pub fn load_older(
        session: RwSignal<Option<ChatSession>>,
        thread: RwSignal<Thread>,
        has_older: RwSignal<bool>,
    ) {
        let Some(s) = session.get_untracked() else {
            return;
        };
        let before = thread.with_untracked(|t| t.oldest());
        leptos::task::spawn_local(async move {
            if let Ok(page) =
                super::super::visitor_history(s.token.clone(), s.conversation_id, before).await
            {
                thread.update(|t| {
                    for m in page.messages {
                        t.apply(m);
                    }
                });
                has_older.set(page.has_older);
            }
        });
    }

    pub fn send(
        session: RwSignal<Option<ChatSession>>,
        thread: RwSignal<Thread>,
        link: StoredValue<Link, LocalStorage>,
        body: String,
    ) {
        let id = new_uuid();
        thread.update(|t| t.queue(id, body.clone(), js_sys::Date::now() as i64));
        deliver_to(session, thread, link, id, body);
    }

    pub fn retry(
        session: RwSignal<Option<ChatSession>>,
        thread: RwSignal<Thread>,
        link: StoredValue<Link, LocalStorage>,
        id: Uuid,
    ) {
        let mut body = None;
        thread.update(|t| body = t.retry(id));
        if let Some(body) = body {
            deliver_to(session, thread, link, id, body);
        }
    }
}
