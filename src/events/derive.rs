//! Events from two versions of the state: what the entries between them
//! changed, typed as Nomad's (`nomad/structs/event.go`).
//!
//! Types are per object (what changed in it), where Nomad types every
//! event of an entry by the entry's request (so a registration's
//! evaluation is `JobRegistered` there, `EvaluationUpdated` here).
//!
//! Allocations and evaluations come from their by-index tables, jobs,
//! nodes and services from the state's change log; each object changed in
//! the range gives one event at the index of its last change, so the cost
//! is O(changed objects), never a scan. Types: a job `JobRegistered`, or
//! `JobDeregistered` when it was stopped or purged; an allocation new to
//! the state is a `PlanResult`, one whose client status or task states
//! moved `AllocationUpdated`, one whose desired status or transition moved
//! `AllocationUpdateDesiredStatus`, otherwise (a scheduler's update)
//! `PlanResult`; evaluations `EvaluationUpdated`; nodes
//! `NodeRegistration` (new), `NodeDeregistration`, `NodeEligibility`,
//! `NodeDrain`, else `NodeStreamEvent` (a status change, as Nomad types
//! `Node.UpdateStatus`; a known node registering again is one too, where
//! Nomad, typing by request, says `NodeRegistration`); services
//! `ServiceRegistration`/`ServiceDeregistration`. Payloads are Nomad's:
//! `{"<Topic>": object}` (`Service` for registrations), allocations
//! without their job, nodes without their secret.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::{Event, EventBatch};
use crate::state::{Changed, JobKey, State};
use crate::structs::{Allocation, Evaluation, Job, Node, ServiceRegistration};

