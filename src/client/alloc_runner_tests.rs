//! The allocation runner with the mock driver: client status from task
//! states, a stop from the servers, an unknown driver, and destroy.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::alloc_runner::{self, AllocCmd};
use super::driver::Driver;
use super::driver::mock::MockDriver;
use super::state::ClientState;
use super::updates::Updates;
use super::{ClientConfig, ClientShared};
use crate::api_client::ApiClient;
use crate::structs::rpc::AllocClientUpdate;
use crate::structs::{Allocation, Job, Node, Task, TaskGroup};

fn shared(dir: &std::path::Path, driver: Arc<MockDriver>) -> Arc<ClientShared> {
    let state = ClientState::open(&dir.join("client")).unwrap();
    let identity = state.identity().unwrap();
    Arc::new(ClientShared {
        config: ClientConfig {
            data_dir: dir.to_path_buf(),
            servers: vec!["127.0.0.1:1".into()],
            ..ClientConfig::default()
        },
        alloc_base: dir.join("alloc"),
        state,
        drivers: BTreeMap::from([("mock".to_string(), driver as Arc<dyn Driver>)]),
        updates: Arc::new(Updates::default()),
        services: Arc::new(crate::client::services::sync::ServiceSync::default()),
        api: ApiClient::new(&["127.0.0.1:1".into()]).unwrap(),
        servers: RwLock::new(vec!["127.0.0.1:1".into()]),
        node: RwLock::new(Arc::new(Node {
            id: identity.node_id.clone(),
            ..Node::default()
        })),
        closing: std::sync::atomic::AtomicBool::new(false),
        runners: Mutex::new(HashMap::new()),
        identity,
    })
}

fn alloc(drivers: &[&str]) -> Arc<Allocation> {
    let tasks = drivers
        .iter()
        .enumerate()
        .map(|(i, d)| Task {
            name: format!("t{i}"),
            driver: d.to_string(),
            ..Task::default()
        })
        .collect();
    let job = Job {
        id: "j".into(),
        name: "j".into(),
        job_type: "service".into(),
        task_groups: vec![TaskGroup {
            name: "g".into(),
            count: 1,
            tasks,
            ..TaskGroup::default()
        }],
        ..Job::default()
    };
    Arc::new(Allocation {
        id: crate::ids::uuid(),
        job_id: "j".into(),
        task_group: "g".into(),
        name: "j.g[0]".into(),
        desired_status: "run".into(),
        job: Some(Arc::new(job)),
        ..Allocation::default()
    })
}

/// Waits until the queued report for `id` satisfies `f`.
async fn report(
    shared: &ClientShared,
    f: impl Fn(&AllocClientUpdate) -> bool,
) -> AllocClientUpdate {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(u) = shared.updates.peek().into_iter().find(|u| f(u)) {
            return u;
        }
        assert!(tokio::time::Instant::now() < deadline, "no such report");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn runs_then_stops_when_the_servers_say_so_then_is_destroyed() {
    let dir = tempfile::tempdir().unwrap();
    let driver = Arc::new(MockDriver::default());
    let shared = shared(dir.path(), driver.clone());
    let a = alloc(&["mock", "mock"]);
    let h = alloc_runner::spawn(
        shared.clone(),
        a.clone(),
        BTreeMap::new(),
        CancellationToken::new(),
    );
    report(&shared, |u| {
        u.client_status == "running" && u.task_states.len() == 2
    })
    .await;
    assert_eq!(driver.running().len(), 2);
    assert!(
        dir.path()
            .join("alloc")
            .join(&a.id)
            .join("t0/local")
            .is_dir()
    );

    let mut stopped = (*a).clone();
    stopped.desired_status = "stop".into();
    h.cmds.send(AllocCmd::Update(Arc::new(stopped))).unwrap();
    report(&shared, |u| u.client_status == "complete").await;
    assert!(driver.running().is_empty());

    let (tx, rx) = oneshot::channel();
    h.cmds.send(AllocCmd::Destroy(tx)).unwrap();
    rx.await.unwrap();
    assert!(
        !dir.path().join("alloc").join(&a.id).exists(),
        "directory removed"
    );
    assert!(shared.state.load().unwrap().is_empty(), "forgotten");
}

#[tokio::test]
async fn an_unknown_driver_fails_the_allocation_and_stops_its_siblings() {
    let dir = tempfile::tempdir().unwrap();
    let driver = Arc::new(MockDriver::default());
    let shared = shared(dir.path(), driver.clone());
    let a = alloc(&["mock", "nonesuch"]);
    let _h = alloc_runner::spawn(shared.clone(), a, BTreeMap::new(), CancellationToken::new());
    let u = report(&shared, |u| u.client_status == "failed").await;
    let ts = u.task_states.get("t1").unwrap();
    assert!(ts.failed);
    let e = &ts.events[0];
    assert_eq!(e.event_type, "Setup Failure");
    assert!(
        e.message.contains("unknown driver \"nonesuch\""),
        "{}",
        e.message
    );
    // The sibling that could start is stopped.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !driver.running().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sibling still running"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_allocation_stopped_before_it_ran_is_not_started() {
    let dir = tempfile::tempdir().unwrap();
    let driver = Arc::new(MockDriver::default());
    let shared = shared(dir.path(), driver.clone());
    let mut a = (*alloc(&["mock"])).clone();
    a.desired_status = "stop".into();
    let _h = alloc_runner::spawn(
        shared.clone(),
        Arc::new(a),
        BTreeMap::new(),
        CancellationToken::new(),
    );
    report(&shared, |u| u.client_status == "complete").await;
    assert_eq!(driver.starts(), 0);
}
