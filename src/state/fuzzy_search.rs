//! Reads behind `PUT /v1/search/fuzzy`: the names in jobs, allocations
//! and nodes that contain a text, ranked by [`super::fuzzy_rank`].
//!
//! What is matched, and the `Scope` of each match (Nomad's
//! `fuzzyMatchesJob` and `fuzzyMatchSingle`):
//!
//! | found in | name matched | scope |
//! |---|---|---|
//! | jobs | the job's `Name` | namespace, job ID |
//! | groups | a group's name | namespace, job |
//! | services | a `service` block's name in a group | namespace, job, group |
//! | services | a `service` block's name in a task | namespace, job, group, task |
//! | tasks | a task's name | namespace, job, group |
//! | images | `config.image` of a `docker` task | namespace, job, group, task |
//! | commands | `config.command` of an `exec`/`raw_exec` task | namespace, job, group, task |
//! | classes | `config.class` of a `java` task | namespace, job, group, task |
//! | allocs | the allocation's `Name` (`job.group[0]`) | namespace, allocation ID |
//! | nodes | the node's `Name` | node ID |
//!
//! `services` are the job specs' `service` blocks, as in Nomad, not the
//! registrations in the service catalog: the spec is what names a
//! service before anything runs, and its scope leads to the group or task
//! that declares it.
//!
//! Every scan walks the whole table (or, for one namespace, that
//! namespace's part of it): the caller runs it off the runtime's worker
//! threads. Nomad reads only the first `limit_query` (20) objects of each
//! table by default and calls the rest truncated; Drover reads them all.

use std::sync::Arc;

use super::fuzzy_rank::{FuzzyMatches, TopMatches};
use super::{JobKey, State};
use crate::structs::{Allocation, Job};

/// The matches found in jobs, one list per kind of name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFuzzyMatches {
    pub jobs: FuzzyMatches,
    pub groups: FuzzyMatches,
    pub services: FuzzyMatches,
    pub tasks: FuzzyMatches,
    pub images: FuzzyMatches,
    pub commands: FuzzyMatches,
    pub classes: FuzzyMatches,
}

/// One [`TopMatches`] per kind of name found in jobs.
struct JobCollector {
    jobs: TopMatches,
    groups: TopMatches,
    services: TopMatches,
    tasks: TopMatches,
    images: TopMatches,
    commands: TopMatches,
    classes: TopMatches,
}

impl JobCollector {
    fn new(limit: usize) -> Self {
        JobCollector {
            jobs: TopMatches::new(limit),
            groups: TopMatches::new(limit),
            services: TopMatches::new(limit),
            tasks: TopMatches::new(limit),
            images: TopMatches::new(limit),
            commands: TopMatches::new(limit),
            classes: TopMatches::new(limit),
        }
    }

    fn add(&mut self, job: &Job, text: &str) {
        let scope = |parts: &[&str]| -> Vec<String> {
            std::iter::once(job.namespace.as_str())
                .chain(parts.iter().copied())
                .map(str::to_string)
                .collect()
        };
        let id = job.id.as_str();
        self.jobs.offer(&job.name, text, || scope(&[id]));
        for group in &job.task_groups {
            let g = group.name.as_str();
            self.groups.offer(g, text, || scope(&[id]));
            for service in &group.services {
                self.services.offer(&service.name, text, || scope(&[id, g]));
            }
            for task in &group.tasks {
                let t = task.name.as_str();
                self.tasks.offer(t, text, || scope(&[id, g]));
                for service in &task.services {
                    self.services
                        .offer(&service.name, text, || scope(&[id, g, t]));
                }
                let (found, param) = match task.driver.as_str() {
                    "docker" => (&mut self.images, "image"),
                    "exec" | "raw_exec" => (&mut self.commands, "command"),
                    "java" => (&mut self.classes, "class"),
                    _ => continue,
                };
                if let Some(value) = task.config.get(param).and_then(|v| v.as_str()) {
                    found.offer(value, text, || scope(&[id, g, t]));
                }
            }
        }
    }

    fn finish(self) -> JobFuzzyMatches {
        JobFuzzyMatches {
            jobs: self.jobs.finish(),
            groups: self.groups.finish(),
            services: self.services.finish(),
            tasks: self.tasks.finish(),
            images: self.images.finish(),
            commands: self.commands.finish(),
            classes: self.classes.finish(),
        }
    }
}

