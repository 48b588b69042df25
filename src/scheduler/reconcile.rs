//! The reconciler of the service and batch schedulers: for one task group,
//! compares what exists with what the job asks for and sorts every
//! allocation into a bucket.
//!
//! ```text
//!  allocs of the group ──▶ desired stop? ──▶ dropped (already stopping)
//!        │
//!        ├─ job stopped / group gone / count 0 ──▶ stop
//!        ├─ node down or gone      ──▶ lost: stop (client status lost) + place same name
//!        ├─ marked for migration   ──▶ migrate: stop + place same name (drains)
//!        ├─ failed, reschedule now ──▶ stop + place same name (previous linked, tracker)
//!        ├─ failed, reschedule later ─▶ kept; a follow-up evaluation at its time
//!        ├─ complete service alloc ──▶ ignored (its name is free again)
//!        └─ untainted ─▶ beyond count? ──▶ stop (highest index first)
//!                        same version  ──▶ ignore
//!                        in-place change ─▶ in-place update
//!                        destructive    ──▶ stop + place same name
//!  names still missing below count ──▶ place (lowest free index first)
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use super::reschedule::{self, Decision};
use super::view::StateView;
use crate::structs::{
    ALLOC_CLIENT_COMPLETE, ALLOC_CLIENT_FAILED, ALLOC_CLIENT_LOST, Allocation, DesiredUpdates, Job,
    NODE_STATUS_DOWN, RescheduleTracker, TaskGroup,
};

/// What the reconciler knows besides the job and its allocations.
pub struct Context<'a> {
    pub state: &'a dyn StateView,
    /// The evaluation being processed (a follow-up reschedules its
    /// allocations at once).
    pub eval_id: &'a str,
    /// Unix nanoseconds.
    pub now: i64,
    pub batch: bool,
}

pub const DESC_NOT_NEEDED: &str = "alloc not needed due to job update";
pub const DESC_UPDATING: &str = "alloc is being updated due to job update";
pub const DESC_LOST: &str = "alloc is lost since its node is down";
pub const DESC_MIGRATING: &str = "alloc is being migrated";
pub const DESC_RESCHEDULED: &str = "alloc was rescheduled because it failed";

/// An allocation to stop, why, and (for lost ones) its new client status.
pub struct Stop {
    pub alloc: Arc<Allocation>,
    pub description: &'static str,
    pub client_status: Option<&'static str>,
}

/// An allocation to create.
pub struct Placement {
    pub name: String,
    /// The allocation this one replaces (lost, migrated, rescheduled or
    /// destructively updated).
    pub previous: Option<Arc<Allocation>>,
    /// Set when the previous allocation failed and is rescheduled.
    pub reschedule: Option<RescheduleTracker>,
}

/// The buckets of one task group.
#[derive(Default)]
pub struct GroupPlan {
    pub stop: Vec<Stop>,
    pub place: Vec<Placement>,
    pub in_place: Vec<Arc<Allocation>>,
    pub updates: DesiredUpdates,
    /// Destructive updates were held back by `max_parallel`.
    pub more_updates: bool,
    /// Failed allocations to reschedule later, and when (Unix nanoseconds).
    pub reschedule_later: Vec<(Arc<Allocation>, i64)>,
}

/// The allocation name `job.group[index]`.
pub fn alloc_name(job_id: &str, group: &str, index: u64) -> String {
    format!("{job_id}.{group}[{index}]")
}

/// Where `alloc`'s node stands. A draining node's allocations stay until
/// the drainer marks them for migration (`DesiredTransition.Migrate`), a
/// few at a time.
enum NodeState {
    Ok,
    Lost,
    Migrate,
}

fn node_state(state: &dyn StateView, alloc: &Allocation) -> NodeState {
    match state.node(&alloc.node_id) {
        None => NodeState::Lost,
        Some(n) if n.status == NODE_STATUS_DOWN => NodeState::Lost,
        _ if alloc.desired_transition.migrate == Some(true) => NodeState::Migrate,
        Some(_) => NodeState::Ok,
    }
}

/// What to do with a failed allocation under the group's policy.
fn reschedule_decision(cx: &Context<'_>, group: &TaskGroup, alloc: &Allocation) -> Decision {
    if !alloc.next_allocation.is_empty() {
        return Decision::Keep;
    }
    // `job evaluate -force-reschedule`: now, whatever the policy says.
    if alloc.desired_transition.force_reschedule == Some(true) {
        return Decision::Now;
    }
    match &group.reschedule_policy {
        Some(p) => reschedule::decide(p, alloc, cx.eval_id, cx.now),
        None => Decision::Keep,
    }
}

