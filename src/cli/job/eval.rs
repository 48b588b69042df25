//! `drover job eval [-force-reschedule] JOB`: a new evaluation of a job
//! as it stands (after a node came back, or to replace failed allocations
//! now with `-force-reschedule`), followed as `run` follows its own.

use std::process::ExitCode;

use clap::Args;

use super::monitor::monitor;
use crate::cli::common::{ApiArgs, CliError, prefix, run as run_async};

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Replace the job's failed allocations now, whatever their reschedule
    /// policy says.
    #[arg(long)]
    pub force_reschedule: bool,
    /// Print the evaluation ID and return instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The job ID (or prefix).
    pub job: String,
}

pub fn run(a: EvalArgs) -> ExitCode {
    run_async(evaluate(a))
}

async fn evaluate(a: EvalArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let job = prefix::job(&api, &a.job).await?;
    let resp = api
        .job_evaluate(&job.id, a.force_reschedule)
        .await
        .map_err(|e| CliError::api("Error evaluating job", e))?;
    if a.detach {
        println!("Evaluation ID: {}", resp.eval_id);
        return Ok(0);
    }
    monitor(&api, &resp.eval_id, a.verbose).await
}
