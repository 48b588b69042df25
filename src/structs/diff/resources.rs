//! Resources, networks and ports.
//!
//! Networks are a set keyed by their whole content, so a changed network
//! shows as a `Deleted` plus an `Added` `Network` object. Ports inside a
//! network are matched by label, as `Static Port` / `Dynamic Port` objects
//! (a dynamic port's host `Value` is assigned by the scheduler and not
//! shown).

use std::collections::BTreeMap;

use super::fields::{Flat, scalars};
use super::object::{primitive_object, sort_objects, value_object, whole_object};
use crate::structs::{NetworkResource, ObjectDiff, Port, Resources};

/// The `Resources` object of a task; `None` when equal.
pub(crate) fn resources_diff(
    old: Option<&Resources>,
    new: Option<&Resources>,
    contextual: bool,
) -> Option<ObjectDiff> {
    if old == new {
        return None;
    }
    let flat = |r: &Resources| scalars(r, &[]);
    let (old_flat, new_flat) = (old.map(flat), new.map(flat));
    let mut diff = whole_object(
        "Resources",
        old_flat.as_ref(),
        new_flat.as_ref(),
        contextual,
    );
    let networks = |r: Option<&Resources>| r.map(|r| r.networks.clone()).unwrap_or_default();
    diff.objects = network_diffs(&networks(old), &networks(new), contextual);
    Some(diff)
}

/// The `Network` objects for two lists of networks (group or task level).
pub(crate) fn network_diffs(
    old: &[NetworkResource],
    new: &[NetworkResource],
    contextual: bool,
) -> Vec<ObjectDiff> {
    let mut diffs = Vec::new();
    for network in old.iter().filter(|n| !new.contains(n)) {
        diffs.extend(network_diff(Some(network), None, contextual));
    }
    for network in new.iter().filter(|n| !old.contains(n)) {
        diffs.extend(network_diff(None, Some(network), contextual));
    }
    sort_objects(&mut diffs);
    diffs
}

fn network_diff(
    old: Option<&NetworkResource>,
    new: Option<&NetworkResource>,
    contextual: bool,
) -> Option<ObjectDiff> {
    if old == new {
        return None;
    }
    // Device, CIDR and IP are filled in on placement, not asked for.
    let flat = |n: &NetworkResource| scalars(n, &["Device", "CIDR", "IP"]);
    let (old_flat, new_flat) = (old.map(flat), new.map(flat));
    let mut diff = whole_object("Network", old_flat.as_ref(), new_flat.as_ref(), contextual);
    let port_list = |n: Option<&NetworkResource>, dynamic: bool| {
        n.map(|n| {
            if dynamic {
                n.dynamic_ports.clone()
            } else {
                n.reserved_ports.clone()
            }
        })
        .unwrap_or_default()
    };
    for dynamic in [false, true] {
        let (o, n) = (port_list(old, dynamic), port_list(new, dynamic));
        diff.objects.extend(port_diffs(&o, &n, dynamic, contextual));
    }
    let dns = |n: Option<&NetworkResource>| n.and_then(|n| n.dns.clone());
    diff.objects.extend(value_object(
        "DNS",
        dns(old).as_ref(),
        dns(new).as_ref(),
        contextual,
    ));
    sort_objects(&mut diff.objects);
    Some(diff)
}

/// Ports matched by label.
fn port_diffs(old: &[Port], new: &[Port], dynamic: bool, contextual: bool) -> Vec<ObjectDiff> {
    let (name, skip): (&str, &[&str]) = if dynamic {
        ("Dynamic Port", &["Value"])
    } else {
        ("Static Port", &[])
    };
    let by_label = |ports: &[Port]| -> BTreeMap<String, Flat> {
        ports
            .iter()
            .map(|p| (p.label.clone(), scalars(p, skip)))
            .collect()
    };
    let (old, new) = (by_label(old), by_label(new));
    let labels: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut diffs: Vec<ObjectDiff> = labels
        .into_iter()
        .filter_map(|label| primitive_object(name, old.get(label), new.get(label), contextual))
        .collect();
    sort_objects(&mut diffs);
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::DiffType;

    fn net(mbits: i64) -> NetworkResource {
        NetworkResource {
            mbits,
            dynamic_ports: vec![Port {
                label: "db".into(),
                ..Port::default()
            }],
            ..NetworkResource::default()
        }
    }

    #[test]
    fn changed_network_is_delete_plus_add() {
        let old = Resources {
            cpu: 500,
            networks: vec![net(10)],
            ..Resources::default()
        };
        let new = Resources {
            cpu: 500,
            networks: vec![net(20)],
            ..Resources::default()
        };
        let diff = resources_diff(Some(&old), Some(&new), false).expect("a diff");
        assert_eq!(diff.diff_type, DiffType::Edited);
        assert!(diff.fields.is_empty());
        let types: Vec<DiffType> = diff.objects.iter().map(|o| o.diff_type).collect();
        assert_eq!(types, [DiffType::Added, DiffType::Deleted]);
        let added = &diff.objects[0];
        assert_eq!(added.objects[0].name, "Dynamic Port");
        assert!(
            added
                .fields
                .iter()
                .any(|f| f.name == "MBits" && f.new == "20")
        );
    }
}
