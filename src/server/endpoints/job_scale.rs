//! A job's scale: `GET /v1/job/{id}/scale` (per group, the count wanted
//! and the allocations placed and running) and `POST /v1/job/{id}/scale`
//! (a group's count changed: a new version of the job through the one
//! registration path, with its evaluation), as Nomad's `Job.Scale`.

use std::collections::BTreeMap;

use super::super::{Server, ServerError};
use crate::state::{Command, State};
use crate::structs::{ALLOC_CLIENT_RUNNING, rpc::JobRegisterResponse};
use crate::structs::{GroupScalingEvent, ScalingEvent};

pub use crate::structs::rpc::{GroupScaleStatus, JobScaleStatus, ScalingRequest};

/// The largest count a scale request may ask for (a job file's own bound).
pub const MAX_COUNT: i64 = 1_000_000;

/// The job's scale status in `st`, with the index it is as of; None when
/// there is no such job.
pub fn status(st: &State, namespace: &str, job_id: &str) -> Option<(JobScaleStatus, u64)> {
    let job = st.job(namespace, job_id)?;
    let mut groups: BTreeMap<String, GroupScaleStatus> = job
        .task_groups
        .iter()
        .map(|g| {
            let s = GroupScaleStatus {
                desired: g.count,
                ..GroupScaleStatus::default()
            };
            (g.name.clone(), s)
        })
        .collect();
    let mut index = job.modify_index;
    for a in st.allocs_by_job(namespace, job_id) {
        index = index.max(a.modify_index);
        let Some(g) = groups.get_mut(&a.task_group) else {
            continue;
        };
        if !a.terminal() {
            g.placed += 1;
            if a.client_status == ALLOC_CLIENT_RUNNING {
                g.running += 1;
            }
        }
        if let Some(d) = &a.deployment_status {
            match d.healthy {
                Some(true) => g.healthy += 1,
                Some(false) => g.unhealthy += 1,
                None => {}
            }
        }
    }
    if let Some(events) = st
        .scaling_events
        .get(&crate::state::JobKey::new(namespace, job_id))
    {
        for (group, list) in events {
            if let Some(g) = groups.get_mut(group) {
                g.events = list.iter().cloned().collect();
            }
        }
    }
    Some((
        JobScaleStatus {
            job_id: job.id.clone(),
            namespace: job.namespace.clone(),
            job_create_index: job.create_index,
            job_modify_index: job.job_modify_index,
            job_stopped: job.stop,
            task_groups: groups,
        },
        index,
    ))
}

/// Changes a group's count (a new job version with its evaluation); a
/// request without a count changes nothing.
pub async fn scale(
    server: &Server,
    namespace: &str,
    job_id: &str,
    req: ScalingRequest,
) -> Result<JobRegisterResponse, ServerError> {
    let group = req
        .target
        .get("Group")
        .filter(|g| !g.is_empty())
        .ok_or_else(|| {
            ServerError::BadRequest("missing task group name for scaling action".into())
        })?
        .clone();
    if let Some(j) = req.target.get("Job").filter(|j| !j.is_empty())
        && j != job_id
    {
        return Err(ServerError::BadRequest(
            "job ID in payload did not match URL".into(),
        ));
    }
    if let Some(n) = req.count
        && !(0..=MAX_COUNT).contains(&n)
    {
        return Err(ServerError::BadRequest(format!(
            "scaling action count must be between 0 and {MAX_COUNT} (got {n})"
        )));
    }
    if req.error && req.count.is_some() {
        return Err(ServerError::BadRequest(
            "scaling action should not contain count if error is true".into(),
        ));
    }
    let state = server.consistent_state().await?;
    let Some(job) = state.job(namespace, job_id) else {
        return Err(ServerError::NotFound(format!("job {job_id:?} not found")));
    };
    if job.is_periodic() || job.is_parameterized() {
        return Err(ServerError::BadRequest(
            "cannot scale a periodic or parameterized job".into(),
        ));
    }
    let Some(current) = job.task_group(&group) else {
        return Err(ServerError::BadRequest(format!(
            "task group {group:?} specified for scaling does not exist in job"
        )));
    };
    if let (Some(n), Some(p)) = (req.count, crate::structs::scaling::of_group(&job, current))
        && !req.policy_override
    {
        if n > p.max {
            return Err(ServerError::BadRequest(format!(
                "group count was greater than scaling policy maximum: {n} > {}",
                p.max
            )));
        }
        if n < p.min {
            return Err(ServerError::BadRequest(format!(
                "group count was less than scaling policy minimum: {n} < {}",
                p.min
            )));
        }
    }
    let event = GroupScalingEvent {
        namespace: namespace.to_string(),
        job_id: job_id.to_string(),
        group: group.clone(),
        event: ScalingEvent {
            time: crate::ids::now_nanos(),
            count: req.count,
            previous_count: current.count,
            message: req.message.clone(),
            error: req.error,
            meta: req.meta.clone().map(|m| m.into_iter().collect()),
            ..ScalingEvent::default()
        },
    };
    let Some(count) = req.count.filter(|n| *n != current.count || job.stop) else {
        // Nothing to change: the event alone is recorded.
        let (index, _) = server.propose(&Command::ScalingEventAdd(event)).await?;
        return Ok(JobRegisterResponse {
            job_modify_index: job.job_modify_index,
            index,
            ..JobRegisterResponse::default()
        });
    };
    let mut job = (*job).clone();
    job.stop = false;
    for g in &mut job.task_groups {
        if g.name == group {
            g.count = count;
            // An override beyond the policy's bounds moves the bound, so
            // that the job stays valid.
            if let Some(serde_json::Value::Object(p)) = g.scaling.as_mut() {
                let bound = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_i64);
                if bound(p.get("Max")).is_some_and(|m| count > m) {
                    p.insert("Max".into(), count.into());
                }
                if bound(p.get("Min")).is_some_and(|m| count < m) {
                    p.insert("Min".into(), count.into());
                }
            }
        }
    }
    tracing::info!(job = %job_id, group = %group, count, message = %req.message, "scaling a job's group");
    let extra = super::job::Extra {
        scaling_event: Some(event),
        ..Default::default()
    };
    super::job::submit_with(server, job, None, 0, extra).await
}
