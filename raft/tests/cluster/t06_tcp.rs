//! The same guarantees on the real TCP transport and the real sled log.

use std::collections::BTreeMap;

use drover_raft::{RaftConfig, RaftNode};
use tokio::net::TcpListener;

use crate::support::{DEADLINE, Kv, fast, init_tracing};

struct TcpCluster {
    dir: tempfile::TempDir,
    addrs: Vec<String>,
    nodes: BTreeMap<usize, (RaftNode, Kv)>,
}

impl TcpCluster {
    async fn start(n: usize) -> Self {
        init_tracing();
        let mut listeners = Vec::new();
        for _ in 0..n {
            listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("bind"));
        }
        let addrs = listeners
            .iter()
            .map(|l| l.local_addr().expect("addr").to_string())
            .collect();
        let mut cluster = TcpCluster {
            dir: tempfile::tempdir().expect("tempdir"),
            addrs,
            nodes: BTreeMap::new(),
        };
        for (i, listener) in listeners.into_iter().enumerate() {
            cluster.start_on(i, listener).await;
        }
        cluster
    }

    async fn start_on(&mut self, i: usize, listener: TcpListener) {
        let mut config = RaftConfig::new(self.dir.path().join(format!("s{i}")), &self.addrs[i]);
        config.bootstrap_expect = self.addrs.len();
        config.retry_join = self.addrs.clone();
        fast(&mut config);
        let kv = Kv::default();
        let node = RaftNode::start_tcp(config, kv.clone(), listener)
            .await
            .expect("start");
        self.nodes.insert(i, (node, kv));
    }

    async fn restart(&mut self, i: usize) {
        // The port was released by the stopped server; bind it again.
        let listener = TcpListener::bind(&self.addrs[i]).await.expect("rebind");
        self.start_on(i, listener).await;
    }

    async fn stop(&mut self, i: usize) {
        if let Some((node, _)) = self.nodes.remove(&i) {
            node.shutdown().await;
        }
    }

    async fn leader(&self) -> usize {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let leaders: Vec<usize> = self
                .nodes
                .iter()
                .filter(|(_, (n, _))| n.is_leader())
                .map(|(i, _)| *i)
                .collect();
            let agreed = self.nodes.values().all(|(n, _)| {
                n.leader().borrow().as_ref().map(|l| l.id)
                    == leaders.first().map(|i| self.nodes[i].0.id())
            });
            if leaders.len() == 1 && agreed {
                return leaders[0];
            }
            assert!(tokio::time::Instant::now() < deadline, "no leader over tcp");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    async fn converged(&self, leader: usize) -> BTreeMap<String, String> {
        let index = self.nodes[&leader]
            .0
            .raft()
            .metrics()
            .borrow()
            .last_applied
            .map(|l| l.index)
            .unwrap_or(0);
        for (node, _) in self.nodes.values() {
            node.raft()
                .wait(Some(DEADLINE))
                .applied_index_at_least(Some(index), "applied")
                .await
                .expect("applies");
        }
        let state = self.nodes[&leader].1.dump();
        for (node, kv) in self.nodes.values() {
            assert_eq!(kv.dump(), state, "server {} differs", node.id());
        }
        state
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_cluster_fails_over_and_restarts_from_disk() {
    let mut cluster = TcpCluster::start(3).await;
    let leader = cluster.leader().await;
    let follower = (0..3).find(|i| *i != leader).expect("follower");
    for k in 0..40 {
        // Through a follower: forwarded to the leader over TCP.
        cluster.nodes[&follower]
            .0
            .write_forwarded(format!("k{k}={k}").into_bytes())
            .await
            .expect("write");
    }

    cluster.stop(leader).await;
    let new = cluster.leader().await;
    assert_ne!(new, leader);
    for k in 40..60 {
        cluster.nodes[&new]
            .0
            .write(format!("k{k}={k}").into_bytes())
            .await
            .expect("write after failover");
    }
    cluster.restart(leader).await;
    let state = cluster.converged(cluster.leader().await).await;
    assert_eq!(state.len(), 60);

    for i in 0..3 {
        cluster.stop(i).await;
    }
    for i in 0..3 {
        cluster.restart(i).await;
    }
    let leader = cluster.leader().await;
    let state = cluster.converged(leader).await;
    assert_eq!(
        state.len(),
        60,
        "every acknowledged write survives a full restart"
    );
}
