//! Feasibility and ranking: picks a node for one allocation of a group.
//!
//! ```text
//!  candidates (ready, in the job's datacenters, shuffled per eval)
//!     │  cursor keeps moving across placements of one evaluation
//!     ▼
//!  feasible?  drivers, job+group+task constraints     ─ no ─▶ NodesFiltered
//!     ▼      (cached per group and computed node class; per node when a
//!     ▼       constraint reads node-unique values)
//!  distinct_hosts / distinct_property                ─ no ─▶ NodesFiltered
//!     ▼
//!  fits?  cpu, memory, disk, bandwidth, ports        ─ no ─▶ NodesExhausted
//!     ▼
//!  score = mean(fit, job anti-affinity)
//!         fit: binpack (fullest first) or spread (emptiest first),
//!         as the operator's scheduler configuration says
//!     ▼
//!  stop after `limit` fitting nodes; the best score wins
//! ```
//!
//! The plan under construction is accounted per node (`NodeDelta`) so that
//! placements of one evaluation see each other.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::constraint::{self, DISTINCT_HOSTS, DISTINCT_PROPERTY};
use super::fit;
use super::ports::PortIndex;
use super::view::StateView;
use crate::state::NodeUsage;
use crate::structs::{
    AllocMetric, AllocatedCpu, AllocatedMemory, AllocatedPortMapping, AllocatedResources,
    AllocatedSharedResources, AllocatedTaskResources, Allocation, Constraint, Job, NetworkResource,
    Node, SchedulerAlgorithm, SmallMap, TaskGroup, Usage, sum_mbits,
};

/// What a node holds beyond the state because of this plan.
#[derive(Clone, Debug, Default)]
struct NodeDelta {
    add: Usage,
    sub: Usage,
    ports_add: BTreeSet<u16>,
    ports_free: BTreeSet<u16>,
}

/// A chosen node and what the allocation gets there.
pub struct Selection {
    pub node: Arc<Node>,
    pub resources: AllocatedResources,
    pub metric: AllocMetric,
}

/// The resources a group asks for, summed over its tasks.
pub fn group_usage(group: &TaskGroup) -> Usage {
    let mut u = Usage {
        disk_mb: group
            .ephemeral_disk
            .as_ref()
            .map(|d| d.size_mb)
            .unwrap_or(0),
        mbits: sum_mbits(&group.networks),
        ..Usage::default()
    };
    for t in &group.tasks {
        if let Some(r) = &t.resources {
            u.add(Usage {
                cpu: r.cpu,
                memory_mb: r.memory_mb,
                disk_mb: 0,
                mbits: sum_mbits(&r.networks),
            });
        }
    }
    u
}

/// Whether a datacenter name matches a job's datacenter entry (`*` globs).
pub fn dc_matches(pattern: &str, dc: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == dc,
        Some((pre, post)) => {
            dc.len() >= pre.len() + post.len() && dc.starts_with(pre) && dc.ends_with(post)
        }
    }
}

/// A candidate's static feasibility for one group: unknown until checked,
/// then passed or the reason it failed.
type Feasibility = Option<Result<(), String>>;

