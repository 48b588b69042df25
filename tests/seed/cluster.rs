//! A real cluster of processes on loopback: three `drover agent -server`
//! and eleven `drover agent -client` in two datacenters, each client on its
//! own loopback address with the seed's node size (768 MB, so that three
//! 256 MB tasks fit on a node).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};

/// A port the OS says is free now.
pub fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Agent {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Agent {
    fn spawn(args: &[String], log: PathBuf) -> Agent {
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_drover"))
            .args(args)
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn drover agent");
        Agent {
            child: Some(child),
            log,
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub struct Cluster {
    pub servers: Vec<Agent>,
    pub clients: Vec<Agent>,
    /// Server HTTP addresses (`http://127.0.0.1:port`).
    pub http: Vec<String>,
    pub client_ips: Vec<String>,
    pub api: ApiClient,
    /// The clients' node IDs, once ready.
    pub node_ids: Vec<String>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Stop the clients first so that nothing restarts a container.
        self.clients.clear();
        for c in containers(&self.node_ids, true) {
            docker(&["rm", "-f", &c]);
        }
    }
}

/// `docker ARGS`, its stdout trimmed.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// IDs of the containers Drover started on these nodes (`all`: stopped
/// ones too).
pub fn containers(node_ids: &[String], all: bool) -> Vec<String> {
    let mut out = Vec::new();
    for id in node_ids {
        let filter = format!("label=com.hashicorp.nomad.node_id={id}");
        let mut args = vec!["ps", "-q", "--no-trunc", "--filter", &filter];
        if all {
            args.push("-a");
        }
        out.extend(
            docker(&args)
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    out
}

pub const NODES: usize = 11;

impl Cluster {
    /// Starts the servers and clients and waits until all nodes are ready.
    /// Clients take the addresses `127.0.<net>.1` to `127.0.<net>.11`.
    pub async fn start(dir: &Path, net: u8) -> Cluster {
        let http: Vec<u16> = (0..3).map(|_| free_port("127.0.0.1")).collect();
        let rpc: Vec<u16> = (0..3).map(|_| free_port("127.0.0.1")).collect();
        let mut servers = Vec::new();
        for i in 0..3 {
            let data = dir.join(format!("server{i}"));
            std::fs::create_dir_all(&data).expect("server dir");
            let mut args: Vec<String> = [
                "agent",
                "-server",
                "-bootstrap-expect",
                "3",
                "-bind",
                "127.0.0.1",
                "-node",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            args.push(format!("server{i}"));
            args.extend([
                "-data-dir".to_string(),
                data.display().to_string(),
                "-http-port".into(),
                http[i].to_string(),
                "-rpc-port".into(),
                rpc[i].to_string(),
            ]);
            for (j, p) in rpc.iter().enumerate() {
                if j != i {
                    args.extend(["-retry-join".to_string(), format!("127.0.0.1:{p}")]);
                }
            }
            servers.push(Agent::spawn(&args, dir.join(format!("server{i}.log"))));
        }
        let http: Vec<String> = http
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect();
        let config = dir.join("client.hcl");
        std::fs::write(
            &config,
            "client {\n  memory_total_mb = 768\n  cpu_total_compute = 4000\n}\n",
        )
        .expect("client config");
        let mut clients = Vec::new();
        let mut client_ips = Vec::new();
        for n in 1..=NODES {
            let ip = format!("127.0.{net}.{n}");
            let data = dir.join(format!("client{n}"));
            std::fs::create_dir_all(&data).expect("client dir");
            let dc = if n <= 6 { "eu-west-1a" } else { "eu-west-1b" };
            let args: Vec<String> = vec![
                "agent".into(),
                "-client".into(),
                "-bind".into(),
                ip.clone(),
                "-http-port".into(),
                free_port(&ip).to_string(),
                "-data-dir".into(),
                data.display().to_string(),
                "-dc".into(),
                dc.into(),
                "-node".into(),
                format!("client{n}"),
                "-config".into(),
                config.display().to_string(),
                "-servers".into(),
                http.join(","),
            ];
            clients.push(Agent::spawn(&args, dir.join(format!("client{n}.log"))));
            client_ips.push(ip);
        }
        let api = ApiClient::new(&http).expect("api client");
        let mut cluster = Cluster {
            servers,
            clients,
            http,
            client_ips,
            api,
            node_ids: Vec::new(),
        };
        cluster.node_ids = cluster.wait_ready().await;
        cluster
    }

    async fn wait_ready(&self) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let ready: Vec<String> = match self.api.nodes(&QueryOptions::default()).await {
                Ok((nodes, _)) => nodes
                    .into_iter()
                    .filter(|n| n.status == "ready" && self.client_ips.contains(&n.address))
                    .map(|n| n.id)
                    .collect(),
                Err(_) => Vec::new(),
            };
            let ready_n = ready.len();
            if ready_n == NODES {
                return ready;
            }
            if tokio::time::Instant::now() > deadline {
                let logs: Vec<String> = self
                    .servers
                    .iter()
                    .chain(&self.clients)
                    .map(|a| format!("--- {}\n{}", a.log.display(), a.log_tail()))
                    .collect();
                panic!(
                    "only {ready_n} of {NODES} nodes ready after 90 s\n{}",
                    logs.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs `drover ARGS` in `cwd` against this cluster.
    pub async fn drover(&self, cwd: &Path, args: &[&str]) -> Run {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let cwd = cwd.to_path_buf();
        let addr = self.http[1].clone();
        let out: Output = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_drover"))
                .args(&args)
                .current_dir(cwd)
                .env("DROVER_ADDR", addr)
                .env_remove("NOMAD_ADDR")
                .output()
                .expect("run drover")
        })
        .await
        .expect("join");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// What one CLI invocation printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code and that stdout holds every line of `lines`.
    pub fn expect(&self, code: i32, lines: &[&str]) -> &Self {
        assert_eq!(self.code, code, "exit code of:\n{self:#?}");
        for l in lines {
            assert!(
                self.stdout.lines().any(|x| x == *l),
                "missing line {l:?} in:\n{}\nstderr:\n{}",
                self.stdout,
                self.stderr
            );
        }
        self
    }
}
