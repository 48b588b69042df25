//! Every server SIGKILLed right after a burst of acknowledged writes. An
//! acknowledged registration was committed, so it was flushed on a
//! majority; after all three restart from their directories, the first
//! consistent read finds every one.
//!
//! Guards "an append is acknowledged only after its flush": a server that
//! acknowledges from sled's in-memory buffers loses the tail of the burst
//! to the kill. Also guards the read index of a leader restored at start
//! (`drover_raft`'s `resumed`): its stored commit index may be older than
//! the tail, and a read at that index misses acknowledged registrations.

use futures::StreamExt;
use serde_json::{Value, json};

use super::{job_ids, put, signal, spawn, start_three, wait_leader};

const JOBS: usize = 200;
/// Registrations in flight at once.
const IN_FLIGHT: usize = 16;

/// A parameterized batch job: registering one creates no evaluation, so no
/// scheduler write follows the burst and its last entries are the tail of
/// every server's log when the kill comes.
fn job(id: &str) -> Value {
    json!({"Job": {"ID": id, "Type": "batch", "Datacenters": ["dc1"],
        "ParameterizedJob": {"Payload": "optional"},
        "TaskGroups": [{"Name": "g", "Count": 1,
            "Tasks": [{"Name": "t", "Driver": "docker", "Config": {"image": "redis:3.2"}}]}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_registration_survives_a_sigkill_of_every_server() {
    let root = tempfile::tempdir().expect("temp dir");
    let (mut procs, rpcs, log) = start_three(root.path());
    let client = reqwest::Client::new();
    wait_leader(&client, &procs.iter().collect::<Vec<_>>()).await;

    // The burst goes through all three servers; followers forward.
    let https: Vec<u16> = procs.iter().map(|p| p.http).collect();
    let acked: Vec<String> = futures::stream::iter(0..JOBS)
        .map(|k| {
            let client = client.clone();
            let port = https[k % https.len()];
            async move {
                let id = format!("burst-{k}");
                let reply = put(&client, port, "/v1/jobs", &job(&id)).await;
                match reply {
                    Some((200, _)) => id,
                    other => panic!("registration of {id} not acknowledged: {other:?}"),
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    assert_eq!(acked.len(), JOBS);

    for p in procs.iter_mut() {
        signal(p, "-KILL");
    }
    for p in procs.iter_mut() {
        spawn(p, &rpcs, &log);
    }
    let leader = wait_leader(&client, &procs.iter().collect::<Vec<_>>()).await;
    let ids = job_ids(&client, procs[leader].http).await;
    let lost: Vec<&String> = acked.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {JOBS} acknowledged registrations lost after SIGKILL of every server: {lost:?}",
        lost.len()
    );
    assert_eq!(ids.len(), JOBS);
    for p in procs.iter_mut() {
        signal(p, "-TERM");
    }
}
