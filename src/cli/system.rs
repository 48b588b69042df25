//! `drover system gc` and `drover system reconcile summaries`: as
//! Nomad's, they print nothing on success.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::common::{self, ApiArgs, CliError};

#[derive(Subcommand)]
pub enum SystemCommand {
    /// Collects terminal evaluations, allocations, dead jobs and down
    /// nodes now.
    Gc(SystemArgs),
    /// Reconciliation actions.
    #[command(subcommand)]
    Reconcile(ReconcileCommand),
}

#[derive(Subcommand)]
pub enum ReconcileCommand {
    /// Rebuilds every job summary from its allocations.
    Summaries(SystemArgs),
}

#[derive(Args)]
pub struct SystemArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

pub fn run_command(c: SystemCommand) -> ExitCode {
    match c {
        SystemCommand::Gc(a) => common::run(put(
            a,
            "/v1/system/gc",
            "Error running system garbage-collection",
        )),
        SystemCommand::Reconcile(ReconcileCommand::Summaries(a)) => common::run(put(
            a,
            "/v1/system/reconcile/summaries",
            "Error running system summary reconciliation",
        )),
    }
}

async fn put(a: SystemArgs, path: &'static str, what: &'static str) -> Result<u8, CliError> {
    a.api
        .client()?
        .put::<_, serde_json::Value>(path, &serde_json::json!({}))
        .await
        .map_err(|e| CliError::api(what, e))?;
    Ok(0)
}
