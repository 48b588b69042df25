//! The tables and their read API.

use std::sync::Arc;

use imbl::{OrdMap, OrdSet, Vector};
use serde::{Deserialize, Serialize};

use super::JobKey;
use super::keys::{AllocId, Id, ServiceKey};
use crate::structs::{
    Allocation, AutopilotConfiguration, Evaluation, Job, JobSummary, Namespace, Node,
    SchedulerConfiguration, ServiceRegistration, Usage, Variable,
};

/// The tables a blocking query can watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Jobs,
    JobVersions,
    JobSummaries,
    Evals,
    Allocs,
    Nodes,
    Services,
    Variables,
    Namespaces,
}

/// The Raft index of the last change to each table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableIndexes {
    pub jobs: u64,
    pub job_versions: u64,
    pub job_summaries: u64,
    pub evals: u64,
    pub allocs: u64,
    pub nodes: u64,
    #[serde(default)]
    pub services: u64,
    #[serde(default)]
    pub variables: u64,
    #[serde(default)]
    pub namespaces: u64,
    /// The last applied index of any command.
    pub latest: u64,
    /// The last index at which capacity may have appeared (a node became
    /// ready or changed, an allocation stopped): blocked evaluations older
    /// than this are worth retrying.
    #[serde(default)]
    pub capacity: u64,
}

impl TableIndexes {
    pub fn get(&self, table: Table) -> u64 {
        match table {
            Table::Jobs => self.jobs,
            Table::JobVersions => self.job_versions,
            Table::JobSummaries => self.job_summaries,
            Table::Evals => self.evals,
            Table::Allocs => self.allocs,
            Table::Nodes => self.nodes,
            Table::Services => self.services,
            Table::Variables => self.variables,
            Table::Namespaces => self.namespaces,
        }
    }

    pub(crate) fn bump(&mut self, table: Table, index: u64) {
        let slot = match table {
            Table::Jobs => &mut self.jobs,
            Table::JobVersions => &mut self.job_versions,
            Table::JobSummaries => &mut self.job_summaries,
            Table::Evals => &mut self.evals,
            Table::Allocs => &mut self.allocs,
            Table::Nodes => &mut self.nodes,
            Table::Services => &mut self.services,
            Table::Variables => &mut self.variables,
            Table::Namespaces => &mut self.namespaces,
        };
        *slot = (*slot).max(index);
    }
}

/// Allocations by ID: a secondary index entry.
pub(crate) type AllocSet = OrdMap<AllocId, Arc<Allocation>>;

