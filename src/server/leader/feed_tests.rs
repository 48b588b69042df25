//! The eval feed with the broker and the blocked tracker, driven by the
//! scheduler harness's state: no Raft, no workers, each step explicit.

use std::time::Duration;

use super::*;
use crate::scheduler::harness::Harness;
use crate::scheduler::tests::fixtures::{example, node};
use crate::state::NodeUpdate;
use crate::structs::{EVAL_STATUS_COMPLETE, NODE_ELIGIBLE, NODE_INELIGIBLE};

fn eligibility(h: &mut Harness, node_id: &str, eligibility: &str) -> u64 {
    h.apply(Command::NodeUpdateEligibility(NodeUpdate {
        node_id: node_id.into(),
        eligibility: eligibility.into(),
        ..NodeUpdate::default()
    }))
}

/// One ineligible node and a job blocked on it; the feed has parked the
/// blocked evaluation.
fn blocked_job() -> (Harness, Duties, u64, String, String) {
    let mut h = Harness::new();
    let mut n = node(0, "dc1", 4000, 4096);
    n.scheduling_eligibility = NODE_INELIGIBLE.into();
    let node_id = n.id.clone();
    h.add_node(n);
    let eval = h.register(example(&["dc1"], 1));
    let done = h.process(&eval);
    let blocked = done
        .created
        .first()
        .expect("a blocked evaluation")
        .id
        .clone();
    let duties = Duties::default();
    duties.broker.set_enabled(true);
    let mut seen = 0;
    assert!(feed(&duties, &h.snapshot(), &mut seen).is_empty());
    assert_eq!(duties.blocked.len(), 1, "the blocked evaluation is parked");
    assert_eq!(duties.broker.stats(), (0, 0, 0));
    (h, duties, seen, node_id, blocked)
}

async fn dequeue(duties: &Duties) -> (Evaluation, u64) {
    tokio::time::timeout(Duration::from_secs(5), duties.broker.dequeue())
        .await
        .expect("an evaluation is ready")
}

/// A retried blocked evaluation that is still blocked is written by its
/// worker before the delivery is acked. Capacity that appears before the
/// ack must still release it.
#[tokio::test]
async fn a_reblocked_evaluation_seen_before_its_ack_is_released_later() {
    let (mut h, duties, mut seen, node_id, blocked) = blocked_job();
    // A change on the still ineligible node retries it.
    eligibility(&mut h, &node_id, NODE_INELIGIBLE);
    feed(&duties, &h.snapshot(), &mut seen);
    assert!(duties.blocked.is_empty());
    let (retry, token) = dequeue(&duties).await;
    assert_eq!(retry.id, blocked);
    // The worker finds it still blocked and writes it; the feed sees the
    // write before the worker acks.
    let done = h.process(&retry);
    assert_eq!(done.eval.status, EVAL_STATUS_BLOCKED);
    assert!(done.created.is_empty(), "the same evaluation stays blocked");
    feed(&duties, &h.snapshot(), &mut seen);
    assert_eq!(duties.blocked.len(), 1, "parked again while unacked");
    // The node becomes eligible, still before the ack.
    eligibility(&mut h, &node_id, NODE_ELIGIBLE);
    feed(&duties, &h.snapshot(), &mut seen);
    assert!(duties.blocked.is_empty(), "released");
    assert!(duties.broker.ack(&blocked, token).canceled.is_empty());
    // It runs again after the ack, and places the job.
    let (again, _) = dequeue(&duties).await;
    assert_eq!(again.id, blocked);
    assert!(
        again.modify_index > retry.modify_index,
        "the newest version"
    );
    let placed = h.process(&again);
    assert_eq!(placed.eval.status, EVAL_STATUS_COMPLETE);
    assert_eq!(placed.placed, 1);
}

/// The same with the ack first: parked, then released by the node
/// becoming eligible.
#[tokio::test]
async fn a_reblocked_evaluation_seen_after_its_ack_is_released_later() {
    let (mut h, duties, mut seen, node_id, blocked) = blocked_job();
    eligibility(&mut h, &node_id, NODE_INELIGIBLE);
    feed(&duties, &h.snapshot(), &mut seen);
    let (retry, token) = dequeue(&duties).await;
    h.process(&retry);
    duties.broker.ack(&blocked, token);
    feed(&duties, &h.snapshot(), &mut seen);
    assert_eq!(duties.blocked.len(), 1);
    assert_eq!(duties.broker.stats(), (0, 0, 0));
    eligibility(&mut h, &node_id, NODE_ELIGIBLE);
    feed(&duties, &h.snapshot(), &mut seen);
    assert_eq!(duties.broker.stats(), (1, 0, 0));
    let (again, _) = dequeue(&duties).await;
    assert_eq!(again.id, blocked);
    assert_eq!(h.process(&again).placed, 1);
}

/// A parked evaluation that ends (here: canceled) is no longer tracked.
#[tokio::test]
async fn an_evaluation_that_ends_is_no_longer_parked() {
    let (mut h, duties, mut seen, _, blocked) = blocked_job();
    let mut e = (*h.snapshot().eval(&blocked).expect("stored")).clone();
    e.status = EVAL_STATUS_CANCELED.into();
    h.apply(Command::EvalUpsert { evals: vec![e] });
    feed(&duties, &h.snapshot(), &mut seen);
    assert!(duties.blocked.is_empty());
}
