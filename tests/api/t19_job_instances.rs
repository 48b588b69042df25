//! `GET /v1/job/{id}/allocations`: by default the allocations of the
//! current instance of a job; `all=true` adds those of a purged job that
//! had the same ID.

use std::time::Duration;

use serde_json::Value;

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

async fn alloc_ids(c: &TestCluster, path: &str) -> Vec<String> {
    let (status, allocs) = c.get(0, path).await;
    assert_eq!(status, 200, "{allocs}");
    let mut ids: Vec<String> = allocs
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["ID"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

async fn alloc(c: &TestCluster, id: &str) -> Value {
    c.get(0, &format!("/v1/allocation/{id}")).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocations_of_a_purged_instance_are_listed_only_with_all() {
    let c = TestCluster::start(1).await;
    let (status, body) = c
        .put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    assert_eq!(status, 200, "{body}");
    let job = register_body(seed_job(&["dc1"], 1), None);
    c.put(0, "/v1/jobs", &job).await;
    let old = wait_for("the first allocation", Duration::from_secs(20), || async {
        alloc_ids(&c, "/v1/job/example/allocations").await.pop()
    })
    .await;

    // Purge, and wait for the scheduler to stop the allocation, so the
    // next instance places its own.
    let (status, _) = c.delete(0, "/v1/job/example?purge=true").await;
    assert_eq!(status, 200);
    wait_for(
        "the old allocation to stop",
        Duration::from_secs(20),
        || async { (alloc(&c, &old).await["DesiredStatus"] == "stop").then_some(()) },
    )
    .await;
    // With no current job, every allocation of the ID is listed.
    assert_eq!(
        alloc_ids(&c, "/v1/job/example/allocations").await,
        vec![old.clone()]
    );

    c.put(0, "/v1/jobs", &job).await;
    let new = wait_for(
        "the new instance's allocation",
        Duration::from_secs(20),
        || async {
            let ids = alloc_ids(&c, "/v1/job/example/allocations").await;
            match ids.as_slice() {
                [one] if *one != old => Some(one.clone()),
                _ => None,
            }
        },
    )
    .await;
    let new_alloc = alloc(&c, &new).await;
    let old_alloc = alloc(&c, &old).await;
    assert_ne!(
        new_alloc["Job"]["CreateIndex"], old_alloc["Job"]["CreateIndex"],
        "two instances of the job"
    );

    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(
        alloc_ids(&c, "/v1/job/example/allocations?all=true").await,
        both
    );
    assert_eq!(
        alloc_ids(&c, "/v1/job/example/allocations?all=false").await,
        vec![new]
    );
    c.shutdown().await;
}
