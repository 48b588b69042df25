//! Periodic launches and dispatches: a child job (and its evaluation)
//! registered through the one registration path, with the rules that
//! keep a launch or dispatch from happening twice decided here, in log
//! order.

use crate::state::{
    Applied, ApplyError, JobDispatch, JobKey, JobRegister, PeriodicLaunch, State, apply::job,
};
use crate::structs::parameterized::{DISPATCH_LAUNCH_SUFFIX, IDEMPOTENCY_TOKEN_META};
use crate::structs::{JOB_STATUS_DEAD, Job};

pub fn launch(state: &mut State, index: u64, req: PeriodicLaunch) -> Result<Applied, ApplyError> {
    let key = JobKey::new(&req.namespace, &req.job_id);
    let parent = state
        .jobs
        .get(&key)
        .cloned()
        .ok_or_else(|| ApplyError::NotFound("job not found".into()))?;
    if !parent.is_periodic() {
        return Err(ApplyError::Invalid(format!(
            "job {:?} is not periodic",
            req.job_id
        )));
    }
    let last = state
        .periodic_launches
        .get(&key)
        .copied()
        .unwrap_or(i64::MIN);
    // A leader that took over may try a launch the last one made.
    if !req.force && req.launch <= last {
        return Err(ApplyError::Invalid(format!(
            "periodic job {:?} already launched at or after {}",
            req.job_id, req.launch
        )));
    }
    state.periodic_launches.insert(key, req.launch.max(last));
    match req.child {
        Some(child) => child_of(state, index, &parent, child, req.eval),
        None => Ok(Applied::default()),
    }
}

pub fn dispatch(state: &mut State, index: u64, req: JobDispatch) -> Result<Applied, ApplyError> {
    let key = JobKey::new(&req.child.namespace, &req.child.parent_id);
    let parent = state
        .jobs
        .get(&key)
        .cloned()
        .ok_or_else(|| ApplyError::NotFound("job not found".into()))?;
    if !parent.is_parameterized() {
        return Err(ApplyError::Invalid(format!(
            "Specified job {:?} is not a parameterized job",
            parent.id
        )));
    }
    if parent.stop {
        return Err(ApplyError::Invalid(format!(
            "Specified job {:?} is stopped",
            parent.id
        )));
    }
    if !req.idempotency_token.is_empty() {
        let prefix = format!("{}{DISPATCH_LAUNCH_SUFFIX}", parent.id);
        let earlier = state
            .jobs_with_id_prefix(&parent.namespace, &prefix)
            .find(|j| {
                j.status != JOB_STATUS_DEAD
                    && j.meta.get(IDEMPOTENCY_TOKEN_META) == Some(&req.idempotency_token)
            });
        if let Some(j) = earlier {
            return Ok(Applied {
                existing_child: Some(j.id.clone()),
                job_found: true,
                ..Applied::default()
            });
        }
    }
    child_of(state, index, &parent, req.child, req.eval)
}

/// Registers `child` of `parent` (it must be new).
fn child_of(
    state: &mut State,
    index: u64,
    parent: &Job,
    child: Job,
    eval: Option<crate::structs::Evaluation>,
) -> Result<Applied, ApplyError> {
    if child.parent_id != parent.id || child.namespace != parent.namespace {
        return Err(ApplyError::Invalid(
            "child job does not name its parent".into(),
        ));
    }
    job::register(
        state,
        index,
        JobRegister {
            job: child,
            eval,
            enforce_index: Some(0),
            ..Default::default()
        },
    )
}
