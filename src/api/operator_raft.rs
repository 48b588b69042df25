//! `DELETE /v1/operator/raft/peer?id=ID` or `?address=IP:PORT`: removes a
//! server from the Raft configuration (through the leader).
//!
//! Nomad has removed removal by address (Raft protocol 3 servers are named
//! by ID); Drover's IDs are its own numbers, so it keeps `address` as a
//! second handle (`id` wins when both are given). An unknown ID or
//! address gets Nomad's text (`id "x" was not found in the Raft
//! configuration`) with 400, the caller's mistake, where Nomad answers 500.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::delete;

use super::ApiError;
use super::extract::{Query, State};
use super::params::Params;
use crate::server::Server;
use crate::server::endpoints::membership;

pub fn routes() -> Router<Server> {
    Router::new().route("/v1/operator/raft/peer", delete(remove_peer))
}

async fn remove_peer(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    match (q.raw("id"), q.raw("address")) {
        (Some(id), _) => membership::remove_peer_by_id(&s, id).await?,
        (None, Some(address)) => membership::remove_peer_by_address(&s, address).await?,
        (None, None) => {
            return Err(ApiError::bad_request(
                "Must specify the peer's ID to remove",
            ));
        }
    }
    Ok(StatusCode::OK.into_response())
}
