//! `/v1/allocations`, `/v1/allocation/{id}`.

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
        .route("/v1/allocations", get(list))
        .route("/v1/allocation/{id}", get(read))
}

type Params = Query<HashMap<String, String>>;

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    // Drover extension: `modified_after=N` lists only allocations changed
    // after index N (cheap for simulators and watchers of large clusters).
    let after = match opts.get("modified_after") {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| ApiError::bad_request("Invalid modified_after"))?,
        ),
        None => None,
    };
    blocking(&s, &opts, Table::Allocs, |st| {
        let allocs = match after {
            Some(i) => st.allocs_changed_after(i),
            None => st.allocs_by_prefix(&opts.prefix),
        };
        let stubs: Vec<_> = allocs
            .iter()
            .filter(|a| a.id.starts_with(&opts.prefix))
            .map(|a| a.stub())
            .collect();
        Ok((stubs, st.index(Table::Allocs)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    read_one(&s, &opts, Table::Allocs, "alloc not found", |st| {
        st.alloc(&id).map(|a| {
            let index = a.modify_index;
            (a, index)
        })
    })
    .await
}