impl State {
    /// Names in the jobs of `namespace` (`*`: all) that contain `text`
    /// (lower-cased), at most `limit` of each kind.
    pub fn fuzzy_jobs(&self, namespace: &str, text: &str, limit: usize) -> JobFuzzyMatches {
        let mut found = JobCollector::new(limit);
        if namespace == "*" {
            self.jobs.values().for_each(|j| found.add(j, text));
        } else {
            self.jobs
                .range(JobKey::new(namespace, "")..)
                .take_while(|(k, _)| k.namespace == namespace)
                .for_each(|(_, j)| found.add(j, text));
        }
        found.finish()
    }

    /// Allocations of `namespace` (`*`: all) whose name contains `text`
    /// (lower-cased), at most `limit`.
    pub fn fuzzy_allocs(&self, namespace: &str, text: &str, limit: usize) -> FuzzyMatches {
        let mut found = TopMatches::new(limit);
        let mut add = |a: &Arc<Allocation>| {
            found.offer(&a.name, text, || vec![a.namespace.clone(), a.id.clone()]);
        };
        if namespace == "*" {
            self.allocs.values().for_each(&mut add);
        } else {
            // An allocation's namespace is its job's.
            self.allocs_by_job
                .range(JobKey::new(namespace, "")..)
                .take_while(|(k, _)| k.namespace == namespace)
                .flat_map(|(_, allocs)| allocs.values())
                .for_each(&mut add);
        }
        found.finish()
    }

    /// Namespaces whose name contains `text` (lower-cased), at most
    /// `limit`; no scope, as Nomad.
    pub fn fuzzy_namespaces(&self, text: &str, limit: usize) -> FuzzyMatches {
        let mut found = TopMatches::new(limit);
        for ns in self.namespaces() {
            found.offer(&ns.name, text, Vec::new);
        }
        found.finish()
    }

