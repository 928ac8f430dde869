//! Websocket sessions. A session subscribes to the hub before it reads anything, replays
//! from the database after the client's last seq, then forwards live events; a
//! `DeliveryCursor` per conversation turns that overlap into exactly-once, in-order delivery.
//! Who sees what is decided here: a contact only ever receives public messages of their own
//! conversations; inbox rows go to agents only.

use super::protocol::{ClientFrame, Role, ServerFrame, HEARTBEAT_SECS};
use crate::auth::{ssr::agent_of_session, AgentProfile};
use crate::conversations::service;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures::{Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use switchboard_domain::thread::{Delivery, DeliveryCursor};
use switchboard_domain::DomainEvent;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// Measured: axum's default 128 KiB read buffer costs ~135 KiB per idle socket; 4 KiB
/// costs ~9.5 KiB. Frames from clients are small.
const READ_BUFFER_BYTES: usize = 4096;
const MAX_FRAME_BYTES: usize = 64 * 1024;
const REPLAY_PAGE: u64 = 500;

/// Who is on the other end of a socket.
#[derive(Debug, Clone)]
pub enum Peer {
    Visitor { contact_id: Uuid },
    Agent(AgentProfile),
}

impl Peer {
    fn sees_internal(&self) -> bool {
        matches!(self, Peer::Agent(_))
    }
}

#[derive(Deserialize)]
pub struct VisitorQuery {
    token: String,
}

pub async fn visitor_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Query(q): Query<VisitorQuery>,
) -> Response {
    let Some(visitor_id) = crate::widget::token::verify(&state.secret, &q.token) else {
        return AppError::Unauthorized.into_response();
    };
    let contact_id = match service::contact_of_visitor(&state.db, visitor_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return AppError::Unauthorized.into_response(),
        Err(e) => return e.into_response(),
    };
    upgrade(ws, state, Peer::Visitor { contact_id })
}

pub async fn agent_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    session: tower_sessions::Session,
) -> Response {
    match agent_of_session(&state.db, &session).await {
        Ok(agent) => upgrade(ws, state, Peer::Agent(agent)),
        Err(e) => e.into_response(),
    }
}

fn upgrade(ws: WebSocketUpgrade, state: AppState, peer: Peer) -> Response {
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket: WebSocket| async move {
            let (sink, stream) = socket.split();
            run_session(state, peer, sink, stream).await;
        })
}

/// Why a session ended early; the socket is closed either way.
#[derive(Debug)]
enum End {
    Gone,
    Failed(AppError),
}

impl From<AppError> for End {
    fn from(e: AppError) -> Self {
        End::Failed(e)
    }
}

struct Session<W> {
    state: AppState,
    peer: Peer,
    sink: W,
    cursors: HashMap<Uuid, DeliveryCursor>,
}

