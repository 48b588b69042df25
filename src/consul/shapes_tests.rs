use super::*;
use crate::structs::CheckStatus;

fn node(id: &str, name: &str, dc: &str) -> Node {
    Node {
        id: id.into(),
        name: name.into(),
        datacenter: dc.into(),
        http_addr: "10.0.0.7:4646".into(),
        meta: [("rack".to_string(), "r1".to_string())].into(),
        create_index: 3,
        modify_index: 4,
        ..Node::default()
    }
}

fn reg(id: &str, name: &str, dc: &str, tags: &[&str], status: &[&str]) -> ServiceRegistration {
    ServiceRegistration {
        id: id.into(),
        service_name: name.into(),
        namespace: "default".into(),
        node_id: "n1".into(),
        datacenter: dc.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        address: "10.0.0.7".into(),
        port: 25123,
        checks: status
            .iter()
            .map(|s| CheckStatus {
                name: "alive".into(),
                kind: "tcp".into(),
                status: s.to_string(),
                output: "ok".into(),
            })
            .collect(),
        create_index: 10,
        modify_index: 11,
        ..ServiceRegistration::default()
    }
}

#[test]
fn services_union_tags_per_datacenter_with_nomads_own() {
    let regs = [
        reg("a", "redis", "eu", &["cache", "global"], &[]),
        reg("b", "redis", "eu", &["global", "a"], &[]),
        reg("c", "web", "us", &["x"], &[]),
    ];
    let nodes = [node("n1", "client-1", "eu")];
    let map = services_map(regs.iter(), nodes.iter(), "eu", "dc1");
    assert_eq!(map["redis"], ["a", "cache", "global"]);
    assert_eq!(map["nomad-client"], ["http"]);
    assert!(!map.contains_key("web"));
    assert!(!map.contains_key("nomad"));
    let map = services_map(regs.iter(), nodes.iter(), "dc1", "dc1");
    assert_eq!(map["nomad"], ["http", "rpc", "serf"]);
    assert_eq!(map.len(), 1);
}

#[test]
fn a_catalog_instance_carries_its_node_and_service() {
    let n = node("n1", "client-1", "eu");
    let r = reg("a", "redis", "eu", &["cache"], &["passing"]);
    let v = serde_json::to_value(catalog_service(&r, Some(&n))).expect("json");
    assert_eq!(v["ID"], "n1");
    assert_eq!(v["Node"], "client-1");
    assert_eq!(v["Address"], "10.0.0.7");
    assert_eq!(v["Datacenter"], "eu");
    assert_eq!(v["TaggedAddresses"]["lan"], "10.0.0.7");
    assert_eq!(v["NodeMeta"]["rack"], "r1");
    assert_eq!(v["ServiceID"], "a");
    assert_eq!(v["ServiceName"], "redis");
    assert_eq!(v["ServiceTags"], serde_json::json!(["cache"]));
    assert_eq!(v["ServicePort"], 25123);
    assert_eq!(v["ServiceEnableTagOverride"], false);
    assert_eq!(
        (v["CreateIndex"].as_u64(), v["ModifyIndex"].as_u64()),
        (Some(10), Some(11))
    );
    // Without the node's record, the registration stands in for it.
    let v = serde_json::to_value(catalog_service(&r, None)).expect("json");
    assert_eq!(
        (v["ID"].as_str(), v["Address"].as_str()),
        (Some("n1"), Some("10.0.0.7"))
    );
}

#[test]
fn health_entries_number_several_checks() {
    let n = node("n1", "client-1", "eu");
    let one = health_entry(&reg("a", "redis", "eu", &[], &["passing"]), Some(&n));
    assert_eq!(one.checks[0].check_id, "service:a");
    assert_eq!(one.checks[0].node, "client-1");
    let two = health_entry(
        &reg("a", "redis", "eu", &[], &["passing", "critical"]),
        Some(&n),
    );
    let ids: Vec<&str> = two.checks.iter().map(|c| c.check_id.as_str()).collect();
    assert_eq!(ids, ["service:a:1", "service:a:2"]);
    let v = serde_json::to_value(&two).expect("json");
    assert_eq!(v["Service"]["Service"], "redis");
    assert_eq!(v["Checks"][1]["Status"], "critical");
    assert_eq!(v["Checks"][1]["Type"], "tcp");
    assert_eq!(v["Node"]["Node"], "client-1");
}

#[test]
fn datacenters_put_the_servers_first() {
    let regs = [reg("a", "redis", "zz", &[], &[])];
    let nodes = [
        node("n1", "c1", "eu"),
        node("n2", "c2", "dc1"),
        node("n3", "c3", "ap"),
    ];
    assert_eq!(
        datacenters(regs.iter(), nodes.iter(), "dc1"),
        ["dc1", "ap", "eu", "zz"]
    );
}
