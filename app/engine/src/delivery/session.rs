//! One websocket's life, over any `Sink`/`Stream` of text frames (axum's socket in the
//! server, channels in tests). A subscription listens to the hub *before* replaying from the
//! database what the client missed, then forwards live messages; a `DeliveryCursor` per
//! conversation turns that overlap into exactly-once, in-order delivery. Who sees what is
//! decided here and in the hub: a visitor only ever receives public messages of their own
//! conversations; inbox rows, notices and presence go to agents only.

use super::hub::{Delivery as Mail, Listener, Push};
use super::views::SocketId;
use crate::Engine;
use futures::{Sink, SinkExt, Stream, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use switchboard_domain::thread::{Delivery, DeliveryCursor};
use switchboard_wire::frames::{ClientFrame, Role, ServerFrame, Typist, HEARTBEAT_SECS};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A socket's repeated `typing: true` for one conversation is passed on at most this often.
const TYPING_MIN_GAP: Duration = Duration::from_secs(2);
/// Conversations one socket may stream at once.
pub const MAX_SUBSCRIPTIONS: usize = 50;
/// Messages one subscribe may replay; a client further behind reloads the conversation's
/// latest page (history is paged) and subscribes from there.
pub const MAX_REPLAY: u64 = 2000;
const REPLAY_PAGE: u64 = 500;
/// A client that does not take a frame within this is gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries a session takes from its mailbox before it flushes the socket: what arrived
/// together leaves in one write.
const DRAIN_MAX: usize = 64;

/// What the transport received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Text(String),
    /// Ping, pong or binary: proof of life, nothing to read.
    Other,
    Close,
}

/// What the session sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Text(Arc<str>),
    Close { code: u16, reason: &'static str },
}

/// Who is on the other end, as authenticated at the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Visitor { contact_id: Uuid },
    Agent { id: Uuid },
}

/// Close code 1012: the server is restarting; clients reconnect (to another node).
pub const CLOSE_RESTARTING: u16 = 1012;

#[derive(Debug)]
enum End {
    /// The client left, went silent, or could not be written to.
    Gone,
    /// The agent signed out, or their account was deactivated.
    SignedOut,
    Failed(crate::EngineError),
    Shutdown,
}

struct Session<W> {
    engine: Engine,
    peer: Peer,
    sink: W,
    socket: SocketId,
    cursors: HashMap<Uuid, DeliveryCursor>,
    /// This peer's name as others see it: a visitor's as their messages carry it, an agent's
    /// as their typing shows it (looked up at first need).
    sender_name: Option<String>,
    /// Typing this socket last forwarded, per conversation: on or off, and when.
    typing: HashMap<Uuid, (bool, Instant)>,
    /// Frames fed to the sink and not flushed yet.
    unflushed: bool,
    /// What the socket was opened with, checked again now and then.
    credential: Option<Arc<Credential>>,
}

/// What a socket was opened with: it closes when that ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An agent's browser session (its id).
    Session(String),
    /// A visitor's token: whose, issued when, valid until when (Unix ms).
    VisitorToken {
        visitor: Uuid,
        issued_at: i64,
        expires_at: i64,
        /// Whether the visitor's message rate is limited (not for clients on the server's
        /// own machine: tests, benchmarks).
        limited: bool,
    },
}

fn error_frame(code: &str, message: impl Into<String>) -> ServerFrame {
    ServerFrame::Error {
        code: code.into(),
        message: message.into(),
    }
}

impl<W: Sink<Outbound> + Unpin> Session<W> {
    fn is_agent(&self) -> bool {
        matches!(self.peer, Peer::Agent { .. })
    }

    fn role(&self) -> Role {
        if self.is_agent() {
            Role::Agent
        } else {
            Role::Visitor
        }
    }

    /// Queues a frame on the socket; `flush` sends what is queued (the main loop flushes
    /// after each turn, so frames that arrive together leave in one write).
    async fn write(&mut self, out: Outbound) -> Result<(), End> {
        match tokio::time::timeout(SEND_TIMEOUT, self.sink.feed(out)).await {
            Ok(Ok(())) => {
                self.unflushed = true;
                Ok(())
            }
            _ => Err(End::Gone),
        }
    }

