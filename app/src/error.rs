//! Errors. `ApiError` is what a server function or route returns to a client (serializable,
//! user-facing wording); the server-side `AppError` is mapped to it once, with its HTTP status.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ApiError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The call itself failed (network, encoding): worth a retry.
    #[error("Could not reach Switchboard: {0}")]
    Transport(String),
}

impl ApiError {
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound(_) => 404,
            ApiError::Invalid(_) => 422,
            ApiError::Conflict(_) => 409,
            ApiError::Internal => 500,
            ApiError::Transport(_) => 502,
        }
    }

    /// Whether sending the same request again can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ApiError::Internal | ApiError::Transport(_))
    }
}

impl leptos::server_fn::error::FromServerFnError for ApiError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(m) | E::MissingArg(m) => ApiError::Invalid(format!("Bad request: {m}")),
            other => ApiError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::ApiError;

    /// Errors of the server's services.
    #[derive(Debug, thiserror::Error)]
    pub enum AppError {
        #[error("database: {0}")]
        Db(#[from] sea_orm::DbErr),
        #[error("not signed in")]
        Unauthorized,
        #[error("forbidden")]
        Forbidden,
        #[error("{0}")]
        NotFound(String),
        #[error("{0}")]
        Invalid(String),
        #[error("{0}")]
        Conflict(String),
        #[error("internal: {0}")]
        Internal(String),
    }

    impl From<switchboard_domain::MessageError> for AppError {
        fn from(e: switchboard_domain::MessageError) -> Self {
            AppError::Invalid(e.to_string())
        }
    }

    impl From<switchboard_domain::ContactError> for AppError {
        fn from(e: switchboard_domain::ContactError) -> Self {
            AppError::Invalid(e.to_string())
        }
    }

    impl From<switchboard_domain::TransitionError> for AppError {
        fn from(e: switchboard_domain::TransitionError) -> Self {
            AppError::Conflict(e.to_string())
        }
    }

    impl From<AppError> for ApiError {
        fn from(e: AppError) -> Self {
            match e {
                AppError::Unauthorized => ApiError::Unauthorized,
                AppError::Forbidden => ApiError::Forbidden,
                AppError::NotFound(m) => ApiError::NotFound(m),
                AppError::Invalid(m) => ApiError::Invalid(m),
                AppError::Conflict(m) => ApiError::Conflict(m),
                AppError::Db(err) => {
                    tracing::error!(%err, "database error");
                    ApiError::Internal
                }
                AppError::Internal(err) => {
                    tracing::error!(%err, "internal error");
                    ApiError::Internal
                }
            }
        }
    }

    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            let api = ApiError::from(self);
            let status = axum::http::StatusCode::from_u16(api.http_status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(api)).into_response()
        }
    }

    /// The one place a server function's result meets HTTP: the error becomes an
    /// `ApiError` and the response gets its status code.
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, ApiError> {
        result.map_err(|e| {
            let api = ApiError::from(e);
            if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                if let Ok(status) = axum::http::StatusCode::from_u16(api.http_status()) {
                    opts.set_status(status);
                }
            }
            api
        })
    }
}
