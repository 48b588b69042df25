//! The lines that explain why allocations could not be placed, rendered
//! from an `AllocMetric` in Nomad's order.

use drover::structs::AllocMetric;

/// `* No nodes were eligible for evaluation`, `* Resources exhausted on 11
/// nodes`, ... each prefixed with `prefix`. Keys of each map are sorted.
pub fn lines(m: &AllocMetric, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let sorted = |pairs: Vec<(&String, &i64)>| {
        let mut v: Vec<(String, i64)> = pairs.into_iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort();
        v
    };
    if m.nodes_evaluated == 0 {
        out.push("No nodes were eligible for evaluation".to_string());
    }
    for (dc, n) in sorted(m.nodes_available.iter().collect()) {
        if n == 0 {
            out.push(format!("No nodes are available in datacenter {dc:?}"));
        }
    }
    for (class, n) in sorted(m.class_filtered.iter().collect()) {
        out.push(format!("Class {class:?}: {n} nodes excluded by filter"));
    }
    for (c, n) in sorted(m.constraint_filtered.iter().collect()) {
        out.push(format!("Constraint {c:?}: {n} nodes excluded by filter"));
    }
    if m.nodes_exhausted > 0 {
        out.push(format!(
            "Resources exhausted on {} nodes",
            m.nodes_exhausted
        ));
    }
    for (class, n) in sorted(m.class_exhausted.iter().collect()) {
        out.push(format!("Class {class:?} exhausted on {n} nodes"));
    }
    for (dim, n) in sorted(m.dimension_exhausted.iter().collect()) {
        out.push(format!("Dimension {dim:?} exhausted on {n} nodes"));
    }
    for q in &m.quota_exhausted {
        out.push(format!("Quota limit hit {q:?}"));
    }
    out.into_iter().map(|l| format!("{prefix}* {l}")).collect()
}

/// `Task Group "cache" (failed to place 17 allocations):`.
pub fn group_header(group: &str, m: &AllocMetric) -> String {
    let n = m.coalesced_failures.saturating_add(1);
    let s = if m.coalesced_failures > 0 { "s" } else { "" };
    format!("Task Group {group:?} (failed to place {n} allocation{s}):")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blog_lines() {
        let mut m = AllocMetric::default();
        std::sync::Arc::make_mut(&mut m.nodes_available).insert("dc1".to_string(), 0);
        assert_eq!(
            lines(&m, "    "),
            [
                "    * No nodes were eligible for evaluation",
                "    * No nodes are available in datacenter \"dc1\""
            ]
        );
        assert_eq!(
            group_header("cache", &m),
            "Task Group \"cache\" (failed to place 1 allocation):"
        );
        let mut m = AllocMetric {
            nodes_evaluated: 11,
            nodes_exhausted: 11,
            coalesced_failures: 16,
            ..AllocMetric::default()
        };
        m.dimension_exhausted.insert("memory".to_string(), 11);
        assert_eq!(
            lines(&m, ""),
            [
                "* Resources exhausted on 11 nodes",
                "* Dimension \"memory\" exhausted on 11 nodes"
            ]
        );
        assert_eq!(
            group_header("cache", &m),
            "Task Group \"cache\" (failed to place 17 allocations):"
        );
    }
}
