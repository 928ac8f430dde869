//! Files over HTTP. Agents' and visitors' uploads (`POST`, checked against the admin's rules
//! before anything is kept), a message's file for signed-in agents (`GET /media/{message_id}`,
//! from our store or fetched from the provider that holds a contact's file), a file in a
//! visitor's own conversation (the token in a header, never in a URL), and the signed,
//! expiring URL providers fetch an agent's file from. What a browser may render from our
//! origin is decided here: pictures, audio, video and PDF by their type; anything else as a
//! download, never sniffed, always in a sandbox.

use crate::auth::ssr::agent_of_session;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use switchboard_engine::channels::media::Media;
use switchboard_engine::files::Sharer;
use switchboard_wire::files::VISITOR_TOKEN_HEADER;
use uuid::Uuid;

/// Path of the route, `{id}` being the message's id (see `components::media_url`).
pub const MEDIA_PATH: &str = "/media/{id}";
/// The signed URL providers fetch an agent's file from (the name is for the provider's eyes).
pub const SIGNED_PATH: &str = "/files/{id}/{name}";
/// No upload is read past this, whatever the admin's limit (which is at most this).
const READ_CAP: usize = switchboard_domain::files::MAX_FILE_BYTES as usize;

pub async fn media_handler(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Path(id): Path<String>,
) -> Response {
    let agent = match agent_of_session(&state.engine, &session).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let Ok(message_id) = Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    // A file is read as its conversation is.
    if let Err(e) = readable(&state, agent.id, message_id).await {
        return e.into_response();
    }
    match state.engine.media(message_id).await {
        Ok(m) => file_response(m, "private, max-age=300"),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Whether the policy lets this agent `access` the conversation.
async fn allowed(
    state: &AppState,
    agent: Uuid,
    conversation: Uuid,
    access: switchboard_domain::access::Access,
) -> Result<(), AppError> {
    let viewer = state.engine.viewer(agent).await?;
    Ok(state
        .engine
        .authorize(&viewer, conversation, access)
        .await?)
}

/// A message's file is read as its conversation is.
async fn readable(state: &AppState, agent: Uuid, message_id: Uuid) -> Result<(), AppError> {
    let conversation = state.engine.message_conversation(message_id).await?;
    allowed(
        state,
        agent,
        conversation,
        switchboard_domain::access::Access::Read,
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    conversation_id: Uuid,
    name: String,
}

/// `POST /api/files?conversation_id=…&name=…`: a signed-in agent's file.
pub async fn agent_upload(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Response {
    let agent = match agent_of_session(&state.engine, &session).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let act = switchboard_domain::access::Access::Act;
    if let Err(e) = allowed(&state, agent.id, q.conversation_id, act).await {
        return e.into_response();
    }
    let by = Sharer::Agent(switchboard_domain::conversation::AgentRef {
        id: agent.id,
        name: agent.name.clone(),
    });
    upload(&state, q, by, req).await
}

/// `POST /api/visitor/files?conversation_id=…&name=…`: a visitor's file, in their own
/// conversation.
pub async fn visitor_upload(
    State(state): State<AppState>,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Response {
    let contact = match visitor_of(&state, req.headers(), q.conversation_id).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    upload(&state, q, Sharer::Contact(contact), req).await
}

async fn visitor_of(
    state: &AppState,
    headers: &HeaderMap,
    conversation_id: Uuid,
) -> Result<switchboard_engine::conversations::contacts::ContactRef, AppError> {
    let token = headers
        .get(VISITOR_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized)?;
    crate::widget::ssr::owner(state, token, conversation_id).await
}

async fn upload(state: &AppState, q: UploadQuery, by: Sharer, req: Request) -> Response {
    // Refuse by the declared size before reading anything.
    let rules = match state.engine.settings().await {
        Ok(s) => s.files,
        Err(e) => return AppError::from(e).into_response(),
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(size) = declared {
        if let Err(refusal) = rules.check_name(&q.name, size) {
            return AppError::from(switchboard_engine::EngineError::from(
                switchboard_engine::Rule::File(refusal),
            ))
            .into_response();
        }
    }
    let limit = (rules.max_bytes as usize).min(READ_CAP) + 1;
    let bytes = match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(b) => b,
        Err(_) => {
            let refusal = switchboard_domain::files::FileRefusal::TooLarge {
                size: None,
                limit: rules.max_bytes,
            };
            return AppError::from(switchboard_engine::EngineError::from(
                switchboard_engine::Rule::File(refusal),
            ))
            .into_response();
        }
    };
    match state
        .engine
        .upload(q.conversation_id, &by, &q.name, bytes)
        .await
    {
        Ok(uploaded) => axum::Json(uploaded).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `GET /api/visitor/media/{message_id}` with the visitor token in a header: a public file of
/// the visitor's own conversation.
pub async fn visitor_media(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(message_id) = Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    let result = async {
        let (conversation_id, public) = state.engine.message_visibility(message_id).await?;
        visitor_of(&state, &headers, conversation_id).await?;
        if !public {
            return Err(AppError::from(switchboard_engine::EngineError::NotFound(
                switchboard_engine::Missing::Message,
            )));
        }
        Ok(state.engine.media(message_id).await?)
    }
    .await;
    match result {
        Ok(m) => file_response(m, "private, max-age=300"),
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct Signed {
    expires: i64,
    signature: String,
}

/// `GET /files/{id}/{name}?expires=…&signature=…`: what a provider fetches to send an agent's
/// file. Anyone with the link may fetch it until it expires; a forged or expired one is 404.
pub async fn signed_file(
    State(state): State<AppState>,
    Path((id, _name)): Path<(String, String)>,
    Query(q): Query<Signed>,
) -> Response {
    let Ok(file_id) = Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    match state
        .engine
        .file_by_url(file_id, q.expires, &q.signature, switchboard_engine::now())
        .await
    {
        Ok(f) => file_response(
            Media {
                content_type: f.attachment.mime.clone(),
                attachment: f.attachment,
                bytes: f.bytes.to_vec(),
            },
            "public, max-age=3600",
        ),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// A file as a browser (or a provider) gets it.
fn file_response(media: Media, cache: &'static str) -> Response {
    let declared = media
        .content_type
        .as_deref()
        .or(media.attachment.mime.as_deref())
        .unwrap_or_default();
    let (content_type, inline) = shown_as(declared);
    let name = media
        .attachment
        .filename
        .clone()
        .unwrap_or_else(|| media.attachment.kind.label().to_lowercase());
    let mut response = (StatusCode::OK, media.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(inline, &name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The type a browser gets, and whether it may show the file in the page: only types it
/// renders as media (never HTML, SVG or script, whatever the provider said).
fn shown_as(declared: &str) -> (String, bool) {
    let mime = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let media = (mime.starts_with("image/") && mime != "image/svg+xml")
        || mime.starts_with("video/")
        || mime.starts_with("audio/")
        || mime == "application/pdf";
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c);
    let well_formed = mime.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && a.chars().all(token) && b.chars().all(token)
    });
    if media && well_formed {
        (mime, true)
    } else {
        ("application/octet-stream".into(), false)
    }
}

/// `inline` or `attachment`, with the name as ASCII and as UTF-8 (RFC 6266).
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_media_types_render_and_everything_else_downloads() {
        assert_eq!(shown_as("image/jpeg"), ("image/jpeg".into(), true));
        assert_eq!(
            shown_as("Audio/OGG; codecs=opus"),
            ("audio/ogg".into(), true)
        );
        assert_eq!(
            shown_as("application/pdf"),
            ("application/pdf".into(), true)
        );
        for hostile in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "",
            "image/",
            "image/png\r\nX: y",
        ] {
            assert_eq!(
                shown_as(hostile),
                ("application/octet-stream".into(), false),
                "{hostile:?}"
            );
        }
    }

    #[test]
    fn file_names_cannot_break_the_header() {
        assert_eq!(
            disposition(false, "in\"voice\r\n.pdf"),
            "attachment; filename=\"in_voice__.pdf\"; filename*=UTF-8''in%22voice%0D%0A.pdf"
        );
        assert_eq!(
            disposition(true, "été.jpg"),
            "inline; filename=\"_t_.jpg\"; filename*=UTF-8''%C3%A9t%C3%A9.jpg"
        );
    }
}
