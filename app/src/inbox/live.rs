//! The inbox's browser-side behaviour: loading folders, the agent socket (which follows the
//! folder on screen), paged history, actions, presence (with automatic Away when idle), the
//! countdown clock and notices.

use super::rows::{Applied, Update as RowUpdate};
use super::state::{InboxState, NOTICE_MILLIS};
use super::Folder;
use crate::realtime::client::{new_uuid, socket_url, LiveSocket};
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use switchboard_domain::{Presence, Thread};
use switchboard_wire::frames::{ClientFrame, ServerFrame};
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

type Socket = StoredValue<Option<LiveSocket>, LocalStorage>;

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn send_frame(socket: Socket, frame: ClientFrame) {
    socket.with_value(|s| {
        if let Some(s) = s {
            s.send(&frame);
        }
    });
}

fn load_folder(state: InboxState, socket: Socket) {
    let view = state.view();
    // Live rows follow the folder on screen.
    send_frame(socket, ClientFrame::View { view });
    let mut generation = 0;
    state.rows.update(|r| generation = r.begin_listing());
    leptos::task::spawn_local(async move {
        match super::list_conversations(view.folder, view.filter, None).await {
            Ok(page) if state.view() == view => {
                let posts: Vec<Uuid> = page.rows.iter().filter_map(|r| r.summary.post).collect();
                state.finish_listing(generation, page);
                learn_posts(state, posts);
            }
            Ok(_) => {}
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}

/// One row the list misses, put in place as a live update would (shown if the folder on
/// screen has it), with how far this agent has read it.
fn fetch_row(state: InboxState, id: Uuid) {
    leptos::task::spawn_local(async move {
        if let Ok(row) = super::conversation_row(id).await {
            let read_seq = row.read_seq;
            state.apply(RowUpdate::Summary(Box::new(row.summary)));
            state.rows.update(|r| r.mark_read(id, read_seq));
        }
    });
}

/// "Load more": the folder's next page, appended (see `rows`); dropped if the folder or
/// filter changed meanwhile.
pub fn load_more(state: InboxState) {
    let view = state.view();
    let mut asked = None;
    state.rows.update(|r| asked = r.begin_more());
    let Some((generation, after)) = asked else {
        return;
    };
    leptos::task::spawn_local(async move {
        match super::list_conversations(view.folder, view.filter, Some(after)).await {
            Ok(page) => {
                let posts: Vec<Uuid> = page.rows.iter().filter_map(|r| r.summary.post).collect();
                let mut appended = false;
                state
                    .rows
                    .update(|r| appended = r.append_page(generation, page));
                if appended {
                    learn_posts(state, posts);
                }
            }
            Err(e) => {
                state.rows.update(|r| r.fail_more(generation));
                state.error.set(Some(e.to_string()));
            }
        }
    });
}

/// Comments on a post the post filter does not list yet: read the posts again.
fn learn_posts(state: InboxState, posts: impl IntoIterator<Item = Uuid>) {
    let known = |id: Uuid| state.posts.with_untracked(|p| p.iter().any(|p| p.id == id));
    if posts.into_iter().any(|id| !known(id)) {
        load_setup(state);
    }
}

fn load_setup(state: InboxState) {
    let mark = state.presence_heard.with_value(|h| h.mark());
    leptos::task::spawn_local(async move {
        if let Ok(setup) = super::inbox_setup().await {
            let mut agents = setup.agents;
            state.agents.with_untracked(|current| {
                state
                    .presence_heard
                    .with_value(|h| h.merge(mark, &mut agents, current))
            });
            state.agents.set(agents);
            state.posts.set(setup.posts);
            state.switch_to.set(setup.switch_to);
            state.sees_colleagues.set(setup.sees_colleagues);
            state.auto_away_secs.set(setup.auto_away_secs);
        }
    });
}

fn open(state: InboxState, socket: Socket, id: Uuid, previous: Option<Uuid>) {
    if let Some(prev) = previous {
        send_frame(
            socket,
            ClientFrame::Unsubscribe {
                conversation_id: prev,
            },
        );
    }
    state.thread.set(Thread::new());
    state.typing.update(|t| t.reset());
    state.has_older.set(false);
    leptos::task::spawn_local(async move {
        match super::open_conversation(id).await {
            Ok(detail) if state.selected.get_untracked() == Some(id) => {
                state.thread.update(|t| {
                    for m in detail.page.messages {
                        t.apply(m);
                    }
                });
                state.has_older.set(detail.page.has_older);
                let after_seq = state.thread.with_untracked(|t| t.watermark());
                send_frame(
                    socket,
                    ClientFrame::Subscribe {
                        conversation_id: id,
                        after_seq,
                    },
                );
                state.upsert(detail.summary);
                read_up_to(state, id, after_seq);
            }
            Ok(_) => {}
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}

/// The page of messages before the oldest shown.
pub fn load_older(state: InboxState, id: Uuid) {
    thread_local! {
        static LOADING: Cell<bool> = const { Cell::new(false) };
    }
    if LOADING.with(|l| l.replace(true)) {
        return;
    }
    let before = state.thread.with_untracked(|t| t.oldest());
    leptos::task::spawn_local(async move {
        let page = super::conversation_history(id, before).await;
        LOADING.with(|l| l.set(false));
        match page {
            Ok(page) if state.selected.get_untracked() == Some(id) => {
                state.thread.update(|t| {
                    for m in page.messages {
                        t.apply(m);
                    }
                });
                state.has_older.set(page.has_older);
            }
            Ok(_) => {}
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}

fn read_up_to(state: InboxState, id: Uuid, seq: u64) {
    state.rows.update(|r| r.mark_read(id, seq));
    leptos::task::spawn_local(async move {
        let _ = super::mark_read(id, seq).await;
    });
}

/// The browser tab's title: `* (n)` while chats are unread.
pub fn title(unread: usize) -> String {
    if unread > 0 {
        format!("* ({unread}) Inbox · Switchboard")
    } else {
        "Inbox · Switchboard".into()
    }
}

pub fn boot(state: InboxState) {
    let socket: Socket = state.socket;
    load_setup(state);
    crate::realtime::typing::keep_fresh(state.typing);

    // Folder or filter changes reload the list.
    Effect::new(move |_| {
        state.folder.track();
        state.filter.track();
        load_folder(state, socket);
    });

    // Selecting a conversation loads its latest page and subscribes to it.
    Effect::new(move |previous: Option<Option<Uuid>>| {
        let current = state.selected.get();
        state.error.set(None);
        if let Some(id) = current {
            open(state, socket, id, previous.flatten());
        }
        current
    });

    // The open conversation stays at hand as a tab (once its row, and so its name, is known).
    Effect::new(move |_| {
        let Some(id) = state.selected.get() else {
            return;
        };
        if state
            .tabs
            .with_untracked(|t| t.iter().any(|(t, _)| *t == id))
        {
            return;
        }
        if let Some(name) = state.summary_of(id).map(|s| s.contact_name) {
            state.tabs.update(|tabs| {
                tabs.push((id, name));
                if tabs.len() > super::state::MAX_TABS {
                    tabs.remove(0);
                }
            });
        }
    });

    // Unread chats show in the browser tab title.
    Effect::new(move |_| {
        let title = title(state.rows.with(|rows| rows.unread()));
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&title);
        }
    });
    super::alerts::live::boot(state);

    let live = LiveSocket::start(
        socket_url("/ws/agent"),
        state.conn,
        move |live| {
            state.typing.update(|t| t.reset());
            // After any (re)connect: the view, fresh lists, and the open room resumed.
            live.send(&ClientFrame::View { view: state.view() });
            load_folder(state, socket);
            load_setup(state);
            if let Some(id) = state.selected.get_untracked() {
                let after_seq = state.thread.with_untracked(|t| t.watermark());
                live.send(&ClientFrame::Subscribe {
                    conversation_id: id,
                    after_seq,
                });
            }
        },
        move |frame| match frame {
            ServerFrame::Conversation { summary } => {
                learn_posts(state, summary.post);
                state.apply(RowUpdate::Summary(Box::new(summary)));
            }
            ServerFrame::Activity { activity } => {
                super::alerts::live::on_activity(state, &activity);
                let id = activity.conversation_id;
                let applied = state.apply(RowUpdate::Activity(activity));
                // A delta for a row the list misses (a new chat whose row has not come yet,
                // or one beyond the pages loaded): that row is fetched, and the pages the
                // agent loaded stay.
                if applied == Applied::UnknownRow {
                    fetch_row(state, id);
                }
            }
            ServerFrame::Message { message }
                if state.selected.get_untracked() == Some(message.conversation_id) =>
            {
                let (seq, id) = (message.seq, message.conversation_id);
                match message.sender.kind {
                    switchboard_domain::SenderKind::Visitor => {
                        state.typing.update(|t| t.clear(None))
                    }
                    switchboard_domain::SenderKind::Agent => {
                        state.typing.update(|t| t.clear(message.sender.id))
                    }
                    switchboard_domain::SenderKind::System => {}
                }
                state.thread.update(|t| {
                    t.apply(message);
                });
                read_up_to(state, id, seq);
            }
            ServerFrame::CommentRemoved {
                conversation_id,
                message_id,
            } if state.selected.get_untracked() == Some(conversation_id) => {
                state.thread.update(|t| {
                    t.set_removed(message_id);
                });
            }
            ServerFrame::MessageChanged {
                conversation_id,
                message_id,
                change,
            } if state.selected.get_untracked() == Some(conversation_id) => {
                state.thread.update(|t| {
                    t.alter(message_id, &change);
                });
            }
            ServerFrame::Delivery {
                conversation_id,
                message_id,
                delivery,
            } if state.selected.get_untracked() == Some(conversation_id) => {
                state.thread.update(|t| {
                    t.set_delivery(message_id, delivery);
                });
            }
            ServerFrame::Typing {
                conversation_id,
                typist,
                typing,
            } if state.selected.get_untracked() == Some(conversation_id) => {
                state
                    .typing
                    .update(|t| t.apply(&typist, typing, js_sys::Date::now()));
            }
            ServerFrame::Presence { agent, presence } => {
                state.presence_heard.update_value(|h| h.heard(agent));
                state.agents.update(|all| {
                    if let Some(a) = all.iter_mut().find(|a| a.id == agent) {
                        a.presence = presence;
                    } else {
                        load_setup(state);
                    }
                })
            }
            ServerFrame::Notice {
                conversation_id,
                text,
            } => state.notify(conversation_id, text),
            ServerFrame::Error { code, .. } if code == "replay_too_long" => {
                // Too far behind: open the room afresh on its latest page.
                if let Some(id) = state.selected.get_untracked() {
                    open(state, socket, id, None);
                }
            }
            ServerFrame::Resync => {
                load_folder(state, socket);
                load_setup(state);
            }
            _ => {}
        },
        // The session ended (signed out elsewhere, or deactivated). Signing out on this page
        // ends it too, and that page already goes to /login: a moment later, go only if no
        // one did.
        || {
            leptos::task::spawn_local(async {
                gloo_timers::future::TimeoutFuture::new(1000).await;
                if let Some(w) = web_sys::window() {
                    if w.location().pathname().ok().as_deref() != Some("/login") {
                        let _ = w.location().assign("/login");
                    }
                }
            });
        },
    );
    socket.set_value(Some(live));

    spawn_clock(state);
    watch_activity(state);
    on_cleanup(move || {
        socket.try_with_value(|s| s.as_ref().map(LiveSocket::stop));
    });
}

/// The countdown clock and notice expiry; stops when the page goes.
fn spawn_clock(state: InboxState) {
    state.now.set(now_ms());
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(1000).await;
            let now = now_ms();
            if state.now.try_set(now).is_some() {
                return; // disposed
            }
            if state
                .notices
                .with_untracked(|n| n.iter().any(|x| now - x.at >= NOTICE_MILLIS))
            {
                state
                    .notices
                    .update(|n| n.retain(|x| now - x.at < NOTICE_MILLIS));
            }
        }
    });
}

/// Automatic Away after the configured idle time, and back Online on activity. The loop
/// ends when the page's signals are gone.
fn watch_activity(state: InboxState) {
    let last_active = Rc::new(Cell::new(now_ms()));
    let auto_away = Rc::new(Cell::new(false));
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let (last, away) = (last_active.clone(), auto_away.clone());
        let on_activity = Closure::<dyn FnMut()>::new(move || {
            last.set(now_ms());
            if away.get() {
                away.set(false);
                leptos::task::spawn_local(async move {
                    let _ = super::set_presence(Presence::Online, true).await;
                });
            }
        });
        for ev in ["mousemove", "keydown", "click", "focus", "touchstart"] {
            let _ = doc.add_event_listener_with_callback(ev, on_activity.as_ref().unchecked_ref());
        }
        on_activity.forget();
    }
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(5000).await;
            let Some(limit) = state.auto_away_secs.try_get_untracked() else {
                return;
            };
            let idle = now_ms() - last_active.get() > limit as i64 * 1000;
            if idle && !auto_away.get() && state.my_presence() == Presence::Online {
                auto_away.set(true);
                let _ = super::set_presence(Presence::Away, true).await;
            }
        }
    });
}

