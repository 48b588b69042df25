//! `PUT|POST /v1/client/allocation/{alloc}/restart` (`{"TaskName",
//! "AllTasks"}`) and `/signal` (`{"Task", "Signal"}`), and the
//! single-allocation garbage collection this client does not offer.

use axum::Json;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, alloc_of, known_task};
use crate::api::ApiError;
use crate::api::extract::{Bytes, Path};
use crate::client::driver::signal_number;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RestartRequest {
    task_name: String,
    all_tasks: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct SignalRequest {
    task: String,
    signal: String,
}

/// A JSON body, or the defaults for an empty one (both requests may come
/// without a body: every task, and for a restart that is the whole ask).
async fn body_or_default<T>(body: &Bytes) -> Result<T, ApiError>
where
    T: Default + serde::de::DeserializeOwned + Send + 'static,
{
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(T::default());
    }
    crate::api::body::decode(body).await
}

pub async fn restart(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: RestartRequest = body_or_default(&body).await?;
    if req.all_tasks && !req.task_name.is_empty() {
        return Err(ApiError::bad_request(
            "give either TaskName (one task) or AllTasks (every task), not both",
        ));
    }
    let alloc = alloc_of(&c.shared, &id)?;
    let task = (!req.task_name.is_empty()).then_some(req.task_name);
    if let Some(t) = &task {
        known_task(&alloc, t)?;
    }
    c.shared.restart(&alloc.id, task).await?;
    Ok(Json(json!({})))
}

pub async fn signal(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: SignalRequest = body_or_default(&body).await?;
    if req.signal.is_empty() {
        return Err(ApiError::bad_request(
            "Signal is required: the signal's name, such as SIGHUP",
        ));
    }
    if signal_number(&req.signal).is_none() {
        return Err(ApiError::bad_request(format!(
            "Signal {:?} is not a signal this client knows (such as SIGHUP, SIGUSR1 or 10)",
            req.signal
        )));
    }
    let alloc = alloc_of(&c.shared, &id)?;
    let task = (!req.task.is_empty()).then_some(req.task);
    if let Some(t) = &task {
        known_task(&alloc, t)?;
    }
    c.shared.signal(&alloc.id, task, req.signal).await?;
    Ok(Json(json!({})))
}

/// Not offered: the client removes the allocations the servers stopped
/// on its own (keeping at most `gc_max_allocs`).
pub async fn gc(Path(id): Path<String>) -> ApiError {
    ApiError::not_found(format!(
        "Collecting one allocation ({id}) on request is not supported by this client: \
         it removes stopped allocations itself"
    ))
}
