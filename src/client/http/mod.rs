//! The client's own endpoints, `/v1/client/*`, with Nomad's paths,
//! parameters and JSON shapes: task logs (`logs`, `log_reader`, `frame`),
//! the allocation directory (`fs`, `paths`), resource use (`stats`,
//! `host`) and task control (`alloc`).
//!
//! The client agent serves them on its own listener; an agent that also
//! runs a server serves them through the server's API, which forwards
//! requests for allocations of other nodes to the node that runs them.
//! Everything here answers only for this client's own allocations.

mod alloc;
mod frame;
mod fs;
mod host;
mod log_reader;
mod logs;
mod params;
mod paths;
mod stats;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{any, get, put};

use super::ClientShared;
use super::alloc_runner::ControlError;
use crate::api::ApiError;
use crate::structs::Allocation;

/// What the handlers share.
pub(crate) struct ClientHttp {
    shared: Arc<ClientShared>,
    host: host::Sampler,
}

type Ctx = axum::extract::State<Arc<ClientHttp>>;

/// The `/v1/client/*` endpoints of the client behind `shared`.
pub fn router(shared: Arc<ClientShared>) -> Router<()> {
    let state = Arc::new(ClientHttp {
        shared,
        host: host::Sampler::default(),
    });
    Router::new()
        .route("/v1/client/fs/logs/{id}", get(logs::logs))
        .route("/v1/client/fs/ls/{id}", get(fs::ls))
        .route("/v1/client/fs/stat/{id}", get(fs::stat))
        .route("/v1/client/fs/cat/{id}", get(fs::cat))
        .route("/v1/client/allocation/{id}/stats", get(stats::alloc_stats))
        .route(
            "/v1/client/allocation/{id}/restart",
            put(alloc::restart).post(alloc::restart),
        )
        .route(
            "/v1/client/allocation/{id}/signal",
            put(alloc::signal).post(alloc::signal),
        )
        .route("/v1/client/allocation/{id}/gc", any(alloc::gc))
        .route("/v1/client/stats", get(stats::host_stats))
        .method_not_allowed_fallback(invalid_method)
        .layer(DefaultBodyLimit::max(crate::api::body::MAX_BODY))
        .with_state(state)
}

async fn invalid_method() -> (StatusCode, &'static str) {
    (StatusCode::METHOD_NOT_ALLOWED, "Invalid method")
}

/// The allocation `id` as this client runs it; Nomad's 404 otherwise.
fn alloc_of(shared: &ClientShared, id: &str) -> Result<Arc<Allocation>, ApiError> {
    shared
        .allocation(id)
        .ok_or_else(|| ControlError::UnknownAlloc(id.to_string()).into())
}

/// The names of the allocation's tasks, as its job gives them.
fn task_names(alloc: &Allocation) -> Vec<String> {
    alloc
        .job
        .as_ref()
        .and_then(|j| j.task_group(&alloc.task_group))
        .map(|g| g.tasks.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default()
}

/// Checks that `task` is one of the allocation's tasks.
fn known_task(alloc: &Allocation, task: &str) -> Result<(), ApiError> {
    if task_names(alloc).iter().any(|t| t == task) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "task group {:?} does not have task with name {:?}",
            alloc.task_group, task
        )))
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        let status = match &e {
            ControlError::UnknownAlloc(_) | ControlError::UnknownTask(_) => StatusCode::NOT_FOUND,
            ControlError::NotRunning(_) | ControlError::Stopped => StatusCode::CONFLICT,
            ControlError::Driver(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            message: e.to_string(),
        }
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("internal error: file work failed: {e}")))?
}
