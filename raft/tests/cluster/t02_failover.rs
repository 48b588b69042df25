use crate::support::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_stopped_new_leader_elected_no_acknowledged_write_lost() {
    let mut cluster = TestCluster::start(3).await;
    let old = cluster.wait_leader().await;
    let mut acked = Vec::new();
    for k in 0..30 {
        cluster.write(old, &format!("a{k}"), "1").await;
        acked.push(format!("a{k}"));
    }

    cluster.stop_node(old).await;
    let rest: Vec<usize> = cluster.members.keys().copied().collect();
    let new = cluster.wait_leader_among(&rest).await;
    assert_ne!(new, old, "a stopped server cannot stay leader");

    let follower = *rest.iter().find(|i| **i != new).expect("a follower");
    for k in 0..30 {
        cluster.write(follower, &format!("b{k}"), "2").await;
        acked.push(format!("b{k}"));
    }
    let state = cluster.wait_converged(new).await;
    for key in &acked {
        assert!(state.contains_key(key), "acknowledged write {key} lost");
    }

    // The old leader comes back as a follower and catches up.
    cluster.start_node(old).await;
    let state = cluster.wait_converged(new).await;
    assert_eq!(cluster.members[&old].kv.dump(), state);
    assert!(!cluster.node(old).is_leader() || cluster.wait_leader().await == old);
    cluster.shutdown().await;
}
