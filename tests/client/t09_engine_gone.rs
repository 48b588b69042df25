//! The Docker engine goes away under a running client and comes back: the
//! client (which reaches the engine through a socket proxy the test can
//! cut) keeps running, and the task is neither lost nor duplicated.

use std::path::{Path, PathBuf};
use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinSet;

use crate::common::{TestCluster, wait_for};
use crate::support::*;

/// A unix-socket proxy to the real engine's socket, cut at will: every
/// open connection is dropped and new ones are refused.
struct EngineProxy {
    path: PathBuf,
    serving: Option<tokio::task::JoinHandle<()>>,
}

impl EngineProxy {
    fn start(path: &Path) -> EngineProxy {
        let mut p = EngineProxy {
            path: path.to_path_buf(),
            serving: None,
        };
        p.resume();
        p
    }

    fn resume(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).expect("bind the proxy socket");
        self.serving = Some(tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                conns.spawn(async move {
                    if let Ok(mut engine) = UnixStream::connect("/var/run/docker.sock").await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut engine).await;
                    }
                });
            }
        }));
    }

    /// Drops every connection and refuses new ones.
    fn cut(&mut self) {
        if let Some(s) = self.serving.take() {
            s.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_going_away_and_back_loses_nothing() {
    if !docker_ready("the_engine_going_away_and_back_loses_nothing") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("engine.sock");
    let mut proxy = EngineProxy::start(&sock);
    let host = format!("unix://{}", sock.display());
    let mut client = ClientProc::start_with_env(
        "127.0.1.9",
        dir.path(),
        &cluster.http,
        &[],
        &[("DOCKER_HOST", &host)],
    );
    let node = client.node_id(&api).await;
    api.job_run(&redis_job("engine", 1, "1s")).await.unwrap();
    let alloc = running(&api, "engine", 1, Duration::from_secs(60))
        .await
        .remove(0);
    let name = format!("redis-{}", alloc.id);
    let started = inspect(&name, "{{.State.StartedAt}}");

    proxy.cut();
    // The client's wait on the container breaks; it keeps checking.
    wait_for(
        "the client to lose the engine",
        Duration::from_secs(30),
        || async {
            client
                .log()
                .contains("lost the Docker engine")
                .then_some(())
        },
    )
    .await;
    proxy.resume();
    wait_for(
        "the client to reach the engine again",
        Duration::from_secs(30),
        || async {
            client
                .log()
                .contains("reached the Docker engine again")
                .then_some(())
        },
    )
    .await;

    // Back: same container, still running, the client alive and the
    // servers still see the allocation running.
    let (a, _) = api
        .allocation(&alloc.id, &QueryOptions::default())
        .await
        .unwrap();
    assert_eq!(a.client_status, "running");
    assert!(
        client.child.as_mut().unwrap().try_wait().unwrap().is_none(),
        "the client keeps running: {}",
        client.log()
    );
    assert_eq!(
        inspect(&name, "{{.State.StartedAt}}"),
        started,
        "not restarted"
    );
    assert_eq!(containers_of(&node, true).len(), 1, "no duplicate");

    // It still follows the task: a stop outside Drover is restarted.
    docker(&["stop", "-t", "1", &name]);
    wait_for(
        "a restart after the engine came back",
        Duration::from_secs(60),
        || async {
            let (al, _) = api
                .allocation(&alloc.id, &QueryOptions::default())
                .await
                .ok()?;
            let ts = al.task_states.get("redis")?;
            (ts.restarts >= 1 && ts.state == "running").then_some(())
        },
    )
    .await;
    api.job_deregister("engine", true).await.unwrap();
    wait_for("containers removed", Duration::from_secs(60), || async {
        containers_of(&node, true).is_empty().then_some(())
    })
    .await;
    drop(client);
    cluster.shutdown().await;
}
