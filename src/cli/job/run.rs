//! `drover run [-check-index N] [-detach] FILE`: submits a job and follows
//! its evaluation.

use std::process::ExitCode;

use clap::Args;
use drover::api_client::ApiClientError;
use drover::structs::rpc::JobRegisterRequest;

use super::monitor::monitor;
use crate::cli::common::{ApiArgs, CliError, describe, run as run_async};

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Submit only if the job's modify index still equals this (0: the job
    /// must not exist yet), as printed by `drover plan`.
    #[arg(long = "check-index", value_name = "INDEX")]
    pub check_index: Option<String>,
    /// Print the evaluation ID and return instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// Print the request body (the job as JSON) instead of submitting it.
    #[arg(long)]
    pub output: bool,
    /// The job file (`-` for stdin).
    pub file: String,
}

pub fn run(a: RunArgs) -> ExitCode {
    run_async(submit(a))
}

/// The JSON Nomad's `run -output` prints: `{"Job": {...}}`, indented by
/// four spaces.
pub fn pretty_job_json(job: &drover::structs::Job) -> Result<String, CliError> {
    let value = serde_json::json!({ "Job": job });
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(&value, &mut ser)
        .map_err(|e| CliError::new(format!("Error encoding the job: {e}")))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn submit(a: RunArgs) -> Result<u8, CliError> {
    let check_index =
        match &a.check_index {
            None => None,
            Some(s) => Some(s.trim().parse::<u64>().map_err(|e| {
                CliError::new(format!("Error parsing check-index value {s:?}: {e}"))
            })?),
        };
    let (job, source) = super::load_job_with_source(&a.file)?;
    if a.output {
        println!("{}", pretty_job_json(&job)?);
        return Ok(0);
    }
    let api = a.api.client()?;
    let periodic = job.periodic.is_some() || job.parameterized_job.is_some();
    let format = if source.trim_start().starts_with('{') {
        "json"
    } else {
        "hcl2"
    };
    let req = JobRegisterRequest {
        submission: Some(drover::structs::JobSubmission {
            source,
            format: format.into(),
            ..Default::default()
        }),
        job: Some(job),
        enforce_index: check_index.is_some(),
        job_modify_index: check_index.unwrap_or(0),
        ..JobRegisterRequest::default()
    };
    let resp = match api.job_register(&req).await {
        Ok(r) => r,
        Err(e) => return Err(register_error(e)),
    };
    if !resp.warnings.is_empty() {
        eprintln!("Job Warnings:\n{}\n", resp.warnings.trim_end());
    }
    if a.detach || periodic || resp.eval_id.is_empty() {
        println!("Job registration successful");
        if !resp.eval_id.is_empty() {
            println!("Evaluation ID: {}", resp.eval_id);
        }
        return Ok(0);
    }
    monitor(&api, &resp.eval_id, a.verbose).await
}

/// A check-index refusal is two plain lines; anything else one.
fn register_error(e: ApiClientError) -> CliError {
    if let ApiClientError::Status { message, .. } = &e
        && let Some(at) = message.find("Enforcing job modify index")
    {
        let line = message[at..].lines().next().unwrap_or_default().trim();
        return CliError::new(format!("{line}\nJob not updated"));
    }
    CliError::new(format!("Error submitting job: {}", describe(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_index_refusals_are_two_lines() {
        let e = register_error(ApiClientError::Status {
            status: 500,
            message: "Enforcing job modify index 0: job already exists".into(),
        });
        assert_eq!(
            e.message,
            "Enforcing job modify index 0: job already exists\nJob not updated"
        );
        assert_eq!(e.code, 1);
        let e = register_error(ApiClientError::Status {
            status: 500,
            message: "boom".into(),
        });
        assert_eq!(
            e.message,
            "Error submitting job: Unexpected response code: 500 (boom)"
        );
    }
}