impl<W> Session<W>
where
    W: Sink<WsMessage> + Unpin,
{
    async fn send(&mut self, frame: &ServerFrame) -> Result<(), End> {
        let text = serde_json::to_string(frame).map_err(|e| End::Failed(AppError::Internal(e.to_string())))?;
        self.sink.send(WsMessage::Text(text.into())).await.map_err(|_| End::Gone)
    }

    /// Sends everything after the cursor from the database, in order.
    async fn catch_up(&mut self, conversation_id: Uuid) -> Result<(), End> {
        let include_internal = self.peer.sees_internal();
        loop {
            let Some(cursor) = self.cursors.get(&conversation_id).copied() else { return Ok(()) };
            let batch =
                service::messages_after(&self.state.db, conversation_id, cursor.delivered(), include_internal, REPLAY_PAGE)
                    .await?;
            let full = batch.len() as u64 == REPLAY_PAGE;
            for message in batch {
                let seq = message.seq;
                self.send(&ServerFrame::Message { message }).await?;
                if let Some(c) = self.cursors.get_mut(&conversation_id) {
                    c.advance(seq);
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn subscribe(&mut self, conversation_id: Uuid, after_seq: u64) -> Result<(), End> {
        let allowed = match &self.peer {
            Peer::Agent(_) => true,
            Peer::Visitor { contact_id } => service::conversation_belongs_to(&self.state.db, conversation_id, *contact_id)
                .await
                .map_err(AppError::from)?,
        };
        if !allowed {
            return self.send(&ServerFrame::Error { message: "That conversation does not exist.".into() }).await;
        }
        self.cursors.insert(conversation_id, DeliveryCursor::after(after_seq));
        self.catch_up(conversation_id).await?;
        let seq = self.cursors.get(&conversation_id).map(|c| c.delivered()).unwrap_or(after_seq);
        self.send(&ServerFrame::Synced { conversation_id, seq }).await
    }

    async fn on_client_text(&mut self, text: &str) -> Result<(), End> {
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(ClientFrame::Subscribe { conversation_id, after_seq }) => self.subscribe(conversation_id, after_seq).await,
            Ok(ClientFrame::Unsubscribe { conversation_id }) => {
                self.cursors.remove(&conversation_id);
                Ok(())
            }
            Ok(ClientFrame::Ping) => self.send(&ServerFrame::Pong).await,
            Err(e) => self.send(&ServerFrame::Error { message: format!("Unreadable frame: {e}") }).await,
        }
    }

    async fn on_event(&mut self, event: &DomainEvent) -> Result<(), End> {
        if let Peer::Agent(me) = &self.peer {
            if let Some(frame) = notice_for(me.id, event) {
                self.send(&frame).await?;
            }
        }
        let Some(summary) = event.summary() else {
            return match (&self.peer, event) {
                (Peer::Agent(_), DomainEvent::PresenceChanged { agent, presence }) => {
                    self.send(&ServerFrame::Presence { agent: *agent, presence: *presence }).await
                }
                _ => Ok(()),
            };
        };
        match &self.peer {
            Peer::Agent(_) => self.send(&ServerFrame::Conversation { summary: summary.clone() }).await?,
            Peer::Visitor { contact_id } => {
                let status_event = !matches!(event, DomainEvent::MessageAppended { .. });
                if summary.contact_id == *contact_id && status_event {
                    self.send(&ServerFrame::Status {
                        conversation_id: summary.id,
                        status: summary.status,
                        revision: summary.revision,
                    }).await?;
                }
            }
        }
        let DomainEvent::MessageAppended { message, .. } = event else { return Ok(()) };
        let Some(cursor) = self.cursors.get(&message.conversation_id).copied() else { return Ok(()) };
        match cursor.decide(message.seq) {
            Delivery::Skip => Ok(()),
            Delivery::Refetch => self.catch_up(message.conversation_id).await,
            Delivery::Send => {
                if self.peer.sees_internal() || message.visibility.visible_to_contact() {
                    self.send(&ServerFrame::Message { message: message.clone() }).await?;
                }
                if let Some(c) = self.cursors.get_mut(&message.conversation_id) {
                    c.advance(message.seq);
                }
                Ok(())
            }
        }
    }

    /// The hub dropped events for us: the database has them all.
    async fn on_lagged(&mut self) -> Result<(), End> {
        let ids: Vec<Uuid> = self.cursors.keys().copied().collect();
        for id in ids {
            self.catch_up(id).await?;
        }
        if self.peer.sees_internal() {
            self.send(&ServerFrame::Resync).await?;
        }
        Ok(())
    }
}

/// What an event asks of one agent personally.
fn notice_for(me: Uuid, event: &DomainEvent) -> Option<ServerFrame> {
    let (summary, text) = match event {
        DomainEvent::ConversationOffered { summary } if summary.offered_to == Some(me) => {
            (summary, format!("New chat from {}: accept it before the timer runs out.", summary.contact_name))
        }
        DomainEvent::ConversationTransferred { summary, to, .. } if *to == me => {
            (summary, format!("{}'s chat was transferred to you.", summary.contact_name))
        }
        DomainEvent::ParticipantInvited { summary, agent } if *agent == me => {
            (summary, format!("You were invited to the chat with {}.", summary.contact_name))
        }
        _ => return None,
    };
    Some(ServerFrame::Notice { conversation_id: summary.id, text })
}

/// Counts an agent's open sockets on this node; the first one back restores an automatic
/// Offline, the last one gone sets Offline after a grace period (a reload is not leaving).
pub mod presence {
    use crate::state::AppState;
    use sea_orm::EntityTrait;
    use switchboard_domain::Presence;
    use uuid::Uuid;

    pub const LAST_TAB_GRACE: std::time::Duration = std::time::Duration::from_secs(8);

    pub async fn connected(state: &AppState, agent: Uuid) {
        if let Ok(mut map) = state.agent_sockets.lock() {
            *map.entry(agent).or_default() += 1;
        }
        let back_from_auto = crate::db::entities::account::Entity::find_by_id(agent)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .is_some_and(|a| a.presence_auto && a.presence == Presence::Offline.as_str());
        if back_from_auto {
            set(state, agent, Presence::Online, false).await;
        }
    }

    pub fn disconnected(state: &AppState, agent: Uuid) {
        let left = match state.agent_sockets.lock() {
            Ok(mut map) => {
                let n = map.entry(agent).or_default();
                *n = n.saturating_sub(1);
                *n
            }
            Err(_) => return,
        };
        if left > 0 {
            return;
        }
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(LAST_TAB_GRACE).await;
            let still_gone = state.agent_sockets.lock().map(|m| m.get(&agent).copied().unwrap_or(0) == 0).unwrap_or(false);
            if still_gone {
                set(&state, agent, Presence::Offline, true).await;
            }
        });
    }

    async fn set(state: &AppState, agent: Uuid, presence: Presence, auto: bool) {
        match crate::routing::service::set_presence(&state.db, agent, presence, auto, crate::db::now_millis()).await {
            Ok(Some(event)) => state.hub.publish(event),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "presence update failed"),
        }
    }

}

