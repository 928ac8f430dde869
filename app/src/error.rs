//! Errors. Server functions answer with the wire's `ApiError`; on the server every failure is
//! an `AppError`, mapped to an `ApiError` and its HTTP status once, here.

pub use switchboard_wire::ApiError;

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::ApiError;
    use switchboard_engine::EngineError;

    #[derive(Debug, thiserror::Error)]
    pub enum AppError {
        #[error(transparent)]
        Engine(#[from] EngineError),
        #[error("not signed in")]
        Unauthorized,
        #[error("forbidden")]
        Forbidden,
        #[error("internal: {0}")]
        Internal(String),
    }

    impl From<switchboard_domain::MessageError> for AppError {
        fn from(e: switchboard_domain::MessageError) -> Self {
            AppError::Engine(e.into())
        }
    }

    impl From<switchboard_domain::ContactError> for AppError {
        fn from(e: switchboard_domain::ContactError) -> Self {
            AppError::Engine(e.into())
        }
    }

    impl From<AppError> for ApiError {
        fn from(e: AppError) -> Self {
            match e {
                AppError::Unauthorized => ApiError::Unauthorized,
                AppError::Forbidden => ApiError::Forbidden,
                AppError::Engine(e) => ApiError::from(&e),
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
            let mut res = (status, axum::Json(&api)).into_response();
            if let ApiError::RateLimited { retry_after_secs } = api {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
            }
            res
        }
    }

    /// A server function that failed before its body ran (its arguments could not be read)
    /// is answered by the framework with 500 whatever the error: give it the status of the
    /// `ApiError` it carries (400 for unreadable input), as `respond` does for the rest.
    pub async fn server_fn_status(res: axum::response::Response) -> axum::response::Response {
        use axum::http::StatusCode;
        if res.status() != StatusCode::INTERNAL_SERVER_ERROR
            || !res
                .headers()
                .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
        {
            return res;
        }
        let (mut parts, body) = res.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
            return axum::response::Response::from_parts(parts, axum::body::Body::empty());
        };
        if let Ok(api) = serde_json::from_slice::<ApiError>(&bytes) {
            if let Ok(status) = StatusCode::from_u16(api.http_status()) {
                parts.status = status;
            }
        }
        axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
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
                if let ApiError::RateLimited { retry_after_secs } = api {
                    opts.insert_header(axum::http::header::RETRY_AFTER, retry_after_secs.into());
                }
            }
            api
        })
    }
}
