//! Agent configuration: Nomad's agent file layout (HCL) merged with flags.
//!
//! Files are read in order, later files override earlier ones, and flags
//! override files. The result is validated once, with errors that name the
//! file or flag and the rule.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::consul_file::{self, FileConsulCompat};
use super::gc_file::{self, GcKeys};
use super::http_file::{self, FileHttpApi, FileLimits};
use super::logging::LogLevel;

/// The agent's settings after merging files and flags.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentConfig {
    pub region: String,
    pub datacenter: String,
    /// The agent's name (`server1`); defaults to the host name.
    pub name: String,
    /// `None` in dev mode: a temporary directory.
    pub data_dir: Option<PathBuf>,
    pub bind_addr: IpAddr,
    pub http_port: u16,
    pub rpc_port: u16,
    /// Addresses others reach this agent on; default: the bind address
    /// (or 127.0.0.1 when binding every interface).
    pub advertise_http: Option<String>,
    pub advertise_rpc: Option<String>,
    pub server: bool,
    pub client: bool,
    pub bootstrap_expect: usize,
    pub retry_join: Vec<String>,
    pub dev: bool,
    pub log_level: LogLevel,
    /// Log JSON lines instead of text (`-log-json`, `log_json`).
    pub log_json: bool,
    /// Server: the shortest heartbeat TTL given to clients.
    pub min_heartbeat_ttl: std::time::Duration,
    /// Server: extra time past the TTL before a node is marked down.
    pub heartbeat_grace: std::time::Duration,
    /// Server: scheduling workers (default: one per core).
    pub num_schedulers: Option<usize>,
    /// Server: garbage collection thresholds and intervals (`server {
    /// eval_gc_threshold ... }`, see `gc_file`).
    pub gc: crate::server::GcConfig,
    /// Web origins whose pages may write through the HTTP API from a
    /// browser (`http_api { allowed_origins }`; see `api::guard`).
    pub allowed_origins: Vec<String>,
    /// Timeouts and connection caps of the HTTP API (`limits`).
    pub http_limits: crate::api::HttpLimits,
    /// The client role's settings (`client { }`, `plugin { }`, flags);
    /// the agent fills in the data directory, names and addresses.
    pub client_config: crate::client::ClientConfig,
    /// Server: where to serve the read-only Consul-compatible catalog
    /// (`consul_compat { }`, `-consul-compat ADDR`); `None`: not served.
    pub consul_compat: Option<std::net::SocketAddr>,
    /// Server: events kept for `/v1/event/stream`.
    pub event_buffer_size: usize,
    /// Server: how often a quiet event stream writes `{}`.
    pub event_heartbeat: std::time::Duration,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            region: "global".into(),
            datacenter: "dc1".into(),
            name: String::new(),
            data_dir: None,
            bind_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            http_port: 4646,
            rpc_port: drover_raft::DEFAULT_RPC_PORT,
            advertise_http: None,
            advertise_rpc: None,
            server: false,
            client: false,
            bootstrap_expect: 0,
            retry_join: Vec::new(),
            dev: false,
            log_level: LogLevel::Info,
            log_json: false,
            min_heartbeat_ttl: std::time::Duration::from_secs(10),
            heartbeat_grace: std::time::Duration::from_secs(10),
            num_schedulers: None,
            gc: crate::server::GcConfig::default(),
            allowed_origins: Vec::new(),
            http_limits: crate::api::HttpLimits::default(),
            client_config: crate::client::ClientConfig::default(),
            consul_compat: None,
            event_buffer_size: crate::events::DEFAULT_BUFFER_EVENTS,
            event_heartbeat: std::time::Duration::from_secs(10),
        }
    }
}

/// A configuration that breaks a rule.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{field}: {rule}")]
    Invalid { field: String, rule: String },
}

fn invalid(field: &str, rule: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        rule: rule.into(),
    }
}

