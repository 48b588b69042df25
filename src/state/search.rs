//! Reads behind `PUT /v1/search`: the IDs of one table that start with a
//! prefix, in ID order, at most `limit` of them, and whether more matched.
//!
//! Each walks its table from the prefix on and stops after `limit + 1`
//! matches, so a short prefix over a million allocations costs what the
//! answer holds, not the table. Matching is by text: any prefix works,
//! odd-length or with dashes (Nomad's UUID indexes need whole bytes).

use std::ops::Bound;

use super::keys::AllocId;
use super::{JobKey, State};

/// IDs found by a prefix: at most the limit asked for, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrefixMatches {
    pub ids: Vec<String>,
    /// More IDs matched than were returned.
    pub truncated: bool,
}

fn first(ids: impl Iterator<Item = String>, limit: usize) -> PrefixMatches {
    let mut ids: Vec<String> = ids.take(limit.saturating_add(1)).collect();
    let truncated = ids.len() > limit;
    ids.truncate(limit);
    PrefixMatches { ids, truncated }
}

/// Whether an object of `namespace` is visible to a search of `wanted`
/// (`*`: every namespace).
fn in_namespace(wanted: &str, namespace: &str) -> bool {
    wanted == "*" || wanted == namespace
}

impl State {
    /// Jobs of `namespace` (`*`: all) whose ID starts with `prefix`.
    pub fn job_ids_with_prefix(
        &self,
        namespace: &str,
        prefix: &str,
        limit: usize,
    ) -> PrefixMatches {
        if namespace == "*" {
            // Keys order by namespace first: gather every namespace's
            // matches, then order them by ID.
            let mut ids: Vec<String> = self
                .jobs
                .keys()
                .filter(|k| k.id.starts_with(prefix))
                .map(|k| k.id.clone())
                .collect();
            ids.sort();
            return first(ids.into_iter(), limit);
        }
        let start = JobKey::new(namespace, prefix);
        let ids = self
            .jobs
            .range(start..)
            .take_while(|(k, _)| k.namespace == namespace && k.id.starts_with(prefix))
            .map(|(k, _)| k.id.clone());
        first(ids, limit)
    }

    /// Evaluations of `namespace` (`*`: all) whose ID starts with `prefix`.
    pub fn eval_ids_with_prefix(
        &self,
        namespace: &str,
        prefix: &str,
        limit: usize,
    ) -> PrefixMatches {
        let ids = self
            .evals
            .range::<_, str>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(id, _)| id.starts_with(prefix))
            .filter(|(_, e)| in_namespace(namespace, &e.namespace))
            .map(|(id, _)| id.clone());
        first(ids, limit)
    }

    /// Allocations of `namespace` (`*`: all) whose ID starts with `prefix`.
    pub fn alloc_ids_with_prefix(
        &self,
        namespace: &str,
        prefix: &str,
        limit: usize,
    ) -> PrefixMatches {
        let ids = self
            .allocs
            .range(AllocId::new(prefix)..)
            .map(|(id, a)| (id.text(), a))
            .take_while(|(id, _)| id.starts_with(prefix))
            .filter(|(_, a)| in_namespace(namespace, &a.namespace))
            .map(|(id, _)| id.into_owned());
        first(ids, limit)
    }

    /// Nodes (which have no namespace) whose ID starts with `prefix`.
    pub fn node_ids_with_prefix(&self, prefix: &str, limit: usize) -> PrefixMatches {
        let ids = self
            .nodes
            .range::<_, str>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(id, _)| id.starts_with(prefix))
            .map(|(id, _)| id.clone());
        first(ids, limit)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::structs::{Evaluation, Job};

    fn with_evals(ids: &[(&str, &str)]) -> State {
        let mut s = State::default();
        for (id, ns) in ids {
            let e = Evaluation {
                id: (*id).into(),
                namespace: (*ns).into(),
                ..Evaluation::default()
            };
            s.evals.insert((*id).into(), Arc::new(e));
        }
        s
    }

    #[test]
    fn matches_are_ordered_limited_and_report_truncation() {
        let s = with_evals(&[("ab1", "default"), ("ab2", "default"), ("ab3", "default")]);
        let m = s.eval_ids_with_prefix("default", "ab", 2);
        assert_eq!(m.ids, vec!["ab1", "ab2"]);
        assert!(m.truncated);
        let m = s.eval_ids_with_prefix("default", "ab", 3);
        assert_eq!(m.ids.len(), 3);
        assert!(!m.truncated);
        assert_eq!(
            s.eval_ids_with_prefix("default", "b", 20),
            PrefixMatches::default()
        );
    }

    #[test]
    fn namespaces_filter_unless_wildcard() {
        let s = with_evals(&[("a1", "default"), ("a2", "other")]);
        assert_eq!(s.eval_ids_with_prefix("other", "a", 20).ids, vec!["a2"]);
        assert_eq!(s.eval_ids_with_prefix("*", "a", 20).ids, vec!["a1", "a2"]);
    }

    #[test]
    fn jobs_match_within_their_namespace_or_all() {
        let mut s = State::default();
        for (ns, id) in [("a", "web"), ("b", "api"), ("b", "web2"), ("c", "x")] {
            let j = Job {
                id: id.into(),
                namespace: ns.into(),
                ..Job::default()
            };
            s.jobs.insert(JobKey::new(ns, id), Arc::new(j));
        }
        assert_eq!(s.job_ids_with_prefix("b", "", 20).ids, vec!["api", "web2"]);
        assert_eq!(s.job_ids_with_prefix("b", "w", 20).ids, vec!["web2"]);
        assert_eq!(s.job_ids_with_prefix("*", "w", 20).ids, vec!["web", "web2"]);
        assert!(s.job_ids_with_prefix("*", "", 3).truncated);
    }

    #[test]
    fn allocation_ids_match_by_text_at_any_length() {
        let mut s = State::default();
        for id in [
            "6ac3e4b0-0000-4000-8000-000000000001",
            "6ac3e4b0-0000-4000-8000-000000000002",
            "6ad00000-0000-4000-8000-000000000000",
        ] {
            let a = crate::structs::Allocation {
                id: id.into(),
                namespace: "default".into(),
                ..Default::default()
            };
            s.allocs.insert(AllocId::new(id), Arc::new(a));
        }
        assert_eq!(s.alloc_ids_with_prefix("default", "6ac", 20).ids.len(), 2);
        assert_eq!(s.alloc_ids_with_prefix("default", "6a", 20).ids.len(), 3);
        let m = s.alloc_ids_with_prefix("default", "6ac3e4b0-0000-4000-8000-00000000000", 20);
        assert_eq!(m.ids.len(), 2);
    }
}
