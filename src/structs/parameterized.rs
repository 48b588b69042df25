//! A parameterized job's `parameterized` block and the dispatch request
//! and answer (`PUT /v1/job/{id}/dispatch`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StrMap;

/// The most a dispatch payload may hold, as Nomad (16 KiB).
pub const DISPATCH_PAYLOAD_SIZE_LIMIT: usize = 16 * 1024;
/// The meta key carrying a dispatch's idempotency token, as Nomad.
pub const IDEMPOTENCY_TOKEN_META: &str = "nomad_dispatch_idempotency_token";
/// The suffix of a dispatched child's ID before its time and random part.
pub const DISPATCH_LAUNCH_SUFFIX: &str = "/dispatch-";

/// `parameterized { payload meta_required meta_optional }`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParameterizedConfig {
    /// `optional` (the default), `required` or `forbidden`.
    pub payload: String,
    pub meta_required: Vec<String>,
    pub meta_optional: Vec<String>,
}

impl ParameterizedConfig {
    pub fn from_json(v: &Value) -> ParameterizedConfig {
        let list = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let payload = v
            .get("Payload")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .unwrap_or("optional")
            .to_string();
        ParameterizedConfig {
            payload,
            meta_required: list("MetaRequired"),
            meta_optional: list("MetaOptional"),
        }
    }

    /// Nomad's checks of a dispatch against the block, with its messages.
    pub fn check(&self, payload_len: usize, meta: &StrMap) -> Result<(), String> {
        match self.payload.as_str() {
            "forbidden" if payload_len > 0 => {
                return Err("Payload is not allowed".into());
            }
            "required" if payload_len == 0 => {
                return Err("Payload is not provided but required".into());
            }
            _ => {}
        }
        if payload_len > DISPATCH_PAYLOAD_SIZE_LIMIT {
            return Err(format!(
                "Payload exceeds maximum size; {payload_len} > {DISPATCH_PAYLOAD_SIZE_LIMIT}"
            ));
        }
        let unpermitted: Vec<&str> = meta
            .keys()
            .filter(|k| !self.meta_required.contains(k) && !self.meta_optional.contains(k))
            .map(String::as_str)
            .collect();
        if !unpermitted.is_empty() {
            return Err(format!(
                "Dispatch request included unpermitted metadata keys: {unpermitted:?}"
            ));
        }
        let missing: Vec<&str> = self
            .meta_required
            .iter()
            .filter(|k| !meta.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "Dispatch did not provide required meta keys: {missing:?}"
            ));
        }
        Ok(())
    }
}

/// `PUT /v1/job/{id}/dispatch`'s body. `Payload` is base64, as Go encodes
/// a byte slice.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDispatchRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub payload: String,
    pub meta: StrMap,
    pub idempotency_token: String,
}

/// The answer to a dispatch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDispatchResponse {
    #[serde(rename = "DispatchedJobID")]
    pub dispatched_job_id: String,
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub job_create_index: u64,
    pub index: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(payload: &str) -> ParameterizedConfig {
        ParameterizedConfig::from_json(&serde_json::json!({
            "Payload": payload,
            "MetaRequired": ["a"],
            "MetaOptional": ["b"],
        }))
    }

    fn meta(keys: &[&str]) -> StrMap {
        keys.iter().map(|k| (k.to_string(), "v".into())).collect()
    }

    #[test]
    fn dispatches_are_checked_against_the_block() {
        assert_eq!(cfg("").payload, "optional");
        assert!(cfg("optional").check(0, &meta(&["a"])).is_ok());
        assert!(cfg("optional").check(3, &meta(&["a", "b"])).is_ok());
        assert_eq!(
            cfg("required").check(0, &meta(&["a"])),
            Err("Payload is not provided but required".into())
        );
        assert_eq!(
            cfg("forbidden").check(1, &meta(&["a"])),
            Err("Payload is not allowed".into())
        );
        assert!(
            cfg("optional")
                .check(DISPATCH_PAYLOAD_SIZE_LIMIT + 1, &meta(&["a"]))
                .unwrap_err()
                .contains("exceeds maximum size")
        );
        assert!(
            cfg("optional")
                .check(0, &meta(&[]))
                .unwrap_err()
                .contains("required meta keys: [\"a\"]")
        );
        assert!(
            cfg("optional")
                .check(0, &meta(&["a", "c"]))
                .unwrap_err()
                .contains("unpermitted metadata keys: [\"c\"]")
        );
    }
}
