//! `/v1/allocations`, `/v1/allocation/{id}`, `/v1/allocation/{id}/stop`.

use std::collections::HashMap;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::extract::{Path, Query, State};
use super::query::{QueryOptions, blocking, read_one, reply};
use super::{ApiError, writes};
use crate::server::Server;
use crate::server::endpoints::alloc;
use crate::state::Table;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/allocations", get(list))
        .route("/v1/allocation/{id}", get(read))
        .route("/v1/allocation/{id}/stop", writes(stop))
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

/// Stops the allocation and has the scheduler replace it
/// (`?no_shutdown_delay=true` skips the group's shutdown delay).
async fn stop(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let resp = alloc::stop(&s, &id, opts.flag("no_shutdown_delay")?).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}
