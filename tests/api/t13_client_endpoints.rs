//! `/v1/client/*` on a server without a client of its own: requests are
//! forwarded to the allocation's node, with clear errors when that node
//! cannot be reached or the allocation or node is unknown; and
//! `PUT /v1/allocation/{id}/stop`, which replaces an allocation.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

/// A loopback address on which nothing listens.
fn closed_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    drop(l);
    addr
}

async fn get_text(c: &TestCluster, path: &str) -> (u16, String) {
    let r = c.client.get(c.url(0, path)).send().await.expect("GET");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_requests_are_forwarded_to_the_node_and_fail_clearly() {
    let c = TestCluster::start(1).await;
    let mut node = node_json(0, "dc1", 4096);
    node["Node"]["HTTPAddr"] = json!(closed_addr());
    let node_id = node["Node"]["ID"].as_str().expect("id").to_string();
    let (status, resp) = c.put(0, "/v1/node/register", &node).await;
    assert_eq!(status, 200, "{resp}");
    c.put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 1), None))
        .await;
    let alloc = wait_for("an allocation", Duration::from_secs(20), || async {
        let (_, a) = c.get(0, "/v1/job/example/allocations").await;
        a.as_array().and_then(|a| a.first().cloned())
    })
    .await;
    let id = alloc["ID"].as_str().expect("alloc id").to_string();

    // The node registered an address nothing answers on.
    for path in [
        format!("/v1/client/allocation/{id}/stats"),
        format!("/v1/client/fs/logs/{id}?task=redis&type=stdout"),
        format!("/v1/client/stats?node_id={node_id}"),
    ] {
        let (status, text) = get_text(&c, &path).await;
        assert_eq!(status, 502, "{path}: {text}");
        assert!(
            text.starts_with(&format!("Cannot reach the node {node_id} at 127.0.0.1:")),
            "{path}: {text}"
        );
    }
    let (status, text) = get_text(&c, "/v1/client/allocation/nope/stats").await;
    assert_eq!(
        (status, text.as_str()),
        (404, "Unknown allocation \"nope\"")
    );
    let (status, text) = get_text(&c, "/v1/client/fs/ls/nope?path=/").await;
    assert_eq!(
        (status, text.as_str()),
        (404, "Unknown allocation \"nope\"")
    );
    let (status, text) = get_text(&c, "/v1/client/stats").await;
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("node_id is required"), "{text}");
    let (status, text) = get_text(&c, "/v1/client/stats?node_id=nope").await;
    assert_eq!((status, text.as_str()), (404, "Unknown node \"nope\""));

    // A server without a client says so.
    let (_, me) = c.get(0, "/v1/agent/self").await;
    assert_eq!(me["config"]["Client"]["Enabled"], false, "{me}");
    assert!(me["stats"].get("client").is_none(), "{me}");
    let (_, health) = c.get(0, "/v1/agent/health").await;
    assert!(health.get("client").is_none(), "{health}");

    // Stopping the allocation marks it for migration and replaces it.
    let (status, stopped) = c
        .put(0, &format!("/v1/allocation/{id}/stop"), &json!({}))
        .await;
    assert_eq!(status, 200, "{stopped}");
    let eval_id = stopped["EvalID"].as_str().expect("EvalID").to_string();
    assert!(stopped["Index"].as_u64().expect("Index") > 0, "{stopped}");
    let (_, eval) = c.get(0, &format!("/v1/evaluation/{eval_id}")).await;
    assert_eq!(eval["TriggeredBy"], "alloc-stop", "{eval}");
    let replacement: Value = wait_for("a replacement", Duration::from_secs(20), || async {
        let (_, a) = c.get(0, "/v1/job/example/allocations").await;
        a.as_array()?
            .iter()
            .find(|a| a["ID"] != id.as_str() && a["DesiredStatus"] == "run")
            .cloned()
    })
    .await;
    let (_, old) = c.get(0, &format!("/v1/allocation/{id}")).await;
    assert_eq!(old["DesiredStatus"], "stop", "{old}");
    assert_eq!(old["DesiredTransition"]["Migrate"], true, "{old}");
    let (_, new) = c
        .get(
            0,
            &format!("/v1/allocation/{}", replacement["ID"].as_str().unwrap()),
        )
        .await;
    assert_eq!(new["PreviousAllocation"], id.as_str(), "{new}");
    let (status, text) = c.put(0, "/v1/allocation/nope/stop", &json!({})).await;
    assert_eq!((status, text), (404, json!("alloc not found")));
    c.shutdown().await;
}
