//! The leader's applier on a real one-server cluster: two plans computed
//! on the same snapshot race for the last room on a node. The applier must
//! judge the second against the state the first left (not the snapshot it
//! was computed on) and commit only its part on the other node. These
//! tests guard the re-check in `apply`: skipping it, or checking against
//! the plan's own snapshot, commits both plans.

use std::time::Duration;

use drover_raft::RaftConfig;
use tokio::net::TcpListener;

use super::apply;
use crate::scheduler::tests::plan_race::{
    Scarce, assert_partial, only_node, race_setup, stale_plans,
};
use crate::server::{Server, ServerConfig};
use crate::state::{Command, JobRegister};
use crate::structs::{Evaluation, Job};

/// A one-server cluster, leading.
async fn leader(dir: &std::path::Path) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let raft = RaftConfig::new(dir, addr.clone());
    let config = ServerConfig {
        rpc_addr: addr,
        num_schedulers: 1,
        ..ServerConfig::default()
    };
    let server = Server::start(config, raft, listener).await.expect("start");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !server.raft().is_leader() {
        assert!(tokio::time::Instant::now() < deadline, "no leader in 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server
}

/// Stores `job` without an evaluation (so no worker schedules it) and
/// returns the evaluation a scheduler would run for it.
async fn register(server: &Server, mut job: Job) -> Evaluation {
    crate::jobspec::canonicalize(&mut job);
    let eval = crate::server::evals::for_job(&job, "job-register", crate::ids::now_nanos());
    let cmd = Command::JobRegister(JobRegister {
        job,
        eval: None,
        enforce_index: None,
        ..Default::default()
    });
    server.propose(&cmd).await.expect("register job");
    eval
}

async fn race(scarce: Scarce) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = leader(dir.path()).await;
    let (nodes, first, second) = race_setup(scarce);
    for node in nodes {
        server
            .propose(&Command::NodeRegister { node })
            .await
            .expect("register node");
    }
    let e1 = register(&server, first).await;
    let e2 = register(&server, second).await;
    let snapshot = server.state().snapshot();
    let (p1, p2) = stale_plans(&snapshot, &e1, &e2);
    let taken = only_node(&p1);

    let r1 = apply(&server, &p1).await.expect("first plan");
    assert_eq!(r1.placed, 1);
    let r2 = apply(&server, &p2).await.expect("second plan");
    assert!(r2.alloc_index > r1.alloc_index, "{r2:?}");
    assert_partial(&server.state().snapshot(), &r2, &taken, scarce);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_on_the_leader_refuses_a_stale_plan_for_memory_another_plan_took() {
    race(Scarce::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_on_the_leader_refuses_a_stale_plan_for_cpu_another_plan_took() {
    race(Scarce::Cpu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_on_the_leader_refuses_a_stale_plan_for_a_static_port_another_plan_took() {
    race(Scarce::StaticPort).await;
}
