//! The client role's settings: Nomad's `client { ... }` block and the
//! top-level `plugin "<driver>" { config { ... } }` blocks of an agent
//! file, merged with flags by `agent::config`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// What the client keeps back for the machine itself (`reserved`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reserved {
    /// MHz.
    pub cpu: i64,
    /// MB.
    pub memory: i64,
    /// MB.
    pub disk: i64,
    /// A port list such as `22,80,8000-8100`.
    pub reserved_ports: String,
}

/// The client role's settings after merging files and flags.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// HTTP addresses of servers (`host:4646` or `http://host:4646`).
    pub servers: Vec<String>,
    /// Where the client keeps its state (`<dir>/client`) and allocation
    /// directories (`<dir>/alloc`); absolute.
    pub data_dir: PathBuf,
    pub region: String,
    pub datacenter: String,
    /// The node's name (default: the host name).
    pub node_name: String,
    pub node_class: String,
    pub node_pool: String,
    pub meta: BTreeMap<String, String>,
    /// Overrides the fingerprinted CPU (MHz).
    pub cpu_total_compute: Option<i64>,
    /// Overrides the fingerprinted memory (MB).
    pub memory_total_mb: Option<i64>,
    pub reserved: Reserved,
    /// The interface whose address the node advertises and publishes
    /// ports on (default: the interface holding `network_address`, else
    /// the default route's).
    pub network_interface: Option<String>,
    /// The node's address; ports are published on it (a client bound to
    /// 127.0.1.1 gets 127.0.1.1).
    pub network_address: Option<IpAddr>,
    pub min_dynamic_port: u16,
    pub max_dynamic_port: u16,
    /// The client's own HTTP address, as others reach it.
    pub http_addr: String,
    /// Driver `options` (`driver.raw_exec.enable = "1"`, ...).
    pub options: BTreeMap<String, String>,
    pub raw_exec_enabled: bool,
    pub docker_volumes_enabled: bool,
    pub docker_allow_privileged: bool,
    /// Terminal allocations kept before the oldest is collected.
    pub gc_max_allocs: usize,
    /// How long a terminal allocation's directory is kept.
    pub gc_max_age: Duration,
    /// The longest `kill_timeout` a task may ask for.
    pub max_kill_timeout: Duration,
    /// The binary run as the raw_exec executor (default: this program).
    pub executor_path: Option<PathBuf>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            servers: Vec::new(),
            data_dir: PathBuf::new(),
            region: "global".into(),
            datacenter: "dc1".into(),
            node_name: String::new(),
            node_class: String::new(),
            node_pool: "default".into(),
            meta: BTreeMap::new(),
            cpu_total_compute: None,
            memory_total_mb: None,
            reserved: Reserved::default(),
            network_interface: None,
            network_address: None,
            min_dynamic_port: 20_000,
            max_dynamic_port: 32_000,
            http_addr: String::new(),
            options: BTreeMap::new(),
            raw_exec_enabled: false,
            docker_volumes_enabled: false,
            docker_allow_privileged: false,
            gc_max_allocs: 50,
            gc_max_age: Duration::from_secs(3600),
            max_kill_timeout: Duration::from_secs(30),
            executor_path: None,
        }
    }
}

/// A `client { ... }` block as Nomad lays it out; keys Drover does not use
/// are accepted and ignored.
#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileClient {
    pub enabled: Option<bool>,
    pub servers: Option<Vec<String>>,
    pub state_dir: Option<String>,
    pub alloc_dir: Option<String>,
    pub node_class: Option<String>,
    pub node_pool: Option<String>,
    pub meta: Option<BTreeMap<String, String>>,
    pub options: Option<BTreeMap<String, String>>,
    pub cpu_total_compute: Option<i64>,
    pub memory_total_mb: Option<i64>,
    pub reserved: Option<FileReserved>,
    pub network_interface: Option<String>,
    pub network_speed: Option<i64>,
    pub min_dynamic_port: Option<u16>,
    pub max_dynamic_port: Option<u16>,
    pub gc_max_allocs: Option<usize>,
    pub gc_interval: Option<String>,
    pub gc_max_age: Option<String>,
    pub max_kill_timeout: Option<String>,
    pub server_join: Option<serde_json::Value>,
    pub host_volume: Option<serde_json::Value>,
    pub host_network: Option<serde_json::Value>,
    pub chroot_env: Option<serde_json::Value>,
    pub drain_on_shutdown: Option<serde_json::Value>,
}

