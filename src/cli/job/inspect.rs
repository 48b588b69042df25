//! `drover inspect JOB` / `drover job inspect JOB`: the registered job as
//! JSON (`{"Job": {...}}`), which `drover run` can read back with `-json`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::{ApiArgs, CliError, prefix, run as run_async};

#[derive(Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// A version to show instead of the latest.
    #[arg(long, value_name = "N")]
    pub version: Option<u64>,
    /// The job ID (or prefix).
    pub job: String,
}

pub fn run(a: InspectArgs) -> ExitCode {
    run_async(inspect(a))
}

async fn inspect(a: InspectArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let stub = prefix::job(&api, &a.job).await?;
    let job = match a.version {
        None => api
            .job(&stub.id)
            .await
            .map_err(|e| CliError::api("Error inspecting job", e))?,
        Some(v) => super::history::versions(&api, &stub.id, false)
            .await?
            .versions
            .into_iter()
            .find(|j| j.version == v)
            .ok_or_else(|| CliError::new(format!("job {:?} has no version {v}", stub.id)))?,
    };
    println!("{}", super::run::pretty_job_json(&job)?);
    Ok(0)
}
