//! Command-line parsing. Nomad's single-dash long flags (`-bootstrap-expect
//! 3`) are accepted alongside the double-dash form: [`normalize_args`]
//! rewrites them before clap sees them.

mod agent;
mod alloc;
pub mod common;
mod eval;
mod executor;
mod job;
mod namespace;
mod node;
mod nodesim;
mod operator;
mod operator_config;
mod server;
mod service;
mod system;
mod var;

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
    /// Runs an agent (a server, a client, or a one-process dev cluster).
    Agent(Box<agent::AgentArgs>),
    /// Writes an example job file (example.nomad).
    Init(job::init::InitArgs),
    /// Shows what submitting a job file would change (a dry run).
    Plan(job::plan::PlanArgs),
    /// Submits a job file and follows its evaluation.
    Run(job::run::RunArgs),
    /// Lists jobs, or shows a job (or node, allocation, evaluation) by ID prefix.
    Status(job::status::StatusArgs),
    /// Stops a job.
    Stop(job::stop::StopArgs),
    /// Checks a job file.
    Validate(job::validate::ValidateArgs),
    /// Prints a registered job as JSON.
    Inspect(job::inspect::InspectArgs),
    /// Job commands.
    #[command(subcommand)]
    Job(job::JobCommand),
    /// Node commands.
    #[command(subcommand)]
    Node(node::NodeCommand),
    /// Lists nodes or shows one (as `node status`).
    #[command(name = "node-status")]
    NodeStatus(node::status::StatusArgs),
    /// Drains a node (as `node drain`).
    #[command(name = "node-drain")]
    NodeDrain(node::drain::DrainArgs),
    /// Allocation commands.
    #[command(subcommand)]
    Alloc(alloc::AllocCommand),
    /// Shows an allocation (as `alloc status`).
    #[command(name = "alloc-status")]
    AllocStatus(alloc::status::StatusArgs),
    /// Prints a task's logs (as `alloc logs`).
    Logs(alloc::logs::LogsArgs),
    /// Evaluation commands.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Shows an evaluation (as `eval status`).
    #[command(name = "eval-status")]
    EvalStatus(eval::StatusArgs),
    /// Server commands.
    #[command(subcommand)]
    Server(server::ServerCommand),
    /// Lists the servers (as `server members`).
    #[command(name = "server-members")]
    ServerMembers(server::MembersArgs),
    /// Cluster operator commands.
    #[command(subcommand)]
    Operator(operator::OperatorCommand),
    /// Service registration commands.
    #[command(subcommand)]
    Service(service::ServiceCommand),
    #[command(subcommand)]
    Namespace(namespace::NamespaceCommand),
    #[command(subcommand)]
    System(system::SystemCommand),
    #[command(subcommand)]
    Var(var::VarCommand),
    /// Simulates many client nodes for scale tests.
    Nodesim(nodesim::NodesimArgs),
    /// Prints the version.
    Version,
    /// Runs one raw_exec task for the client agent (started by the agent).
    #[command(hide = true)]
    Executor(executor::ExecutorArgs),
}

/// A wrong or missing flag or argument as one line: clap's message
/// without its usage block, and where to find help.
fn usage_error(e: &clap::Error, verb: &[String]) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let mut cmd = vec!["drover".to_string()];
    cmd.extend(verb.iter().cloned());
    format!("Error: {first} (see '{} -h')", cmd.join(" "))
}

/// Lets a verb whose output is piped into `head` end quietly when the pipe
/// closes, as command-line tools do, instead of failing on the write.
/// (Rust ignores SIGPIPE by default; the agents keep ignoring it.)
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default has no
    // preconditions; no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
    let args = normalize_args(std::env::args());
    // `plan` reports every error with 255, as Nomad's does.
    let is_plan = matches!(
        args.iter().skip(1).map(String::as_str).collect::<Vec<_>>()[..],
        ["plan", ..] | ["job", "plan", ..]
    );
    let verb: Vec<String> = args
        .iter()
        .skip(1)
        .take_while(|a| !a.starts_with('-'))
        .take(2)
        .cloned()
        .collect();
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                _ => {
                    eprintln!("{}", usage_error(&e, &verb));
                    ExitCode::from(if is_plan { 255 } else { 1 })
                }
            };
        }
    };
    if !matches!(cli.command, Command::Agent(_) | Command::Executor(_)) {
        restore_sigpipe();
    }
    match cli.command {
        Command::Agent(args) => agent::run(*args),
        Command::Init(a) => job::init::run(a),
        Command::Plan(a) => job::plan::run(a),
        Command::Run(a) => job::run::run(a),
        Command::Status(a) => job::status::run(a),
        Command::Stop(a) => job::stop::run(a),
        Command::Validate(a) => job::validate::run(a),
        Command::Inspect(a) => job::inspect::run(a),
        Command::Job(c) => job::run_command(c),
        Command::Node(c) => node::run_command(c),
        Command::NodeStatus(a) => node::status::run(a),
        Command::NodeDrain(a) => node::drain::run(a),
        Command::Alloc(c) => alloc::run_command(c),
        Command::AllocStatus(a) => alloc::status::run(a),
        Command::Logs(a) => alloc::logs::run(a),
        Command::Eval(c) => eval::run_command(c),
        Command::EvalStatus(a) => eval::status(a),
        Command::Server(c) => server::run_command(c),
        Command::ServerMembers(a) => server::members(a),
        Command::Operator(c) => operator::run_command(c),
        Command::Service(c) => service::run_command(c),
        Command::Namespace(c) => namespace::run_command(c),
        Command::System(c) => system::run_command(c),
        Command::Var(c) => var::run_command(c),
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