#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileReserved {
    pub cpu: Option<i64>,
    pub cores: Option<serde_json::Value>,
    pub memory: Option<i64>,
    pub disk: Option<i64>,
    pub reserved_ports: Option<String>,
}

/// Why a client setting is refused: the field and the rule.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ClientConfigError {
    pub field: String,
    pub rule: String,
}

fn bad(field: &str, rule: impl Into<String>) -> ClientConfigError {
    ClientConfigError {
        field: field.into(),
        rule: rule.into(),
    }
}

fn truthy(v: &str) -> bool {
    matches!(v.trim(), "1" | "t" | "T" | "true" | "TRUE" | "True")
}

impl ClientConfig {
    /// Merges a `client` block over `self`.
    pub(crate) fn merge_file(
        &mut self,
        at: &str,
        value: &serde_json::Value,
    ) -> Result<Option<bool>, ClientConfigError> {
        let mut value = value.clone();
        crate::structs::strip_nulls(&mut value);
        let f: FileClient = serde_json::from_value(value)
            .map_err(|e| bad(&format!("{at}: client"), e.to_string()))?;
        if let Some(v) = f.servers {
            self.servers = v;
        }
        if let Some(v) = f.node_class {
            self.node_class = v;
        }
        if let Some(v) = f.node_pool {
            self.node_pool = v;
        }
        if let Some(v) = f.meta {
            self.meta.extend(v);
        }
        if let Some(v) = f.options {
            self.options.extend(v);
        }
        self.cpu_total_compute = f.cpu_total_compute.or(self.cpu_total_compute);
        self.memory_total_mb = f.memory_total_mb.or(self.memory_total_mb);
        if let Some(r) = f.reserved {
            self.reserved.cpu = r.cpu.unwrap_or(self.reserved.cpu);
            self.reserved.memory = r.memory.unwrap_or(self.reserved.memory);
            self.reserved.disk = r.disk.unwrap_or(self.reserved.disk);
            if let Some(p) = r.reserved_ports {
                self.reserved.reserved_ports = p;
            }
        }
        if let Some(v) = f.network_interface {
            self.network_interface = Some(v);
        }
        self.min_dynamic_port = f.min_dynamic_port.unwrap_or(self.min_dynamic_port);
        self.max_dynamic_port = f.max_dynamic_port.unwrap_or(self.max_dynamic_port);
        self.gc_max_allocs = f.gc_max_allocs.unwrap_or(self.gc_max_allocs);
        if let Some(t) = f.gc_max_age {
            let ns = crate::jobspec::parse_duration(&t)
                .map_err(|e| bad(&format!("{at}: client.gc_max_age"), e))?;
            self.gc_max_age = Duration::from_nanos(ns.max(0) as u64);
        }
        if let Some(t) = f.max_kill_timeout {
            let ns = crate::jobspec::parse_duration(&t)
                .map_err(|e| bad(&format!("{at}: client.max_kill_timeout"), e))?;
            self.max_kill_timeout = Duration::from_nanos(ns.max(0) as u64);
        }
        Ok(f.enabled)
    }

