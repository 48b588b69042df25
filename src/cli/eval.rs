//! `drover eval status [-verbose] EVAL`: one evaluation, and why it could
//! not place what it could not.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use drover::api_client::ApiClient;
use drover::structs::{EVAL_STATUS_BLOCKED, Evaluation};

use crate::cli::common::format::{ago, short_id, time_rfc3339};
use crate::cli::common::{self, ApiArgs, CliError, format, ident, metrics, prefix, table};

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Shows an evaluation.
    Status(StatusArgs),
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Full IDs and absolute times.
    #[arg(long)]
    pub verbose: bool,
    /// The evaluation ID (or prefix).
    pub eval: String,
}

pub fn run_command(c: EvalCommand) -> ExitCode {
    match c {
        EvalCommand::Status(a) => status(a),
    }
}

pub fn status(a: StatusArgs) -> ExitCode {
    common::run(run_status(a))
}

async fn run_status(a: StatusArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    show(&api, &a.eval, a.verbose).await
}

/// Prints the page of the evaluation `id` names (an ID or prefix); also
/// how `drover status` shows an evaluation.
pub async fn show(api: &ApiClient, id: &str, verbose: bool) -> Result<u8, CliError> {
    ident::check_prefix(id)?;
    let found = prefix::eval(api, id).await?;
    let eval = api
        .evaluation(&found.id)
        .await
        .map_err(|e| CliError::api("Error querying evaluation", e))?;
    println!("{}", render(&eval, verbose, format::now_nanos()));
    Ok(0)
}

/// `Node ID` or `Deployment ID`, after what triggered the evaluation.
fn trigger_subject(e: &Evaluation, verbose: bool) -> Option<(&'static str, String)> {
    match e.triggered_by.as_str() {
        "node-update" | "node-drain" if !e.node_id.is_empty() => {
            Some(("Node ID", short_id(&e.node_id, verbose).to_string()))
        }
        "deployment-watcher" | "rolling-update" if !e.deployment_id.is_empty() => Some((
            "Deployment ID",
            short_id(&e.deployment_id, verbose).to_string(),
        )),
        _ => None,
    }
}

/// The evaluation's page; `now` is unix nanoseconds.
pub fn render(e: &Evaluation, verbose: bool, now: i64) -> String {
    let when = |t: i64| {
        if verbose {
            time_rfc3339(t)
        } else {
            ago(t, now)
        }
    };
    let failures = !e.failed_tg_allocs.is_empty();
    let failure_text = if e.status == EVAL_STATUS_BLOCKED {
        "N/A - In Progress".to_string()
    } else {
        failures.to_string()
    };
    let description = if e.status_description.is_empty() {
        &e.status
    } else {
        &e.status_description
    };
    let mut rows = vec![
        format!("ID|{}", short_id(&e.id, verbose)),
        format!("Create Time|{}", when(e.create_time)),
        format!("Modify Time|{}", when(e.modify_time)),
        format!("Status|{}", e.status),
        format!("Status Description|{description}"),
        format!("Type|{}", e.eval_type),
        format!("TriggeredBy|{}", e.triggered_by),
        format!("Job ID|{}", e.job_id),
        format!("Namespace|{}", e.namespace),
    ];
    if let Some((noun, subject)) = trigger_subject(e, verbose) {
        rows.push(format!("{noun}|{subject}"));
    }
    rows.push(format!("Priority|{}", e.priority));
    rows.push(format!("Placement Failures|{failure_text}"));
    if e.wait_until > 0 {
        rows.push(format!("Wait Until|{}", time_rfc3339(e.wait_until)));
    }
    rows.push(format!(
        "Previous Eval|{}",
        short_id(&e.previous_eval, verbose)
    ));
    rows.push(format!("Next Eval|{}", short_id(&e.next_eval, verbose)));
    rows.push(format!(
        "Blocked Eval|{}",
        short_id(&e.blocked_eval, verbose)
    ));
    let mut out = table::kv(&rows);
    if failures {
        out.push_str("\n\nFailed Placements");
        for (group, m) in &e.failed_tg_allocs {
            out.push('\n');
            out.push_str(&metrics::group_header(group, m));
            for line in metrics::lines(m, "  ") {
                out.push('\n');
                out.push_str(&line);
            }
            out.push('\n');
        }
        if !e.blocked_eval.is_empty() {
            out.push_str(&format!(
                "\nEvaluation {:?} waiting for additional capacity to place remainder",
                short_id(&e.blocked_eval, verbose)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use drover::structs::AllocMetric;

    const S: i64 = 1_000_000_000;

    fn eval() -> Evaluation {
        Evaluation {
            id: "72e0e5ea-1111-2222-3333-444444444444".into(),
            namespace: "default".into(),
            priority: 50,
            eval_type: "service".into(),
            triggered_by: "job-register".into(),
            job_id: "example".into(),
            status: "complete".into(),
            create_time: 10 * S,
            modify_time: 12 * S,
            ..Evaluation::default()
        }
    }

    #[test]
    fn a_complete_evaluation() {
        assert_eq!(
            render(&eval(), false, 15 * S),
            "ID                 = 72e0e5ea\n\
             Create Time        = 5s ago\n\
             Modify Time        = 3s ago\n\
             Status             = complete\n\
             Status Description = complete\n\
             Type               = service\n\
             TriggeredBy        = job-register\n\
             Job ID             = example\n\
             Namespace          = default\n\
             Priority           = 50\n\
             Placement Failures = false\n\
             Previous Eval      = <none>\n\
             Next Eval          = <none>\n\
             Blocked Eval       = <none>"
        );
    }

    #[test]
    fn failed_placements_and_the_blocked_evaluation() {
        let mut e = eval();
        e.blocked_eval = "bbbbbbbb-0000-0000-0000-000000000000".into();
        let mut m = AllocMetric {
            nodes_evaluated: 3,
            nodes_exhausted: 3,
            coalesced_failures: 1,
            ..AllocMetric::default()
        };
        m.dimension_exhausted.insert("memory".to_string(), 3);
        e.failed_tg_allocs.insert("cache".into(), m);
        let out = render(&e, false, 15 * S);
        assert!(out.contains("Placement Failures = true\n"), "{out}");
        assert!(out.contains("Blocked Eval       = bbbbbbbb\n"), "{out}");
        assert!(
            out.ends_with(
                "\n\nFailed Placements\n\
                 Task Group \"cache\" (failed to place 2 allocations):\n\
                 \x20 * Resources exhausted on 3 nodes\n\
                 \x20 * Dimension \"memory\" exhausted on 3 nodes\n\
                 \n\
                 Evaluation \"bbbbbbbb\" waiting for additional capacity to place remainder"
            ),
            "{out}"
        );
        e.status = "blocked".into();
        assert!(render(&e, false, 0).contains("Placement Failures = N/A - In Progress\n"));
    }

    #[test]
    fn a_node_update_names_its_node() {
        let mut e = eval();
        e.triggered_by = "node-update".into();
        e.node_id = "ec28626d-0000-0000-0000-000000000000".into();
        let out = render(&e, true, 0);
        assert!(
            out.contains("\nNode ID            = ec28626d-0000-0000-0000-000000000000\n"),
            "{out}"
        );
        assert!(out.starts_with("ID                 = 72e0e5ea-1111-2222-3333-444444444444\n"));
    }
}
