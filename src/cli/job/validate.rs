//! `drover job validate`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    pub arg: Option<String>,
}

pub fn run(_a: ValidateArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
