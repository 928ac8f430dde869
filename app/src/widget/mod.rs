//! The visitor widget: pre-chat form, live thread, and the server functions behind them.
//! The widget authenticates with a signed visitor token kept in the iframe's localStorage.

mod shell;
mod switch;
#[cfg(feature = "ssr")]
pub mod token;
mod view;

pub use shell::{shell, WidgetRoot, BUNDLE};
pub use view::WidgetPage;

use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use switchboard_domain::Message;
use switchboard_wire::inbox::MessagePage;
use uuid::Uuid;

pub use switchboard_wire::widget::{QueueInfo, SwitchView, VisitorChat, WidgetSetup};

/// How many messages the widget opens a conversation on; older ones load on request.
#[cfg(feature = "ssr")]
pub const PAGE: u64 = 50;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::AppError;
    use crate::state::AppState;
    use switchboard_engine::conversations::{ContactRef, StartKind};
    use uuid::Uuid;

    /// A genuine, unexpired token's contents, or 401.
    pub fn verified(state: &AppState, token: &str) -> Result<super::token::VisitorToken, AppError> {
        super::token::verify(&state.secret, token, switchboard_engine::now())
            .ok_or(AppError::Unauthorized)
    }

    /// The contact a token speaks for (not revoked).
    pub async fn contact_of_token(state: &AppState, token: &str) -> Result<ContactRef, AppError> {
        let t = verified(state, token)?;
        state
            .engine
            .contact_of_visitor(t.visitor_id, t.issued_at)
            .await?
            .ok_or(AppError::Unauthorized)
    }

    /// The contact a token speaks for, if this conversation is theirs.
    pub async fn owner(
        state: &AppState,
        token: &str,
        conversation_id: Uuid,
    ) -> Result<ContactRef, AppError> {
        let t = verified(state, token)?;
        match state
            .engine
            .owner_of(t.visitor_id, t.issued_at, conversation_id)
            .await?
        {
            Some(contact) => Ok(contact),
            // A token whose visitor we never knew (or revoked), or someone else's conversation.
            None => match state
                .engine
                .contact_of_visitor(t.visitor_id, t.issued_at)
                .await?
            {
                None => Err(AppError::Unauthorized),
                Some(_) => Err(switchboard_engine::EngineError::NotFound(
                    switchboard_engine::Missing::Conversation,
                )
                .into()),
            },
        }
    }

    /// Stores a visitor's message (once per `client_msg_id`); `limited`: the visitor's
    /// message rate applies (not to clients on the server's own machine).
    pub async fn send(
        state: &AppState,
        args: super::SendVisitorMessage,
        limited: bool,
    ) -> Result<switchboard_domain::Message, AppError> {
        use switchboard_domain::conversation::Refusal;
        use switchboard_engine::EngineError;
        let body = switchboard_domain::MessageBody::parse(&args.body)?;
        // The domain checks the conversation is theirs; only a refusal looks again (the
        // token's contact may have been merged into another since it was remembered).
        let contact = contact_of_token(state, &args.token).await?;
        if limited {
            state.engine.limits().visitor_messages.check(&contact.id)?;
        }
        let written = match state
            .engine
            .contact_writes(
                args.conversation_id,
                contact,
                body.clone(),
                args.client_msg_id,
            )
            .await
        {
            Err(EngineError::Refused(Refusal::NotYourConversation)) => {
                let contact = owner(state, &args.token, args.conversation_id).await?;
                state
                    .engine
                    .contact_writes(args.conversation_id, contact, body, args.client_msg_id)
                    .await?
            }
            other => other?,
        };
        Ok(written.message().clone())
    }

    /// Starts a chat or leaves a lead from the widget's form, and issues the visitor token.
    /// `nonce`: the one `visitor/config` handed out; a retried start must bring it again.
    pub async fn start(
        form: (String, String, String, String),
        client_msg_id: Uuid,
        nonce: Option<String>,
        kind: StartKind,
    ) -> Result<super::VisitorChat, AppError> {
        use switchboard_domain::{ContactDetails, MessageBody};
        let (name, email, phone, message) = form;
        let state = AppState::from_context()?;
        state
            .limit_this_request(&state.engine.limits().starts_ip)
            .await?;
        let details = ContactDetails::parse(&name, &email, &phone)?;
        let body = MessageBody::parse(&message)?;
        let now = switchboard_engine::now();
        let start_key = match nonce.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) => Some(super::token::start_key(&state.secret, n, now).ok_or(
                switchboard_engine::EngineError::Invalid(
                    switchboard_engine::error::Rule::StartExpired,
                ),
            )?),
        };
        // Clients on this machine (tests, benchmarks) are not bounded.
        let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .ok()
            .map(|c| c.0);
        let address = state
            .client_ip(&headers, peer)
            .filter(|ip| !ip.is_loopback());
        let options = switchboard_engine::conversations::StartOptions {
            start_key,
            started_from: address.map(|ip| super::token::address_key(&state.secret, ip)),
            caps: address.map(|_| switchboard_engine::conversations::OpenCaps {
                per_email: switchboard_engine::limits::OPEN_CHATS_PER_EMAIL,
                per_address: switchboard_engine::limits::OPEN_CHATS_PER_IP,
            }),
        };
        let started = state
            .engine
            .start_web_conversation(&details, &body, client_msg_id, kind, &options)
            .await?;
        chat_view(
            &state,
            super::token::issue(&state.secret, started.visitor_id, now),
            started.conversation_id,
        )
        .await
    }

    pub async fn chat_view(
        state: &AppState,
        token: String,
        conversation_id: Uuid,
    ) -> Result<super::VisitorChat, AppError> {
        let summary = state.engine.summary(conversation_id).await?;
        let page = state
            .engine
            .message_page(conversation_id, None, false, super::PAGE)
            .await?;
        let switch = state.engine.switch_view(conversation_id).await?;
        Ok(super::VisitorChat {
            token,
            conversation_id,
            contact_name: summary.contact_name,
            status: summary.status,
            revision: summary.revision,
            messages: page.messages,
            has_older: page.has_older,
            switch_to: state.engine.switch_targets(),
            phone: summary.contact_phone,
            switch: switch.to.is_some().then_some(switch),
        })
    }
}

