use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use drover::nodesim::{NodesimConfig, Stats, WatchMode, run};
use tokio_util::sync::CancellationToken;

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::seed_job;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_nodes_register_heartbeat_and_report_allocs_running() {
    simulate(WatchMode::Shared).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_nodes_that_each_long_poll_their_allocations_report_them() {
    let stats = simulate(WatchMode::PerNode).await;
    // Every node pulled at least once; the 40 placements and their 40
    // stops were each fetched.
    assert!(stats.pulls.load(Ordering::Relaxed) >= 200);
    assert!(stats.fetched.load(Ordering::Relaxed) >= 80);
}

/// 200 simulated nodes on a 3-server cluster learn about a job's 40
/// allocations, report them running, then complete once the job stops.
async fn simulate(watch: WatchMode) -> Arc<Stats> {
    let c = TestCluster::start(3).await;
    let stop = CancellationToken::new();
    let stats = Arc::new(Stats::default());
    let cfg = NodesimConfig {
        addresses: vec![c.http[1].clone(), c.http[0].clone()],
        nodes: 200,
        datacenters: vec!["eu-west-1a".into(), "eu-west-1b".into()],
        cpu: 2000,
        memory: 1024,
        report_running: true,
        concurrency: 16,
        watch,
    };
    let sim = tokio::spawn(run(cfg, stats.clone(), stop.clone()));
    wait_for("200 nodes", Duration::from_secs(30), || async {
        let (_, nodes) = c.get(0, "/v1/nodes").await;
        (nodes.as_array().map(Vec::len) == Some(200)).then_some(())
    })
    .await;
    let (_, nodes) = c.get(2, "/v1/nodes").await;
    let dcs: std::collections::BTreeSet<_> = nodes
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["Datacenter"].as_str().map(str::to_string))
        .collect();
    assert_eq!(dcs.len(), 2);
    assert!(
        nodes
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["Status"] == "ready")
    );

    c.put(
        0,
        "/v1/jobs",
        &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 40), None),
    )
    .await;
    wait_for(
        "40 running allocations",
        Duration::from_secs(30),
        || async {
            let (_, s) = c.get(0, "/v1/job/example/summary").await;
            (s["Summary"]["cache"]["Running"] == 40).then_some(())
        },
    )
    .await;
    // Stopping the job: the simulator reports the allocations complete.
    c.delete(0, "/v1/job/example").await;
    wait_for(
        "40 complete allocations",
        Duration::from_secs(30),
        || async {
            let (_, s) = c.get(0, "/v1/job/example/summary").await;
            (s["Summary"]["cache"]["Complete"] == 40).then_some(())
        },
    )
    .await;
    // Every node heartbeats (with its secret) at least once.
    wait_for(
        "a heartbeat from every node",
        Duration::from_secs(30),
        || async { (stats.heartbeats.load(Ordering::Relaxed) >= 200).then_some(()) },
    )
    .await;
    assert_eq!(stats.errors.load(Ordering::Relaxed), 0);
    stop.cancel();
    let _ = sim.await;
    c.shutdown().await;
    stats
}
