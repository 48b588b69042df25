//! `PUT|POST /v1/search/fuzzy`: names that contain a text, per context,
//! as Nomad's fuzzy search answers them (`Search.FuzzySearch`).
//!
//! The body is `{"Text", "Context", "Namespace"}`. `Text` must be at
//! least [`MIN_TERM_LENGTH`] bytes (Nomad's `min_term_length` default,
//! with its message; Nomad counts bytes too) and, a Drover bound, at most
//! [`MAX_TEXT_BYTES`]. Contexts, and what each answers:
//!
//! - `jobs`: names inside the namespace's jobs, under `jobs`, `groups`,
//!   `services`, `tasks`, `images`, `commands` and `classes` (see
//!   [`crate::state::JobFuzzyMatches`] for the names and scopes);
//! - `allocs` and `nodes`: matched by name, their IDs in `Scope`;
//! - `evals`: IDs that start with `Text` (as typed), at most 20, no scope;
//! - `deployment` (Drover has none) and `plugins` (no CSI): always empty;
//! - `all`, or an empty `Context` (as Drover's prefix search takes it;
//!   Nomad refuses it): each of the above.
//!
//! As in Nomad, `groups`, `tasks` and the like are kinds of answer, not
//! contexts one may ask for: they are refused with the message listing
//! the contexts, and so is any other unknown name. Nomad answers these
//! refusals, and a short `Text`, with 500; Drover with 400, as its prefix
//! search does. Matching ignores case; matches are ranked as Nomad ranks
//! them ([`crate::state`]'s `fuzzy_rank`), at most
//! [`FUZZY_LIMIT_RESULTS`] per kind, the best ones kept. `Matches` holds
//! only kinds with matches, except `evals` and `deployment` (always a
//! key); `Truncations` holds every context searched, and a kind found
//! inside jobs only when it was truncated. Nomad's UUID-style searching
//! applies to evaluations (and deployments) only: allocations and nodes
//! match by name, as in Nomad.
//!
//! The scans walk whole tables: the answer is built under
//! [`crate::api::query::blocking`], which runs it off the runtime's worker
//! threads (`offload::off_worker`). A fuzzy search never blocks.

use axum::Router;
use axum::response::Response;

use super::extract::{Bytes, Query, State};
use super::query::{QueryOptions, blocking};
use super::search::expand_contexts;
use super::search::request_namespace;
use super::{ApiError, body, writes};
use crate::server::Server;
use crate::state::{FuzzyMatches, Table};
use crate::structs::{
    FUZZY_LIMIT_RESULTS, FuzzyMatch, FuzzySearchRequest, FuzzySearchResponse, SEARCH_TRUNCATE_LIMIT,
};

/// The shortest `Text` searched (Nomad's `min_term_length` default).
pub const MIN_TERM_LENGTH: usize = 2;

/// The longest `Text` searched: no name is longer, and every name of a
/// table is compared with it.
pub const MAX_TEXT_BYTES: usize = 1024;

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/search/fuzzy", writes(fuzzy_search))
}

/// What can be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Allocs,
    Deployment,
    Evals,
    Jobs,
    Namespaces,
    Nodes,
    Plugins,
}

impl Context {
    const ALL: [Context; 7] = [
        Context::Allocs,
        Context::Deployment,
        Context::Evals,
        Context::Jobs,
        Context::Namespaces,
        Context::Nodes,
        Context::Plugins,
    ];

    fn name(self) -> &'static str {
        match self {
            Context::Allocs => "allocs",
            Context::Deployment => "deployment",
            Context::Evals => "evals",
            Context::Jobs => "jobs",
            Context::Namespaces => "namespaces",
            Context::Nodes => "nodes",
            Context::Plugins => "plugins",
        }
    }

    /// The contexts a request's `Context` names; Nomad's message for an
    /// unknown one.
    fn expand(requested: &str) -> Result<Vec<Context>, ApiError> {
        expand_contexts(&Self::ALL, Self::name, requested)
    }

    /// The table whose index the answer reports (none for the contexts
    /// Drover has no objects for).
    fn table(self) -> Option<Table> {
        match self {
            Context::Allocs => Some(Table::Allocs),
            Context::Evals => Some(Table::Evals),
            Context::Jobs => Some(Table::Jobs),
            Context::Namespaces => Some(Table::Namespaces),
            Context::Nodes => Some(Table::Nodes),
            Context::Deployment | Context::Plugins => None,
        }
    }
}

/// Refuses a `Text` too short to search (Nomad's message) or too long
/// (Drover's).
fn check_text(text: &str) -> Result<(), ApiError> {
    let n = text.len();
    if n < MIN_TERM_LENGTH {
        return Err(ApiError::bad_request(format!(
            "fuzzy search query must be at least {MIN_TERM_LENGTH} characters, got {n}"
        )));
    }
    if n > MAX_TEXT_BYTES {
        return Err(ApiError::bad_request(format!(
            "fuzzy search query must be at most {MAX_TEXT_BYTES} bytes, got {n}"
        )));
    }
    Ok(())
}

/// One request's search, ready to run on any state.
struct Search {
    contexts: Vec<Context>,
    namespace: String,
    /// `Text` as given: evaluation IDs are prefixes, matched as typed.
    text: String,
    /// `Text` lower-cased once: names are matched ignoring case.
    lowered: String,
}

