//! `drover node drain`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct DrainArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The node ID (or prefix).
    pub node: Option<String>,
}

pub fn run(_a: DrainArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
