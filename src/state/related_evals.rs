//! The evaluations related to one (`GET /v1/evaluation/{id}?related=true`):
//! those reached from it through `NextEval`, `PreviousEval` and
//! `BlockedEval`, transitively, in the order a breadth-first walk finds
//! them (Nomad's order), without the evaluation itself.

use std::collections::{HashSet, VecDeque};

use super::State;
use crate::structs::EvaluationStub;

impl State {
    /// `None` when `id` is not a stored evaluation. Links to evaluations no
    /// longer stored are skipped; each evaluation is listed once, so a
    /// cycle ends the walk.
    pub fn evals_related_to(&self, id: &str) -> Option<Vec<EvaluationStub>> {
        let eval = self.evals.get(id)?;
        let mut seen: HashSet<&str> = HashSet::from([eval.id.as_str()]);
        let mut todo: VecDeque<&str> = eval.related_ids().collect();
        let mut related = Vec::new();
        while let Some(next) = todo.pop_front() {
            if seen.contains(next) {
                continue;
            }
            let Some(e) = self.evals.get(next) else {
                continue;
            };
            seen.insert(e.id.as_str());
            todo.extend(e.related_ids());
            related.push(e.stub());
        }
        Some(related)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::structs::Evaluation;

    fn state(links: &[(&str, &str, &str, &str)]) -> State {
        let mut s = State::default();
        for (id, next, previous, blocked) in links {
            let e = Evaluation {
                id: (*id).into(),
                next_eval: (*next).into(),
                previous_eval: (*previous).into(),
                blocked_eval: (*blocked).into(),
                ..Evaluation::default()
            };
            s.evals.insert((*id).into(), Arc::new(e));
        }
        s
    }

    fn ids(related: Option<Vec<EvaluationStub>>) -> Vec<String> {
        related
            .expect("known evaluation")
            .into_iter()
            .map(|e| e.id)
            .collect()
    }

    #[test]
    fn chains_are_followed_both_ways_and_transitively() {
        // a -> b (next), b blocked by c, c -> d (next); x is unrelated.
        let s = state(&[
            ("a", "b", "", ""),
            ("b", "", "a", "c"),
            ("c", "d", "b", ""),
            ("d", "", "c", ""),
            ("x", "", "", ""),
        ]);
        assert_eq!(ids(s.evals_related_to("a")), vec!["b", "c", "d"]);
        assert_eq!(ids(s.evals_related_to("d")), vec!["c", "b", "a"]);
        assert!(ids(s.evals_related_to("x")).is_empty());
        assert!(s.evals_related_to("nope").is_none());
    }

    #[test]
    fn cycles_and_missing_links_end_the_walk() {
        let s = state(&[("a", "b", "b", "gone"), ("b", "a", "a", "a")]);
        assert_eq!(ids(s.evals_related_to("a")), vec!["b"]);
    }
}
