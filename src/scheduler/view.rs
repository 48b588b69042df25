//! The narrow, read-only view of cluster state the scheduler works on.
//! The replicated `State` implements it; a test can supply its own.

use std::sync::Arc;

use crate::state::{NodeUsage, State};
use crate::structs::{Allocation, Job, Node, SchedulerAlgorithm};

/// What a scheduler may read. Nothing here writes.
pub trait StateView: Send + Sync {
    fn job(&self, namespace: &str, id: &str) -> Option<Arc<Job>>;
    fn allocs_by_job(&self, namespace: &str, id: &str) -> Vec<Arc<Allocation>>;
    fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>>;
    fn alloc(&self, id: &str) -> Option<Arc<Allocation>>;
    fn node(&self, id: &str) -> Option<Arc<Node>>;
    /// Every node, in ID order.
    fn nodes(&self) -> Vec<Arc<Node>>;
    /// What live allocations hold on a node.
    fn node_usage(&self, node_id: &str) -> NodeUsage;
    /// The index the view reflects.
    fn latest_index(&self) -> u64;
    /// The index to re-plan at after a conflict: the last change to
    /// allocations or nodes.
    fn refresh_index(&self) -> u64;
    /// How ranking scores nodes (the operator's scheduler configuration).
    fn scheduler_algorithm(&self) -> SchedulerAlgorithm;
}

impl StateView for State {
    fn job(&self, namespace: &str, id: &str) -> Option<Arc<Job>> {
        State::job(self, namespace, id)
    }
    fn allocs_by_job(&self, namespace: &str, id: &str) -> Vec<Arc<Allocation>> {
        State::allocs_by_job(self, namespace, id)
    }
    fn allocs_by_node(&self, node_id: &str) -> Vec<Arc<Allocation>> {
        State::allocs_by_node(self, node_id)
    }
    fn alloc(&self, id: &str) -> Option<Arc<Allocation>> {
        State::alloc(self, id)
    }
    fn node(&self, id: &str) -> Option<Arc<Node>> {
        State::node(self, id)
    }
    fn nodes(&self) -> Vec<Arc<Node>> {
        State::nodes(self).cloned().collect()
    }
    fn node_usage(&self, node_id: &str) -> NodeUsage {
        State::node_usage(self, node_id)
    }
    fn latest_index(&self) -> u64 {
        self.indexes().latest
    }
    fn refresh_index(&self) -> u64 {
        let i = self.indexes();
        i.allocs.max(i.nodes)
    }
    fn scheduler_algorithm(&self) -> SchedulerAlgorithm {
        self.scheduler_config
            .as_deref()
            .map(|c| c.algorithm())
            .unwrap_or_default()
    }
}
