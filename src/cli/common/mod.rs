//! What every verb that talks to the API shares: the connection flags,
//! the error type with its exit code, output tables, ID and time
//! formatting, prefix lookups and the placement-failure lines.

pub mod alloc_table;
pub mod format;
pub mod ibytes;
pub mod ident;
pub mod metrics;
pub mod prefix;
pub mod table;

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use drover::api_client::{ApiClient, ApiClientError};

/// The default agent address, as Nomad's.
pub const DEFAULT_ADDRESS: &str = "http://127.0.0.1:4646";

/// Flags of every verb that talks to an agent.
#[derive(Args, Clone, Debug, Default)]
pub struct ApiArgs {
    /// The agent's HTTP address [env: DROVER_ADDR, then NOMAD_ADDR;
    /// default http://127.0.0.1:4646].
    #[arg(long, value_name = "ADDR")]
    pub address: Option<String>,
    /// The region to send the request to [env: NOMAD_REGION].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The namespace [env: NOMAD_NAMESPACE].
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// An ACL token, sent as X-Nomad-Token [env: DROVER_TOKEN, NOMAD_TOKEN].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Print no colour (output is never coloured when not a terminal).
    #[arg(long = "no-color")]
    pub no_color: bool,
}

fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

impl ApiArgs {
    /// The address to talk to: the flag, `DROVER_ADDR`, `NOMAD_ADDR`, or
    /// the default.
    pub fn address(&self) -> String {
        self.address
            .clone()
            .or_else(|| env(&["DROVER_ADDR", "NOMAD_ADDR"]))
            .unwrap_or_else(|| DEFAULT_ADDRESS.to_string())
    }

    /// A client of that agent.
    pub fn client(&self) -> Result<ApiClient, CliError> {
        let token = self
            .token
            .clone()
            .or_else(|| env(&["DROVER_TOKEN", "NOMAD_TOKEN"]));
        let namespace = self
            .namespace
            .clone()
            .or_else(|| env(&["DROVER_NAMESPACE", "NOMAD_NAMESPACE"]));
        let region = self.region.clone().or_else(|| env(&["NOMAD_REGION"]));
        ApiClient::builder(&[self.address()], token, Duration::from_secs(60), 2)
            .map(|c| c.with_scope(namespace, region))
            .map_err(|e| CliError::new(format!("Error initializing client: {e}")))
    }
}

/// A failure of a verb: one line (or a few) for stderr, and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }

    /// `"<context>: <the API error>"`.
    pub fn api(context: &str, e: ApiClientError) -> Self {
        CliError::new(format!("{context}: {}", describe(&e)))
    }
}

/// An API error as one line: a server's refusal shows its status and body
/// (as Nomad's client does), an unreachable agent the address tried.
pub fn describe(e: &ApiClientError) -> String {
    match e {
        ApiClientError::Status { status, message } => {
            format!("Unexpected response code: {status} ({message})")
        }
        ApiClientError::Unreachable { tried, last } => {
            let why = last.rsplit(": ").next().unwrap_or(last);
            format!("could not reach the agent at {tried} ({why})")
        }
        other => other.to_string(),
    }
}

/// Runs a verb's future on a small runtime and turns its result into the
/// process's exit code, printing a failure on stderr.
pub fn run<F>(fut: F) -> ExitCode
where
    F: Future<Output = Result<u8, CliError>>,
{
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(fut) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Reads a job file (`-` is stdin).
pub fn read_file(path: &str) -> Result<String, CliError> {
    use std::io::Read;
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::new(format!("Error reading stdin: {e}")))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| CliError::new(format!("Error reading {path:?}: {e}")))
}
