//! `drover job plan`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    pub arg: Option<String>,
}

pub fn run(_a: PlanArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