/// One immutable version of the cluster state. Cloning is O(1).
#[derive(Clone, Debug, Default)]
pub struct State {
    pub(crate) jobs: OrdMap<JobKey, Arc<Job>>,
    /// Newest first, at most [`super::JOB_TRACKED_VERSIONS`].
    pub(crate) job_versions: OrdMap<JobKey, Vector<Arc<Job>>>,
    pub(crate) summaries: OrdMap<JobKey, Arc<JobSummary>>,
    pub(crate) evals: OrdMap<String, Arc<Evaluation>>,
    pub(crate) evals_by_job: OrdMap<JobKey, OrdSet<String>>,
    /// Evaluations by (ModifyIndex, ID): the leader's feed of new work.
    pub(crate) evals_by_index: OrdMap<(u64, String), ()>,
    pub(crate) allocs: OrdMap<AllocId, Arc<Allocation>>,
    /// The allocations of each job and node, held directly so a job's or
    /// node's allocations are read without a lookup each.
    pub(crate) allocs_by_job: OrdMap<JobKey, AllocSet>,
    /// Per node: its allocations and what the live ones hold (derived,
    /// kept current by every allocation change, rebuilt on restore). One
    /// entry, so a placement copies one leaf of this table, not two.
    pub(crate) by_node: OrdMap<Id, NodeAllocs>,
    /// Nodes by (index of the last change to their allocations, ID): the
    /// nodes an applied entry touched are found in O(changed), so only
    /// the blocking reads of those nodes are woken (derived, rebuilt on
    /// restore).
    pub(crate) nodes_by_allocs_index: OrdMap<(u64, Id), ()>,
    /// Allocations by (ModifyIndex, ID): what changed since an index.
    pub(crate) allocs_by_index: OrdMap<(u64, AllocId), ()>,
    pub(crate) nodes: OrdMap<String, Arc<Node>>,
    /// The last heartbeat of each node (unix ns). Kept apart from the node
    /// so heartbeats do not wake readers of the nodes table.
    pub(crate) heartbeats: OrdMap<String, i64>,
    /// Per computed node class, the last index at which capacity may have
    /// appeared on a node of that class (derived; after a restore every
    /// class starts at the restored `capacity` index).
    pub(crate) class_capacity: OrdMap<String, u64>,
    /// Service registrations by (namespace, ID).
    pub(crate) services: OrdMap<ServiceKey, Arc<ServiceRegistration>>,
    /// Registrations by (service name, key), by (allocation ID, key) and
    /// by (node ID, key): range scans (derived, rebuilt on restore).
    pub(crate) services_by_name: OrdSet<(String, ServiceKey)>,
    pub(crate) services_by_alloc: OrdSet<(String, ServiceKey)>,
    pub(crate) services_by_node: OrdSet<(String, ServiceKey)>,
    /// Variables by (namespace, path).
    pub(crate) variables: OrdMap<JobKey, Arc<Variable>>,
    /// Namespaces other than an unchanged `default`, which every state has
    /// without storing it.
    pub(crate) namespaces: OrdMap<String, Arc<Namespace>>,
    /// Each periodic job's last launch (unix ns).
    pub(crate) periodic_launches: OrdMap<JobKey, i64>,
    /// The job files of each job's stored versions, by version.
    pub(crate) submissions: OrdMap<JobKey, OrdMap<u64, Arc<crate::structs::JobSubmission>>>,
    /// Each job's scaling events by group, newest first.
    pub(crate) scaling_events: OrdMap<JobKey, OrdMap<String, Vector<crate::structs::ScalingEvent>>>,
    /// The operator's scheduler and autopilot settings; `None` until first
    /// set (readers get Nomad's defaults).
    pub(crate) scheduler_config: Option<Arc<SchedulerConfiguration>>,
    pub(crate) autopilot_config: Option<Arc<AutopilotConfiguration>>,
    pub(crate) index: TableIndexes,
    /// The jobs, nodes and services each entry changed (derived, bounded;
    /// not in snapshots).
    pub(crate) changes: super::changes::ChangeLog,
}

/// A node's allocations (all of them, terminal ones too), the usage of
/// the live ones, and the index of the last change to any of them.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeAllocs {
    pub(crate) allocs: AllocSet,
    pub(crate) usage: NodeUsage,
    /// The Raft index of the last change to this node's allocations: one
    /// placed on it, updated (by a scheduler, the node's client or the
    /// drainer) or removed from it. A client's blocking pull of its
    /// allocations watches this instead of the allocations table, so a
    /// change on another node does not end it. It covers Nomad's rule for
    /// `GetClientAllocs` (the largest `ModifyIndex` of the node's
    /// allocations, or the table's index once one was removed): an entry is
    /// kept when its last allocation goes, so removals move it too.
    pub(crate) index: u64,
}

/// The resources and ports that live allocations hold on one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub usage: Usage,
    pub ports: OrdSet<u16>,
    pub allocs: u32,
}

/// Keys of `map` that start with `prefix`, in order.
fn with_prefix<'a, K, V: Clone>(
    map: &'a OrdMap<K, V>,
    prefix: &'a str,
) -> impl Iterator<Item = &'a V> + 'a
where
    K: Ord + Clone + std::borrow::Borrow<str>,
{
    use std::ops::Bound;
    map.range::<_, str>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(move |(k, _)| k.borrow().starts_with(prefix))
        .map(|(_, v)| v)
}

