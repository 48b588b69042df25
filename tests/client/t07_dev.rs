//! `drover agent -dev`: one process runs a server and a client; a job with
//! a Docker task and a raw_exec task runs on it, and stopping the agent
//! (SIGTERM) stops the tasks, since its data goes away with it.

use std::process::Command;
use std::time::Duration;

use drover::api_client::ApiClient;

use crate::common::wait_for;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_runs_docker_and_raw_exec_tasks_and_cleans_up() {
    if !docker_ready("dev_mode_runs_docker_and_raw_exec_tasks_and_cleans_up") {
        return;
    }
    let log_dir = tempfile::tempdir().unwrap();
    let (mut agent, http) = spawn_dev(log_dir.path());
    let api = ApiClient::new(&[format!("127.0.0.1:{http}")]).unwrap();
    let node = wait_for("the dev node", Duration::from_secs(30), || async {
        let (nodes, _) = api.nodes(&Default::default()).await.ok()?;
        nodes
            .into_iter()
            .find(|n| n.status == "ready")
            .map(|n| n.id)
    })
    .await;

    let marker = log_dir.path().join("raw-exec-ran");
    let job = job(&format!(
        r#"
job "dev" {{
  datacenters = ["dc1"]
  group "g" {{
    task "box" {{
      driver = "docker"
      config {{
        image = "busybox:latest"
        command = "sh"
        args = ["-c", "sleep 1000"]
      }}
      resources {{
        cpu = 100
        memory = 32
      }}
    }}
    task "host" {{
      driver = "raw_exec"
      config {{
        command = "/bin/sh"
        args = ["-c", "echo $NOMAD_ALLOC_ID > {marker}; sleep 1000"]
      }}
      resources {{
        cpu = 100
        memory = 32
      }}
    }}
  }}
}}
"#,
        marker = marker.display()
    ));
    api.job_run(&job).await.unwrap();
    let alloc = running(&api, "dev", 1, Duration::from_secs(60))
        .await
        .remove(0);
    assert_eq!(alloc.node_id, node);
    wait_for(
        "the raw_exec task's output",
        Duration::from_secs(10),
        || async {
            let s = std::fs::read_to_string(&marker).ok()?;
            (s.trim() == alloc.id).then_some(())
        },
    )
    .await;
    wait_for(
        "the docker task's container",
        Duration::from_secs(30),
        || async { (containers_of(&node, false).len() == 1).then_some(()) },
    )
    .await;

    // SIGTERM: the agent stops, and with it the tasks.
    let mut child = agent.0.take().unwrap();
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the agent exits cleanly: {status}");
    assert!(containers_of(&node, true).is_empty(), "containers removed");
    // And the host process: nothing runs with the marker in its command.
    let pattern = marker.display().to_string();
    wait_for("the raw_exec task to end", Duration::from_secs(10), || {
        let pattern = pattern.clone();
        async move {
            let out = Command::new("pgrep").args(["-f", &pattern]).output().ok()?;
            out.stdout.is_empty().then_some(())
        }
    })
    .await;
}
