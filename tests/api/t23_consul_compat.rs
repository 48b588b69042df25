//! The Consul-compatible catalog: a server with `consul_compat` on port 0
//! answers Consul's catalog and health reads from the registrations that
//! clients write (as in t22) and from the nodes.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, node_secret};
use crate::t22_services::{add_node, node_id, placed, reg, update};

const SERVER_DC: &str = "eu-west-1a";
const OTHER_DC: &str = "eu-west-1b";

/// One server in `SERVER_DC` serving the catalog on a port of its own.
async fn cluster() -> (TestCluster, SocketAddr) {
    let c = TestCluster::start_with(1, |config| {
        config.datacenter = SERVER_DC.into();
        config.consul_compat = Some("127.0.0.1:0".parse().expect("addr"));
    })
    .await;
    let addr = c.agents[0]
        .as_ref()
        .and_then(|a| a.consul_addr)
        .expect("the catalog's address");
    (c, addr)
}

/// A GET on the catalog: status, `X-Consul-Index`, body text.
async fn consul(c: &TestCluster, addr: SocketAddr, path: &str) -> (u16, u64, String) {
    let r = c
        .client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    let index = r
        .headers()
        .get("X-Consul-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (status, index, r.text().await.expect("body"))
}

async fn consul_json(c: &TestCluster, addr: SocketAddr, path: &str) -> Value {
    let (status, _, text) = consul(c, addr, path).await;
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).expect("JSON")
}