pub struct Stack<'a> {
    state: &'a dyn StateView,
    job: &'a Job,
    nodes: Vec<Arc<Node>>,
    available: Arc<SmallMap<String, i64>>,
    cursor: usize,
    limit: usize,
    rng: StdRng,
    /// Node ID -> position in `nodes`, built on first use (stops and the
    /// system scheduler need it; placements work by position).
    pos: Option<HashMap<String, usize>>,
    /// Per candidate position: what the node can hold.
    limits: Vec<fit::Limits>,
    /// Per candidate position: what the plan adds and frees there.
    deltas: Vec<NodeDelta>,
    /// Per candidate position: what live allocations hold (from the state).
    usage: Vec<Option<NodeUsage>>,
    /// Live allocations of this job per node, and per node and group (for
    /// `distinct_property`, which looks beyond the candidates).
    job_on_node: HashMap<String, i64>,
    group_on_node: HashMap<String, HashMap<String, i64>>,
    /// Whether the job has a `distinct_property` constraint, the only
    /// reader of the two maps above once the stack is built.
    by_property: bool,
    /// The same counts per candidate position, read on every node visited.
    job_here: Vec<i64>,
    group_here: Vec<(String, Vec<i64>)>,
    /// Static feasibility per group, by computed class (or by candidate
    /// position when the job's constraints escape classes).
    feasible: Vec<(String, Vec<Feasibility>)>,
    /// Whether feasibility is shared by the nodes of a computed class.
    by_class: bool,
    /// Per candidate position: its class number; and the class names.
    class_of: Vec<u32>,
    class_names: Vec<String>,
    /// Nodes the next placement should avoid (a rescheduled allocation's
    /// previous nodes): scored lower, not filtered.
    penalty: Vec<String>,
    /// Score fit by Nomad's spread (worst fit) instead of bin-pack.
    spread: bool,
}

impl<'a> Stack<'a> {
    /// Candidates are the ready nodes in the job's datacenters, shuffled
    /// with a seed drawn from the evaluation.
    pub fn new(state: &'a dyn StateView, job: &'a Job, seed: u64, batch: bool) -> Self {
        let mut available: SmallMap<String, i64> = job
            .datacenters
            .iter()
            .filter(|d| !d.contains('*'))
            .map(|d| (d.clone(), 0))
            .collect();
        let mut nodes = Vec::new();
        for n in state.nodes() {
            if !n.ready() || !job.datacenters.iter().any(|d| dc_matches(d, &n.datacenter)) {
                continue;
            }
            available.add(&n.datacenter, 1);
            nodes.push(n.clone());
        }
        let mut rng = StdRng::seed_from_u64(seed);
        nodes.shuffle(&mut rng);
        let limit = if batch {
            2
        } else {
            (nodes.len().max(1) as f64).log2().ceil().max(2.0) as usize
        };
        let mut job_on_node = HashMap::new();
        let mut group_on_node: HashMap<String, HashMap<String, i64>> = HashMap::new();
        for a in state.allocs_by_job(&job.namespace, &job.id) {
            if !a.terminal() {
                *job_on_node.entry(a.node_id.clone()).or_default() += 1;
                *group_on_node
                    .entry(a.node_id.clone())
                    .or_default()
                    .entry(a.task_group.clone())
                    .or_default() += 1;
            }
        }
        let count = nodes.len();
        let limits = nodes.iter().map(|n| fit::Limits::of(n)).collect();
        // Class numbers; a node without a computed class shares nothing.
        let mut class_names: Vec<String> = Vec::new();
        let mut numbers: HashMap<&str, u32> = HashMap::new();
        let class_of = nodes
            .iter()
            .map(|n| {
                let next = class_names.len() as u32;
                let c = n.computed_class.as_str();
                let number = if c.is_empty() {
                    next
                } else {
                    *numbers.entry(c).or_insert(next)
                };
                if number == next {
                    class_names.push(c.to_string());
                }
                number
            })
            .collect();
        let mut stack = Stack {
            state,
            job,
            nodes,
            available: Arc::new(available),
            cursor: 0,
            limit,
            rng,
            pos: None,
            limits,
            deltas: vec![NodeDelta::default(); count],
            usage: vec![None; count],
            job_on_node: HashMap::new(),
            group_on_node: HashMap::new(),
            by_property: job
                .constraints
                .iter()
                .chain(job.task_groups.iter().flat_map(|g| {
                    g.constraints
                        .iter()
                        .chain(g.tasks.iter().flat_map(|t| t.constraints.iter()))
                }))
                .any(|c| c.operand == DISTINCT_PROPERTY),
            job_here: vec![0; count],
            group_here: Vec::new(),
            feasible: Vec::new(),
            by_class: !super::escapes_classes(job),
            class_of,
            class_names,
            penalty: Vec::new(),
            spread: state.scheduler_algorithm() == SchedulerAlgorithm::Spread,
        };
        for (node, n) in &job_on_node {
            if let Some(p) = stack.position(node) {
                stack.job_here[p] = *n;
            }
        }
        for (node, groups) in &group_on_node {
            if let Some(p) = stack.position(node) {
                for (g, n) in groups {
                    let slot = stack.group_slot(g);
                    stack.group_here[slot].1[p] = *n;
                }
            }
        }
        stack.job_on_node = job_on_node;
        stack.group_on_node = group_on_node;
        stack
    }

