//! Test fixtures: a cluster of servers on the in-memory transport, and waits
//! with deadlines. The toy state machine and the transport are in
//! `drover_raft::testing`; `t06_tcp.rs` runs on the real TCP transport.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Once};
use std::time::Duration;

pub use drover_raft::testing::{Kv, MemNetwork};
use drover_raft::{Committed, RaftConfig, RaftNode};
use tempfile::TempDir;

pub const DEADLINE: Duration = Duration::from_secs(20);

pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,openraft=error".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
}

// ---------------------------------------------------------------- cluster

pub struct Member {
    pub node: RaftNode,
    pub kv: Kv,
}

/// A cluster of servers on the in-memory network, each with a data directory.
pub struct TestCluster {
    pub net: Arc<MemNetwork>,
    pub dir: TempDir,
    pub addrs: Vec<String>,
    pub members: BTreeMap<usize, Member>,
    pub tune: fn(&mut RaftConfig),
}

pub fn fast(config: &mut RaftConfig) {
    config.heartbeat_interval = Duration::from_millis(50);
    config.election_timeout = (Duration::from_millis(300), Duration::from_millis(600));
    config.retry_interval = Duration::from_millis(100);
}

impl TestCluster {
    pub async fn start(n: usize) -> Self {
        Self::start_with(n, fast).await
    }

    pub async fn start_with(n: usize, tune: fn(&mut RaftConfig)) -> Self {
        init_tracing();
        let mut cluster = TestCluster {
            net: Arc::new(MemNetwork::default()),
            dir: tempfile::tempdir().expect("tempdir"),
            addrs: (0..n).map(|i| format!("server-{i}:4647")).collect(),
            members: BTreeMap::new(),
            tune,
        };
        for i in 0..n {
            cluster.start_node(i).await;
        }
        cluster
    }

    pub fn config(&self, i: usize) -> RaftConfig {
        let mut config = RaftConfig::new(self.dir.path().join(format!("s{i}")), &self.addrs[i]);
        config.bootstrap_expect = self.addrs.len();
        config.retry_join = self.addrs.clone();
        (self.tune)(&mut config);
        config
    }

    /// Starts (or restarts from its data directory) server `i`.
    pub async fn start_node(&mut self, i: usize) {
        self.try_start_node(i).await.expect("start server");
    }

    pub async fn try_start_node(&mut self, i: usize) -> Result<(), drover_raft::StartError> {
        let kv = Kv::default();
        let addr = self.addrs[i].clone();
        let node = RaftNode::start(self.config(i), kv.clone(), self.net.transport(&addr)).await?;
        self.net.register(&addr, node.rpc_handler());
        self.members.insert(i, Member { node, kv });
        Ok(())
    }

    /// Stops server `i` as a crash would look from outside: it stops answering.
    pub async fn stop_node(&mut self, i: usize) {
        self.net.unregister(&self.addrs[i]);
        if let Some(m) = self.members.remove(&i) {
            m.node.shutdown().await;
        }
    }

    pub fn node(&self, i: usize) -> &RaftNode {
        &self.members[&i].node
    }

    /// Waits until the given servers agree on one leader among them, and
    /// returns its index.
    pub async fn wait_leader_among(&self, among: &[usize]) -> usize {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let leaders: HashSet<Option<u64>> = among
                .iter()
                .map(|i| self.node(*i).raft().metrics().borrow().current_leader)
                .collect();
            if leaders.len() == 1
                && let Some(Some(id)) = leaders.into_iter().next()
                && let Some(i) = among.iter().find(|i| self.node(**i).id() == id)
                && self.node(*i).is_leader()
            {
                return *i;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no single leader among {among:?} within {DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_leader(&self) -> usize {
        let live: Vec<usize> = self.members.keys().copied().collect();
        self.wait_leader_among(&live).await
    }

    /// Writes `key=value` through server `via` (forwarded to the leader).
    pub async fn write(&self, via: usize, key: &str, value: &str) -> Committed {
        self.node(via)
            .write_forwarded(format!("{key}={value}").into_bytes())
            .await
            .unwrap_or_else(|e| panic!("write {key} via {via}: {e}"))
    }

    /// Waits until every live server has applied `index`.
    pub async fn wait_applied(&self, index: u64) {
        for (i, m) in &self.members {
            m.node
                .raft()
                .wait(Some(DEADLINE))
                .applied_index_at_least(Some(index), &format!("server {i} applies {index}"))
                .await
                .unwrap_or_else(|e| panic!("server {i} did not apply {index}: {e}"));
        }
    }

    /// Waits until every live server holds the same map as server `of`.
    pub async fn wait_converged(&self, of: usize) -> BTreeMap<String, String> {
        let index = self
            .node(of)
            .raft()
            .metrics()
            .borrow()
            .last_applied
            .map(|l| l.index)
            .unwrap_or(0);
        self.wait_applied(index).await;
        let expected = self.members[&of].kv.dump();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        for (i, m) in &self.members {
            while m.kv.dump() != expected {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "server {i} did not converge"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        expected
    }

    pub async fn shutdown(mut self) {
        let ids: Vec<usize> = self.members.keys().copied().collect();
        for i in ids {
            self.stop_node(i).await;
        }
    }
}
