//! Shared helpers of the end-to-end tests: in-process clusters of real
//! agents (real Raft over TCP, real sled, real HTTP) on port 0, an HTTP
//! client, and waits with deadlines.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use drover::agent::{Agent, AgentConfig};
use serde_json::Value;
use tokio::net::TcpListener;

/// The test output (at `DROVER_TEST_LOG`, default warnings) and, as the
/// agent binary has, the layer `/v1/agent/monitor` streams from.
pub fn init_tracing() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("DROVER_TEST_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,openraft=error"));
        let output = tracing_subscriber::fmt::layer()
            .with_test_writer()
            .with_filter(filter);
        let _ = tracing_subscriber::registry()
            .with(output)
            .with(drover::agent::log_monitor::layer())
            .try_init();
    });
}

/// Polls `check` until it yields a value or `within` passes.
pub async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A cluster of in-process server agents.
pub struct TestCluster {
    pub agents: Vec<Option<Agent>>,
    pub dirs: Vec<tempfile::TempDir>,
    pub http: Vec<String>,
    pub rpc: Vec<String>,
    pub client: reqwest::Client,
}

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind port 0")
}

impl TestCluster {
    /// Starts `n` servers that bootstrap together and waits for a leader.
    pub async fn start(n: usize) -> Self {
        Self::start_with(n, |_| {}).await
    }

    /// Like [`TestCluster::start`], with `tune` adjusting each config.
    pub async fn start_with(n: usize, tune: impl Fn(&mut AgentConfig)) -> Self {
        init_tracing();
        let mut https = Vec::new();
        let mut rpcs = Vec::new();
        for _ in 0..n {
            https.push(listener().await);
            rpcs.push(listener().await);
        }
        let rpc: Vec<String> = rpcs
            .iter()
            .map(|l| l.local_addr().expect("addr").to_string())
            .collect();
        let http: Vec<String> = https
            .iter()
            .map(|l| format!("http://{}", l.local_addr().expect("addr")))
            .collect();
        let mut agents = Vec::new();
        let mut dirs = Vec::new();
        for (h, r) in https.into_iter().zip(rpcs) {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut config = Self::config(dir.path(), n, &rpc);
            tune(&mut config);
            agents.push(Some(
                Agent::start_with_listeners(config, h, r)
                    .await
                    .expect("agent starts"),
            ));
            dirs.push(dir);
        }
        let cluster = TestCluster {
            agents,
            dirs,
            http,
            rpc,
            client: reqwest::Client::new(),
        };
        cluster.wait_leader().await;
        cluster
    }

    fn config(dir: &std::path::Path, n: usize, rpc: &[String]) -> AgentConfig {
        AgentConfig {
            server: true,
            data_dir: Some(dir.to_path_buf()),
            bind_addr: std::net::Ipv4Addr::LOCALHOST.into(),
            bootstrap_expect: n,
            retry_join: rpc.to_vec(),
            name: "test".into(),
            ..AgentConfig::default()
        }
    }

    /// Stops server `i` (its data directory stays).
    pub async fn stop(&mut self, i: usize) {
        if let Some(a) = self.agents[i].take() {
            a.shutdown().await;
        }
    }

    /// The index of the current leader among running servers.
    pub async fn wait_leader(&self) -> usize {
        wait_for("a leader", Duration::from_secs(20), || async {
            self.agents.iter().enumerate().find_map(|(i, a)| {
                a.as_ref()
                    .filter(|a| a.server.raft().is_leader())
                    .map(|_| i)
            })
        })
        .await
    }

    pub fn follower(&self, leader: usize) -> usize {
        (0..self.agents.len())
            .find(|i| *i != leader && self.agents[*i].is_some())
            .expect("a running follower")
    }

    pub fn url(&self, i: usize, path: &str) -> String {
        format!("{}{}", self.http[i], path)
    }

    pub async fn get(&self, i: usize, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(self.url(i, path))
            .send()
            .await
            .expect("GET");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn put(&self, i: usize, path: &str, body: &Value) -> (u16, Value) {
        self.send_put(i, path, body, None).await
    }

    /// A PUT on a node's behalf: `token` is the node's secret ID, sent as
    /// `X-Nomad-Token` as Nomad's clients do.
    pub async fn put_as(&self, i: usize, path: &str, body: &Value, token: &str) -> (u16, Value) {
        self.send_put(i, path, body, Some(token)).await
    }

    async fn send_put(
        &self,
        i: usize,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self.client.put(self.url(i, path)).json(body);
        if let Some(token) = token {
            req = req.header("X-Nomad-Token", token);
        }
        let resp = req.send().await.expect("PUT");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A PUT of raw bytes to server 0; the answer as text.
    pub async fn put_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let r = self
            .client
            .put(self.url(0, path))
            .body(body)
            .send()
            .await
            .expect("PUT");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    pub async fn delete(&self, i: usize, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .delete(self.url(i, path))
            .send()
            .await
            .expect("DELETE");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn shutdown(mut self) {
        for i in 0..self.agents.len() {
            self.stop(i).await;
        }
    }
}

/// A small valid job in the API's JSON form.
pub fn job_json(id: &str, count: i64) -> Value {
    serde_json::json!({
        "ID": id,
        "Name": id,
        "Type": "service",
        "Datacenters": ["dc1"],
        "TaskGroups": [{
            "Name": "cache",
            "Count": count,
            "Tasks": [{
                "Name": "redis",
                "Driver": "docker",
                "Config": { "image": "redis:3.2" },
                "Resources": { "CPU": 500, "MemoryMB": 256 }
            }]
        }]
    })
}

pub fn register_body(job: Value, check_index: Option<u64>) -> Value {
    match check_index {
        Some(i) => serde_json::json!({ "Job": job, "EnforceIndex": true, "JobModifyIndex": i }),
        None => serde_json::json!({ "Job": job }),
    }
}

/// The secret ID the tests' nodes register with (see `node_json`).
pub fn node_secret(node_id: &str) -> String {
    format!("secret-{node_id}")
}