impl State {
    /// Records that capacity may have appeared at `index` on a node of
    /// `class` (empty: a class unknown here).
    pub(crate) fn capacity_appeared(&mut self, class: &str, index: u64) {
        self.index.capacity = self.index.capacity.max(index);
        let at = self.class_capacity.entry(class.to_string()).or_default();
        *at = (*at).max(index);
    }

    /// Notes that `what` changed at `index` (see [`super::changes`]).
    pub(crate) fn note(&mut self, index: u64, what: super::Changed) {
        self.changes.note(index, what);
    }

    /// The computed classes whose capacity changed after `index`.
    pub fn classes_changed_after(&self, index: u64) -> impl Iterator<Item = &str> {
        self.class_capacity
            .iter()
            .filter(move |(_, at)| **at > index)
            .map(|(c, _)| c.as_str())
    }

    /// The jobs, nodes and services changed after `index`, and whether the
    /// bounded log still held all of them ([`super::changes`]).
    pub fn changed_after(&self, index: u64) -> (Vec<(u64, super::Changed)>, bool) {
        self.changes.since(index)
    }

    pub fn indexes(&self) -> TableIndexes {
        self.index
    }

    /// The scheduler configuration: as last set, else Nomad's defaults
    /// (indexes 0).
    pub fn scheduler_config(&self) -> Arc<SchedulerConfiguration> {
        self.scheduler_config
            .clone()
            .unwrap_or_else(|| Arc::new(SchedulerConfiguration::initial()))
    }

    /// The autopilot configuration: as last set, else Nomad's defaults
    /// (indexes 0).
    pub fn autopilot_config(&self) -> Arc<AutopilotConfiguration> {
        self.autopilot_config
            .clone()
            .unwrap_or_else(|| Arc::new(AutopilotConfiguration::initial()))
    }

    pub fn index(&self, table: Table) -> u64 {
        self.index.get(table)
    }

    pub fn job(&self, namespace: &str, id: &str) -> Option<Arc<Job>> {
        self.jobs.get(&JobKey::new(namespace, id)).cloned()
    }

    /// Jobs whose ID starts with `prefix`, in `namespace` (`*`: all).
    pub fn jobs_by_prefix(&self, namespace: &str, prefix: &str) -> Vec<Arc<Job>> {
        self.jobs
            .iter()
            .filter(|(k, _)| {
                (namespace == "*" || k.namespace == namespace) && k.id.starts_with(prefix)
            })
            .map(|(_, j)| j.clone())
            .collect()
    }