/// One agent file, as Nomad lays it out; every key optional. Keys that
/// Nomad accepts but Drover does not use yet are parsed (so typos are still
/// caught) and ignored, hence `dead_code`.
#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    region: Option<String>,
    datacenter: Option<String>,
    name: Option<String>,
    data_dir: Option<String>,
    bind_addr: Option<String>,
    log_level: Option<String>,
    log_json: Option<bool>,
    ports: Option<FilePorts>,
    advertise: Option<FileAdvertise>,
    server: Option<FileServer>,
    http_api: Option<FileHttpApi>,
    limits: Option<FileLimits>,
    consul_compat: Option<FileConsulCompat>,
    /// Read by the client role (a later part of the agent).
    client: Option<serde_json::Value>,
    // Accepted and ignored: they configure features Drover serves
    // differently or not yet.
    addresses: Option<serde_json::Value>,
    consul: Option<serde_json::Value>,
    telemetry: Option<serde_json::Value>,
    plugin: Option<serde_json::Value>,
    leave_on_interrupt: Option<bool>,
    leave_on_terminate: Option<bool>,
    enable_debug: Option<bool>,
}

#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePorts {
    http: Option<u16>,
    rpc: Option<u16>,
    serf: Option<u16>,
}

#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAdvertise {
    http: Option<String>,
    rpc: Option<String>,
    serf: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServer {
    enabled: Option<bool>,
    bootstrap_expect: Option<usize>,
    retry_join: Option<Vec<String>>,
    server_join: Option<FileServerJoin>,
    num_schedulers: Option<usize>,
    heartbeat_grace: Option<String>,
    min_heartbeat_ttl: Option<String>,
    eval_gc_threshold: Option<String>,
    batch_eval_gc_threshold: Option<String>,
    job_gc_threshold: Option<String>,
    node_gc_threshold: Option<String>,
    eval_gc_interval: Option<String>,
    job_gc_interval: Option<String>,
    node_gc_interval: Option<String>,
    // Accepted and ignored: Drover has no deployments, CSI, ACL tokens
    // or keyring to collect yet.
    deployment_gc_threshold: Option<String>,
    csi_volume_claim_gc_interval: Option<String>,
    csi_volume_claim_gc_threshold: Option<String>,
    csi_plugin_gc_threshold: Option<String>,
    acl_token_gc_threshold: Option<String>,
    root_key_gc_interval: Option<String>,
    root_key_gc_threshold: Option<String>,
    encrypt: Option<String>,
    /// Events kept for `/v1/event/stream` (Nomad's `event_buffer_size`).
    event_buffer_size: Option<usize>,
}

#[allow(dead_code)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServerJoin {
    retry_join: Option<Vec<String>>,
    retry_interval: Option<String>,
    retry_max: Option<i64>,
}

fn parse_ip(field: &str, s: &str) -> Result<IpAddr, ConfigError> {
    s.parse()
        .map_err(|_| invalid(field, format!("{s:?} is not an IP address")))
}