/// Starts a chat from the pre-chat form. Retrying with the same `client_msg_id` is safe.
#[server(endpoint = "visitor/start", input = Json, output = Json)]
pub async fn start_chat(
    name: String,
    email: String,
    phone: String,
    message: String,
    client_msg_id: Uuid,
    /// What `visitor/config` handed out: a retried start must bring the same.
    #[server(default)]
    start_nonce: Option<String>,
) -> Result<VisitorChat, ApiError> {
    use switchboard_engine::conversations::StartKind;
    crate::error::respond(
        ssr::start(
            (name, email, phone, message),
            client_msg_id,
            start_nonce,
            StartKind::Chat,
        )
        .await,
    )
}

/// The offline form: leaves a message as a lead when no agent is Online.
#[server(endpoint = "visitor/leave-message", input = Json, output = Json)]
pub async fn leave_message(
    name: String,
    email: String,
    phone: String,
    message: String,
    client_msg_id: Uuid,
    /// What `visitor/config` handed out: a retried start must bring the same.
    #[server(default)]
    start_nonce: Option<String>,
) -> Result<VisitorChat, ApiError> {
    use switchboard_engine::conversations::StartKind;
    crate::error::respond(
        ssr::start(
            (name, email, phone, message),
            client_msg_id,
            start_nonce,
            StartKind::Lead,
        )
        .await,
    )
}

/// What the widget shows before a chat: the chatbot, and whether anyone is Online.
#[server(endpoint = "visitor/config", input = Json, output = Json)]
pub async fn widget_config() -> Result<WidgetSetup, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let settings = state.engine.settings().await?;
            Ok(WidgetSetup {
                bot: settings.bot.enabled.then_some(settings.bot),
                agents_online: state.engine.anyone_online().await?,
                start_nonce: token::nonce(&state.secret, switchboard_engine::now()),
            })
        }
        .await,
    )
}

#[server(endpoint = "visitor/queue", input = Json, output = Json)]
pub async fn queue_status(token: String, conversation_id: Uuid) -> Result<QueueInfo, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            ssr::owner(&state, &token, conversation_id).await?;
            Ok(state
                .engine
                .queue_status(conversation_id, switchboard_engine::now())
                .await?)
        }
        .await,
    )
}

/// The visitor's latest conversation with its latest messages and a renewed token, or `None`
/// for an unknown, expired or revoked token (the widget then shows the pre-chat form).
#[server(endpoint = "visitor/resume", input = Json, output = Json)]
pub async fn resume_chat(token: String) -> Result<Option<VisitorChat>, ApiError> {
    use crate::error::{respond, AppError};
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let contact = match ssr::contact_of_token(&state, &token).await {
                Ok(c) => c,
                Err(AppError::Unauthorized) => return Ok(None),
                Err(e) => return Err(e),
            };
            let t = ssr::verified(&state, &token)?;
            // In use, so renewed: a visitor who comes back within a token's lifetime keeps
            // their chat however long ago it began.
            let renewed = token::issue(&state.secret, t.visitor_id, switchboard_engine::now());
            match state
                .engine
                .latest_conversation_of(t.visitor_id, contact.id)
                .await?
            {
                Some(summary) => Ok(Some(ssr::chat_view(&state, renewed, summary.id).await?)),
                None => Ok(None),
            }
        }
        .await,
    )
}

