//! Nomad's native service catalog: clients write registrations for the
//! allocations on their node (with the node's secret), `/v1/services` and
//! `/v1/service/{name}` serve them, operators delete them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, node_secret, register_body, wait_for};
use crate::t06_scheduling::node_json;

pub(crate) fn node_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// Registers node `i` in datacenter `dc`.
pub(crate) async fn add_node(c: &TestCluster, i: usize, dc: &str) {
    let (status, body) = c.put(0, "/v1/node/register", &node_json(i, dc, 8192)).await;
    assert_eq!(status, 200, "{body}");
}

/// Registers job `id` with `count` allocations in `dc` and returns their
/// IDs once placed.
pub(crate) async fn placed(c: &TestCluster, id: &str, dc: &str, count: usize) -> Vec<String> {
    let mut job = job_json(id, count as i64);
    job["Datacenters"] = json!([dc]);
    let (status, body) = c.put(0, "/v1/jobs", &register_body(job, None)).await;
    assert_eq!(status, 200, "{body}");
    wait_for("allocations placed", Duration::from_secs(20), || async {
        let (_, list) = c.get(0, &format!("/v1/job/{id}/allocations")).await;
        let ids: Vec<String> = list
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a["ID"].as_str().map(str::to_string))
            .collect();
        (ids.len() == count).then_some(ids)
    })
    .await
}

/// A registration of `alloc` as service `name`, fields left for the
/// server to fill.
pub(crate) fn reg(id: &str, name: &str, alloc: &str, port: u16, tags: &[&str]) -> Value {
    json!({
        "ID": id, "ServiceName": name, "AllocID": alloc,
        "Address": "127.0.0.10", "Port": port, "Tags": tags,
        "Provider": "nomad",
        "Checks": [{"Name": "alive", "Type": "tcp", "Status": "passing", "Output": "ok"}]
    })
}

/// `PUT /v1/node/{node}/services` with `secret`: status and body.
pub(crate) async fn update(
    c: &TestCluster,
    node: &str,
    secret: &str,
    upserts: Vec<Value>,
    deletes: Vec<&str>,
) -> (u16, Value) {
    c.put_as(
        0,
        &format!("/v1/node/{node}/services"),
        &json!({"Upserts": upserts, "Deletes": deletes}),
        secret,
    )
    .await
}

