//! The replicated commands: one append-only enum, one variant per change.
//!
//! Variants are encoded by name (serde's external tagging) and are never
//! renamed or removed: a log written by an older server must still apply.
//! Every value that is not a pure function of the log (IDs, times) is
//! stamped by the leader's endpoint before proposing.

use serde::{Deserialize, Serialize};

use super::planned_metric::PlannedMetric;
use crate::structs::{Allocation, Evaluation, Job, Node, SmallMap};

/// A change to cluster state, committed through Raft. Variants differ in
/// size; a command is decoded, applied once and dropped, so boxing would
/// only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Command {
    /// Register or update a job, with its evaluation (one entry).
    JobRegister(JobRegister),
    /// Stop (or purge) a job, with its evaluation.
    JobDeregister(JobDeregister),
    /// Create or update evaluations.
    EvalUpsert { evals: Vec<Evaluation> },
    /// Create or update allocations.
    AllocUpsert { allocs: Vec<Allocation> },
    /// Register or update a client node.
    NodeRegister { node: Node },
    /// Remove client nodes, with the evaluations that replace what they
    /// ran (`PUT /v1/node/{id}/purge`; entries written before `evals`
    /// existed have none).
    NodeDeregister {
        node_ids: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evals: Vec<Evaluation>,
    },
    /// Commit what the plan applier accepted of a plan.
    PlanResults(PlanResults),
    /// A node's client is alive (time stamped by the receiving server).
    NodeHeartbeat { node_id: String, time: i64 },
    /// A node's status changes (ready, down, ...), with the evaluations
    /// that react to it.
    NodeUpdateStatus(NodeUpdate),
    /// A node's scheduling eligibility changes.
    NodeUpdateEligibility(NodeUpdate),
    /// A drain starts (`drain` set) or ends (`None`).
    NodeUpdateDrain(NodeUpdate),
    /// Clients report the state of their allocations.
    AllocClientUpdate {
        allocs: Vec<AllocClientUpdate>,
        evals: Vec<Evaluation>,
    },
    /// Servers' wishes for allocations (the drainer's `Migrate`), with
    /// the evaluations that act on them.
    AllocDesiredTransition {
        allocs: std::collections::BTreeMap<String, crate::structs::DesiredTransition>,
        evals: Vec<Evaluation>,
    },
    /// A stored version of a job is marked stable or not.
    JobStability(JobStability),
    /// Service registrations written (whole) and removed, in one entry:
    /// a client's batch for its node, or an operator's delete.
    ServiceUpdate {
        upserts: Vec<crate::structs::ServiceRegistration>,
        deletes: Vec<super::keys::ServiceKey>,
    },
    /// A variable written or deleted, with an optional check-and-set.
    VarApply(VarApply),
    /// Namespaces created or updated (whole).
    NamespaceUpsert {
        namespaces: Vec<crate::structs::Namespace>,
    },
    /// Namespaces removed (refused while they hold live jobs or variables).
    NamespaceDelete { names: Vec<String> },
    /// A periodic job's launch: its child job and evaluation (none when
    /// the launch is skipped for `prohibit_overlap`), recorded so that a
    /// new leader neither repeats nor loses it.
    PeriodicLaunch(PeriodicLaunch),
    /// A parameterized job's dispatch: its child job and evaluation.
    JobDispatch(JobDispatch),
    /// The operator sets the scheduler configuration (check-and-set
    /// decided at apply).
    SchedulerConfigSet(ConfigSet<crate::structs::SchedulerConfiguration>),
    /// The operator sets the autopilot configuration (check-and-set
    /// decided at apply).
    AutopilotConfigSet(ConfigSet<crate::structs::AutopilotConfiguration>),
    /// A scaling event without a count change (an autoscaler's message
    /// or error).
    ScalingEventAdd(crate::structs::GroupScalingEvent),
    /// Garbage collection: the named objects that are still collectable.
    GcReap(GcReap),
    /// Every job summary rebuilt from the job's allocations
    /// (`PUT /v1/system/reconcile/summaries`).
    JobSummariesReconcile {},
}

impl Command {
    /// The bytes that travel through the log ([`super::Fsm`] decodes them).
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

/// A change to one node, with the evaluations created by it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NodeUpdate {
    pub node_id: String,
    /// For status updates.
    pub status: String,
    /// For eligibility updates.
    pub eligibility: String,
    /// For drain updates.
    pub drain: Option<crate::structs::DrainStrategy>,
    pub event: Option<crate::structs::NodeEvent>,
    /// Unix nanoseconds, stamped by the leader.
    pub time: i64,
    pub evals: Vec<Evaluation>,
}

