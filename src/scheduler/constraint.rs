//! Constraint evaluation against a node: target resolution (`${attr.x}`,
//! `${meta.x}`, `${node.datacenter}`, ...) and every Nomad operator that is
//! decided per node. `distinct_hosts` and `distinct_property` depend on
//! other placements and are decided by the caller.

use std::cmp::Ordering;

use crate::structs::{Constraint, Node};

pub const DISTINCT_HOSTS: &str = "distinct_hosts";
pub const DISTINCT_PROPERTY: &str = "distinct_property";

/// Resolves a constraint target on `node`; `None` when it is not set.
pub fn resolve(node: &Node, target: &str) -> Option<String> {
    let Some(inner) = target.strip_prefix("${").and_then(|t| t.strip_suffix('}')) else {
        return Some(target.to_string());
    };
    match inner {
        "node.unique.id" => Some(node.id.clone()),
        "node.datacenter" => Some(node.datacenter.clone()),
        "node.unique.name" => Some(node.name.clone()),
        "node.class" => Some(node.node_class.clone()),
        "node.pool" => Some(if node.node_pool.is_empty() {
            "default".into()
        } else {
            node.node_pool.clone()
        }),
        other => {
            if let Some(k) = other.strip_prefix("attr.") {
                node.attributes.get(k).cloned()
            } else if let Some(k) = other.strip_prefix("meta.") {
                node.meta.get(k).cloned()
            } else {
                None
            }
        }
    }
}

/// Whether `node` satisfies `c` (placement-dependent operators pass here).
pub fn satisfied(node: &Node, c: &Constraint) -> bool {
    let op = if c.operand.is_empty() {
        "="
    } else {
        c.operand.as_str()
    };
    if op == DISTINCT_HOSTS || op == DISTINCT_PROPERTY {
        return true;
    }
    let l = resolve(node, &c.l_target);
    let r = resolve(node, &c.r_target);
    match op {
        "is_set" => l.is_some(),
        "is_not_set" => l.is_none(),
        "=" | "==" | "is" => matches!((&l, &r), (Some(a), Some(b)) if a == b),
        "!=" | "not" => l != r,
        "<" | "<=" | ">" | ">=" => match (&l, &r) {
            (Some(a), Some(b)) => {
                let ord = compare_values(a, b);
                match op {
                    "<" => ord == Ordering::Less,
                    "<=" => ord != Ordering::Greater,
                    ">" => ord == Ordering::Greater,
                    _ => ord != Ordering::Less,
                }
            }
            _ => false,
        },
        "regexp" => match (&l, &r) {
            (Some(a), Some(b)) => regex::Regex::new(b).is_ok_and(|re| re.is_match(a)),
            _ => false,
        },
        "version" | "semver" => match (&l, &r) {
            (Some(a), Some(b)) => version_matches(a, b),
            _ => false,
        },
        "set_contains" | "set_contains_all" => match (&l, &r) {
            (Some(a), Some(b)) => {
                let have = set(a);
                set(b).iter().all(|x| have.contains(x))
            }
            _ => false,
        },
        "set_contains_any" => match (&l, &r) {
            (Some(a), Some(b)) => {
                let have = set(a);
                set(b).iter().any(|x| have.contains(x))
            }
            _ => false,
        },
        _ => false,
    }
}

fn set(s: &str) -> Vec<&str> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// Integers, then floats, then strings.
fn compare_values(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        return x.cmp(&y);
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    a.cmp(b)
}

/// `1.2.3-beta` -> [1, 2, 3]; `None` when there is no leading number.
fn parse_version(v: &str) -> Option<Vec<u64>> {
    let v = v.trim().trim_start_matches('v');
    let core = v.split(['-', '+']).next()?;
    let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

fn cmp_version(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        match x.cmp(&y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

/// `>= 1.2, < 2.0`, `~> 1.2`, `= 1.0`: every clause must hold.
fn version_matches(have: &str, spec: &str) -> bool {
    let Some(have) = parse_version(have) else {
        return false;
    };
    spec.split(',').all(|clause| {
        let clause = clause.trim();
        let (op, v) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| clause.strip_prefix(op).map(|rest| (*op, rest)))
            .unwrap_or(("=", clause));
        let Some(want) = parse_version(v) else {
            return false;
        };
        let ord = cmp_version(&have, &want);
        match op {
            ">=" => ord != Ordering::Less,
            "<=" => ord != Ordering::Greater,
            ">" => ord == Ordering::Greater,
            "<" => ord == Ordering::Less,
            "!=" => ord != Ordering::Equal,
            "~>" => {
                // ~> 1.2 allows 1.x >= 1.2; ~> 1.2.3 allows 1.2.x >= 1.2.3.
                let fixed = want.len().saturating_sub(1).max(1);
                ord != Ordering::Less && have.iter().take(fixed).eq(want.iter().take(fixed))
            }
            _ => ord == Ordering::Equal,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        let mut n = Node {
            id: "n1".into(),
            datacenter: "eu-west-1a".into(),
            node_class: "large".into(),
            ..Node::default()
        };
        n.attributes.insert("kernel.name".into(), "linux".into());
        n.attributes.insert("cpu.numcores".into(), "8".into());
        n.attributes
            .insert("driver.docker.version".into(), "20.10.24".into());
        n.attributes
            .insert("os.signals".into(), "SIGINT,SIGTERM,SIGHUP".into());
        n.meta.insert("rack".into(), "r1".into());
        n
    }

    fn c(l: &str, op: &str, r: &str) -> Constraint {
        Constraint {
            l_target: l.into(),
            operand: op.into(),
            r_target: r.into(),
        }
    }

    #[test]
    fn operators() {
        let n = node();
        assert!(satisfied(&n, &c("${attr.kernel.name}", "=", "linux")));
        assert!(satisfied(&n, &c("${attr.kernel.name}", "", "linux")));
        assert!(!satisfied(&n, &c("${attr.kernel.name}", "!=", "linux")));
        assert!(!satisfied(&n, &c("${attr.missing}", "=", "x")));
        assert!(satisfied(&n, &c("${attr.missing}", "is_not_set", "")));
        assert!(satisfied(&n, &c("${meta.rack}", "is_set", "")));
        assert!(satisfied(&n, &c("${attr.cpu.numcores}", ">=", "4")));
        assert!(!satisfied(&n, &c("${attr.cpu.numcores}", "<", "4")));
        assert!(satisfied(&n, &c("${node.datacenter}", "regexp", "^eu-")));
        assert!(satisfied(&n, &c("${node.class}", "=", "large")));
        assert!(satisfied(
            &n,
            &c("${attr.driver.docker.version}", "version", ">= 1.12, < 25")
        ));
        assert!(!satisfied(
            &n,
            &c("${attr.driver.docker.version}", "semver", ">= 21.0.0")
        ));
        assert!(satisfied(
            &n,
            &c("${attr.driver.docker.version}", "version", "~> 20.10")
        ));
        assert!(satisfied(
            &n,
            &c("${attr.os.signals}", "set_contains", "SIGINT,SIGHUP")
        ));
        assert!(!satisfied(
            &n,
            &c("${attr.os.signals}", "set_contains_all", "SIGINT,SIGUSR1")
        ));
        assert!(satisfied(
            &n,
            &c("${attr.os.signals}", "set_contains_any", "SIGUSR1,SIGHUP")
        ));
        assert!(!satisfied(
            &n,
            &c("${attr.kernel.name}", "nonsense", "linux")
        ));
        assert!(!satisfied(&n, &c("${attr.kernel.name}", "regexp", "(")));
    }
}