    /// Node ID -> candidate position.
    fn positions(&mut self) -> &HashMap<String, usize> {
        self.pos.get_or_insert_with(|| {
            self.nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.id.clone(), i))
                .collect()
        })
    }

    fn position(&mut self, node_id: &str) -> Option<usize> {
        self.positions().get(node_id).copied()
    }

    /// The per-position counts of `group`.
    fn group_slot(&mut self, group: &str) -> usize {
        slot(&mut self.group_here, group, self.nodes.len(), 0)
    }

    /// The feasibility cache of `group`.
    fn feasible_slot(&mut self, group: &str) -> usize {
        let n = if self.by_class {
            self.class_names.len()
        } else {
            self.nodes.len()
        };
        slot(&mut self.feasible, group, n, None)
    }

    /// Whether the job's constraints read node-unique values, so that a
    /// computed class cannot stand for its nodes.
    pub fn escapes_classes(&self) -> bool {
        !self.by_class
    }

    /// Nodes the following placements score lower (empty: none).
    pub fn set_penalty(&mut self, nodes: Vec<String>) {
        self.penalty = nodes;
    }

    /// Per computed class, whether `group` passed the static checks on
    /// some node of it (classes of nodes not checked are left out: a
    /// blocked evaluation retries on any change to those).
    pub fn class_eligibility(&self, group: &str) -> BTreeMap<String, bool> {
        let mut out = BTreeMap::new();
        let Some((_, cache)) = self.feasible.iter().find(|(g, _)| g == group) else {
            return out;
        };
        for (k, checked) in cache.iter().enumerate() {
            if let Some(result) = checked {
                let class = if self.by_class {
                    &self.class_names[k]
                } else {
                    &self.nodes[k].computed_class
                };
                let eligible = out.entry(class.clone()).or_insert(false);
                *eligible |= result.is_ok();
            }
        }
        out
    }

    /// How many candidate nodes there are.
    pub fn candidates(&self) -> usize {
        self.nodes.len()
    }

    /// Records that the plan stops `alloc`, freeing what it holds.
    pub fn note_stop(&mut self, alloc: &Allocation) {
        if alloc.terminal() {
            return;
        }
        let at = self.position(&alloc.node_id);
        if let Some(p) = at {
            let d = &mut self.deltas[p];
            d.sub.add(alloc.usage());
            d.ports_free.extend(alloc.host_ports());
        }
        if alloc.job_id == self.job.id {
            if let Some(p) = at {
                self.job_here[p] -= 1;
                let slot = self.group_slot(&alloc.task_group);
                self.group_here[slot].1[p] -= 1;
            }
            if let Some(c) = self.job_on_node.get_mut(&alloc.node_id) {
                *c -= 1;
            }
            if let Some(c) = self
                .group_on_node
                .get_mut(&alloc.node_id)
                .and_then(|m| m.get_mut(&alloc.task_group))
            {
                *c -= 1;
            }
        }
    }

    fn note_place(&mut self, p: usize, group_slot: usize, usage: Usage, ports: &BTreeSet<u16>) {
        let d = &mut self.deltas[p];
        d.add.add(usage);
        d.ports_add.extend(ports.iter().copied());
        self.job_here[p] += 1;
        self.group_here[group_slot].1[p] += 1;
        if !self.by_property {
            return;
        }
        let node_id = &self.nodes[p].id;
        let group = &self.group_here[group_slot].0;
        match self.job_on_node.get_mut(node_id) {
            Some(c) => *c += 1,
            None => {
                self.job_on_node.insert(node_id.clone(), 1);
            }
        }
        *self
            .group_on_node
            .entry(node_id.clone())
            .or_default()
            .entry(group.clone())
            .or_default() += 1;
    }

    /// Static feasibility (drivers and constraints) of the candidate at
    /// position `i` for the group whose cache is `slot`.
    fn feasible(&mut self, slot: usize, i: usize, group: &TaskGroup) -> Result<(), &str> {
        let key = if self.by_class {
            self.class_of[i] as usize
        } else {
            i
        };
        let cache = &mut self.feasible[slot].1;
        if cache[key].is_none() {
            cache[key] = Some(check_node(self.job, group, &self.nodes[i]));
        }
        match &cache[key] {
            Some(Err(reason)) => Err(reason.as_str()),
            _ => Ok(()),
        }
    }

    /// What the state says live allocations hold at position `i`.
    fn state_usage(&mut self, i: usize) -> &NodeUsage {
        let (state, node) = (self.state, &self.nodes[i]);
        self.usage[i].get_or_insert_with(|| state.node_usage(&node.id))
    }

    fn distinct(&self, i: usize, group: &TaskGroup, group_slot: usize) -> Result<(), String> {
        let node = &self.nodes[i];
        let job_level = self.job.constraints.iter();
        let group_level = group
            .constraints
            .iter()
            .chain(group.tasks.iter().flat_map(|t| t.constraints.iter()));
        for (c, job_wide) in job_level
            .map(|c| (c, true))
            .chain(group_level.map(|c| (c, false)))
        {
            if c.operand == DISTINCT_HOSTS && c.r_target != "false" {
                let here = if job_wide {
                    self.job_here[i]
                } else {
                    self.group_here[group_slot].1[i]
                };
                if here > 0 {
                    return Err(DISTINCT_HOSTS.into());
                }
            }
            if c.operand == DISTINCT_PROPERTY {
                self.distinct_property(node, group, c, job_wide)?;
            }
        }
        Ok(())
    }

    fn distinct_property(
        &self,
        node: &Node,
        group: &TaskGroup,
        c: &Constraint,
        job_wide: bool,
    ) -> Result<(), String> {
        let reason = || format!("{DISTINCT_PROPERTY}: {}", c.l_target);
        let Some(value) = constraint::resolve(node, &c.l_target) else {
            return Err(reason());
        };
        let allowed: i64 = c.r_target.parse().unwrap_or(1).max(1);
        let mut used = 0;
        let counts = self.job_on_node.iter().map(|(n, c)| (n.clone(), *c));
        let group_counts = self
            .group_on_node
            .iter()
            .filter_map(|(n, m)| m.get(&group.name).map(|c| (n.clone(), *c)));
        let per_node: Vec<(String, i64)> = if job_wide {
            counts.collect()
        } else {
            group_counts.collect()
        };
        for (node_id, count) in per_node {
            if count <= 0 {
                continue;
            }
            let other = if node_id == node.id {
                Some(value.clone())
            } else {
                self.state
                    .node(&node_id)
                    .and_then(|n| constraint::resolve(&n, &c.l_target))
            };
            if other.as_deref() == Some(value.as_str()) {
                used += count;
            }
        }
        if used >= allowed {
            Err(reason())
        } else {
            Ok(())
        }
    }

    /// Picks a node for one allocation of `group`, or reports why none.
    pub fn select(&mut self, group: &TaskGroup) -> Result<Selection, Box<AllocMetric>> {
        let n = self.nodes.len();
        let (result, visited) = self.select_from(group, self.cursor, n, self.limit);
        self.cursor = (self.cursor + visited) % n.max(1);
        result
    }

    /// Tries `group` on one node only (the system scheduler).
    pub fn select_on(
        &mut self,
        group: &TaskGroup,
        node_id: &str,
    ) -> Result<Selection, Box<AllocMetric>> {
        match self.position(node_id) {
            Some(at) => self.select_from(group, at, 1, 1).0,
            None => self.select_from(group, 0, 0, 1).0,
        }
    }

    /// Whether `node` passes the static checks for `group`.
    pub fn is_feasible(&mut self, node: &Node, group: &TaskGroup) -> bool {
        match self.position(&node.id) {
            Some(i) => {
                let slot = self.feasible_slot(&group.name);
                self.feasible(slot, i, group).is_ok()
            }
            None => false,
        }
    }

    /// What an allocation of `group` gets at position `i`, ports included.
    fn offer_on(&mut self, group: &TaskGroup, i: usize) -> Result<AllocatedResources, String> {
        let ports_now = self.state_usage(i).ports.clone();
        let node = &self.nodes[i];
        let delta = &self.deltas[i];
        let reserved = node.reserved_ports();
        let in_use = |p: u16| {
            (ports_now.contains(&p) && !delta.ports_free.contains(&p))
                || delta.ports_add.contains(&p)
                || reserved.contains(&p)
        };
        let mut ports = PortIndex::new(in_use, node.dynamic_ports());
        offer(group, node, &mut ports, &mut self.rng).map_err(|e| format!("network: {e}"))
    }

    /// Visits up to `visit` nodes from `start` (wrapping) until `limit`
    /// nodes fit; returns the best and how many nodes were visited.
    fn select_from(
        &mut self,
        group: &TaskGroup,
        start: usize,
        visit: usize,
        limit: usize,
    ) -> (Result<Selection, Box<AllocMetric>>, usize) {
        let n = self.nodes.len().max(1);
        let mut metric = AllocMetric {
            nodes_available: self.available.clone(),
            nodes_in_pool: self.nodes.len() as i64,
            ..AllocMetric::default()
        };
        let feasible_slot = self.feasible_slot(&group.name);
        let group_slot = self.group_slot(&group.name);
        let ask = group_usage(group);
        let count = group.count.max(1) as f64;
        let mut scored: Vec<(f64, usize)> = Vec::with_capacity(limit);
        let mut step = 0;
        while step < visit {
            let i = (start + step) % n;
            step += 1;
            metric.nodes_evaluated += 1;
            let filtered = match self.feasible(feasible_slot, i, group) {
                Err(reason) => Some(reason.to_string()),
                Ok(()) => self.distinct(i, group, group_slot).err(),
            };
            let node = &self.nodes[i];
            if let Some(reason) = filtered {
                metric.nodes_filtered += 1;
                metric.constraint_filtered.add(&reason, 1);
                if !node.node_class.is_empty() {
                    metric.class_filtered.add(&node.node_class, 1);
                }
                continue;
            }
            let mut used = self.state_usage(i).usage;
            used.add(self.deltas[i].add);
            used.sub(self.deltas[i].sub);
            used.add(ask);
            let limits = &self.limits[i];
            if let Some(dim) = fit::exhausted_within(limits, used) {
                exhausted(&mut metric, &self.nodes[i], dim);
                continue;
            }
            let mut score = if self.spread {
                fit::spread_score_within(limits.cap, used)
            } else {
                fit::binpack_score_within(limits.cap, used)
            };
            let same = self.group_here[group_slot].1[i];
            if same > 0 {
                score = (score - (same + 1) as f64 / count) / 2.0;
            }
            if !self.penalty.is_empty() && self.penalty.contains(&self.nodes[i].id) {
                // Nomad's node-reschedule-penalty: -1, averaged in.
                score = (score - 1.0) / 2.0;
            }
            scored.push((score, i));
            if scored.len() >= limit {
                break;
            }
        }
        // Ports are given on the best node only; a node whose ports do not
        // work out yields to the next best.
        scored.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        let mut chosen = None;
        for (score, i) in scored {
            match self.offer_on(group, i) {
                Ok(resources) => {
                    chosen = Some((score, i, resources));
                    break;
                }
                Err(dim) => exhausted(&mut metric, &self.nodes[i], &dim),
            }
        }
        let Some((score, i, resources)) = chosen else {
            return (Err(Box::new(metric)), step);
        };
        let node = self.nodes[i].clone();
        metric.scores.insert(format!("{}.binpack", node.id), score);
        let ports: BTreeSet<u16> = resources
            .shared
            .ports
            .iter()
            .filter_map(|p| u16::try_from(p.value).ok())
            .chain(
                resources
                    .tasks
                    .values()
                    .flat_map(|t| t.networks.iter())
                    .flat_map(|n| n.ports().filter_map(|p| u16::try_from(p.value).ok())),
            )
            .collect();
        self.note_place(i, group_slot, ask, &ports);
        (
            Ok(Selection {
                node,
                resources,
                metric,
            }),
            step,
        )
    }
}

