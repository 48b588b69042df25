//! The extractors handlers use, under axum's names, with refusals in the
//! user's terms.
//!
//! axum's own `Path`, `Query` and `Bytes` answer a bad request with texts
//! such as `Failed to buffer the request body: length limit exceeded` or
//! `Invalid URL: Invalid UTF-8 in 'id'`. These wrappers extract the same
//! values and turn each refusal into an [`ApiError`] that says what was
//! wrong (`Request body exceeds 4 MiB`, 413). Handlers import them instead
//! of axum's; their bodies stay the same.

use std::ops::Deref;

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub use axum::extract::State;

use super::ApiError;
use super::decode_error::plain;

/// Parameters from the matched route's path (`/v1/job/{id}`).
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(path_refusal)
    }
}

fn path_refusal(rejection: PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(e) = &rejection else {
        return ApiError::internal("internal error: the route has no path parameters");
    };
    let segment = |key: &str| {
        if key == "id" {
            "the ID in the URL path".to_string()
        } else {
            format!("the {key} in the URL path")
        }
    };
    match e.kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => ApiError::bad_request(format!(
            "Invalid URL: {} is not valid UTF-8 once percent-decoded",
            segment(key)
        )),
        ErrorKind::ParseErrorAtKey { key, value, .. }
        | ErrorKind::DeserializeError { key, value, .. } => ApiError::bad_request(format!(
            "Invalid URL: {value:?} is not a valid value for {}",
            segment(key)
        )),
        ErrorKind::ParseErrorAtIndex { value, .. } | ErrorKind::ParseError { value, .. } => {
            ApiError::bad_request(format!("Invalid URL: {value:?} is not valid in this path"))
        }
        _ => ApiError::internal("internal error: the route's path parameters do not fit"),
    }
}

/// The query string, decoded into `T`.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(query_refusal)
    }
}

fn query_refusal(rejection: QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text.split_once(": ").map(|(_, d)| d.trim()).unwrap_or("");
    match detail.split_once(": ") {
        _ if detail.is_empty() => ApiError::bad_request("Invalid query string"),
        Some((key, what)) if !key.contains(' ') => {
            ApiError::bad_request(format!("Invalid query string at {key}: {}", plain(what)))
        }
        _ => ApiError::bad_request(format!("Invalid query string: {}", plain(detail))),
    }
}

/// The whole request body, at most [`super::body::MAX_BODY`] bytes.
pub struct Bytes(pub axum::body::Bytes);

/// How long a request body (at most 4 MiB) may take to arrive.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn body_too_slow() -> ApiError {
    ApiError {
        status: axum::http::StatusCode::REQUEST_TIMEOUT,
        message: format!(
            "Request body not received within {} s",
            BODY_READ_TIMEOUT.as_secs()
        ),
    }
}

impl Deref for Bytes {
    type Target = axum::body::Bytes;

    fn deref(&self) -> &axum::body::Bytes {
        &self.0
    }
}

impl<S> FromRequest<S> for Bytes
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A body trickled in a byte at a time would otherwise hold its
        // connection (and its place under the connection caps) forever.
        let read = axum::body::Bytes::from_request(req, state);
        let Ok(read) = tokio::time::timeout(BODY_READ_TIMEOUT, read).await else {
            return Err(body_too_slow());
        };
        read.map(Bytes).map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(
                axum::extract::rejection::FailedToBufferBody::LengthLimitError(_),
            ) => super::body::too_large(),
            _ => ApiError::bad_request("The request body could not be read to its end"),
        })
    }
}

#[cfg(test)]
mod body_deadline_tests {
    use super::*;

    /// Before the deadline, a body that never finished arriving held the
    /// request (and its connection) forever.
    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_finishes_is_refused_at_the_deadline() {
        let body = axum::body::Body::from_stream(futures::stream::pending::<
            Result<axum::body::Bytes, std::io::Error>,
        >());
        let req = Request::builder()
            .method("PUT")
            .uri("/v1/jobs")
            .body(body)
            .expect("request");
        let started = tokio::time::Instant::now();
        let refused = Bytes::from_request(req, &()).await.err().expect("refused");
        assert_eq!(refused.status, axum::http::StatusCode::REQUEST_TIMEOUT);
        assert_eq!(started.elapsed(), BODY_READ_TIMEOUT);
    }
}
