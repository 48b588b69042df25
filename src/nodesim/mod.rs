//! `drover nodesim`: many simulated client nodes in one process, for scale
//! tests. They register with the servers, keep heartbeating within the TTL
//! the servers grant, and report their allocations as running (and
//! stopped ones as complete) without starting anything.
//!
//! Allocations are watched with one blocking query over every allocation
//! changed since the last answer (`modified_after`), not one per node, so
//! thousands of nodes cost one long poll.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::ids;

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
    /// Concurrent requests.
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum NodesimError {
    #[error("no server answered: {0}")]
    Unreachable(String),
    #[error("server refused {what}: {status} {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Counters the simulator keeps (shared for reporting).
#[derive(Default)]
pub struct Stats {
    pub registered: AtomicU64,
    pub heartbeats: AtomicU64,
    pub reported: AtomicU64,
    pub errors: AtomicU64,
}

struct Sim {
    cfg: NodesimConfig,
    http: reqwest::Client,
    stats: Arc<Stats>,
}

impl Sim {
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        secret: Option<&str>,
    ) -> Result<(u16, Value, u64), NodesimError> {
        let mut last = String::new();
        for addr in &self.cfg.addresses {
            let mut req = self.http.request(method.clone(), format!("{addr}{path}"));
            if let Some(secret) = secret {
                req = req.header("X-Nomad-Token", secret);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let index = r
                        .headers()
                        .get("X-Nomad-Index")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let text = r.text().await.unwrap_or_default();
                    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    return Ok((status, value, index));
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(NodesimError::Unreachable(last))
    }

    fn node(&self, i: usize, id: &str, secret: &str) -> Value {
        let dc = &self.cfg.datacenters[i % self.cfg.datacenters.len()];
        let ip = format!("10.{}.{}.{}", 200 + i / 65_536 % 50, i / 256 % 256, i % 256);
        json!({"Node": {
            "ID": id,
            "SecretID": secret,
            "Name": format!("sim-{i}"),
            "Datacenter": dc,
            "HTTPAddr": format!("{ip}:4646"),
            "NodeClass": "sim",
            "Attributes": {
                "kernel.name": "linux", "os.name": "simulated", "cpu.arch": "amd64",
                "driver.docker": "1", "driver.raw_exec": "1",
                "unique.hostname": format!("sim-{i}"), "unique.network.ip-address": ip,
                "nomad.version": crate::VERSION,
            },
            "Drivers": {
                "docker": {"Detected": true, "Healthy": true, "HealthDescription": "Healthy"},
                "raw_exec": {"Detected": true, "Healthy": true, "HealthDescription": "Healthy"}
            },
            "NodeResources": {
                "Cpu": {"CpuShares": self.cfg.cpu},
                "Memory": {"MemoryMB": self.cfg.memory},
                "Disk": {"DiskMB": 100_000},
                "Networks": [{"Device": "eth0", "IP": ip, "MBits": 10_000}],
                "MinDynamicPort": 20000, "MaxDynamicPort": 32000
            }
        }})
    }

    async fn register(&self, i: usize, id: &str, secret: &str) -> Result<Duration, NodesimError> {
        let (status, body, _) = self
            .request(
                reqwest::Method::PUT,
                "/v1/node/register",
                Some(&self.node(i, id, secret)),
                None,
            )
            .await?;
        if status != 200 {
            return Err(NodesimError::Refused {
                what: format!("registration of node {id}"),
                status,
                body: body.to_string(),
            });
        }
        self.stats.registered.fetch_add(1, Ordering::Relaxed);
        Ok(ttl_of(&body))
    }
}

fn ttl_of(body: &Value) -> Duration {
    let ns = body["HeartbeatTTL"]
        .as_i64()
        .unwrap_or(10_000_000_000)
        .max(1_000_000_000);
    Duration::from_nanos(ns as u64)
}

/// Runs the simulation until `stop`; returns after registering every node
/// has been attempted (the loops keep running in the background tasks).
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
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.concurrency.max(1))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| NodesimError::Config(e.to_string()))?;
    let sim = Arc::new(Sim { cfg, http, stats });
    // Each node's ID and the secret that authenticates its calls.
    let ids_: Vec<(String, String)> = (0..sim.cfg.nodes)
        .map(|_| (ids::uuid(), ids::uuid()))
        .collect();

    // Register every node.
    let results: Vec<Result<Duration, NodesimError>> =
        futures::stream::iter(ids_.clone().into_iter().enumerate())
            .map(|(i, (id, secret)): (usize, (String, String))| {
                let sim = sim.clone();
                async move { sim.register(i, &id, &secret).await }
            })
            .buffer_unordered(sim.cfg.concurrency.max(1))
            .collect()
            .await;
    let mut ttl = Duration::from_secs(10);
    for r in results {
        ttl = ttl.max(r?);
    }
    let mine: Arc<HashMap<String, String>> = Arc::new(ids_.iter().cloned().collect());

    let hb = tokio::spawn(heartbeats(sim.clone(), ids_.clone(), ttl, stop.clone()));
    let watch = sim
        .cfg
        .report_running
        .then(|| tokio::spawn(report_allocs(sim.clone(), mine, stop.clone())));
    stop.cancelled().await;
    let _ = hb.await;
    if let Some(w) = watch {
        let _ = w.await;
    }
    Ok(())
}

