//! One run of a health check: connect (`tcp`), ask (`http`) or execute
//! (`script`), bounded by the check's timeout, and say what came of it
//! as a status (passing, warning, critical) and a bounded output.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};

use crate::client::task_runner::TaskCmd;

use crate::structs::{CHECK_CRITICAL, CHECK_PASSING, CHECK_WARNING};

/// Outputs are cut to this many bytes.
pub const MAX_OUTPUT: usize = 4096;

/// What running one check needs, resolved from the check, its
/// registration and its task.
#[derive(Clone, Debug, Default)]
pub struct CheckDef {
    /// `tcp`, `http`, `script` (anything else is unsupported).
    pub kind: String,
    pub address: String,
    pub port: i64,
    pub path: String,
    pub protocol: String,
    pub method: String,
    pub header: BTreeMap<String, Vec<String>>,
    /// https and grpc over TLS: take any certificate.
    pub tls_skip_verify: bool,
    /// grpc: the service asked about, and whether to use TLS.
    pub grpc_service: String,
    pub grpc_use_tls: bool,
    pub command: String,
    pub args: Vec<String>,
    pub timeout: Duration,
    /// The driver of the task the check belongs to (scripts run on the
    /// host only for `raw_exec`).
    pub driver: String,
    pub env: BTreeMap<String, String>,
    pub dir: Option<PathBuf>,
    /// The task's runner, asked for the running task when a script runs
    /// inside it (any driver but raw_exec).
    pub task: Option<mpsc::Sender<TaskCmd>>,
}

/// A run's status and output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    pub status: &'static str,
    pub output: String,
}

fn result(status: &'static str, output: impl Into<String>) -> RunResult {
    RunResult {
        status,
        output: bound(output.into()),
    }
}