    /// Merges the top-level `plugin "<name>" { config { ... } }` blocks.
    pub(crate) fn merge_plugins(
        &mut self,
        at: &str,
        value: &serde_json::Value,
    ) -> Result<(), ClientConfigError> {
        let serde_json::Value::Object(plugins) = value else {
            return Err(bad(&format!("{at}: plugin"), "must be labelled blocks"));
        };
        for (name, body) in plugins {
            // A labelled block may decode as an object or a list of them.
            let bodies: Vec<&serde_json::Value> = match body {
                serde_json::Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for body in bodies {
                let config = first(&body["config"]);
                match name.as_str() {
                    "raw_exec" => {
                        if let Some(e) = config.get("enabled").and_then(|v| v.as_bool()) {
                            self.raw_exec_enabled = e;
                        }
                    }
                    "docker" => {
                        let volumes = first(&config["volumes"]);
                        if let Some(e) = volumes.get("enabled").and_then(|v| v.as_bool()) {
                            self.docker_volumes_enabled = e;
                        }
                        if let Some(e) = config.get("allow_privileged").and_then(|v| v.as_bool()) {
                            self.docker_allow_privileged = e;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Applies the driver `options` (the older way of enabling drivers).
    pub fn apply_options(&mut self) {
        if let Some(v) = self.options.get("driver.raw_exec.enable") {
            self.raw_exec_enabled = truthy(v);
        }
        if let Some(v) = self.options.get("docker.volumes.enabled") {
            self.docker_volumes_enabled = truthy(v);
        }
        if let Some(v) = self.options.get("docker.privileged.enabled") {
            self.docker_allow_privileged = truthy(v);
        }
    }

    /// Checks the merged settings.
    pub fn validate(&self) -> Result<(), ClientConfigError> {
        if self.servers.is_empty() {
            return Err(bad(
                "client.servers",
                "a client needs at least one server address (-servers or client { servers = [...] })",
            ));
        }
        if self.min_dynamic_port == 0 || self.min_dynamic_port > self.max_dynamic_port {
            return Err(bad(
                "client.min_dynamic_port",
                format!(
                    "the dynamic port range {}-{} is empty or starts at 0",
                    self.min_dynamic_port, self.max_dynamic_port
                ),
            ));
        }
        for (field, v) in [
            ("client.reserved.cpu", self.reserved.cpu),
            ("client.reserved.memory", self.reserved.memory),
            ("client.reserved.disk", self.reserved.disk),
            (
                "client.cpu_total_compute",
                self.cpu_total_compute.unwrap_or(0),
            ),
            ("client.memory_total_mb", self.memory_total_mb.unwrap_or(0)),
        ] {
            if !(0..=crate::jobspec::limits::MAX_MEMORY_MB).contains(&v) {
                return Err(bad(field, "must be between 0 and 1e9"));
            }
        }
        parse_port_list(&self.reserved.reserved_ports)
            .map_err(|e| bad("client.reserved.reserved_ports", e))?;
        Ok(())
    }
}

/// The first object of a block that may decode as a list of objects.
fn first(v: &serde_json::Value) -> &serde_json::Value {
    match v {
        serde_json::Value::Array(items) => items.first().unwrap_or(&serde_json::Value::Null),
        other => other,
    }
}

/// Parses a port list such as `22,80,8000-8100`.
pub fn parse_port_list(s: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{p:?} is not a port number (1-65535)"))
        };
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi) = (port(lo)?, port(hi)?);
                if lo > hi {
                    return Err(format!("range {part:?} ends before it starts"));
                }
                out.extend(lo..=hi);
            }
            None => out.push(port(part)?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists_parse_and_bad_ones_are_named() {
        assert_eq!(
            parse_port_list("22, 80,8000-8002").unwrap(),
            vec![22, 80, 8000, 8001, 8002]
        );
        assert!(parse_port_list("").unwrap().is_empty());
        assert!(parse_port_list("70000").unwrap_err().contains("70000"));
        assert!(parse_port_list("9-3").unwrap_err().contains("ends before"));
    }

    #[test]
    fn client_and_plugin_blocks_merge() {
        let mut c = ClientConfig::default();
        let block = serde_json::json!({
            "enabled": true, "servers": ["127.0.0.1:4646"], "node_class": "web",
            "meta": {"rack": "r1"}, "reserved": {"cpu": 100, "memory": 64, "reserved_ports": "22"},
            "options": {"driver.raw_exec.enable": "1"}
        });
        assert_eq!(c.merge_file("f.hcl", &block).unwrap(), Some(true));
        c.apply_options();
        assert!(c.raw_exec_enabled);
        assert_eq!(c.reserved.cpu, 100);
        let plugins =
            serde_json::json!({"docker": [{"config": [{"volumes": [{"enabled": true}]}]}]});
        c.merge_plugins("f.hcl", &plugins).unwrap();
        assert!(c.docker_volumes_enabled);
        c.validate().unwrap();
        let err = c
            .merge_file("f.hcl", &serde_json::json!({"nonsense": 1}))
            .unwrap_err();
        assert!(err.to_string().contains("f.hcl: client"), "{err}");
    }
}
