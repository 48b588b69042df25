//! A client whose servers are all gone keeps its tasks running and keeps
//! retrying.

use std::time::Duration;

use drover::api_client::ApiClient;

use crate::common::{TestCluster, wait_for};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_keep_running_while_no_server_answers() {
    if !docker_ready("tasks_keep_running_while_no_server_answers") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.8", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;
    api.job_run(&redis_job("orphan", 1, "1s")).await.unwrap();
    let alloc = running(&api, "orphan", 1, Duration::from_secs(60))
        .await
        .remove(0);
    let name = format!("redis-{}", alloc.id);
    let started = inspect(&name, "{{.State.StartedAt}}");

    cluster.shutdown().await;
    // The client notices (its heartbeats fail) and keeps trying.
    wait_for("failed heartbeats", Duration::from_secs(30), || async {
        client.log().contains("heartbeat failed").then_some(())
    })
    .await;
    assert!(
        client.child.as_mut().unwrap().try_wait().unwrap().is_none(),
        "the client keeps running"
    );
    assert_eq!(
        inspect(&name, "{{.State.Running}}"),
        "true",
        "the task keeps running"
    );
    assert_eq!(
        inspect(&name, "{{.State.StartedAt}}"),
        started,
        "and was not restarted"
    );
    assert_eq!(containers_of(&node, true).len(), 1);
    drop(client);
}
