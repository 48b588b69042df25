//! Reads of the variables and namespaces tables, of parents' children and
//! periodic launches.

use std::sync::Arc;

use super::{JobKey, State};
use crate::structs::{DEFAULT_NAMESPACE, Namespace, Variable};

impl State {
    pub fn variable(&self, namespace: &str, path: &str) -> Option<Arc<Variable>> {
        self.variables.get(&JobKey::new(namespace, path)).cloned()
    }

    /// Variables whose path starts with `prefix`, in (namespace, path)
    /// order; `*` is every namespace. A range scan within one namespace.
    pub fn variables_in<'a>(
        &'a self,
        namespace: &'a str,
        prefix: &'a str,
    ) -> Box<dyn Iterator<Item = &'a Arc<Variable>> + 'a> {
        if namespace == "*" {
            return Box::new(
                self.variables
                    .iter()
                    .filter(move |(k, _)| k.id.starts_with(prefix))
                    .map(|(_, v)| v),
            );
        }
        let start = JobKey::new(namespace, prefix);
        Box::new(
            self.variables
                .range(start..)
                .take_while(move |(k, _)| k.namespace == namespace && k.id.starts_with(prefix))
                .map(|(_, v)| v),
        )
    }

    /// A namespace by name; `default` exists in every state.
    pub fn namespace(&self, name: &str) -> Option<Arc<Namespace>> {
        match self.namespaces.get(name) {
            Some(ns) => Some(ns.clone()),
            None if name == DEFAULT_NAMESPACE => Some(Arc::new(Namespace::default_namespace())),
            None => None,
        }
    }

    pub fn namespace_exists(&self, name: &str) -> bool {
        name == DEFAULT_NAMESPACE || self.namespaces.contains_key(name)
    }

    /// Every namespace by name, `default` included.
    pub fn namespaces(&self) -> Vec<Arc<Namespace>> {
        let mut out: Vec<Arc<Namespace>> = self.namespaces.values().cloned().collect();
        if !self.namespaces.contains_key(DEFAULT_NAMESPACE) {
            out.push(Arc::new(Namespace::default_namespace()));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

impl State {
    /// The jobs of `namespace` whose ID starts with `prefix`: a range scan
    /// (a parent's children are `<parent>/periodic-...` and
    /// `<parent>/dispatch-...`).
    pub fn jobs_with_id_prefix<'a>(
        &'a self,
        namespace: &'a str,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Arc<crate::structs::Job>> + 'a {
        self.jobs
            .range(JobKey::new(namespace, prefix)..)
            .take_while(move |(k, _)| k.namespace == namespace && k.id.starts_with(prefix))
            .map(|(_, j)| j)
    }

    /// A periodic job's last launch (unix ns), if it launched.
    pub fn periodic_launch(&self, namespace: &str, id: &str) -> Option<i64> {
        self.periodic_launches
            .get(&JobKey::new(namespace, id))
            .copied()
    }
}

impl State {
    /// The job file version `version` of a job was registered from.
    pub fn job_submission(
        &self,
        namespace: &str,
        id: &str,
        version: u64,
    ) -> Option<Arc<crate::structs::JobSubmission>> {
        self.submissions
            .get(&JobKey::new(namespace, id))
            .and_then(|v| v.get(&version).cloned())
    }
}