impl AgentConfig {
    /// Merges the agent file at `path` over `self`.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let shown = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let src = crate::jobspec::normalize(&src);
        let file: FileConfig = hcl::from_str(&src.text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let at = |field: &str| format!("{shown}: {field}");
        if let Some(v) = file.region {
            self.region = v;
        }
        if let Some(v) = file.datacenter {
            self.datacenter = v;
        }
        if let Some(v) = file.name {
            self.name = v;
        }
        if let Some(v) = file.data_dir {
            self.data_dir = Some(v.into());
        }
        if let Some(v) = file.bind_addr {
            self.bind_addr = parse_ip(&at("bind_addr"), &v)?;
        }
        if let Some(v) = file.log_level {
            self.log_level =
                LogLevel::parse(&v).map_err(|e| invalid(&at("log_level"), e.to_string()))?;
        }
        if let Some(v) = file.log_json {
            self.log_json = v;
        }
        if let Some(p) = file.ports {
            self.http_port = p.http.unwrap_or(self.http_port);
            self.rpc_port = p.rpc.unwrap_or(self.rpc_port);
        }
        if let Some(a) = file.advertise {
            self.advertise_http = a.http.or(self.advertise_http.take());
            self.advertise_rpc = a.rpc.or(self.advertise_rpc.take());
        }
        if let Some(s) = file.server {
            self.server = s.enabled.unwrap_or(self.server);
            self.bootstrap_expect = s.bootstrap_expect.unwrap_or(self.bootstrap_expect);
            if let Some(j) = s.retry_join {
                self.retry_join = j;
            }
            if let Some(j) = s.server_join.and_then(|j| j.retry_join) {
                self.retry_join = j;
            }
            if let Some(n) = s.num_schedulers {
                self.num_schedulers = Some(n);
            }
            if let Some(n) = s.event_buffer_size {
                self.event_buffer_size = n;
            }
            let duration = |field: &str, v: &str| {
                crate::jobspec::parse_duration(v)
                    .ok()
                    .filter(|ns| *ns >= 0)
                    .map(|ns| std::time::Duration::from_nanos(ns as u64))
                    .ok_or_else(|| invalid(&at(field), format!("{v:?} is not a duration")))
            };
            if let Some(v) = &s.heartbeat_grace {
                self.heartbeat_grace = duration("server.heartbeat_grace", v)?;
            }
            if let Some(v) = &s.min_heartbeat_ttl {
                self.min_heartbeat_ttl = duration("server.min_heartbeat_ttl", v)?;
            }
            let keys = GcKeys {
                eval_gc_threshold: s.eval_gc_threshold.as_deref(),
                batch_eval_gc_threshold: s.batch_eval_gc_threshold.as_deref(),
                job_gc_threshold: s.job_gc_threshold.as_deref(),
                node_gc_threshold: s.node_gc_threshold.as_deref(),
                eval_gc_interval: s.eval_gc_interval.as_deref(),
                job_gc_interval: s.job_gc_interval.as_deref(),
                node_gc_interval: s.node_gc_interval.as_deref(),
            };
            gc_file::merge(&mut self.gc, &shown, keys)?;
        }
        http_file::merge(self, &shown, file.http_api, file.limits)?;
        consul_file::merge(self, &shown, file.consul_compat)?;
        let client_err = |e: crate::client::config::ClientConfigError| ConfigError::Invalid {
            field: e.field,
            rule: e.rule,
        };
        if let Some(c) = &file.client
            && let Some(enabled) = self
                .client_config
                .merge_file(&shown, c)
                .map_err(client_err)?
        {
            self.client = enabled;
        }
        if let Some(p) = &file.plugin {
            self.client_config
                .merge_plugins(&shown, p)
                .map_err(client_err)?;
        }
        Ok(())
    }

