//! A Docker task's service registration follows its container: passing
//! once redis answers on its published port, critical (and still
//! registered) as soon as the container is killed, passing again after
//! the restart policy started it again; gone once the job stops. Its
//! script check runs inside the container.

use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::ServiceRegistration;

use crate::common::{TestCluster, wait_for};
use crate::support::*;

pub const SERVICE: &str = r#"
      service {
        name = "redis-health"
        tags = ["cache"]
        port = "db"
        check {
          name     = "alive"
          type     = "tcp"
          interval = "1s"
          timeout  = "1s"
        }
        check {
          name     = "inside"
          type     = "script"
          command  = "/bin/sh"
          args     = ["-c", "echo inside $(hostname)"]
          interval = "1s"
          timeout  = "2s"
        }
      }"#;

/// The registrations of `name`, when the API answers.
pub async fn registrations(api: &ApiClient, name: &str) -> Option<Vec<ServiceRegistration>> {
    api.service(name, &QueryOptions::default())
        .await
        .ok()
        .map(|(r, _)| r)
}

/// The status all of `r`'s checks agree on, or "mixed".
pub fn check_status(r: &ServiceRegistration) -> &str {
    let first = r.checks.first().map(|c| c.status.as_str()).unwrap_or("");
    if r.checks.iter().all(|c| c.status == first) {
        first
    } else {
        "mixed"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_containers_registration_turns_critical_then_passing() {
    if !docker_ready("a_killed_containers_registration_turns_critical_then_passing") {
        return;
    }
    let cluster = TestCluster::start(1).await;
    let api = ApiClient::new(&cluster.http).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut client = ClientProc::start("127.0.1.11", dir.path(), &cluster.http, &[]);
    let node = client.node_id(&api).await;

    // A restart delay long enough to see the instance critical.
    api.job_run(&redis_job_with("health", 1, "3s", SERVICE))
        .await
        .unwrap();
    let alloc = running(&api, "health", 1, Duration::from_secs(60))
        .await
        .remove(0);
    let name = format!("redis-{}", alloc.id);
    let port: i64 = inspect(
        &name,
        "{{(index (index .NetworkSettings.Ports \"6379/tcp\") 0).HostPort}}",
    )
    .parse()
    .expect("the published port of redis");
    let reg = wait_for(
        "a passing registration",
        Duration::from_secs(30),
        || async {
            let regs = registrations(&api, "redis-health").await?;
            regs.into_iter()
                .find(|r| r.alloc_id == alloc.id && check_status(r) == "passing")
        },
    )
    .await;
    assert_eq!(reg.address, "127.0.1.11");
    assert_eq!(reg.port, port);
    assert_eq!(reg.node_id, node);
    assert_eq!(reg.tags, vec!["cache".to_string()]);
    // The script ran inside the container (`docker exec`).
    let inside = &reg.checks[1];
    assert_eq!(inside.kind, "script");
    assert!(inside.output.starts_with("inside "), "{:?}", inside.output);

    docker(&["kill", &name]);
    let critical = wait_for(
        "the registration to turn critical",
        Duration::from_secs(15),
        || async {
            let regs = registrations(&api, "redis-health").await?;
            regs.into_iter()
                .find(|r| r.id == reg.id && check_status(r) == "critical")
        },
    )
    .await;
    // Still registered while it waits to restart, and said to be down.
    assert!(
        critical.checks[0].output.contains("not running"),
        "{:?}",
        critical.checks[0].output
    );
    wait_for(
        "the registration to pass again after the restart",
        Duration::from_secs(30),
        || async {
            let regs = registrations(&api, "redis-health").await?;
            regs.into_iter()
                .find(|r| r.id == reg.id && check_status(r) == "passing")
        },
    )
    .await;
    let (a, _) = api
        .allocation(&alloc.id, &QueryOptions::default())
        .await
        .unwrap();
    assert_eq!(a.task_states["redis"].restarts, 1);

    api.job_deregister("health", true).await.unwrap();
    wait_for("no registration left", Duration::from_secs(30), || async {
        registrations(&api, "redis-health")
            .await?
            .is_empty()
            .then_some(())
    })
    .await;
    wait_for("containers removed", Duration::from_secs(30), || async {
        containers_of(&node, true).is_empty().then_some(())
    })
    .await;
    drop(client);
    cluster.shutdown().await;
}