/// One socket's life. Generic over the transport so it can be driven by any Sink/Stream.
pub async fn run_session<W, R>(state: AppState, peer: Peer, sink: W, mut stream: R)
where
    W: Sink<WsMessage> + Unpin,
    R: Stream<Item = Result<WsMessage, axum::Error>> + Unpin,
{
    // Subscribe before any replay, so nothing committed in between can be missed.
    let mut events = state.hub.subscribe();
    let role = match peer {
        Peer::Agent(_) => Role::Agent,
        Peer::Visitor { .. } => Role::Visitor,
    };
    let agent_id = match &peer {
        Peer::Agent(a) => Some(a.id),
        Peer::Visitor { .. } => None,
    };
    if let Some(a) = agent_id {
        presence::connected(&state, a).await;
    }
    let mut session = Session { state, peer, sink, cursors: HashMap::new() };
    let silence_limit = Duration::from_secs(HEARTBEAT_SECS * 3);
    let mut last_heard = Instant::now();
    let mut watchdog = tokio::time::interval(Duration::from_secs(HEARTBEAT_SECS));

    let mut outcome = session.send(&ServerFrame::Welcome { role }).await;
    while outcome.is_ok() {
        outcome = tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(WsMessage::Text(text))) => {
                    last_heard = Instant::now();
                    session.on_client_text(text.as_str()).await
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => Err(End::Gone),
                Some(Ok(_)) => {
                    last_heard = Instant::now();
                    Ok(())
                }
            },
            event = events.recv() => match event {
                Ok(event) => session.on_event(&event).await,
                Err(RecvError::Lagged(_)) => session.on_lagged().await,
                Err(RecvError::Closed) => Err(End::Gone),
            },
            _ = watchdog.tick() => {
                if last_heard.elapsed() > silence_limit { Err(End::Gone) } else { Ok(()) }
            }
        };
    }
    if let Err(End::Failed(e)) = outcome {
        tracing::warn!(error = %e, "websocket session failed");
    }
    let _ = session.sink.send(WsMessage::Close(None)).await;
    if let Some(a) = agent_id {
        presence::disconnected(&session.state, a);
    }
}