/// The index of `group`'s per-position array in `slots`, added (`n` times
/// `init`) on first use.
fn slot<T: Clone>(slots: &mut Vec<(String, Vec<T>)>, group: &str, n: usize, init: T) -> usize {
    match slots.iter().position(|(g, _)| g == group) {
        Some(i) => i,
        None => {
            slots.push((group.to_string(), vec![init; n]));
            slots.len() - 1
        }
    }
}

/// Counts a node that lacks `dim` in `metric`.
fn exhausted(metric: &mut AllocMetric, node: &Node, dim: &str) {
    metric.nodes_exhausted += 1;
    metric.dimension_exhausted.add(dim, 1);
    if !node.node_class.is_empty() {
        metric.class_exhausted.add(&node.node_class, 1);
    }
}

/// Drivers and constraints of the job, group and tasks on `node`.
pub fn check_node(job: &Job, group: &TaskGroup, node: &Node) -> Result<(), String> {
    for t in &group.tasks {
        if !node.has_driver(&t.driver) {
            return Err("missing drivers".into());
        }
    }
    let all = job
        .constraints
        .iter()
        .chain(group.constraints.iter())
        .chain(group.tasks.iter().flat_map(|t| t.constraints.iter()));
    for c in all {
        if !constraint::satisfied(node, c) {
            return Err(c.to_string());
        }
    }
    Ok(())
}

