//! One pass of candidate selection, on one state at one time: what the
//! leader proposes to remove, as explicit IDs, packed into entries of at
//! most [`MAX_PER_COMMAND`] objects.
//!
//! ```text
//!  jobs  ─▶ job_collectable? ─▶ the job, its evaluations and allocations
//!  evals ─▶ (jobs not taken above) eval_verdict per evaluation,
//!           allocations whose evaluation is gone alone
//!  nodes ─▶ node_collectable?
//! ```
//! A pass stops after `max_objects` objects (`truncated`): the caller
//! proposes what it has and runs another pass, so no pass builds an
//! unbounded list.

use std::collections::BTreeSet;

use super::GcCutoffs;
use super::rules::{
    alloc_collectable, allocs_by_eval, eval_cutoff, eval_verdict, job_collectable, node_collectable,
};
use crate::state::{GcReap, JobKey, State};

/// The most objects one entry removes (Nomad's
/// `MaxUUIDsPerWriteRequest` is 7,281; smaller entries keep a
/// follower's apply and a forwarded write short).
pub const MAX_PER_COMMAND: usize = 1_000;

/// Which collections a pass runs (each has its own interval).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcKinds {
    pub jobs: bool,
    pub evals: bool,
    pub nodes: bool,
}

impl GcKinds {
    pub const ALL: GcKinds = GcKinds {
        jobs: true,
        evals: true,
        nodes: true,
    };

    pub fn any(&self) -> bool {
        self.jobs || self.evals || self.nodes
    }
}

/// An evaluation that goes (if `eval` is set) and allocations of it that
/// go; allocations whose evaluation is gone form groups without one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalGroup {
    pub eval: Option<String>,
    pub allocs: Vec<String>,
}

/// What one pass found collectable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcWork {
    /// Dead jobs and how many objects go with each (itself, its
    /// evaluations and allocations).
    pub jobs: Vec<(JobKey, usize)>,
    pub evals: Vec<EvalGroup>,
    pub nodes: Vec<String>,
    /// The pass stopped at its limit; more may be collectable.
    pub truncated: bool,
}

impl GcWork {
    /// How many objects the work removes.
    pub fn objects(&self) -> usize {
        self.jobs.iter().map(|(_, n)| n).sum::<usize>()
            + self
                .evals
                .iter()
                .map(|g| g.allocs.len() + usize::from(g.eval.is_some()))
                .sum::<usize>()
            + self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.evals.is_empty() && self.nodes.is_empty()
    }

    /// The entries that remove this work, in order, each naming at most
    /// `per_command` objects. An evaluation comes after (or with) its
    /// allocations; a job larger than `per_command` is named in as many
    /// entries as it takes, each removing up to `per_command` of its
    /// objects (apply's `budget`).
    pub fn commands(&self, cutoffs: GcCutoffs, per_command: usize) -> Vec<GcReap> {
        let per_command = per_command.max(1);
        let empty = || GcReap {
            cutoffs,
            budget: per_command as u64,
            ..GcReap::default()
        };
        let mut out = Vec::new();
        let mut cur = empty();
        let mut used = 0usize;
        let room = |n: usize, cur: &mut GcReap, used: &mut usize, out: &mut Vec<GcReap>| {
            if *used > 0 && *used + n > per_command {
                out.push(std::mem::replace(cur, empty()));
                *used = 0;
            }
        };
        for (key, size) in &self.jobs {
            if *size > per_command {
                for _ in 0..size.div_ceil(per_command) {
                    out.push(GcReap {
                        jobs: vec![key.clone()],
                        ..empty()
                    });
                }
                continue;
            }
            room(*size, &mut cur, &mut used, &mut out);
            cur.jobs.push(key.clone());
            used += size;
        }
        for group in &self.evals {
            for a in &group.allocs {
                room(1, &mut cur, &mut used, &mut out);
                cur.allocs.push(a.clone());
                used += 1;
            }
            if let Some(e) = &group.eval {
                room(1, &mut cur, &mut used, &mut out);
                cur.evals.push(e.clone());
                used += 1;
            }
        }
        for n in &self.nodes {
            room(1, &mut cur, &mut used, &mut out);
            cur.nodes.push(n.clone());
            used += 1;
        }
        if used > 0 {
            out.push(cur);
        }
        out
    }
}

/// Finds what `kinds` may collect in `state` under `cutoffs`, stopping
/// after about `max_objects` objects.
pub fn select(state: &State, cutoffs: &GcCutoffs, kinds: GcKinds, max_objects: usize) -> GcWork {
    let mut work = GcWork::default();
    let mut budget = max_objects;
    let mut taken: BTreeSet<&JobKey> = BTreeSet::new();
    if kinds.jobs {
        for (key, job) in &state.jobs {
            if budget == 0 {
                work.truncated = true;
                return work;
            }
            if let Some(n) = job_collectable(state, job, cutoffs) {
                work.jobs.push((key.clone(), n));
                taken.insert(key);
                budget = budget.saturating_sub(n);
            }
        }
    }
    if kinds.evals {
        let mut keys: Vec<&JobKey> = state
            .evals_by_job
            .keys()
            .chain(state.allocs_by_job.keys())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            if budget == 0 {
                work.truncated = true;
                return work;
            }
            if !taken.contains(key) {
                budget = budget.saturating_sub(select_job_evals(state, key, cutoffs, &mut work));
            }
        }
    }
    if kinds.nodes {
        for node in state.nodes.values() {
            if budget == 0 {
                work.truncated = true;
                return work;
            }
            if node_collectable(state, node, cutoffs) {
                work.nodes.push(node.id.clone());
                budget -= 1;
            }
        }
    }
    work
}

/// Evaluation GC over one job's evaluations and allocations; returns how
/// many objects it added.
fn select_job_evals(state: &State, key: &JobKey, cutoffs: &GcCutoffs, work: &mut GcWork) -> usize {
    let job = state.jobs.get(key).map(|j| &**j);
    let mut by_eval = allocs_by_eval(state, key);
    let mut added = 0;
    if let Some(ids) = state.evals_by_job.get(key) {
        for id in ids {
            let Some(eval) = state.evals.get(id) else {
                continue;
            };
            let allocs = by_eval.remove(id.as_str()).unwrap_or_default();
            let cutoff = eval_cutoff(eval, cutoffs);
            let v = eval_verdict(eval, job, &allocs, cutoffs.now, cutoff, false);
            if v.collect || !v.allocs.is_empty() {
                added += v.allocs.len() + usize::from(v.collect);
                work.evals.push(EvalGroup {
                    eval: v.collect.then(|| id.clone()),
                    allocs: v.allocs,
                });
            }
        }
    }
    // Allocations whose evaluation is not among the job's.
    let mut alone: Vec<String> = by_eval
        .values()
        .flatten()
        .filter(|a| alloc_collectable(state, a, cutoffs))
        .map(|a| a.id.clone())
        .collect();
    alone.sort_unstable();
    if !alone.is_empty() {
        added += alone.len();
        work.evals.push(EvalGroup {
            eval: None,
            allocs: alone,
        });
    }
    added
}
