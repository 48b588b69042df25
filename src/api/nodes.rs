//! `/v1/nodes`, `/v1/node/{id}`, `/v1/node/{id}/allocations`, and node
//! registration (`PUT /v1/node/register`, used by clients and simulators).

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::extract::{Bytes, Path, Query, State};
use super::paginate::{Pager, Token, blocking_list};
use super::params::Params;
use super::query::{QueryOptions, blocking_node_allocs, read_one, reply};
use super::{ApiError, body, writes};
use crate::server::Server;
use crate::server::endpoints::node;
use crate::state::Table;
use crate::structs::Node;
use crate::structs::rpc::{AllocUpdateRequest, ClientAllocs, IndexResponse, NodeRegisterRequest};

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/nodes", get(list))
        .route("/v1/node/register", writes(register))
        .route("/v1/node/{id}", get(read))
        .route(
            "/v1/node/{id}/allocations",
            get(allocations).put(update_allocs).post(update_allocs),
        )
        .route("/v1/node/{id}/client-allocs", get(client_allocs))
        .route("/v1/node/{id}/heartbeat", writes(heartbeat))
        .route("/v1/node/{id}/drain", writes(drain))
        .route("/v1/node/{id}/eligibility", writes(eligibility))
        .route("/v1/node/{id}/evaluate", writes(evaluate))
        .route("/v1/node/{id}/purge", writes(purge))
}

/// The secret a client sends on its node's behalf: `X-Nomad-Token`, as
/// Nomad's clients do, or `Authorization: Bearer ...`.
pub(super) fn token(headers: &HeaderMap) -> String {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    header("X-Nomad-Token")
        .or_else(|| header("Authorization").and_then(|v| v.strip_prefix("Bearer ")))
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// A node as served: the secret never leaves the servers.
fn public(node: &Node) -> Node {
    Node {
        secret_id: String::new(),
        ..node.clone()
    }
}

/// Nodes by ID, paginated by ID. As in Nomad, `reverse` does not reverse
/// this list. `resources=true` adds `NodeResources` and
/// `ReservedResources`, `os=true` the `os.name` attribute.
async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let field = |name| {
        opts.flag(name).map_err(|e| {
            ApiError::bad_request(format!("Failed to parse node list fields: {}", e.message))
        })
    };
    let (resources, os) = (field("resources")?, field("os")?);
    let pager = Pager::new(&opts)?;
    blocking_list(&s, &opts, Table::Nodes, |st| {
        let page = pager.page(
            st.nodes_by_prefix(&opts.prefix),
            |n| Token::Text(n.id.to_string()),
            |n| {
                let mut stub = n.stub();
                if resources {
                    stub.node_resources = n.node_resources.clone();
                    stub.reserved_resources = n.reserved_resources.clone();
                }
                if os {
                    let name = n.attributes.get("os.name").cloned().unwrap_or_default();
                    stub.attributes = Some([("os.name".to_string(), name)].into());
                }
                stub
            },
        );
        Ok((page, st.index(Table::Nodes)))
    })
    .await
}

async fn read(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    read_one(&s, &opts, Table::Nodes, "node not found", |st| {
        st.node(&id).map(|n| (public(&n), n.modify_index))
    })
    .await
}

async fn allocations(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking_node_allocs(&s, &opts, &id, |st| Ok(st.allocs_by_node(&id))).await
}

/// The client's pull, on its node's behalf: needs the node's secret.
async fn client_allocs(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    node::authenticate_read(&s, &id, &token(&headers))?;
    blocking_node_allocs(&s, &opts, &id, |st| {
        let allocs = st
            .allocs_by_node(&id)
            .iter()
            .map(|a| (a.id.clone(), a.alloc_modify_index))
            .collect();
        let index = st.node_allocs_index(&id).max(1);
        Ok(ClientAllocs { allocs, index })
    })
    .await
}

async fn register(
    State(s): State<Server>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: NodeRegisterRequest = body::decode(&body).await?;
    let n = req
        .node
        .ok_or_else(|| ApiError::bad_request("missing node for client registration"))?;
    let resp = node::register(&s, n).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn heartbeat(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let resp = node::heartbeat(&s, &id, &token(&headers)).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn update_allocs(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: AllocUpdateRequest = body::decode(&body).await?;
    let index = node::update_allocs(&s, &id, &token(&headers), req.allocs).await?;
    Ok(reply(&s, &opts, &IndexResponse { index }, index))
}

async fn drain(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    // The 0.5-era form: `?enable=true|false` and no body.
    let req = match opts.get("enable") {
        Some(_) if body.iter().all(|b| b.is_ascii_whitespace()) => node::DrainRequest {
            drain_spec: opts.flag("enable")?.then(node::DrainSpec::default),
            mark_eligible: false,
        },
        _ => body::decode(&body).await?,
    };
    let resp = node::drain(&s, &id, req.drain_spec, req.mark_eligible).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct EligibilityRequest {
    eligibility: String,
}

async fn eligibility(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: EligibilityRequest = body::decode(&body).await?;
    let resp = node::eligibility(&s, &id, &req.eligibility).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn evaluate(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let resp = node::evaluate(&s, &id).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

/// Deregisters the node (Nomad's `Node.Deregister`), answering a
/// `NodeUpdateResponse` with the evaluations created for its jobs.
async fn purge(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let resp = node::purge(&s, &id).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}
