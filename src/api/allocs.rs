//! `/v1/allocations`, `/v1/allocation/{id}`, `/v1/allocation/{id}/stop`.

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::extract::{Path, Query, State};
use super::paginate::{Pager, Token, blocking_list, ordered};
use super::params::Params;
use super::query::{QueryOptions, read_one, reply};
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

/// Allocations by create index and ID (by ID with `prefix`), paginated
/// with Nomad's tokens; `resources=true` adds `AllocatedResources`,
/// `task_states=false` leaves out `TaskStates`.
async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let resources = opts.flag("resources")?;
    let task_states = opts.params().bool("task_states")?.unwrap_or(true);
    let pager = Pager::new(&opts)?;
    // Drover extension: `modified_after=N` lists only allocations changed
    // after index N (cheap for simulators and watchers of large clusters).
    let after = match opts.get("modified_after") {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| ApiError::bad_request("Invalid modified_after"))?,
        ),
        None => None,
    };
    let by_id = !opts.prefix.is_empty();
    blocking_list(&s, &opts, Table::Allocs, |st| {
        let mut allocs = match after {
            Some(i) => st.allocs_changed_after(i),
            None => st.allocs_by_prefix(&opts.prefix),
        };
        let ns = opts.namespace.as_str();
        allocs.retain(|a| a.id.starts_with(&opts.prefix) && (ns == "*" || a.namespace == ns));
        if !by_id && after.is_none() {
            allocs.sort_by(|a, b| (a.create_index, &a.id).cmp(&(b.create_index, &b.id)));
        }
        let page = pager.page(
            ordered(allocs, &opts),
            |a| {
                if by_id {
                    Token::Text(a.id.to_string())
                } else {
                    Token::IndexId(a.create_index, &a.id)
                }
            },
            |a| {
                let mut stub = a.stub();
                if resources {
                    stub.allocated_resources = a.allocated_resources.clone();
                }
                if !task_states {
                    stub.task_states = None;
                }
                stub
            },
        );
        Ok((page, st.index(Table::Allocs)))
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
/// (`?no_shutdown_delay=true` skips the group's shutdown delay;
/// `reschedule` is read as Nomad reads it: a stopped allocation is always
/// replaced here).
async fn stop(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let no_shutdown_delay = opts.flag("no_shutdown_delay")?;
    opts.flag("reschedule")?;
    let resp = alloc::stop(&s, &id, no_shutdown_delay).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}
