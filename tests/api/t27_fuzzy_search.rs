//! `PUT|POST /v1/search/fuzzy`: names inside jobs with their scopes,
//! allocations and nodes by name, evaluations by ID prefix, ranking and
//! truncation at 100, namespaces (`*`), and refusals (unknown contexts,
//! short and long text).

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

/// A job with a name of every kind: groups, tasks, group and task
/// services, a docker image and a raw_exec command (no nodes in `dc9`,
/// so nothing is placed).
fn sleepy_job(namespace: &str) -> Value {
    json!({
        "ID": "demo", "Name": "demo-sleep", "Namespace": namespace,
        "Type": "service", "Datacenters": ["dc9"],
        "TaskGroups": [{
            "Name": "qa-sleeper", "Count": 1,
            "Services": [{"Name": "group-sleep-svc", "Provider": "nomad"}],
            "Tasks": [{
                "Name": "qa-sleep-task", "Driver": "docker",
                "Config": {"image": "sleeper:latest"},
                "Services": [{"Name": "sleepy-task-svc", "Provider": "nomad"}],
                "Resources": {"CPU": 100, "MemoryMB": 64}
            }]
        }, {
            "Name": "prod", "Count": 1,
            "Tasks": [{
                "Name": "prod-task", "Driver": "raw_exec",
                "Config": {"command": "/usr/bin/sleep", "args": ["60"]},
                "Resources": {"CPU": 100, "MemoryMB": 64}
            }]
        }]
    })
}

