//! The `drover agent` process: configuration, start-up of the server role
//! and the HTTP API, and ordered shutdown.
//!
//! Shutdown order: stop accepting HTTP requests (in-flight ones finish
//! under a deadline, then their connections are closed), then shut Raft
//! down, which releases the data directory.

mod client_role;
pub mod config;
pub mod consul_file;
mod exposure;
mod gc_file;
mod http_file;
pub mod log_monitor;
pub mod logging;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use client_role::{ClientAgent, client_config};
pub use config::{AgentConfig, ConfigError};

use crate::server::{Server, ServerConfig};

/// How long in-flight HTTP requests may take once shutdown starts.
const HTTP_DRAIN: Duration = Duration::from_secs(5);
/// Raft entries between two snapshots of the state.
const SNAPSHOT_EVERY: u64 = 65_536;
/// How long the server (leader duties, then Raft) may take to stop.
const SERVER_STOP: Duration = Duration::from_secs(30);

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create a temporary data directory: {0}")]
    TempDir(std::io::Error),
    #[error(transparent)]
    Raft(#[from] drover_raft::StartError),
    #[error("cannot start the client: {0}")]
    Client(String),
}

/// Waits for the listener task `what` to finish its requests, up to
/// [`HTTP_DRAIN`], then drops what is left.
async fn drain(what: &'static str, mut task: tokio::task::JoinHandle<std::io::Result<()>>) {
    match tokio::time::timeout(HTTP_DRAIN, &mut task).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::warn!(listener = what, error = %e, "server failed"),
        Ok(Err(e)) => tracing::warn!(listener = what, error = %e, "server task failed"),
        Err(_) => {
            // Dropping the listener's task drops its connections.
            tracing::warn!(
                listener = what,
                "requests still running after the drain deadline; closing them"
            );
            task.abort();
        }
    }
}

/// A started agent: its addresses and the handles to stop it.
pub struct Agent {
    pub server: Server,
    /// The client role, when this agent runs it too (`-dev`, or
    /// `-server -client`).
    pub client: Option<crate::client::Client>,
    pub http_addr: SocketAddr,
    pub rpc_addr: SocketAddr,
    /// Where the Consul-compatible catalog listens, when enabled.
    pub consul_addr: Option<SocketAddr>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    consul: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    stop_http: CancellationToken,
    _temp_dir: Option<tempfile::TempDir>,
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, AgentError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AgentError::Bind { what, addr, source })
}

fn advertised(configured: &Option<String>, bound: SocketAddr) -> String {
    if let Some(a) = configured {
        return a.clone();
    }
    if bound.ip().is_unspecified() {
        return SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), bound.port()).to_string();
    }
    bound.to_string()
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "drover".into())
}

impl Agent {
    /// Binds the ports, starts the server role and serves the API.
    pub async fn start(config: AgentConfig) -> Result<Agent, AgentError> {
        let http = bind("http", SocketAddr::new(config.bind_addr, config.http_port)).await?;
        let rpc = bind("rpc", SocketAddr::new(config.bind_addr, config.rpc_port)).await?;
        Self::start_with_listeners(config, http, rpc).await
    }

