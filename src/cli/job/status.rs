//! `drover status [JOB]`: the job list, or one job's header, summary and
//! allocations as Nomad 0.5 printed them. An argument that is not a job is
//! looked up among nodes, allocations and evaluations by `/v1/search`.

use std::process::ExitCode;

use clap::Args;
use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::periodic::PeriodicConfig;
use drover::structs::{AllocListStub, Evaluation, Job, JobListStub, JobSummary};

use crate::cli::common::format::{short_id, time_rfc3339, time_short};
use crate::cli::common::{ApiArgs, CliError, metrics, prefix, run as run_async, table};

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Show only the job's header.
    #[arg(long)]
    pub short: bool,
    /// Also list the job's evaluations.
    #[arg(long)]
    pub evals: bool,
    /// Include allocations of earlier jobs with the same ID.
    #[arg(long = "all-allocs")]
    pub all_allocs: bool,
    /// Full IDs and the evaluations.
    #[arg(long)]
    pub verbose: bool,
    /// A job ID or prefix (or a node, allocation or evaluation ID prefix).
    pub id: Option<String>,
}

pub fn run(a: StatusArgs) -> ExitCode {
    run_async(status(a))
}

async fn status(a: StatusArgs) -> Result<u8, CliError> {
    let api = a.api.client()?;
    let Some(id) = a.id.clone() else {
        return list(&api).await;
    };
    let job_id = match super::search::resolve(&api, &id).await? {
        super::search::Found::Job(j) => j,
        super::search::Found::Other { context, id } => {
            return super::search::dispatch(&api, &context, &id, a.verbose, a.short).await;
        }
    };
    let stub = prefix::job(&api, &job_id).await?;
    show(&api, &stub.id, &a).await
}

async fn list(api: &ApiClient) -> Result<u8, CliError> {
    let (jobs, _) = api
        .jobs(&QueryOptions::default())
        .await
        .map_err(|e| CliError::api("Error querying jobs", e))?;
    if jobs.is_empty() {
        println!("No running jobs");
        return Ok(0);
    }
    println!("{}", list_table(&jobs));
    Ok(0)
}

/// `ID|Type|Priority|Status|Submit Date`.
pub fn list_table(jobs: &[JobListStub]) -> String {
    let mut rows = vec!["ID|Type|Priority|Status|Submit Date".to_string()];
    for j in jobs {
        let mut kind = j.job_type.clone();
        if j.periodic {
            kind.push_str("/periodic");
        } else if j.parameterized_job {
            kind.push_str("/parameterized");
        }
        let status = if j.stop {
            format!("{} (stopped)", j.status)
        } else {
            j.status.clone()
        };
        rows.push(format!(
            "{}|{}|{}|{}|{}",
            j.id,
            kind,
            j.priority,
            status,
            time_rfc3339(j.submit_time)
        ));
    }
    table::list(&rows)
}

async fn show(api: &ApiClient, id: &str, a: &StatusArgs) -> Result<u8, CliError> {
    let job = api
        .job(id)
        .await
        .map_err(|e| CliError::api("Error querying job", e))?;
    println!("{}", header(&job));
    if a.short {
        return Ok(0);
    }
    if job.periodic.is_some() || (job.parameterized_job.is_some() && !job.dispatched) {
        return show_parent(api, &job).await;
    }
    let q = QueryOptions::default();
    let path = format!("/v1/job/{}", drover::api_client::segment(id));
    let (summary, _) = api
        .get::<JobSummary>(&format!("{path}/summary"), &q)
        .await
        .map_err(|e| CliError::api("Error querying job summary", e))?;
    println!("\nSummary\n{}", summary_table(&summary));
    let (evals, _) = api
        .get::<Vec<Evaluation>>(&format!("{path}/evaluations"), &q)
        .await
        .map_err(|e| CliError::api("Error querying job evaluations", e))?;
    if a.evals || a.verbose {
        println!("\nEvaluations\n{}", evals_table(&evals, a.verbose));
    }
    if let Some(p) = placement_failures(&evals, a.verbose) {
        println!("\nPlacement Failure\n{p}");
    }
    let extra = if a.all_allocs {
        vec![("all", "true".to_string())]
    } else {
        Vec::new()
    };
    let (allocs, _) = api
        .get_with::<Vec<AllocListStub>>(&format!("{path}/allocations"), &q, &extra)
        .await
        .map_err(|e| CliError::api("Error querying job allocations", e))?;
    println!("\nAllocations\n{}", allocs_table(&allocs, a.verbose));
    Ok(0)
}

