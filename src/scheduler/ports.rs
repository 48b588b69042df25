//! Port assignment on a node: static ports must be free, dynamic ports are
//! drawn at random from the node's dynamic range, never colliding with the
//! node's reserved ports, ports of live allocations, or ports already given
//! in this plan.

use std::collections::BTreeSet;

use rand::Rng;

use crate::structs::{NetworkResource, Port};

/// Random probes before falling back to a scan of the whole range.
const PROBES: usize = 20;

/// The ports in use on one node while a plan is built: `in_use` answers
/// for what the node already holds, `used` collects what this index gave.
pub struct PortIndex<F: Fn(u16) -> bool> {
    in_use: F,
    used: BTreeSet<u16>,
    range: (u16, u16),
}

impl<F: Fn(u16) -> bool> PortIndex<F> {
    pub fn new(in_use: F, range: (u16, u16)) -> Self {
        PortIndex {
            in_use,
            used: BTreeSet::new(),
            range,
        }
    }

    fn busy(&self, p: u16) -> bool {
        self.used.contains(&p) || (self.in_use)(p)
    }

    /// The ports given so far.
    pub fn given(&self) -> &BTreeSet<u16> {
        &self.used
    }

    /// Gives every port of `ask` a host value on `ip`; returns the offered
    /// network, or the failure as Nomad names it.
    pub fn assign<R: Rng>(
        &mut self,
        ask: &NetworkResource,
        ip: &str,
        rng: &mut R,
    ) -> Result<NetworkResource, String> {
        let mut taken: BTreeSet<u16> = BTreeSet::new();
        let mut offer = NetworkResource {
            ip: ip.to_string(),
            mbits: ask.mbits,
            mode: ask.mode.clone(),
            device: ask.device.clone(),
            dns: ask.dns.clone(),
            hostname: ask.hostname.clone(),
            ..NetworkResource::default()
        };
        for p in &ask.reserved_ports {
            let port = u16::try_from(p.value)
                .map_err(|_| format!("reserved port collision {}={}", p.label, p.value))?;
            if self.busy(port) || !taken.insert(port) {
                return Err(format!("reserved port collision {}={}", p.label, p.value));
            }
            offer.reserved_ports.push(Port {
                host_network: host_network(p),
                ..p.clone()
            });
        }
        for p in &ask.dynamic_ports {
            let port = self
                .pick(&taken, rng)
                .ok_or_else(|| "dynamic port selection failed".to_string())?;
            taken.insert(port);
            offer.dynamic_ports.push(Port {
                value: i64::from(port),
                host_network: host_network(p),
                ..p.clone()
            });
        }
        self.used.extend(taken);
        Ok(offer)
    }

    fn pick<R: Rng>(&self, taken: &BTreeSet<u16>, rng: &mut R) -> Option<u16> {
        let (lo, hi) = self.range;
        let free = |p: u16| !self.busy(p) && !taken.contains(&p);
        for _ in 0..PROBES {
            let p = rng.random_range(lo..hi);
            if free(p) {
                return Some(p);
            }
        }
        let all: Vec<u16> = (lo..hi).filter(|p| free(*p)).collect();
        if all.is_empty() {
            None
        } else {
            Some(all[rng.random_range(0..all.len())])
        }
    }
}

fn host_network(p: &Port) -> String {
    if p.host_network.is_empty() {
        "default".into()
    } else {
        p.host_network.clone()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn ask(static_ports: &[(&str, i64)], dynamic: &[&str]) -> NetworkResource {
        NetworkResource {
            reserved_ports: static_ports
                .iter()
                .map(|(l, v)| Port {
                    label: l.to_string(),
                    value: *v,
                    ..Port::default()
                })
                .collect(),
            dynamic_ports: dynamic
                .iter()
                .map(|l| Port {
                    label: l.to_string(),
                    to: 6379,
                    ..Port::default()
                })
                .collect(),
            ..NetworkResource::default()
        }
    }

    #[test]
    fn dynamic_ports_never_collide_and_static_ones_are_checked() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut idx = PortIndex::new(|p| p == 20001 || p == 20002, (20000, 20010));
        let mut seen = BTreeSet::new();
        for _ in 0..8 {
            let n = idx
                .assign(&ask(&[], &["db"]), "10.0.0.1", &mut rng)
                .expect("fits");
            let p = n.dynamic_ports[0].value as u16;
            assert!((20000..20010).contains(&p));
            assert!(p != 20001 && p != 20002);
            assert!(seen.insert(p), "port {p} given twice");
            assert_eq!(n.dynamic_ports[0].to, 6379);
            assert_eq!(n.ip, "10.0.0.1");
        }
        let err = idx
            .assign(&ask(&[], &["db"]), "10.0.0.1", &mut rng)
            .expect_err("full");
        assert_eq!(err, "dynamic port selection failed");
        let mut idx = PortIndex::new(|p| p == 8080, (20000, 32000));
        let err = idx
            .assign(&ask(&[("http", 8080)], &[]), "ip", &mut rng)
            .expect_err("taken");
        assert_eq!(err, "reserved port collision http=8080");
        idx.assign(&ask(&[("https", 8443)], &[]), "ip", &mut rng)
            .expect("free");
        assert!(
            idx.assign(&ask(&[("https", 8443)], &[]), "ip", &mut rng)
                .is_err()
        );
    }
}
