use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};

pub fn node_json(i: usize, dc: &str, memory: i64) -> Value {
    json!({"Node": {
        "ID": format!("00000000-0000-4000-8000-{i:012}"),
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
        let dc = if i % 2 == 0 { "eu-west-1a" } else { "eu-west-1b" };
        let (status, body) = c.put(i % 3, "/v1/node/register", &node_json(i, dc, 768)).await;
        assert_eq!(status, 200, "{body}");
    }
    // dc1 has no nodes: the evaluation completes with a failure and a
    // blocked evaluation.
    let (_, resp) = c.put(1, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), Some(0))).await;
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    let eval = wait_for("the dc1 evaluation to complete", Duration::from_secs(20), || async {
        let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
        (e["Status"] == "complete").then_some(e)
    })
    .await;
    assert_eq!(eval["FailedTGAllocs"]["cache"]["NodesAvailable"]["dc1"], 0);
    assert!(eval["BlockedEval"].as_str().is_some_and(|b| !b.is_empty()));

    // Both datacenters: one allocation.
    let jmi = resp["JobModifyIndex"].as_u64().expect("index");
    let (status, resp) = c
        .put(2, "/v1/jobs", &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 1), Some(jmi)))
        .await;
    assert_eq!(status, 200, "{resp}");
    let allocs = wait_for("one allocation", Duration::from_secs(20), || async {
        let a = live_allocs(&c, 0).await;
        (a.len() == 1).then_some(a)
    })
    .await;
    assert_eq!(allocs[0]["Name"], "example.cache[0]");
    let (_, alloc) = c.get(1, &format!("/v1/allocation/{}", allocs[0]["ID"].as_str().expect("id"))).await;
    let port = &alloc["AllocatedResources"]["Tasks"]["redis"]["Networks"][0]["DynamicPorts"][0];
    assert_eq!(port["Label"], "db");
    assert!(port["Value"].as_i64().is_some_and(|v| (20000..32000).contains(&v)));
    assert_eq!(alloc["Job"]["ID"], "example");

    // 50 instances: 33 fit in memory, the rest are reported.
    let (_, resp) = c.put(0, "/v1/jobs", &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 50), None)).await;
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    let eval = wait_for("the count-50 evaluation", Duration::from_secs(30), || async {
        let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
        (e["Status"] == "complete").then_some(e)
    })
    .await;
    let failed = &eval["FailedTGAllocs"]["cache"];
    assert_eq!(failed["CoalescedFailures"].as_i64().map(|n| n + 1), Some(17));
    assert_eq!(failed["NodesExhausted"], 11);
    assert_eq!(failed["DimensionExhausted"]["memory"], 11);
    assert_eq!(live_allocs(&c, 2).await.len(), 33);
    let (_, summary) = c.get(0, "/v1/job/example/summary").await;
    assert_eq!(summary["Summary"]["cache"]["Queued"], 17);
    assert_eq!(summary["Summary"]["cache"]["Starting"], 33);

    // Scaling down to 3 frees capacity; the blocked evaluation is
    // superseded by the successful one.
    let (_, resp) = c.put(0, "/v1/jobs", &register_body(seed_job(&["eu-west-1a", "eu-west-1b"], 3), None)).await;
    let eval_id = resp["EvalID"].as_str().expect("eval").to_string();
    wait_for("the scale-down evaluation", Duration::from_secs(30), || async {
        let (_, e) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
        (e["Status"] == "complete").then_some(())
    })
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
