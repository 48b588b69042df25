//! `drover nodesim`: many simulated client nodes in one process, for scale
//! tests. They register with the servers, keep heartbeating within the TTL
//! the servers grant, and report their allocations as running (and
//! stopped ones as complete) without starting anything.
//!
//! Two ways to learn about allocations ([`WatchMode`]):
//! - `shared` (the default): one blocking query over every allocation
//!   changed since the last answer (`modified_after`), so thousands of
//!   nodes cost the servers one long poll;
//! - `per-node`: every node long-polls its own allocations with its secret
//!   (`client-allocs`), fetches the new or changed ones and reports them,
//!   as a real client does; this is the load real clients put on servers.
//!
//! Every call goes through the typed [`ApiClient`]; each node has a handle
//! carrying its secret, sharing one connection pool.

mod node;
mod per_node;
mod shared;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::api_client::{ApiClient, ApiClientError};
use crate::ids;
use crate::structs::{
    ALLOC_CLIENT_COMPLETE, ALLOC_CLIENT_PENDING, ALLOC_CLIENT_RUNNING, ALLOC_DESIRED_EVICT,
    ALLOC_DESIRED_RUN, ALLOC_DESIRED_STOP,
};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct NodesimConfig {
    /// HTTP addresses of servers (`http://host:4646`); tried in turn.
    pub addresses: Vec<String>,
    pub nodes: usize,
    pub datacenters: Vec<String>,
    /// CPU of each node in MHz.
    pub cpu: i64,
    /// Memory of each node in MB.
    pub memory: i64,
    /// Report placed allocations as running.
    pub report_running: bool,
    /// Concurrent requests of registration, heartbeats and the shared
    /// mode's reports.
    pub concurrency: usize,
    /// How the nodes learn about their allocations.
    pub watch: WatchMode,
}

/// How simulated nodes learn about their allocations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WatchMode {
    /// One blocking query over all allocations for every node.
    #[default]
    Shared,
    /// Each node long-polls its own allocations, as a real client.
    PerNode,
}

impl FromStr for WatchMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "shared" => Ok(WatchMode::Shared),
            "per-node" => Ok(WatchMode::PerNode),
            other => Err(format!("unknown watch mode {other:?}: shared or per-node")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NodesimError {
    #[error("registration of node {node} failed: {source}")]
    Register {
        node: String,
        #[source]
        source: ApiClientError,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Counters the simulator keeps (shared for reporting).
#[derive(Default)]
pub struct Stats {
    pub registered: AtomicU64,
    pub heartbeats: AtomicU64,
    /// Allocations reported running or complete.
    pub reported: AtomicU64,
    /// Answers to the nodes' own long polls (per-node mode).
    pub pulls: AtomicU64,
    /// Allocations fetched after a pull (per-node mode).
    pub fetched: AtomicU64,
    pub errors: AtomicU64,
}

impl Stats {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// One simulated node: its number, its ID, and an API handle that sends
/// its secret.
struct SimNode {
    number: usize,
    id: String,
    api: ApiClient,
}

/// What a simulated client reports for an allocation the servers show in
/// this state, if anything: a placed one runs, a stopped one completes.
fn report_for(desired: &str, client: &str) -> Option<&'static str> {
    match (desired, client) {
        (ALLOC_DESIRED_RUN, ALLOC_CLIENT_PENDING) => Some(ALLOC_CLIENT_RUNNING),
        (ALLOC_DESIRED_STOP | ALLOC_DESIRED_EVICT, ALLOC_CLIENT_PENDING | ALLOC_CLIENT_RUNNING) => {
            Some(ALLOC_CLIENT_COMPLETE)
        }
        _ => None,
    }
}

/// Sleeps `d` unless `stop` comes first; false when stopped.
async fn pause(d: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// Runs the simulation until `stop`. Fails only if the configuration is
/// unusable or a registration is refused.
pub async fn run(
    cfg: NodesimConfig,
    stats: Arc<Stats>,
    stop: CancellationToken,
) -> Result<(), NodesimError> {
    if cfg.nodes == 0 || cfg.datacenters.is_empty() || cfg.addresses.is_empty() {
        return Err(NodesimError::Config(
            "need at least one node, one datacenter and one server address".into(),
        ));
    }
    let concurrency = cfg.concurrency.max(1);
    // Per node, its long poll holds a connection most of the time: keep
    // one idle connection per node, or every answer would cost a new one.
    let pool = match cfg.watch {
        WatchMode::Shared => concurrency,
        WatchMode::PerNode => concurrency.max(cfg.nodes),
    };
    let api = ApiClient::builder(&cfg.addresses, None, Duration::from_secs(60), pool)
        .map_err(|e| NodesimError::Config(e.to_string()))?;
    let nodes: Vec<Arc<SimNode>> = (0..cfg.nodes)
        .map(|number| {
            Arc::new(SimNode {
                number,
                id: ids::uuid(),
                api: api.with_token(Some(ids::uuid())),
            })
        })
        .collect();

    let cfg = Arc::new(cfg);
    let results: Vec<Result<Duration, NodesimError>> = futures::stream::iter(nodes.clone())
        .map(|n| register(cfg.clone(), n, stats.clone()))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut ttl = Duration::from_secs(10);
    for r in results {
        ttl = ttl.max(r?);
    }

    let hb = tokio::spawn(heartbeats(
        nodes.clone(),
        ttl,
        concurrency,
        stats.clone(),
        stop.clone(),
    ));
    let watch = cfg.report_running.then(|| match cfg.watch {
        WatchMode::Shared => tokio::spawn(shared::run(
            api,
            nodes,
            concurrency,
            stats.clone(),
            stop.clone(),
        )),
        WatchMode::PerNode => tokio::spawn(per_node::run(nodes, stats.clone(), stop.clone())),
    });
    stop.cancelled().await;
    let _ = hb.await;
    if let Some(w) = watch {
        let _ = w.await;
    }
    Ok(())
}

/// Registers `node`; answers the heartbeat TTL the servers granted.
async fn register(
    cfg: Arc<NodesimConfig>,
    node: Arc<SimNode>,
    stats: Arc<Stats>,
) -> Result<Duration, NodesimError> {
    // The handle's token is the secret the node registers with.
    let secret = node.api.token().unwrap_or_default();
    let body = node::build(&cfg, node.number, &node.id, secret);
    let resp = node
        .api
        .node_register(&body)
        .await
        .map_err(|source| NodesimError::Register {
            node: node.id.clone(),
            source,
        })?;
    Stats::add(&stats.registered, 1);
    let ns = resp.heartbeat_ttl.max(1_000_000_000);
    Ok(Duration::from_nanos(ns as u64))
}

/// Heartbeats every node about three times per TTL, spread over time.
async fn heartbeats(
    nodes: Vec<Arc<SimNode>>,
    ttl: Duration,
    concurrency: usize,
    stats: Arc<Stats>,
    stop: CancellationToken,
) {
    let period = ttl / 3;
    loop {
        let started = Instant::now();
        let sent = futures::stream::iter(nodes.clone())
            .map(|n| {
                let stats = stats.clone();
                async move {
                    match n.api.node_heartbeat(&n.id).await {
                        Ok(_) => Stats::add(&stats.heartbeats, 1),
                        Err(_) => Stats::add(&stats.errors, 1),
                    }
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<()>>();
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = sent => {}
        }
        if !pause(period.saturating_sub(started.elapsed()), &stop).await {
            return;
        }
    }
}
