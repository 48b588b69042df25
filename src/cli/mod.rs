//! Command-line parsing. Nomad's single-dash long flags (`-bootstrap-expect
//! 3`) are accepted alongside the double-dash form: [`normalize_args`]
//! rewrites them before clap sees them.

mod agent;
mod executor;
mod nodesim;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "drover", version = drover::VERSION, about = "A Nomad-compatible workload orchestrator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs an agent (a server, or a one-server dev cluster).
    Agent(Box<agent::AgentArgs>),
    /// Simulates many client nodes for scale tests.
    Nodesim(nodesim::NodesimArgs),
    /// Prints the version.
    Version,
    /// Runs one raw_exec task for the client agent (started by the agent).
    #[command(hide = true)]
    Executor(executor::ExecutorArgs),
}

/// Rewrites `-long-flag` into `--long-flag`; short flags (`-h`), numbers
/// (`-1`) and everything after `--` are left alone.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = false;
    for a in args {
        if rest {
            out.push(a);
            continue;
        }
        if a == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        let is_long_single = a.starts_with('-')
            && !a.starts_with("--")
            && a.len() > 2
            && a[1..].starts_with(|c: char| c.is_ascii_alphabetic());
        if is_long_single {
            out.push(format!("-{a}"));
        } else {
            out.push(a);
        }
    }
    out
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(normalize_args(std::env::args())) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    match cli.command {
        Command::Agent(args) => agent::run(*args),
        Command::Nodesim(args) => nodesim::run_cli(args),
        Command::Executor(args) => executor::run(args),
        Command::Version => {
            println!("Drover v{}", drover::VERSION);
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_args;

    fn args(a: &[&str]) -> Vec<String> {
        normalize_args(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn single_dash_long_flags_become_double_dash() {
        assert_eq!(
            args(&[
                "drover",
                "agent",
                "-server",
                "-bootstrap-expect",
                "3",
                "--dev",
                "-h",
                "-1"
            ]),
            [
                "drover",
                "agent",
                "--server",
                "--bootstrap-expect",
                "3",
                "--dev",
                "-h",
                "-1"
            ]
        );
        assert_eq!(args(&["drover", "--", "-x1"]), ["drover", "--", "-x1"]);
    }
}
