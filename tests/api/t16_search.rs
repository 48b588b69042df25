//! `PUT /v1/search`: prefix matches per context, truncation at 20, the
//! keys of `all`, and unknown contexts.

use std::time::Duration;

use drover::api_client::ApiClient;
use serde_json::json;

use crate::common::{TestCluster, job_json, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_jobs_nodes_evals_and_allocs_by_prefix() {
    let c = TestCluster::start(1).await;
    let api = ApiClient::new(&[c.http[0].clone()]).expect("api client");
    // 25 jobs web-00..web-24 (in a datacenter without nodes: they only
    // need to exist) and one placed job.
    let mut eval_id = String::new();
    for i in 0..25 {
        let id = format!("web-{i:02}");
        let mut job = job_json(&id, 1);
        job["Datacenters"] = json!(["dc9"]);
        let (status, resp) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
        assert_eq!(status, 200, "{resp}");
        eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    }
    for i in 0..3 {
        let (status, resp) = c
            .put(0, "/v1/node/register", &node_json(i, "dc1", 4096))
            .await;
        assert_eq!(status, 200, "{resp}");
    }
    c.put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let alloc_id = wait_for("an allocation", Duration::from_secs(20), || async {
        let (_, a) = c.get(0, "/v1/job/example/allocations").await;
        a[0]["ID"].as_str().map(str::to_string)
    })
    .await;

    // Jobs: the first 20 in ID order, truncated; only the asked context.
    let r = api.search("web", "jobs").await.expect("search");
    let expected: Vec<String> = (0..20).map(|i| format!("web-{i:02}")).collect();
    assert_eq!(r.matches.get("jobs"), Some(&expected));
    assert_eq!(r.truncations.get("jobs"), Some(&true));
    assert_eq!(r.matches.len(), 1, "{r:?}");
    assert_eq!(r.truncations.len(), 1, "{r:?}");
    assert!(r.index > 0);
    let r = api.search("web-2", "jobs").await.expect("search");
    let expected: Vec<String> = (20..25).map(|i| format!("web-{i:02}")).collect();
    assert_eq!(r.matches.get("jobs"), Some(&expected));
    assert_eq!(r.truncations.get("jobs"), Some(&false));
    let r = api.search("exa", "jobs").await.expect("search");
    assert_eq!(r.matches["jobs"], vec!["example".to_string()]);

    // Nodes, with an odd-length prefix that runs into the last group.
    let r = api
        .search("00000000-0000-4000-8000-00000000000", "nodes")
        .await
        .expect("search");
    assert_eq!(r.matches["nodes"].len(), 3, "{r:?}");
    let r = api
        .search("00000000-0000-4000-8000-000000000001", "nodes")
        .await
        .expect("search");
    assert_eq!(
        r.matches["nodes"],
        vec!["00000000-0000-4000-8000-000000000001".to_string()]
    );

    // Evaluations and allocations by the first characters of their IDs.
    let r = api.search(&eval_id[..5], "evals").await.expect("search");
    assert!(r.matches["evals"].contains(&eval_id), "{r:?}");
    assert!(
        r.matches["evals"]
            .iter()
            .all(|e| e.starts_with(&eval_id[..5]))
    );
    let r = api.search(&alloc_id[..3], "allocs").await.expect("search");
    assert!(r.matches["allocs"].contains(&alloc_id), "{r:?}");

    // `all`: every context is a key, deployments are always empty.
    let r = api.search("", "all").await.expect("search");
    let keys: Vec<&str> = r.matches.keys().map(String::as_str).collect();
    assert_eq!(keys, ["allocs", "deployment", "evals", "jobs", "nodes"]);
    let keys: Vec<&str> = r.truncations.keys().map(String::as_str).collect();
    assert_eq!(keys, ["allocs", "deployment", "evals", "jobs", "nodes"]);
    assert!(r.matches["deployment"].is_empty());
    assert!(r.truncations["jobs"]);
    assert!(!r.truncations["nodes"]);
    assert_eq!(r.matches["nodes"].len(), 3);
    let r = api.search("web-1", "all").await.expect("search");
    assert_eq!(r.matches["jobs"].len(), 10);
    assert!(r.matches["nodes"].is_empty());

    // Another namespace holds none of them.
    let (status, body) = c
        .put(
            0,
            "/v1/search?namespace=other",
            &json!({"Prefix": "web", "Context": "jobs"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Matches"]["jobs"], json!([]));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_sets_the_index_header_and_refuses_unknown_contexts() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/jobs", &register_body(job_json("api", 1), None))
        .await;
    let resp = c
        .client
        .post(c.url(0, "/v1/search"))
        .json(&json!({"Prefix": "a", "Context": "jobs"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(resp.status().as_u16(), 200);
    let header: u64 = resp
        .headers()
        .get("X-Nomad-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("X-Nomad-Index");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["Index"].as_u64(), Some(header));
    assert_eq!(body["Matches"], json!({"jobs": ["api"]}));
    assert_eq!(body["Truncations"], json!({"jobs": false}));

    let (status, text) = c
        .put(
            0,
            "/v1/search",
            &json!({"Prefix": "a", "Context": "volumez"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        json!(
            "context must be one of [allocs deployment evals jobs nodes] or 'all' \
             for all contexts; got \"volumez\""
        )
    );
    let (status, _) = c.get(0, "/v1/search").await;
    assert_eq!(status, 405);
    c.shutdown().await;
}
