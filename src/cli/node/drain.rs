//! `drover node drain [-enable|-disable] [-deadline D] [-force]
//! [-no-deadline] [-ignore-system] [-keep-ineligible] [-detach]
//! [-monitor] [-self] [-yes] NODE`: moves a node's allocations elsewhere
//! and keeps new ones off it, or cancels that.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use drover::api_client::{DrainSpec, NodeDrainRequest};

use super::{drain_monitor, local};
use crate::cli::common::{self, ApiArgs, CliError};

/// Nomad's default drain deadline.
const DEFAULT_DEADLINE: &str = "1h";

#[derive(Args)]
pub struct DrainArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Start draining the node.
    #[arg(long)]
    pub enable: bool,
    /// Stop draining the node.
    #[arg(long)]
    pub disable: bool,
    /// How long allocations may take to move before they are stopped
    /// (Go duration, default 1h).
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,
    /// Stop every allocation now (no deadline to move them by).
    #[arg(long)]
    pub force: bool,
    /// Let allocations take as long as they need to move.
    #[arg(long = "no-deadline")]
    pub no_deadline: bool,
    /// Leave system jobs' allocations running.
    #[arg(long = "ignore-system")]
    pub ignore_system: bool,
    /// With -disable: leave the node ineligible for scheduling.
    #[arg(long = "keep-ineligible")]
    pub keep_ineligible: bool,
    /// Return once the drain is set instead of following it.
    #[arg(long)]
    pub detach: bool,
    /// Follow a drain already under way.
    #[arg(long)]
    pub monitor: bool,
    /// The node of the agent's own client.
    #[arg(long = "self")]
    pub self_: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// The node ID (or prefix).
    pub node: Option<String>,
}

pub fn run(a: DrainArgs) -> ExitCode {
    common::run(drain(a))
}

/// What the flags ask for.
#[derive(Debug, PartialEq)]
pub enum Plan {
    /// Set a drain with this spec.
    Enable(DrainSpecPlan),
    /// Cancel the drain; `mark_eligible` makes the node eligible again.
    Disable { mark_eligible: bool },
    /// Only follow a drain under way.
    MonitorOnly,
}

#[derive(Debug, PartialEq)]
pub struct DrainSpecPlan {
    pub deadline: i64,
    pub ignore_system: bool,
}

/// Checks the flags and turns them into a [`Plan`].
pub fn plan(a: &DrainArgs) -> Result<Plan, CliError> {
    if a.enable && a.disable {
        return Err(CliError::new(
            "The '-enable' and '-disable' flags are mutually exclusive",
        ));
    }
    if a.monitor && a.detach {
        return Err(CliError::new("-monitor and -detach are mutually exclusive"));
    }
    if a.monitor && a.disable {
        return Err(CliError::new("-monitor cannot be used with -disable"));
    }
    if !a.enable && !a.disable {
        if a.monitor {
            return Ok(Plan::MonitorOnly);
        }
        return Err(CliError::new(
            "Either the '-enable' or '-disable' flag must be set, unless using '-monitor'",
        ));
    }
    if a.disable {
        return Ok(Plan::Disable {
            mark_eligible: !a.keep_ineligible,
        });
    }
    if a.force && a.no_deadline {
        return Err(CliError::new(
            "-force and -no-deadline are mutually exclusive",
        ));
    }
    let deadline = if a.force {
        -1
    } else if a.no_deadline {
        0
    } else {
        let text = a.deadline.as_deref().unwrap_or(DEFAULT_DEADLINE);
        let d = drover::jobspec::parse_duration(text)
            .map_err(|e| CliError::new(format!("Failed to parse deadline {text:?}: {e}")))?;
        if d <= 0 {
            return Err(CliError::new("A positive drain deadline must be given"));
        }
        d
    };
    Ok(Plan::Enable(DrainSpecPlan {
        deadline,
        ignore_system: a.ignore_system,
    }))
}

/// What an answer to the confirmation question means.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Yes,
    /// Nothing, or no: cancel quietly.
    No,
    /// Something else: refuse.
    Unclear,
}

pub fn answer(line: &str) -> Answer {
    match line.trim() {
        "y" => Answer::Yes,
        "" => Answer::No,
        s if s.to_ascii_lowercase().starts_with('n') => Answer::No,
        _ => Answer::Unclear,
    }
}

