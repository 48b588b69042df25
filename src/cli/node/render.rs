//! What `node status` prints: the node list, and one node's header,
//! events, allocated resources, allocations, attributes and meta.

use std::collections::BTreeMap;

use drover::structs::{AllocListStub, Allocation, Node, NodeListStub};

use crate::cli::common::format::{parse_rfc3339, short_id, time_rfc3339};
use crate::cli::common::ibytes::megabytes;
use crate::cli::common::{alloc_table, table};

/// How to show the list.
#[derive(Clone, Copy, Debug, Default)]
pub struct ListOpts {
    pub verbose: bool,
}

/// The node list; `running` holds each node's running allocations when
/// `-allocs` asked for them.
pub fn list(
    nodes: &[NodeListStub],
    opts: ListOpts,
    running: Option<&BTreeMap<String, usize>>,
) -> String {
    if nodes.is_empty() {
        return "No nodes registered".to_string();
    }
    let mut header = String::from("ID|Node Pool|DC|Name|Class|");
    if opts.verbose {
        header.push_str("Address|Version|");
    }
    header.push_str("Drain|Eligibility|Status");
    if running.is_some() {
        header.push_str("|Running Allocs");
    }
    let mut rows = vec![header];
    for n in nodes {
        let mut row = format!(
            "{}|{}|{}|{}|{}|",
            short_id(&n.id, opts.verbose),
            n.node_pool,
            n.datacenter,
            n.name,
            n.node_class
        );
        if opts.verbose {
            row.push_str(&format!("{}|{}|", n.address, n.version));
        }
        row.push_str(&format!(
            "{}|{}|{}",
            n.drain, n.scheduling_eligibility, n.status
        ));
        if let Some(r) = running {
            row.push_str(&format!("|{}", r.get(&n.id).copied().unwrap_or(0)));
        }
        rows.push(row);
    }
    table::list(&rows)
}

/// `false`, or `true; <deadline> deadline`, `true; no deadline`,
/// `true; force drain`, each with `; ignoring system jobs` when so.
pub fn drain_text(node: &Node) -> String {
    let Some(s) = &node.drain_strategy else {
        return node.drain.to_string();
    };
    let mut out = String::from("true");
    if s.deadline < 0 {
        out.push_str("; force drain");
    } else {
        match parse_rfc3339(&s.force_deadline) {
            Some(t) if s.deadline > 0 => out.push_str(&format!("; {} deadline", time_rfc3339(t))),
            _ => out.push_str("; no deadline"),
        }
    }
    if s.ignore_system_jobs {
        out.push_str("; ignoring system jobs");
    }
    out
}

/// Detected drivers, sorted, `name (unhealthy)` when unhealthy.
fn driver_status(node: &Node) -> String {
    node.drivers
        .iter()
        .filter(|(_, d)| d.detected)
        .map(|(name, d)| {
            if d.healthy {
                name.clone()
            } else {
                format!("{name} (unhealthy)")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// What one node's page shows beyond the node itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeOpts {
    pub verbose: bool,
    pub short: bool,
    /// Seconds the host has been up, when its client said.
    pub uptime: Option<u64>,
    /// Unix nanoseconds.
    pub now: i64,
}

fn header(node: &Node, opts: NodeOpts) -> String {
    let mut rows = vec![
        format!("ID|{}", node.id),
        format!("Name|{}", node.name),
        format!("Node Pool|{}", node.node_pool),
        format!("Class|{}", node.node_class),
        format!("DC|{}", node.datacenter),
        format!("Drain|{}", drain_text(node)),
        format!("Eligibility|{}", node.scheduling_eligibility),
        format!("Status|{}", node.status),
    ];
    if opts.short {
        rows.push(format!("Drivers|{}", driver_status(node)));
        return table::kv(&rows);
    }
    if let Some(up) = opts.uptime {
        let ns = i64::try_from(up)
            .unwrap_or(i64::MAX / 1_000_000_000)
            .saturating_mul(1_000_000_000);
        rows.push(format!("Uptime|{}", drover::jobspec::format_duration(ns)));
    }
    if !opts.verbose {
        rows.push(format!("Driver Status|{}", driver_status(node)));
    }
    table::kv(&rows)
}

fn drivers_table(node: &Node) -> String {
    let mut rows = vec!["Driver|Detected|Healthy|Message|Time".to_string()];
    for (name, d) in &node.drivers {
        let time = parse_rfc3339(&d.update_time).map_or_else(|| "N/A".to_string(), time_rfc3339);
        rows.push(format!(
            "{name}|{}|{}|{}|{time}",
            d.detected, d.healthy, d.health_description
        ));
    }
    table::list(&rows)
}

/// `Time|Subsystem|Message`, newest first.
fn events(node: &Node) -> String {
    let mut rows = vec!["Time|Subsystem|Message".to_string()];
    for e in node.events.iter().rev() {
        let time = parse_rfc3339(&e.timestamp).map_or_else(|| "N/A".to_string(), time_rfc3339);
        let subsystem = match e.details.get("driver") {
            Some(d) => format!("Driver: {d}"),
            None => e.subsystem.clone(),
        };
        rows.push(format!("{time}|{subsystem}|{}", e.message));
    }
    table::list(&rows)
}

/// `CPU|Memory|Disk` as `used/total`: totals are the node's resources
/// less what it reserves, use is the sum over non-terminal allocations.
pub fn allocated_resources(node: &Node, allocs: &[Allocation]) -> String {
    let total = node.capacity();
    let mut used = drover::structs::Usage::default();
    for a in allocs.iter().filter(|a| !a.terminal()) {
        used.add(a.usage());
    }
    table::list(&[
        "CPU|Memory|Disk".to_string(),
        format!(
            "{}/{} MHz|{}/{}|{}/{}",
            used.cpu,
            total.cpu,
            megabytes(used.memory_mb),
            megabytes(total.memory_mb),
            megabytes(used.disk_mb),
            megabytes(total.disk_mb)
        ),
    ])
}

/// A map as a sorted `key = value` block.
fn sorted_kv(map: &BTreeMap<String, String>) -> String {
    let rows: Vec<String> = map.iter().map(|(k, v)| format!("{k}|{v}")).collect();
    table::kv(&rows)
}

fn section(out: &mut String, title: &str, body: &str) {
    out.push_str("\n\n");
    out.push_str(title);
    if !body.is_empty() {
        out.push('\n');
        out.push_str(body);
    }
}

/// One node's page.
pub fn node(node: &Node, allocs: &[Allocation], opts: NodeOpts) -> String {
    let stubs: Vec<AllocListStub> = allocs.iter().map(Allocation::stub).collect();
    let mut out = header(node, opts);
    if !opts.short {
        if opts.verbose {
            section(&mut out, "Drivers", &drivers_table(node));
        }
        section(&mut out, "Node Events", &events(node));
        section(
            &mut out,
            "Allocated Resources",
            &allocated_resources(node, allocs),
        );
    }
    section(
        &mut out,
        "Allocations",
        &alloc_table::render(&stubs, opts.verbose, opts.now),
    );
    if opts.verbose {
        section(&mut out, "Attributes", &sorted_kv(&node.attributes));
        section(&mut out, "Meta", &sorted_kv(&node.meta));
    }
    out
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
