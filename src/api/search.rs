//! `PUT|POST /v1/search`: IDs that start with a prefix, per context, as
//! Nomad's prefix search answers them.
//!
//! Contexts are those Drover has objects for: `allocs`, `deployment`
//! (always empty: Drover has no deployments), `evals`, `jobs` and
//! `nodes`; `all` (or an empty `Context`) searches each, and every one of
//! them is a key of the answer. Other names are refused with 400. At most
//! [`SEARCH_TRUNCATE_LIMIT`] IDs per context, in ID order; `Truncations`
//! says where more matched. IDs match by text, so any prefix works (Nomad
//! rounds a UUID prefix down to whole bytes, then filters by text: the
//! same matches). The index is the largest of the searched tables'.
//! Search never blocks, as Nomad's does not.

use axum::Router;
use axum::response::Response;

use super::extract::{Bytes, Query, State};
use super::query::{QueryOptions, blocking};
use super::{ApiError, body, writes};
use crate::server::Server;
use crate::state::{PrefixMatches, Table};
use crate::structs::{SEARCH_TRUNCATE_LIMIT, SearchRequest, SearchResponse};

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/search", writes(search))
}

/// What can be searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Allocs,
    Deployment,
    Evals,
    Jobs,
    Nodes,
}

impl Context {
    const ALL: [Context; 5] = [
        Context::Allocs,
        Context::Deployment,
        Context::Evals,
        Context::Jobs,
        Context::Nodes,
    ];

    fn name(self) -> &'static str {
        match self {
            Context::Allocs => "allocs",
            Context::Deployment => "deployment",
            Context::Evals => "evals",
            Context::Jobs => "jobs",
            Context::Nodes => "nodes",
        }
    }

    /// The contexts a request's `Context` names; Nomad's message for an
    /// unknown one.
    fn expand(requested: &str) -> Result<Vec<Context>, ApiError> {
        expand_contexts(&Self::ALL, Self::name, requested)
    }

    /// The table whose index the answer reports (none for deployments).
    fn table(self) -> Option<Table> {
        match self {
            Context::Allocs => Some(Table::Allocs),
            Context::Deployment => None,
            Context::Evals => Some(Table::Evals),
            Context::Jobs => Some(Table::Jobs),
            Context::Nodes => Some(Table::Nodes),
        }
    }

    fn matches(self, st: &crate::state::State, namespace: &str, prefix: &str) -> PrefixMatches {
        let limit = SEARCH_TRUNCATE_LIMIT;
        match self {
            Context::Allocs => st.alloc_ids_with_prefix(namespace, prefix, limit),
            Context::Deployment => PrefixMatches::default(),
            Context::Evals => st.eval_ids_with_prefix(namespace, prefix, limit),
            Context::Jobs => st.job_ids_with_prefix(namespace, prefix, limit),
            Context::Nodes => st.node_ids_with_prefix(prefix, limit),
        }
    }
}

/// The namespace a search covers: the `namespace` query parameter, else
/// the body's `Namespace`, else the default (`*`: every namespace).
pub(super) fn request_namespace(opts: &QueryOptions, in_body: &str) -> String {
    match opts.get("namespace") {
        Some(n) if !n.is_empty() => n.to_string(),
        _ if !in_body.is_empty() => in_body.to_string(),
        _ => opts.namespace.clone(),
    }
}

async fn search(
    State(s): State<Server>,
    Query(q): super::params::Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut opts = QueryOptions::parse(q)?;
    let req: SearchRequest = body::decode(&body).await?;
    let contexts = Context::expand(&req.context)?;
    let namespace = request_namespace(&opts, &req.namespace);
    // A search answers at once, whatever `index` says.
    opts.index = 0;
    blocking(&s, &opts, Table::Jobs, |st| {
        let mut resp = SearchResponse::default();
        for ctx in &contexts {
            let found = ctx.matches(st, &namespace, &req.prefix);
            let name = ctx.name().to_string();
            resp.truncations.insert(name.clone(), found.truncated);
            resp.matches.insert(name, found.ids);
            if let Some(t) = ctx.table() {
                resp.index = resp.index.max(st.index(t));
            }
        }
        let index = resp.index;
        Ok((resp, index))
    })
    .await
}

/// The contexts a request's `Context` names (`all` or empty: every one of
/// `all`), or Nomad's message listing them; shared by prefix and fuzzy
/// search.
pub(super) fn expand_contexts<C: Copy>(
    all: &[C],
    name: fn(C) -> &'static str,
    requested: &str,
) -> Result<Vec<C>, ApiError> {
    if requested.is_empty() || requested == "all" {
        return Ok(all.to_vec());
    }
    match all.iter().find(|c| name(**c) == requested) {
        Some(c) => Ok(vec![*c]),
        None => {
            let names: Vec<&str> = all.iter().map(|c| name(*c)).collect();
            Err(ApiError::bad_request(format!(
                "context must be one of [{}] or 'all' for all contexts; got {requested:?}",
                names.join(" ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_expand_and_unknown_ones_are_refused() {
        assert_eq!(Context::expand("all").expect("all").len(), 5);
        assert_eq!(Context::expand("").expect("empty").len(), 5);
        assert_eq!(
            Context::expand("evals").expect("evals"),
            vec![Context::Evals]
        );
        let e = Context::expand("volumes").expect_err("unknown");
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(
            e.message,
            "context must be one of [allocs deployment evals jobs nodes] or 'all' \
             for all contexts; got \"volumes\""
        );
    }
}