/// Builds what an allocation of `group` gets on `node`, assigning ports.
fn offer<F: Fn(u16) -> bool>(
    group: &TaskGroup,
    node: &Node,
    ports: &mut PortIndex<F>,
    rng: &mut StdRng,
) -> Result<AllocatedResources, String> {
    let ip = node.ip();
    let mut out = AllocatedResources {
        shared: AllocatedSharedResources {
            disk_mb: group
                .ephemeral_disk
                .as_ref()
                .map(|d| d.size_mb)
                .unwrap_or(0),
            ..AllocatedSharedResources::default()
        },
        ..AllocatedResources::default()
    };
    for ask in &group.networks {
        let net = ports.assign(ask, &ip, rng)?;
        for p in net.ports() {
            out.shared.ports.push(AllocatedPortMapping {
                label: p.label.clone(),
                value: p.value,
                to: if p.to == 0 { p.value } else { p.to },
                host_ip: ip.clone(),
            });
        }
        out.shared.networks.push(net);
    }
    for t in &group.tasks {
        let r = t.resources.clone().unwrap_or_default();
        let mut networks: Vec<NetworkResource> = Vec::new();
        for ask in &r.networks {
            networks.push(ports.assign(ask, &ip, rng)?);
        }
        out.tasks.insert(
            t.name.clone(),
            AllocatedTaskResources {
                cpu: AllocatedCpu { cpu_shares: r.cpu },
                memory: AllocatedMemory {
                    memory_mb: r.memory_mb,
                    memory_max_mb: r.memory_max_mb,
                },
                networks,
            },
        );
    }
    Ok(out)
}
