//! `drover job revert JOB VERSION`: registers an earlier version of a job
//! again (as a new version) and follows the evaluation.

use std::process::ExitCode;

use clap::Args;
use drover::structs::rpc::JobRegisterResponse;
use serde::Serialize;

use super::monitor::monitor;
use crate::cli::common::{ApiArgs, CliError, prefix, run as run_async};

#[derive(Args)]
pub struct RevertArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print the evaluation ID and return instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The job ID (or prefix).
    pub job: String,
    /// The version to revert to.
    pub version: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RevertRequest<'a> {
    #[serde(rename = "JobID")]
    job_id: &'a str,
    job_version: u64,
}

pub fn run(a: RevertArgs) -> ExitCode {
    run_async(revert(a))
}

async fn revert(a: RevertArgs) -> Result<u8, CliError> {
    let version: u64 = a.version.trim().parse().map_err(|_| {
        CliError::new(format!(
            "The job version to revert to must be a number, not {:?}",
            a.version
        ))
    })?;
    let api = a.api.client()?;
    let job = prefix::job(&api, &a.job).await?;
    let resp: JobRegisterResponse = api
        .put(
            &format!("/v1/job/{}/revert", job.id),
            &RevertRequest {
                job_id: &job.id,
                job_version: version,
            },
        )
        .await
        .map_err(|e| CliError::api("Error reverting job", e))?;
    if resp.eval_id.is_empty() {
        return Ok(0);
    }
    if a.detach {
        println!("Evaluation ID: {}", resp.eval_id);
        return Ok(0);
    }
    monitor(&api, &resp.eval_id, a.verbose).await
}
