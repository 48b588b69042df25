//! `drover eval status`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::common::ApiArgs;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Shows an evaluation.
    Status(StatusArgs),
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The evaluation ID (or prefix).
    pub eval: String,
}

pub fn run_command(c: EvalCommand) -> ExitCode {
    match c {
        EvalCommand::Status(a) => status(a),
    }
}

pub fn status(_a: StatusArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
