use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};

pub fn node_json(i: usize, dc: &str, memory: i64) -> Value {
    let id = format!("00000000-0000-4000-8000-{i:012}");
    json!({"Node": {
        "SecretID": crate::common::node_secret(&id),
        "ID": id,
        "Name": format!("host-{i}"),
        "Datacenter": dc,
        "HTTPAddr": format!("127.0.0.{}:4646", i + 10),
        "Attributes": {"kernel.name": "linux", "driver.docker": "1"},
        "Drivers": {"docker": {"Detected": true, "Healthy": true}},
        "NodeResources": {
            "Cpu": {"CpuShares": 4000},
            "Memory": {"MemoryMB": memory},
            "Disk": {"DiskMB": 100000},
            "Networks": [{"IP": format!("127.0.0.{}", i + 10), "MBits": 1000}]
        }
    }})
}

pub fn seed_job(dcs: &[&str], count: i64) -> Value {
    json!({
        "ID": "example", "Name": "example", "Type": "service", "Datacenters": dcs,
        "TaskGroups": [{"Name": "cache", "Count": count, "Tasks": [{
            "Name": "redis", "Driver": "docker",
            "Config": {"image": "redis:3.2", "port_map": [{"db": 6379}]},
            "Resources": {"CPU": 500, "MemoryMB": 256,
                "Networks": [{"MBits": 10, "DynamicPorts": [{"Label": "db"}]}]}
        }]}]
    })
}