    /// Nodes (which have no namespace) whose name contains `text`
    /// (lower-cased), at most `limit`.
    pub fn fuzzy_nodes(&self, text: &str, limit: usize) -> FuzzyMatches {
        let mut found = TopMatches::new(limit);
        for node in self.nodes.values() {
            found.offer(&node.name, text, || vec![node.id.clone()]);
        }
        found.finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::keys::AllocId;
    use crate::structs::{FuzzyMatch, Node};

    fn m(id: &str, scope: &[&str]) -> FuzzyMatch {
        FuzzyMatch {
            id: id.into(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Nomad's own fixture (`TestSearch_FuzzySearch_Job`), in Drover's JSON.
    fn sleepy_job() -> Job {
        let job = json!({
            "ID": "demo", "Name": "demo-sleep", "Namespace": "team-sleepy",
            "TaskGroups": [{
                "Name": "qa-sleeper-group-one",
                "Services": [{"Name": "qa-group-sleep-svc-one"}],
                "Tasks": [{
                    "Name": "qa-sleep-task-one", "Driver": "docker",
                    "Services": [{"Name": "some-sleepy-task-svc-one"}],
                    "Config": {"image": "sleeper:latest"}
                }]
            }, {
                "Name": "prod-sleeper-group-one",
                "Tasks": [{
                    "Name": "prod-sleep-task-one", "Driver": "exec",
                    "Config": {"command": "/bin/sleep"}
                }, {
                    "Name": "prod-task-two", "Driver": "raw_exec",
                    "Config": {"command": "/usr/sbin/sleep"},
                    "Services": [{"Name": "some-sleepy-task-svc-two"}]
                }]
            }, {
                "Name": "sleep-in-java",
                "Tasks": [{
                    "Name": "prod-java-sleep", "Driver": "java",
                    "Config": {"class": "sleep.class"}
                }]
            }]
        });
        serde_json::from_value(job).expect("job")
    }

    fn with_jobs(jobs: Vec<Job>) -> State {
        let mut s = State::default();
        for j in jobs {
            s.jobs.insert(JobKey::new(&j.namespace, &j.id), Arc::new(j));
        }
        s
    }

    #[test]
    fn every_kind_of_name_in_a_job_is_found_with_its_scope() {
        let s = with_jobs(vec![sleepy_job()]);
        let found = s.fuzzy_jobs("team-sleepy", "sleep", 100);
        let ns = "team-sleepy";
        assert_eq!(found.jobs.matches, [m("demo-sleep", &[ns, "demo"])]);
        assert_eq!(
            found.services.matches,
            [
                m(
                    "some-sleepy-task-svc-one",
                    &[ns, "demo", "qa-sleeper-group-one", "qa-sleep-task-one"]
                ),
                m(
                    "some-sleepy-task-svc-two",
                    &[ns, "demo", "prod-sleeper-group-one", "prod-task-two"]
                ),
                m(
                    "qa-group-sleep-svc-one",
                    &[ns, "demo", "qa-sleeper-group-one"]
                ),
            ]
        );
        assert_eq!(
            found.groups.matches,
            [
                m("sleep-in-java", &[ns, "demo"]),
                m("qa-sleeper-group-one", &[ns, "demo"]),
                m("prod-sleeper-group-one", &[ns, "demo"]),
            ]
        );
        assert_eq!(
            found.tasks.matches,
            [
                m("qa-sleep-task-one", &[ns, "demo", "qa-sleeper-group-one"]),
                m(
                    "prod-sleep-task-one",
                    &[ns, "demo", "prod-sleeper-group-one"]
                ),
                m("prod-java-sleep", &[ns, "demo", "sleep-in-java"]),
            ]
        );
        assert_eq!(
            found.commands.matches,
            [
                m(
                    "/bin/sleep",
                    &[ns, "demo", "prod-sleeper-group-one", "prod-sleep-task-one"]
                ),
                m(
                    "/usr/sbin/sleep",
                    &[ns, "demo", "prod-sleeper-group-one", "prod-task-two"]
                ),
            ]
        );
        assert_eq!(
            found.images.matches,
            [m(
                "sleeper:latest",
                &[ns, "demo", "qa-sleeper-group-one", "qa-sleep-task-one"]
            )]
        );
        assert_eq!(
            found.classes.matches,
            [m(
                "sleep.class",
                &[ns, "demo", "sleep-in-java", "prod-java-sleep"]
            )]
        );
    }

    #[test]
    fn jobs_are_searched_in_their_namespace_or_all() {
        let mut other = sleepy_job();
        other.namespace = "other".into();
        let s = with_jobs(vec![sleepy_job(), other]);
        assert!(
            s.fuzzy_jobs("default", "sleep", 100)
                .jobs
                .matches
                .is_empty()
        );
        let all = s.fuzzy_jobs("*", "sleep", 100).jobs.matches;
        assert_eq!(
            all,
            [
                m("demo-sleep", &["other", "demo"]),
                m("demo-sleep", &["team-sleepy", "demo"]),
            ]
        );
    }

    #[test]
    fn allocations_and_nodes_match_by_name() {
        let mut s = State::default();
        for (id, ns, name) in [
            (
                "6ac3e4b0-0000-4000-8000-000000000001",
                "default",
                "web.api[0]",
            ),
            (
                "6ac3e4b0-0000-4000-8000-000000000002",
                "other",
                "web.api[1]",
            ),
        ] {
            let a = Arc::new(Allocation {
                id: id.into(),
                namespace: ns.into(),
                name: name.into(),
                job_id: "web".into(),
                ..Default::default()
            });
            s.allocs.insert(AllocId::new(id), a.clone());
            s.allocs_by_job
                .entry(JobKey::new(ns, "web"))
                .or_default()
                .insert(AllocId::new(id), a);
        }
        let found = s.fuzzy_allocs("other", "api", 100);
        assert_eq!(
            found.matches,
            [m(
                "web.api[1]",
                &["other", "6ac3e4b0-0000-4000-8000-000000000002"]
            )]
        );
        assert_eq!(s.fuzzy_allocs("*", "web", 100).matches.len(), 2);

        let node = Node {
            id: "n1".into(),
            name: "Host-One".into(),
            ..Default::default()
        };
        s.nodes.insert("n1".into(), Arc::new(node));
        assert_eq!(s.fuzzy_nodes("one", 100).matches, [m("Host-One", &["n1"])]);
        assert!(
            s.fuzzy_nodes("n1", 100).matches.is_empty(),
            "IDs are not names"
        );
    }
}