/// A GET's status, `X-Nomad-Index` and body.
pub(crate) async fn get_indexed(c: &TestCluster, path: &str) -> (u16, u64, Value) {
    let r = c.client.get(c.url(0, path)).send().await.expect("GET");
    let status = r.status().as_u16();
    let index = r
        .headers()
        .get("X-Nomad-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (status, index, r.json().await.unwrap_or(Value::Null))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r["ID"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_registrations_are_served_filtered_resent_and_deleted() {
    let c = TestCluster::start(1).await;
    add_node(&c, 0, "dc1").await;
    let n0 = node_id(0);
    let allocs = placed(&c, "web", "dc1", 2).await;
    let secret = node_secret(&n0);

    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![
            reg("svc-b", "web", &allocs[1], 8081, &["blue", "v1"]),
            reg("svc-a", "web", &allocs[0], 8080, &["green", "v1"]),
            reg("svc-c", "metrics", &allocs[0], 9090, &["prom"]),
        ],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let written = body["Index"].as_u64().expect("Index");

    let (status, index, list) = get_indexed(&c, "/v1/service/web").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(index, written);
    assert_eq!(ids(&list), ["svc-a", "svc-b"], "sorted by ID");
    let a = &list[0];
    assert_eq!(a["Namespace"], "default");
    assert_eq!(a["JobID"], "web");
    assert_eq!(a["NodeID"], n0.as_str());
    assert_eq!(a["Datacenter"], "dc1");
    assert_eq!(a["AllocID"], allocs[0].as_str());
    assert_eq!(a["Port"], 8080);
    assert_eq!(a["Checks"][0]["Status"], "passing");
    assert_eq!(a["CreateIndex"].as_u64(), Some(written));
    assert_eq!(a["ModifyIndex"].as_u64(), Some(written));

    // The list: per namespace, each name with the union of its tags.
    let (status, services) = c.get(0, "/v1/services").await;
    assert_eq!(status, 200, "{services}");
    assert_eq!(
        services,
        json!([{"Namespace": "default", "Services": [
            {"ServiceName": "metrics", "Tags": ["prom"]},
            {"ServiceName": "web", "Tags": ["blue", "green", "v1"]}
        ]}])
    );
    let (_, all) = c.get(0, "/v1/services?namespace=*").await;
    assert_eq!(all, services);
    let (_, none) = c.get(0, "/v1/services?namespace=other").await;
    assert_eq!(none, json!([]));

    // The tag filter.
    let (_, blue) = c.get(0, "/v1/service/web?tag=blue").await;
    assert_eq!(ids(&blue), ["svc-b"]);
    let (_, v1) = c.get(0, "/v1/service/web?tag=v1").await;
    assert_eq!(ids(&v1), ["svc-a", "svc-b"]);
    let (status, unknown) = c.get(0, "/v1/service/nothing").await;
    assert_eq!((status, unknown), (200, json!([])));

    // The same batch again moves nothing.
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![reg("svc-a", "web", &allocs[0], 8080, &["green", "v1"])],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Index"].as_u64(), Some(written));
    let (_, index, again) = get_indexed(&c, "/v1/service/web").await;
    assert_eq!(index, written);
    assert_eq!(again, list);

    // A changed check moves the registration's ModifyIndex only.
    let mut failing = reg("svc-a", "web", &allocs[0], 8080, &["green", "v1"]);
    failing["Checks"][0]["Status"] = json!("critical");
    let (status, body) = update(&c, &n0, &secret, vec![failing], vec![]).await;
    assert_eq!(status, 200, "{body}");
    let changed = body["Index"].as_u64().expect("Index");
    assert!(changed > written);
    let (_, index, list) = get_indexed(&c, "/v1/service/web").await;
    assert_eq!(index, changed);
    assert_eq!(list[0]["CreateIndex"].as_u64(), Some(written));
    assert_eq!(list[0]["ModifyIndex"].as_u64(), Some(changed));
    assert_eq!(list[0]["Checks"][0]["Status"], "critical");

    // The client deletes one (an unknown ID is ignored).
    let (status, body) = update(&c, &n0, &secret, vec![], vec!["svc-b", "never-was"]).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = c.get(0, "/v1/service/web").await;
    assert_eq!(ids(&list), ["svc-a"]);

    // An operator deletes another; an unknown one, or one under another
    // name, is a 404.
    let (status, body) = c.delete(0, "/v1/service/metrics/svc-c").await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = c.get(0, "/v1/service/metrics").await;
    assert_eq!(list, json!([]));
    let (status, _) = c.delete(0, "/v1/service/metrics/svc-c").await;
    assert_eq!(status, 404);
    let (status, _) = c.delete(0, "/v1/service/metrics/svc-a").await;
    assert_eq!(status, 404);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_without_the_nodes_secret_or_for_another_nodes_allocations_are_refused() {
    let c = TestCluster::start(1).await;
    add_node(&c, 0, "dc1").await;
    add_node(&c, 1, "dc2").await;
    let (n0, n1) = (node_id(0), node_id(1));
    let mine = placed(&c, "web", "dc1", 1).await;
    let theirs = placed(&c, "other", "dc2", 1).await;
    let ok = || vec![reg("svc-a", "web", &mine[0], 8080, &[])];

    // No secret, another node's secret.
    let (status, body) = update(&c, &n0, "", ok(), vec![]).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = update(&c, &n0, &node_secret(&n1), ok(), vec![]).await;
    assert_eq!(status, 403, "{body}");
    // An allocation of another node, an unknown one, another NodeID.
    let secret = node_secret(&n0);
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![reg("svc-x", "web", &theirs[0], 8080, &[])],
        vec![],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.to_string().contains("does not belong to node"),
        "{body}"
    );
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![reg("svc-x", "web", "no-such-alloc", 8080, &[])],
        vec![],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let mut elsewhere = reg("svc-x", "web", &mine[0], 8080, &[]);
    elsewhere["NodeID"] = json!(n1);
    let (status, body) = update(&c, &n0, &secret, vec![elsewhere], vec![]).await;
    assert_eq!(status, 400, "{body}");
    // Bounds: no ID, too many tags, too large a batch.
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![reg("", "web", &mine[0], 1, &[])],
        vec![],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let tags: Vec<String> = (0..65).map(|i| format!("t{i}")).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![reg("svc-a", "web", &mine[0], 1, &tags)],
        vec![],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("Tags"), "{body}");
    let deletes: Vec<String> = (0..1001).map(|i| format!("d{i}")).collect();
    let (status, body) = update(
        &c,
        &n0,
        &secret,
        vec![],
        deletes.iter().map(String::as_str).collect(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("at most 1000"), "{body}");

    // None of that wrote anything; the right secret does.
    let (_, list) = c.get(0, "/v1/service/web").await;
    assert_eq!(list, json!([]));
    let (status, body) = update(&c, &n0, &secret, ok(), vec![]).await;
    assert_eq!(status, 200, "{body}");
    // Another node cannot delete it.
    let (status, body) = update(&c, &n1, &node_secret(&n1), vec![], vec!["svc-a"]).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = c.get(0, "/v1/service/web").await;
    assert_eq!(ids(&list), ["svc-a"]);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choose_returns_a_stable_subset_of_the_asked_size() {
    let c = TestCluster::start(1).await;
    add_node(&c, 0, "dc1").await;
    let n0 = node_id(0);
    let allocs = placed(&c, "web", "dc1", 1).await;
    let regs: Vec<Value> = (0..6)
        .map(|i| reg(&format!("svc-{i}"), "web", &allocs[0], 8080 + i, &[]))
        .collect();
    let (status, body) = update(&c, &n0, &node_secret(&n0), regs, vec![]).await;
    assert_eq!(status, 200, "{body}");

    let (status, first) = c.get(0, "/v1/service/web?choose=2|client-1").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first).len(), 2);
    for _ in 0..3 {
        let (_, again) = c.get(0, "/v1/service/web?choose=2|client-1").await;
        assert_eq!(ids(&again), ids(&first));
    }
    let (_, all) = c.get(0, "/v1/service/web?choose=10|client-1").await;
    assert_eq!(ids(&all).len(), 6);
    assert_eq!(
        ids(&all)[..2],
        ids(&first)[..],
        "a larger choice extends a smaller one"
    );
    for bad in ["2", "0|k", "x|k", "2|"] {
        let (status, body) = c.get(0, &format!("/v1/service/web?choose={bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    c.shutdown().await;
}
