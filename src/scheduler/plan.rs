//! A plan: what a scheduler wants committed, and what the applier did.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::state::{AllocStop, Command, Followup, PlanResults, PlannedAlloc};
use crate::structs::{ALLOC_CLIENT_LOST, Allocation, Evaluation, Job};

/// Changes one scheduler run proposes. Only the plan applier on the leader
/// commits them, after re-checking every node (optimistic concurrency).
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub eval_id: String,
    pub priority: i64,
    /// The job every new allocation runs (shared, not copied per alloc).
    pub job: Option<Arc<Job>>,
    pub all_at_once: bool,
    /// Allocations to stop, by node: the alloc with its new desired status,
    /// description and (for lost ones) client status.
    pub node_update: BTreeMap<String, Vec<Allocation>>,
    /// New allocations and in-place updates, by node.
    pub node_allocation: BTreeMap<String, Vec<Allocation>>,
    /// The state index the plan was computed on.
    pub snapshot_index: u64,
    /// Follow-up evaluations that reschedule failed allocations later, and
    /// the allocations they are for. Committed with any accepted part of
    /// the plan; they need no node's capacity.
    pub followup_evals: Vec<Evaluation>,
    pub followups: Vec<Followup>,
}

impl Plan {
    /// Nothing to commit.
    pub fn is_noop(&self) -> bool {
        self.node_update.values().all(Vec::is_empty)
            && self.node_allocation.values().all(Vec::is_empty)
            && self.followups.is_empty()
            && self.followup_evals.is_empty()
    }

    pub fn push_stop(&mut self, alloc: Allocation) {
        self.node_update
            .entry(alloc.node_id.clone())
            .or_default()
            .push(alloc);
    }

    pub fn push_alloc(&mut self, alloc: Allocation) {
        self.node_allocation
            .entry(alloc.node_id.clone())
            .or_default()
            .push(alloc);
    }

    pub fn placements(&self) -> usize {
        self.node_allocation.values().map(Vec::len).sum()
    }

    pub fn stops(&self) -> usize {
        self.node_update.values().map(Vec::len).sum()
    }
}

/// What the applier committed of a plan: the nodes whose part it accepted
/// (the plan itself holds the allocations).
#[derive(Clone, Debug, Default)]
pub struct PlanResult {
    pub accepted: BTreeSet<String>,
    /// New allocations and in-place updates committed.
    pub placed: usize,
    /// Stops committed.
    pub stopped: usize,
    /// Follow-up evaluations and annotations committed.
    pub followups: usize,
    /// The Raft index of the commit (0 when nothing was committed).
    pub alloc_index: u64,
    /// Non-zero when some nodes were refused: re-plan on a state at least
    /// this new.
    pub refresh_index: u64,
}

impl PlanResult {
    /// Records that `node`'s part of `plan` is accepted.
    pub fn accept(&mut self, plan: &Plan, node: &str) {
        self.placed += plan.node_allocation.get(node).map_or(0, Vec::len);
        self.stopped += plan.node_update.get(node).map_or(0, Vec::len);
        self.accepted.insert(node.to_string());
    }

    /// Drops everything accepted (an `AllAtOnce` plan with a refusal).
    pub fn reject_all(&mut self) {
        self.accepted.clear();
        self.placed = 0;
        self.stopped = 0;
    }

    /// Nothing of the plan is to be committed.
    pub fn is_empty(&self) -> bool {
        self.placed == 0 && self.stopped == 0 && self.followups == 0
    }

    /// The command that commits this result of `plan`.
    pub fn to_command(&self, plan: &Plan) -> Command {
        let accepted = |(node, _): &(&String, &Vec<Allocation>)| self.accepted.contains(*node);
        let shared = plan
            .node_allocation
            .values()
            .flatten()
            .find_map(|a| a.metrics.as_ref());
        Command::PlanResults(PlanResults {
            nodes_available: shared
                .map(|m| (*m.nodes_available).clone())
                .unwrap_or_default(),
            nodes_in_pool: shared.map_or(0, |m| m.nodes_in_pool),
            job: plan.job.as_deref().cloned(),
            allocs: planned(
                plan.node_allocation
                    .iter()
                    .filter(accepted)
                    .flat_map(|(_, allocs)| allocs),
            ),
            stops: plan
                .node_update
                .iter()
                .filter(accepted)
                .flat_map(|(_, allocs)| allocs)
                .map(|a| AllocStop {
                    alloc_id: a.id.clone(),
                    desired_description: a.desired_description.clone(),
                    client_status: (a.client_status == ALLOC_CLIENT_LOST)
                        .then(|| a.client_status.clone()),
                    modify_time: a.modify_time,
                })
                .collect(),
            eval_id: plan.eval_id.clone(),
            evals: plan.followup_evals.clone(),
            followups: plan.followups.clone(),
        })
    }
}

/// The compact forms of `allocs`; resources shared with the previous
/// allocation are sent once.
fn planned<'a>(allocs: impl Iterator<Item = &'a Allocation>) -> Vec<PlannedAlloc> {
    let mut out: Vec<PlannedAlloc> = Vec::new();
    let mut previous: Option<&Allocation> = None;
    for a in allocs {
        out.push(PlannedAlloc::from_alloc_after(a, previous));
        previous = Some(a);
    }
    out
}
