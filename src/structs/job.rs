//! A job: what the user asks the cluster to run.

use serde::{Deserialize, Serialize};

use super::{Affinity, Constraint, JobSummary, Spread, StrMap, TaskGroup, UpdateStrategy};

/// Job types (scheduler names).
pub const JOB_TYPE_SERVICE: &str = "service";
pub const JOB_TYPE_BATCH: &str = "batch";
pub const JOB_TYPE_SYSTEM: &str = "system";
pub const JOB_TYPE_SYSBATCH: &str = "sysbatch";

/// Job statuses, computed from its evaluations and allocations.
pub const JOB_STATUS_PENDING: &str = "pending";
pub const JOB_STATUS_RUNNING: &str = "running";
pub const JOB_STATUS_DEAD: &str = "dead";

/// A job as stored and served.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Job {
    pub stop: bool,
    pub region: String,
    pub namespace: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "ParentID")]
    pub parent_id: String,
    pub name: String,
    #[serde(rename = "Type")]
    pub job_type: String,
    pub priority: i64,
    pub all_at_once: bool,
    pub datacenters: Vec<String>,
    pub node_pool: String,
    pub constraints: Vec<Constraint>,
    pub affinities: Vec<Affinity>,
    pub spreads: Vec<Spread>,
    pub task_groups: Vec<TaskGroup>,
    pub update: Option<UpdateStrategy>,
    pub periodic: Option<serde_json::Value>,
    pub parameterized_job: Option<serde_json::Value>,
    pub dispatched: bool,
    pub payload: Option<serde_json::Value>,
    pub meta: StrMap,
    pub status: String,
    pub status_description: String,
    pub stable: bool,
    pub version: u64,
    /// Unix nanoseconds of the registration, stamped by the leader.
    pub submit_time: i64,
    pub create_index: u64,
    pub modify_index: u64,
    /// The index of the last change to the job's spec; `-check-index`
    /// compares against it.
    pub job_modify_index: u64,
}

impl Job {
    pub fn task_group(&self, name: &str) -> Option<&TaskGroup> {
        self.task_groups.iter().find(|g| g.name == name)
    }

    pub fn is_periodic(&self) -> bool {
        self.periodic.is_some()
    }

    pub fn is_parameterized(&self) -> bool {
        self.parameterized_job.is_some() && !self.dispatched
    }

    /// Whether the user-visible spec of `self` differs from `other`: the
    /// fields the server stamps (indexes, status, version, times) are
    /// ignored.
    pub fn spec_changed(&self, other: &Job) -> bool {
        self.spec_view() != other.spec_view()
    }

    fn spec_view(&self) -> Job {
        Job {
            status: String::new(),
            status_description: String::new(),
            stable: false,
            version: 0,
            submit_time: 0,
            create_index: 0,
            modify_index: 0,
            job_modify_index: 0,
            ..self.clone()
        }
    }

    /// The list form served by `GET /v1/jobs`.
    pub fn stub(&self, summary: Option<JobSummary>) -> JobListStub {
        JobListStub {
            id: self.id.clone(),
            parent_id: self.parent_id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            datacenters: self.datacenters.clone(),
            node_pool: self.node_pool.clone(),
            job_type: self.job_type.clone(),
            priority: self.priority,
            periodic: self.is_periodic(),
            parameterized_job: self.is_parameterized(),
            stop: self.stop,
            status: self.status.clone(),
            status_description: self.status_description.clone(),
            job_summary: summary,
            create_index: self.create_index,
            modify_index: self.modify_index,
            job_modify_index: self.job_modify_index,
            submit_time: self.submit_time,
            meta: None,
        }
    }
}

/// A job in a list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobListStub {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "ParentID")]
    pub parent_id: String,
    pub name: String,
    pub namespace: String,
    pub datacenters: Vec<String>,
    pub node_pool: String,
    #[serde(rename = "Type")]
    pub job_type: String,
    pub priority: i64,
    pub periodic: bool,
    pub parameterized_job: bool,
    pub stop: bool,
    pub status: String,
    pub status_description: String,
    pub job_summary: Option<JobSummary>,
    pub create_index: u64,
    pub modify_index: u64,
    pub job_modify_index: u64,
    pub submit_time: i64,
    /// The job's `meta`, only when the list asks for it (`meta=true`).
    pub meta: Option<StrMap>,
}