pub fn choose_presence(state: InboxState, presence: Presence) {
    leptos::task::spawn_local(async move {
        if let Err(e) = super::set_presence(presence, false).await {
            state.error.set(Some(e.to_string()));
        }
    });
}

fn deliver(state: InboxState, conversation_id: Uuid, id: Uuid, body: String) {
    let internal = state.internal.get_untracked();
    let comments = state
        .summary_of(conversation_id)
        .is_some_and(|s| s.is_comment_thread());
    // On a comment conversation a reply answers the latest comment, publicly or privately.
    let answer = comments && !internal;
    let private = answer && state.private_reply.get_untracked();
    crate::components::deliver(state.thread, id, body, move |id, body| async move {
        if answer {
            super::answer_comment(conversation_id, id, body, private).await
        } else {
            super::send_agent_message(conversation_id, id, body, internal).await
        }
    });
}

/// The agent started or stopped typing a reply: the contact and the other agents in the room
/// hear it (never while writing an internal note: the contact must not see that).
pub fn typing(state: InboxState, conversation_id: Uuid, on: bool) {
    if on && state.internal.get_untracked() {
        return;
    }
    send_frame(
        state.socket,
        ClientFrame::Typing {
            conversation_id,
            typing: on,
        },
    );
}

pub fn send(state: InboxState, conversation_id: Uuid, body: String) {
    let id = new_uuid();
    state.thread.update(|t| t.queue(id, body.clone(), now_ms()));
    deliver(state, conversation_id, id, body);
}