/// Cuts `s` to `MAX_OUTPUT` bytes at a character boundary.
pub fn bound(mut s: String) -> String {
    if s.len() > MAX_OUTPUT {
        let mut end = MAX_OUTPUT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Runs the check once; never takes much longer than its timeout.
pub async fn run_once(def: &CheckDef) -> RunResult {
    let timeout = def.timeout;
    let fut = async {
        match def.kind.as_str() {
            "tcp" => tcp(def).await,
            "http" => http(def).await,
            "script" => script(def).await,
            "grpc" => grpc(def).await,
            other => result(
                CHECK_CRITICAL,
                format!("check type {other:?} is not supported by this client"),
            ),
        }
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => result(
            CHECK_CRITICAL,
            format!(
                "timed out after {}",
                crate::jobspec::format_duration(timeout.as_nanos() as i64)
            ),
        ),
    }
}

fn host_port(def: &CheckDef) -> String {
    if def.address.contains(':') {
        format!("[{}]:{}", def.address, def.port)
    } else {
        format!("{}:{}", def.address, def.port)
    }
}

async fn tcp(def: &CheckDef) -> RunResult {
    let target = host_port(def);
    match tokio::net::TcpStream::connect(&target).await {
        Ok(_) => result(CHECK_PASSING, format!("TCP connect {target}: Success")),
        Err(e) => result(CHECK_CRITICAL, format!("TCP connect {target}: {e}")),
    }
}

/// A response's status as a check's: 2xx passing, 429 warning (as
/// Consul), else critical.
fn http_status(code: u16) -> &'static str {
    match code {
        200..=299 => CHECK_PASSING,
        429 => CHECK_WARNING,
        _ => CHECK_CRITICAL,
    }
}

async fn http(def: &CheckDef) -> RunResult {
    let scheme = if def.protocol.is_empty() {
        "http"
    } else {
        &def.protocol
    };
    let path = if def.path.starts_with('/') || def.path.is_empty() {
        def.path.clone()
    } else {
        format!("/{}", def.path)
    };
    let url = format!("{scheme}://{}{path}", host_port(def));
    let method_name = if def.method.is_empty() {
        "GET".to_string()
    } else {
        def.method.to_uppercase()
    };
    let method = match reqwest::Method::from_bytes(method_name.as_bytes()) {
        Ok(m) => m,
        Err(e) => return result(CHECK_CRITICAL, format!("bad method {method_name:?}: {e}")),
    };
    if scheme == "https" {
        let target = host_port(def);
        let req = super::https::HttpsRequest {
            target: &target,
            host: &def.address,
            method: method.as_str(),
            path: if path.is_empty() { "/" } else { &path },
            header: &def.header,
            skip_verify: def.tls_skip_verify,
        };
        return match super::https::status(&req).await {
            Ok(code) => result(
                http_status(code),
                format!("HTTP {method_name} {url}: {code}"),
            ),
            Err(e) => result(CHECK_CRITICAL, format!("HTTP {method_name} {url}: {e}")),
        };
    }
    let client = match reqwest::Client::builder().timeout(def.timeout).build() {
        Ok(c) => c,
        Err(e) => return result(CHECK_CRITICAL, format!("cannot build an HTTP client: {e}")),
    };
    let mut req = client.request(method, &url);
    for (k, vs) in &def.header {
        for v in vs {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    match req.send().await {
        Ok(resp) => {
            let code = resp.status();
            result(
                http_status(code.as_u16()),
                format!("HTTP {method_name} {url}: {code}"),
            )
        }
        Err(e) => result(CHECK_CRITICAL, format!("HTTP {method_name} {url}: {e}")),
    }
}

async fn grpc(def: &CheckDef) -> RunResult {
    let target = host_port(def);
    let req = super::grpc::GrpcRequest {
        target: &target,
        host: &def.address,
        service: &def.grpc_service,
        header: &def.header,
        use_tls: def.grpc_use_tls,
        skip_verify: def.tls_skip_verify,
    };
    let what = if def.grpc_service.is_empty() {
        format!("gRPC check {target}")
    } else {
        format!("gRPC check {target}/{}", def.grpc_service)
    };
    match super::grpc::check(&req).await {
        Ok(super::grpc::SERVING) => result(CHECK_PASSING, format!("{what}: SERVING")),
        Ok(other) => result(
            CHECK_CRITICAL,
            format!("{what}: {}", super::grpc::status_name(other)),
        ),
        Err(e) => result(CHECK_CRITICAL, format!("{what}: {e}")),
    }
}

/// A script's exit code as a status: 0 passing, 1 warning, else critical.
fn exit_status(code: i64) -> &'static str {
    match code {
        0 => CHECK_PASSING,
        1 => CHECK_WARNING,
        _ => CHECK_CRITICAL,
    }
}

async fn script(def: &CheckDef) -> RunResult {
    if def.driver != "raw_exec" {
        return script_inside(def).await;
    }
    let mut cmd = tokio::process::Command::new(&def.command);
    cmd.args(&def.args)
        .envs(&def.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = def.dir.as_ref().filter(|d| d.is_dir()) {
        cmd.current_dir(dir);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return result(CHECK_CRITICAL, format!("cannot run {:?}: {e}", def.command)),
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let (Some(mut so), Some(mut se)) = (child.stdout.take(), child.stderr.take()) else {
        return result(CHECK_CRITICAL, "cannot read the script's output");
    };
    // Read at most a little past the bound, so a chatty script cannot
    // fill the client's memory; the rest of its output is dropped.
    let limit = (MAX_OUTPUT + 1) as u64;
    let mut so = (&mut so).take(limit);
    let mut se = (&mut se).take(limit);
    let (_, _, status) = tokio::join!(
        so.read_to_end(&mut out),
        se.read_to_end(&mut err),
        child.wait()
    );
    out.extend_from_slice(&err);
    let text = String::from_utf8_lossy(&out).into_owned();
    match status {
        Ok(s) => result(exit_status(s.code().map_or(-1, i64::from)), text),
        Err(e) => result(CHECK_CRITICAL, format!("waiting on the script: {e}")),
    }
}

/// Runs the script inside the running task, through its driver.
async fn script_inside(def: &CheckDef) -> RunResult {
    let Some(task) = &def.task else {
        return result(CHECK_CRITICAL, "the check's task is unknown");
    };
    let (tx, rx) = oneshot::channel();
    if task.send(TaskCmd::Live(tx)).await.is_err() {
        return result(CHECK_CRITICAL, "task not running");
    }
    let Ok(Some(live)) = rx.await else {
        return result(CHECK_CRITICAL, "task not running");
    };
    let mut cmd = vec![def.command.clone()];
    cmd.extend(def.args.iter().cloned());
    match live.driver.exec(&live.handle, &cmd, MAX_OUTPUT).await {
        Ok(out) => result(
            exit_status(out.exit_code),
            String::from_utf8_lossy(&out.output).into_owned(),
        ),
        Err(e) => result(CHECK_CRITICAL, format!("cannot run {:?}: {e}", def.command)),
    }
}

#[cfg(test)]
#[path = "check_run_tests.rs"]
mod tests;
