//! `drover job ...` and its top-level aliases (`init`, `plan`, `run`,
//! `status`, `stop`, `validate`, `inspect`).

mod diff_render;
pub mod dispatch;
pub mod eval;
pub mod history;
pub mod init;
pub mod inspect;
pub mod monitor;
pub mod plan;
pub mod revert;
pub mod run;
pub mod scale;
mod search;
pub mod status;
pub mod stop;
pub mod validate;

use std::process::ExitCode;

use clap::Subcommand;
use drover::structs::Job;

use crate::cli::common::{CliError, read_file};

#[derive(Subcommand)]
pub enum JobCommand {
    /// Writes an example job file (example.nomad).
    Init(init::InitArgs),
    /// Shows what submitting a job file would change (a dry run).
    Plan(plan::PlanArgs),
    /// Submits a job file and follows its evaluation.
    Run(run::RunArgs),
    /// Lists jobs or shows one.
    Status(status::StatusArgs),
    /// Stops a job.
    Stop(stop::StopArgs),
    /// Lists a job's versions.
    History(history::HistoryArgs),
    /// Reverts a job to an earlier version.
    Revert(revert::RevertArgs),
    /// Creates a new evaluation of a job (`-force-reschedule`: replace
    /// its failed allocations now).
    Eval(eval::EvalArgs),
    /// Sets a task group's count.
    Scale(scale::ScaleArgs),
    /// Dispatches a parameterized job.
    Dispatch(dispatch::DispatchArgs),
    /// Periodic job actions.
    #[command(subcommand)]
    Periodic(dispatch::PeriodicCommand),
    /// Checks a job file.
    Validate(validate::ValidateArgs),
    /// Prints a registered job as JSON.
    Inspect(inspect::InspectArgs),
}

pub fn run_command(c: JobCommand) -> ExitCode {
    match c {
        JobCommand::Init(a) => init::run(a),
        JobCommand::Plan(a) => plan::run(a),
        JobCommand::Run(a) => run::run(a),
        JobCommand::Status(a) => status::run(a),
        JobCommand::Stop(a) => stop::run(a),
        JobCommand::History(a) => history::run(a),
        JobCommand::Revert(a) => revert::run(a),
        JobCommand::Eval(a) => eval::run(a),
        JobCommand::Scale(a) => scale::run(a),
        JobCommand::Dispatch(a) => dispatch::run(a),
        JobCommand::Periodic(c) => dispatch::run_periodic(c),
        JobCommand::Validate(a) => validate::run(a),
        JobCommand::Inspect(a) => inspect::run(a),
    }
}

/// Reads and parses a job file (`-` is stdin), as Nomad's CLI does before
/// sending the job: errors name the file, line and column.
pub fn load_job(path: &str) -> Result<Job, CliError> {
    load_job_with_source(path).map(|(job, _)| job)
}

/// [`load_job`], with the file's text (sent as the job's submission).
pub fn load_job_with_source(path: &str) -> Result<(Job, String), CliError> {
    let src = read_file(path)?;
    let name = if path == "-" { "<stdin>" } else { path };
    let job = drover::jobspec::parse(name, &src)
        .map_err(|e| CliError::new(format!("Error parsing job file from {name}:\n{e}")))?;
    Ok((job, src))
}
