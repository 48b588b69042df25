//! `drover operator raft list-peers`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::common::ApiArgs;

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Raft commands.
    #[command(subcommand)]
    Raft(RaftCommand),
}

#[derive(Subcommand)]
pub enum RaftCommand {
    /// Lists the Raft peers.
    #[command(name = "list-peers")]
    ListPeers(ListPeersArgs),
}

#[derive(Args)]
pub struct ListPeersArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

pub fn run_command(c: OperatorCommand) -> ExitCode {
    match c {
        OperatorCommand::Raft(RaftCommand::ListPeers(a)) => list_peers(a),
    }
}

pub fn list_peers(_a: ListPeersArgs) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::from(1)
}
