//! The seed's checks: the redis container Drover starts has the CPU shares,
//! memory, ports (tcp and udp, on the node's address), environment, name
//! and image ID the walkthrough shows, and redis answers on the port.

use std::time::Duration;

use drover::api_client::ApiClient;

use crate::common::{TestCluster, wait_for};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_container_matches_the_job() {
    if !docker_ready("the_seed_container_matches_the_job") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.1", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    api.job_run(&redis_job("seed", 1, "1s")).await.unwrap();
    let allocs = running(&api, "seed", 1, Duration::from_secs(60)).await;
    let alloc = &allocs[0];
    assert_eq!(alloc.node_id, node);
    let name = format!("redis-{}", alloc.id);

    assert_eq!(
        inspect(&name, "{{.HostConfig.CpuShares}}"),
        "500",
        "{}",
        client.log()
    );
    assert_eq!(inspect(&name, "{{.HostConfig.Memory}}"), "268435456");
    let image = inspect(&name, "{{.Config.Image}}");
    assert!(
        image.starts_with("sha256:"),
        "created from the image ID, not {image:?}"
    );
    assert_eq!(image, inspect("redis:3.2", "{{.Id}}"));

    let env = container_env(&name);
    let var = |k: &str| {
        env.iter()
            .find_map(|e| e.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} missing from {env:?}"))
            .to_string()
    };
    let host_port = var("NOMAD_HOST_PORT_db");
    assert_eq!(var("NOMAD_ALLOC_ID"), alloc.id);
    assert_eq!(var("NOMAD_TASK_NAME"), "redis");
    assert_eq!(var("NOMAD_TASK_DIR"), "/local");
    assert_eq!(var("NOMAD_CPU_LIMIT"), "500");
    assert_eq!(var("NOMAD_MEMORY_LIMIT"), "256");
    assert_eq!(var("NOMAD_JOB_NAME"), "seed");
    assert_eq!(var("NOMAD_GROUP_NAME"), "cache");
    assert_eq!(var("NOMAD_ALLOC_INDEX"), "0");
    assert_eq!(var("NOMAD_ADDR_db"), format!("127.0.1.1:{host_port}"));
    assert_eq!(var("GREETING"), "hello 0", "env interpolation");

    for proto in ["tcp", "udp"] {
        let binding = inspect(
            &name,
            &format!("{{{{json (index .HostConfig.PortBindings \"6379/{proto}\")}}}}"),
        );
        assert!(
            binding.contains("\"HostIp\":\"127.0.1.1\"")
                && binding.contains(&format!("\"HostPort\":\"{host_port}\"")),
            "{proto} binding {binding} should publish 127.0.1.1:{host_port}"
        );
    }
    let addr = format!("127.0.1.1:{host_port}");
    wait_for("redis to answer", Duration::from_secs(20), || async {
        (redis_ping(&addr).as_deref() == Some("+PONG")).then_some(())
    })
    .await;

    // The allocation directory is mounted.
    let mounts = inspect(&name, "{{range .Mounts}}{{.Destination}} {{end}}");
    for m in ["/alloc", "/local", "/secrets"] {
        assert!(mounts.contains(m), "{m} not mounted: {mounts}");
    }
    // Task states reach the servers.
    let (a, _) = api
        .allocation(&alloc.id, &Default::default())
        .await
        .unwrap();
    let ts = a.task_states.get("redis").expect("task state");
    assert_eq!(ts.state, "running");
    let kinds: Vec<&str> = ts.events.iter().map(|e| e.event_type.as_str()).collect();
    assert!(kinds.starts_with(&["Received", "Task Setup"]), "{kinds:?}");
    assert!(kinds.contains(&"Started"), "{kinds:?}");

    api.job_deregister("seed", true).await.unwrap();
    wait_for(
        "the container to be removed",
        Duration::from_secs(30),
        || async { containers_of(&node, true).is_empty().then_some(()) },
    )
    .await;
    drop(client);
    cluster.shutdown().await;
}
