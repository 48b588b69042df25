//! `PUT|POST /v1/agent/join?address=...` and `/v1/agent/force-leave?node=...`.
//!
//! There is no gossip pool: a join acts on Raft membership (see
//! `drover_raft::join`: a server in no cluster is added, a fresh pair
//! forms one, two clusters are never merged), answering Nomad's
//! `{num_joined, error, warning}`; `error` is set only when no address
//! could be joined, as gossip reports it. Addresses are RPC addresses
//! (port 4647 when none is given), where Nomad's are gossip ones.
//!
//! `force-leave` removes a failed server (one the leader has not heard
//! from for a while) from Raft, named as `/v1/agent/members` names it or
//! by Raft id; an unknown name or a server that is alive is left alone
//! with 200, as Nomad's gossip ignores the first and the second refutes
//! it. `prune` is accepted and changes nothing (no member list to prune).

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::extract::{Query, State};
use super::params::Params;
use super::query::{QueryOptions, reply};
use super::{ApiError, writes};
use crate::server::Server;
use crate::server::endpoints::membership;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/agent/join", writes(join))
        .route("/v1/agent/force-leave", writes(force_leave))
}

async fn join(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let addrs: Vec<String> = q.all("address").into_iter().map(str::to_string).collect();
    if addrs.is_empty() {
        return Err(ApiError::bad_request("missing address to join"));
    }
    let opts = QueryOptions::write(q);
    let result = membership::join(&s, &addrs).await;
    let body = json!({
        "num_joined": result.num_joined,
        "error": result.error,
        "warning": "",
    });
    Ok(reply(&s, &opts, &body, 0))
}

async fn force_leave(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let Some(node) = q.text("node") else {
        return Err(ApiError::bad_request("missing node to force leave"));
    };
    q.bool("prune")
        .map_err(|_| ApiError::bad_request("invalid prune value"))?;
    membership::force_leave(&s, node).await?;
    Ok(StatusCode::OK.into_response())
}

/// The client-only agent's answer to join and force-leave (Nomad's, for
/// an agent without a server).
pub async fn not_a_server() -> (StatusCode, &'static str) {
    (StatusCode::NOT_IMPLEMENTED, "Invalid method")
}
