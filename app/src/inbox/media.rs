//! `GET /media/{message_id}`: a contact's file, for signed-in agents, fetched from the
//! provider that holds it. What a browser may render from our origin is decided here: pictures,
//! audio, video and PDF by their type; anything else as a download, never sniffed, always in
//! a sandbox.

use crate::auth::ssr::agent_of_session;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

/// Path of the route, `{id}` being the message's id (see `components::media_url`).
pub const MEDIA_PATH: &str = "/media/{id}";

pub async fn media_handler(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = agent_of_session(&state.engine, &session).await {
        return e.into_response();
    }
    let Ok(message_id) = Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    let media = match state.engine.media(message_id).await {
        Ok(m) => m,
        Err(e) => return AppError::from(e).into_response(),
    };
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
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
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