/// Nodes 0 (in `SERVER_DC`) and 1 (in `OTHER_DC`), with two instances of
/// `global-redis-check` on node 0 and one on node 1.
async fn seed(c: &TestCluster) -> Vec<String> {
    add_node(c, 0, SERVER_DC).await;
    add_node(c, 1, OTHER_DC).await;
    let a = placed(c, "redis-a", SERVER_DC, 2).await;
    let b = placed(c, "redis-b", OTHER_DC, 1).await;
    let (n0, n1) = (node_id(0), node_id(1));
    let name = "global-redis-check";
    let (status, body) = update(
        c,
        &n0,
        &node_secret(&n0),
        vec![
            reg("svc-a0", name, &a[0], 8080, &["global", "cache"]),
            reg("svc-a1", name, &a[1], 8081, &["cache", "global"]),
        ],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = update(
        c,
        &n1,
        &node_secret(&n1),
        vec![reg("svc-b0", name, &b[0], 9090, &["global", "b"])],
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    a
}

fn service_ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|l| l.iter().filter_map(|e| e["ServiceID"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_catalog_reads_answer_in_consuls_shapes() {
    let (c, addr) = cluster().await;
    seed(&c).await;

    // `?pretty` indents; the union of tags, and Nomad's own entries.
    let (status, index, text) = consul(&c, addr, "/v1/catalog/services?pretty").await;
    assert_eq!(status, 200, "{text}");
    assert!(index > 1, "X-Consul-Index {index}");
    assert!(text.contains("\n  \""), "indented: {text}");
    let services: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        services,
        json!({
            "global-redis-check": ["cache", "global"],
            "nomad": ["http", "rpc", "serf"],
            "nomad-client": ["http"]
        })
    );
    let other = consul_json(&c, addr, &format!("/v1/catalog/services?dc={OTHER_DC}")).await;
    assert_eq!(
        other,
        json!({"global-redis-check": ["b", "global"], "nomad-client": ["http"]})
    );

    // The instances with the node's identity and the service's address.
    let list = consul_json(&c, addr, "/v1/catalog/service/global-redis-check?pretty").await;
    assert_eq!(service_ids(&list), ["svc-a0", "svc-a1"]);
    let e = &list[0];
    assert_eq!(e["ID"], node_id(0).as_str());
    assert_eq!(e["Node"], "host-0");
    assert_eq!(e["Address"], "127.0.0.10");
    assert_eq!(e["Datacenter"], SERVER_DC);
    assert_eq!(
        e["TaggedAddresses"],
        json!({"lan": "127.0.0.10", "wan": "127.0.0.10"})
    );
    assert_eq!(e["NodeMeta"], json!({}));
    assert_eq!(e["ServiceName"], "global-redis-check");
    assert_eq!(e["ServiceTags"], json!(["global", "cache"]));
    assert_eq!(e["ServiceAddress"], "127.0.0.10");
    assert_eq!(e["ServicePort"], 8080);
    assert_eq!(e["ServiceMeta"], json!({}));
    assert_eq!(e["ServiceEnableTagOverride"], false);
    assert!(e["CreateIndex"].as_u64().is_some_and(|i| i > 0));
    assert_eq!(e["ModifyIndex"], e["CreateIndex"]);

    // Another datacenter, and the tag filter.
    let other = consul_json(
        &c,
        addr,
        &format!("/v1/catalog/service/global-redis-check?dc={OTHER_DC}"),
    )
    .await;
    assert_eq!(service_ids(&other), ["svc-b0"]);
    assert_eq!(other[0]["Node"], "host-1");
    let none = consul_json(&c, addr, "/v1/catalog/service/global-redis-check?tag=b").await;
    assert_eq!(none, json!([]));
    let b = consul_json(
        &c,
        addr,
        &format!("/v1/catalog/service/global-redis-check?tag=b&dc={OTHER_DC}"),
    )
    .await;
    assert_eq!(service_ids(&b), ["svc-b0"]);

    // Nodes and datacenters.
    let nodes = consul_json(&c, addr, "/v1/catalog/nodes").await;
    let names: Vec<&str> = nodes
        .as_array()
        .map(|l| l.iter().filter_map(|n| n["Node"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["host-0"]);
    assert_eq!(nodes[0]["ID"], node_id(0).as_str());
    assert_eq!(nodes[0]["Address"], "127.0.0.10");
    let dcs = consul_json(&c, addr, "/v1/catalog/datacenters").await;
    assert_eq!(dcs, json!([SERVER_DC, OTHER_DC]));

    // Unknown routes and writes.
    let (status, _, _) = consul(&c, addr, "/v1/kv/anything").await;
    assert_eq!(status, 404);
    let r = c
        .client
        .put(format!("http://{addr}/v1/catalog/services"))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 405);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_leaves_out_a_failing_instance() {
    let (c, addr) = cluster().await;
    let allocs = seed(&c).await;
    let path = "/v1/health/service/global-redis-check";
    let all = consul_json(&c, addr, path).await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let e = &all[0];
    assert_eq!(e["Node"]["Node"], "host-0");
    assert_eq!(e["Service"]["ID"], "svc-a0");
    assert_eq!(e["Service"]["Service"], "global-redis-check");
    assert_eq!(e["Service"]["Port"], 8080);
    let check = &e["Checks"][0];
    assert_eq!(check["Node"], "host-0");
    assert_eq!(check["CheckID"], "service:svc-a0");
    assert_eq!(check["Name"], "alive");
    assert_eq!(check["Status"], "passing");
    assert_eq!(check["Output"], "ok");
    assert_eq!(check["ServiceID"], "svc-a0");
    assert_eq!(check["ServiceName"], "global-redis-check");
    assert_eq!(check["Type"], "tcp");

    let n0 = node_id(0);
    let mut failing = reg("svc-a1", "global-redis-check", &allocs[1], 8081, &["cache"]);
    failing["Checks"][0]["Status"] = json!("critical");
    let (status, body) = update(&c, &n0, &node_secret(&n0), vec![failing], vec![]).await;
    assert_eq!(status, 200, "{body}");

    let passing = consul_json(&c, addr, &format!("{path}?passing")).await;
    let ids: Vec<&str> = passing
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|e| e["Service"]["ID"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids, ["svc-a0"]);
    let all = consul_json(&c, addr, path).await;
    assert_eq!(all[1]["Checks"][0]["Status"], "critical");
    let tagged = consul_json(&c, addr, &format!("{path}?tag=global")).await;
    assert_eq!(tagged.as_array().map(Vec::len), Some(1), "{tagged}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_read_wakes_on_a_new_registration() {
    let (c, addr) = cluster().await;
    let allocs = seed(&c).await;
    let path = "/v1/catalog/service/global-redis-check";
    let (_, index, _) = consul(&c, addr, path).await;
    assert!(index > 1);

    let blocked = {
        let client = c.client.clone();
        let url = format!("http://{addr}{path}?index={index}&wait=20s");
        tokio::spawn(async move {
            let r = client.get(url).send().await.expect("GET");
            let index = r
                .headers()
                .get("X-Consul-Index")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            (index, r.json::<Value>().await.expect("JSON"))
        })
    };
    // Not answered before the change (a short look, not a proof).
    let early = tokio::time::timeout(Duration::from_millis(300), async {
        while !blocked.is_finished() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(early.is_err(), "the read answered before any change");

    let n0 = node_id(0);
    let added = reg("svc-a2", "global-redis-check", &allocs[0], 8082, &["new"]);
    let (status, body) = update(&c, &n0, &node_secret(&n0), vec![added], vec![]).await;
    assert_eq!(status, 200, "{body}");
    let (woken, list) = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("woken well before the wait ends")
        .expect("task");
    assert!(woken > index, "{woken} > {index}");
    assert_eq!(service_ids(&list), ["svc-a0", "svc-a1", "svc-a2"]);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_service_list_wakes_on_a_new_node() {
    let (c, addr) = cluster().await;
    add_node(&c, 0, SERVER_DC).await;
    let path = "/v1/catalog/service/nomad-client";
    let (_, index, text) = consul(&c, addr, path).await;
    let before: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(service_ids(&before).len(), 1, "{text}");
    let blocked = {
        let client = c.client.clone();
        let url = format!("http://{addr}{path}?index={index}&wait=20s");
        tokio::spawn(async move {
            let r = client.get(url).send().await.expect("GET");
            r.json::<Value>().await.expect("JSON")
        })
    };
    add_node(&c, 2, SERVER_DC).await;
    let list = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("woken by the node well before the wait ends")
        .expect("task");
    assert_eq!(service_ids(&list).len(), 2, "{list}");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drovers_agents_are_instances_and_an_unknown_datacenter_is_refused() {
    let (c, addr) = cluster().await;
    seed(&c).await;

    // The server: its HTTP and RPC addresses under `nomad`.
    let servers = consul_json(&c, addr, "/v1/catalog/service/nomad").await;
    let tags: Vec<&str> = servers
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["ServiceTags"][0].as_str())
        .collect();
    assert_eq!(tags, ["http", "rpc"], "{servers}");
    let http = &servers[0];
    let want = c.http[0].rsplit_once(':').expect("host:port").1;
    assert_eq!(http["ServicePort"].to_string(), want, "{http}");
    assert_eq!(http["Datacenter"], SERVER_DC);
    let rpc_only = consul_json(&c, addr, "/v1/catalog/service/nomad?tag=rpc").await;
    assert_eq!(service_ids(&rpc_only).len(), 1, "{rpc_only}");
    // No server in the other datacenter.
    let none = consul_json(
        &c,
        addr,
        &format!("/v1/catalog/service/nomad?dc={OTHER_DC}"),
    )
    .await;
    assert_eq!(none, json!([]));

    // Each ready client node at its HTTP address under `nomad-client`.
    let clients = consul_json(
        &c,
        addr,
        &format!("/v1/health/service/nomad-client?dc={OTHER_DC}&passing"),
    )
    .await;
    let list = clients.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{clients}");
    assert_eq!(list[0]["Node"]["ID"], node_id(1));
    assert_eq!(list[0]["Service"]["Tags"], json!(["http"]));

    // A datacenter nobody is in: Consul's 500.
    for path in [
        "/v1/catalog/services?dc=nowhere",
        "/v1/catalog/service/global-redis-check?dc=nowhere",
        "/v1/health/service/global-redis-check?dc=nowhere",
        "/v1/catalog/nodes?dc=nowhere",
    ] {
        let (status, _, text) = consul(&c, addr, path).await;
        assert_eq!(status, 500, "{path}: {text}");
        assert!(text.contains("No path to datacenter"), "{path}: {text}");
    }
    c.shutdown().await;
}
