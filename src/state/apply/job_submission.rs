//! Job files kept per stored version, and scaling events kept per group.

use std::sync::Arc;

use crate::state::{JobKey, State, Table};
use crate::structs::{GroupScalingEvent, JobSubmission, TRACKED_SCALING_EVENTS};

/// Keeps `sub` as the file of the job's current version, and drops the
/// files of versions no longer stored.
pub fn put(state: &mut State, key: &JobKey, mut sub: JobSubmission, version: u64, jmi: u64) {
    sub.namespace = key.namespace.clone();
    sub.job_id = key.id.clone();
    sub.version = version;
    sub.job_modify_index = jmi;
    let kept: Vec<u64> = state
        .job_versions
        .get(key)
        .map(|v| v.iter().map(|j| j.version).collect())
        .unwrap_or_default();
    let files = state.submissions.entry(key.clone()).or_default();
    files.insert(version, Arc::new(sub));
    let gone: Vec<u64> = files
        .keys()
        .filter(|v| !kept.contains(v))
        .copied()
        .collect();
    for v in gone {
        files.remove(&v);
    }
}

/// Records a scaling event, newest first, keeping the last
/// [`TRACKED_SCALING_EVENTS`] of the group.
pub fn add_scaling_event(state: &mut State, index: u64, ev: GroupScalingEvent) {
    let key = JobKey::new(&ev.namespace, &ev.job_id);
    if !state.jobs.contains_key(&key) {
        return;
    }
    let mut event = ev.event;
    event.create_index = index;
    let groups = state.scaling_events.entry(key).or_default();
    let list = groups.entry(ev.group).or_default();
    list.push_front(event);
    list.truncate(TRACKED_SCALING_EVENTS);
    // The scale status reads the events with the job: its readers wake.
    state.index.bump(Table::Jobs, index);
}
