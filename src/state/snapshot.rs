//! Snapshot encoding: the primary tables as lists; secondary indexes are
//! rebuilt on restore, so they can never disagree with the data.

use std::sync::Arc;

use imbl::Vector;
use serde::{Deserialize, Serialize};

use super::{JobKey, State, TableIndexes, apply};
use crate::structs::{
    Allocation, AutopilotConfiguration, Evaluation, Job, JobSummary, Namespace, Node,
    SchedulerConfiguration, ServiceRegistration, Variable,
};

const FORMAT: u32 = 1;

/// An allocation whose job, when it is one of the stored versions, is
/// written once in `versions` rather than once per allocation.
#[derive(Serialize, Deserialize)]
struct SnapAlloc {
    #[serde(flatten)]
    alloc: Allocation,
    #[serde(default, rename = "SnapshotJobVersion")]
    job_version: Option<u64>,
}

fn snap_alloc(state: &State, a: &Allocation) -> SnapAlloc {
    let mut alloc = a.clone();
    let Some(job) = &a.job else {
        return SnapAlloc {
            alloc,
            job_version: None,
        };
    };
    let stored = state
        .job_versions
        .get(&JobKey::new(&job.namespace, &job.id))
        .is_some_and(|v| {
            v.iter()
                .any(|j| j.version == job.version && j.job_modify_index == job.job_modify_index)
        });
    if stored {
        alloc.job = None;
        SnapAlloc {
            alloc,
            job_version: Some(job.version),
        }
    } else {
        SnapAlloc {
            alloc,
            job_version: None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SnapshotData {
    format: u32,
    index: TableIndexes,
    jobs: Vec<Arc<Job>>,
    /// Each job's stored versions, newest first.
    versions: Vec<Vec<Arc<Job>>>,
    summaries: Vec<Arc<JobSummary>>,
    evals: Vec<Arc<Evaluation>>,
    allocs: Vec<SnapAlloc>,
    nodes: Vec<Arc<Node>>,
    #[serde(default)]
    heartbeats: Vec<(String, i64)>,
    /// The index of the last change to each node's allocations. Mostly
    /// the largest `ModifyIndex` of its allocations, which the restore
    /// recomputes; kept because a removal moves it too, which nothing
    /// left in the allocations shows.
    #[serde(default)]
    node_allocs: Vec<(String, u64)>,
    /// Service registrations (their indexes are rebuilt).
    #[serde(default)]
    services: Vec<Arc<ServiceRegistration>>,
    #[serde(default)]
    variables: Vec<Arc<Variable>>,
    #[serde(default)]
    namespaces: Vec<Arc<Namespace>>,
    #[serde(default)]
    periodic_launches: Vec<(JobKey, i64)>,
    #[serde(default)]
    submissions: Vec<Arc<crate::structs::JobSubmission>>,
    #[serde(default)]
    scaling_events: Vec<(JobKey, String, Vec<crate::structs::ScalingEvent>)>,
    /// The operator's configurations, when set (absent from snapshots
    /// written before they existed: the defaults apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheduler_config: Option<Arc<SchedulerConfiguration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    autopilot_config: Option<Arc<AutopilotConfiguration>>,
}

pub fn encode(state: &State) -> Vec<u8> {
    let data = SnapshotData {
        format: FORMAT,
        index: state.index,
        jobs: state.jobs.values().cloned().collect(),
        versions: state
            .job_versions
            .values()
            .map(|v| v.iter().cloned().collect())
            .collect(),
        summaries: state.summaries.values().cloned().collect(),
        evals: state.evals.values().cloned().collect(),
        allocs: state
            .allocs
            .values()
            .map(|a| snap_alloc(state, a))
            .collect(),
        nodes: state.nodes.values().cloned().collect(),
        heartbeats: state
            .heartbeats
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        node_allocs: state
            .by_node
            .iter()
            .map(|(k, v)| (k.to_string(), v.index))
            .collect(),
        services: state.services.values().cloned().collect(),
        variables: state.variables.values().cloned().collect(),
        namespaces: state.namespaces.values().cloned().collect(),
        periodic_launches: state
            .periodic_launches
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        submissions: state
            .submissions
            .values()
            .flat_map(|v| v.values().cloned())
            .collect(),
        scaling_events: state
            .scaling_events
            .iter()
            .flat_map(|(k, groups)| {
                groups
                    .iter()
                    .map(move |(g, list)| (k.clone(), g.clone(), list.iter().cloned().collect()))
            })
            .collect(),
        scheduler_config: state.scheduler_config.clone(),
        autopilot_config: state.autopilot_config.clone(),
    };
    // Plain data with string keys always encodes.
    serde_json::to_vec(&data).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("state snapshot is not valid: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("state snapshot format {0} is newer than this server understands ({FORMAT})")]
    Format(u32),
}

pub fn decode(bytes: &[u8]) -> Result<State, SnapshotError> {
    let data: SnapshotData = serde_json::from_slice(bytes)?;
    if data.format > FORMAT {
        return Err(SnapshotError::Format(data.format));
    }
    let mut state = State {
        index: data.index,
        scheduler_config: data.scheduler_config,
        autopilot_config: data.autopilot_config,
        ..State::default()
    };
    for job in data.jobs {
        state.jobs.insert(JobKey::new(&job.namespace, &job.id), job);
    }
    for versions in data.versions {
        if let Some(first) = versions.first() {
            let key = JobKey::new(&first.namespace, &first.id);
            state
                .job_versions
                .insert(key, versions.into_iter().collect::<Vector<_>>());
        }
    }
    for summary in data.summaries {
        state
            .summaries
            .insert(JobKey::new(&summary.namespace, &summary.job_id), summary);
    }
    for eval in data.evals {
        apply::eval::insert(&mut state, eval);
    }
    for SnapAlloc {
        mut alloc,
        job_version,
    } in data.allocs
    {
        if let Some(v) = job_version {
            alloc.job = state
                .job_versions
                .get(&JobKey::new(&alloc.namespace, &alloc.job_id))
                .and_then(|versions| versions.iter().find(|j| j.version == v).cloned());
        }
        apply::alloc::insert(&mut state, Arc::new(alloc));
    }
    for (node, index) in data.node_allocs {
        apply::alloc::node_changed(&mut state, &node, index);
    }
    for mut node in data.nodes {
        if node.computed_class.is_empty() {
            // Written before classes were computed.
            let class = crate::structs::computed_class(&node);
            Arc::make_mut(&mut node).computed_class = class;
        }
        let at = state.index.capacity;
        state.class_capacity.insert(node.computed_class.clone(), at);
        state.nodes.insert(node.id.clone(), node);
    }
    for (id, time) in data.heartbeats {
        state.heartbeats.insert(id, time);
    }
    // After the allocations: inserting those does not remove these.
    for reg in data.services {
        apply::service::insert(&mut state, reg);
    }
    for var in data.variables {
        state
            .variables
            .insert(JobKey::new(&var.namespace, &var.path), var);
    }
    for ns in data.namespaces {
        state.namespaces.insert(ns.name.clone(), ns);
    }
    for (key, launch) in data.periodic_launches {
        state.periodic_launches.insert(key, launch);
    }
    for sub in data.submissions {
        let key = JobKey::new(&sub.namespace, &sub.job_id);
        state
            .submissions
            .entry(key)
            .or_default()
            .insert(sub.version, sub);
    }
    for (key, group, list) in data.scaling_events {
        state
            .scaling_events
            .entry(key)
            .or_default()
            .insert(group, list.into_iter().collect());
    }
    Ok(state)
}
