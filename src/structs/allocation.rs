//! An allocation: one instance of a task group placed on a node.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{AllocMetric, Job, NetworkResource, RescheduleTracker, Resources, SmallMap};

pub const ALLOC_DESIRED_RUN: &str = "run";
pub const ALLOC_DESIRED_STOP: &str = "stop";
pub const ALLOC_DESIRED_EVICT: &str = "evict";

pub const ALLOC_CLIENT_PENDING: &str = "pending";
pub const ALLOC_CLIENT_RUNNING: &str = "running";
pub const ALLOC_CLIENT_COMPLETE: &str = "complete";
pub const ALLOC_CLIENT_FAILED: &str = "failed";
pub const ALLOC_CLIENT_LOST: &str = "lost";

/// An allocation as stored and served.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Allocation {
    #[serde(rename = "ID")]
    pub id: String,
    pub namespace: String,
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    /// `job.group[index]`.
    pub name: String,
    #[serde(rename = "NodeID")]
    pub node_id: String,
    pub node_name: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// The job as of placement, shared between the allocations of a plan.
    pub job: Option<Arc<Job>>,
    pub task_group: String,
    /// Nomad's deprecated per-allocation totals (boxed: rarely set, and
    /// every stored allocation would pay for it inline).
    pub resources: Option<Box<Resources>>,
    pub task_resources: SmallMap<String, Resources>,
    /// Shared between allocations given the same resources (a plan's
    /// placements without ports all are).
    pub allocated_resources: Option<Arc<AllocatedResources>>,
    pub metrics: Option<AllocMetric>,
    pub desired_status: String,
    pub desired_description: String,
    pub desired_transition: DesiredTransition,
    pub client_status: String,
    pub client_description: String,
    pub task_states: SmallMap<String, TaskState>,
    pub previous_allocation: String,
    pub next_allocation: String,
    #[serde(rename = "FollowupEvalID")]
    pub followup_eval_id: String,
    pub reschedule_tracker: Option<Box<RescheduleTracker>>,
    /// The allocation's health within a deployment, as its client
    /// reports it (boxed: absent outside deployments).
    pub deployment_status: Option<Box<AllocDeploymentStatus>>,
    pub create_index: u64,
    pub modify_index: u64,
    pub alloc_modify_index: u64,
    /// Unix nanoseconds.
    pub create_time: i64,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

/// An allocation's health within a deployment (Nomad's
/// `AllocDeploymentStatus`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocDeploymentStatus {
    /// Unset until the client decided.
    pub healthy: Option<bool>,
    /// RFC 3339, when health was decided.
    pub timestamp: Option<String>,
    /// Placed as a canary of its deployment.
    pub canary: bool,
    pub modify_index: u64,
}

impl Allocation {
    /// Whether the allocation is a canary of its deployment.
    pub fn is_canary(&self) -> bool {
        self.deployment_status.as_ref().is_some_and(|d| d.canary)
    }

    /// The allocation is stopped or finished, on the servers' or the
    /// client's say.
    pub fn terminal(&self) -> bool {
        self.server_terminal() || self.client_terminal()
    }

    pub fn server_terminal(&self) -> bool {
        matches!(
            self.desired_status.as_str(),
            ALLOC_DESIRED_STOP | ALLOC_DESIRED_EVICT
        )
    }

    pub fn client_terminal(&self) -> bool {
        matches!(
            self.client_status.as_str(),
            ALLOC_CLIENT_COMPLETE | ALLOC_CLIENT_FAILED | ALLOC_CLIENT_LOST
        )
    }

    /// The index in `job.group[index]`.
    pub fn index(&self) -> Option<u64> {
        let open = self.name.rfind('[')?;
        self.name[open + 1..].strip_suffix(']')?.parse().ok()
    }

    pub fn stub(&self) -> AllocListStub {
        AllocListStub {
            id: self.id.clone(),
            eval_id: self.eval_id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            node_id: self.node_id.clone(),
            node_name: self.node_name.clone(),
            job_id: self.job_id.clone(),
            job_type: self
                .job
                .as_ref()
                .map(|j| j.job_type.clone())
                .unwrap_or_default(),
            job_version: self.job.as_ref().map(|j| j.version).unwrap_or_default(),
            task_group: self.task_group.clone(),
            desired_status: self.desired_status.clone(),
            desired_description: self.desired_description.clone(),
            client_status: self.client_status.clone(),
            client_description: self.client_description.clone(),
            desired_transition: self.desired_transition.clone(),
            task_states: Some(self.task_states.clone()),
            allocated_resources: None,
            followup_eval_id: self.followup_eval_id.clone(),
            next_allocation: self.next_allocation.clone(),
            create_index: self.create_index,
            modify_index: self.modify_index,
            create_time: self.create_time,
            modify_time: self.modify_time,
        }
    }
}

/// Server-side wishes about an allocation's future.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DesiredTransition {
    pub migrate: Option<bool>,
    pub reschedule: Option<bool>,
    pub force_reschedule: Option<bool>,
    pub no_shutdown_delay: Option<bool>,
}

