//! The inbox's browser-side behaviour: loading folders, the agent socket, sending.

use super::view::InboxState;
use crate::realtime::client::{new_uuid, socket_url, LiveSocket};
use crate::realtime::protocol::{ClientFrame, ServerFrame};
use leptos::prelude::*;
use switchboard_domain::Thread;
use uuid::Uuid;

fn load_folder(state: InboxState) {
    let folder = state.folder.get_untracked();
    leptos::task::spawn_local(async move {
        match super::list_conversations(folder).await {
            Ok(rows) if state.folder.get_untracked() == folder => {
                state.rows.set(rows);
                state.error.set(None);
            }
            Ok(_) => {}
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}

fn open(state: InboxState, socket: StoredValue<Option<LiveSocket>, LocalStorage>, id: Uuid, previous: Option<Uuid>) {
    socket.with_value(|s| {
        if let (Some(s), Some(prev)) = (s, previous) {
            s.send(&ClientFrame::Unsubscribe { conversation_id: prev });
        }
    });
    state.thread.set(Thread::new());
    leptos::task::spawn_local(async move {
        match super::open_conversation(id).await {
            Ok(detail) if state.selected.get_untracked() == Some(id) => {
                state.thread.update(|t| {
                    for m in detail.messages {
                        t.apply(m);
                    }
                });
                let after_seq = state.thread.with_untracked(|t| t.watermark());
                socket.with_value(|s| {
                    if let Some(s) = s {
                        s.send(&ClientFrame::Subscribe { conversation_id: id, after_seq });
                    }
                });
                state.upsert(detail.summary);
                read_up_to(id, after_seq);
            }
            Ok(_) => {}
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}

fn read_up_to(id: Uuid, seq: u64) {
    leptos::task::spawn_local(async move {
        let _ = super::mark_read(id, seq).await;
    });
}

pub fn boot(state: InboxState) {
    let socket = StoredValue::new_local(None::<LiveSocket>);

    // Folder changes reload the list.
    Effect::new(move |_| {
        state.folder.track();
        load_folder(state);
    });

    // Selecting a conversation loads its history and subscribes to it.
    Effect::new(move |previous: Option<Option<Uuid>>| {
        let current = state.selected.get();
        state.error.set(None);
        if let Some(id) = current {
            open(state, socket, id, previous.flatten());
        }
        current
    });

    let live = LiveSocket::start(
        socket_url("/ws/agent"),
        state.conn,
        move |live| {
            // After any (re)connect: refresh the list and resume the open thread.
            load_folder(state);
            if let Some(id) = state.selected.get_untracked() {
                let after_seq = state.thread.with_untracked(|t| t.watermark());
                live.send(&ClientFrame::Subscribe { conversation_id: id, after_seq });
            }
        },
        move |frame| match frame {
            ServerFrame::Conversation { summary } => state.upsert(summary),
            ServerFrame::Message { message } if state.selected.get_untracked() == Some(message.conversation_id) => {
                let seq = message.seq;
                let id = message.conversation_id;
                state.thread.update(|t| {
                    t.apply(message);
                });
                read_up_to(id, seq);
            }
            ServerFrame::Resync => load_folder(state),
            _ => {}
        },
    );
    socket.set_value(Some(live));
    // Leaving the page (say, signing out) ends the socket and its reconnect loop.
    on_cleanup(move || {
        socket.try_with_value(|s| s.as_ref().map(LiveSocket::stop));
    });
}

fn deliver(state: InboxState, conversation_id: Uuid, id: Uuid, body: String) {
    let internal = state.internal.get_untracked();
    crate::components::deliver(state.thread, id, body, move |id, body| {
        super::send_agent_message(conversation_id, id, body, internal)
    });
}

pub fn send(state: InboxState, conversation_id: Uuid, body: String) {
    let id = new_uuid();
    state.thread.update(|t| t.queue(id, body.clone(), js_sys::Date::now() as i64));
    deliver(state, conversation_id, id, body);
}

pub fn retry(state: InboxState, conversation_id: Uuid, id: Uuid) {
    let mut body = None;
    state.thread.update(|t| body = t.retry(id));
    if let Some(body) = body {
        deliver(state, conversation_id, id, body);
    }
}

pub fn close(state: InboxState, conversation_id: Uuid) {
    leptos::task::spawn_local(async move {
        match super::close_conversation(conversation_id).await {
            Ok(summary) => state.upsert(summary),
            Err(e) => state.error.set(Some(e.to_string())),
        }
    });
}
