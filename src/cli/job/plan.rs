//! `drover plan FILE`: the job's diff against the registered version and
//! the scheduler's dry run, with the index to pass to `run -check-index`.

use std::process::ExitCode;

use clap::{ArgAction, Args};
use drover::api_client::ApiClient;
use drover::structs::JobPlanResponse;
use drover::structs::rpc::JobPlanRequest;

use super::diff_render;
use crate::cli::common::{ApiArgs, CliError, metrics, run as run_async};

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Show the diff (-diff=false hides it).
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_value_t = true,
          default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    pub diff: bool,
    /// Show every field of added and removed groups and tasks.
    #[arg(long)]
    pub verbose: bool,
    /// The job file (`-` for stdin).
    pub file: String,
}

/// What `-check-index` means, printed under the hint.
const CHECK_INDEX_HELP: &str = "\
When running the job with the check-index flag, the job is run only if the
job modify index given still matches the server's. If it has changed,
someone else has modified the job since this plan, and the plan's results
may no longer hold.";

pub fn run(a: PlanArgs) -> ExitCode {
    run_async(async move {
        plan(a).await.map_err(|e| CliError {
            code: 255,
            message: e.message,
        })
    })
}

async fn plan(a: PlanArgs) -> Result<u8, CliError> {
    let job = super::load_job(&a.file)?;
    let api = a.api.client()?;
    let resp = request(&api, &job).await?;
    print!("{}", render(&resp, &a, job.job_type == "system"));
    Ok(exit_code(&resp))
}

async fn request(api: &ApiClient, job: &drover::structs::Job) -> Result<JobPlanResponse, CliError> {
    let req = JobPlanRequest {
        job: Some(job.clone()),
        diff: true,
        policy_override: false,
    };
    api.put(
        &format!("/v1/job/{}/plan", drover::api_client::segment(&job.id)),
        &req,
    )
    .await
    .map_err(|e| CliError::api("Error during plan", e))
}

/// 1 when allocations would be created or destroyed, else 0.
pub fn exit_code(resp: &JobPlanResponse) -> u8 {
    let changes = resp.annotations.as_ref().is_some_and(|a| {
        a.desired_tg_updates
            .values()
            .any(|u| u.place + u.stop + u.migrate + u.destructive_update + u.canary > 0)
    });
    u8::from(changes)
}

/// The dry-run lines: success, or the failed groups with their reasons.
pub fn dry_run(resp: &JobPlanResponse, system: bool) -> String {
    let mut out = String::new();
    let failed = resp.failed_tg_allocs.as_ref().filter(|f| !f.is_empty());
    match failed {
        None => out.push_str("- All tasks successfully allocated.\n"),
        Some(groups) => {
            if system {
                out.push_str("- WARNING: Failed to place allocations on all nodes.\n");
            } else {
                out.push_str("- WARNING: Failed to place all allocations.\n");
            }
            for (name, m) in groups {
                out.push_str(&format!("  {}\n", metrics::group_header(name, m)));
                for l in metrics::lines(m, "    ") {
                    out.push_str(&l);
                    out.push('\n');
                }
                out.push('\n');
            }
        }
    }
    for e in &resp.created_evals {
        if e.triggered_by == "rolling-update" && e.wait > 0 {
            out.push_str(&format!(
                "- Rolling update, next evaluation will be in {}.\n",
                crate::cli::common::format::pretty_duration(e.wait)
            ));
        }
    }
    out
}

fn render(resp: &JobPlanResponse, a: &PlanArgs, system: bool) -> String {
    let path = &a.file;
    let mut out = String::new();
    if a.diff
        && let Some(d) = &resp.diff
    {
        out.push_str(&diff_render::render(d, a.verbose));
        out.push_str("\n\n");
    }
    out.push_str("Scheduler dry-run:\n");
    out.push_str(dry_run(resp, system).trim_end());
    out.push_str("\n\n");
    if !resp.warnings.is_empty() {
        out.push_str(&format!("Job Warnings:\n{}\n\n", resp.warnings.trim_end()));
    }
    let n = resp.job_modify_index;
    out.push_str(&format!(
        "Job Modify Index: {n}\nTo submit the job with version verification run:\n\n\
         drover run -check-index {n} {path}\n\n{CHECK_INDEX_HELP}\n"
    ));
    out
}
