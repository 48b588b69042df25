//! Request bodies: JSON decoded leniently (unknown fields ignored, `null`
//! as absent) with a clear 400 naming where the body is wrong.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::structs::strip_nulls;

/// The largest request body accepted (a job file is a few KB).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Decodes a JSON body into `T`.
pub fn decode<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("Request body is empty"));
    }
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Request body is not valid JSON: {e}")))?;
    strip_nulls(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        ApiError::bad_request(format!(
            "Invalid request body at {}: {}",
            e.path(),
            e.inner()
        ))
    })
}
