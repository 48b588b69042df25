//! Joining servers by address (no gossip: Raft membership) and the
//! leader's view of replication, asked from a follower.

use std::time::Duration;

use drover_raft::{JoinError, Joined, RaftNode};

use crate::support::{DEADLINE, Kv, TestCluster, fast};

/// Starts a server at `addr` that forms no cluster on its own; its
/// `retry_join` names nobody (as many as `expect` needs).
async fn lone_server(cluster: &TestCluster, addr: &str, expect: usize) -> RaftNode {
    let mut config = drover_raft::RaftConfig::new(cluster.dir.path().join(addr), addr);
    config.bootstrap_expect = expect;
    config.retry_join = (1..expect).map(|i| format!("nobody-{i}:4647")).collect();
    fast(&mut config);
    let node = RaftNode::start(config, Kv::default(), cluster.net.transport(addr))
        .await
        .expect("start");
    cluster.net.register(addr, node.rpc_handler());
    node
}

async fn wait_voters(node: &RaftNode, n: usize) {
    node.raft()
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.membership_config.membership().voter_ids().count() == n,
            "voter count",
        )
        .await
        .expect("voters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_joined_by_address_becomes_a_voter_and_health_sees_it() {
    let cluster = TestCluster::start(3).await;
    let leader = cluster.wait_leader().await;
    let follower = (0..3).find(|i| *i != leader).expect("follower");
    let new = lone_server(&cluster, "server-9:4647", 0).await;

    let joined = cluster
        .node(follower)
        .join("server-9:4647")
        .await
        .expect("join");
    assert_eq!(joined, Joined::Added { id: new.id() });
    wait_voters(cluster.node(leader), 4).await;
    // Again: nothing to do.
    let again = cluster.node(leader).join("server-9:4647").await;
    assert_eq!(again.ok(), Some(Joined::AlreadyMember));

    // The leader's view, asked from a follower: everyone answers.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let stats = loop {
        let stats = cluster.node(follower).cluster_stats().await.expect("stats");
        if stats.servers.len() == 4 && stats.servers.iter().all(|s| s.last_contact_ns.is_some()) {
            break stats;
        }
        assert!(tokio::time::Instant::now() < deadline, "{stats:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(stats.leader, cluster.node(leader).id());
    let me = stats
        .servers
        .iter()
        .find(|s| s.leader)
        .expect("the leader is listed");
    assert_eq!(me.last_contact_ns, Some(0));
    assert_eq!(me.last_index, stats.last_index);
    assert!(stats.servers.iter().all(|s| s.voter));

    new.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fresh_servers_joined_by_address_form_a_cluster() {
    let cluster = TestCluster::start(1).await;
    cluster.wait_leader().await;
    let a = lone_server(&cluster, "fresh-a:4647", 2).await;
    let b = lone_server(&cluster, "fresh-b:4647", 2).await;
    assert_eq!(a.join("fresh-b:4647").await.ok(), Some(Joined::Discovered));
    // `a` now finds `b`, and the two expected servers bootstrap.
    wait_voters(&a, 2).await;
    wait_voters(&b, 2).await;

    // A server of another cluster cannot be merged in.
    let refused = a.join(&cluster.addrs[0]).await;
    assert!(
        matches!(refused, Err(JoinError::OtherCluster { .. })),
        "{refused:?}"
    );
    // Nobody there.
    assert!(matches!(
        a.join("nobody:4647").await,
        Err(JoinError::Transport(_))
    ));
    a.shutdown().await;
    b.shutdown().await;
    cluster.shutdown().await;
}
