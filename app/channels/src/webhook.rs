//! Webhook verification inputs and failures, shared by every endpoint.

use std::fmt;

/// Secrets a webhook endpoint checks against. Redacted from `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookSecrets {
    /// Twilio Auth Token, Meta App Secret, or Telegram `secret_token`.
    pub signing_secret: String,
    /// Meta GET handshake `hub.verify_token`.
    pub verify_token: Option<String>,
    /// Our account when the payload doesn't name it (Telegram updates carry no bot id).
    pub account: Option<String>,
}

impl WebhookSecrets {
    pub fn new(signing_secret: impl Into<String>) -> Self {
        Self {
            signing_secret: signing_secret.into(),
            verify_token: None,
            account: None,
        }
    }

    pub fn with_verify_token(mut self, t: impl Into<String>) -> Self {
        self.verify_token = Some(t.into());
        self
    }

    pub fn with_account(mut self, a: impl Into<String>) -> Self {
        self.account = Some(a.into());
        self
    }
}

impl fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// Why a webhook is refused. `status()` gives the HTTP answer the provider expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("signature header {0} is missing")]
    MissingSignature(&'static str),
    #[error("signature header is malformed")]
    MalformedSignature,
    #[error("signature does not match")]
    BadSignature,
    #[error("the body hash in the URL does not match the body")]
    BodyHashMismatch,
    #[error("no signing secret is configured")]
    NoSecret,
    #[error("not a subscription handshake")]
    NotAHandshake,
    #[error("verify token does not match")]
    BadVerifyToken,
    #[error("handshake parameter {0} is missing")]
    MissingParam(&'static str),
    #[error("this endpoint has no GET handshake")]
    HandshakeUnsupported,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("body is not valid {0}")]
    MalformedBody(&'static str),
    #[error("required field {0} is missing")]
    MissingField(&'static str),
}

impl WebhookError {
    /// 403 for authentication failures (Twilio and Meta samples use 403), 405 for a wrong
    /// method, 400 for bodies we can't read.
    pub fn status(&self) -> u16 {
        match self {
            WebhookError::MissingSignature(_)
            | WebhookError::MalformedSignature
            | WebhookError::BadSignature
            | WebhookError::BodyHashMismatch
            | WebhookError::NoSecret
            | WebhookError::BadVerifyToken
            | WebhookError::NotAHandshake => 403,
            WebhookError::MethodNotAllowed | WebhookError::HandshakeUnsupported => 405,
            WebhookError::MissingParam(_)
            | WebhookError::MalformedBody(_)
            | WebhookError::MissingField(_) => 400,
        }
    }
}
