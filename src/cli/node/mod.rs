//! `drover node ...`: node status, drain and eligibility.

pub mod drain;
mod drain_monitor;
pub mod eligibility;
mod local;
mod render;
pub mod status;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Lists nodes or shows one.
    Status(status::StatusArgs),
    /// Enables or disables drain mode on a node.
    Drain(drain::DrainArgs),
    /// Marks a node eligible or ineligible for new allocations.
    Eligibility(eligibility::EligibilityArgs),
}

pub fn run_command(c: NodeCommand) -> ExitCode {
    match c {
        NodeCommand::Status(a) => status::run(a),
        NodeCommand::Drain(a) => drain::run(a),
        NodeCommand::Eligibility(a) => eligibility::run(a),
    }
}
