//! `drover job history [-p] JOB`: a job's versions, newest first, with
//! what changed in each.

use std::process::ExitCode;

use clap::Args;
use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::{Job, JobDiff};
use serde::Deserialize;

use super::diff_render;
use crate::cli::common::format::time_rfc3339;
use crate::cli::common::{ApiArgs, CliError, prefix, run as run_async, table};

#[derive(Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Show the changes each version made.
    #[arg(short = 'p')]
    pub diffs: bool,
    /// Show the whole job of each version as JSON.
    #[arg(long)]
    pub full: bool,
    /// Show only this version.
    #[arg(long, value_name = "N")]
    pub version: Option<u64>,
    /// The job ID (or prefix).
    pub job: String,
}

/// `GET /v1/job/{id}/versions`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Versions {
    pub versions: Vec<Job>,
    pub diffs: Option<Vec<JobDiff>>,
}

pub async fn versions(api: &ApiClient, id: &str, diffs: bool) -> Result<Versions, CliError> {
    let (v, _) = api
        .get_with::<Versions>(
            &format!("/v1/job/{id}/versions"),
            &QueryOptions::default(),
            &[("diffs", diffs.to_string())],
        )
        .await
        .map_err(|e| CliError::api("Error retrieving job versions", e))?;
    Ok(v)
}

pub fn run(a: HistoryArgs) -> ExitCode {
    run_async(history(a))
}

async fn history(a: HistoryArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let stub = prefix::job(&api, &a.job).await?;
    let v = versions(&api, &stub.id, a.diffs).await?;
    let diffs = v.diffs.unwrap_or_default();
    let mut blocks = Vec::new();
    for (i, job) in v.versions.iter().enumerate() {
        if a.version.is_some_and(|n| n != job.version) {
            continue;
        }
        let diff = if a.diffs { diffs.get(i) } else { None };
        blocks.push(version_block(job, diff, a.full)?);
    }
    if blocks.is_empty()
        && let Some(n) = a.version
    {
        return Err(CliError::new(format!(
            "job {:?} has no version {n}",
            stub.id
        )));
    }
    println!("{}", blocks.join("\n\n"));
    Ok(0)
}

/// `Version = 1`, `Stable = false`, `Submit Date = ...`, then the diff
/// (`Diff =` followed by the plan-style diff on the next lines).
pub fn version_block(job: &Job, diff: Option<&JobDiff>, full: bool) -> Result<String, CliError> {
    let mut rows = vec![
        format!("Version|{}", job.version),
        format!("Stable|{}", job.stable),
        format!("Submit Date|{}", time_rfc3339(job.submit_time)),
    ];
    if diff.is_some() {
        rows.push("Diff|-".to_string());
    }
    let mut out = table::kv(&rows);
    if let Some(d) = diff {
        // The placeholder keeps the keys aligned; the diff starts below.
        out.truncate(out.len() - 1);
        out.push('\n');
        out.push_str(&diff_render::render(d, false));
    }
    if full {
        out.push_str("\nFull     =\n");
        out.push_str(&super::run::pretty_job_json(job)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_with_its_diff() {
        let job = Job {
            version: 1,
            ..Job::default()
        };
        let diff = JobDiff {
            diff_type: drover::structs::DiffType::Edited,
            id: "example".into(),
            ..JobDiff::default()
        };
        let b = version_block(&job, Some(&diff), false).unwrap_or_default();
        assert_eq!(
            b,
            "Version     = 1\nStable      = false\nSubmit Date = N/A\nDiff        = \n+/- Job: \"example\""
        );
    }
}