    /// Checks the merged configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.server && !self.client && !self.dev {
            return Err(invalid(
                "agent",
                "must run as a server (-server), a client (-client) or in dev mode (-dev)",
            ));
        }
        if self.client && !self.server && !self.dev && self.client_config.servers.is_empty() {
            return Err(invalid(
                "client.servers",
                "a client needs the servers' HTTP addresses (-servers ADDR,... or client { servers = [...] })",
            ));
        }
        if self.region.is_empty() || self.region.contains(' ') {
            return Err(invalid("region", "must be a non-empty name without spaces"));
        }
        if self.datacenter.is_empty() || self.datacenter.contains(' ') {
            return Err(invalid(
                "datacenter",
                "must be a non-empty name without spaces",
            ));
        }
        if self.server && !self.dev {
            if self.data_dir.is_none() {
                return Err(invalid("data_dir", "a server needs -data-dir"));
            }
            if self.bootstrap_expect == 0 && self.retry_join.is_empty() {
                return Err(invalid(
                    "bootstrap_expect",
                    "a server needs -bootstrap-expect N (N >= 1) or -retry-join ADDR to join a cluster",
                ));
            }
        }
        if self.http_port != 0 && self.http_port == self.rpc_port {
            return Err(invalid("ports", "http and rpc must differ"));
        }
        for addr in &self.retry_join {
            if addr.is_empty() || addr.contains(' ') {
                return Err(invalid("retry_join", format!("{addr:?} is not an address")));
            }
        }
        gc_file::validate(&self.gc)?;
        consul_file::validate(self)?;
        http_file::validate(self)
    }

    /// `host:port` for `retry_join` entries given without a port.
    pub fn join_addrs(&self) -> Vec<String> {
        self.retry_join
            .iter()
            .map(|a| {
                if a.parse::<std::net::SocketAddr>().is_ok()
                    || a.rsplit_once(':')
                        .is_some_and(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
                {
                    a.clone()
                } else {
                    format!("{a}:{}", drover_raft::DEFAULT_RPC_PORT)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(f.path(), text).expect("write");
        f
    }

    #[test]
    fn reads_nomads_agent_file_layout() {
        let f = file(
            r#"
data_dir  = "/var/lib/drover"
bind_addr = "127.0.0.2"
datacenter = "eu-west-1a"
ports { http = 5646  rpc = 5647 }
server {
  enabled          = true
  bootstrap_expect = 3
  event_buffer_size = 500
  server_join { retry_join = ["127.0.0.3:5647", "127.0.0.4"] }
}
"#,
        );
        let mut c = AgentConfig::default();
        c.merge_file(f.path()).expect("parse");
        assert_eq!(c.data_dir, Some(PathBuf::from("/var/lib/drover")));
        assert_eq!(c.bind_addr.to_string(), "127.0.0.2");
        assert_eq!((c.http_port, c.rpc_port), (5646, 5647));
        assert!(c.server);
        assert_eq!(c.bootstrap_expect, 3);
        assert_eq!(c.event_buffer_size, 500);
        assert_eq!(c.datacenter, "eu-west-1a");
        assert_eq!(c.join_addrs(), vec!["127.0.0.3:5647", "127.0.0.4:4647"]);
        c.validate().expect("valid");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_file() {
        let f = file("server { enabled = true\n bogus = 1 }\n");
        let err = AgentConfig::default()
            .merge_file(f.path())
            .expect_err("unknown");
        let text = err.to_string();
        assert!(text.contains(&f.path().display().to_string()), "{text}");
        assert!(text.contains("bogus"), "{text}");

        let f = file("bind_addr = \"not-an-ip\"\n");
        let err = AgentConfig::default()
            .merge_file(f.path())
            .expect_err("bad ip");
        assert!(err.to_string().contains("bind_addr"), "{err}");
    }

    #[test]
    fn log_level_and_json_come_from_the_file() {
        let f = file("log_level = \"WARN\"\nlog_json = true\n");
        let mut c = AgentConfig::default();
        c.merge_file(f.path()).expect("parse");
        assert_eq!((c.log_level, c.log_json), (LogLevel::Warn, true));

        let f = file("log_level = \"loud\"\n");
        let err = AgentConfig::default()
            .merge_file(f.path())
            .expect_err("bad level");
        let text = err.to_string();
        assert!(text.contains("log_level"), "{text}");
        assert!(text.contains("trace, debug, info, warn, error"), "{text}");
    }

    #[test]
    fn a_server_needs_a_data_dir_and_a_way_to_form() {
        let c = AgentConfig {
            server: true,
            ..AgentConfig::default()
        };
        assert!(
            c.validate()
                .expect_err("no dir")
                .to_string()
                .contains("data_dir")
        );
        let c = AgentConfig {
            server: true,
            data_dir: Some("/tmp/x".into()),
            ..AgentConfig::default()
        };
        assert!(
            c.validate()
                .expect_err("no expect")
                .to_string()
                .contains("bootstrap_expect")
        );
        assert!(AgentConfig::default().validate().is_err());
    }
}