/// What the scheduler gave an allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedResources {
    pub tasks: SmallMap<String, AllocatedTaskResources>,
    pub shared: AllocatedSharedResources,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedTaskResources {
    pub cpu: AllocatedCpu,
    pub memory: AllocatedMemory,
    pub networks: Vec<NetworkResource>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedCpu {
    pub cpu_shares: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedMemory {
    #[serde(rename = "MemoryMB")]
    pub memory_mb: i64,
    #[serde(rename = "MemoryMaxMB")]
    pub memory_max_mb: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedSharedResources {
    pub networks: Vec<NetworkResource>,
    #[serde(rename = "DiskMB")]
    pub disk_mb: i64,
    pub ports: Vec<AllocatedPortMapping>,
}

/// A group port as assigned on the node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedPortMapping {
    pub label: String,
    pub value: i64,
    pub to: i64,
    #[serde(rename = "HostIP")]
    pub host_ip: String,
}

/// The state of one task of an allocation, as its client reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskState {
    /// `pending`, `running` or `dead`.
    pub state: String,
    pub failed: bool,
    pub restarts: u64,
    pub last_restart: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub events: Vec<TaskEvent>,
}

/// Something that happened to a task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskEvent {
    #[serde(rename = "Type")]
    pub event_type: String,
    /// Unix nanoseconds.
    pub time: i64,
    pub message: String,
    pub display_message: String,
    pub details: BTreeMap<String, String>,
    pub fails_task: bool,
    pub exit_code: i64,
    pub signal: i64,
    pub driver_error: String,
    pub kill_reason: String,
    pub restart_reason: String,
    pub setup_error: String,
}

/// An allocation in a list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocListStub {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub name: String,
    pub namespace: String,
    #[serde(rename = "NodeID")]
    pub node_id: String,
    pub node_name: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_type: String,
    pub job_version: u64,
    pub task_group: String,
    pub desired_status: String,
    pub desired_description: String,
    pub client_status: String,
    pub client_description: String,
    pub desired_transition: DesiredTransition,
    /// Left out (null) when the list asks `task_states=false`.
    pub task_states: Option<SmallMap<String, TaskState>>,
    /// Only when the list asks `resources=true`.
    pub allocated_resources: Option<Arc<AllocatedResources>>,
    #[serde(rename = "FollowupEvalID")]
    pub followup_eval_id: String,
    pub next_allocation: String,
    pub create_index: u64,
    pub modify_index: u64,
    pub create_time: i64,
    pub modify_time: i64,
}

/// The resources an allocation holds on its node, for fit checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_mb: i64,
    /// Network bandwidth asked for (legacy `mbits`).
    pub mbits: i64,
}

/// Resource sums saturate instead of overflowing: submission bounds every
/// figure (see `jobspec::validate`), and if sums of them ever reached the
/// limit, a saturated sum still exceeds any capacity, so nothing that does
/// not fit can pass a fit check, and nothing panics.
impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.cpu = self.cpu.saturating_add(other.cpu);
        self.memory_mb = self.memory_mb.saturating_add(other.memory_mb);
        self.disk_mb = self.disk_mb.saturating_add(other.disk_mb);
        self.mbits = self.mbits.saturating_add(other.mbits);
    }

    pub fn sub(&mut self, other: Usage) {
        self.cpu = self.cpu.saturating_sub(other.cpu);
        self.memory_mb = self.memory_mb.saturating_sub(other.memory_mb);
        self.disk_mb = self.disk_mb.saturating_sub(other.disk_mb);
        self.mbits = self.mbits.saturating_sub(other.mbits);
    }
}

/// Sums bandwidths without overflowing.
pub fn sum_mbits<'a>(networks: impl IntoIterator<Item = &'a NetworkResource>) -> i64 {
    networks
        .into_iter()
        .fold(0i64, |acc, n| acc.saturating_add(n.mbits))
}

impl Allocation {
    /// CPU, memory and disk this allocation holds.
    pub fn usage(&self) -> Usage {
        match &self.allocated_resources {
            Some(r) => {
                let mut u = Usage {
                    disk_mb: r.shared.disk_mb,
                    mbits: sum_mbits(&r.shared.networks),
                    ..Usage::default()
                };
                for t in r.tasks.values() {
                    u.add(Usage {
                        cpu: t.cpu.cpu_shares,
                        memory_mb: t.memory.memory_mb,
                        disk_mb: 0,
                        mbits: sum_mbits(&t.networks),
                    });
                }
                u
            }
            None => self
                .task_resources
                .values()
                .fold(Usage::default(), |mut u, r| {
                    u.add(Usage {
                        cpu: r.cpu,
                        memory_mb: r.memory_mb,
                        disk_mb: r.disk_mb,
                        mbits: 0,
                    });
                    u
                }),
        }
    }

    /// Host ports this allocation holds.
    pub fn host_ports(&self) -> Vec<u16> {
        let Some(r) = &self.allocated_resources else {
            return Vec::new();
        };
        let shared = r.shared.ports.iter().map(|p| p.value);
        let tasks = r
            .tasks
            .values()
            .flat_map(|t| t.networks.iter())
            .flat_map(|n| n.ports().map(|p| p.value));
        shared
            .chain(tasks)
            .filter_map(|v| u16::try_from(v).ok())
            .collect()
    }
}
