//! Starting the client role: its settings from the agent's, its drivers,
//! and, for an agent that runs only the client, its own HTTP listener.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, put};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{AgentConfig, AgentError};
use crate::api::extract::Query;
use crate::api::params::Params;
use crate::client::{Client, ClientConfig};

/// The client's settings: the agent's names and addresses over what the
/// `client` block and flags gave. `servers` defaults to this agent's own
/// HTTP address when it also runs the server.
pub fn client_config(config: &AgentConfig, data_dir: &Path, http_addr: &str) -> ClientConfig {
    let mut c = config.client_config.clone();
    c.data_dir = data_dir.to_path_buf();
    c.region = config.region.clone();
    c.datacenter = config.datacenter.clone();
    if c.node_name.is_empty() {
        c.node_name = config.name.clone();
    }
    if c.network_address.is_none() && !config.bind_addr.is_unspecified() {
        c.network_address = Some(config.bind_addr);
    }
    c.http_addr = http_addr.to_string();
    if c.servers.is_empty() && (config.server || config.dev) {
        c.servers = vec![format!("http://{http_addr}")];
    }
    c
}

/// Starts the client role with the default drivers.
pub async fn start_client(config: ClientConfig) -> Result<Client, AgentError> {
    let drivers = crate::client::driver::defaults(&config);
    Client::start(config, drivers)
        .await
        .map_err(|e| AgentError::Client(e.to_string()))
}

/// An agent that runs only the client role.
pub struct ClientAgent {
    pub client: Client,
    pub http_addr: SocketAddr,
    http: tokio::task::JoinHandle<()>,
    stop_http: CancellationToken,
}

impl ClientAgent {
    pub async fn start(config: AgentConfig) -> Result<ClientAgent, AgentError> {
        let addr = SocketAddr::new(config.bind_addr, config.http_port);
        let l = TcpListener::bind(addr)
            .await
            .map_err(|source| AgentError::Bind {
                what: "http",
                addr,
                source,
            })?;
        Self::start_with_listener(config, l).await
    }

    pub async fn start_with_listener(
        config: AgentConfig,
        http: TcpListener,
    ) -> Result<ClientAgent, AgentError> {
        config.validate()?;
        let data_dir = config.data_dir.clone().ok_or_else(|| {
            AgentError::Config(super::ConfigError::Invalid {
                field: "data_dir".into(),
                rule: "a client needs -data-dir".into(),
            })
        })?;
        let http_addr = http.local_addr().map_err(|source| AgentError::Bind {
            what: "http",
            addr: SocketAddr::new(config.bind_addr, config.http_port),
            source,
        })?;
        let advertised = super::advertised(&config.advertise_http, http_addr);
        let cc = client_config(&config, &data_dir, &advertised);
        let client = start_client(cc).await?;
        let api = crate::api::ApiConfig {
            allowed_origins: config.allowed_origins.clone(),
            host_names: std::iter::once(client.shared.node().name.clone())
                .chain(config.advertise_http.clone())
                .collect(),
            limits: config.http_limits,
        };
        let router = crate::api::guarded(router(&config, &client), &api);
        let stop_http = CancellationToken::new();
        let stopped = stop_http.clone();
        let limits = config.http_limits;
        let http_task =
            tokio::spawn(async move {
                if let Err(e) = crate::api::serve_router(http, router, limits, async move {
                    stopped.cancelled().await
                })
                .await
                {
                    tracing::warn!(error = %e, "client http listener failed");
                }
            });
        tracing::info!(http = %http_addr, node = %client.node_id(), "client agent started");
        Ok(ClientAgent {
            client,
            http_addr,
            http: http_task,
            stop_http,
        })
    }

    /// Stops the client (its tasks keep running) and the listener.
    pub async fn shutdown(self) {
        self.stop_http.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.http).await;
        self.client.shutdown().await;
    }
}

/// The client agent's own endpoints: what it is, whether it is well, its
/// servers (`/v1/agent/servers`, read and replaced), its log
/// (`/v1/agent/monitor`), and the `/v1/client/*` endpoints of its
/// allocations. Server-only endpoints (`join`, `force-leave`) answer 501
/// as Nomad's client agents do.
fn router(config: &AgentConfig, client: &Client) -> Router {
    let shared = client.shared.clone();
    let region = config.region.clone();
    let dc = config.datacenter.clone();
    let for_list = client.shared.clone();
    let for_set = client.shared.clone();
    let node_id = client.shared.identity.node_id.clone();
    let name = client.shared.node().name.clone();
    let self_info = move || {
        let node = shared.node();
        json!({
            "config": {
                "Region": region,
                "Datacenter": dc,
                "NodeName": node.name,
                "Version": { "Version": crate::VERSION },
                "Server": { "Enabled": false },
                "Client": shared.agent_config(),
                "Addresses": { "HTTP": node.http_addr },
            },
            "stats": { "client": shared.agent_stats() },
        })
    };
    Router::new()
        .route(
            "/v1/agent/self",
            get(move || {
                let body = self_info();
                async move { axum::Json(body) }
            }),
        )
        .route(
            "/v1/agent/health",
            get(|| async { axum::Json(json!({ "client": { "ok": true, "message": "ok" } })) }),
        )
        .route(
            "/v1/agent/servers",
            get(move || {
                // Sorted, as Nomad lists them.
                let mut body = for_list.servers();
                body.sort();
                async move { axum::Json(body) }
            })
            .put({
                let shared = for_set.clone();
                move |Query(q): Params| {
                    let r = crate::api::agent::set_client_servers(&shared, &q);
                    async move { r }
                }
            })
            .post(move |Query(q): Params| {
                let r = crate::api::agent::set_client_servers(&for_set, &q);
                async move { r }
            }),
        )
        .route(
            "/v1/agent/monitor",
            get(move |Query(q): Params| {
                let is_self = |id: &str| id == node_id || id == name;
                let r = crate::api::agent_monitor::parse(&q, is_self)
                    .map(crate::api::agent_monitor::respond);
                async move { r }
            }),
        )
        .route(
            "/v1/agent/join",
            put(crate::api::agent_join::not_a_server).post(crate::api::agent_join::not_a_server),
        )
        .route(
            "/v1/agent/force-leave",
            put(crate::api::agent_join::not_a_server).post(crate::api::agent_join::not_a_server),
        )
        .merge(crate::client::http::router(client.shared.clone()))
}
