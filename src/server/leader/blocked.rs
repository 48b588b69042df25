//! Blocked evaluations: parked until capacity that could help appears,
//! instead of being retried in a loop. One per job. Capacity is signalled
//! per computed node class (a node registered or changed, an allocation
//! stopped on it): an evaluation is released by a change to a class it
//! found eligible or never saw, not by one its constraints rule out. An
//! evaluation whose constraints look at node-unique values (or that
//! carries no class information) is released by any change.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::state::{JobKey, State};
use crate::structs::Evaluation;

/// Whether capacity that could help `eval` appeared in `state` since the
/// evaluation's snapshot.
pub fn may_help(eval: &Evaluation, state: &State) -> bool {
    if eval.snapshot_index == 0 {
        return true;
    }
    if state.indexes().capacity <= eval.snapshot_index {
        return false;
    }
    if eval.escaped_computed_class || eval.class_eligibility.is_empty() {
        return true;
    }
    state
        .classes_changed_after(eval.snapshot_index)
        .any(|class| eval.class_eligibility.get(class) != Some(&false))
}

#[derive(Default)]
pub struct BlockedEvals {
    inner: Mutex<HashMap<JobKey, Evaluation>>,
}

impl BlockedEvals {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobKey, Evaluation>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks `eval`; returns an older blocked evaluation of the same job
    /// that it replaces (to cancel).
    pub fn block(&self, eval: Evaluation) -> Option<Evaluation> {
        let key = JobKey::new(&eval.namespace, &eval.job_id);
        let mut g = self.lock();
        match g.get(&key) {
            Some(old) if old.id == eval.id => {
                g.insert(key, eval);
                None
            }
            Some(old) if old.create_index > eval.create_index => Some(eval),
            _ => g.insert(key, eval),
        }
    }

    /// Takes every blocked evaluation that capacity in `state` may help.
    pub fn unblock(&self, state: &State) -> Vec<Evaluation> {
        let mut g = self.lock();
        let ready: Vec<JobKey> = g
            .iter()
            .filter(|(_, e)| may_help(e, state))
            .map(|(k, _)| k.clone())
            .collect();
        ready.into_iter().filter_map(|k| g.remove(&k)).collect()
    }

