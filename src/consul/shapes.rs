//! Consul's JSON shapes of catalog and health answers, built from
//! Drover's nodes and service registrations. Pure functions over the
//! records, so that they are tested without a server.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::structs::{Node, ServiceRegistration, StrMap};

/// The name and tags under which Drover's servers are listed, as Nomad
/// registers itself in Consul.
pub const SERVER_SERVICE: &str = "nomad";
pub const SERVER_TAGS: [&str; 3] = ["http", "rpc", "serf"];
/// The name and tags under which Drover's client nodes are listed.
pub const CLIENT_SERVICE: &str = "nomad-client";
pub const CLIENT_TAGS: [&str; 1] = ["http"];

/// `TaggedAddresses`: the `lan` and `wan` addresses (both the node's).
pub type TaggedAddresses = BTreeMap<String, String>;

fn tagged(address: &str) -> TaggedAddresses {
    ["lan", "wan"]
        .into_iter()
        .map(|k| (k.to_string(), address.to_string()))
        .collect()
}

/// A node as `/v1/catalog/nodes` and `/v1/health/service` show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsulNode {
    #[serde(rename = "ID")]
    pub id: String,
    pub node: String,
    pub address: String,
    pub datacenter: String,
    pub tagged_addresses: TaggedAddresses,
    pub meta: StrMap,
    pub create_index: u64,
    pub modify_index: u64,
}

/// The node of `reg`: its record when known, else what the registration
/// says (its node ID, address and datacenter).
pub fn node_of(reg: &ServiceRegistration, node: Option<&Node>) -> ConsulNode {
    match node {
        Some(n) => consul_node(n),
        None => ConsulNode {
            id: reg.node_id.clone(),
            node: reg.node_id.clone(),
            address: reg.address.clone(),
            datacenter: reg.datacenter.clone(),
            tagged_addresses: tagged(&reg.address),
            meta: StrMap::new(),
            create_index: reg.create_index,
            modify_index: reg.modify_index,
        },
    }
}

pub fn consul_node(n: &Node) -> ConsulNode {
    let address = n.address();
    ConsulNode {
        id: n.id.clone(),
        node: n.name.clone(),
        tagged_addresses: tagged(&address),
        address,
        datacenter: n.datacenter.clone(),
        meta: n.meta.clone(),
        create_index: n.create_index,
        modify_index: n.modify_index,
    }
}

/// One instance in `/v1/catalog/service/{name}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CatalogService {
    #[serde(rename = "ID")]
    pub id: String,
    pub node: String,
    pub address: String,
    pub datacenter: String,
    pub tagged_addresses: TaggedAddresses,
    pub node_meta: StrMap,
    #[serde(rename = "ServiceID")]
    pub service_id: String,
    pub service_name: String,
    pub service_tags: Vec<String>,
    pub service_address: String,
    pub service_port: i64,
    pub service_meta: StrMap,
    pub service_enable_tag_override: bool,
    pub create_index: u64,
    pub modify_index: u64,
}

pub fn catalog_service(reg: &ServiceRegistration, node: Option<&Node>) -> CatalogService {
    let n = node_of(reg, node);
    CatalogService {
        id: n.id,
        node: n.node,
        address: n.address,
        datacenter: reg.datacenter.clone(),
        tagged_addresses: n.tagged_addresses,
        node_meta: n.meta,
        service_id: reg.id.clone(),
        service_name: reg.service_name.clone(),
        service_tags: reg.tags.clone(),
        service_address: reg.address.clone(),
        service_port: reg.port,
        service_meta: reg.meta.clone(),
        service_enable_tag_override: false,
        create_index: reg.create_index,
        modify_index: reg.modify_index,
    }
}

/// The `Service` of a `/v1/health/service/{name}` entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentService {
    #[serde(rename = "ID")]
    pub id: String,
    pub service: String,
    pub tags: Vec<String>,
    pub address: String,
    pub meta: StrMap,
    pub port: i64,
    pub enable_tag_override: bool,
    pub create_index: u64,
    pub modify_index: u64,
}

