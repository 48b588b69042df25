//! `drover alloc restart [-task T] [-all-tasks] ALLOC [TASK]`: restarts
//! tasks in place, on their node, without counting against the restart
//! policy. Silent on success, as Nomad's.

use std::process::ExitCode;

use clap::Args;
use drover::structs::Allocation;

use super::lookup;
use crate::cli::common::{self, ApiArgs, CliError};

#[derive(Args)]
pub struct RestartArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The task to restart (also given as the second argument).
    #[arg(long, value_name = "TASK")]
    pub task: Option<String>,
    /// Restart every task, including those that are not running.
    #[arg(long = "all-tasks")]
    pub all_tasks: bool,
    /// The allocation ID (or prefix).
    pub alloc: String,
    /// The task to restart (default: the running tasks).
    #[arg(value_name = "TASK")]
    pub task_arg: Option<String>,
}

pub fn run(a: RestartArgs) -> ExitCode {
    common::run(restart(a))
}

/// The names of the allocation's tasks, as its job gives them.
pub fn group_tasks(alloc: &Allocation) -> Vec<String> {
    alloc
        .job
        .as_ref()
        .and_then(|j| j.task_group(&alloc.task_group))
        .map(|g| g.tasks.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default()
}

/// Checks that `task` is one of the allocation's.
pub fn check_task(alloc: &Allocation, task: &str) -> Result<(), CliError> {
    let tasks = group_tasks(alloc);
    if tasks.iter().any(|t| t == task) {
        return Ok(());
    }
    Err(CliError::new(format!(
        "Could not find task named {task:?} in allocation {:?}; its tasks: {}",
        common::format::short_id(&alloc.id, false),
        tasks.join(", ")
    )))
}

async fn restart(a: RestartArgs) -> Result<u8, CliError> {
    let task = match (&a.task, &a.task_arg) {
        (Some(_), Some(_)) => {
            return Err(CliError::new(
                "Give the task either with -task or as an argument, not both",
            ));
        }
        (t, u) => t.clone().or_else(|| u.clone()),
    };
    if task.is_some() && a.all_tasks {
        return Err(CliError::new(
            "The -all-tasks flag cannot be used together with a task name",
        ));
    }
    let api = a.api.client()?;
    let alloc = lookup::alloc(&api, &a.alloc).await?;
    if let Some(t) = &task {
        check_task(&alloc, t)?;
    }
    api.alloc_restart(&alloc.id, task.as_deref(), a.all_tasks)
        .await
        .map_err(|e| CliError::api("Failed to restart allocation", e))?;
    Ok(0)
}
