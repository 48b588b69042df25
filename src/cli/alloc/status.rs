//! `drover alloc status [-verbose] [-short] ALLOC`.

use std::process::ExitCode;

use clap::Args;
use drover::api_client::ApiClient;

use super::lookup;
use super::render::{self, Opts};
use crate::cli::common::{self, ApiArgs, CliError, format};

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Full IDs, absolute times and placement metrics.
    #[arg(long)]
    pub verbose: bool,
    /// Only the header and each task's latest event.
    #[arg(long)]
    pub short: bool,
    /// The allocation ID (or prefix).
    pub alloc: String,
}

pub fn run(a: StatusArgs) -> ExitCode {
    common::run(status(a))
}

async fn status(a: StatusArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    show(&api, &a.alloc, a.verbose, a.short).await
}

/// Prints the page of the allocation `id` names (an ID or prefix); also
/// how `drover status` shows an allocation.
pub async fn show(api: &ApiClient, id: &str, verbose: bool, short: bool) -> Result<u8, CliError> {
    let alloc = lookup::alloc(api, id).await?;
    let opts = Opts {
        verbose,
        short,
        now: format::now_nanos(),
    };
    println!("{}", render::page(&alloc, opts));
    if !short {
        // Older servers have no such route: then there is no section.
        let services: Vec<drover::structs::ServiceRegistration> = api
            .get(
                &format!("/v1/allocation/{}/services", alloc.id),
                &drover::api_client::QueryOptions::default(),
            )
            .await
            .map(|(v, _)| v)
            .unwrap_or_default();
        if let Some(s) = super::checks::section(&services) {
            println!("\n{s}");
        }
    }
    Ok(0)
}
