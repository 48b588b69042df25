//! `/v1/status/leader`, `/v1/status/peers`, `/v1/regions` and
//! `/v1/operator/raft/configuration`: the Raft group as this server sees it.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::ApiError;
use super::extract::{Query, State};
use super::query::{QueryOptions, reply};
use crate::server::Server;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/status/leader", get(leader))
        .route("/v1/status/peers", get(peers))
        .route("/v1/regions", get(regions))
        .route("/v1/operator/raft/configuration", get(raft_configuration))
}

use super::params::Params;

async fn leader(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let addr = s
        .raft()
        .leader()
        .borrow()
        .as_ref()
        .map(|l| l.addr.clone())
        .unwrap_or_default();
    Ok(reply(
        &s,
        &opts,
        &addr,
        s.state().snapshot().indexes().latest,
    ))
}

async fn peers(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let peers: Vec<String> = s.raft().info().voters.into_iter().map(|(_, a)| a).collect();
    Ok(reply(
        &s,
        &opts,
        &peers,
        s.state().snapshot().indexes().latest,
    ))
}

async fn regions(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let regions = vec![s.config().region.clone()];
    Ok(reply(&s, &opts, &regions, 0))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RaftServer {
    #[serde(rename = "ID")]
    id: String,
    node: String,
    address: String,
    leader: bool,
    voter: bool,
    raft_protocol: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RaftConfiguration {
    index: u64,
    servers: Vec<RaftServer>,
}

async fn raft_configuration(
    State(s): State<Server>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let info = s.raft().info();
    let leader = info.leader.as_ref().map(|(id, _)| *id);
    let servers = info
        .voters
        .iter()
        .map(|(id, addr)| RaftServer {
            id: id.to_string(),
            node: if *id == info.id {
                format!("{}.{}", s.config().node_name, s.config().region)
            } else {
                addr.clone()
            },
            address: addr.clone(),
            leader: Some(*id) == leader,
            voter: true,
            raft_protocol: "3".into(),
        })
        .collect();
    let index = s
        .raft()
        .raft()
        .metrics()
        .borrow()
        .membership_config
        .log_id()
        .map(|l| l.index)
        .unwrap_or_default();
    let resp = RaftConfiguration { index, servers };
    Ok(reply(&s, &opts, &resp, index))
}
