//! What `alloc status` prints: the allocation's header, its addresses,
//! each task's resources and events, and with `-verbose` its placement
//! metrics.

use drover::structs::{Allocation, TaskEvent, TaskState};

use super::task_events::describe;
use crate::cli::common::format::{ago, parse_rfc3339, short_id, time_rfc3339};
use crate::cli::common::ibytes::megabytes;
use crate::cli::common::{metrics, table};

#[derive(Clone, Copy, Debug, Default)]
pub struct Opts {
    pub verbose: bool,
    pub short: bool,
    /// Unix nanoseconds.
    pub now: i64,
}

fn when(t: i64, opts: Opts) -> String {
    if opts.verbose {
        time_rfc3339(t)
    } else {
        ago(t, opts.now)
    }
}

/// `(reschedules within the policy's interval, attempts it allows)`;
/// None when the policy does not limit them.
fn reschedule_attempts(a: &Allocation) -> Option<(usize, i64)> {
    let events = &a.reschedule_tracker.as_ref()?.events;
    if events.is_empty() {
        return None;
    }
    let policy = a
        .job
        .as_ref()?
        .task_group(&a.task_group)?
        .reschedule_policy
        .as_ref()?;
    if policy.unlimited || policy.attempts <= 0 {
        return None;
    }
    let since = a.modify_time.saturating_sub(policy.interval);
    let recent = events.iter().filter(|e| e.reschedule_time > since).count();
    Some((recent, policy.attempts))
}

fn header(a: &Allocation, opts: Opts) -> String {
    let v = opts.verbose;
    let version = a.job.as_ref().map(|j| j.version).unwrap_or_default();
    let mut rows = vec![
        format!("ID|{}", a.id),
        format!("Eval ID|{}", short_id(&a.eval_id, v)),
        format!("Name|{}", a.name),
        format!("Node ID|{}", short_id(&a.node_id, v)),
        format!("Node Name|{}", a.node_name),
        format!("Job ID|{}", a.job_id),
        format!("Job Version|{version}"),
        format!("Client Status|{}", a.client_status),
        format!("Client Description|{}", a.client_description),
        format!("Desired Status|{}", a.desired_status),
        format!("Desired Description|{}", a.desired_description),
        format!("Created|{}", when(a.create_time, opts)),
        format!("Modified|{}", when(a.modify_time, opts)),
    ];
    if let Some((done, total)) = reschedule_attempts(a) {
        rows.push(format!("Reschedule Attempts|{done}/{total}"));
    }
    if !a.next_allocation.is_empty() {
        rows.push(format!(
            "Replacement Alloc ID|{}",
            short_id(&a.next_allocation, v)
        ));
    }
    if v {
        let m = a.metrics.clone().unwrap_or_default();
        rows.push(format!("Evaluated Nodes|{}", m.nodes_evaluated));
        rows.push(format!("Filtered Nodes|{}", m.nodes_filtered));
        rows.push(format!("Exhausted Nodes|{}", m.nodes_exhausted));
        rows.push(format!(
            "Allocation Time|{}",
            drover::jobspec::format_duration(m.allocation_time)
        ));
        rows.push(format!("Failures|{}", m.coalesced_failures));
    }
    table::kv(&rows)
}

/// `Allocation Addresses (mode = "host"):` and `Label|Dynamic|Address`
/// rows (`db  yes  127.0.1.3:22655 -> 6379`): the group's ports, or when
/// it has none, its tasks'. None when there are no ports.
pub fn addresses(a: &Allocation) -> Option<String> {
    let r = a.allocated_resources.as_ref()?;
    let group_net = r.shared.networks.first();
    let reserved =
        |label: &str| group_net.is_some_and(|n| n.reserved_ports.iter().any(|p| p.label == label));
    let row = |label: &str, dynamic: bool, ip: &str, value: i64, to: i64| {
        let yes = if dynamic { "yes" } else { "no" };
        let to = if to > 0 {
            to
        } else {
            port_map_target(a, label)
        };
        let mut s = format!("{label}|{yes}|{ip}:{value}");
        if to > 0 {
            s.push_str(&format!(" -> {to}"));
        }
        s
    };
    let mut rows = vec!["Label|Dynamic|Address".to_string()];
    for p in &r.shared.ports {
        rows.push(row(
            &p.label,
            !reserved(&p.label),
            &p.host_ip,
            p.value,
            p.to,
        ));
    }
    if rows.len() == 1 {
        let nets = group_net
            .into_iter()
            .chain(r.tasks.values().flat_map(|t| t.networks.iter()));
        for n in nets {
            for p in &n.dynamic_ports {
                rows.push(row(&p.label, true, &n.ip, p.value, p.to));
            }
            for p in &n.reserved_ports {
                rows.push(row(&p.label, false, &n.ip, p.value, p.to));
            }
        }
    }
    if rows.len() == 1 {
        return None;
    }
    let mode = group_net
        .map(|n| n.mode.as_str())
        .filter(|m| !m.is_empty())
        .map(|m| format!(" (mode = {m:?})"))
        .unwrap_or_default();
    Some(format!(
        "Allocation Addresses{mode}:\n{}",
        table::list(&rows)
    ))
}

