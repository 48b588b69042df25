use std::sync::Arc;

use drover::structs::{
    AllocatedResources, AllocatedTaskResources, DrainStrategy, DriverInfo, NodeCpu, NodeDisk,
    NodeEvent, NodeMemory, NodeReservedResources, NodeResources,
};

use super::*;

const S: i64 = 1_000_000_000;

fn stub(id: &str, class: &str) -> NodeListStub {
    NodeListStub {
        id: id.into(),
        node_pool: "default".into(),
        datacenter: "dc1".into(),
        name: "dev".into(),
        node_class: class.into(),
        address: "127.0.0.1".into(),
        version: "0.1.0".into(),
        scheduling_eligibility: "eligible".into(),
        status: "ready".into(),
        ..NodeListStub::default()
    }
}

#[test]
fn the_list_with_and_without_extras() {
    let nodes = [
        stub("363c70c1-4813-49fc-acf6-77ef691b0134", ""),
        stub("9f0e0b3a-0000-0000-0000-000000000000", "large"),
    ];
    assert_eq!(
        list(&nodes, ListOpts::default(), None),
        "ID        Node Pool  DC   Name  Class   Drain  Eligibility  Status\n\
         363c70c1  default    dc1  dev   <none>  false  eligible     ready\n\
         9f0e0b3a  default    dc1  dev   large   false  eligible     ready"
    );
    let running = BTreeMap::from([(nodes[0].id.clone(), 2)]);
    let v = list(&nodes[..1], ListOpts { verbose: true }, Some(&running));
    assert_eq!(
        v,
        "ID                                    Node Pool  DC   Name  Class   Address    Version  Drain  Eligibility  Status  Running Allocs\n\
         363c70c1-4813-49fc-acf6-77ef691b0134  default    dc1  dev   <none>  127.0.0.1  0.1.0    false  eligible     ready   2"
    );
    assert_eq!(list(&[], ListOpts::default(), None), "No nodes registered");
}

fn node() -> Node {
    Node {
        id: "363c70c1-4813-49fc-acf6-77ef691b0134".into(),
        name: "dev".into(),
        node_pool: "default".into(),
        datacenter: "dc1".into(),
        scheduling_eligibility: "eligible".into(),
        status: "ready".into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpu {
                cpu_shares: 4000,
                ..NodeCpu::default()
            },
            memory: NodeMemory { memory_mb: 8192 },
            disk: NodeDisk { disk_mb: 20480 },
            ..NodeResources::default()
        }),
        reserved_resources: Some(NodeReservedResources {
            memory: NodeMemory { memory_mb: 308 },
            ..NodeReservedResources::default()
        }),
        drivers: BTreeMap::from([
            (
                "docker".to_string(),
                DriverInfo {
                    detected: true,
                    healthy: false,
                    ..DriverInfo::default()
                },
            ),
            (
                "raw_exec".to_string(),
                DriverInfo {
                    detected: true,
                    healthy: true,
                    ..DriverInfo::default()
                },
            ),
            ("exec".to_string(), DriverInfo::default()),
        ]),
        events: vec![NodeEvent {
            message: "Node registered".into(),
            subsystem: "Cluster".into(),
            ..NodeEvent::default()
        }],
        attributes: BTreeMap::from([("kernel.name".to_string(), "linux".to_string())]),
        ..Node::default()
    }
}

fn alloc(id: &str, client_status: &str, cpu: i64, mem: i64) -> Allocation {
    let mut r = AllocatedResources::default();
    let mut t = AllocatedTaskResources::default();
    t.cpu.cpu_shares = cpu;
    t.memory.memory_mb = mem;
    r.tasks.insert("redis".to_string(), t);
    r.shared.disk_mb = 300;
    Allocation {
        id: id.into(),
        node_id: "363c70c1-4813-49fc-acf6-77ef691b0134".into(),
        task_group: "cache".into(),
        desired_status: "run".into(),
        client_status: client_status.into(),
        allocated_resources: Some(Arc::new(r)),
        create_index: 7,
        create_time: 100 * S,
        modify_time: 160 * S,
        ..Allocation::default()
    }
}

#[test]
fn resources_count_the_live_allocations_only() {
    let allocs = [
        alloc("a1", "running", 500, 256),
        alloc("a2", "complete", 1000, 1024),
    ];
    assert_eq!(
        allocated_resources(&node(), &allocs),
        "CPU           Memory           Disk\n\
         500/4000 MHz  256 MiB/7.7 GiB  300 MiB/20 GiB"
    );
}

#[test]
fn drain_is_described_as_nomad_does() {
    let mut n = node();
    assert_eq!(drain_text(&n), "false");
    n.drain_strategy = Some(DrainStrategy {
        deadline: -1,
        ignore_system_jobs: true,
        ..DrainStrategy::default()
    });
    assert_eq!(drain_text(&n), "true; force drain; ignoring system jobs");
    n.drain_strategy = Some(DrainStrategy::default());
    assert_eq!(drain_text(&n), "true; no deadline");
    n.drain_strategy = Some(DrainStrategy {
        deadline: 3_600 * S,
        force_deadline: "2017-06-28T07:07:11Z".into(),
        ..DrainStrategy::default()
    });
    let t = drain_text(&n);
    assert!(
        t.starts_with("true; 2017-06-28T") && t.ends_with(" deadline"),
        "{t}"
    );
}

#[test]
fn one_node_page() {
    let allocs = [alloc(
        "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c",
        "running",
        500,
        256,
    )];
    let opts = NodeOpts {
        uptime: Some(3_723),
        now: 165 * S,
        ..NodeOpts::default()
    };
    assert_eq!(
        super::node(&node(), &allocs, opts),
        "ID            = 363c70c1-4813-49fc-acf6-77ef691b0134\n\
         Name          = dev\n\
         Node Pool     = default\n\
         Class         = <none>\n\
         DC            = dc1\n\
         Drain         = false\n\
         Eligibility   = eligible\n\
         Status        = ready\n\
         Uptime        = 1h2m3s\n\
         Driver Status = docker (unhealthy),raw_exec\n\
         \n\
         Node Events\n\
         Time  Subsystem  Message\n\
         N/A   Cluster    Node registered\n\
         \n\
         Allocated Resources\n\
         CPU           Memory           Disk\n\
         500/4000 MHz  256 MiB/7.7 GiB  300 MiB/20 GiB\n\
         \n\
         Allocations\n\
         ID        Node ID   Task Group  Version  Desired  Status   Created   Modified\n\
         8dd4be51  363c70c1  cache       0        run      running  1m5s ago  5s ago"
    );
}

#[test]
fn short_and_verbose_pages() {
    let short = super::node(
        &node(),
        &[],
        NodeOpts {
            short: true,
            ..NodeOpts::default()
        },
    );
    assert!(
        short.ends_with(
            "Status      = ready\n\
             Drivers     = docker (unhealthy),raw_exec\n\
             \n\
             Allocations\n\
             No allocations placed"
        ),
        "{short}"
    );
    let verbose = super::node(
        &node(),
        &[],
        NodeOpts {
            verbose: true,
            ..NodeOpts::default()
        },
    );
    assert!(!verbose.contains("Driver Status"), "{verbose}");
    assert!(
        verbose.contains("\n\nDrivers\nDriver    Detected  Healthy"),
        "{verbose}"
    );
    assert!(
        verbose.ends_with("\n\nAttributes\nkernel.name = linux\n\nMeta"),
        "{verbose}"
    );
}