pub use crate::structs::rpc::AllocClientUpdate;

/// The accepted part of a plan. The job travels once; allocations travel
/// in a compact form ([`PlannedAlloc`]) and are completed at apply, all
/// sharing one copy of the job.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PlanResults {
    pub job: Option<Job>,
    /// New allocations and in-place updates.
    pub allocs: Vec<PlannedAlloc>,
    /// Allocations to stop.
    pub stops: Vec<AllocStop>,
    /// The evaluation the plan came from.
    pub eval_id: String,
    /// What every placement's metric shares (see [`PlannedMetric`]).
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub nodes_available: SmallMap<String, i64>,
    #[serde(default)]
    pub nodes_in_pool: i64,
    /// Follow-up evaluations for failed allocations rescheduled later.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evals: Vec<Evaluation>,
    /// Failed allocations and the follow-up evaluation that will replace
    /// them (`FollowupEvalID`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followups: Vec<Followup>,
}

/// A failed allocation waiting for its follow-up evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followup {
    pub alloc_id: String,
    pub eval_id: String,
}

/// What a scheduler decided for one allocation; the rest (namespace, job,
/// statuses) follows from the plan at apply. For an in-place update only
/// the ID, the time and the description matter: the allocation keeps its
/// node, name and resources.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PlannedAlloc {
    pub id: String,
    /// `Some(true)`: a new allocation, `Some(false)`: an update of a
    /// committed one. Entries written before this field existed (`None`)
    /// are told apart by looking the ID up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<bool>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub task_group: String,
    // The large, often absent fields are boxed: a plan of a thousand
    // placements decodes into one vector, which stays small this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Box<crate::structs::AllocatedResources>>,
    /// The same resources as the plan's previous allocation (which then
    /// travel once).
    #[serde(default, rename = "sr", skip_serializing_if = "std::ops::Not::not")]
    pub same_resources: bool,
    /// The full metric, as entries before [`PlannedMetric`] carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Box<crate::structs::AllocMetric>>,
    #[serde(default, rename = "m", skip_serializing_if = "Option::is_none")]
    pub metric: Option<Box<PlannedMetric>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub previous_allocation: String,
    /// Set on the replacement of a rescheduled allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reschedule_tracker: Option<Box<crate::structs::RescheduleTracker>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub desired_description: String,
    /// Unix nanoseconds.
    pub time: i64,
}

impl PlannedAlloc {
    /// The compact form of an allocation a scheduler built.
    pub fn from_alloc(a: &Allocation) -> Self {
        Self::from_alloc_after(a, None)
    }

    /// The compact form of `a` following `previous` in a plan: resources
    /// equal to the previous allocation's are not sent again.
    pub fn from_alloc_after(a: &Allocation, previous: Option<&Allocation>) -> Self {
        let same_resources = match (
            previous.and_then(|p| p.allocated_resources.as_ref()),
            a.allocated_resources.as_ref(),
        ) {
            (Some(p), Some(r)) => std::sync::Arc::ptr_eq(p, r),
            _ => false,
        };
        PlannedAlloc {
            id: a.id.clone(),
            // Committed allocations carry the index that created them.
            new: Some(a.create_index == 0),
            name: a.name.clone(),
            node_id: a.node_id.clone(),
            node_name: a.node_name.clone(),
            task_group: a.task_group.clone(),
            resources: if same_resources {
                None
            } else {
                a.allocated_resources.as_deref().cloned().map(Box::new)
            },
            same_resources,
            metrics: None,
            metric: a
                .metrics
                .as_ref()
                .map(|m| Box::new(PlannedMetric::of(m, &a.node_id))),
            previous_allocation: a.previous_allocation.clone(),
            reschedule_tracker: a.reschedule_tracker.clone(),
            desired_description: a.desired_description.clone(),
            time: a.modify_time,
        }
    }
}

/// A stop decided by a scheduler.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AllocStop {
    pub alloc_id: String,
    pub desired_description: String,
    /// Set for allocations lost with their node.
    pub client_status: Option<String>,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

/// `PUT /v1/jobs`: the canonical, validated job and its evaluation.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JobRegister {
    pub job: Job,
    /// `None` for periodic and parameterized jobs, which get no evaluation.
    pub eval: Option<Evaluation>,
    /// The job file this version came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<crate::structs::JobSubmission>,
    /// A scaling event recorded with this version (`POST .../scale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_event: Option<crate::structs::GroupScalingEvent>,
    /// `Some(n)`: the job's current `JobModifyIndex` must be `n` (0: the
    /// job must not exist).
    pub enforce_index: Option<u64>,
}