async fn live_allocs(c: &TestCluster, i: usize) -> Vec<Value> {
    let (_, allocs) = c.get(i, "/v1/job/example/allocations").await;
    allocs
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a["DesiredStatus"] == "run")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_job_is_placed_by_the_leader_and_scaled() {
    let c = TestCluster::start(3).await;
    for i in 0..11 {
        let dc = if i % 2 == 0 {
            "eu-west-1a"
        } else {
            "eu-west-1b"
        };
        let (status, body) = c
            .put(i % 3, "/v1/node/register", &node_json(i, dc, 768))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // dc1 has no nodes: the evaluation completes with a failure and a
    // blocked evaluation.
    let (_, resp) = c
        .put(
            1,
            "/v1/jobs",
            &register_body(seed_job(&["dc1"], 1), Some(0)),
        )
        .await;
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    let eval = wait_for(
        "the dc1 evaluation to complete",
        Duration::from_secs(20),
        || async {
            let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
            (e["Status"] == "complete").then_some(e)
        },
    )
    .await;
    assert_eq!(eval["FailedTGAllocs"]["cache"]["NodesAvailable"]["dc1"], 0);
    assert!(eval["BlockedEval"].as_str().is_some_and(|b| !b.is_empty()));

    // Both datacenters: one allocation.
    let jmi = resp["JobModifyIndex"].as_u64().expect("index");
    let (status, resp) = c
        .put(
            2,
            "/v1/jobs",
            &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 1), Some(jmi)),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let allocs = wait_for("one allocation", Duration::from_secs(20), || async {
        let a = live_allocs(&c, 0).await;
        (a.len() == 1).then_some(a)
    })
    .await;
    assert_eq!(allocs[0]["Name"], "example.cache[0]");
    let (_, alloc) = c
        .get(
            1,
            &format!("/v1/allocation/{}", allocs[0]["ID"].as_str().expect("id")),
        )
        .await;
    let port = &alloc["AllocatedResources"]["Tasks"]["redis"]["Networks"][0]["DynamicPorts"][0];
    assert_eq!(port["Label"], "db");
    assert!(
        port["Value"]
            .as_i64()
            .is_some_and(|v| (20000..32000).contains(&v))
    );
    assert_eq!(alloc["Job"]["ID"], "example");

    // 50 instances: 33 fit in memory, the rest are reported.
    let (_, resp) = c
        .put(
            0,
            "/v1/jobs",
            &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 50), None),
        )
        .await;
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    let eval = wait_for(
        "the count-50 evaluation",
        Duration::from_secs(30),
        || async {
            let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
            (e["Status"] == "complete").then_some(e)
        },
    )
    .await;
    let failed = &eval["FailedTGAllocs"]["cache"];
    assert_eq!(
        failed["CoalescedFailures"].as_i64().map(|n| n + 1),
        Some(17)
    );
    assert_eq!(failed["NodesExhausted"], 11);
    assert_eq!(failed["DimensionExhausted"]["memory"], 11);
    assert_eq!(live_allocs(&c, 2).await.len(), 33);
    let (_, summary) = c.get(0, "/v1/job/example/summary").await;
    assert_eq!(summary["Summary"]["cache"]["Queued"], 17);
    assert_eq!(summary["Summary"]["cache"]["Starting"], 33);

    // Scaling down to 3 frees capacity; the blocked evaluation is
    // superseded by the successful one.
    let (_, resp) = c
        .put(
            0,
            "/v1/jobs",
            &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 3), None),
        )
        .await;
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    wait_for(
        "the scale-down evaluation",
        Duration::from_secs(30),
        || async {
            let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
            (e["Status"] == "complete").then_some(())
        },
    )
    .await;
    assert_eq!(live_allocs(&c, 1).await.len(), 3);
    let (_, evals) = c.get(0, "/v1/job/example/evaluations").await;
    let blocked: Vec<_> = evals
        .as_array()
        .expect("evals")
        .iter()
        .filter(|e| e["Status"] == "blocked")
        .collect();
    assert!(blocked.is_empty(), "blocked evaluations left: {blocked:?}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_is_a_dry_run_with_diff_annotations_and_failures() {
    let c = TestCluster::start(1).await;
    for i in 0..11 {
        let dc = if i % 2 == 0 {
            "eu-west-1a"
        } else {
            "eu-west-1b"
        };
        c.put(0, "/v1/node/register", &node_json(i, dc, 768)).await;
    }
    let dcs = ["eu-west-1a", "eu-west-1b"];
    // A new job in dc1: nothing available there.
    let (status, p) = c
        .put(
            0,
            "/v1/job/example/plan",
            &json!({"Job": seed_job(&["dc1"], 1), "Diff": true}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["JobModifyIndex"], 0);
    assert_eq!(p["Diff"]["Type"], "Added");
    assert_eq!(p["Diff"]["TaskGroups"][0]["Updates"]["create"], 1);
    assert_eq!(
        p["Diff"]["TaskGroups"][0]["Tasks"][0]["Annotations"],
        json!(["forces create"])
    );
    assert_eq!(p["FailedTGAllocs"]["cache"]["NodesEvaluated"], 0);
    assert_eq!(p["FailedTGAllocs"]["cache"]["NodesAvailable"]["dc1"], 0);
    // Both datacenters: everything placed; nothing was written.
    let (_, p) = c
        .put(
            0,
            "/v1/job/example/plan",
            &json!({"Job": seed_job(&dcs, 1), "Diff": true}),
        )
        .await;
    assert!(p["FailedTGAllocs"].is_null(), "{p}");
    assert_eq!(p["Annotations"]["DesiredTGUpdates"]["cache"]["Place"], 1);
    assert_eq!(c.get(0, "/v1/job/example").await.0, 404);
    assert_eq!(c.get(0, "/v1/allocations").await.1, json!([]));

    // Run it, then plan 15: 14 create, 1 in-place update, check index given.
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(seed_job(&dcs, 1), Some(0)))
        .await;
    let jmi = resp["JobModifyIndex"].as_u64().expect("index");
    wait_for("placement", Duration::from_secs(20), || async {
        (live_allocs(&c, 0).await.len() == 1).then_some(())
    })
    .await;
    let (_, p) = c
        .put(
            0,
            "/v1/job/example/plan",
            &json!({"Job": seed_job(&dcs, 15), "Diff": true}),
        )
        .await;
    assert_eq!(p["JobModifyIndex"].as_u64(), Some(jmi));
    let g = &p["Diff"]["TaskGroups"][0];
    assert_eq!(g["Type"], "Edited");
    assert_eq!(g["Updates"], json!({"create": 14, "in-place update": 1}));
    let count = g["Fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["Name"] == "Count")
        .cloned()
        .expect("Count");
    assert_eq!(
        (count["Old"].as_str(), count["New"].as_str()),
        (Some("1"), Some("15"))
    );
    assert_eq!(count["Annotations"], json!(["forces create"]));
    // 50: 35 create, 15 in-place after running 15; here 1 runs: 49 create,
    // and memory runs out on every node.
    let (_, p) = c
        .put(
            0,
            "/v1/job/example/plan",
            &json!({"Job": seed_job(&dcs, 50), "Diff": false}),
        )
        .await;
    assert!(p["Diff"].is_null());
    let f = &p["FailedTGAllocs"]["cache"];
    assert_eq!(f["NodesExhausted"], 11);
    assert_eq!(f["DimensionExhausted"]["memory"], 11);
    assert_eq!(f["CoalescedFailures"].as_i64().map(|n| n + 1), Some(17));
    // A plan for a job whose ID does not match the path is refused.
    let (status, _) = c
        .put(0, "/v1/job/other/plan", &json!({"Job": seed_job(&dcs, 1)}))
        .await;
    assert_eq!(status, 400);
    c.shutdown().await;
}