/// One check of a `/v1/health/service/{name}` entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    pub node: String,
    #[serde(rename = "CheckID")]
    pub check_id: String,
    pub name: String,
    pub status: String,
    pub notes: String,
    pub output: String,
    #[serde(rename = "ServiceID")]
    pub service_id: String,
    pub service_name: String,
    pub service_tags: Vec<String>,
    #[serde(rename = "Type")]
    pub kind: String,
    pub create_index: u64,
    pub modify_index: u64,
}

/// One instance in `/v1/health/service/{name}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthEntry {
    pub node: ConsulNode,
    pub service: AgentService,
    pub checks: Vec<HealthCheck>,
}

pub fn health_entry(reg: &ServiceRegistration, node: Option<&Node>) -> HealthEntry {
    let n = node_of(reg, node);
    let several = reg.checks.len() > 1;
    let checks = reg
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| HealthCheck {
            node: n.node.clone(),
            // Consul's ID of a service's check: `service:<ID>`, numbered
            // from 1 when the service has several.
            check_id: if several {
                format!("service:{}:{}", reg.id, i + 1)
            } else {
                format!("service:{}", reg.id)
            },
            name: c.name.clone(),
            status: c.status.clone(),
            notes: String::new(),
            output: c.output.clone(),
            service_id: reg.id.clone(),
            service_name: reg.service_name.clone(),
            service_tags: reg.tags.clone(),
            kind: c.kind.clone(),
            create_index: reg.create_index,
            modify_index: reg.modify_index,
        })
        .collect();
    HealthEntry {
        node: n,
        service: AgentService {
            id: reg.id.clone(),
            service: reg.service_name.clone(),
            tags: reg.tags.clone(),
            address: reg.address.clone(),
            meta: reg.meta.clone(),
            port: reg.port,
            enable_tag_override: false,
            create_index: reg.create_index,
            modify_index: reg.modify_index,
        },
        checks,
    }
}

/// `/v1/catalog/services` of datacenter `dc`: each service name with the
/// union of its instances' tags (sorted, without duplicates), plus
/// `nomad` when a server is in `dc` and `nomad-client` when a node is.
pub fn services_map<'a>(
    regs: impl Iterator<Item = &'a ServiceRegistration>,
    nodes: impl Iterator<Item = &'a Node>,
    dc: &str,
    servers_dc: &str,
) -> BTreeMap<String, Vec<String>> {
    let mut tags: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for reg in regs.filter(|r| r.datacenter == dc) {
        tags.entry(reg.service_name.clone())
            .or_default()
            .extend(reg.tags.iter().cloned());
    }
    let mut fixed = |name: &str, with: &[&str]| {
        tags.entry(name.to_string())
            .or_default()
            .extend(with.iter().map(|t| t.to_string()));
    };
    if servers_dc == dc {
        fixed(SERVER_SERVICE, &SERVER_TAGS);
    }
    let mut nodes = nodes;
    if nodes.any(|n| n.datacenter == dc) {
        fixed(CLIENT_SERVICE, &CLIENT_TAGS);
    }
    tags.into_iter()
        .map(|(name, set)| (name, set.into_iter().collect()))
        .collect()
}

/// `/v1/catalog/datacenters`: the servers' datacenter first, then the
/// others that nodes or registrations are in, sorted.
pub fn datacenters<'a>(
    regs: impl Iterator<Item = &'a ServiceRegistration>,
    nodes: impl Iterator<Item = &'a Node>,
    servers_dc: &str,
) -> Vec<String> {
    let others: BTreeSet<&str> = regs
        .map(|r| r.datacenter.as_str())
        .chain(nodes.map(|n| n.datacenter.as_str()))
        .filter(|dc| !dc.is_empty() && *dc != servers_dc)
        .collect();
    std::iter::once(servers_dc)
        .chain(others)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
#[path = "shapes_tests.rs"]
mod tests;
