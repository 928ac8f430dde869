//! The websocket endpoints: authenticate at the upgrade (a visitor token, or an agent's
//! session), then hand the socket to the engine's session, which knows nothing of axum.

use crate::auth::ssr::agent_of_session;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures::{future, SinkExt, StreamExt};
use serde::Deserialize;
use switchboard_engine::delivery::session::{self, Inbound, Outbound, Peer};

/// Measured: axum's default 128 KiB read buffer costs ~135 KiB per idle socket; 4 KiB
/// costs ~9.5 KiB. Frames from clients are small.
const READ_BUFFER_BYTES: usize = 4096;
const WRITE_BUFFER_BYTES: usize = 4096;
const MAX_FRAME_BYTES: usize = 64 * 1024;

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
    match state.engine.contact_of_visitor(visitor_id).await {
        Ok(Some(contact)) => upgrade(
            ws,
            state,
            Peer::Visitor {
                contact_id: contact.id,
            },
            None,
        ),
        Ok(None) => AppError::Unauthorized.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

pub async fn agent_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    session: tower_sessions::Session,
) -> Response {
    match agent_of_session(&state.engine, &session).await {
        Ok(agent) => {
            let credential = session.id().map(|id| id.to_string());
            upgrade(ws, state, Peer::Agent { id: agent.id }, credential)
        }
        Err(e) => e.into_response(),
    }
}

fn outbound(out: Outbound) -> WsMessage {
    match out {
        Outbound::Text(text) => WsMessage::Text(text.as_ref().into()),
        Outbound::Close { code, reason } => WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })),
    }
}

fn inbound(msg: Result<WsMessage, axum::Error>) -> Inbound {
    match msg {
        Ok(WsMessage::Text(text)) => Inbound::Text(text.to_string()),
        Ok(WsMessage::Close(_)) | Err(_) => Inbound::Close,
        Ok(_) => Inbound::Other,
    }
}

fn upgrade(
    ws: WebSocketUpgrade,
    state: AppState,
    peer: Peer,
    credential: Option<String>,
) -> Response {
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket: WebSocket| async move {
            let (sink, stream) = socket.split();
            let sink =
                sink.with(|out: Outbound| future::ready(Ok::<_, axum::Error>(outbound(out))));
            session::run(
                state.engine.clone(),
                peer,
                credential,
                Box::pin(sink),
                stream.map(inbound),
                state.shutdown.clone(),
            )
            .await;
        })
}
