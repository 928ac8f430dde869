//! The websocket endpoints: authenticate (an agent's session at the upgrade; a visitor token
//! in the socket's first frame), then hand the socket to the engine's session, which knows
//! nothing of axum.

use crate::auth::ssr::agent_of_session;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures::{future, SinkExt, StreamExt};
use serde::Deserialize;
use switchboard_engine::delivery::hub::Listener;
use switchboard_engine::delivery::session::{self, Credential, Inbound, Outbound, Peer};
use switchboard_engine::limits::{Slot, SOCKETS_PER_PERSON};
use switchboard_wire::frames::{ClientFrame, CLOSE_SIGNED_OUT};

/// Close code 1013 (try again later): the token could not be checked just now.
const CLOSE_TRY_AGAIN: u16 = 1013;
/// Close code 1008 (policy violation): too many open sockets for this visitor.
const CLOSE_POLICY: u16 = 1008;

/// Measured: axum's default 128 KiB read buffer costs ~135 KiB per idle socket; 4 KiB
/// costs ~9.5 KiB. Frames from clients are small.
const READ_BUFFER_BYTES: usize = 4096;
const WRITE_BUFFER_BYTES: usize = 4096;
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// How long a visitor socket may take to send its `hello`.
const HELLO_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Deserialize)]
pub struct VisitorQuery {
    /// Older clients put the token here; the widget sends it in its first frame instead.
    token: Option<String>,
}

/// Who a visitor token speaks for: the peer and the credential the socket keeps checking.
async fn visitor_of_token(
    state: &AppState,
    token: &str,
    limited: bool,
) -> Result<(Peer, Credential), AppError> {
    let t = crate::widget::ssr::verified(state, token)?;
    let contact = state
        .engine
        .contact_of_visitor(t.visitor_id, t.issued_at)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok((
        Peer::Visitor {
            contact_id: contact.id,
        },
        Credential::VisitorToken {
            visitor: t.visitor_id,
            issued_at: t.issued_at,
            expires_at: t.expires_at(),
            limited,
        },
    ))
}

pub async fn visitor_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Query(q): Query<VisitorQuery>,
    headers: axum::http::HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
) -> Response {
    let peer = peer.map(|p| p.0 .0);
    let limited = state.is_limited(&headers, peer);
    let slot = match address_slot(&state, &headers, peer, limited) {
        Ok(slot) => slot,
        Err(e) => return e.into_response(),
    };
    if let Some(token) = q.token {
        return match visitor_of_token(&state, &token, limited).await {
            Ok((peer, credential)) => match room_for(&state, peer, limited) {
                Ok(()) => upgrade(ws, state, peer, Some(credential), slot),
                Err(e) => e.into_response(),
            },
            Err(e) => e.into_response(),
        };
    }
    configured(ws).on_upgrade(move |socket: WebSocket| async move {
        let _slot = slot;
        let (mut sink, mut stream) = socket.split();
        let first = tokio::time::timeout(HELLO_WITHIN, stream.next()).await;
        let hello = match first {
            Ok(Some(Ok(WsMessage::Text(text)))) => serde_json::from_str::<ClientFrame>(&text).ok(),
            _ => None,
        };
        let who = match hello {
            Some(ClientFrame::Hello { token }) => visitor_of_token(&state, &token, limited).await,
            _ => Err(AppError::Unauthorized),
        }
        .and_then(|(peer, credential)| {
            room_for(&state, peer, limited).map(|()| (peer, credential))
        });
        match who {
            Ok((peer, credential)) => serve(state, peer, Some(credential), sink, stream).await,
            Err(e) => {
                let (code, reason) = match e {
                    AppError::Unauthorized => {
                        (CLOSE_SIGNED_OUT, "unknown, expired or revoked token")
                    }
                    AppError::Engine(switchboard_engine::EngineError::RateLimited { .. }) => {
                        (CLOSE_POLICY, "too many open connections")
                    }
                    _ => (CLOSE_TRY_AGAIN, "try again later"),
                };
                let _ = sink.send(outbound(Outbound::Close { code, reason })).await;
            }
        }
    })
}

pub async fn agent_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    session: tower_sessions::Session,
    headers: axum::http::HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
) -> Response {
    let peer = peer.map(|p| p.0 .0);
    let limited = state.is_limited(&headers, peer);
    let opened = async {
        let agent = agent_of_session(&state.engine, &session).await?;
        let who = Peer::Agent { id: agent.id };
        room_for(&state, who, limited)?;
        let slot = address_slot(&state, &headers, peer, limited)?;
        Ok::<_, AppError>((who, slot))
    };
    match opened.await {
        Ok((who, slot)) => {
            let credential = session.id().map(|id| Credential::Session(id.to_string()));
            upgrade(ws, state, who, credential, slot)
        }
        Err(e) => e.into_response(),
    }
}

/// A slot among the sockets of this client address (none needed for this machine's own).
fn address_slot(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
    limited: bool,
) -> Result<Option<Slot<std::net::IpAddr>>, AppError> {
    match state.client_ip(headers, peer) {
        Some(ip) if limited => Ok(Some(state.engine.limits().sockets_ip.take(&ip)?)),
        _ => Ok(None),
    }
}

/// Refused when this agent or contact already holds the most sockets one may on this node.
/// Clients on this machine (tests, benchmarks, tools) are not bounded, as for every limit.
fn room_for(state: &AppState, peer: Peer, limited: bool) -> Result<(), AppError> {
    if !limited {
        return Ok(());
    }
    let listener = match peer {
        Peer::Agent { id } => Listener::Agent { agent: id },
        Peer::Visitor { contact_id } => Listener::Visitor {
            contact: contact_id,
        },
    };
    if state.engine.hub().sockets_of(listener) >= SOCKETS_PER_PERSON {
        return Err(switchboard_engine::EngineError::RateLimited {
            retry_after_secs: 30,
        }
        .into());
    }
    Ok(())
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

fn configured(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
}

fn upgrade(
    ws: WebSocketUpgrade,
    state: AppState,
    peer: Peer,
    credential: Option<Credential>,
    slot: Option<Slot<std::net::IpAddr>>,
) -> Response {
    configured(ws).on_upgrade(move |socket: WebSocket| async move {
        let _slot = slot;
        let (sink, stream) = socket.split();
        serve(state, peer, credential, sink, stream).await;
    })
}

/// Runs the engine's session on an authenticated socket.
async fn serve(
    state: AppState,
    peer: Peer,
    credential: Option<Credential>,
    sink: futures::stream::SplitSink<WebSocket, WsMessage>,
    stream: futures::stream::SplitStream<WebSocket>,
) {
    let sink = sink.with(|out: Outbound| future::ready(Ok::<_, axum::Error>(outbound(out))));
    session::run(
        state.engine.clone(),
        peer,
        credential,
        Box::pin(sink),
        stream.map(inbound),
        state.shutdown.clone(),
    )
    .await;
}
