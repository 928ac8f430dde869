//! The provider simulator's channel settings for demo mode (the settings themselves are the
//! engine's `channels::config`), and the webhook endpoints that receive providers' events:
//! `POST /webhooks/twilio/sms` and `/webhooks/twilio/status`, `GET|POST /webhooks/whatsapp`,
//! `GET|POST /webhooks/meta`, `POST /webhooks/telegram`. A webhook is verified exactly as the
//! provider signs it, its events are stored once each, and it is answered at once: the
//! reactor processes them from the database.

use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method as HttpMethod, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use switchboard_channels::{Headers, Method, WebhookError, WebhookRequest};
pub use switchboard_engine::channels::config::*;
use switchboard_engine::channels::Template;

/// Demo mode: every channel connected to the provider simulator served at `origin`
/// (`http://host:port`, the server itself), with the demo accounts.
pub fn simulated(origin: &str) -> ChannelConfig {
    use app::simulator::provider::demo;
    ChannelConfig {
        public_url: origin.into(),
        twilio: Some(Twilio {
            account_sid: demo::TWILIO_ACCOUNT_SID.into(),
            auth_token: demo::TWILIO_AUTH_TOKEN.into(),
            number: demo::TWILIO_NUMBER.into(),
        }),
        twilio_api: format!("{origin}{}", demo::TWILIO_API_PATH),
        whatsapp: Some(Whatsapp {
            phone_number_id: demo::WHATSAPP_PHONE_NUMBER_ID.into(),
            access_token: demo::WHATSAPP_ACCESS_TOKEN.into(),
            templates: demo_templates(),
            switch_template: Some(demo::SWITCH_TEMPLATE.into()),
        }),
        meta_app_secret: Some(demo::META_APP_SECRET.into()),
        meta_verify_token: Some(demo::META_VERIFY_TOKEN.into()),
        graph_api: format!("{origin}{}", demo::GRAPH_API_PATH),
        facebook: Some(Facebook {
            page_id: demo::FACEBOOK_PAGE_ID.into(),
            page_token: demo::FACEBOOK_PAGE_TOKEN.into(),
            instagram_account_id: Some(demo::INSTAGRAM_ACCOUNT_ID.into()),
        }),
        telegram: Some(Telegram {
            bot_token: demo::TELEGRAM_BOT_TOKEN.into(),
            secret_token: demo::TELEGRAM_SECRET_TOKEN.into(),
            polling: false,
        }),
        telegram_api: format!("{origin}{}", demo::TELEGRAM_API_PATH),
        simulator: Some(origin.into()),
    }
}

/// The demo WhatsApp account's approved templates.
fn demo_templates() -> Vec<Template> {
    app::simulator::provider::demo::TEMPLATES
        .iter()
        .map(|(name, language, text)| Template {
            name: name.to_string(),
            language: language.to_string(),
            text: text.to_string(),
        })
        .collect()
}
/// The webhook routes. They take no session (providers have no cookie).
pub fn routes(state: AppState) -> Router {
    let hook = |endpoint: &'static str| {
        move |State(state): State<AppState>, req: Request| async move {
            // The settings in effect now (an admin may have just changed them).
            let channels = state.engine.channels();
            receive(state, &channels.config, endpoint, req).await
        }
    };
    Router::new()
        .route("/webhooks/twilio/sms", post(hook("twilio")))
        .route("/webhooks/twilio/status", post(hook("twilio")))
        .route(
            "/webhooks/whatsapp",
            get(hook("whatsapp")).post(hook("whatsapp")),
        )
        .route("/webhooks/meta", get(hook("meta")).post(hook("meta")))
        .route("/webhooks/telegram", post(hook("telegram")))
        .with_state(state)
}

/// Webhook bodies larger than this are refused (providers send kilobytes).
const MAX_BODY: usize = 1024 * 1024;

async fn receive(state: AppState, config: &ChannelConfig, name: &str, req: Request) -> Response {
    let Some(endpoint) = switchboard_channels::endpoint(name) else {
        return (StatusCode::NOT_FOUND, "no such webhook").into_response();
    };
    let Some(secrets) = config.secrets(name) else {
        return (
            StatusCode::NOT_FOUND,
            format!("the {name} channel is not configured"),
        )
            .into_response();
    };
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "webhook body too large").into_response(),
    };
    let request = webhook_request(
        &config.public_url,
        &parts.method,
        &parts.uri,
        &parts.headers,
        body,
    );
    if request.method == Method::Get {
        return match endpoint.handshake(&request, &secrets) {
            Ok(challenge) => ([(header::CONTENT_TYPE, "text/plain")], challenge).into_response(),
            Err(e) => refuse(name, e),
        };
    }
    let events = match endpoint.receive(&request, &secrets) {
        Ok(events) => events,
        Err(e) => return refuse(name, e),
    };
    match state.engine.receive(&events).await {
        Ok(new) => {
            tracing::debug!(webhook = name, events = events.len(), new, "webhook stored");
            if name == "twilio" {
                // An empty TwiML answer: nothing to reply automatically.
                (
                    [(header::CONTENT_TYPE, "text/xml")],
                    r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#,
                )
                    .into_response()
            } else {
                StatusCode::OK.into_response()
            }
        }
        Err(e) => {
            // Not acknowledged: the provider retries, and the retry is stored once.
            tracing::error!(error = %e, webhook = name, "could not store a webhook");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}

fn refuse(name: &str, e: WebhookError) -> Response {
    tracing::warn!(webhook = name, error = %e, "webhook refused");
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, e.to_string()).into_response()
}

/// The request as the provider sent it, with the public URL it called (what Twilio signs).
fn webhook_request(
    public_url: &str,
    method: &HttpMethod,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> WebhookRequest {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = WebhookRequest::new(
        Method::parse(method.as_str()),
        format!("{public_url}{path}"),
    );
    request.headers = Headers::from_pairs(headers.iter().filter_map(|(k, v)| {
        v.to_str()
            .ok()
            .map(|v| (k.as_str().to_string(), v.to_string()))
    }));
    request.body = body.to_vec();
    request
}
