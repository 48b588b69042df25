//! `drover job run`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    pub arg: Option<String>,
}

pub fn run(_a: RunArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
