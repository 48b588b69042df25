//! Marking a stored version of a job stable (or not).
//!
//! Only the flag changes: the version keeps its number and
//! `JobModifyIndex`, and its `ModifyIndex` becomes this entry's. When the
//! current job is that version, it changes with it. A version that is no
//! longer stored (trimmed or purged since the endpoint looked) is reported
//! as not found and nothing changes.

use std::sync::Arc;

use crate::state::{Applied, ApplyError, JobKey, JobStability, State, Table};

pub fn apply(state: &mut State, index: u64, req: JobStability) -> Result<Applied, ApplyError> {
    let key = JobKey::new(&req.namespace, &req.job_id);
    let Some(versions) = state.job_versions.get(&key) else {
        return Ok(Applied::default());
    };
    let Some(pos) = versions.iter().position(|j| j.version == req.version) else {
        return Ok(Applied::default());
    };
    let stored = versions[pos].clone();
    let applied = Applied {
        job_found: true,
        job_modify_index: stored.job_modify_index,
        ..Applied::default()
    };
    if stored.stable == req.stable {
        return Ok(applied);
    }
    let mut marked = (*stored).clone();
    marked.stable = req.stable;
    marked.modify_index = index;
    if let Some(versions) = state.job_versions.get_mut(&key) {
        versions.set(pos, Arc::new(marked));
    }
    // The current job is that version: same number, same spec change.
    if let Some(current) = state.jobs.get(&key).cloned()
        && current.version == stored.version
        && current.job_modify_index == stored.job_modify_index
    {
        let mut job = (*current).clone();
        job.stable = req.stable;
        job.modify_index = index;
        state.note(index, crate::state::Changed::Job(key.clone()));
        state.jobs.insert(key, Arc::new(job));
        state.index.bump(Table::Jobs, index);
    }
    state.index.bump(Table::JobVersions, index);
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use crate::state::{Command, Fsm, JOB_TRACKED_VERSIONS, JobRegister, JobStability};
    use crate::structs::{Job, TaskGroup};

    fn job(count: i64) -> Job {
        Job {
            id: "example".into(),
            namespace: "default".into(),
            job_type: "service".into(),
            task_groups: vec![TaskGroup {
                name: "cache".into(),
                count,
                ..TaskGroup::default()
            }],
            ..Job::default()
        }
    }

    fn register(fsm: &mut Fsm, index: u64, count: i64) {
        let cmd = Command::JobRegister(JobRegister {
            job: job(count),
            eval: None,
            enforce_index: None,
            ..Default::default()
        });
        fsm.apply_command(index, cmd).expect("register");
    }

    fn mark(fsm: &mut Fsm, index: u64, version: u64, stable: bool) -> bool {
        let cmd = Command::JobStability(JobStability {
            namespace: "default".into(),
            job_id: "example".into(),
            version,
            stable,
        });
        fsm.apply_command(index, cmd).expect("apply").job_found
    }

    #[test]
    fn a_version_is_marked_without_a_new_version_and_the_current_job_follows() {
        let (mut fsm, handle) = Fsm::new();
        register(&mut fsm, 3, 1);
        register(&mut fsm, 5, 2);

        assert!(mark(&mut fsm, 8, 0, true));
        let s = handle.snapshot();
        let versions = s.job_versions("default", "example");
        assert_eq!(versions.len(), 2, "no new version");
        assert!(versions[1].stable && !versions[0].stable);
        assert_eq!(
            (versions[1].modify_index, versions[1].job_modify_index),
            (8, 3)
        );
        let current = s.job("default", "example").expect("job");
        assert!(!current.stable, "the current job is version 1");
        assert_eq!(current.modify_index, 5);

        assert!(mark(&mut fsm, 9, 1, true));
        let s = handle.snapshot();
        let current = s.job("default", "example").expect("job");
        assert!(current.stable);
        assert_eq!(
            (
                current.version,
                current.modify_index,
                current.job_modify_index
            ),
            (1, 9, 5)
        );
        assert!(s.job_versions("default", "example")[0].stable);

        // Unknown versions and jobs change nothing.
        assert!(!mark(&mut fsm, 10, 7, true));
        let after = handle.snapshot();
        assert!(std::sync::Arc::ptr_eq(
            &after.job("default", "example").expect("job"),
            &current
        ));
    }

    #[test]
    fn the_newest_stable_version_outlives_trimming() {
        let (mut fsm, handle) = Fsm::new();
        register(&mut fsm, 1, 0);
        assert!(mark(&mut fsm, 2, 0, true));
        for i in 1..=JOB_TRACKED_VERSIONS as i64 + 2 {
            register(&mut fsm, 2 + i as u64, i);
        }
        let versions: Vec<(u64, bool)> = handle
            .snapshot()
            .job_versions("default", "example")
            .iter()
            .map(|j| (j.version, j.stable))
            .collect();
        assert_eq!(versions.len(), JOB_TRACKED_VERSIONS);
        assert_eq!(versions.last(), Some(&(0, true)), "{versions:?}");
        let newest: Vec<u64> = versions[..JOB_TRACKED_VERSIONS - 1]
            .iter()
            .map(|v| v.0)
            .collect();
        assert_eq!(newest, vec![8, 7, 6, 5, 4]);
    }
}
