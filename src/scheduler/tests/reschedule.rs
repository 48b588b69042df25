//! Failed allocations: delayed rescheduling through follow-up evaluations,
//! attempts within the interval, and what replacements remember.

use std::sync::Arc;

use super::fixtures::{example, seed_cluster};
use crate::ids;
use crate::scheduler::harness::Harness;
use crate::state::Command;
use crate::structs::{
    ALLOC_CLIENT_FAILED, Allocation, Evaluation, ReschedulePolicy, SECOND, TRIGGER_ALLOC_FAILURE,
};

/// Marks `alloc` failed at `at` and returns the alloc-failure evaluation.
fn fail(h: &mut Harness, alloc: &Allocation, at: i64) -> Evaluation {
    let mut a = alloc.clone();
    a.client_status = ALLOC_CLIENT_FAILED.into();
    a.modify_time = at;
    let eval = Evaluation {
        id: ids::uuid(),
        namespace: a.namespace.clone(),
        priority: 50,
        eval_type: a
            .job
            .as_ref()
            .map(|j| j.job_type.clone())
            .unwrap_or_default(),
        triggered_by: TRIGGER_ALLOC_FAILURE.into(),
        job_id: a.job_id.clone(),
        status: "pending".into(),
        ..Evaluation::default()
    };
    h.apply(Command::AllocUpsert { allocs: vec![a] });
    h.apply(Command::EvalUpsert {
        evals: vec![eval.clone()],
    });
    (*h.snapshot().eval(&eval.id).expect("stored")).clone()
}

fn live(h: &Harness) -> Vec<Arc<Allocation>> {
    h.snapshot()
        .allocs_by_job("default", "example")
        .into_iter()
        .filter(|a| !a.terminal())
        .collect()
}

#[test]
fn service_alloc_failure_reschedules_after_the_delay_through_a_follow_up() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let eval = h.register(example(&["eu-west-1a", "eu-west-1b"], 3));
    h.process(&eval);
    let victim = live(&h)[0].clone();
    let failed_at = ids::now_nanos();
    let failure = fail(&mut h, &victim, failed_at);

    // The service default waits 30 s: nothing is placed yet, a follow-up
    // evaluation is created for the failure time plus the delay.
    let done = h.process(&failure);
    assert_eq!(done.eval.status, "complete");
    assert_eq!(done.placed, 0);
    let s = h.snapshot();
    let waiting = s.alloc(&victim.id).expect("alloc");
    assert_eq!(waiting.desired_status, "run", "kept until its time");
    let follow = s.eval(&waiting.followup_eval_id).expect("follow-up stored");
    assert_eq!(follow.status, "pending");
    assert_eq!(follow.triggered_by, TRIGGER_ALLOC_FAILURE);
    assert_eq!(follow.previous_eval, failure.id);
    assert_eq!(follow.wait_until, failed_at + 30 * SECOND);
    let json = serde_json::to_value(&*follow).expect("json");
    assert!(
        json["WaitUntil"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{json}"
    );

    // Another evaluation before the time does not create a second one.
    let mut again = failure.clone();
    again.id = ids::uuid();
    let out = crate::scheduler::compute(&*h.snapshot(), &again, failed_at + SECOND);
    assert!(out.plan.is_noop(), "the follow-up exists already");

    // The follow-up replaces it: same name, linked both ways, tracked,
    // and away from the node it failed on.
    let done = h.process(&follow);
    assert_eq!(done.placed, 1);
    let s = h.snapshot();
    let old = s.alloc(&victim.id).expect("old");
    assert_eq!(old.desired_status, "stop");
    assert_eq!(
        old.desired_description,
        "alloc was rescheduled because it failed"
    );
    let new = s.alloc(&old.next_allocation).expect("replacement linked");
    assert_eq!(new.previous_allocation, victim.id);
    assert_eq!(new.name, victim.name);
    assert_ne!(new.node_id, victim.node_id, "the failed node is penalised");
    let events = &new.reschedule_tracker.as_ref().expect("tracker").events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].prev_alloc_id, victim.id);
    assert_eq!(events[0].prev_node_id, victim.node_id);
    assert_eq!(events[0].delay, 30 * SECOND);
    assert_eq!(live(&h).len(), 3);

    // Its next failure waits twice as long (exponential).
    let second_at = ids::now_nanos();
    let failure = fail(&mut h, &new, second_at);
    h.process(&failure);
    let s = h.snapshot();
    let waiting = s.alloc(&new.id).expect("alloc");
    let follow = s.eval(&waiting.followup_eval_id).expect("follow-up");
    assert_eq!(follow.wait_until, second_at + 60 * SECOND);
}

#[test]
fn batch_alloc_failure_is_rescheduled_only_as_often_as_attempts_allow() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 1);
    job.job_type = "batch".into();
    job.task_groups[0].reschedule_policy = Some(ReschedulePolicy {
        attempts: 1,
        interval: 3600 * SECOND,
        delay: 5 * SECOND,
        delay_function: "constant".into(),
        max_delay: 0,
        unlimited: false,
    });
    let eval = h.register(job);
    h.process(&eval);
    let first = live(&h)[0].clone();
    // Failed long enough ago that the delay has passed: replaced at once.
    let failure = fail(&mut h, &first, ids::now_nanos() - 10 * SECOND);
    let done = h.process(&failure);
    assert_eq!(done.placed, 1);
    let second = live(&h)[0].clone();
    assert_eq!(second.previous_allocation, first.id);

    // The replacement fails too: its one attempt is used up.
    let failure = fail(&mut h, &second, ids::now_nanos() - 10 * SECOND);
    let done = h.process(&failure);
    assert_eq!(done.placed, 0);
    let s = h.snapshot();
    let kept = s.alloc(&second.id).expect("alloc");
    assert_eq!(kept.client_status, "failed");
    assert_eq!(kept.desired_status, "run");
    assert!(kept.followup_eval_id.is_empty());
    assert!(
        done.created.is_empty(),
        "no blocked or follow-up evaluation"
    );
}

#[test]
fn service_without_a_reschedule_policy_keeps_failed_allocs() {
    let mut h = Harness::new();
    seed_cluster(&mut h);
    let mut job = example(&["eu-west-1a", "eu-west-1b"], 2);
    // `reschedule { attempts = 0 unlimited = false }` in a job file.
    job.task_groups[0].reschedule_policy = Some(ReschedulePolicy {
        attempts: 0,
        unlimited: false,
        delay: 5 * SECOND,
        delay_function: "constant".into(),
        ..ReschedulePolicy::default()
    });
    let eval = h.register(job);
    h.process(&eval);
    let victim = live(&h)[0].clone();
    let failure = fail(&mut h, &victim, ids::now_nanos() - 3600 * SECOND);
    let done = h.process(&failure);
    assert_eq!(done.placed, 0);
    assert_eq!(done.eval.status, "complete");
}