/// The `key = value` header of Nomad 0.5's job status.
pub fn header(job: &Job) -> String {
    let mut rows = vec![
        format!("ID|{}", job.id),
        format!("Name|{}", job.name),
        format!("Type|{}", job.job_type),
        format!("Priority|{}", job.priority),
        format!("Datacenters|{}", job.datacenters.join(",")),
        format!("Status|{}", job_status(job)),
        format!("Periodic|{}", job.periodic.is_some()),
        format!("Parameterized|{}", job.parameterized_job.is_some()),
    ];
    if let Some(p) = PeriodicConfig::of(job).filter(|p| p.enabled && !job.stop) {
        let now = crate::cli::common::format::now_nanos();
        if let Some(next) = p.next_after(now) {
            rows.push(format!(
                "Next Periodic Launch|{} ({} from now)",
                time_rfc3339(next),
                crate::cli::common::format::pretty_duration(next - now)
            ));
        }
    }
    table::kv(&rows)
}

/// A periodic or parameterized job: its children instead of allocations.
async fn show_parent(api: &ApiClient, job: &Job) -> Result<u8, CliError> {
    let q = QueryOptions::default();
    if let Some(p) = &job.parameterized_job {
        let cfg = drover::structs::ParameterizedConfig::from_json(p);
        let list = |v: &[String]| {
            if v.is_empty() {
                "<none>".to_string()
            } else {
                v.join(", ")
            }
        };
        println!(
            "\nParameterized Job\n{}",
            table::kv(&[
                format!("Payload|{}", cfg.payload),
                format!("Required Metadata|{}", list(&cfg.meta_required)),
                format!("Optional Metadata|{}", list(&cfg.meta_optional)),
            ])
        );
    }
    let path = format!("/v1/job/{}", drover::api_client::segment(&job.id));
    let (summary, _) = api
        .get::<JobSummary>(&format!("{path}/summary"), &q)
        .await
        .map_err(|e| CliError::api("Error querying job summary", e))?;
    let c = summary.children.unwrap_or_default();
    let periodic = job.periodic.is_some();
    let title = if periodic {
        "Children Job Summary"
    } else {
        "Parameterized Job Summary"
    };
    println!(
        "\n{title}\n{}",
        table::list(&[
            "Pending|Running|Dead".to_string(),
            format!("{}|{}|{}", c.pending, c.running, c.dead),
        ])
    );
    let prefix = format!("{}/", job.id);
    let (children, _) = api
        .get_with::<Vec<JobListStub>>("/v1/jobs", &q, &[("prefix", prefix)])
        .await
        .map_err(|e| CliError::api("Error querying job children", e))?;
    let mut rows = vec!["ID|Status".to_string()];
    rows.extend(
        children
            .iter()
            .filter(|j| j.parent_id == job.id)
            .map(|j| format!("{}|{}", j.id, j.status)),
    );
    let title = if periodic {
        "Previously Launched Jobs"
    } else {
        "Dispatched Jobs"
    };
    if rows.len() == 1 {
        println!(
            "\n{title}\nNo instances of {} found",
            if periodic {
                "periodic job"
            } else {
                "parameterized job"
            }
        );
    } else {
        println!("\n{title}\n{}", table::list(&rows));
    }
    Ok(0)
}

fn job_status(job: &Job) -> String {
    if job.stop && job.status != "dead" {
        format!("{} (stopped)", job.status)
    } else if job.stop {
        "dead (stopped)".to_string()
    } else {
        job.status.clone()
    }
}

/// `Task Group|Queued|Starting|Running|Failed|Complete|Lost`, groups by name.
pub fn summary_table(s: &JobSummary) -> String {
    let mut rows = vec!["Task Group|Queued|Starting|Running|Failed|Complete|Lost".to_string()];
    for (name, g) in &s.summary {
        rows.push(format!(
            "{name}|{}|{}|{}|{}|{}|{}",
            g.queued, g.starting, g.running, g.failed, g.complete, g.lost
        ));
    }
    table::list(&rows)
}

