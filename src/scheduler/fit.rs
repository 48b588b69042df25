//! Does a set of allocations fit on a node? Shared by ranking and by the
//! plan applier, so both judge a node the same way.

use std::collections::BTreeSet;

use crate::structs::{Allocation, Capacity, Node, Usage};

/// What a node can hold, read once per evaluation: ranking visits nodes
/// many times and should not walk the node's structure each time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub cap: Capacity,
    /// Bandwidth of the node's first network; 0 is unlimited.
    pub mbits: i64,
}

impl Limits {
    pub fn of(node: &Node) -> Self {
        Limits {
            cap: node.capacity(),
            mbits: node_mbits(node),
        }
    }
}

/// The first resource dimension a node lacks, as Nomad names it in
/// `DimensionExhausted`.
pub fn exhausted_dimension(node: &Node, used: Usage) -> Option<&'static str> {
    exhausted_within(&Limits::of(node), used)
}

/// [`exhausted_dimension`] on limits read beforehand.
pub fn exhausted_within(limits: &Limits, used: Usage) -> Option<&'static str> {
    let (cap, mbits) = (limits.cap, limits.mbits);
    if used.cpu > cap.cpu {
        return Some("cpu");
    }
    if used.memory_mb > cap.memory_mb {
        return Some("memory");
    }
    if used.disk_mb > cap.disk_mb {
        return Some("disk");
    }
    if mbits > 0 && used.mbits > mbits {
        return Some("network: bandwidth exceeded");
    }
    None
}

/// The bandwidth of the node's first network, 0 when unknown (unlimited).
pub fn node_mbits(node: &Node) -> i64 {
    node.node_resources
        .as_ref()
        .and_then(|r| r.networks.first())
        .map(|n| n.mbits)
        .or_else(|| {
            node.resources
                .as_ref()
                .and_then(|r| r.networks.first())
                .map(|n| n.mbits)
        })
        .unwrap_or(0)
}

/// Checks that `allocs` (every live allocation proposed for the node) fit:
/// resources and no two using the same host port.
pub fn allocs_fit<'a>(
    node: &Node,
    allocs: impl Iterator<Item = &'a Allocation>,
) -> Result<(), &'static str> {
    let mut used = Usage::default();
    let mut ports = BTreeSet::new();
    for p in node.reserved_ports() {
        ports.insert(p);
    }
    for a in allocs {
        used.add(a.usage());
        for p in a.host_ports() {
            if !ports.insert(p) {
                return Err("network: port collision");
            }
        }
    }
    match exhausted_dimension(node, used) {
        Some(d) => Err(d),
        None => Ok(()),
    }
}

/// Nomad's "best fit" bin-packing score in [0, 1]: fuller nodes score
/// higher. `used` includes the allocation being placed.
pub fn binpack_score(node: &Node, used: Usage) -> f64 {
    binpack_score_within(node.capacity(), used)
}

/// [`binpack_score`] on a capacity read beforehand.
pub fn binpack_score_within(cap: Capacity, used: Usage) -> f64 {
    (20.0 - free_total(cap, used)).clamp(0.0, 18.0) / 18.0
}

/// Nomad's "worst fit" spread score in [0, 1] (`ScoreFitSpread`): emptier
/// nodes score higher. `used` includes the allocation being placed.
pub fn spread_score_within(cap: Capacity, used: Usage) -> f64 {
    (free_total(cap, used) - 2.0).clamp(0.0, 18.0) / 18.0
}

/// 10^free CPU + 10^free memory (free as a fraction of capacity): 2 on a
/// full node, 20 on an empty one.
fn free_total(cap: Capacity, used: Usage) -> f64 {
    let free = |used: i64, cap: i64| {
        if cap <= 0 {
            0.0
        } else {
            1.0 - used as f64 / cap as f64
        }
    };
    10f64.powf(free(used.cpu, cap.cpu)) + 10f64.powf(free(used.memory_mb, cap.memory_mb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::{NodeCpu, NodeMemory, NodeResources, Resources, Task, TaskGroup};

    fn task(name: &str, cpu: i64) -> Task {
        Task {
            name: name.into(),
            resources: Some(Resources {
                cpu,
                memory_mb: 256,
                ..Resources::default()
            }),
            ..Task::default()
        }
    }

    /// Before sums saturated, two tasks of 5e18 MHz panicked the scheduler
    /// (debug) or wrapped to a negative sum that fit any node (release).
    #[test]
    fn resource_sums_saturate_and_a_saturated_sum_never_fits() {
        let group = TaskGroup {
            tasks: vec![
                task("a", 5_000_000_000_000_000_000),
                task("b", 5_000_000_000_000_000_000),
            ],
            ..TaskGroup::default()
        };
        let u = crate::scheduler::stack::group_usage(&group);
        assert_eq!(u.cpu, i64::MAX);
        let mut total = u;
        total.add(u);
        assert_eq!(total.cpu, i64::MAX);
        let mut back = Usage {
            cpu: i64::MIN + 1,
            ..Usage::default()
        };
        back.sub(Usage {
            cpu: 10,
            ..Usage::default()
        });
        assert_eq!(back.cpu, i64::MIN);
        let node = Node {
            node_resources: Some(NodeResources {
                cpu: NodeCpu {
                    cpu_shares: 4_000,
                    ..Default::default()
                },
                memory: NodeMemory { memory_mb: 8_192 },
                ..Default::default()
            }),
            ..Node::default()
        };
        assert_eq!(exhausted_dimension(&node, total), Some("cpu"));
    }
}
