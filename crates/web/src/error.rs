//! The one web error type: it maps service errors to status codes and safe Chinese messages. The guard
//! turns the marker it leaves on the response into a full error page with the request id, and logs the
//! cause with that id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ipbridge_service::{ErrorCode, ServiceError};

/// Left on an error response for the guard to render.
#[derive(Debug, Clone)]
pub struct ErrorMarker {
    /// Stable code.
    pub code: ErrorCode,
    /// Safe message for users.
    pub message: String,
}

/// An error a handler returns.
#[derive(Debug)]
pub struct WebError {
    code: ErrorCode,
    message: String,
    cause: Option<String>,
}

impl WebError {
    /// An internal error with a cause for the log.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self { code: ErrorCode::Internal, message: ErrorCode::Internal.message().to_owned(), cause: Some(cause.into()) }
    }

    /// A not-found error.
    pub fn not_found() -> Self {
        Self::from(ServiceError::NotFound)
    }

    /// A bad-request style error with a specific safe message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { code: ErrorCode::Invalid, message: message.into(), cause: None }
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        let code = e.code();
        let cause = matches!(code, ErrorCode::Internal).then(|| e.to_string());
        Self { code, message: e.user_message(), cause }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            // The request id is on the span the trace layer opened for this request.
            tracing::error!(code = self.code.code(), %cause, "request failed");
        }
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, self.message.clone()).into_response();
        res.extensions_mut().insert(ErrorMarker { code: self.code, message: self.message });
        res
    }
}

/// Result of handlers.
pub type WebResult<T = Response> = Result<T, WebError>;
