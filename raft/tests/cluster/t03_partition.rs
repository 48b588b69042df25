use std::time::Duration;

use crate::support::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minority_cannot_commit_and_all_converge_after_healing() {
    let cluster = TestCluster::start(5).await;
    let leader = cluster.wait_leader().await;
    cluster.write(leader, "before", "1").await;

    // The old leader and one follower form the minority.
    let follower = (0..5).find(|i| *i != leader).expect("follower");
    let minority = [leader, follower];
    let majority: Vec<usize> = (0..5).filter(|i| !minority.contains(i)).collect();
    let names = |ids: &[usize]| {
        ids.iter()
            .map(|i| cluster.addrs[*i].clone())
            .collect::<Vec<_>>()
    };
    cluster.net.partition(&names(&minority), &names(&majority));

    // A write on the minority side cannot commit.
    let stuck = tokio::time::timeout(
        Duration::from_secs(2),
        cluster.node(leader).write(b"lost=1".to_vec()),
    )
    .await;
    assert!(
        !matches!(stuck, Ok(Ok(_))),
        "the minority committed a write: {stuck:?}"
    );

    // The majority elects a leader and keeps committing.
    let new = cluster.wait_leader_among(&majority).await;
    for k in 0..20 {
        cluster.write(new, &format!("m{k}"), "1").await;
    }

    cluster.net.heal();
    let leader = cluster.wait_leader().await;
    let state = cluster.wait_converged(leader).await;
    assert_eq!(state.len(), 21, "before + 20 majority writes: {state:?}");
    assert!(!state.contains_key("lost"), "an uncommitted write survived");
    for m in cluster.members.values() {
        assert_eq!(m.kv.dump(), state);
    }
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_cut_off_one_way_is_replaced_and_converges() {
    let cluster = TestCluster::start(3).await;
    let old = cluster.wait_leader().await;
    cluster.write(old, "before", "1").await;

    // The leader's messages no longer reach the others; theirs still reach it.
    for i in (0..3).filter(|i| *i != old) {
        cluster
            .net
            .cut_one_way(&cluster.addrs[old], &cluster.addrs[i]);
    }
    let others: Vec<usize> = (0..3).filter(|i| *i != old).collect();
    let new = cluster.wait_leader_among(&others).await;
    assert_ne!(new, old);
    for k in 0..10 {
        cluster.write(new, &format!("n{k}"), "1").await;
    }

    cluster.net.heal();
    let leader = cluster.wait_leader().await;
    let state = cluster.wait_converged(leader).await;
    assert_eq!(state.len(), 11);
    cluster.shutdown().await;
}