/// `DELETE /v1/job/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobDeregister {
    pub namespace: String,
    pub job_id: String,
    pub purge: bool,
    pub eval: Option<Evaluation>,
    /// Unix nanoseconds, stamped by the leader (the stopped version's
    /// `SubmitTime`).
    pub submit_time: i64,
}

/// `PUT /v1/job/{id}/stable`: sets `Stable` on one stored version (and on
/// the current job when it is that version). Changes no spec, so
/// `Version` and `JobModifyIndex` stay; `ModifyIndex` moves.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobStability {
    pub namespace: String,
    pub job_id: String,
    pub version: u64,
    pub stable: bool,
}

/// See [`Command::PeriodicLaunch`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeriodicLaunch {
    pub namespace: String,
    pub job_id: String,
    /// The launch time (unix ns): the schedule's, or now when forced.
    pub launch: i64,
    /// A forced launch (`periodic/force`) is not checked against the last.
    pub force: bool,
    pub child: Option<Job>,
    pub eval: Option<Evaluation>,
}

/// See [`Command::JobDispatch`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobDispatch {
    pub child: Job,
    pub eval: Option<Evaluation>,
    /// When set, a live child of the same parent dispatched with this
    /// token is answered instead of a new one.
    pub idempotency_token: String,
}

/// What a [`VarApply`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VarOp {
    Set,
    /// Set only if the stored `ModifyIndex` is the variable's (0: only if
    /// there is none).
    Cas,
    Delete,
    /// Delete only if the stored `ModifyIndex` is the variable's (0: only
    /// if there is none, which deletes nothing).
    DeleteCas,
}

/// `PUT|DELETE /v1/var/{path}`. The check-and-set is decided here, in
/// apply, as `-check-index` is: of two writes expecting one index, at
/// most one wins.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VarApply {
    pub op: VarOp,
    /// Namespace, path and items; for the CAS ops, `ModifyIndex` is the
    /// index expected.
    pub var: crate::structs::Variable,
    /// Unix nanoseconds, stamped by the leader.
    pub time: i64,
}

/// `PUT /v1/operator/{scheduler,autopilot}/configuration`: the whole new
/// configuration (its indexes are set at apply).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigSet<T> {
    pub config: T,
    /// `Some(n)`: write only if the stored configuration's `ModifyIndex`
    /// is `n` (0 while none was ever set).
    pub cas: Option<u64>,
}

/// Garbage collection, as decided by the proposing server ([`super::gc`]).
/// Apply removes a named object only while the GC rules still hold for
/// it in the state it applies to, judged at `cutoffs`; what is gone or
/// no longer collectable is skipped, so a stale or repeated entry never
/// removes a live object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcReap {
    pub cutoffs: super::gc::GcCutoffs,
    /// Allocations (evaluation GC), removed before `evals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocs: Vec<String>,
    /// Evaluations (evaluation GC): removed only once none of their
    /// allocations remain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evals: Vec<String>,
    /// Dead jobs (job GC): their allocations, evaluations, versions and
    /// summary go with them, at most `budget` objects in all; a job left
    /// with objects stays (dead) for a later entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<super::JobKey>,
    #[serde(default)]
    pub budget: u64,
    /// Down nodes without live allocations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
}

/// What an applied command reports back to its proposer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The job's `JobModifyIndex` after a register or deregister.
    pub job_modify_index: u64,
    /// Whether the job existed (deregister of an unknown job is a no-op;
    /// for a stability change: whether that version is stored).
    pub job_found: bool,
    /// A dispatch answered by an earlier one with the same idempotency
    /// token: that child's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_child: Option<String>,
    /// The variable as stored after a [`VarApply`] set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<Box<crate::structs::Variable>>,
    /// For a configuration change: whether it was written (a failed
    /// check-and-set is not an error; nothing changes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub config_updated: bool,
}

/// Why a command was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApplyError {
    /// A `-check-index` compare-and-set failed.
    #[error("{0}")]
    CheckIndex(String),
    /// The command breaks a rule of the stored state.
    #[error("{0}")]
    Invalid(String),
    /// What the command names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The command could not be decoded (a newer server's command?).
    #[error("cannot decode command: {0}")]
    Decode(String),
    /// A variable's check-and-set failed: the variable as it is (or an
    /// empty one at its path when there is none).
    #[error("cas error: variable at {:?} has modify index {}", .0.path, .0.modify_index)]
    VarConflict(Box<crate::structs::Variable>),
}
