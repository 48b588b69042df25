//! The cluster model, serialised with Nomad's JSON field names.
//!
//! One file per entity. Every field defaults when absent; request bodies go
//! through [`strip_nulls`] first, because Go clients send `null` for unset
//! values, so existing Nomad clients' bodies decode unchanged.

mod alloc_metric;
mod allocation;
mod autopilot;
mod constraint;
pub mod diff;
mod ephemeral_disk;
mod evaluation;
mod fuzzy_search;
mod job;
mod job_diff;
mod job_submission;
mod job_summary;
mod namespace;
mod node;
mod node_class;
mod operator_health;
pub mod parameterized;
pub mod periodic;
mod plan;
mod reschedule_policy;
mod resources;
mod restart_policy;
pub mod rpc;
pub mod scaling;
mod scheduler_config;
mod search;
mod service;
mod service_registration;
mod small_map;
mod task;
mod task_group;
pub mod time;
mod update_strategy;
mod variable;

pub use alloc_metric::AllocMetric;
pub use allocation::*;
pub use autopilot::AutopilotConfiguration;
pub use constraint::{Affinity, Constraint, Spread, SpreadTarget};
pub use ephemeral_disk::EphemeralDisk;
pub use evaluation::*;
pub use fuzzy_search::{FUZZY_LIMIT_RESULTS, FuzzyMatch, FuzzySearchRequest, FuzzySearchResponse};
pub use job::*;
pub use job_diff::{DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff};
pub use job_submission::{
    GroupScalingEvent, JobSubmission, MAX_SUBMISSION_SOURCE, ScalingEvent, TRACKED_SCALING_EVENTS,
};
pub use job_summary::{JobChildrenSummary, JobSummary, TaskGroupSummary};
pub use namespace::{DEFAULT_NAMESPACE, Namespace};
pub use node::*;
pub use node_class::computed_class;
pub use operator_health::{OperatorHealthReply, ServerHealth};
pub use parameterized::{JobDispatchRequest, JobDispatchResponse, ParameterizedConfig};
pub use plan::{DesiredUpdates, JobPlanResponse, PlanAnnotations};
pub use reschedule_policy::{RescheduleEvent, ReschedulePolicy, RescheduleTracker};
pub use resources::{NetworkResource, Port, Resources};
pub use restart_policy::RestartPolicy;
pub use scheduler_config::{
    ALGORITHM_BINPACK, ALGORITHM_SPREAD, PreemptionConfig, SchedulerAlgorithm,
    SchedulerConfiguration,
};
pub use search::{SEARCH_TRUNCATE_LIMIT, SearchRequest, SearchResponse};
pub use service::{Service, ServiceCheck};
pub use service_registration::{
    CHECK_CRITICAL, CHECK_PASSING, CHECK_WARNING, CheckStatus, ServiceRegistration,
    ServiceUpdateRequest,
};
pub use small_map::SmallMap;
pub use task::{DEFAULT_KILL_TIMEOUT, DriverConfig, LogConfig, Task};
pub use task_group::TaskGroup;
pub use update_strategy::UpdateStrategy;
pub use variable::{MAX_VARIABLE_SIZE, Variable, VariableMetadata, validate_path};

/// Removes every `null` member of every object in `value`, so absent and
/// `null` fields both take their defaults. Free-form maps keep working:
/// a `null` there carries no information either.
pub fn strip_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// A string map as Nomad serves it (`Meta`, `Env`, ...).
pub type StrMap = std::collections::BTreeMap<String, String>;

/// Nanoseconds in one second, for durations (Nomad sends durations as ns).
pub const SECOND: i64 = 1_000_000_000;
