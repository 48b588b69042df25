//! `/v1/agent/self`, `/v1/agent/members`, `/v1/agent/health`,
//! `/v1/agent/servers` (GET, and PUT/POST `?address=` repeated to replace
//! a client's list), `/v1/agent/monitor` (see [`super::agent_monitor`]).
//! On an agent that also runs a client, self and health describe the
//! client too, and servers lists (and sets) the client's; on a
//! server-only agent PUT is refused with 501, as Nomad refuses it.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use serde_json::json;

use super::extract::{Query, State};
use super::query::{QueryOptions, reply};
use super::{ApiError, LocalClient};
use crate::server::Server;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/agent/self", get(agent_self))
        .route("/v1/agent/members", get(members))
        .route("/v1/agent/health", get(health))
        .route(
            "/v1/agent/servers",
            get(servers).put(set_servers).post(set_servers),
        )
        .route("/v1/agent/monitor", get(monitor))
}

use super::params::Params;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Member {
    name: String,
    addr: String,
    port: u16,
    tags: BTreeMap<String, String>,
    status: String,
    protocol_min: u8,
    protocol_max: u8,
    protocol_cur: u8,
    delegate_min: u8,
    delegate_max: u8,
    delegate_cur: u8,
}

fn split_addr(addr: &str) -> (String, u16) {
    match addr.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().unwrap_or(0)),
        None => (addr.to_string(), 0),
    }
}

/// The servers of the Raft group as members (there is no gossip pool:
/// membership is the Raft configuration).
fn members_of(s: &Server) -> Vec<Member> {
    let cfg = s.config();
    let info = s.raft().info();
    let leader = info.leader.as_ref().map(|(id, _)| *id);
    info.voters
        .iter()
        .map(|(id, addr)| {
            let (host, port) = split_addr(addr);
            let me = *id == info.id;
            let mut tags = BTreeMap::from([
                ("role".to_string(), "nomad".to_string()),
                ("region".to_string(), cfg.region.clone()),
                ("id".to_string(), id.to_string()),
                ("rpc_addr".to_string(), host.clone()),
                ("port".to_string(), port.to_string()),
                ("build".to_string(), crate::VERSION.to_string()),
                ("raft_vsn".to_string(), "3".to_string()),
                ("leader".to_string(), (Some(*id) == leader).to_string()),
            ]);
            if me {
                tags.insert("dc".into(), cfg.datacenter.clone());
                tags.insert("expect".into(), cfg.bootstrap_expect.to_string());
            }
            Member {
                name: if me {
                    format!("{}.{}", cfg.node_name, cfg.region)
                } else {
                    format!("{addr}.{}", cfg.region)
                },
                addr: host,
                port,
                tags,
                status: "alive".into(),
                protocol_min: 1,
                protocol_max: 5,
                protocol_cur: 2,
                delegate_min: 2,
                delegate_max: 5,
                delegate_cur: 4,
            }
        })
        .collect()
}

async fn agent_self(
    State(s): State<Server>,
    Extension(local): Extension<LocalClient>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let cfg = s.config();
    let info = s.raft().info();
    let member = members_of(&s)
        .into_iter()
        .find(|m| m.tags.get("id") == Some(&info.id.to_string()));
    let leader_addr = info
        .leader
        .as_ref()
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    let client = local.shared();
    let mut body = json!({
        "config": {
            "Region": cfg.region,
            "Datacenter": cfg.datacenter,
            "NodeName": cfg.node_name,
            "Version": { "Version": crate::VERSION },
            "Server": { "Enabled": true, "BootstrapExpect": cfg.bootstrap_expect },
            "Client": client.map_or_else(|| json!({ "Enabled": false }), |c| c.agent_config()),
            "Addresses": { "HTTP": cfg.http_addr, "RPC": cfg.rpc_addr },
        },
        "member": member,
        "stats": {
            "nomad": {
                "server": "true",
                "leader": s.raft().is_leader().to_string(),
                "leader_addr": leader_addr,
                "bootstrap": (cfg.bootstrap_expect == 1).to_string(),
                "known_regions": "1",
            },
            "raft": {
                "node_id": info.id.to_string(),
                "num_peers": info.voters.len().saturating_sub(1).to_string(),
                "applied_index": s.state().snapshot().indexes().latest.to_string(),
            },
        },
    });
    if let Some(c) = client {
        body["stats"]["client"] = c.agent_stats();
    }
    Ok(reply(&s, &opts, &body, 0))
}

async fn members(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let cfg = s.config();
    let body = json!({
        "ServerName": cfg.node_name,
        "ServerRegion": cfg.region,
        "ServerDC": cfg.datacenter,
        "Members": members_of(&s),
    });
    Ok(reply(&s, &opts, &body, 0))
}

async fn health(State(s): State<Server>, Extension(local): Extension<LocalClient>) -> Response {
    let (ok, message) = match (s.known_leader(), s.raft().formation_error()) {
        (true, _) => (true, "ok".to_string()),
        (false, Some(e)) => (false, e),
        (false, None) => (false, "No cluster leader".to_string()),
    };
    let mut body = json!({ "server": { "ok": ok, "message": message } });
    // A running client is well: it keeps its tasks going whatever the
    // servers do, and its own failures show on its node.
    if local.shared().is_some() {
        body["client"] = json!({ "ok": true, "message": "ok" });
    }
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (status, axum::Json(body)).into_response()
}

/// The servers this agent knows, sorted: its client's servers as
/// configured when it runs one (what Nomad answers); on a server-only
/// agent, where Nomad answers 501, the Raft peers' RPC addresses (as
/// `/v1/status/peers`).
async fn servers(
    State(s): State<Server>,
    Extension(local): Extension<LocalClient>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let mut servers: Vec<String> = match local.shared() {
        Some(client) => client.servers(),
        None => s.raft().info().voters.into_iter().map(|(_, a)| a).collect(),
    };
    servers.sort();
    Ok(reply(&s, &opts, &servers, 0))
}

/// Replaces this agent's client's servers with the `address` values.
async fn set_servers(
    Extension(local): Extension<LocalClient>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let Some(client) = local.shared() else {
        return Ok((StatusCode::NOT_IMPLEMENTED, "Invalid method").into_response());
    };
    set_client_servers(client, &q)
}

/// `PUT /v1/agent/servers` on an agent running a client: the `address`
/// values (every one of them) become its server list; 200 with no body.
pub fn set_client_servers(
    client: &crate::client::ClientShared,
    q: &super::params::RawQuery,
) -> Result<Response, ApiError> {
    let servers: Vec<String> = q.all("address").into_iter().map(str::to_string).collect();
    if servers.is_empty() {
        return Err(ApiError::bad_request("missing server address"));
    }
    client
        .set_servers(servers)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(StatusCode::OK.into_response())
}

/// Streams this agent's log; `server_id` or `node_id` must name it.
async fn monitor(
    State(s): State<Server>,
    Extension(local): Extension<LocalClient>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let cfg = s.config();
    let node_id = local.shared().map(|c| c.identity.node_id.clone());
    let is_self = |id: &str| {
        id == s.raft().id().to_string()
            || id == cfg.node_name
            || id == format!("{}.{}", cfg.node_name, cfg.region)
            || node_id.as_deref() == Some(id)
    };
    let req = super::agent_monitor::parse(&q, is_self)?;
    Ok(super::agent_monitor::respond(req))
}