    async fn flush(&mut self) -> Result<(), End> {
        if !std::mem::take(&mut self.unflushed) {
            return Ok(());
        }
        match tokio::time::timeout(SEND_TIMEOUT, self.sink.flush()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    async fn on_mail(&mut self, mail: Mail) -> Result<(), End> {
        match mail {
            Mail::Push(push) => Box::pin(self.on_push(push)).await,
            // Pushes were dropped: catch up from the database instead.
            Mail::Lagged => Box::pin(self.resync()).await,
        }
    }

    async fn send(&mut self, frame: &ServerFrame) -> Result<(), End> {
        self.write(Outbound::Text(super::dispatcher::frame(frame)))
            .await
    }

    /// Sends what the database has after the cursor, in order, within the replay bound.
    async fn catch_up(&mut self, conversation_id: Uuid) -> Result<(), End> {
        let include_internal = self.is_agent();
        let mut budget = MAX_REPLAY;
        while budget > 0 {
            let Some(after) = self.cursors.get(&conversation_id).map(|c| c.delivered()) else {
                return Ok(());
            };
            let batch = self
                .engine
                .messages_after(
                    conversation_id,
                    after,
                    include_internal,
                    REPLAY_PAGE.min(budget),
                )
                .await
                .map_err(End::Failed)?;
            let full = batch.len() as u64 == REPLAY_PAGE.min(budget);
            budget -= batch.len() as u64;
            for message in batch {
                let seq = message.seq;
                self.send(&ServerFrame::Message { message }).await?;
                if let Some(c) = self.cursors.get_mut(&conversation_id) {
                    c.advance(seq);
                }
            }
            if !full {
                break;
            }
        }
        Ok(())
    }

    async fn subscribe(&mut self, conversation_id: Uuid, after_seq: u64) -> Result<(), End> {
        if self.cursors.len() >= MAX_SUBSCRIPTIONS && !self.cursors.contains_key(&conversation_id) {
            let text =
                format!("A connection can follow at most {MAX_SUBSCRIPTIONS} conversations.");
            return self
                .send(&error_frame("too_many_subscriptions", text))
                .await;
        }
        let state = self
            .engine
            .state(conversation_id)
            .await
            .map_err(End::Failed)?;
        if let (Some(s), Peer::Visitor { contact_id }) = (&state, self.peer) {
            if s.contact_id != contact_id {
                self.follow_merge().await.map_err(End::Failed)?;
            }
        }
        let readable = match (&state, self.peer) {
            (Some(s), Peer::Agent { id }) => {
                let viewer = self.viewer(id).await?;
                viewer.may(switchboard_domain::access::Access::Read, &s.placement())
            }
            _ => true,
        };
        if !readable {
            return self
                .send(&error_frame(
                    "forbidden",
                    "That conversation is a colleague's.",
                ))
                .await;
        }
        let state = match (state, self.peer) {
            (Some(s), Peer::Visitor { contact_id }) if s.contact_id == contact_id => s,
            (Some(s), Peer::Agent { .. }) => s,
            _ => {
                return self
                    .send(&error_frame(
                        "not_found",
                        "That conversation does not exist.",
                    ))
                    .await
            }
        };
        if after_seq > state.last_seq {
            let text = format!(
                "after_seq {after_seq} is beyond the conversation's last message ({}).",
                state.last_seq
            );
            return self.send(&error_frame("bad_after_seq", text)).await;
        }
        if state.last_seq - after_seq > MAX_REPLAY {
            let text = "Too far behind to replay: load the conversation again.";
            return self.send(&error_frame("replay_too_long", text)).await;
        }
        // Listen first, then replay: nothing committed in between can be missed.
        self.engine.hub().subscribe(self.socket, conversation_id);
        self.cursors
            .insert(conversation_id, DeliveryCursor::after(after_seq));
        self.catch_up(conversation_id).await?;
        let seq = self
            .cursors
            .get(&conversation_id)
            .map(|c| c.delivered())
            .unwrap_or(after_seq);
        self.send(&ServerFrame::Synced {
            conversation_id,
            seq,
        })
        .await
    }

    async fn on_client_text(&mut self, text: &str) -> Result<(), End> {
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(ClientFrame::Subscribe {
                conversation_id,
                after_seq,
            }) => self.subscribe(conversation_id, after_seq).await,
            Ok(ClientFrame::Unsubscribe { conversation_id }) => {
                self.stop_typing(conversation_id).await;
                self.engine.hub().unsubscribe(self.socket, conversation_id);
                self.cursors.remove(&conversation_id);
                Ok(())
            }
            Ok(ClientFrame::View { view }) => {
                if let Peer::Agent { id } = self.peer {
                    // Only what the policy lets this agent see.
                    let view = self.viewer(id).await?.narrow(view);
                    self.engine.hub().set_view(self.socket, id, view);
                }
                Ok(())
            }
            Ok(ClientFrame::Send {
                conversation_id,
                client_msg_id,
                body,
            }) => Box::pin(self.visitor_send(conversation_id, client_msg_id, body)).await,
            Ok(ClientFrame::Typing {
                conversation_id,
                typing,
            }) => Box::pin(self.typing(conversation_id, typing)).await,
            Ok(ClientFrame::Ping) => self.send(&ServerFrame::Pong).await,
            // The socket was authenticated before the session began.
            Ok(ClientFrame::Hello { .. }) => Ok(()),
            Err(_) => {
                self.send(&error_frame("bad_frame", "That frame could not be read."))
                    .await
            }
        }
    }

    /// A socket opened before its contact was merged into another speaks for the kept
    /// contact from then on. Whether it moved.
    async fn follow_merge(&mut self) -> crate::Result<bool> {
        let Peer::Visitor { contact_id } = self.peer else {
            return Ok(false);
        };
        match self.engine.current_contact(contact_id).await? {
            Some(current) if current != contact_id => {
                self.peer = Peer::Visitor {
                    contact_id: current,
                };
                self.sender_name = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// An agent's socket stays open only while its session and account do.
    async fn recheck(&mut self) -> Result<(), End> {
        let verdict = match (self.peer, self.credential.as_deref()) {
            (
                Peer::Visitor { .. },
                Some(Credential::VisitorToken {
                    visitor,
                    issued_at,
                    expires_at,
                    ..
                }),
            ) => {
                if *expires_at <= crate::now() {
                    return Err(End::SignedOut);
                }
                self.engine.visitor_may_stay(*visitor, *issued_at).await
            }
            (Peer::Visitor { .. }, _) => return Ok(()),
            (Peer::Agent { id }, credential) => {
                let session = match credential {
                    Some(Credential::Session(s)) => Some(s.as_str()),
                    _ => None,
                };
                self.engine.agent_may_stay(id, session).await
            }
        };
        let id = match self.peer {
            Peer::Visitor { contact_id } => contact_id,
            Peer::Agent { id } => id,
        };
        match verdict {
            Ok(true) => Ok(()),
            Ok(false) => Err(End::SignedOut),
            // The database is away: keep the socket; the next check decides.
            Err(e) => {
                tracing::warn!(error = %e, peer = %id, "could not check the socket's access");
                Ok(())
            }
        }
    }

    /// The policy's view of this socket's agent; a deactivated one is signed out.
    async fn viewer(&self, agent: Uuid) -> Result<switchboard_domain::access::Viewer, End> {
        match self.engine.viewer(agent).await {
            Ok(v) => Ok(v),
            Err(crate::EngineError::Unauthorized) => Err(End::SignedOut),
            Err(e) => Err(End::Failed(e)),
        }
    }

    /// This peer's name as the other parties see it.
    async fn own_name(&mut self) -> crate::Result<String> {
        if let Some(name) = &self.sender_name {
            return Ok(name.clone());
        }
        let name = match self.peer {
            Peer::Visitor { contact_id } => self.engine.contact_name(contact_id).await?,
            Peer::Agent { id } => self.engine.active_agent(id).await?.name,
        };
        self.sender_name = Some(name.clone());
        Ok(name)
    }

    /// Typing in a conversation this socket streams (subscribing checked that it may): passed
    /// on to the other parties, a start at most every [`TYPING_MIN_GAP`], a stop only after a
    /// start.
    async fn typing(&mut self, conversation_id: Uuid, on: bool) -> Result<(), End> {
        if !self.cursors.contains_key(&conversation_id) {
            let text = "Subscribe to the conversation before saying you are typing.";
            return self.send(&error_frame("not_subscribed", text)).await;
        }
        let now = Instant::now();
        let pass = match (on, self.typing.get(&conversation_id)) {
            (true, Some((true, at))) => now.duration_since(*at) >= TYPING_MIN_GAP,
            (true, _) => true,
            (false, last) => matches!(last, Some((true, _))),
        };
        if !pass {
            return Ok(());
        }
        self.typing.insert(conversation_id, (on, now));
        let name = match self.own_name().await {
            Ok(name) => name,
            Err(e) => return Err(End::Failed(e)),
        };
        let typist = match self.peer {
            Peer::Visitor { .. } => Typist::Contact { name },
            Peer::Agent { id } => Typist::Agent { id, name },
        };
        if let Err(e) = self.engine.typing(conversation_id, typist, on).await {
            // Nothing is lost: typing is a hint. Say so in the log only.
            tracing::debug!(error = %e, conversation = %conversation_id, "typing not passed on");
        }
        Ok(())
    }

    /// Clears this socket's typing in a conversation it leaves (or as it closes).
    async fn stop_typing(&mut self, conversation_id: Uuid) {
        if matches!(self.typing.get(&conversation_id), Some((true, _))) {
            let _ = Box::pin(self.typing(conversation_id, false)).await;
        }
        self.typing.remove(&conversation_id);
    }

    /// A visitor's message over the socket: the same command as `visitor/send`.
    async fn visitor_send(
        &mut self,
        conversation_id: Uuid,
        client_msg_id: Uuid,
        body: String,
    ) -> Result<(), End> {
        use crate::conversations::{Appended, ContactRef};
        use switchboard_domain::conversation::Refusal;
        use switchboard_domain::MessageBody;
        let failed = |e: &crate::EngineError| ServerFrame::SendFailed {
            client_msg_id,
            error: e.into(),
        };
        let Peer::Visitor { .. } = self.peer else {
            let error = switchboard_wire::ApiError::Forbidden;
            return self
                .send(&ServerFrame::SendFailed {
                    client_msg_id,
                    error,
                })
                .await;
        };
        let body = match MessageBody::parse(&body) {
            Ok(b) => b,
            Err(e) => return self.send(&failed(&e.into())).await,
        };
        if let (
            Peer::Visitor { contact_id },
            Some(Credential::VisitorToken { limited: true, .. }),
        ) = (self.peer, self.credential.as_deref())
        {
            if let Err(e) = self.engine.limits().visitor_messages.check(&contact_id) {
                return self.send(&failed(&e)).await;
            }
        }
        let mut written = Err(crate::EngineError::Refused(Refusal::NotYourConversation));
        for attempt in 0..2 {
            // The second time only if the contact was merged into another meanwhile.
            if attempt == 1 && !matches!(self.follow_merge().await, Ok(true)) {
                break;
            }
            let name = match self.own_name().await {
                Ok(name) => name,
                Err(e) => return self.send(&failed(&e)).await,
            };
            let Peer::Visitor { contact_id } = self.peer else {
                break;
            };
            let contact = ContactRef {
                id: contact_id,
                name,
            };
            written = self
                .engine
                .contact_writes(conversation_id, contact, body.clone(), client_msg_id)
                .await;
            if !matches!(
                written,
                Err(crate::EngineError::Refused(Refusal::NotYourConversation))
            ) {
                break;
            }
        }
        match written {
            // The dispatcher brings it to this socket as a `message` frame.
            Ok(Appended::New(_)) if self.cursors.contains_key(&conversation_id) => Ok(()),
            Ok(Appended::New(message) | Appended::Duplicate(message)) => {
                self.send(&ServerFrame::Sent { message }).await
            }
            Err(e) => self.send(&failed(&e)).await,
        }
    }

    async fn on_push(&mut self, push: Push) -> Result<(), End> {
        match push {
            Push::Frame(text) => self.write(Outbound::Text(text)).await,
            Push::Message {
                conversation_id,
                seq,
                public,
                frame,
                channel,
                stored_at,
            } => {
                let Some(cursor) = self.cursors.get(&conversation_id).copied() else {
                    return Ok(());
                };
                match cursor.decide(seq) {
                    Delivery::Skip => Ok(()),
                    Delivery::Refetch => self.catch_up(conversation_id).await,
                    Delivery::Send => {
                        if public || self.is_agent() {
                            self.write(Outbound::Text(frame)).await?;
                            crate::metrics::delivered_to_socket(
                                self.role(),
                                channel,
                                stored_at,
                                crate::now(),
                            );
                        }
                        if let Some(c) = self.cursors.get_mut(&conversation_id) {
                            c.advance(seq);
                        }
                        Ok(())
                    }
                }
            }
            Push::Resync => self.resync().await,
            Push::Recheck => self.recheck().await,
        }
    }

    /// Live updates may have been missed: the database has them all.
    async fn resync(&mut self) -> Result<(), End> {
        let ids: Vec<Uuid> = self.cursors.keys().copied().collect();
        for id in ids {
            self.catch_up(id).await?;
        }
        if self.is_agent() {
            self.send(&ServerFrame::Resync).await?;
        }
        Ok(())
    }
}

/// Runs one socket until the client leaves, goes silent, or the server shuts down (then it
/// gets close code 1012 and reconnects, to this node or another). `credential`: what the
/// socket was opened with (an agent's browser session, a visitor's token); the socket closes
/// when it ends.
pub async fn run<W, R>(
    engine: Engine,
    peer: Peer,
    credential: Option<Credential>,
    sink: W,
    mut stream: R,
    shutdown: CancellationToken,
) where
    W: Sink<Outbound> + Unpin,
    R: Stream<Item = Inbound> + Unpin,
{
    let listener = match peer {
        Peer::Visitor { contact_id } => Listener::Visitor {
            contact: contact_id,
        },
        Peer::Agent { id } => Listener::Agent { agent: id },
    };
    let membership = engine.hub().join(listener);
    let mut session = Session {
        engine: engine.clone(),
        peer,
        sink,
        socket: membership.id,
        cursors: HashMap::new(),
        sender_name: None,
        typing: HashMap::new(),
        unflushed: false,
        credential: credential.map(Arc::from),
    };
    // Heavy awaits are boxed: the session's future is allocated per open socket, and its size
    // is that of its largest state.
    if let Peer::Agent { id } = peer {
        if let Err(e) = Box::pin(engine.agent_connected(id)).await {
            tracing::warn!(error = %e, agent = %id, "recording the connection failed");
        }
    }
    let role = session.role();
    let silence_limit = Duration::from_secs(HEARTBEAT_SECS * 3);
    let mut last_heard = Instant::now();
    let mut watchdog = tokio::time::interval(Duration::from_secs(HEARTBEAT_SECS));
    let mut access = tokio::time::interval_at(
        Instant::now() + super::access::RECHECK_EVERY,
        super::access::RECHECK_EVERY,
    );
    let mailbox = membership.mailbox.clone();

    let mut outcome = session.send(&ServerFrame::Welcome { role }).await;
    loop {
        // What the last turn wrote leaves in one write.
        if outcome.is_ok() {
            outcome = session.flush().await;
        }
        if outcome.is_err() {
            break;
        }
        outcome = tokio::select! {
            _ = shutdown.cancelled() => Err(End::Shutdown),
            inbound = stream.next() => match inbound {
                Some(Inbound::Text(text)) => {
                    last_heard = Instant::now();
                    Box::pin(session.on_client_text(&text)).await
                }
                Some(Inbound::Other) => {
                    last_heard = Instant::now();
                    Ok(())
                }
                Some(Inbound::Close) | None => Err(End::Gone),
            },
            mail = mailbox.take() => {
                let mut done = session.on_mail(mail).await;
                for _ in 1..DRAIN_MAX {
                    let Some(mail) = done.is_ok().then(|| mailbox.try_take()).flatten() else { break };
                    done = session.on_mail(mail).await;
                }
                done
            }
            _ = watchdog.tick() => {
                if last_heard.elapsed() > silence_limit { Err(End::Gone) } else { Ok(()) }
            }
            _ = access.tick(), if session.is_agent() => Box::pin(session.recheck()).await,
        };
    }
    let close = match outcome {
        Err(End::Shutdown) => Outbound::Close {
            code: CLOSE_RESTARTING,
            reason: "server restarting",
        },
        Err(End::SignedOut) => Outbound::Close {
            code: switchboard_wire::frames::CLOSE_SIGNED_OUT,
            reason: "signed out",
        },
        Err(End::Failed(e)) => {
            tracing::warn!(error = %e, "websocket session failed");
            Outbound::Close {
                code: 1011,
                reason: "server error",
            }
        }
        _ => Outbound::Close {
            code: 1000,
            reason: "",
        },
    };
    if session.write(close).await.is_ok() {
        let _ = session.flush().await;
    }
    drop(membership);
    // Whoever was typing here has stopped.
    let typing: Vec<Uuid> = session.typing.keys().copied().collect();
    for conversation_id in typing {
        session.stop_typing(conversation_id).await;
    }
    if let Peer::Agent { id } = peer {
        if let Err(e) = Box::pin(engine.agent_disconnected(id)).await {
            tracing::warn!(error = %e, agent = %id, "recording the disconnection failed");
        }
    }
}
