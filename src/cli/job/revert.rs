//! `drover job revert`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct RevertArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    pub arg: Option<String>,
}

pub fn run(_a: RevertArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
