//! The Docker driver against the machine's Docker engine, with the images
//! `scripts/test-images.sh` builds (busybox, redis; no registry needed).
//!
//! Each test uses its own node ID; a guard removes every container carrying
//! it when the test ends, passed or failed. Without a reachable engine the
//! tests print "skipped" and pass; with an engine but without the images
//! they fail and say how to build them.

mod failures;
mod lifecycle;
mod recovery;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use bollard::Docker;
use drover::client::driver::docker::{DockerDriver, DockerOptions};
use drover::client::driver::{Driver, LABEL_NODE_ID, LogSpec, PortBinding, TaskHandle, TaskSpec};
use serde_json::{Value, json};

pub const BUSYBOX: &str = "busybox:latest";
pub const REDIS: &str = "redis:3.2";

/// One test's world: an engine client, a node ID of its own, a scratch
/// directory, and the guard that removes the node's containers.
pub struct Ctx {
    pub docker: Docker,
    pub node: String,
    pub dir: tempfile::TempDir,
    _guard: NodeGuard,
}

/// Removes every container labelled with its node ID when dropped (with
/// the CLI, which works from `Drop` and after a panic).
pub struct NodeGuard(pub String);

impl Drop for NodeGuard {
    fn drop(&mut self) {
        remove_node_containers(&self.0);
    }
}

pub fn remove_node_containers(node: &str) {
    let filter = format!("label={LABEL_NODE_ID}={node}");
    let Ok(out) = Command::new("docker")
        .args(["ps", "-aq", "--filter", &filter])
        .output()
    else {
        return;
    };
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v"])
            .args(&ids)
            .output();
    }
}

/// The test's context, or `None` (after saying so) without an engine.
pub async fn setup() -> Option<Ctx> {
    let docker = match Docker::connect_with_defaults() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipped: no Docker engine ({e})");
            return None;
        }
    };
    if let Err(e) = docker.ping().await {
        eprintln!("skipped: no Docker engine ({e})");
        return None;
    }
    for image in [BUSYBOX, REDIS] {
        if docker.inspect_image(image).await.is_err() {
            panic!("the Docker image {image} is missing: run scripts/test-images.sh");
        }
    }
    let node = format!("test-node-{}", drover::ids::uuid());
    Some(Ctx {
        docker,
        _guard: NodeGuard(node.clone()),
        node,
        dir: tempfile::tempdir().unwrap(),
    })
}

impl Ctx {
    pub fn driver(&self) -> DockerDriver {
        DockerDriver::new(DockerOptions {
            pull_timeout: Duration::from_secs(30),
            ..DockerOptions::default()
        })
    }

    /// A task spec of this node running `image` with `config` (merged
    /// over `{"image": image}`), its directories created in the scratch
    /// directory.
    pub fn spec(&self, task: &str, image: &str, config: Value) -> TaskSpec {
        let alloc_id = drover::ids::uuid();
        let mut cfg = serde_json::Map::new();
        cfg.insert("image".into(), json!(image));
        if let Value::Object(m) = config {
            cfg.extend(m);
        }
        let alloc_dir = self.dir.path().join(&alloc_id).join("alloc");
        let task_dir = self.dir.path().join(&alloc_id).join(task);
        for d in [
            alloc_dir.join("logs"),
            task_dir.join("local"),
            task_dir.join("secrets"),
        ] {
            std::fs::create_dir_all(d).unwrap();
        }
        TaskSpec {
            instance_name: format!("{task}-{alloc_id}"),
            alloc_id,
            task_name: task.to_string(),
            node_id: self.node.clone(),
            config: cfg,
            env: BTreeMap::from([("DROVER_TEST".to_string(), "yes".to_string())]),
            cpu_mhz: 100,
            memory_mb: 64,
            memory_max_mb: 0,
            ports: Vec::new(),
            logs: LogSpec {
                dir: alloc_dir.join("logs"),
                task: task.to_string(),
                max_files: 3,
                max_file_size: 1 << 20,
            },
            local_dir: task_dir.join("local"),
            secrets_dir: task_dir.join("secrets"),
            alloc_dir,
            task_dir,
            user: String::new(),
        }
    }

    /// A busybox task running `sh -c script`.
    pub fn shell(&self, task: &str, script: &str) -> TaskSpec {
        self.spec(
            task,
            BUSYBOX,
            json!({"command": "sh", "args": ["-c", script]}),
        )
    }

    /// Whether a container named `name` exists.
    pub async fn exists(&self, name: &str) -> bool {
        self.docker.inspect_container(name, None).await.is_ok()
    }
}

/// A port that was free on `ip` a moment ago.
pub fn free_port(ip: Ipv4Addr) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn port(label: &str, ip: Ipv4Addr, host_port: u16, container_port: u16) -> PortBinding {
    PortBinding {
        label: label.into(),
        host_ip: ip.to_string(),
        host_port,
        container_port,
    }
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
pub async fn eventually<F: FnMut() -> bool>(limit: Duration, what: &str, mut check: F) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The contents of a task's log file `<task>.<stream>.0`, or empty.
pub fn log_text(spec: &TaskSpec, stream: &str) -> String {
    let path = spec.logs.dir.join(format!("{}.{stream}.0", spec.logs.task));
    std::fs::read_to_string(path).unwrap_or_default()
}

/// One redis `PING` over TCP; true on `+PONG`.
pub fn redis_ping(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    match s.read(&mut buf) {
        Ok(n) => buf[..n].starts_with(b"+PONG"),
        Err(_) => false,
    }
}

/// Stops and removes a task (the guard would too; this keeps the engine
/// tidy while the other tests run).
pub async fn finish(driver: &DockerDriver, handle: &TaskHandle) {
    let _ = driver.stop(handle, "SIGKILL", Duration::from_secs(1)).await;
    driver.destroy(handle).await.unwrap();
}