/// Uploads a picked file and sends it (as a note's file while "Internal note" is ticked). A
/// refused file says why in the room, naming the rule.
pub fn send_file(
    state: InboxState,
    conversation_id: Uuid,
    picked: crate::attachments::Picked,
    uploading: RwSignal<bool>,
) {
    let internal = state.internal.get_untracked();
    leptos::task::spawn_local(async move {
        state.error.set(None);
        uploading.set(true);
        let result = crate::attachments::upload_and_send(
            switchboard_wire::files::AGENT_UPLOAD_PATH,
            conversation_id,
            None,
            &picked,
            |file_id, client_msg_id| {
                super::send_agent_file(conversation_id, file_id, client_msg_id, internal)
            },
        )
        .await;
        let _ = uploading.try_set(false);
        match result {
            Ok(message) => {
                if state.selected.get_untracked() == Some(conversation_id) {
                    state.thread.update(|t| {
                        t.apply(message);
                    });
                }
            }
            Err(e) => state
                .error
                .set(Some(format!("{} was not sent: {e}", picked.name))),
        }
    });
}

pub fn retry(state: InboxState, conversation_id: Uuid, id: Uuid) {
    let mut body = None;
    state.thread.update(|t| body = t.retry(id));
    if let Some(body) = body {
        deliver(state, conversation_id, id, body);
    }
}