impl Search {
    fn run(&self, st: &crate::state::State) -> FuzzySearchResponse {
        let mut resp = FuzzySearchResponse::default();
        let (ns, text, limit) = (
            self.namespace.as_str(),
            self.lowered.as_str(),
            FUZZY_LIMIT_RESULTS,
        );
        for ctx in &self.contexts {
            // Every context searched is a key of `Truncations`.
            resp.truncations.insert(ctx.name().to_string(), false);
            match ctx {
                Context::Evals => {
                    let found = st.eval_ids_with_prefix(ns, &self.text, SEARCH_TRUNCATE_LIMIT);
                    let ids = found.ids.into_iter().map(|id| FuzzyMatch {
                        id,
                        scope: Vec::new(),
                    });
                    resp.matches.insert("evals".into(), ids.collect());
                    resp.truncations.insert("evals".into(), found.truncated);
                }
                Context::Deployment => {
                    resp.matches.insert("deployment".into(), Vec::new());
                }
                Context::Jobs => {
                    let found = st.fuzzy_jobs(ns, text, limit);
                    add(&mut resp, "jobs", found.jobs);
                    add(&mut resp, "groups", found.groups);
                    add(&mut resp, "services", found.services);
                    add(&mut resp, "tasks", found.tasks);
                    add(&mut resp, "images", found.images);
                    add(&mut resp, "commands", found.commands);
                    add(&mut resp, "classes", found.classes);
                }
                Context::Allocs => add(&mut resp, "allocs", st.fuzzy_allocs(ns, text, limit)),
                Context::Nodes => add(&mut resp, "nodes", st.fuzzy_nodes(text, limit)),
                Context::Namespaces => {
                    add(&mut resp, "namespaces", st.fuzzy_namespaces(text, limit))
                }
                Context::Plugins => {}
            }
            if let Some(t) = ctx.table() {
                resp.index = resp.index.max(st.index(t));
            }
        }
        resp
    }
}

/// Records one kind's matches: a key of `Matches` only with matches, of
/// `Truncations` only when truncated (the searched contexts' keys are
/// already there).
fn add(resp: &mut FuzzySearchResponse, kind: &str, found: FuzzyMatches) {
    if !found.matches.is_empty() {
        resp.matches.insert(kind.to_string(), found.matches);
    }
    if found.truncated {
        resp.truncations.insert(kind.to_string(), true);
    }
}

async fn fuzzy_search(
    State(s): State<Server>,
    Query(q): super::params::Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut opts = QueryOptions::parse(q)?;
    let req: FuzzySearchRequest = body::decode(&body).await?;
    // Nomad checks the text before it looks at the context.
    check_text(&req.text)?;
    let search = Search {
        contexts: Context::expand(&req.context)?,
        namespace: request_namespace(&opts, &req.namespace),
        lowered: req.text.to_lowercase(),
        text: req.text,
    };
    // A search answers at once, whatever `index` says.
    opts.index = 0;
    blocking(&s, &opts, Table::Jobs, |st| {
        let resp = search.run(st);
        let index = resp.index;
        Ok((resp, index))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_expand_and_answer_kinds_are_refused_like_unknown_ones() {
        assert_eq!(Context::expand("all").expect("all").len(), 7);
        assert_eq!(Context::expand("").expect("empty").len(), 7);
        assert_eq!(Context::expand("nodes").expect("nodes"), [Context::Nodes]);
        for name in ["groups", "volumes"] {
            let e = Context::expand(name).expect_err("unknown");
            assert_eq!(e.status.as_u16(), 400);
            assert_eq!(
                e.message,
                format!(
                    "context must be one of [allocs deployment evals jobs namespaces nodes plugins] \
                     or 'all' for all contexts; got \"{name}\""
                )
            );
        }
    }

    #[test]
    fn text_length_is_bounded_both_ways() {
        let e = check_text("a").expect_err("short");
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(
            e.message,
            "fuzzy search query must be at least 2 characters, got 1"
        );
        assert!(check_text("").is_err());
        assert!(check_text("ab").is_ok());
        // Bytes, as Nomad counts: one two-byte letter is enough.
        assert!(check_text("é").is_ok());
        assert!(check_text(&"x".repeat(MAX_TEXT_BYTES)).is_ok());
        let e = check_text(&"x".repeat(MAX_TEXT_BYTES + 1)).expect_err("long");
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(
            e.message,
            "fuzzy search query must be at most 1024 bytes, got 1025"
        );
    }

    #[test]
    fn an_empty_state_answers_every_context_key_nomad_does() {
        let search = Search {
            contexts: Context::ALL.to_vec(),
            namespace: "default".into(),
            text: "web".into(),
            lowered: "web".into(),
        };
        let resp = search.run(&crate::state::State::default());
        let keys: Vec<&str> = resp.matches.keys().map(String::as_str).collect();
        assert_eq!(keys, ["deployment", "evals"]);
        let keys: Vec<&str> = resp.truncations.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "allocs",
                "deployment",
                "evals",
                "jobs",
                "namespaces",
                "nodes",
                "plugins"
            ]
        );
        assert!(resp.truncations.values().all(|t| !t));
    }
}
