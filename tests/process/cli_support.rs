//! Helpers of the CLI tests: a `drover agent -dev` process and `drover`
//! invocations against it, with deadlines.

use std::process::Stdio;
use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};

use super::free_port;

/// How long one CLI run may take.
const RUN_WAIT: Duration = Duration::from_secs(30);
/// How long the cluster may take to get somewhere.
const WAIT: Duration = Duration::from_secs(60);

pub struct Agent(Option<std::process::Child>);

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `drover <args>` against `addr`, feeding `stdin`.
pub async fn drover_in(addr: &str, args: &[&str], stdin: &str) -> Out {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_drover"));
    cmd.args(args)
        .env("DROVER_ADDR", addr)
        .env_remove("NOMAD_ADDR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn drover");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).await.expect("stdin");
    }
    let out = tokio::time::timeout(RUN_WAIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("drover {args:?} did not finish within {RUN_WAIT:?}"))
        .expect("drover output");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub async fn drover(addr: &str, args: &[&str]) -> Out {
    drover_in(addr, args, "").await
}

/// Runs a command that must succeed; gives its stdout.
pub async fn ok(addr: &str, args: &[&str]) -> String {
    let o = drover(addr, args).await;
    assert_eq!(o.code, 0, "drover {args:?}: {}{}", o.stdout, o.stderr);
    o.stdout
}

/// Polls `check` until it gives a value, at most `WAIT`.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A running `drover agent -dev` (server and client, raw_exec enabled).
pub struct Dev {
    pub _agent: Agent,
    pub addr: String,
    /// The RPC port.
    pub rpc: u16,
    pub api: ApiClient,
    /// The ready node's ID.
    pub node: String,
    pub _dir: tempfile::TempDir,
}

/// Starts a dev agent on free ports and waits until its node is ready.
pub async fn start_dev() -> Dev {
    let (http, rpc) = (free_port(), free_port());
    let dir = tempfile::tempdir().expect("temp dir");
    let log = std::fs::File::create(dir.path().join("agent.log")).expect("log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_drover"))
        .args(["agent", "-dev", "-http-port", &http.to_string()])
        .args(["-rpc-port", &rpc.to_string()])
        .arg("-data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn agent");
    let agent = Agent(Some(child));
    let addr = format!("http://127.0.0.1:{http}");
    let api = ApiClient::new(std::slice::from_ref(&addr)).expect("client");
    let node = wait_for("a ready node", || async {
        let (nodes, _) = api.nodes(&QueryOptions::default()).await.ok()?;
        nodes
            .into_iter()
            .find(|n| n.status == "ready")
            .map(|n| n.id)
    })
    .await;
    Dev {
        _agent: agent,
        addr,
        rpc,
        api,
        node,
        _dir: dir,
    }
}
