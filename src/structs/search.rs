//! `PUT /v1/search`: IDs by prefix, per context (Nomad's `SearchRequest`
//! and `SearchResponse`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many IDs are returned per context (Nomad's
/// `truncateLimit`); `Truncations` says when more matched.
pub const SEARCH_TRUNCATE_LIMIT: usize = 20;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchRequest {
    pub prefix: String,
    /// `all`, `allocs`, `deployment`, `evals`, `jobs` or `nodes`; empty
    /// means `all`.
    pub context: String,
    /// The namespace of jobs, evaluations and allocations (`*`: all); the
    /// `namespace` query parameter wins.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchResponse {
    /// Per context searched, the matching IDs in order.
    pub matches: BTreeMap<String, Vec<String>>,
    /// Per context searched, whether more IDs matched than are listed.
    pub truncations: BTreeMap<String, bool>,
    pub index: u64,
}
