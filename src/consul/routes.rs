//! The catalog's handlers: each reads the state (blocking when asked,
//! through the API's watch loop) and answers with Consul's headers.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::{agents, shapes};
use crate::api::ApiError;
use crate::api::query::{QueryOptions, watch_tables};
use crate::server::Server;
use crate::state::{State as Store, Table};
use crate::structs::ServiceRegistration;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/catalog/services", get(services))
        .route("/v1/catalog/service/{name}", get(catalog_service))
        .route("/v1/catalog/nodes", get(nodes))
        .route("/v1/catalog/datacenters", get(datacenters))
        .route("/v1/health/service/{name}", get(health_service))
}

type Params = Query<HashMap<String, String>>;

/// A read's options and the datacenter it answers for.
struct Read {
    opts: QueryOptions,
    dc: String,
    servers_dc: String,
}

impl Read {
    fn parse(s: &Server, q: HashMap<String, String>) -> Result<Read, ApiError> {
        let opts = QueryOptions::parse(q)?;
        let servers_dc = s.config().datacenter.clone();
        let dc = opts
            .get("dc")
            .filter(|d| !d.is_empty())
            .map_or_else(|| servers_dc.clone(), str::to_string);
        let known = {
            let snap = s.state().snapshot();
            let regs = snap.all_service_registrations().map(|x| &**x);
            shapes::datacenters(regs, snap.nodes().map(|x| &**x), &servers_dc)
        };
        // Consul's answer for a datacenter it cannot reach.
        if !known.contains(&dc) {
            return Err(ApiError::internal("No path to datacenter"));
        }
        Ok(Read {
            opts,
            dc,
            servers_dc,
        })
    }

    fn passing(&self) -> Result<bool, ApiError> {
        self.opts.params().present_or_bool("passing")
    }

    fn tag(&self) -> Option<&str> {
        self.opts.get("tag")
    }
}

/// The tables of answers drawn from registrations and nodes.
const CATALOG: [Table; 2] = [Table::Services, Table::Nodes];

/// The index of answers drawn from registrations and nodes.
fn catalog_index(st: &Store) -> u64 {
    st.index(Table::Services).max(st.index(Table::Nodes))
}

/// The instances of `name` in the read's datacenter with its tag (when
/// given): registrations, and Drover's own agents under `nomad` and
/// `nomad-client`.
fn instances(s: &Server, st: &Store, r: &Read, name: &str) -> Vec<ServiceRegistration> {
    let mut out: Vec<ServiceRegistration> = st
        .service_registrations("*", name)
        .into_iter()
        .filter(|reg| reg.datacenter == r.dc)
        .map(|reg| (*reg).clone())
        .collect();
    out.extend(agents::instances(
        name,
        &r.dc,
        &r.servers_dc,
        &server_agents(s),
        st.nodes().map(|n| &**n),
    ));
    out.retain(|reg| {
        r.tag()
            .is_none_or(|t| reg.tags.iter().any(|have| have == t))
    });
    out
}

/// The servers of the Raft configuration, this one with its HTTP address.
fn server_agents(s: &Server) -> Vec<agents::ServerAgent> {
    let info = s.raft().info();
    let http = s.config().http_addr.clone();
    info.voters
        .iter()
        .map(|(id, addr)| agents::ServerAgent {
            id: id.to_string(),
            rpc_addr: addr.clone(),
            http_addr: (*id == info.id).then(|| http.clone()),
        })
        .collect()
}

async fn services(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let r = Read::parse(&s, q)?;
    let (value, index) = watch_tables(&s, &r.opts, &CATALOG, |st| {
        let regs = st.all_service_registrations().map(|x| &**x);
        let nodes = st.nodes().map(|x| &**x);
        let map = shapes::services_map(regs, nodes, &r.dc, &r.servers_dc);
        Ok((map, catalog_index(st)))
    })
    .await?;
    Ok(reply(&s, &r.opts, &value, index))
}

async fn catalog_service(
    State(s): State<Server>,
    Path(name): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let r = Read::parse(&s, q)?;
    let (value, index) = watch_tables(&s, &r.opts, &CATALOG, |st| {
        let list: Vec<shapes::CatalogService> = instances(&s, st, &r, &name)
            .iter()
            .map(|reg| shapes::catalog_service(reg, st.node(&reg.node_id).as_deref()))
            .collect();
        Ok((list, catalog_index(st)))
    })
    .await?;
    Ok(reply(&s, &r.opts, &value, index))
}

async fn health_service(
    State(s): State<Server>,
    Path(name): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let r = Read::parse(&s, q)?;
    let passing = r.passing()?;
    let (value, index) = watch_tables(&s, &r.opts, &CATALOG, |st| {
        let list: Vec<shapes::HealthEntry> = instances(&s, st, &r, &name)
            .iter()
            .filter(|reg| !passing || reg.passing())
            .map(|reg| shapes::health_entry(reg, st.node(&reg.node_id).as_deref()))
            .collect();
        Ok((list, catalog_index(st)))
    })
    .await?;
    Ok(reply(&s, &r.opts, &value, index))
}

async fn nodes(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let r = Read::parse(&s, q)?;
    let (value, index) = watch_tables(&s, &r.opts, &[Table::Nodes], |st| {
        let mut list: Vec<shapes::ConsulNode> = st
            .nodes()
            .filter(|n| n.datacenter == r.dc)
            .map(|n| shapes::consul_node(n))
            .collect();
        list.sort_by(|a, b| a.node.cmp(&b.node).then_with(|| a.id.cmp(&b.id)));
        Ok((list, st.index(Table::Nodes)))
    })
    .await?;
    Ok(reply(&s, &r.opts, &value, index))
}

async fn datacenters(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let r = Read::parse(&s, q)?;
    let (value, index) = watch_tables(&s, &r.opts, &CATALOG, |st| {
        let regs = st.all_service_registrations().map(|x| &**x);
        let nodes = st.nodes().map(|x| &**x);
        Ok((
            shapes::datacenters(regs, nodes, &r.servers_dc),
            catalog_index(st),
        ))
    })
    .await?;
    Ok(reply(&s, &r.opts, &value, index))
}

/// Encodes `value` with Consul's index and leader headers.
fn reply<T: Serialize>(s: &Server, opts: &QueryOptions, value: &T, index: u64) -> Response {
    let body = if opts.pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    };
    let Ok(body) = body else {
        return ApiError::internal("cannot encode the response").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert("Content-Type", HeaderValue::from_static("application/json"));
    headers.insert("X-Consul-Index", HeaderValue::from(index.max(1)));
    let known = if s.known_leader() { "true" } else { "false" };
    headers.insert("X-Consul-KnownLeader", HeaderValue::from_static(known));
    headers.insert("X-Consul-LastContact", HeaderValue::from(0u64));
    (StatusCode::OK, headers, body).into_response()
}