/// Heartbeats every node about three times per TTL, spread over time.
async fn heartbeats(
    sim: Arc<Sim>,
    nodes: Vec<(String, String)>,
    ttl: Duration,
    stop: CancellationToken,
) {
    let period = ttl / 3;
    loop {
        let started = Instant::now();
        let sent = futures::stream::iter(nodes.clone())
            .map(|(id, secret): (String, String)| {
                let sim = sim.clone();
                async move {
                    let path = format!("/v1/node/{id}/heartbeat");
                    match sim
                        .request(reqwest::Method::PUT, &path, Some(&json!({})), Some(&secret))
                        .await
                    {
                        Ok((200, _, _)) => sim.stats.heartbeats.fetch_add(1, Ordering::Relaxed),
                        _ => sim.stats.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
            .buffer_unordered(sim.cfg.concurrency.max(1))
            .collect::<Vec<()>>();
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = sent => {}
        }
        let rest = period.saturating_sub(started.elapsed());
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(rest) => {}
        }
    }
}

/// Watches allocations and reports this simulator's as running (or
/// complete once the servers stop them).
async fn report_allocs(sim: Arc<Sim>, mine: Arc<HashMap<String, String>>, stop: CancellationToken) {
    let mut index = 0u64;
    let mut reported: HashMap<String, String> = HashMap::new();
    loop {
        let path =
            format!("/v1/allocations?index={index}&wait=10s&modified_after={index}&stale=true");
        let answer = tokio::select! {
            _ = stop.cancelled() => return,
            a = sim.request(reqwest::Method::GET, &path, None, None) => a,
        };
        let (list, new_index) = match answer {
            Ok((200, Value::Array(list), i)) => (list, i),
            _ => {
                sim.stats.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut by_node: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for a in list {
            let (Some(id), Some(node)) = (a["ID"].as_str(), a["NodeID"].as_str()) else {
                continue;
            };
            if !mine.contains_key(node) {
                continue;
            }
            let want = match (a["DesiredStatus"].as_str(), a["ClientStatus"].as_str()) {
                (Some("run"), Some("pending")) => "running",
                (Some("stop" | "evict"), Some("pending" | "running")) => "complete",
                _ => continue,
            };
            if reported.get(id).map(String::as_str) == Some(want) {
                continue;
            }
            reported.insert(id.to_string(), want.to_string());
            by_node
                .entry(node.to_string())
                .or_default()
                .push(json!({"ID": id, "ClientStatus": want}));
        }
        let sends = futures::stream::iter(by_node)
            .map(|(node, allocs)| {
                let sim = sim.clone();
                let secret = mine.get(&node).cloned().unwrap_or_default();
                async move {
                    let n = allocs.len() as u64;
                    let path = format!("/v1/node/{node}/allocations");
                    match sim
                        .request(
                            reqwest::Method::PUT,
                            &path,
                            Some(&json!({"Allocs": allocs})),
                            Some(&secret),
                        )
                        .await
                    {
                        Ok((200, _, _)) => sim.stats.reported.fetch_add(n, Ordering::Relaxed),
                        _ => sim.stats.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
            .buffer_unordered(sim.cfg.concurrency.max(1))
            .collect::<Vec<()>>();
        sends.await;
        index = index.max(new_index);
    }
}
