//! `PUT /v1/search/fuzzy`: names that contain a text, per context (Nomad's
//! `FuzzySearchRequest`, `FuzzyMatch` and `FuzzySearchResponse`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many matches are returned per context (Nomad's
/// `search { limit_results }` default); `Truncations` says when more
/// matched.
pub const FUZZY_LIMIT_RESULTS: usize = 100;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FuzzySearchRequest {
    /// What names are matched against: case-insensitively, anywhere in
    /// the name (evaluation IDs: as a prefix).
    pub text: String,
    /// `all`, `allocs`, `deployment`, `evals`, `jobs`, `nodes` or
    /// `plugins`; empty means `all`.
    pub context: String,
    /// The namespace of jobs, evaluations and allocations (`*`: all); the
    /// `namespace` query parameter wins.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// One match: the matched name (or an evaluation's ID) and the IDs of the
/// objects it belongs to, from the namespace down (a task's `Scope` is
/// `[namespace, job, group]`; a node's is its ID).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FuzzyMatch {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FuzzySearchResponse {
    /// Per context with matches, the best ones first.
    pub matches: BTreeMap<String, Vec<FuzzyMatch>>,
    /// Per context searched, whether more matched than are listed (a
    /// context found inside jobs, such as `groups`, appears only when
    /// truncated, as in Nomad).
    pub truncations: BTreeMap<String, bool>,
    pub index: u64,
}
