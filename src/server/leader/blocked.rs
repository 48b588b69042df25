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
}
