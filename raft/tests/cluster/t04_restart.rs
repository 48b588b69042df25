use drover_raft::RaftConfig;

use crate::support::{DEADLINE, TestCluster, fast};

fn compacting(config: &mut RaftConfig) {
    fast(config);
    config.snapshot_every = 40;
    config.logs_to_keep = 5;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_follower_catches_up_from_the_log() {
    let mut cluster = TestCluster::start(3).await;
    let leader = cluster.wait_leader().await;
    let follower = (0..3).find(|i| *i != leader).expect("follower");
    cluster.write(leader, "x", "1").await;
    cluster.stop_node(follower).await;
    for k in 0..20 {
        cluster.write(leader, &format!("k{k}"), "1").await;
    }
    cluster.start_node(follower).await;
    let state = cluster.wait_converged(leader).await;
    assert_eq!(state.len(), 21);
    assert_eq!(cluster.members[&follower].kv.dump(), state);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_follower_behind_compacted_log_catches_up_by_snapshot() {
    let mut cluster = TestCluster::start_with(3, compacting).await;
    let leader = cluster.wait_leader().await;
    let follower = (0..3).find(|i| *i != leader).expect("follower");
    cluster.write(leader, "first", "1").await;
    let behind = cluster
        .node(follower)
        .raft()
        .metrics()
        .borrow()
        .last_applied
        .map(|l| l.index)
        .unwrap_or(0);
    cluster.stop_node(follower).await;

    for k in 0..200 {
        cluster
            .write(leader, &format!("k{k}"), &k.to_string())
            .await;
    }
    // The leader has compacted its log past what the follower holds.
    cluster
        .node(leader)
        .raft()
        .wait(Some(DEADLINE))
        .metrics(
            |m| m.purged.is_some_and(|p| p.index > behind + 1),
            "leader purges the log the follower lacks",
        )
        .await
        .expect("leader compacts its log");

    cluster.start_node(follower).await;
    let state = cluster.wait_converged(leader).await;
    assert_eq!(state.len(), 201);
    let m = cluster.node(follower).raft().metrics().borrow().clone();
    assert!(
        m.snapshot.is_some_and(|s| s.index > behind),
        "the follower installed a snapshot: {:?}",
        m.snapshot
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_cluster_restarted_from_disk_keeps_every_acknowledged_write() {
    let mut cluster = TestCluster::start_with(3, compacting).await;
    let leader = cluster.wait_leader().await;
    let ids: Vec<u64> = (0..3).map(|i| cluster.node(i).id()).collect();
    for k in 0..150 {
        cluster
            .write(leader, &format!("k{k}"), &k.to_string())
            .await;
    }
    for i in 0..3 {
        cluster.stop_node(i).await;
    }
    for i in 0..3 {
        cluster.start_node(i).await;
    }
    let leader = cluster.wait_leader().await;
    // Same servers, same membership: restarts never bootstrap a second cluster.
    let mut voters: Vec<u64> = cluster
        .node(leader)
        .info()
        .voters
        .iter()
        .map(|v| v.0)
        .collect();
    voters.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(voters, expected);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(cluster.node(i).id(), *id, "server {i} keeps its id");
    }

    cluster.write(leader, "after", "1").await;
    let state = cluster.wait_converged(leader).await;
    for k in 0..150 {
        assert_eq!(
            state.get(&format!("k{k}")),
            Some(&k.to_string()),
            "acknowledged write k{k} lost"
        );
    }
    assert!(state.contains_key("after"));
    cluster.shutdown().await;
}