/// The container port a Docker task maps `label` to with the 0.x
/// `port_map { label = N }` of its config (0 when none does).
fn port_map_target(a: &Allocation, label: &str) -> i64 {
    let Some(group) = a.job.as_ref().and_then(|j| j.task_group(&a.task_group)) else {
        return 0;
    };
    group
        .tasks
        .iter()
        .filter_map(|t| t.config.get("port_map"))
        .flat_map(|m| match m {
            serde_json::Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .find_map(|m| m.get(label).and_then(serde_json::Value::as_i64))
        .unwrap_or(0)
}

/// `CPU|Memory|Disk|Addresses` of one task.
fn task_resources(a: &Allocation, task: &str) -> String {
    let shared_disk = a
        .allocated_resources
        .as_ref()
        .map(|r| r.shared.disk_mb)
        .unwrap_or_default();
    let (cpu, mem, disk, nets) = match a
        .allocated_resources
        .as_ref()
        .and_then(|r| r.tasks.get(task))
    {
        Some(t) => (
            t.cpu.cpu_shares,
            t.memory.memory_mb,
            shared_disk,
            t.networks.clone(),
        ),
        None => match a.task_resources.get(task) {
            Some(r) => (r.cpu, r.memory_mb, r.disk_mb, r.networks.clone()),
            None => (0, 0, shared_disk, Vec::new()),
        },
    };
    let first_addr = nets
        .iter()
        .flat_map(|n| {
            n.ports()
                .map(move |p| format!("{}: {}:{}", p.label, n.ip, p.value))
        })
        .next()
        .unwrap_or_default();
    table::list(&[
        "CPU|Memory|Disk|Addresses".to_string(),
        format!(
            "{cpu} MHz|{}|{}|{first_addr}",
            megabytes(mem),
            megabytes(disk)
        ),
    ])
}

/// An RFC 3339 time (as task states carry them) in the local zone, or
/// `N/A`.
fn task_time(t: Option<&str>) -> String {
    t.and_then(parse_rfc3339)
        .map_or_else(|| "N/A".to_string(), time_rfc3339)
}

fn task_events(state: &TaskState) -> String {
    let kv = table::kv(&[
        format!("Started At|{}", task_time(state.started_at.as_deref())),
        format!("Finished At|{}", task_time(state.finished_at.as_deref())),
        format!("Total Restarts|{}", state.restarts),
        format!("Last Restart|{}", task_time(state.last_restart.as_deref())),
    ]);
    let mut rows = vec!["Time|Type|Description".to_string()];
    for e in state.events.iter().rev() {
        rows.push(event_row(e));
    }
    format!(
        "Task Events:\n{kv}\n\nRecent Events:\n{}",
        table::list(&rows)
    )
}

fn event_row(e: &TaskEvent) -> String {
    format!("{}|{}|{}", time_rfc3339(e.time), e.event_type, describe(e))
}

/// The tasks' names in order.
fn task_names(a: &Allocation) -> Vec<String> {
    let mut names: Vec<String> = a.task_states.keys().cloned().collect();
    names.sort();
    names
}

/// `-short`: one line per task with its latest event.
fn short_tasks(a: &Allocation) -> String {
    let mut rows = vec!["Name|State|Last Event|Time".to_string()];
    for name in task_names(a) {
        let Some(state) = a.task_states.get(&name) else {
            continue;
        };
        let (kind, time) = state
            .events
            .last()
            .map(|e| (e.event_type.clone(), time_rfc3339(e.time)))
            .unwrap_or_default();
        rows.push(format!("{name}|{}|{kind}|{time}", state.state));
    }
    table::list(&rows)
}

/// `Placement Metrics`: the failure lines and the scores of the nodes
/// the scheduler ranked.
fn placement_metrics(a: &Allocation) -> String {
    let Some(m) = &a.metrics else {
        return String::new();
    };
    let mut out = metrics::lines(m, "  ").join("\n");
    let mut scorers: Vec<String> = m
        .score_meta_data
        .iter()
        .filter_map(|s| s.get("Scores")?.as_object())
        .flat_map(|o| o.keys().cloned())
        .collect();
    scorers.sort();
    scorers.dedup();
    if !m.score_meta_data.is_empty() {
        let mut header = String::from("Node");
        for s in &scorers {
            header.push('|');
            header.push_str(s);
        }
        header.push_str("|final score");
        let mut rows = vec![header];
        for s in &m.score_meta_data {
            let node = s.get("NodeID").and_then(|v| v.as_str()).unwrap_or("");
            let mut row = node.to_string();
            for name in &scorers {
                let v = s
                    .get("Scores")
                    .and_then(|o| o.get(name))
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0);
                row.push_str(&format!("|{v:.3}"));
            }
            let norm = s.get("NormScore").and_then(|v| v.as_f64()).unwrap_or(0.0);
            row.push_str(&format!("|{norm:.3}"));
            rows.push(row);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&table::list(&rows));
    }
    out
}

/// The whole page.
pub fn page(a: &Allocation, opts: Opts) -> String {
    if opts.short {
        let kv = table::kv(&[
            format!("ID|{}", a.id),
            format!("Name|{}", a.name),
            format!("Created|{}", when(a.create_time, opts)),
            format!("Modified|{}", when(a.modify_time, opts)),
        ]);
        return format!("{kv}\n\nTasks\n{}", short_tasks(a));
    }
    let mut out = header(a, opts);
    if let Some(addrs) = addresses(a) {
        out.push_str("\n\n");
        out.push_str(&addrs);
    }
    for name in task_names(a) {
        let Some(state) = a.task_states.get(&name) else {
            continue;
        };
        out.push_str(&format!(
            "\n\nTask {name:?} is {:?}\nTask Resources:\n{}\n\n{}",
            state.state,
            task_resources(a, &name),
            task_events(state)
        ));
    }
    if opts.verbose {
        let m = placement_metrics(a);
        if !m.is_empty() {
            out.push_str("\n\nPlacement Metrics\n");
            out.push_str(&m);
        }
    }
    out
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
