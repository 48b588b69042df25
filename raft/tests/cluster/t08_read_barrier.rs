use std::time::Duration;

use crate::support::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_barrier_on_a_follower_sees_every_committed_write() {
    let cluster = TestCluster::start(3).await;
    let leader = cluster.wait_leader().await;
    let followers: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    for k in 0..50 {
        let committed = cluster
            .write(leader, &format!("k{k}"), &k.to_string())
            .await;
        // Right after the write is acknowledged, a follower's barrier must
        // cover it and its state must show it.
        let f = followers[k % 2];
        let index = cluster.node(f).read_barrier().await.expect("barrier");
        assert!(
            index >= committed.index,
            "read index {index} < {}",
            committed.index
        );
        assert_eq!(
            cluster.members[&f].kv.get(&format!("k{k}")),
            Some(k.to_string())
        );
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_barrier_in_a_minority_fails_instead_of_serving_stale_state() {
    let cluster = TestCluster::start(3).await;
    let leader = cluster.wait_leader().await;
    cluster.write(leader, "a", "1").await;
    let others: Vec<String> = (0..3)
        .filter(|i| *i != leader)
        .map(|i| cluster.addrs[i].clone())
        .collect();
    cluster
        .net
        .partition(&[cluster.addrs[leader].clone()], &others);
    let r =
        tokio::time::timeout(Duration::from_secs(10), cluster.node(leader).read_barrier()).await;
    assert!(
        !matches!(r, Ok(Ok(_))),
        "an isolated leader served a linearizable read: {r:?}"
    );
    cluster.net.heal();
    cluster.shutdown().await;
}