    /// Stops tracking `eval` (it ended: complete, failed or canceled).
    pub fn forget(&self, eval: &Evaluation) {
        let key = JobKey::new(&eval.namespace, &eval.job_id);
        let mut g = self.lock();
        if g.get(&key).is_some_and(|e| e.id == eval.id) {
            g.remove(&key);
        }
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::harness::Harness;
    use crate::scheduler::tests::fixtures::{example, node};
    use crate::structs::Constraint;

    fn small(i: usize) -> crate::structs::Node {
        let mut n = node(i, "dc1", 4000, 4096);
        n.node_class = "small".into();
        n
    }

    /// A job that only fits nodes whose `target` is `value`, blocked on a
    /// cluster of two small nodes.
    fn blocked_on(target: &str, value: &str) -> (Harness, Evaluation) {
        let mut h = Harness::new();
        h.add_node(small(0));
        h.add_node(small(1));
        let mut job = example(&["dc1"], 1);
        job.constraints.push(Constraint {
            l_target: target.into(),
            r_target: value.into(),
            operand: "=".into(),
        });
        let eval = h.register(job);
        let done = h.process(&eval);
        let blocked = done
            .created
            .into_iter()
            .next()
            .expect("a blocked evaluation");
        let stored = h.snapshot().eval(&blocked.id).expect("stored");
        (h, (*stored).clone())
    }

    #[test]
    fn capacity_of_an_ineligible_class_does_not_release_a_blocked_eval() {
        let (mut h, blocked) = blocked_on("${node.class}", "big");
        assert_eq!(blocked.status, "blocked");
        let small_class = h
            .snapshot()
            .node(&small(0).id)
            .expect("node")
            .computed_class
            .clone();
        assert_eq!(blocked.class_eligibility.get(&small_class), Some(&false));
        assert!(!blocked.escaped_computed_class);
        assert!(!may_help(&blocked, &h.snapshot()), "nothing changed yet");
        // A small node changes: no use to this job.
        h.add_node(small(1));
        assert!(h.snapshot().indexes().capacity > blocked.snapshot_index);
        assert!(!may_help(&blocked, &h.snapshot()));
        // A node of a class never seen may help.
        let mut big = node(2, "dc1", 4000, 4096);
        big.node_class = "big".into();
        h.add_node(big);
        assert!(may_help(&blocked, &h.snapshot()));
        let tracker = BlockedEvals::default();
        assert!(tracker.block(blocked.clone()).is_none());
        assert_eq!(tracker.unblock(&h.snapshot()).len(), 1);
        assert!(tracker.is_empty());
    }

    #[test]
    fn constraints_on_unique_values_escape_classes() {
        let (mut h, blocked) = blocked_on("${attr.unique.hostname}", "nowhere");
        assert!(blocked.escaped_computed_class);
        assert!(!may_help(&blocked, &h.snapshot()));
        h.add_node(small(1));
        assert!(may_help(&blocked, &h.snapshot()), "any change may help");
    }

    /// Node 0 (class "full") is usable but too small for the job. Nodes
    /// 1-3, of a class each, are not usable: ineligible, draining, down.
    /// Returns the harness, the blocked evaluation and nodes 1-3.
    fn blocked_on_unusable_nodes() -> (Harness, Evaluation, [crate::structs::Node; 3]) {
        use crate::state::{Command, NodeUpdate};
        use crate::structs::{DrainStrategy, NODE_INELIGIBLE, NODE_STATUS_DOWN};
        let mut h = Harness::new();
        let mut full = node(0, "dc1", 4000, 64);
        full.node_class = "full".into();
        h.add_node(full);
        let mut ineligible = small(1);
        ineligible.node_class = "ineligible".into();
        ineligible.scheduling_eligibility = NODE_INELIGIBLE.into();
        let mut draining = small(2);
        draining.node_class = "draining".into();
        let mut down = small(3);
        down.node_class = "down".into();
        down.status = NODE_STATUS_DOWN.into();
        for n in [&ineligible, &draining, &down] {
            h.add_node(n.clone());
        }
        h.apply(Command::NodeUpdateDrain(NodeUpdate {
            node_id: draining.id.clone(),
            drain: Some(DrainStrategy::default()),
            ..NodeUpdate::default()
        }));
        let eval = h.register(example(&["dc1"], 1));
        let done = h.process(&eval);
        let blocked = done.created.first().expect("a blocked evaluation");
        let blocked = (*h.snapshot().eval(&blocked.id).expect("stored")).clone();
        assert_eq!(blocked.status, "blocked");
        (h, blocked, [ineligible, draining, down])
    }

    /// Scheduling eligibility, drain and status are not properties of a
    /// node's class: a node filtered for them is not recorded against its
    /// class, and its becoming usable again releases the evaluation.
    #[test]
    fn nodes_that_were_not_usable_do_not_count_against_their_class() {
        use crate::state::{Command, NodeUpdate};
        use crate::structs::{NODE_ELIGIBLE, NODE_STATUS_READY};
        let (h, blocked, nodes) = blocked_on_unusable_nodes();
        assert!(!blocked.escaped_computed_class);
        let snapshot = h.snapshot();
        let class =
            |n: &crate::structs::Node| snapshot.node(&n.id).expect("node").computed_class.clone();
        let full = snapshot.node(&node(0, "dc1", 0, 0).id).expect("node");
        assert_eq!(
            blocked.class_eligibility.get(&full.computed_class),
            Some(&true),
            "the small node passed the static checks"
        );
        for n in &nodes {
            assert_eq!(
                blocked.class_eligibility.get(&class(n)),
                None,
                "{} was not a candidate",
                n.name
            );
        }
        assert!(!may_help(&blocked, &snapshot));

        // Each one becoming usable again releases the evaluation, which
        // then places the job there.
        let usable = [
            |id: &str| {
                Command::NodeUpdateEligibility(NodeUpdate {
                    node_id: id.into(),
                    eligibility: NODE_ELIGIBLE.into(),
                    ..NodeUpdate::default()
                })
            },
            |id: &str| {
                Command::NodeUpdateDrain(NodeUpdate {
                    node_id: id.into(),
                    eligibility: NODE_ELIGIBLE.into(),
                    ..NodeUpdate::default()
                })
            },
            |id: &str| {
                Command::NodeUpdateStatus(NodeUpdate {
                    node_id: id.into(),
                    status: NODE_STATUS_READY.into(),
                    ..NodeUpdate::default()
                })
            },
        ];
        for (i, update) in usable.iter().enumerate() {
            let (mut h, blocked, nodes) = blocked_on_unusable_nodes();
            h.apply(update(&nodes[i].id));
            assert!(may_help(&blocked, &h.snapshot()), "{}", nodes[i].name);
            let retried = h.process(&blocked);
            assert_eq!(retried.eval.status, "complete", "{}", nodes[i].name);
            assert_eq!(retried.placed, 1);
            let allocs = h.snapshot().allocs_by_job("default", "example");
            assert!(allocs.iter().any(|a| a.node_id == nodes[i].id));
        }
    }
}
