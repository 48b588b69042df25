//! `drover job scale JOB [GROUP] COUNT`: sets a group's count (the
//! group may be left out when the job has one) and follows the
//! evaluation, as `nomad job scale` does.

use std::process::ExitCode;

use clap::Args;

use super::monitor::monitor;
use crate::cli::common::{ApiArgs, CliError, prefix, run as run_async};

#[derive(Args)]
pub struct ScaleArgs {
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
    /// The group, then the count; or only the count for a job of one group.
    #[arg(num_args = 1..=2, required = true)]
    pub rest: Vec<String>,
}

pub fn run(a: ScaleArgs) -> ExitCode {
    run_async(scale(a))
}

async fn scale(a: ScaleArgs) -> Result<u8, CliError> {
    let (group, count) = match a.rest.as_slice() {
        [count] => (None, count),
        [group, count] => (Some(group.clone()), count),
        _ => return Err(CliError::new("Expected a count, or a group and a count")),
    };
    let count: i64 = count
        .trim()
        .parse()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            CliError::new(format!(
                "The count must be a number of 0 or more, not {count:?}"
            ))
        })?;
    let api = a.api.client()?;
    let job = prefix::job(&api, &a.job).await?;
    let group = match group {
        Some(g) => g,
        None => {
            let full = api
                .job(&job.id)
                .await
                .map_err(|e| CliError::api("Error querying job", e))?;
            match full.task_groups.as_slice() {
                [g] => g.name.clone(),
                _ => {
                    return Err(CliError::new(
                        "Job has more than one task group: name the group to scale",
                    ));
                }
            }
        }
    };
    let resp = api
        .job_scale(&job.id, &group, count, "submitted using the Drover CLI")
        .await
        .map_err(|e| CliError::api("Error submitting scaling request", e))?;
    if resp.eval_id.is_empty() {
        return Ok(0);
    }
    if a.detach {
        println!("Evaluation ID: {}", resp.eval_id);
        return Ok(0);
    }
    monitor(&api, &resp.eval_id, a.verbose).await
}