async fn fuzzy(c: &TestCluster, path: &str, body: Value) -> (u16, Value) {
    c.put(0, path, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzy_search_finds_names_with_their_scopes() {
    let c = TestCluster::start(1).await;
    let (status, resp) = c
        .put(0, "/v1/jobs", &register_body(sleepy_job("default"), None))
        .await;
    assert_eq!(status, 200, "{resp}");
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
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

    // Inside jobs: every kind, ranked, scoped from the namespace down;
    // upper case in the text matches lower case in the names.
    let (status, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "SLEEP", "Context": "jobs"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let m = &r["Matches"];
    assert_eq!(
        m["jobs"],
        json!([{"ID": "demo-sleep", "Scope": ["default", "demo"]}])
    );
    assert_eq!(
        m["groups"],
        json!([{"ID": "qa-sleeper", "Scope": ["default", "demo"]}])
    );
    assert_eq!(
        m["tasks"],
        json!([{"ID": "qa-sleep-task", "Scope": ["default", "demo", "qa-sleeper"]}])
    );
    // Position first: "sleepy-task-svc" (0) before "group-sleep-svc" (6).
    assert_eq!(
        m["services"],
        json!([
            {"ID": "sleepy-task-svc", "Scope": ["default", "demo", "qa-sleeper", "qa-sleep-task"]},
            {"ID": "group-sleep-svc", "Scope": ["default", "demo", "qa-sleeper"]}
        ])
    );
    assert_eq!(
        m["images"],
        json!([{"ID": "sleeper:latest", "Scope": ["default", "demo", "qa-sleeper", "qa-sleep-task"]}])
    );
    assert_eq!(
        m["commands"],
        json!([{"ID": "/usr/bin/sleep", "Scope": ["default", "demo", "prod", "prod-task"]}])
    );
    assert_eq!(r["Truncations"], json!({"jobs": false}));
    assert!(r["Index"].as_u64().expect("index") > 0);

    // Nodes by name (their ID in the scope); equal ranks by name.
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "host", "Context": "nodes"}),
    )
    .await;
    let ids: Vec<&str> = r["Matches"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["ID"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["host-0", "host-1", "host-2"]);
    assert_eq!(
        r["Matches"]["nodes"][1]["Scope"],
        json!(["00000000-0000-4000-8000-000000000001"])
    );
    // A node ID is not a name.
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "00000000", "Context": "nodes"}),
    )
    .await;
    assert_eq!(r["Matches"], json!({}));
    assert_eq!(r["Truncations"], json!({"nodes": false}));

    // Allocations by name, evaluations by ID prefix (no scope).
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "cache", "Context": "allocs"}),
    )
    .await;
    assert_eq!(
        r["Matches"]["allocs"],
        json!([{"ID": "example.cache[0]", "Scope": ["default", alloc_id]}])
    );
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": &eval_id[..8], "Context": "evals"}),
    )
    .await;
    assert_eq!(r["Matches"]["evals"], json!([{"ID": eval_id}]));

    // `all`: every context is a key of `Truncations`; `Matches` holds
    // the kinds that matched, plus evaluations and deployments. The seed
    // job's task is "redis", its image "redis:3.2".
    let (status, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "redis", "Context": "all"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let keys: Vec<&str> = r["Matches"]
        .as_object()
        .expect("matches")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["deployment", "evals", "images", "tasks"]);
    assert_eq!(
        r["Matches"]["images"],
        json!([{"ID": "redis:3.2", "Scope": ["default", "example", "cache", "redis"]}])
    );
    assert_eq!(
        r["Matches"]["tasks"],
        json!([{"ID": "redis", "Scope": ["default", "example", "cache"]}])
    );
    assert_eq!(
        r["Truncations"],
        json!({"allocs": false, "deployment": false, "evals": false,
               "jobs": false, "namespaces": false, "nodes": false, "plugins": false})
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzy_search_keeps_the_best_100_and_reports_truncation() {
    let c = TestCluster::start(1).await;
    // 100 groups that match late in their names, then an exact match:
    // the exact one comes first and the last of the others is left out.
    let mut groups: Vec<Value> = (0..100)
        .map(|i| {
            json!({"Name": format!("zz-grp-{i:03}"), "Count": 0, "Tasks": [{
                "Name": "t", "Driver": "docker", "Config": {"image": "busybox"},
                "Resources": {"CPU": 100, "MemoryMB": 64}
            }]})
        })
        .collect();
    groups.push(json!({"Name": "grp", "Count": 0, "Tasks": [{
        "Name": "t", "Driver": "docker", "Config": {"image": "busybox"},
        "Resources": {"CPU": 100, "MemoryMB": 64}
    }]}));
    let job = json!({"ID": "wide", "Name": "wide", "Type": "service",
        "Datacenters": ["dc9"], "TaskGroups": groups});
    let (status, resp) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{resp}");

    let (status, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "grp", "Context": "jobs"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let groups = r["Matches"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 100);
    assert_eq!(
        groups[0],
        json!({"ID": "grp", "Scope": ["default", "wide"]})
    );
    assert_eq!(groups[1]["ID"], "zz-grp-000");
    assert_eq!(groups[99]["ID"], "zz-grp-098");
    assert_eq!(r["Truncations"], json!({"jobs": false, "groups": true}));
    // 101 tasks named "t" do not match; 101 images "busybox" do.
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "busy", "Context": "jobs"}),
    )
    .await;
    assert_eq!(
        r["Matches"]["images"].as_array().expect("images").len(),
        100
    );
    assert_eq!(r["Truncations"]["images"], true);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzy_search_reads_one_namespace_or_all() {
    let c = TestCluster::start(1).await;
    let (status, _) = c
        .put(0, "/v1/namespace/other", &json!({"Name": "other"}))
        .await;
    assert_eq!(status, 200);
    for ns in ["default", "other"] {
        let (status, resp) = c
            .put(0, "/v1/jobs", &register_body(sleepy_job(ns), None))
            .await;
        assert_eq!(status, 200, "{resp}");
    }
    let body = json!({"Text": "demo", "Context": "jobs"});
    let (_, r) = fuzzy(&c, "/v1/search/fuzzy", body.clone()).await;
    assert_eq!(
        r["Matches"]["jobs"],
        json!([{"ID": "demo-sleep", "Scope": ["default", "demo"]}])
    );
    let (_, r) = fuzzy(&c, "/v1/search/fuzzy?namespace=other", body.clone()).await;
    assert_eq!(
        r["Matches"]["jobs"],
        json!([{"ID": "demo-sleep", "Scope": ["other", "demo"]}])
    );
    let (_, r) = fuzzy(&c, "/v1/search/fuzzy?namespace=nobody", body).await;
    assert_eq!(r["Matches"], json!({}));
    // The body's `Namespace`, as Nomad's UI sends it: every namespace.
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "demo", "Context": "all", "Namespace": "*"}),
    )
    .await;
    assert_eq!(
        r["Matches"]["jobs"],
        json!([
            {"ID": "demo-sleep", "Scope": ["default", "demo"]},
            {"ID": "demo-sleep", "Scope": ["other", "demo"]}
        ])
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzy_search_refuses_bad_requests_and_sets_the_index_header() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/jobs", &register_body(sleepy_job("default"), None))
        .await;
    let resp = c
        .client
        .post(c.url(0, "/v1/search/fuzzy"))
        .json(&json!({"Text": "qa", "Context": "jobs"}))
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
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["Index"].as_u64(), Some(header));

    let refused = [
        (
            json!({"Text": "qa", "Context": "volumez"}),
            "context must be one of [allocs deployment evals jobs namespaces nodes plugins] \
             or 'all' for all contexts; got \"volumez\"",
        ),
        // A kind of answer is not a context, as in Nomad.
        (
            json!({"Text": "qa", "Context": "groups"}),
            "context must be one of [allocs deployment evals jobs namespaces nodes plugins] \
             or 'all' for all contexts; got \"groups\"",
        ),
        (
            json!({"Text": "q", "Context": "jobs"}),
            "fuzzy search query must be at least 2 characters, got 1",
        ),
        // The text is checked first, as Nomad does.
        (
            json!({"Context": "volumez"}),
            "fuzzy search query must be at least 2 characters, got 0",
        ),
        (
            json!({"Text": "x".repeat(1025), "Context": "jobs"}),
            "fuzzy search query must be at most 1024 bytes, got 1025",
        ),
    ];
    for (body, message) in refused {
        let (status, text) = fuzzy(&c, "/v1/search/fuzzy", body).await;
        assert_eq!(status, 400, "{text}");
        assert_eq!(text, json!(message));
    }
    let (status, _) = c.get(0, "/v1/search/fuzzy").await;
    assert_eq!(status, 405);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzy_search_finds_namespaces() {
    let c = TestCluster::start(1).await;
    let (status, _) = c
        .put(0, "/v1/namespace/team-ops", &json!({"Name": "team-ops"}))
        .await;
    assert_eq!(status, 200);
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "ops", "Context": "namespaces"}),
    )
    .await;
    assert_eq!(r["Matches"]["namespaces"], json!([{"ID": "team-ops"}]));
    let (_, r) = fuzzy(
        &c,
        "/v1/search/fuzzy",
        json!({"Text": "defa", "Context": "all"}),
    )
    .await;
    assert_eq!(r["Matches"]["namespaces"], json!([{"ID": "default"}]));
    c.shutdown().await;
}
