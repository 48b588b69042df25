//! `/v1/evaluations`, `/v1/evaluation/{id}` (with `related=true`, its
//! `RelatedEvals`), `/v1/evaluation/{id}/allocations`.

use std::collections::HashMap;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::ApiError;
use super::extract::{Path, Query, State};
use super::query::{QueryOptions, blocking, read_one};
use crate::server::Server;
use crate::state::Table;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/evaluations", get(list))
        .route("/v1/evaluation/{id}", get(read))
        .route("/v1/evaluation/{id}/allocations", get(allocations))
}

type Params = Query<HashMap<String, String>>;

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let job = opts.get("job").map(str::to_string);
    let status = opts.get("status").map(str::to_string);
    blocking(&s, &opts, Table::Evals, |st| {
        let evals: Vec<_> = st
            .evals_by_prefix(&opts.prefix)
            .into_iter()
            .filter(|e| job.as_ref().is_none_or(|j| &e.job_id == j))
            .filter(|e| status.as_ref().is_none_or(|x| &e.status == x))
            .collect();
        Ok((evals, st.index(Table::Evals)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let related = opts.flag("related")?;
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
