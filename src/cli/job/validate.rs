//! `drover validate FILE` / `drover job validate FILE`: checks a job file
//! with the agent's rules (`PUT /v1/validate/job`), or with the same rules
//! locally when no agent can be reached.

use std::process::ExitCode;

use clap::Args;
use drover::api_client::ApiClientError;
use drover::structs::rpc::JobRegisterRequest;
use serde::Deserialize;

use crate::cli::common::{ApiArgs, CliError, read_file, run as run_async};

#[derive(Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The job file (`-` for stdin).
    pub file: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ValidateResponse {
    error: String,
    warnings: String,
}

pub fn run(a: ValidateArgs) -> ExitCode {
    run_async(validate(a))
}

async fn validate(a: ValidateArgs) -> Result<u8, CliError> {
    let job = super::load_job(&a.file)?;
    let api = a.api.client()?;
    let req = JobRegisterRequest {
        job: Some(job),
        ..JobRegisterRequest::default()
    };
    let resp = match api
        .put::<_, ValidateResponse>("/v1/validate/job", &req)
        .await
    {
        Ok(r) => r,
        Err(ApiClientError::Unreachable { .. }) => {
            println!(
                "Driver configuration not validated since connection to Drover agent couldn't be established."
            );
            let src = read_file(&a.file)?;
            return match drover::jobspec::parse_and_validate(&a.file, &src) {
                Ok(_) => {
                    println!("Job validation successful");
                    Ok(0)
                }
                Err(e) => Err(CliError::new(format!("Job validation errors:\n{e}"))),
            };
        }
        Err(e) => return Err(CliError::api("Error validating job", e)),
    };
    if !resp.error.is_empty() {
        return Err(CliError::new(format!(
            "Job validation errors:\n{}",
            resp.error.trim_end()
        )));
    }
    if !resp.warnings.is_empty() {
        println!("Job Warnings:\n{}\n", resp.warnings.trim_end());
    }
    println!("Job validation successful");
    Ok(0)
}
