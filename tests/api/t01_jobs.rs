use serde_json::json;

use crate::common::{TestCluster, job_json, register_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_read_list_versions_and_deregister() {
    let c = TestCluster::start(1).await;
    let (status, resp) = c
        .put(
            0,
            "/v1/jobs",
            &register_body(job_json("example", 1), Some(0)),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let eval_id = resp["EvalID"].as_str().expect("EvalID").to_string();
    let jmi = resp["JobModifyIndex"].as_u64().expect("index");
    assert_eq!(
        resp["EvalCreateIndex"].as_u64(),
        Some(jmi),
        "job and eval share one entry"
    );

    let (status, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(status, 200);
    assert_eq!(job["ID"], "example");
    assert_eq!(job["JobModifyIndex"].as_u64(), Some(jmi));
    assert_eq!(job["Version"], 0);
    assert_eq!(job["Status"], "pending");
    assert_eq!(job["Priority"], 50, "canonicalised");
    assert_eq!(job["Region"], "global");

    let (_, list) = c.get(0, "/v1/jobs?prefix=ex").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    // No nodes: the scheduler queues the one allocation.
    assert!(list[0]["JobSummary"]["Summary"]["cache"]["Queued"].is_number());
    let (_, list) = c.get(0, "/v1/jobs?prefix=zz").await;
    assert_eq!(list, json!([]));

    let (_, eval) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
    assert_eq!(eval["TriggeredBy"], "job-register");
    assert!(
        matches!(eval["Status"].as_str(), Some("pending" | "complete")),
        "{eval}"
    );
    assert_eq!(eval["JobModifyIndex"].as_u64(), Some(jmi));
    let (_, evals) = c.get(0, "/v1/job/example/evaluations").await;
    let registered = evals
        .as_array()
        .expect("evals")
        .iter()
        .filter(|e| e["TriggeredBy"] == "job-register")
        .count();
    assert_eq!(registered, 1);
    let (_, evals) = c
        .get(0, &format!("/v1/evaluations?prefix={}", &eval_id[..4]))
        .await;
    assert_eq!(evals[0]["ID"], eval_id.as_str());
    let (_, allocs) = c.get(0, "/v1/job/example/allocations").await;
    assert_eq!(allocs, json!([]));
    let (status, summary) = c.get(0, "/v1/job/example/summary").await;
    assert_eq!(status, 200);
    assert_eq!(summary["JobID"], "example");

    // A changed spec makes version 1; the same spec again makes none.
    let (status, resp) = c
        .put(
            0,
            "/v1/job/example",
            &register_body(job_json("example", 15), Some(jmi)),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    let jmi2 = resp["JobModifyIndex"].as_u64().expect("index");
    assert!(jmi2 > jmi);
    let (_, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json("example", 15), None))
        .await;
    assert!(resp["EvalID"].as_str().is_some_and(|e| !e.is_empty()));
    let (_, versions) = c.get(0, "/v1/job/example/versions").await;
    let v: Vec<u64> = versions["Versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|j| j["Version"].as_u64())
        .collect();
    assert_eq!(v, vec![1, 0]);

    // Stop, then purge.
    let (status, resp) = c.delete(0, "/v1/job/example").await;
    assert_eq!(status, 200, "{resp}");
    assert!(resp["EvalID"].as_str().is_some_and(|e| !e.is_empty()));
    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(job["Stop"], true);
    assert_eq!(job["Status"], "dead");
    let (status, _) = c.delete(0, "/v1/job/example?purge=true").await;
    assert_eq!(status, 200);
    let (status, body) = c.get(0, "/v1/job/example").await;
    assert_eq!((status, body), (404, json!("job not found")));
    // Deregistering an unknown job is not an error and creates no eval.
    let (status, resp) = c.delete(0, "/v1/job/nope").await;
    assert_eq!(status, 200);
    assert_eq!(resp["EvalID"], "");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_agent_operator_and_missing_objects() {
    let c = TestCluster::start(1).await;
    let (_, leader) = c.get(0, "/v1/status/leader").await;
    assert_eq!(leader, json!(c.rpc[0]));
    let (_, peers) = c.get(0, "/v1/status/peers").await;
    assert_eq!(peers, json!([c.rpc[0]]));
    let (_, regions) = c.get(0, "/v1/regions").await;
    assert_eq!(regions, json!(["global"]));
    let (status, health) = c.get(0, "/v1/agent/health").await;
    assert_eq!((status, &health["server"]["ok"]), (200, &json!(true)));
    let (_, me) = c.get(0, "/v1/agent/self").await;
    assert_eq!(me["stats"]["nomad"]["leader"], "true");
    assert_eq!(me["config"]["Region"], "global");
    let (_, members) = c.get(0, "/v1/agent/members").await;
    assert_eq!(members["Members"].as_array().map(Vec::len), Some(1));
    assert_eq!(members["Members"][0]["Status"], "alive");
    let (_, raft) = c.get(0, "/v1/operator/raft/configuration").await;
    assert_eq!(raft["Servers"][0]["Leader"], true);
    assert_eq!(raft["Servers"][0]["Address"], json!(c.rpc[0]));

    for (path, msg) in [
        ("/v1/allocation/abc", "alloc not found"),
        ("/v1/evaluation/abc", "eval not found"),
        ("/v1/node/abc", "node not found"),
        ("/v1/job/abc/versions", "job versions not found"),
        ("/v1/job/abc/summary", "job not found"),
    ] {
        assert_eq!(c.get(0, path).await, (404, json!(msg)), "{path}");
    }
    let (status, _) = c.get(0, "/v1/no/such/path").await;
    assert_eq!(status, 404);
    assert_eq!(c.get(0, "/v1/nodes").await, (200, json!([])));
    assert_eq!(c.get(0, "/v1/allocations").await, (200, json!([])));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_register_and_list() {
    let c = TestCluster::start(1).await;
    let id = "f5a2b7c1-0000-4000-8000-000000000001";
    let node = json!({"Node": {"ID": id, "Name": "n1", "Datacenter": "eu-west-1a", "SecretID": "s3cret",
        "HTTPAddr": "10.0.2.147:4646", "Attributes": {"nomad.version": "0.1.0"}}});
    let (status, resp) = c.put(0, "/v1/node/register", &node).await;
    assert_eq!(status, 200, "{resp}");
    let (_, list) = c.get(0, "/v1/nodes").await;
    assert_eq!(list[0]["ID"], id);
    assert_eq!(list[0]["Address"], "10.0.2.147");
    assert_eq!(list[0]["Status"], "ready");
    let (_, n) = c.get(0, &format!("/v1/node/{id}")).await;
    assert_eq!(n["SecretID"], "", "the secret is never served");
    assert_eq!(n["Datacenter"], "eu-west-1a");
    assert_eq!(
        c.get(0, &format!("/v1/node/{id}/allocations")).await,
        (200, json!([]))
    );
    let (status, _) = c
        .put(
            0,
            "/v1/node/register",
            &json!({"Node": {"ID": "not-a-uuid", "Datacenter": "a"}}),
        )
        .await;
    assert_eq!(status, 400);
    c.shutdown().await;
}
