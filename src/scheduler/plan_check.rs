//! The plan applier's re-check: every node of a plan must still take what
//! the plan puts on it, judged against the latest state. Nodes that no
//! longer fit are dropped from the result (a partial commit); with
//! `AllAtOnce`, any refusal drops everything.

use std::collections::{BTreeMap, BTreeSet};

use super::fit;
use super::plan::{Plan, PlanResult};
use super::view::StateView;
use crate::structs::{Allocation, Usage};

/// Why a node was refused (for logs and tests).
pub type Refusals = BTreeMap<String, String>;

/// Checks one node's part of a plan.
fn node_ok(
    state: &dyn StateView,
    node_id: &str,
    stops: &[Allocation],
    allocs: &[Allocation],
) -> Result<(), String> {
    if allocs.is_empty() {
        return Ok(());
    }
    let node = state.node(node_id).ok_or("node does not exist")?;
    // A new allocation has never been committed (no CreateIndex), so only
    // updates are looked up in the state.
    let existing = |a: &&Allocation| a.create_index > 0;
    let in_place_only = allocs
        .iter()
        .all(|a| existing(&a) && state.alloc(&a.id).is_some_and(|old| old.node_id == node_id));
    if !node.ready() && !in_place_only {
        return Err(format!("node is {} and not eligible", node.status));
    }
    let usage = state.node_usage(node_id);
    let mut used = usage.usage;
    let mut freed: BTreeSet<u16> = BTreeSet::new();
    // What leaves the node: stops and the old versions of updated allocs.
    let leaving = stops.iter().filter_map(|s| state.alloc(&s.id)).chain(
        allocs
            .iter()
            .filter(existing)
            .filter_map(|a| state.alloc(&a.id)),
    );
    for old in leaving {
        if !old.terminal() && old.node_id == node_id {
            used.sub(old.usage());
            freed.extend(old.host_ports());
        }
    }
    let mut new_ports: BTreeSet<u16> = BTreeSet::new();
    let reserved = node.reserved_ports();
    let mut added = Usage::default();
    for a in allocs {
        if a.terminal() {
            continue;
        }
        added.add(a.usage());
        for p in a.host_ports() {
            let held = usage.ports.contains(&p) && !freed.contains(&p);
            if held || reserved.contains(&p) || !new_ports.insert(p) {
                return Err("network: port collision".into());
            }
        }
    }
    used.add(added);
    match fit::exhausted_dimension(&node, used) {
        Some(d) => Err(d.to_string()),
        None => Ok(()),
    }
}

/// What of `plan` may be committed on `state`.
pub fn evaluate(state: &dyn StateView, plan: &Plan) -> (PlanResult, Refusals) {
    let mut result = PlanResult {
        followups: plan.followups.len() + plan.followup_evals.len(),
        ..PlanResult::default()
    };
    let mut refused = Refusals::new();
    let nodes: BTreeSet<&String> = plan
        .node_update
        .keys()
        .chain(plan.node_allocation.keys())
        .collect();
    let empty = Vec::new();
    for node_id in nodes {
        let stops = plan.node_update.get(node_id).unwrap_or(&empty);
        let allocs = plan.node_allocation.get(node_id).unwrap_or(&empty);
        match node_ok(state, node_id, stops, allocs) {
            Ok(()) => result.accept(plan, node_id),
            Err(why) => {
                refused.insert(node_id.clone(), why);
            }
        }
    }
    if !refused.is_empty() {
        if plan.all_at_once {
            result.reject_all();
        }
        result.refresh_index = state.refresh_index().max(1);
    }
    (result, refused)
}
