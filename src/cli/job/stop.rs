//! `drover stop [-purge] [-detach] JOB`: stops a job and follows the
//! evaluation that stops its allocations.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Args;

use super::monitor::monitor;
use crate::cli::common::{ApiArgs, CliError, prefix, run as run_async};

#[derive(Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Remove the job from the cluster's state now, instead of keeping it
    /// as stopped.
    #[arg(long)]
    pub purge: bool,
    /// Print the evaluation ID and return instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Do not ask for confirmation when the job was given by a prefix.
    #[arg(long)]
    pub yes: bool,
    /// Show full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The job ID (or prefix).
    pub job: String,
}

pub fn run(a: StopArgs) -> ExitCode {
    run_async(stop(a))
}

/// Asks `question [y/N]` on the terminal; only `y`/`yes` agrees.
pub fn confirm(question: &str) -> bool {
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

async fn stop(a: StopArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let job = prefix::job(&api, &a.job).await?;
    if job.id != a.job
        && !a.yes
        && !confirm(&format!("Are you sure you want to stop job {:?}?", job.id))
    {
        println!("Cancelling job stop");
        return Ok(0);
    }
    let resp = api
        .job_deregister(&job.id, a.purge)
        .await
        .map_err(|e| CliError::api("Error deregistering job", e))?;
    if resp.eval_id.is_empty() {
        return Ok(0);
    }
    if a.detach {
        println!("{}", resp.eval_id);
        return Ok(0);
    }
    monitor(&api, &resp.eval_id, a.verbose).await
}
