//! The error every server function answers with: serializable, in words a person can act on,
//! with a stable `code` where a client may want to react to the reason.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ApiError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    /// The request could not be read (a missing or malformed argument).
    #[error("{0}")]
    BadRequest(String),
    /// The request breaks a rule; `code` names the rule (`email_invalid`, `message_too_long`…).
    #[error("{message}")]
    Invalid { code: String, message: String },
    /// The request is fine but the conversation's state refuses it now (`already_taken`…).
    #[error("{message}")]
    Conflict { code: String, message: String },
    /// Too many tries in a short time: come back after `retry_after_secs`.
    #[error("Too many attempts: please wait {retry_after_secs} s and try again.")]
    RateLimited { retry_after_secs: u64 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The call itself failed (network, encoding): worth a retry.
    #[error("Could not reach Switchboard: {0}")]
    Transport(String),
    /// A provider we depend on did not give what was asked (a contact's file); in plain words.
    #[error("{0}")]
    Upstream(String),
}

impl ApiError {
    pub fn invalid(code: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        ApiError::Conflict {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound(_) => 404,
            ApiError::BadRequest(_) => 400,
            ApiError::Invalid { .. } => 422,
            ApiError::Conflict { .. } => 409,
            ApiError::RateLimited { .. } => 429,
            ApiError::Internal => 500,
            ApiError::Transport(_) | ApiError::Upstream(_) => 502,
        }
    }

    /// Whether sending the same request again can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiError::Internal | ApiError::Transport(_) | ApiError::Upstream(_)
        )
    }

    /// The rule or state that refused the request, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { code, .. } | ApiError::Conflict { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl server_fn::error::FromServerFnError for ApiError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(m) => ApiError::BadRequest(unreadable(&m)),
            E::MissingArg(m) => ApiError::BadRequest(format!("The request misses {}.", clip(&m))),
            // On the server, what cannot be decoded is the caller's request; in the browser,
            // it is an answer that did not arrive whole.
            #[cfg(feature = "server")]
            E::Deserialization(m) => ApiError::BadRequest(unreadable(&m)),
            other => ApiError::Transport(other.to_string()),
        }
    }
}

/// Input a caller sent is never echoed at length.
const ECHO_MAX_CHARS: usize = 160;

fn clip(text: &str) -> String {
    switchboard_domain::clip(text, ECHO_MAX_CHARS)
}

fn unreadable(reason: &str) -> String {
    format!("The request could not be read: {}", clip(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_a_status_and_a_stable_shape() {
        let e = ApiError::conflict("already_taken", "Another agent already took this chat.");
        assert_eq!(e.http_status(), 409);
        assert_eq!(e.code(), Some("already_taken"));
        assert_eq!(e.to_string(), "Another agent already took this chat.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["Conflict"]["code"], "already_taken");
        assert_eq!(
            serde_json::to_value(ApiError::Unauthorized).unwrap(),
            serde_json::json!("Unauthorized")
        );
        assert!(ApiError::Internal.is_retryable() && !e.is_retryable());
    }
}
