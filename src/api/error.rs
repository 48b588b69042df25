//! One error type for every handler: an HTTP status and Nomad's plain-text
//! message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::server::ServerError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        let status = match &e {
            // Nomad answers 500 for validation and check-index failures;
            // they are the caller's mistakes, so Drover answers 400 with
            // Nomad's text (clients match on the text).
            ServerError::BadRequest(_)
            | ServerError::Validation(_)
            | ServerError::CheckIndex(_)
            | ServerError::Refused(_) => StatusCode::BAD_REQUEST,
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::VarConflict(_) => StatusCode::CONFLICT,
            ServerError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServerError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ServerError::NoLeader | ServerError::Unavailable(_) | ServerError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError {
            status,
            message: e.to_string(),
        }
    }
}

impl From<crate::offload::OffloadError> for ApiError {
    fn from(e: crate::offload::OffloadError) -> Self {
        ServerError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), error = %self.message, "request failed");
        }
        let mut response = (
            self.status,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            self.message,
        )
            .into_response();
        if matches!(
            self.status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
        ) {
            // The rest of the body was never read, so the connection cannot
            // carry another request: say so, or a client that pools
            // connections sends its next request into a closing socket.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}