/// Asks on stdout and reads the answer from stdin.
fn confirm(verb: &str, node_id: &str) -> Result<Answer, CliError> {
    print!("Are you sure you want to {verb} drain mode for node {node_id:?}? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(format!("Failed to read the answer: {e}")))?;
    // An answer typed at a terminal ended the line; a piped one did not.
    if !std::io::stdin().is_terminal() {
        println!();
    }
    Ok(answer(&line))
}

async fn drain(a: DrainArgs) -> Result<u8, CliError> {
    let plan = plan(&a)?;
    let api = a.api.client()?;
    let id = local::resolve(&api, a.node.as_deref(), a.self_).await?;
    let request = match &plan {
        Plan::MonitorOnly => {
            return drain_monitor::monitor(&api, &id, a.ignore_system, false).await;
        }
        Plan::Enable(s) => NodeDrainRequest {
            drain_spec: Some(DrainSpec {
                deadline: s.deadline,
                ignore_system_jobs: s.ignore_system,
            }),
            mark_eligible: false,
        },
        Plan::Disable { mark_eligible } => NodeDrainRequest {
            drain_spec: None,
            mark_eligible: *mark_eligible,
        },
    };
    let enable = matches!(plan, Plan::Enable(_));
    // A prefix could name another node than the one meant: ask.
    let exact = a.self_ || a.node.as_deref() == Some(id.as_str());
    if !exact && !a.yes {
        let verb = if enable { "enable" } else { "disable" };
        match confirm(verb, &id)? {
            Answer::Yes => {}
            Answer::No => {
                println!("Canceling drain toggle");
                return Ok(0);
            }
            Answer::Unclear => {
                return Err(CliError::new(
                    "No confirmation detected. For confirmation, an exact 'y' is required.",
                ));
            }
        }
    }
    api.node_drain(&id, &request)
        .await
        .map_err(|e| CliError::api("Error updating drain specification", e))?;
    if !enable {
        println!("Node {id:?} drain strategy unset");
        return Ok(0);
    }
    println!("Node {id:?} drain strategy set");
    if a.detach {
        return Ok(0);
    }
    drain_monitor::monitor(&api, &id, a.ignore_system, true).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: DrainArgs,
    }

    fn args(flags: &[&str]) -> DrainArgs {
        let mut v = vec!["drain".to_string()];
        v.extend(flags.iter().map(|s| s.to_string()));
        Cli::parse_from(v).a
    }

    fn err(flags: &[&str]) -> String {
        plan(&args(flags)).unwrap_err().message
    }

    #[test]
    fn flags_become_a_plan() {
        assert_eq!(
            plan(&args(&["--enable", "n1"])).unwrap(),
            Plan::Enable(DrainSpecPlan {
                deadline: 3_600_000_000_000,
                ignore_system: false
            })
        );
        assert_eq!(
            plan(&args(&["--enable", "--deadline", "5m", "--ignore-system"])).unwrap(),
            Plan::Enable(DrainSpecPlan {
                deadline: 300_000_000_000,
                ignore_system: true
            })
        );
        assert_eq!(
            plan(&args(&["--enable", "--force"])).unwrap(),
            Plan::Enable(DrainSpecPlan {
                deadline: -1,
                ignore_system: false
            })
        );
        assert_eq!(
            plan(&args(&["--enable", "--no-deadline"])).unwrap(),
            Plan::Enable(DrainSpecPlan {
                deadline: 0,
                ignore_system: false
            })
        );
        assert_eq!(
            plan(&args(&["--disable"])).unwrap(),
            Plan::Disable {
                mark_eligible: true
            }
        );
        assert_eq!(
            plan(&args(&["--disable", "--keep-ineligible"])).unwrap(),
            Plan::Disable {
                mark_eligible: false
            }
        );
        assert_eq!(plan(&args(&["--monitor"])).unwrap(), Plan::MonitorOnly);
    }

    #[test]
    fn bad_flags_are_refused_as_nomad_does() {
        assert_eq!(
            err(&[]),
            "Either the '-enable' or '-disable' flag must be set, unless using '-monitor'"
        );
        assert_eq!(
            err(&["--enable", "--force", "--no-deadline"]),
            "-force and -no-deadline are mutually exclusive"
        );
        assert_eq!(
            err(&["--enable", "--disable"]),
            "The '-enable' and '-disable' flags are mutually exclusive"
        );
        assert_eq!(
            err(&["--enable", "--deadline=0s"]),
            "A positive drain deadline must be given"
        );
        assert!(err(&["--enable", "--deadline", "soon"]).starts_with("Failed to parse deadline"));
    }

    #[test]
    fn only_an_exact_y_confirms() {
        assert_eq!(answer("y\n"), Answer::Yes);
        assert_eq!(answer("\n"), Answer::No);
        assert_eq!(answer(""), Answer::No);
        assert_eq!(answer("No"), Answer::No);
        assert_eq!(answer("yes"), Answer::Unclear);
        assert_eq!(answer("maybe"), Answer::Unclear);
    }
}
