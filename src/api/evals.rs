//! `/v1/evaluations`, `/v1/evaluation/{id}` (with `related=true`, its
//! `RelatedEvals`), `/v1/evaluation/{id}/allocations`.

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::ApiError;
use super::extract::{Path, Query, State};
use super::paginate::{Pager, Token, blocking_list, ordered};
use super::params::Params;
use super::query::{QueryOptions, blocking, read_one};
use crate::server::Server;
use crate::state::Table;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/evaluations", get(list))
        .route("/v1/evaluation/{id}", get(read))
        .route("/v1/evaluation/{id}/allocations", get(allocations))
}

/// Evaluations by create index and ID (by ID with `prefix`), paginated
/// with Nomad's tokens; `job` and `status` select, but not with `filter`.
async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let job = opts.get("job").map(str::to_string);
    let status = opts.get("status").map(str::to_string);
    let pager = Pager::new(&opts)?;
    if pager.filters() && (job.is_some() || status.is_some()) {
        return Err(ApiError::bad_request(
            "Filter expression cannot be used with other filter parameters",
        ));
    }
    let by_id = !opts.prefix.is_empty();
    blocking_list(&s, &opts, Table::Evals, |st| {
        let mut evals: Vec<_> = st
            .evals_by_prefix(&opts.prefix)
            .into_iter()
            .filter(|e| opts.namespace == "*" || e.namespace == opts.namespace)
            .filter(|e| job.as_ref().is_none_or(|j| &e.job_id == j))
            .filter(|e| status.as_ref().is_none_or(|x| &e.status == x))
            .collect();
        if !by_id {
            evals.sort_by(|a, b| (a.create_index, &a.id).cmp(&(b.create_index, &b.id)));
        }
        let page = pager.page(
            ordered(evals, &opts),
            |e| {
                if by_id {
                    Token::Text(e.id.clone())
                } else {
                    Token::IndexId(e.create_index, &e.id)
                }
            },
            |e| e.clone(),
        );
        Ok((page, st.index(Table::Evals)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    // Nomad compares with "true": `related=True` is not related.
    let related = opts.params().is_true("related");
    read_one(&s, &opts, Table::Evals, "eval not found", |st| {
        st.eval(&id).map(|e| {
            let index = e.modify_index;
            if !related {
                return (e, index);
            }
            // A copy: the stored evaluation never carries them.
            let mut with_related = (*e).clone();
            with_related.related_evals = Some(st.evals_related_to(&id).unwrap_or_default());
            (std::sync::Arc::new(with_related), index)
        })
    })
    .await
}

async fn allocations(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Allocs, |st| {
        let stubs: Vec<_> = st.allocs_by_eval(&id).iter().map(|a| a.stub()).collect();
        Ok((stubs, st.index(Table::Allocs)))
    })
    .await
}