fn evals_table(evals: &[Evaluation], verbose: bool) -> String {
    if evals.is_empty() {
        return "No evaluations found".to_string();
    }
    let mut rows = vec!["ID|Priority|Triggered By|Status|Placement Failures".to_string()];
    for e in evals {
        let failures = if e.status == "blocked" {
            "N/A - In Progress".to_string()
        } else {
            (!e.failed_tg_allocs.is_empty()).to_string()
        };
        rows.push(format!(
            "{}|{}|{}|{}|{failures}",
            short_id(&e.id, verbose),
            e.priority,
            e.triggered_by,
            e.status
        ));
    }
    table::list(&rows)
}

/// The newest evaluation's placement failures while a blocked evaluation
/// waits for capacity, as Nomad shows them.
fn placement_failures(evals: &[Evaluation], verbose: bool) -> Option<String> {
    if !evals.iter().any(|e| e.status == "blocked") {
        return None;
    }
    let latest = evals
        .iter()
        .filter(|e| !e.failed_tg_allocs.is_empty())
        .max_by_key(|e| e.create_index)?;
    let mut parts = Vec::new();
    for (i, (group, m)) in latest.failed_tg_allocs.iter().enumerate() {
        if i == 5 {
            parts.push(format!(
                "Placement failures truncated. To see remainder run:\ndrover eval-status {}",
                short_id(&latest.id, verbose)
            ));
            break;
        }
        let mut s = format!("Task Group {group:?}:");
        for l in metrics::lines(m, "  ") {
            s.push('\n');
            s.push_str(&l);
        }
        parts.push(s);
    }
    Some(parts.join("\n\n"))
}

/// `ID|Eval ID|Node ID|Task Group|Desired|Status|Created At`, newest first.
pub fn allocs_table(allocs: &[AllocListStub], verbose: bool) -> String {
    if allocs.is_empty() {
        return "No allocations placed".to_string();
    }
    let mut sorted: Vec<&AllocListStub> = allocs.iter().collect();
    sorted.sort_by(|a, b| (b.create_index, &a.name, &a.id).cmp(&(a.create_index, &b.name, &b.id)));
    let mut rows = vec!["ID|Eval ID|Node ID|Task Group|Desired|Status|Created At".to_string()];
    for a in sorted {
        rows.push(format!(
            "{}|{}|{}|{}|{}|{}|{}",
            short_id(&a.id, verbose),
            short_id(&a.eval_id, verbose),
            short_id(&a.node_id, verbose),
            a.task_group,
            a.desired_status,
            a.client_status,
            time_short(a.create_time)
        ));
    }
    table::list(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use drover::structs::TaskGroupSummary;

    #[test]
    fn the_seed_layout() {
        let job = Job {
            id: "example".into(),
            name: "example".into(),
            job_type: "service".into(),
            priority: 50,
            datacenters: vec!["eu-west-1a".into(), "eu-west-1b".into()],
            status: "running".into(),
            ..Job::default()
        };
        assert_eq!(
            header(&job),
            "ID            = example\n\
             Name          = example\n\
             Type          = service\n\
             Priority      = 50\n\
             Datacenters   = eu-west-1a,eu-west-1b\n\
             Status        = running\n\
             Periodic      = false\n\
             Parameterized = false"
        );
        let mut s = JobSummary::default();
        s.summary.insert(
            "cache".into(),
            TaskGroupSummary {
                running: 1,
                ..TaskGroupSummary::default()
            },
        );
        assert_eq!(
            summary_table(&s),
            "Task Group  Queued  Starting  Running  Failed  Complete  Lost\n\
             cache       0       0         1        0       0         0"
        );
        let a = AllocListStub {
            id: "8dd4be51-d9c2-fd55-a1ff-7ba8d777484c".into(),
            eval_id: "72e0e5ea-0000-0000-0000-000000000000".into(),
            node_id: "ec28626d-0000-0000-0000-000000000000".into(),
            task_group: "cache".into(),
            desired_status: "run".into(),
            client_status: "running".into(),
            create_time: 1_498_633_631_000_000_000,
            ..AllocListStub::default()
        };
        let t = allocs_table(&[a], false);
        let mut lines = t.lines();
        assert_eq!(
            lines.next(),
            Some("ID        Eval ID   Node ID   Task Group  Desired  Status   Created At")
        );
        let row = lines.next().unwrap_or_default();
        assert!(
            row.starts_with("8dd4be51  72e0e5ea  ec28626d  cache       run      running  06/2"),
            "{row}"
        );
    }
}
