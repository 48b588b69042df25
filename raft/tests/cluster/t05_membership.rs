use std::sync::Arc;

use drover_raft::{MembershipError, RaftNode, RemoteFailure};

use crate::support::{DEADLINE, Kv, MemNetwork, TestCluster, fast, init_tracing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_server_joins_through_retry_join_and_can_be_removed() {
    let mut cluster = TestCluster::start(3).await;
    let leader = cluster.wait_leader().await;
    cluster.write(leader, "before", "1").await;

    // A fourth server that expects no bootstrap joins the existing cluster.
    let addr = "server-3:4647".to_string();
    let mut config = drover_raft::RaftConfig::new(cluster.dir.path().join("s3"), &addr);
    config.bootstrap_expect = 0;
    config.retry_join = cluster.addrs.clone();
    fast(&mut config);
    let kv = Kv::default();
    let node = RaftNode::start(config, kv.clone(), cluster.net.transport(&addr))
        .await
        .expect("start");
    cluster.net.register(&addr, node.rpc_handler());
    node.raft()
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.membership_config.membership().voter_ids().count() == 4,
            "four voters",
        )
        .await
        .expect("the new server becomes a voter");
    let id = node.id();
    cluster.addrs.push(addr);
    cluster
        .members
        .insert(3, crate::support::Member { node, kv });
    let state = cluster.wait_converged(leader).await;
    assert_eq!(cluster.members[&3].kv.dump(), state);

    // Removed again, through a follower.
    let follower = (0..3).find(|i| *i != leader).expect("follower");
    cluster
        .node(follower)
        .remove_server(id)
        .await
        .expect("remove");
    cluster
        .node(leader)
        .raft()
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.membership_config.membership().voter_ids().count() == 3,
            "three voters",
        )
        .await
        .expect("the server is removed");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_and_address_clashes_at_join_are_refused() {
    let cluster = TestCluster::start(3).await;
    let leader = cluster.wait_leader().await;
    let existing = cluster.node((leader + 1) % 3).id();

    let err = cluster
        .node(leader)
        .add_server(existing, "elsewhere:4647".into())
        .await
        .expect_err("an id clash is refused");
    assert!(
        matches!(err, MembershipError::Remote(RemoteFailure::IdClash { id, .. }) if id == existing),
        "{err}"
    );
    assert!(err.to_string().contains("already used by server"), "{err}");

    let err = cluster
        .node(leader)
        .add_server(424242, cluster.addrs[(leader + 1) % 3].clone())
        .await
        .expect_err("an address clash is refused");
    assert!(
        matches!(
            err,
            MembershipError::Remote(RemoteFailure::AddrClash { .. })
        ),
        "{err}"
    );
    assert_eq!(
        cluster.node(leader).info().voters.len(),
        3,
        "nothing changed"
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_with_one_id_do_not_bootstrap() {
    init_tracing();
    let net = Arc::new(MemNetwork::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let addrs = ["a:4647".to_string(), "b:4647".to_string()];
    let mut nodes = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let mut config = drover_raft::RaftConfig::new(dir.path().join(format!("n{i}")), addr);
        config.node_id = Some(7);
        config.bootstrap_expect = 2;
        config.retry_join = addrs.to_vec();
        fast(&mut config);
        let node = RaftNode::start(config, Kv::default(), net.transport(addr))
            .await
            .expect("start");
        net.register(addr, node.rpc_handler());
        nodes.push(node);
    }
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while nodes[0].formation_error().is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no clash reported");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let err = nodes[0].formation_error().expect("error");
    assert!(err.contains("node id 7 is used by both"), "{err}");
    assert!(!nodes[0].info().initialized);
    for n in nodes {
        n.shutdown().await;
    }
}