/// Older public messages of the visitor's conversation, before `before_seq`.
#[server(endpoint = "visitor/history", input = Json, output = Json)]
pub async fn visitor_history(
    token: String,
    conversation_id: Uuid,
    before_seq: u64,
) -> Result<MessagePage, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            ssr::owner(&state, &token, conversation_id).await?;
            Ok(state
                .engine
                .message_page(conversation_id, Some(before_seq), false, PAGE)
                .await?)
        }
        .await,
    )
}

/// Sends a visitor message. Retrying with the same `client_msg_id` stores it once.
///
/// On the server, `POST /api/visitor/send` is answered by [`send_handler`], a plain axum
/// handler with the same wire (JSON arguments in, the message or an `ApiError` with its status
/// out): it is the widget's per-message fallback path and skips the server-function machinery.
/// This function's body runs only if something calls it in process.
#[server(endpoint = "visitor/send", input = Json, output = Json)]
pub async fn send_visitor_message(
    token: String,
    conversation_id: Uuid,
    client_msg_id: Uuid,
    body: String,
) -> Result<Message, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            // (Served by `send_handler`; this body runs only where that route is not mounted.)
            let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
            let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .await
                .ok()
                .map(|c| c.0);
            let limited = state.is_limited(&headers, peer);
            ssr::send(
                &state,
                SendVisitorMessage {
                    token,
                    conversation_id,
                    client_msg_id,
                    body,
                },
                limited,
            )
            .await
        }
        .await,
    )
}

/// Sends a file the visitor uploaded (`POST /api/visitor/files`) in their conversation.
/// Retrying with the same `client_msg_id` stores it once.
#[server(endpoint = "visitor/send-file", input = Json, output = Json)]
pub async fn send_visitor_file(
    token: String,
    conversation_id: Uuid,
    file_id: Uuid,
    client_msg_id: Uuid,
) -> Result<Message, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let contact = ssr::owner(&state, &token, conversation_id).await?;
            Ok(state
                .engine
                .share_file(
                    conversation_id,
                    file_id,
                    switchboard_engine::files::Sharer::Contact(contact),
                    switchboard_domain::Visibility::Public,
                    client_msg_id,
                )
                .await?
                .message()
                .clone())
        }
        .await,
    )
}

/// Moves the visitor's chat to another channel (`to`: SMS) at `phone`: a welcome text goes
/// out, and once the provider takes it the chat continues there (revertible for 10 seconds).
#[server(endpoint = "visitor/switch", input = Json, output = Json)]
pub async fn switch_chat(
    token: String,
    conversation_id: Uuid,
    to: switchboard_domain::Channel,
    phone: String,
) -> Result<SwitchView, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let contact = ssr::owner(&state, &token, conversation_id).await?;
            Ok(state
                .engine
                .switch_channel(conversation_id, &contact, to, &phone)
                .await?)
        }
        .await,
    )
}

/// Brings the visitor's chat back to the web, within 10 seconds of the switch.
#[server(endpoint = "visitor/switch-revert", input = Json, output = Json)]
pub async fn revert_switch(token: String, conversation_id: Uuid) -> Result<SwitchView, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let contact = ssr::owner(&state, &token, conversation_id).await?;
            Ok(state
                .engine
                .revert_switch(conversation_id, &contact)
                .await?)
        }
        .await,
    )
}

/// Where the visitor's chat switch stands (polled while the welcome is on its way).
#[server(endpoint = "visitor/switch-status", input = Json, output = Json)]
pub async fn switch_status(token: String, conversation_id: Uuid) -> Result<SwitchView, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            ssr::owner(&state, &token, conversation_id).await?;
            Ok(state.engine.switch_view(conversation_id).await?)
        }
        .await,
    )
}

/// The path [`send_handler`] answers.
#[cfg(feature = "ssr")]
pub const SEND_PATH: &str = "/api/visitor/send";

/// `POST /api/visitor/send` as a plain axum handler: the server function's wire exactly.
#[cfg(feature = "ssr")]
pub async fn send_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    headers: axum::http::HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limited = state.is_limited(&headers, peer.map(|p| p.0 .0));
    let result = match serde_json::from_slice::<SendVisitorMessage>(&body) {
        Ok(args) => ssr::send(&state, args, limited)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::BadRequest(format!("Bad request: {e}"))),
    };
    match result {
        Ok(message) => axum::Json(message).into_response(),
        Err(api) => {
            let status = axum::http::StatusCode::from_u16(api.http_status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (
                status,
                [(leptos::server_fn::error::SERVER_FN_ERROR_HEADER, SEND_PATH)],
                axum::Json(&api),
            )
                .into_response();
            if let ApiError::RateLimited { retry_after_secs } = api {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
            }
            response
        }
    }
}
