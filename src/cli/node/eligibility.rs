//! `drover node eligibility -enable|-disable [-self] NODE`: whether the
//! scheduler may place new allocations on a node.

use std::process::ExitCode;

use clap::Args;
use drover::structs::{NODE_ELIGIBLE, NODE_INELIGIBLE};

use super::local;
use crate::cli::common::{self, ApiArgs, CliError};

#[derive(Args)]
pub struct EligibilityArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Mark the node eligible for scheduling.
    #[arg(long)]
    pub enable: bool,
    /// Mark the node ineligible for scheduling.
    #[arg(long)]
    pub disable: bool,
    /// The node of the agent's own client.
    #[arg(long = "self")]
    pub self_: bool,
    /// The node ID (or prefix).
    pub node: Option<String>,
}

pub fn run(a: EligibilityArgs) -> ExitCode {
    common::run(eligibility(a))
}

/// `eligible` or `ineligible` from the two flags, exactly one of which
/// must be set.
pub fn wanted(enable: bool, disable: bool) -> Result<&'static str, CliError> {
    match (enable, disable) {
        (true, false) => Ok(NODE_ELIGIBLE),
        (false, true) => Ok(NODE_INELIGIBLE),
        (true, true) => Err(CliError::new(
            "The '-enable' and '-disable' flags are mutually exclusive",
        )),
        (false, false) => Err(CliError::new(
            "Either the '-enable' or '-disable' flag must be set",
        )),
    }
}

/// `Node "<id>" scheduling eligibility set: eligible for scheduling`.
pub fn done_line(node_id: &str, eligibility: &str) -> String {
    format!("Node {node_id:?} scheduling eligibility set: {eligibility} for scheduling")
}

async fn eligibility(a: EligibilityArgs) -> Result<u8, CliError> {
    let want = wanted(a.enable, a.disable)?;
    let api = a.api.client()?;
    let id = local::resolve(&api, a.node.as_deref(), a.self_).await?;
    api.node_eligibility(&id, want)
        .await
        .map_err(|e| CliError::api("Error updating scheduling eligibility", e))?;
    println!("{}", done_line(&id, want));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_the_line_printed() {
        assert_eq!(wanted(true, false).unwrap(), "eligible");
        assert_eq!(wanted(false, true).unwrap(), "ineligible");
        assert_eq!(
            wanted(false, false).unwrap_err().message,
            "Either the '-enable' or '-disable' flag must be set"
        );
        assert!(wanted(true, true).is_err());
        assert_eq!(
            done_line("abc", "ineligible"),
            "Node \"abc\" scheduling eligibility set: ineligible for scheduling"
        );
    }
}
