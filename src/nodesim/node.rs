//! The node a simulated client registers: a Linux machine with healthy
//! docker and raw_exec drivers and the configured CPU and memory.

use std::collections::BTreeMap;

use super::NodesimConfig;
use crate::structs::{
    DriverInfo, NetworkResource, Node, NodeCpu, NodeDisk, NodeMemory, NodeResources, StrMap,
};

/// Simulated node number `i`, with its ID and secret. Its address is
/// unique (10.200.0.0 and up), so `unique.*` attributes differ per node.
pub(super) fn build(cfg: &NodesimConfig, i: usize, id: &str, secret: &str) -> Node {
    let dc = &cfg.datacenters[i % cfg.datacenters.len()];
    let ip = format!("10.{}.{}.{}", 200 + i / 65_536 % 50, i / 256 % 256, i % 256);
    let name = format!("sim-{i}");
    let attributes: StrMap = [
        ("kernel.name", "linux"),
        ("os.name", "simulated"),
        ("cpu.arch", "amd64"),
        ("driver.docker", "1"),
        ("driver.raw_exec", "1"),
        ("unique.hostname", &name),
        ("unique.network.ip-address", &ip),
        ("nomad.version", crate::VERSION),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let healthy = DriverInfo {
        detected: true,
        healthy: true,
        health_description: "Healthy".into(),
        ..DriverInfo::default()
    };
    Node {
        id: id.into(),
        secret_id: secret.into(),
        datacenter: dc.clone(),
        http_addr: format!("{ip}:4646"),
        node_class: "sim".into(),
        attributes,
        drivers: BTreeMap::from([
            ("docker".to_string(), healthy.clone()),
            ("raw_exec".to_string(), healthy),
        ]),
        node_resources: Some(NodeResources {
            cpu: NodeCpu {
                cpu_shares: cfg.cpu,
                ..NodeCpu::default()
            },
            memory: NodeMemory {
                memory_mb: cfg.memory,
            },
            disk: NodeDisk { disk_mb: 100_000 },
            networks: vec![NetworkResource {
                device: "eth0".into(),
                ip,
                mbits: 10_000,
                ..NetworkResource::default()
            }],
            min_dynamic_port: 20_000,
            max_dynamic_port: 32_000,
        }),
        name,
        ..Node::default()
    }
}
