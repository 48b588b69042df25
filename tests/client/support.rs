//! Client agent processes, Docker inspection through the `docker` CLI,
//! and job helpers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::{Allocation, Job};
use serde_json::Value;

use crate::common::wait_for;

/// Whether a Docker engine answers and the test images exist; prints why
/// a test skips otherwise.
pub fn docker_ready(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("{test}: skipped: no Docker engine answers (`docker version` failed)");
        return false;
    }
    for image in ["redis:3.2", "busybox:latest"] {
        let present = Command::new("docker")
            .args(["image", "inspect", image])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            present,
            "image {image} is missing: run scripts/test-images.sh"
        );
    }
    true
}

/// `docker` with `args`, its stdout trimmed.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `docker inspect -f FORMAT TARGET`.
pub fn inspect(target: &str, format: &str) -> String {
    docker(&["inspect", "-f", format, target])
}

/// IDs of the containers (running or not) labelled with `node_id`.
pub fn containers_of(node_id: &str, all: bool) -> Vec<String> {
    let filter = format!("label=com.hashicorp.nomad.node_id={node_id}");
    let mut args = vec!["ps", "-q", "--no-trunc", "--filter", &filter];
    if all {
        args.push("-a");
    }
    docker(&args)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// A free TCP port on `ip`.
pub fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .expect("bind port 0")
        .local_addr()
        .expect("addr")
        .port()
}

/// A `drover agent -client` process.
pub struct ClientProc {
    pub child: Option<Child>,
    pub data_dir: PathBuf,
    pub ip: String,
    pub http_port: u16,
    pub servers: Vec<String>,
    pub node_id: Option<String>,
    extra: Vec<String>,
    env: Vec<(String, String)>,
}

impl ClientProc {
    /// Starts a client on `ip` with its data in `data_dir`.
    pub fn start(ip: &str, data_dir: &Path, servers: &[String], extra: &[&str]) -> ClientProc {
        Self::start_with_env(ip, data_dir, servers, extra, &[])
    }

    /// Like [`ClientProc::start`], with extra environment variables.
    pub fn start_with_env(
        ip: &str,
        data_dir: &Path,
        servers: &[String],
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> ClientProc {
        let mut c = ClientProc {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
            data_dir: data_dir.to_path_buf(),
            ip: ip.to_string(),
            http_port: free_port(ip),
            servers: servers.to_vec(),
            node_id: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        c.spawn();
        c
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.data_dir.join("agent.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_drover"))
            .args(["agent", "-client", "-bind", &self.ip])
            .args(["-http-port", &self.http_port.to_string()])
            .args(["-data-dir", &self.data_dir.display().to_string()])
            .args(["-servers", &self.servers.join(",")])
            .args(&self.extra)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("DROVER_LOG", "info,drover=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the client agent");
        self.child = Some(child);
    }

    /// Kills the process with SIGKILL (its tasks keep running).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same data directory and address.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The agent's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("agent.log")).unwrap_or_default()
    }

    /// Waits until the client registered and returns its node ID.
    pub async fn node_id(&mut self, api: &ApiClient) -> String {
        if let Some(id) = &self.node_id {
            return id.clone();
        }
        let ip = self.ip.clone();
        let id = wait_for(
            "the client to register",
            Duration::from_secs(30),
            || async {
                let (nodes, _) = api.nodes(&QueryOptions::default()).await.ok()?;
                nodes
                    .into_iter()
                    .find(|n| n.address == ip && n.status == "ready")
                    .map(|n| n.id)
            },
        )
        .await;
        self.node_id = Some(id.clone());
        id
    }
}

impl Drop for ClientProc {
    fn drop(&mut self) {
        self.kill();
        if let Some(id) = &self.node_id {
            for c in containers_of(id, true) {
                docker(&["rm", "-f", &c]);
            }
        }
    }
}

/// A job from HCL, through the library's parser.
pub fn job(hcl: &str) -> Job {
    drover::jobspec::parse_and_validate("test.nomad", hcl).expect("job parses")
}

/// The seed's job: redis in Docker with the 0.6-era port and port_map,
/// `count` instances, a fast restart policy.
pub fn redis_job(id: &str, count: u32, delay: &str) -> Job {
    redis_job_with(id, count, delay, "")
}

/// As [`redis_job`], with `extra` (e.g. a `service` block) in the task.
pub fn redis_job_with(id: &str, count: u32, delay: &str, extra: &str) -> Job {
    job(&format!(
        r#"
job "{id}" {{
  datacenters = ["dc1"]
  type = "service"
  group "cache" {{
    count = {count}
    restart {{
      attempts = 2
      interval = "5m"
      delay    = "{delay}"
      mode     = "fail"
    }}
    task "redis" {{
      driver = "docker"
      config {{
        image = "redis:3.2"
        port_map {{
          db = 6379
        }}
      }}
      env {{
        GREETING = "hello ${{NOMAD_ALLOC_INDEX}}"
      }}
      kill_timeout = "2s"
      {extra}
      resources {{
        cpu    = 500
        memory = 256
        network {{
          mbits = 10
          port "db" {{}}
        }}
      }}
    }}
  }}
}}
"#
    ))
}

/// The job's allocations (full objects).
pub async fn allocs(api: &ApiClient, job: &str) -> Vec<Allocation> {
    let Ok((stubs, _)) = api.job_allocations(job, &QueryOptions::default()).await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in stubs {
        if let Ok((a, _)) = api.allocation(&s.id, &QueryOptions::default()).await {
            out.push(a);
        }
    }
    out
}

/// Waits until `n` allocations of `job` are running (desired run).
pub async fn running(api: &ApiClient, job: &str, n: usize, within: Duration) -> Vec<Allocation> {
    wait_for(
        &format!("{n} running allocations of {job}"),
        within,
        || async {
            let all = allocs(api, job).await;
            let run: Vec<Allocation> = all
                .into_iter()
                .filter(|a| a.desired_status == "run" && a.client_status == "running")
                .collect();
            (run.len() == n).then_some(run)
        },
    )
    .await
}

/// The task's environment as Docker holds it.
pub fn container_env(container: &str) -> Vec<String> {
    let json = docker(&["inspect", "-f", "{{json .Config.Env}}", container]);
    serde_json::from_str::<Value>(&json)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Sends `PING` to redis at `addr` and reads the answer.
pub fn redis_ping(addr: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s =
        std::net::TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    s.write_all(b"PING\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).trim().to_string())
}

/// Starts `drover agent -dev` on free ports with its log in `log_dir`;
/// returns its guard and HTTP port.
pub fn spawn_dev(log_dir: &Path) -> (KillOnDrop, u16) {
    let (http, rpc) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let log = std::fs::File::create(log_dir.join("dev.log")).expect("log file");
    let agent = Command::new(env!("CARGO_BIN_EXE_drover"))
        .args(["agent", "-dev", "-http-port", &http.to_string()])
        .args(["-rpc-port", &rpc.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the dev agent");
    (KillOnDrop(Some(agent)), http)
}

/// Stops the agent when the test ends: SIGTERM first, so that it stops
/// its raw_exec task (which would outlive a SIGKILL), then SIGKILL if it
/// is still there after a while.
pub struct KillOnDrop(pub Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let Some(mut c) = self.0.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}