    /// Starts on listeners the caller bound (tests bind port 0).
    pub async fn start_with_listeners(
        mut config: AgentConfig,
        http_listener: TcpListener,
        rpc_listener: TcpListener,
    ) -> Result<Agent, AgentError> {
        if config.dev {
            config.server = true;
            if config.bootstrap_expect == 0 {
                config.bootstrap_expect = 1;
            }
        }
        config.validate()?;
        let (data_dir, temp_dir): (PathBuf, _) = match &config.data_dir {
            Some(d) => (d.clone(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("drover-dev-")
                    .tempdir()
                    .map_err(AgentError::TempDir)?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let local = |what, l: &TcpListener| {
            l.local_addr().map_err(|source| AgentError::Bind {
                what,
                addr: SocketAddr::new(config.bind_addr, 0),
                source,
            })
        };
        let http_addr = local("http", &http_listener)?;
        let rpc_addr = local("rpc", &rpc_listener)?;
        exposure::warn_if_exposed(http_addr, rpc_addr);
        let rpc_advertise = advertised(&config.advertise_rpc, rpc_addr);
        let name = if config.name.is_empty() {
            host_name()
        } else {
            config.name.clone()
        };

        let mut raft = drover_raft::RaftConfig::new(data_dir.join("server"), rpc_advertise.clone());
        raft.bootstrap_expect = config.bootstrap_expect;
        // Entries are small and frequent (heartbeats are writes), while a
        // snapshot serialises the whole state: snapshot less often.
        raft.snapshot_every = SNAPSHOT_EVERY;
        raft.retry_join = config.join_addrs();
        let server_config = ServerConfig {
            region: config.region.clone(),
            datacenter: config.datacenter.clone(),
            node_name: name,
            http_addr: advertised(&config.advertise_http, http_addr),
            rpc_addr: rpc_advertise,
            bootstrap_expect: config.bootstrap_expect,
            min_heartbeat_ttl: config.min_heartbeat_ttl,
            heartbeat_grace: config.heartbeat_grace,
            event_buffer_size: config.event_buffer_size,
            event_heartbeat: config.event_heartbeat,
            gc: config.gc,
            num_schedulers: config
                .num_schedulers
                .unwrap_or_else(crate::server::default_workers),
            ..ServerConfig::default()
        };
        // The agent's own names, under which a page it served may write.
        let host_names = std::iter::once(server_config.node_name.clone())
            .chain(config.advertise_http.clone())
            .collect();
        let api_config = crate::api::ApiConfig {
            allowed_origins: config.allowed_origins.clone(),
            host_names,
            limits: config.http_limits,
        };
        // Bound before the server starts, so that a taken port fails fast.
        let consul_listener = match config.consul_compat {
            Some(addr) => Some(bind("consul_compat", addr).await?),
            None => None,
        };
        let consul_addr = match &consul_listener {
            Some(l) => Some(local("consul_compat", l)?),
            None => None,
        };
        let server = Server::start(server_config, raft, rpc_listener).await?;

        let stop_http = CancellationToken::new();
        let stopped = stop_http.clone();
        let local = crate::api::LocalClient::default();
        let http = tokio::spawn(crate::api::serve(
            http_listener,
            server.clone(),
            api_config,
            local.clone(),
            async move { stopped.cancelled().await },
        ));
        let consul = consul_listener.map(|l| {
            let stopped = stop_http.clone();
            tokio::spawn(crate::consul::serve(
                l,
                server.clone(),
                config.http_limits,
                async move { stopped.cancelled().await },
            ))
        });
        if let Some(addr) = consul_addr {
            tracing::info!(consul_compat = %addr, "serving the Consul-compatible catalog");
        }
        tracing::info!(http = %http_addr, rpc = %rpc_addr, data_dir = %data_dir.display(), "agent started");
        let client = if config.client || config.dev {
            let advertised = advertised(&config.advertise_http, http_addr);
            let cc = client_role::client_config(&config, &data_dir, &advertised);
            let client = client_role::start_client(cc).await?;
            local.set(client.shared.clone());
            Some(client)
        } else {
            None
        };
        Ok(Agent {
            server,
            client,
            http_addr,
            rpc_addr,
            consul_addr,
            http,
            consul,
            stop_http,
            _temp_dir: temp_dir,
        })
    }

    /// Stops the agent in order; returns once the data directory is free.
    pub async fn shutdown(self) {
        if let Some(c) = self.client {
            if self._temp_dir.is_some() {
                c.shutdown_and_stop_tasks().await;
            } else {
                c.shutdown().await;
            }
        }
        self.stop_http.cancel();
        drain("http", self.http).await;
        if let Some(consul) = self.consul {
            drain("consul_compat", consul).await;
        }
        if tokio::time::timeout(SERVER_STOP, self.server.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("server did not stop within {SERVER_STOP:?}; exiting anyway");
        }
        tracing::info!("agent stopped");
    }
}
