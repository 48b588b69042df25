//! `drover job dispatch [-meta k=v]... [-idempotency-token T] JOB [INPUT]`
//! (a parameterized job's child, its payload read from INPUT or `-` for
//! stdin) and `drover job periodic force JOB`, each followed as `run`
//! follows its evaluation unless `-detach`.

use std::io::Read;
use std::process::ExitCode;

use base64::Engine;
use clap::{Args, Subcommand};
use drover::api_client::segment;
use drover::structs::{JobDispatchRequest, JobDispatchResponse, StrMap};

use super::monitor::monitor;
use crate::cli::common::{ApiArgs, CliError, run as run_async};

#[derive(Args)]
pub struct DispatchArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Meta for the dispatched job, as key=value (repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// A retried dispatch with this token launches nothing new while the
    /// first one's job lives.
    #[arg(long = "idempotency-token")]
    pub idempotency_token: Option<String>,
    /// Print the IDs and return instead of following the evaluation.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The parameterized job.
    pub job: String,
    /// A file holding the payload (`-`: stdin).
    pub input: Option<String>,
}

#[derive(Subcommand)]
pub enum PeriodicCommand {
    /// Launches a periodic job now.
    Force(ForceArgs),
}

#[derive(Args)]
pub struct ForceArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[arg(long)]
    pub detach: bool,
    #[arg(long)]
    pub verbose: bool,
    pub job: String,
}

pub fn run(a: DispatchArgs) -> ExitCode {
    run_async(dispatch(a))
}

pub fn run_periodic(c: PeriodicCommand) -> ExitCode {
    match c {
        PeriodicCommand::Force(a) => run_async(force(a)),
    }
}

fn meta(pairs: &[String]) -> Result<StrMap, CliError> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(CliError::new(format!(
                "Error parsing meta value {p:?}: expected key=value"
            ))),
        })
        .collect()
}

fn payload(input: Option<&str>) -> Result<Vec<u8>, CliError> {
    match input {
        None => Ok(Vec::new()),
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| CliError::new(format!("Error reading input data: {e}")))?;
            Ok(buf)
        }
        Some(path) => {
            std::fs::read(path).map_err(|e| CliError::new(format!("Error reading input data: {e}")))
        }
    }
}

async fn dispatch(a: DispatchArgs) -> Result<u8, CliError> {
    let req = JobDispatchRequest {
        job_id: a.job.clone(),
        payload: base64::engine::general_purpose::STANDARD.encode(payload(a.input.as_deref())?),
        meta: meta(&a.meta)?,
        idempotency_token: a.idempotency_token.clone().unwrap_or_default(),
    };
    let api = a.api.client()?;
    let resp: JobDispatchResponse = api
        .put(&format!("/v1/job/{}/dispatch", segment(&a.job)), &req)
        .await
        .map_err(|e| CliError::api("Failed to dispatch job", e))?;
    let eval = if a.verbose || resp.eval_id.len() < 8 {
        resp.eval_id.as_str()
    } else {
        &resp.eval_id[..8]
    };
    println!("Dispatched Job ID = {}", resp.dispatched_job_id);
    if resp.eval_id.is_empty() {
        // An earlier dispatch with the same token answered.
        return Ok(0);
    }
    println!("Evaluation ID     = {eval}");
    if a.detach {
        return Ok(0);
    }
    println!();
    monitor(&api, &resp.eval_id, a.verbose).await
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ForceResponse {
    #[serde(rename = "EvalID", default)]
    eval_id: String,
}

async fn force(a: ForceArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let resp: ForceResponse = api
        .put(
            &format!("/v1/job/{}/periodic/force", segment(&a.job)),
            &serde_json::json!({}),
        )
        .await
        .map_err(|e| CliError::api("Error forcing periodic job", e))?;
    if a.detach {
        println!("Force periodic successful");
        println!("Evaluation ID: {}", resp.eval_id);
        return Ok(0);
    }
    monitor(&api, &resp.eval_id, a.verbose).await
}
