//! `drover alloc stop [-detach] [-verbose] ALLOC`: stops an allocation;
//! the scheduler places a replacement, which the evaluation monitor of
//! `job run` follows (exit 2 when it cannot be placed).

use std::process::ExitCode;

use clap::Args;

use super::lookup;
use crate::cli::common::{self, ApiArgs, CliError};
use crate::cli::job::monitor;

#[derive(Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print the evaluation's ID and return instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Full IDs.
    #[arg(long)]
    pub verbose: bool,
    /// The allocation ID (or prefix).
    pub alloc: String,
}

pub fn run(a: StopArgs) -> ExitCode {
    common::run(stop(a))
}

async fn stop(a: StopArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let alloc = lookup::alloc(&api, &a.alloc).await?;
    let resp = api
        .alloc_stop(&alloc.id)
        .await
        .map_err(|e| CliError::api("Error stopping allocation", e))?;
    if a.detach {
        println!("{}", resp.eval_id);
        return Ok(0);
    }
    monitor::monitor(&api, &resp.eval_id, a.verbose).await
}
