//! `drover operator raft list-peers`: the servers of the Raft group.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::api_client::RaftServer;

use crate::cli::common::{self, ApiArgs, CliError, table};

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Raft commands.
    #[command(subcommand)]
    Raft(RaftCommand),
    /// Scheduler configuration.
    #[command(subcommand)]
    Scheduler(super::operator_config::SchedulerCommand),
    /// Autopilot configuration and server health.
    #[command(subcommand)]
    Autopilot(super::operator_config::AutopilotCommand),
}

#[derive(Subcommand)]
pub enum RaftCommand {
    /// Lists the Raft peers.
    #[command(name = "list-peers")]
    ListPeers(ListPeersArgs),
    /// Removes a server from the Raft configuration.
    #[command(name = "remove-peer")]
    RemovePeer(super::operator_config::RemovePeerArgs),
}

#[derive(Args)]
pub struct ListPeersArgs {
    #[command(flatten)]
    pub api: ApiArgs,
}

pub fn run_command(c: OperatorCommand) -> ExitCode {
    match c {
        OperatorCommand::Raft(RaftCommand::ListPeers(a)) => list_peers(a),
        OperatorCommand::Raft(RaftCommand::RemovePeer(a)) => {
            super::operator_config::run_remove_peer(a)
        }
        OperatorCommand::Scheduler(c) => super::operator_config::run_scheduler(c),
        OperatorCommand::Autopilot(c) => super::operator_config::run_autopilot(c),
    }
}

pub fn list_peers(a: ListPeersArgs) -> ExitCode {
    common::run(peers(a))
}

async fn peers(a: ListPeersArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let cfg = api
        .raft_configuration()
        .await
        .map_err(|e| CliError::api("Failed to retrieve raft configuration", e))?;
    println!("{}", render(&cfg.servers));
    Ok(0)
}

/// `Node|ID|Address|State|Voter|RaftProtocol`, sorted by node.
pub fn render(servers: &[RaftServer]) -> String {
    let mut sorted: Vec<&RaftServer> = servers.iter().collect();
    sorted.sort_by(|a, b| a.node.cmp(&b.node).then_with(|| a.id.cmp(&b.id)));
    let mut rows = vec!["Node|ID|Address|State|Voter|RaftProtocol".to_string()];
    for s in sorted {
        let state = if s.leader { "leader" } else { "follower" };
        rows.push(format!(
            "{}|{}|{}|{state}|{}|{}",
            s.node, s.id, s.address, s.voter, s.raft_protocol
        ));
    }
    table::list(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_sorted_by_node() {
        let s = |node: &str, id: &str, leader: bool| RaftServer {
            id: id.into(),
            node: node.into(),
            address: "127.0.0.1:4647".into(),
            leader,
            voter: true,
            raft_protocol: "3".into(),
        };
        assert_eq!(
            render(&[s("b.global", "2", false), s("a.global", "1", true)]),
            "Node      ID  Address         State     Voter  RaftProtocol\n\
             a.global  1   127.0.0.1:4647  leader    true   3\n\
             b.global  2   127.0.0.1:4647  follower  true   3"
        );
    }
}