#[derive(Serialize)]
enum Payload<'a> {
    Job(&'a Job),
    Allocation(&'a Allocation),
    Evaluation(&'a Evaluation),
    Node(&'a Node),
    Service(&'a ServiceRegistration),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Wire<'a> {
    topic: &'static str,
    #[serde(rename = "Type")]
    kind: &'static str,
    key: &'a str,
    namespace: &'a str,
    filter_keys: &'a [String],
    index: u64,
    payload: Payload<'a>,
}

struct Draft<'a> {
    topic: &'static str,
    kind: &'static str,
    key: &'a str,
    namespace: &'a str,
    filter_keys: Vec<String>,
    index: u64,
    payload: Payload<'a>,
}

impl Draft<'_> {
    fn encode(self) -> Event {
        let wire = Wire {
            topic: self.topic,
            kind: self.kind,
            key: self.key,
            namespace: self.namespace,
            filter_keys: &self.filter_keys,
            index: self.index,
            payload: self.payload,
        };
        // Plain data always encodes.
        let json = serde_json::to_string(&wire).unwrap_or_default();
        Event {
            topic: self.topic,
            kind: self.kind,
            key: self.key.to_string(),
            namespace: self.namespace.to_string(),
            filter_keys: self.filter_keys,
            index: self.index,
            json: Arc::from(json),
        }
    }
}

/// The events of the entries after `prev` up to `cur`, one batch per
/// entry that produced any, oldest first, stamped `committed_ns`.
pub fn derive(prev: &State, cur: &State, committed_ns: i64) -> Vec<EventBatch> {
    let after = prev.indexes().latest;
    let mut by_index: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
    let mut put = |e: Event| by_index.entry(e.index).or_default().push(e);

    for e in cur.evals_changed_after(after) {
        put(eval_event(&e));
    }
    for a in cur.allocs_changed_after(after) {
        let before = prev.alloc(&a.id);
        put(alloc_event(&a, before.as_deref()));
    }

    let (notes, complete) = cur.changed_after(after);
    if !complete {
        tracing::warn!(
            after,
            "event stream fell behind the change log; some job, node and service events are lost"
        );
    }
    // The last change of each object in the range.
    let mut last: HashMap<&Changed, u64> = HashMap::new();
    for (i, what) in &notes {
        last.insert(what, *i);
    }
    let mut last: Vec<(&Changed, u64)> = last.into_iter().collect();
    last.sort_by_key(|(_, i)| *i);
    for (what, index) in last {
        if let Some(e) = changed_event(prev, cur, what, index) {
            put(e);
        }
    }

    by_index
        .into_iter()
        .map(|(index, events)| EventBatch::new(index, committed_ns, events))
        .collect()
}

fn eval_event(e: &Evaluation) -> Event {
    Draft {
        topic: "Evaluation",
        kind: "EvaluationUpdated",
        key: &e.id,
        namespace: &e.namespace,
        filter_keys: vec![e.job_id.clone(), e.deployment_id.clone()],
        index: e.modify_index,
        payload: Payload::Evaluation(e),
    }
    .encode()
}

fn alloc_event(a: &Allocation, before: Option<&Allocation>) -> Event {
    let kind = match before {
        None => "PlanResult",
        Some(b) if b.client_status != a.client_status || b.task_states != a.task_states => {
            "AllocationUpdated"
        }
        Some(b)
            if b.desired_status != a.desired_status
                || b.desired_transition != a.desired_transition =>
        {
            "AllocationUpdateDesiredStatus"
        }
        Some(_) => "PlanResult",
    };
    let mut slim = a.clone();
    slim.job = None;
    Draft {
        topic: "Allocation",
        kind,
        key: &a.id,
        namespace: &a.namespace,
        filter_keys: vec![a.job_id.clone(), String::new()],
        index: a.modify_index,
        payload: Payload::Allocation(&slim),
    }
    .encode()
}

fn changed_event(prev: &State, cur: &State, what: &Changed, index: u64) -> Option<Event> {
    match what {
        Changed::Job(key) => job_event(prev, cur, key, index),
        Changed::Node(id) => node_event(prev, cur, id, index),
        Changed::Service(key) => service_event(prev, cur, key, index),
    }
}

fn job_event(prev: &State, cur: &State, key: &JobKey, index: u64) -> Option<Event> {
    let before = prev.job(&key.namespace, &key.id);
    let (job, kind) = match cur.job(&key.namespace, &key.id) {
        Some(j) => {
            let stopped = j.stop && !before.as_ref().is_some_and(|b| b.stop);
            let kind = if stopped {
                "JobDeregistered"
            } else {
                "JobRegistered"
            };
            (j, kind)
        }
        // Created and purged within the range: nothing to show.
        None => (before?, "JobDeregistered"),
    };
    Some(
        Draft {
            topic: "Job",
            kind,
            key: &job.id,
            namespace: &job.namespace,
            filter_keys: Vec::new(),
            index,
            payload: Payload::Job(&job),
        }
        .encode(),
    )
}

fn node_event(prev: &State, cur: &State, id: &str, index: u64) -> Option<Event> {
    let before = prev.node(id);
    let (node, kind) = match (cur.node(id), &before) {
        (Some(n), None) => (n, "NodeRegistration"),
        (Some(n), Some(b)) => {
            let kind = if n.scheduling_eligibility != b.scheduling_eligibility {
                "NodeEligibility"
            } else if n.drain_strategy != b.drain_strategy {
                "NodeDrain"
            } else {
                "NodeStreamEvent"
            };
            (n, kind)
        }
        (None, Some(b)) => (b.clone(), "NodeDeregistration"),
        (None, None) => return None,
    };
    let mut sanitized = (*node).clone();
    sanitized.secret_id = String::new();
    Some(
        Draft {
            topic: "Node",
            kind,
            key: &node.id,
            namespace: "",
            filter_keys: Vec::new(),
            index,
            payload: Payload::Node(&sanitized),
        }
        .encode(),
    )
}

fn service_event(prev: &State, cur: &State, key: &JobKey, index: u64) -> Option<Event> {
    let (reg, kind) = match cur.services.get(key) {
        Some(r) => (r.clone(), "ServiceRegistration"),
        None => (prev.services.get(key)?.clone(), "ServiceDeregistration"),
    };
    Some(
        Draft {
            topic: "Service",
            kind,
            key: &reg.id,
            namespace: &reg.namespace,
            filter_keys: vec![reg.job_id.clone(), reg.service_name.clone()],
            index,
            payload: Payload::Service(&reg),
        }
        .encode(),
    )
}

#[cfg(test)]
#[path = "derive_tests.rs"]
mod tests;
