//! A client node: a machine that runs allocations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{NetworkResource, Resources, StrMap};

pub const NODE_STATUS_INIT: &str = "initializing";
pub const NODE_STATUS_READY: &str = "ready";
pub const NODE_STATUS_DOWN: &str = "down";

pub const NODE_ELIGIBLE: &str = "eligible";
pub const NODE_INELIGIBLE: &str = "ineligible";

/// A node as stored and served (`SecretID` is never served).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Node {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "SecretID")]
    pub secret_id: String,
    pub datacenter: String,
    pub name: String,
    #[serde(rename = "HTTPAddr")]
    pub http_addr: String,
    #[serde(rename = "TLSEnabled")]
    pub tls_enabled: bool,
    pub attributes: StrMap,
    pub node_resources: Option<NodeResources>,
    pub reserved_resources: Option<NodeReservedResources>,
    /// Legacy (0.5-era) totals, kept for old clients.
    pub resources: Option<Resources>,
    /// Legacy (0.5-era) reservations.
    pub reserved: Option<Resources>,
    pub links: StrMap,
    pub meta: StrMap,
    pub node_class: String,
    pub node_pool: String,
    pub computed_class: String,
    pub drain: bool,
    pub drain_strategy: Option<DrainStrategy>,
    pub scheduling_eligibility: String,
    pub status: String,
    pub status_description: String,
    /// Unix seconds.
    pub status_updated_at: i64,
    pub events: Vec<NodeEvent>,
    pub drivers: BTreeMap<String, DriverInfo>,
    pub create_index: u64,
    pub modify_index: u64,
}

impl Node {
    /// The address part of `HTTPAddr`.
    pub fn address(&self) -> String {
        match self.http_addr.rsplit_once(':') {
            Some((host, _)) => host.to_string(),
            None => self.http_addr.clone(),
        }
    }

    pub fn stub(&self) -> NodeListStub {
        NodeListStub {
            address: self.address(),
            id: self.id.clone(),
            datacenter: self.datacenter.clone(),
            name: self.name.clone(),
            node_pool: self.node_pool.clone(),
            node_class: self.node_class.clone(),
            version: self
                .attributes
                .get("nomad.version")
                .cloned()
                .unwrap_or_default(),
            drain: self.drain,
            scheduling_eligibility: self.scheduling_eligibility.clone(),
            status: self.status.clone(),
            status_description: self.status_description.clone(),
            drivers: self.drivers.clone(),
            node_resources: None,
            reserved_resources: None,
            attributes: None,
            create_index: self.create_index,
            modify_index: self.modify_index,
        }
    }
}

/// What a node has to offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeResources {
    pub cpu: NodeCpu,
    pub memory: NodeMemory,
    pub disk: NodeDisk,
    pub networks: Vec<NetworkResource>,
    pub min_dynamic_port: i64,
    pub max_dynamic_port: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeCpu {
    /// Total compute in MHz.
    pub cpu_shares: i64,
    pub total_cpu_cores: i64,
    pub reservable_cpu_cores: Vec<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeMemory {
    #[serde(rename = "MemoryMB")]
    pub memory_mb: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeDisk {
    #[serde(rename = "DiskMB")]
    pub disk_mb: i64,
}

/// What a node keeps for itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeReservedResources {
    pub cpu: NodeCpu,
    pub memory: NodeMemory,
    pub disk: NodeDisk,
    pub networks: NodeReservedNetworks,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeReservedNetworks {
    /// A port list such as `22,80,8000-8100`.
    pub reserved_host_ports: String,
}

/// A node drain in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DrainStrategy {
    /// Nanoseconds; -1 means force, 0 no deadline.
    pub deadline: i64,
    pub ignore_system_jobs: bool,
    /// RFC 3339.
    pub force_deadline: String,
    /// RFC 3339.
    pub started_at: String,
}

/// A driver as fingerprinted on a node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DriverInfo {
    pub attributes: StrMap,
    pub detected: bool,
    pub healthy: bool,
    pub health_description: String,
    /// RFC 3339.
    pub update_time: String,
}

