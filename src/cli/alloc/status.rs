//! `drover alloc status`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::common::ApiArgs;

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The allocation ID (or prefix).
    pub alloc: String,
}

pub fn run(_a: StatusArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