/// Reconciles one group. `destructive(old_job)` says whether an allocation
/// of `old_job` must be replaced rather than updated in place.
pub fn reconcile_group(
    cx: &Context<'_>,
    job: Option<&Job>,
    group_name: &str,
    allocs: &[Arc<Allocation>],
    destructive: &dyn Fn(&Job) -> bool,
) -> GroupPlan {
    let (state, batch) = (cx.state, cx.batch);
    let mut out = GroupPlan::default();
    let live: Vec<&Arc<Allocation>> = allocs.iter().filter(|a| !a.server_terminal()).collect();
    let group = job
        .filter(|j| !j.stop)
        .and_then(|j| j.task_group(group_name))
        .filter(|g| g.count > 0);
    let (Some(job), Some(group)) = (job, group) else {
        for a in live.into_iter().filter(|a| !a.client_terminal()) {
            let lost = matches!(node_state(state, a), NodeState::Lost);
            out.stop.push(Stop {
                alloc: a.clone(),
                description: if lost { DESC_LOST } else { DESC_NOT_NEEDED },
                client_status: lost.then_some(ALLOC_CLIENT_LOST),
            });
            out.updates.stop += 1;
        }
        return out;
    };

    let mut untainted: Vec<&Arc<Allocation>> = Vec::new();
    let mut replace: Vec<(Arc<Allocation>, &'static str, Option<&'static str>)> = Vec::new();
    for a in live {
        match a.client_status.as_str() {
            ALLOC_CLIENT_COMPLETE if batch => untainted.push(a),
            ALLOC_CLIENT_COMPLETE | ALLOC_CLIENT_LOST => {}
            ALLOC_CLIENT_FAILED => match reschedule_decision(cx, group, a) {
                Decision::Now => replace.push((a.clone(), DESC_RESCHEDULED, None)),
                Decision::Later(at) => {
                    out.reschedule_later.push((a.clone(), at));
                    untainted.push(a);
                }
                Decision::Keep => untainted.push(a),
            },
            _ => match node_state(state, a) {
                NodeState::Lost => replace.push((a.clone(), DESC_LOST, Some(ALLOC_CLIENT_LOST))),
                NodeState::Migrate => {
                    out.updates.migrate += 1;
                    replace.push((a.clone(), DESC_MIGRATING, None));
                }
                NodeState::Ok => untainted.push(a),
            },
        }
    }

    // Scale down: keep the lowest indexes.
    let count = group.count.max(0) as usize;
    untainted.sort_by_key(|a| (a.index().unwrap_or(u64::MAX), a.create_index));
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut kept: Vec<&Arc<Allocation>> = Vec::new();
    for a in untainted {
        // Duplicated names and anything beyond count are excess.
        if kept.len() < count && names.insert(a.name.clone()) {
            kept.push(a);
        } else if !a.client_terminal() {
            out.stop.push(Stop {
                alloc: a.clone(),
                description: DESC_NOT_NEEDED,
                client_status: None,
            });
            out.updates.stop += 1;
        }
    }

    // Replacements keep their names while the group is below count.
    for (a, description, client_status) in replace {
        out.stop.push(Stop {
            alloc: a.clone(),
            description,
            client_status,
        });
        if kept.len() + out.place.len() < count && names.insert(a.name.clone()) {
            let reschedule = group
                .reschedule_policy
                .as_ref()
                .filter(|_| description == DESC_RESCHEDULED)
                .map(|p| reschedule::tracker_for(p, &a, cx.now));
            out.place.push(Placement {
                name: a.name.clone(),
                previous: Some(a.clone()),
                reschedule,
            });
            if description != DESC_MIGRATING {
                out.updates.place += 1;
            }
        } else {
            out.updates.stop += 1;
        }
    }

    // Updates of the allocations we keep.
    let limit = group
        .update
        .as_ref()
        .filter(|u| u.max_parallel > 0 && !batch)
        .map(|u| u.max_parallel as usize)
        .unwrap_or(usize::MAX);
    let mut destructive_done = 0;
    for a in kept {
        let Some(old) = a.job.as_deref() else {
            out.updates.ignore += 1;
            continue;
        };
        if old.job_modify_index == job.job_modify_index || a.client_terminal() {
            out.updates.ignore += 1;
        } else if destructive(old) {
            if destructive_done < limit {
                destructive_done += 1;
                out.updates.destructive_update += 1;
                out.stop.push(Stop {
                    alloc: a.clone(),
                    description: DESC_UPDATING,
                    client_status: None,
                });
                out.place.push(Placement {
                    name: a.name.clone(),
                    previous: Some(a.clone()),
                    reschedule: None,
                });
            } else {
                out.more_updates = true;
                out.updates.ignore += 1;
            }
        } else {
            out.updates.in_place_update += 1;
            out.in_place.push(a.clone());
        }
    }

    // New names for what is still missing, lowest free index first.
    let mut index = 0u64;
    while names.len() < count {
        let name = alloc_name(&job.id, group_name, index);
        index += 1;
        if names.insert(name.clone()) {
            out.place.push(Placement {
                name,
                previous: None,
                reschedule: None,
            });
            out.updates.place += 1;
        }
    }
    out
}
