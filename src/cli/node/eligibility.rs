//! `drover node eligibility`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct EligibilityArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The node ID (or prefix).
    pub node: Option<String>,
}

pub fn run(_a: EligibilityArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
