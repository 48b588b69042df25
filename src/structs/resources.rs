//! Resources a task asks for, and its network ports.

use serde::{Deserialize, Serialize};

/// CPU, memory, disk and networks of one task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, from = "ResourcesWire")]
pub struct Resources {
    /// CPU in MHz.
    #[serde(rename = "CPU")]
    pub cpu: i64,
    pub cores: i64,
    #[serde(rename = "MemoryMB")]
    pub memory_mb: i64,
    #[serde(rename = "MemoryMaxMB")]
    pub memory_max_mb: i64,
    #[serde(rename = "DiskMB")]
    pub disk_mb: i64,
    #[serde(rename = "IOPS")]
    pub iops: i64,
    /// Task-level networks (the 0.5/0.6 form; groups carry them now).
    pub networks: Vec<NetworkResource>,
    /// Which of `CPU` and `MemoryMB` were given as 0 rather than left out.
    /// A left-out figure takes the default; a zero is refused by
    /// validation, as Nomad refuses it. Never serialised.
    #[serde(skip)]
    pub given_zero: GivenZero,
}

/// See [`Resources::given_zero`]. A note about how a request was written,
/// not part of the job's spec: it never makes two specs differ (a stored
/// job, restored from a snapshot, has lost it).
#[derive(Clone, Copy, Debug, Default)]
pub struct GivenZero {
    pub cpu: bool,
    pub memory: bool,
}

impl PartialEq for GivenZero {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for GivenZero {}

/// [`Resources`] as decoded: absent and zero told apart.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ResourcesWire {
    #[serde(rename = "CPU")]
    cpu: Option<i64>,
    cores: i64,
    #[serde(rename = "MemoryMB")]
    memory_mb: Option<i64>,
    #[serde(rename = "MemoryMaxMB")]
    memory_max_mb: i64,
    #[serde(rename = "DiskMB")]
    disk_mb: i64,
    #[serde(rename = "IOPS")]
    iops: i64,
    networks: Vec<NetworkResource>,
}

impl From<ResourcesWire> for Resources {
    fn from(w: ResourcesWire) -> Self {
        Resources {
            cpu: w.cpu.unwrap_or(0),
            cores: w.cores,
            memory_mb: w.memory_mb.unwrap_or(0),
            memory_max_mb: w.memory_max_mb,
            disk_mb: w.disk_mb,
            iops: w.iops,
            networks: w.networks,
            given_zero: GivenZero {
                cpu: w.cpu == Some(0),
                memory: w.memory_mb == Some(0),
            },
        }
    }
}

/// A network a task or group asks for, or (in an allocation) was given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkResource {
    pub mode: String,
    pub device: String,
    #[serde(rename = "CIDR")]
    pub cidr: String,
    #[serde(rename = "IP")]
    pub ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(rename = "MBits")]
    pub mbits: i64,
    #[serde(rename = "DNS")]
    pub dns: Option<serde_json::Value>,
    pub reserved_ports: Vec<Port>,
    pub dynamic_ports: Vec<Port>,
}

impl NetworkResource {
    /// Every port, static first.
    pub fn ports(&self) -> impl Iterator<Item = &Port> {
        self.reserved_ports.iter().chain(self.dynamic_ports.iter())
    }
}

/// A labelled port: `Value` is the host port (0 until a dynamic port is
/// assigned), `To` the port inside the task's network namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Port {
    pub label: String,
    pub value: i64,
    pub to: i64,
    pub host_network: String,
}
