//! `check_restart` end to end: `drover agent -dev` runs a raw_exec task
//! whose service has an http check against a port nobody listens on;
//! after two failing runs the client restarts the task through its
//! restart policy. Needs no Docker engine.

use std::time::Duration;

use drover::api_client::ApiClient;

use crate::common::wait_for;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_check_restarts_its_task() {
    let log_dir = tempfile::tempdir().unwrap();
    let (_agent, http) = spawn_dev(log_dir.path());
    let api = ApiClient::new(&[format!("127.0.0.1:{http}")]).unwrap();
    wait_for("the dev node", Duration::from_secs(30), || async {
        let (nodes, _) = api.nodes(&Default::default()).await.ok()?;
        nodes.into_iter().find(|n| n.status == "ready").map(|_| ())
    })
    .await;

    let job = job(r#"
job "chk" {
  datacenters = ["dc1"]
  group "g" {
    network {
      port "http" {}
    }
    restart {
      attempts = 5
      interval = "10m"
      delay    = "1s"
      mode     = "fail"
    }
    task "host" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 1000"]
      }
      service {
        name     = "web"
        port     = "http"
        provider = "nomad"
        check {
          type     = "http"
          path     = "/health"
          interval = "1s"
          timeout  = "500ms"
          check_restart {
            limit = 2
            grace = "0s"
          }
        }
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
"#);
    api.job_run(&job).await.unwrap();
    let state = wait_for(
        "the task restarted by its check",
        Duration::from_secs(60),
        || async {
            let a = allocs(&api, "chk").await.into_iter().next()?;
            let ts = a.task_states.get("host")?.clone();
            (ts.restarts >= 1).then_some(ts)
        },
    )
    .await;
    let signaled = state
        .events
        .iter()
        .find(|e| e.event_type == "Restart Signaled")
        .expect("a Restart Signaled event");
    assert_eq!(
        signaled.restart_reason,
        "healthcheck: check \"service: \\\"web\\\" check\" unhealthy"
    );
}
