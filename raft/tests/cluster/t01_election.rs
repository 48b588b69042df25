use crate::support::TestCluster;

async fn elects_one_leader_and_replicates(n: usize) {
    let cluster = TestCluster::start(n).await;
    let leader = cluster.wait_leader().await;
    let leaders = cluster
        .members
        .values()
        .filter(|m| m.node.is_leader())
        .count();
    assert_eq!(leaders, 1, "exactly one leader in a {n}-node cluster");
    assert_eq!(cluster.node(leader).info().voters.len(), n);

    for k in 0..50 {
        // Writes through every server, followers forward to the leader.
        cluster
            .write(k % n, &format!("k{k}"), &format!("v{k}"))
            .await;
    }
    let state = cluster.wait_converged(leader).await;
    assert_eq!(state.len(), 50);
    assert_eq!(state.get("k49").map(String::as_str), Some("v49"));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_elect_one_leader_and_replicate() {
    elects_one_leader_and_replicates(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_elect_one_leader_and_replicate() {
    elects_one_leader_and_replicates(5).await;
}
