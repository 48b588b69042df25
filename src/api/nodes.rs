//! `/v1/nodes`, `/v1/node/{id}`, `/v1/node/{id}/allocations`, and node
//! registration (`PUT /v1/node/register`, used by clients and simulators).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::query::{QueryOptions, blocking, reply};
use super::{ApiError, body, writes};
use crate::server::Server;
use crate::server::endpoints::node;
use crate::state::Table;
use crate::structs::Node;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/nodes", get(list))
        .route("/v1/node/register", writes(register))
        .route("/v1/node/{id}", get(read))
        .route("/v1/node/{id}/allocations", get(allocations))
}

type Params = Query<HashMap<String, String>>;

/// A node as served: the secret never leaves the servers.
fn public(node: &Node) -> Node {
    Node {
        secret_id: String::new(),
        ..node.clone()
    }
}

async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Nodes, |st| {
        let stubs: Vec<_> = st
            .nodes_by_prefix(&opts.prefix)
            .iter()
            .map(|n| n.stub())
            .collect();
        Ok((stubs, st.index(Table::Nodes)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Nodes, |st| {
        let n = st
            .node(&id)
            .ok_or_else(|| ApiError::not_found("node not found"))?;
        Ok((public(&n), n.modify_index))
    })
    .await
}

async fn allocations(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Allocs, |st| {
        Ok((st.allocs_by_node(&id), st.index(Table::Allocs)))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct RegisterRequest {
    node: Option<Node>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RegisterResponse {
    node_modify_index: u64,
    index: u64,
}

async fn register(
    State(s): State<Server>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let req: RegisterRequest = body::decode(&body)?;
    let n = req
        .node
        .ok_or_else(|| ApiError::bad_request("missing node for client registration"))?;
    let index = node::register(&s, n).await?;
    let resp = RegisterResponse {
        node_modify_index: index,
        index,
    };
    Ok(reply(&s, &opts, &resp, index))
}