/// Something that happened to a node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeEvent {
    pub message: String,
    pub subsystem: String,
    pub details: StrMap,
    /// RFC 3339.
    pub timestamp: String,
    pub create_index: u64,
}

/// A node in a list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeListStub {
    pub address: String,
    #[serde(rename = "ID")]
    pub id: String,
    pub datacenter: String,
    pub name: String,
    pub node_pool: String,
    pub node_class: String,
    pub version: String,
    pub drain: bool,
    pub scheduling_eligibility: String,
    pub status: String,
    pub status_description: String,
    pub drivers: BTreeMap<String, DriverInfo>,
    /// Only when the list asks `resources=true`.
    pub node_resources: Option<NodeResources>,
    pub reserved_resources: Option<NodeReservedResources>,
    /// `os.name` when the list asks `os=true`; left out otherwise, as
    /// Nomad leaves out an empty map here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
    pub create_index: u64,
    pub modify_index: u64,
}

/// What a node offers to allocations: its resources minus what it
/// reserves for itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacity {
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_mb: i64,
}

impl Node {
    /// The node can take new allocations: ready, not draining, eligible.
    pub fn ready(&self) -> bool {
        self.status == NODE_STATUS_READY
            && self.drain_strategy.is_none()
            && !self.drain
            && self.scheduling_eligibility != NODE_INELIGIBLE
    }

    /// Total resources minus reserved ones.
    pub fn capacity(&self) -> Capacity {
        let (mut cpu, mut mem, mut disk) = match (&self.node_resources, &self.resources) {
            (Some(r), _) => (r.cpu.cpu_shares, r.memory.memory_mb, r.disk.disk_mb),
            (None, Some(r)) => (r.cpu, r.memory_mb, r.disk_mb),
            (None, None) => (0, 0, 0),
        };
        match (&self.reserved_resources, &self.reserved) {
            (Some(r), _) => {
                cpu = cpu.saturating_sub(r.cpu.cpu_shares);
                mem = mem.saturating_sub(r.memory.memory_mb);
                disk = disk.saturating_sub(r.disk.disk_mb);
            }
            (None, Some(r)) => {
                cpu = cpu.saturating_sub(r.cpu);
                mem = mem.saturating_sub(r.memory_mb);
                disk = disk.saturating_sub(r.disk_mb);
            }
            (None, None) => {}
        }
        Capacity {
            cpu: cpu.max(0),
            memory_mb: mem.max(0),
            disk_mb: disk.max(0),
        }
    }

    /// The address ports are given on.
    pub fn ip(&self) -> String {
        self.node_resources
            .as_ref()
            .and_then(|r| r.networks.iter().find(|n| !n.ip.is_empty()))
            .map(|n| n.ip.clone())
            .or_else(|| self.attributes.get("unique.network.ip-address").cloned())
            .unwrap_or_else(|| self.address())
    }

    /// The dynamic port range.
    pub fn dynamic_ports(&self) -> (u16, u16) {
        let (lo, hi) = self
            .node_resources
            .as_ref()
            .map(|r| (r.min_dynamic_port, r.max_dynamic_port))
            .unwrap_or((0, 0));
        match (u16::try_from(lo), u16::try_from(hi)) {
            (Ok(lo), Ok(hi)) if lo > 0 && hi > lo => (lo, hi),
            _ => (20000, 32000),
        }
    }

    /// Ports reserved on the node (`22,80,8000-8100`).
    pub fn reserved_ports(&self) -> Vec<u16> {
        let spec = self
            .reserved_resources
            .as_ref()
            .map(|r| r.networks.reserved_host_ports.as_str())
            .unwrap_or("");
        let mut out = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('-') {
                Some((a, b)) => {
                    if let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                        out.extend(a..=b);
                    }
                }
                None => out.extend(part.parse::<u16>().ok()),
            }
        }
        out
    }

    /// Whether the node can run tasks of `driver`.
    pub fn has_driver(&self, driver: &str) -> bool {
        match self.drivers.get(driver) {
            Some(d) => d.detected && d.healthy,
            None => self
                .attributes
                .get(&format!("driver.{driver}"))
                .is_some_and(|v| matches!(v.as_str(), "1" | "true")),
        }
    }
}
