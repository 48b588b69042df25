//! `GET|PUT|POST /v1/operator/scheduler/configuration`: the scheduler
//! configuration (`structs::SchedulerConfiguration` says what Drover does
//! with each setting).
//!
//! GET answers Nomad's `{SchedulerConfig, Index, LastContact,
//! KnownLeader, NextToken}`, `Index` being the configuration's
//! `ModifyIndex` (0 while it was never set: the defaults are served).
//! PUT replaces the whole configuration; `?cas=N` writes only if the
//! stored `ModifyIndex` is N, answering `{Updated, Index}`.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::extract::{Bytes, Query, State};
use super::params::{Params, RawQuery, parse_go_uint};
use super::query::{QueryOptions, reply};
use super::{ApiError, body};
use crate::server::Server;
use crate::server::endpoints::operator;
use crate::structs::SchedulerConfiguration;

pub fn routes() -> Router<Server> {
    Router::new().route(
        "/v1/operator/scheduler/configuration",
        get(get_config).put(set_config).post(set_config),
    )
}

async fn get_config(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let state = if opts.stale {
        s.state().snapshot()
    } else {
        s.consistent_state().await?
    };
    let config = state.scheduler_config();
    let index = config.modify_index;
    let body = json!({
        "SchedulerConfig": &*config,
        "Index": index,
        "LastContact": 0,
        "KnownLeader": s.known_leader(),
        "NextToken": "",
    });
    Ok(reply(&s, &opts, &body, index))
}

async fn set_config(
    State(s): State<Server>,
    Query(q): Params,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let config: SchedulerConfiguration = body::decode(&raw)
        .await
        .map_err(|e| parse_error("scheduler config", e))?;
    config.validate().map_err(ApiError::bad_request)?;
    let cas = cas(opts.params())?;
    let written = operator::set_scheduler_config(&s, config, cas).await?;
    let body = json!({ "Updated": written.updated, "Index": written.index });
    Ok(reply(&s, &opts, &body, written.index))
}

/// Nomad's refusal of a body it cannot decode.
pub(super) fn parse_error(what: &str, e: ApiError) -> ApiError {
    if e.status == axum::http::StatusCode::BAD_REQUEST {
        ApiError::bad_request(format!("Error parsing {what}: {}", e.message))
    } else {
        e
    }
}

/// `?cas=N`: present (even empty) means check-and-set, as in Nomad.
pub(super) fn cas(q: &RawQuery) -> Result<Option<u64>, ApiError> {
    match q.raw("cas") {
        None => Ok(None),
        Some(v) => parse_go_uint(v).map(Some).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Error parsing cas value: strconv.ParseUint: parsing {v:?}: invalid syntax"
            ))
        }),
    }
}