/// Row and room actions: accept (open the room), hold (accept, stay), decline, close.
pub fn act(state: InboxState, conversation_id: Uuid, action: &'static str) {
    leptos::task::spawn_local(async move {
        state.error.set(None);
        let result = match action {
            "accept" | "hold" => super::accept_chat(conversation_id).await.map(|s| {
                state.upsert(s);
                if action == "accept" {
                    state.folder.set(Folder::Engaged);
                    state.selected.set(Some(conversation_id));
                }
            }),
            "decline" => super::decline_chat(conversation_id).await.map(|_| {
                state.rows.update(|r| r.remove(conversation_id));
                if state.selected.get_untracked() == Some(conversation_id) {
                    state.selected.set(None);
                }
            }),
            "close" => super::close_conversation(conversation_id)
                .await
                .map(|s| state.upsert(s)),
            _ => Ok(()),
        };
        if let Err(e) = result {
            state.error.set(Some(e.to_string()));
            if action != "close" {
                state.notify(conversation_id, e.to_string());
            }
            // The list may be stale: read it again.
            let view = state.view();
            let mut generation = 0;
            state.rows.update(|r| generation = r.begin_listing());
            if let Ok(page) = super::list_conversations(view.folder, view.filter, None).await {
                if state.view() == view {
                    state.finish_listing(generation, page);
                }
            }
        }
    });
}

pub fn transfer(
    state: InboxState,
    conversation_id: Uuid,
    to: Uuid,
    comment: String,
    done: Callback<()>,
) {
    leptos::task::spawn_local(async move {
        match super::transfer_chat(conversation_id, to, comment).await {
            Ok(s) => {
                state.upsert(s);
                done.run(());
            }
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}

pub fn invite(state: InboxState, conversation_id: Uuid, agent: Uuid, done: Callback<()>) {
    leptos::task::spawn_local(async move {
        match super::invite_agent(conversation_id, agent).await {
            Ok(s) => {
                state.upsert(s);
                done.run(());
            }
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}
