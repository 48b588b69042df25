//! `drover server members`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::common::ApiArgs;

#[derive(Subcommand)]
pub enum ServerCommand {
    /// Lists the servers.
    Members(MembersArgs),
}

#[derive(Args)]
pub struct MembersArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

pub fn run_command(c: ServerCommand) -> ExitCode {
    match c {
        ServerCommand::Members(a) => members(a),
    }
}

pub fn members(_a: MembersArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
