//! `GET|PUT /v1/operator/autopilot/configuration` and
//! `GET /v1/operator/autopilot/health`.
//!
//! The configuration is stored replicated (`structs::AutopilotConfiguration`
//! says which settings do something); GET answers it bare, PUT replaces it
//! and answers `true`, or with `?cas=N` whether it was written. Health is
//! computed from the leader's replication figures (a follower asks the
//! leader over the RPC port, as Nomad forwards this read to its leader;
//! see `server::autopilot`) and answers 429 while any server is unhealthy,
//! as Nomad does.

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::extract::{Bytes, Query, State};
use super::operator_scheduler::{cas, parse_error};
use super::params::Params;
use super::query::{QueryOptions, reply};
use super::{ApiError, body};
use crate::server::Server;
use crate::server::endpoints::operator;
use crate::structs::AutopilotConfiguration;

pub fn routes() -> Router<Server> {
    Router::new()
        .route(
            "/v1/operator/autopilot/configuration",
            get(get_config).put(set_config).post(set_config),
        )
        .route("/v1/operator/autopilot/health", get(health))
}

async fn get_config(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let state = if opts.stale {
        s.state().snapshot()
    } else {
        s.consistent_state().await?
    };
    let config = state.autopilot_config();
    Ok(reply(&s, &opts, &*config, config.modify_index))
}

async fn set_config(
    State(s): State<Server>,
    Query(q): Params,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let config: AutopilotConfiguration = body::decode(&raw)
        .await
        .map_err(|e| parse_error("autopilot config", e))?;
    config.validate().map_err(ApiError::bad_request)?;
    let cas = cas(opts.params())?;
    let written = operator::set_autopilot_config(&s, config, cas).await?;
    // Nomad answers `true` unless this was a check-and-set.
    let answer = cas.is_none() || written.updated;
    Ok(reply(&s, &opts, &answer, written.index))
}

async fn health(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let health = s.cluster_health().await?;
    let index = s.state().snapshot().indexes().latest;
    let mut response = reply(&s, &opts, &health, index);
    if !health.healthy {
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    }
    Ok(response)
}