    /// Stored versions of a job, newest first.
    pub fn job_versions(&self, namespace: &str, id: &str) -> Vec<Arc<Job>> {
        self.job_versions
            .get(&JobKey::new(namespace, id))
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn job_summary(&self, namespace: &str, id: &str) -> Option<Arc<JobSummary>> {
        self.summaries.get(&JobKey::new(namespace, id)).cloned()
    }

    pub fn eval(&self, id: &str) -> Option<Arc<Evaluation>> {
        self.evals.get(id).cloned()
    }

    /// Evaluations changed after `index`, oldest change first.
    pub fn evals_changed_after(&self, index: u64) -> Vec<Arc<Evaluation>> {
        self.evals_by_index
            .range((index + 1, String::new())..)
            .filter_map(|((_, id), _)| self.evals.get(id).cloned())
            .collect()
    }

    pub fn evals_by_prefix(&self, prefix: &str) -> Vec<Arc<Evaluation>> {
        with_prefix(&self.evals, prefix).cloned().collect()
    }

    pub fn evals_by_job(&self, namespace: &str, id: &str) -> Vec<Arc<Evaluation>> {
        self.evals_by_job
            .get(&JobKey::new(namespace, id))
            .map(|ids| {
                ids.iter()
                    .filter_map(|e| self.evals.get(e).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn allocs_count(&self) -> usize {
        self.allocs.len()
    }

    pub fn alloc(&self, id: &str) -> Option<Arc<Allocation>> {
        self.allocs.get(&AllocId::new(id)).cloned()
    }

    /// Allocations changed after `index`, oldest change first.
    pub fn allocs_changed_after(&self, index: u64) -> Vec<Arc<Allocation>> {
        self.allocs_by_index
            .range((index + 1, AllocId::Text("".into()))..)
            .filter_map(|((_, id), _)| self.allocs.get(id).cloned())
            .collect()
    }

    pub fn allocs_by_prefix(&self, prefix: &str) -> Vec<Arc<Allocation>> {
        self.allocs
            .range(AllocId::new(prefix)..)
            .take_while(|(id, _)| id.text().starts_with(prefix))
            .map(|(_, a)| a.clone())
            .collect()
    }

    pub fn allocs_by_job(&self, namespace: &str, id: &str) -> Vec<Arc<Allocation>> {
        self.allocs_of(self.allocs_by_job.get(&JobKey::new(namespace, id)))
    }

    pub fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        self.allocs_of(self.by_node.get(node_id).map(|n| &n.allocs))
    }

    /// The allocations an evaluation placed or last updated: found
    /// through its job, which saves every allocation an index entry.
    pub fn allocs_by_eval(&self, eval_id: &str) -> Vec<Arc<Allocation>> {
        let Some(eval) = self.evals.get(eval_id) else {
            return Vec::new();
        };
        let mut allocs = self.allocs_by_job(&eval.namespace, &eval.job_id);
        allocs.retain(|a| a.eval_id == eval_id);
        allocs
    }

    fn allocs_of(&self, set: Option<&AllocSet>) -> Vec<Arc<Allocation>> {
        set.map(|set| set.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn node(&self, id: &str) -> Option<Arc<Node>> {
        self.nodes.get(id).cloned()
    }

    /// The index of the last change to `node_id`'s allocations (see
    /// [`NodeAllocs::index`]); 0 when none was ever placed on it. Cheap: a
    /// blocking read of a node's allocations checks it on every change of
    /// the state before building an answer.
    pub fn node_allocs_index(&self, node_id: &str) -> u64 {
        self.by_node.get(node_id).map_or(0, |n| n.index)
    }

    /// How many allocations `node_id` holds (terminal ones too).
    pub fn node_allocs_count(&self, node_id: &str) -> usize {
        self.by_node.get(node_id).map_or(0, |n| n.allocs.len())
    }

    /// The nodes whose allocations changed at `index` or later.
    pub fn nodes_with_allocs_changed_since(&self, index: u64) -> impl Iterator<Item = &str> {
        self.nodes_by_allocs_index
            .range((index, Id::from(""))..)
            .map(|((_, id), _)| &**id)
    }

    /// What live allocations hold on `node_id`.
    pub fn node_usage(&self, node_id: &str) -> NodeUsage {
        self.by_node
            .get(node_id)
            .map(|n| n.usage.clone())
            .unwrap_or_default()
    }

    /// The last heartbeat of `node_id` (unix ns), if any.
    pub fn last_heartbeat(&self, node_id: &str) -> Option<i64> {
        self.heartbeats.get(node_id).copied()
    }

    /// Every node, in ID order.
    pub fn nodes(&self) -> impl Iterator<Item = &Arc<Node>> {
        self.nodes.values()
    }

    /// Every job, in key order.
    pub fn jobs(&self) -> impl Iterator<Item = &Arc<Job>> {
        self.jobs.values()
    }

    /// Every evaluation, in ID order.
    pub fn evals(&self) -> impl Iterator<Item = &Arc<Evaluation>> {
        self.evals.values()
    }

    pub fn nodes_by_prefix(&self, prefix: &str) -> Vec<Arc<Node>> {
        with_prefix(&self.nodes, prefix).cloned().collect()
    }
}
