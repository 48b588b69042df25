//! A node's computed class: a hash of everything about a node that decides
//! whether a job may run there (datacenter, class, pool, attributes, meta,
//! drivers), leaving out what is unique to it (`unique.*` keys, ID, name,
//! addresses) and its capacity. Nodes of one class are interchangeable for
//! feasibility, so a blocked evaluation can say which classes it could use.

use super::Node;

/// 64-bit FNV-1a, stable across builds and machines.
struct Fnv(u64);

impl Fnv {
    fn field(&mut self, s: &str) {
        for b in s.bytes().chain(std::iter::once(0xff)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn unique(key: &str) -> bool {
    key.starts_with("unique.")
}

/// `v1:<hash>`, like Nomad's computed classes.
pub fn computed_class(node: &Node) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.field(&node.datacenter);
    h.field(&node.node_class);
    h.field(&node.node_pool);
    for (section, map) in [("attr", &node.attributes), ("meta", &node.meta)] {
        h.field(section);
        for (k, v) in map.iter().filter(|(k, _)| !unique(k)) {
            h.field(k);
            h.field(v);
        }
    }
    h.field("drivers");
    for (name, d) in &node.drivers {
        h.field(name);
        h.field(if d.detected { "detected" } else { "missing" });
        h.field(if d.healthy { "healthy" } else { "unhealthy" });
        for (k, v) in d.attributes.iter().filter(|(k, _)| !unique(k)) {
            h.field(k);
            h.field(v);
        }
    }
    format!("v1:{}", h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_fields_and_identity_do_not_change_the_class() {
        let mut a = Node {
            id: "a".into(),
            name: "host-a".into(),
            datacenter: "dc1".into(),
            ..Node::default()
        };
        a.attributes.insert("kernel.name".into(), "linux".into());
        a.attributes
            .insert("unique.hostname".into(), "host-a".into());
        let mut b = a.clone();
        b.id = "b".into();
        b.name = "host-b".into();
        b.attributes
            .insert("unique.hostname".into(), "host-b".into());
        assert_eq!(computed_class(&a), computed_class(&b));
        assert!(computed_class(&a).starts_with("v1:"));
        b.node_class = "big".into();
        assert_ne!(computed_class(&a), computed_class(&b));
        let mut c = a.clone();
        c.datacenter = "dc2".into();
        assert_ne!(computed_class(&a), computed_class(&c));
    }
}
