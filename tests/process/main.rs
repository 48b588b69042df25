//! Real `drover agent -server` processes on loopback: formation, writes
//! through a follower, SIGKILL of the leader, and a whole-cluster restart
//! from disk; a SIGKILL of every server right after a burst of writes; the
//! agent's own log (plain text in files, JSON lines, level names).

mod cli_support;
mod kill_all;
mod logs;
mod t10_cli_nodes;
mod t11_cli_jobs;
mod t12_cli_vars;
mod t13_cli_operator;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// A port the OS says is free now (the agent binds it again right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Proc {
    child: Option<Child>,
    http: u16,
    rpc: u16,
    dir: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn(p: &mut Proc, peers: &[u16], log: &Path) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drover"));
    cmd.args([
        "agent",
        "-server",
        "-bootstrap-expect",
        "3",
        "-bind",
        "127.0.0.1",
    ])
    .arg("-data-dir")
    .arg(&p.dir)
    .args([
        "-http-port",
        &p.http.to_string(),
        "-rpc-port",
        &p.rpc.to_string(),
    ]);
    for peer in peers {
        cmd.args(["-retry-join", &format!("127.0.0.1:{peer}")]);
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let err = out.try_clone().expect("log file");
    cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err));
    p.child = Some(cmd.spawn().expect("spawn drover agent"));
}

fn signal(p: &mut Proc, sig: &str) {
    if let Some(mut c) = p.child.take() {
        let _ = Command::new("kill")
            .args([sig, &c.id().to_string()])
            .status();
        let _ = c.wait();
    }
}

async fn get(client: &reqwest::Client, port: u16, path: &str) -> Option<(u16, Value)> {
    let r = client
        .get(format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let text = r.text().await.ok()?;
    Some((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn put(
    client: &reqwest::Client,
    port: u16,
    path: &str,
    body: &Value,
) -> Option<(u16, Value)> {
    let r = client
        .put(format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(15))
        .json(body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let text = r.text().await.ok()?;
    Some((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// Waits until one of `procs` reports itself leader; returns its position.
async fn wait_leader(client: &reqwest::Client, procs: &[&Proc]) -> usize {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        for (i, p) in procs.iter().enumerate() {
            if let Some((200, me)) = get(client, p.http, "/v1/agent/self?stale").await
                && me["stats"]["nomad"]["leader"] == "true"
            {
                return i;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no leader within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn job(id: &str) -> Value {
    json!({"Job": {"ID": id, "Datacenters": ["dc1"], "TaskGroups": [{"Name": "g", "Count": 1,
        "Tasks": [{"Name": "t", "Driver": "docker", "Config": {"image": "redis:3.2"}}]}]}})
}

async fn job_ids(client: &reqwest::Client, port: u16) -> Vec<String> {
    let (status, list) = get(client, port, "/v1/jobs").await.expect("list jobs");
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .expect("array")
        .iter()
        .filter_map(|j| j["ID"].as_str().map(str::to_string))
        .collect()
}

/// Starts three servers that bootstrap together, each with a directory
/// under `root`; gives them, their RPC ports and the shared log file.
fn start_three(root: &Path) -> (Vec<Proc>, Vec<u16>, PathBuf) {
    let log = root.join("agents.log");
    let mut procs: Vec<Proc> = (0..3)
        .map(|i| Proc {
            child: None,
            http: free_port(),
            rpc: free_port(),
            dir: root.join(format!("server{i}")),
        })
        .collect();
    let rpcs: Vec<u16> = procs.iter().map(|p| p.rpc).collect();
    for p in procs.iter_mut() {
        spawn(p, &rpcs, &log);
    }
    (procs, rpcs, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_survive_a_killed_leader_and_a_full_restart() {
    let root = tempfile::tempdir().expect("temp dir");
    let (mut procs, rpcs, log) = start_three(root.path());
    let client = reqwest::Client::new();
    let leader = wait_leader(&client, &procs.iter().collect::<Vec<_>>()).await;
    let follower = (leader + 1) % 3;

    let mut acked = Vec::new();
    for k in 0..20 {
        let id = format!("job-{k}");
        let (status, body) = put(&client, procs[follower].http, "/v1/jobs", &job(&id))
            .await
            .expect("register");
        assert_eq!(status, 200, "{body}");
        acked.push(id);
    }

    // SIGKILL the leader: the two others elect a new one, keep every
    // acknowledged job and take new writes.
    signal(&mut procs[leader], "-KILL");
    let rest: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let new = rest[wait_leader(
        &client,
        &rest.iter().map(|i| &procs[*i]).collect::<Vec<_>>(),
    )
    .await];
    for id in &acked {
        assert!(
            job_ids(&client, procs[new].http).await.contains(id),
            "{id} lost after failover"
        );
    }
    for k in 20..25 {
        let id = format!("job-{k}");
        let via = rest[k % 2];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match put(&client, procs[via].http, "/v1/jobs", &job(&id)).await {
                Some((200, _)) => break,
                other => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "write after failover: {other:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        acked.push(id);
    }

    // Stop everything, then start all three again from their directories.
    for i in rest {
        signal(&mut procs[i], "-TERM");
    }
    for p in procs.iter_mut() {
        spawn(p, &rpcs, &log);
    }
    let leader = wait_leader(&client, &procs.iter().collect::<Vec<_>>()).await;
    let ids = job_ids(&client, procs[(leader + 1) % 3].http).await;
    for id in &acked {
        assert!(ids.contains(id), "{id} lost after a full restart");
    }
    assert_eq!(ids.len(), acked.len());
    let (_, job) = get(&client, procs[leader].http, "/v1/job/job-3")
        .await
        .expect("job");
    assert_eq!(job["ID"], "job-3");
    for p in procs.iter_mut() {
        signal(p, "-TERM");
    }
}
