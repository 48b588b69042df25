//! Request bodies: JSON decoded leniently (unknown fields ignored, `null`
//! as absent) with a clear 400 naming where the body is wrong, in JSON's
//! words (see [`super::decode_error`]). Every body is a JSON object.
//!
//! Bodies larger than [`OFFLOAD_OVER`] are decoded on the blocking pool
//! ([`crate::offload`]): a multi-megabyte job would otherwise hold a
//! runtime thread for milliseconds.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::ApiError;
use super::decode_error::plain;
use crate::structs::strip_nulls;

/// The largest request body accepted (a job file is a few KB).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Bodies larger than this are decoded off the async runtime.
pub const OFFLOAD_OVER: usize = crate::offload::SMALL_INPUT;

/// The 413 answer for a body over [`MAX_BODY`].
pub fn too_large() -> ApiError {
    ApiError {
        status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        message: format!("Request body exceeds {} MiB", MAX_BODY / (1024 * 1024)),
    }
}

/// Decodes a JSON body into `T`.
pub async fn decode<T>(body: &Bytes) -> Result<T, ApiError>
where
    T: DeserializeOwned + Send + 'static,
{
    if body.len() > OFFLOAD_OVER {
        let body = body.clone();
        return crate::offload::run(move || decode_now(&body)).await?;
    }
    decode_now(body)
}

fn decode_now<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("Request body is empty"));
    }
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Request body is not valid JSON: {e}")))?;
    // serde would read a struct from an array, field by field in order;
    // every request body is an object.
    let kind = match &value {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Array(_) => Some("an array"),
        serde_json::Value::String(_) => Some("a string"),
        serde_json::Value::Number(_) => Some("a number"),
        serde_json::Value::Bool(_) => Some("true or false"),
        serde_json::Value::Null => Some("null"),
    };
    if let Some(kind) = kind {
        return Err(ApiError::bad_request(format!(
            "Invalid request body: expected an object, got {kind}"
        )));
    }
    strip_nulls(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let what = plain(&e.inner().to_string());
        let path = e.path().to_string();
        if path == "." {
            ApiError::bad_request(format!("Invalid request body: {what}"))
        } else {
            ApiError::bad_request(format!("Invalid request body at {path}: {what}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use std::thread::ThreadId;

    use serde::{Deserialize, Deserializer};

    use super::*;

    /// Records the thread it was decoded on.
    struct Probe(ThreadId);

    impl<'de> Deserialize<'de> for Probe {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            serde::de::IgnoredAny::deserialize(d)?;
            Ok(Probe(std::thread::current().id()))
        }
    }

    fn body_of(len: usize) -> Bytes {
        let mut text = String::from("{\"Pad\":\"");
        text.push_str(&"x".repeat(len.saturating_sub(10)));
        text.push_str("\"}");
        Bytes::from(text)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn large_bodies_are_decoded_off_the_runtime_thread() {
        let runtime = std::thread::current().id();
        let small: Probe = decode(&body_of(1024)).await.expect("small body");
        assert_eq!(small.0, runtime);
        let large: Probe = decode(&body_of(OFFLOAD_OVER + 1))
            .await
            .expect("large body");
        assert_ne!(large.0, runtime);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn errors_in_large_bodies_name_the_path() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Req {
            #[serde(rename = "Pad")]
            pad: u64,
        }
        let err = decode::<Req>(&body_of(OFFLOAD_OVER * 2))
            .await
            .expect_err("a string is not a number");
        assert!(
            err.message
                .starts_with("Invalid request body at Pad: expected a whole number"),
            "{}",
            err.message
        );
    }
}
