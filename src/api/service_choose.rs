//! `?choose=N|key`: a stable subset of a service's instances for one
//! caller (rendezvous hashing). Each instance is scored by hashing the
//! caller's key with the instance's ID; the N highest scores win. The
//! same key picks the same instances on every call and every server, and
//! when instances come or go only the subsets that held them change.

use std::sync::Arc;

use super::ApiError;
use crate::structs::ServiceRegistration;

/// A parsed `choose`: how many instances, and the caller's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choose {
    pub count: usize,
    pub key: String,
}

impl Choose {
    /// Parses `N|key` (N at least 1, key not empty).
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::bad_request(format!(
                "Invalid choose value {value:?}: must be <count>|<key>, count a positive integer"
            ))
        };
        let (count, key) = value.split_once('|').ok_or_else(invalid)?;
        let count: usize = count.parse().map_err(|_| invalid())?;
        if count == 0 || key.is_empty() {
            return Err(invalid());
        }
        Ok(Choose {
            count,
            key: key.to_string(),
        })
    }

    /// The chosen instances, highest score first (ties by ID).
    pub fn apply(&self, instances: Vec<Arc<ServiceRegistration>>) -> Vec<Arc<ServiceRegistration>> {
        let mut scored: Vec<(u64, Arc<ServiceRegistration>)> = instances
            .into_iter()
            .map(|r| (score(&self.key, &r.id), r))
            .collect();
        scored.sort_by(|(a, ra), (b, rb)| b.cmp(a).then_with(|| ra.id.cmp(&rb.id)));
        scored.truncate(self.count);
        scored.into_iter().map(|(_, r)| r).collect()
    }
}

/// FNV-1a over `key`, a separator and `id`, then a 64-bit finaliser so
/// that IDs differing in their last bytes still score far apart. Fixed
/// here (not std's hasher, which may change between releases) so that
/// every server scores alike.
fn score(key: &str, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain([0xff]).chain(id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instances(n: usize) -> Vec<Arc<ServiceRegistration>> {
        (0..n)
            .map(|i| {
                Arc::new(ServiceRegistration {
                    id: format!("instance-{i}"),
                    ..ServiceRegistration::default()
                })
            })
            .collect()
    }

    fn ids(v: &[Arc<ServiceRegistration>]) -> Vec<String> {
        v.iter().map(|r| r.id.clone()).collect()
    }

    #[test]
    fn parse_accepts_count_and_key_and_refuses_the_rest() {
        assert_eq!(
            Choose::parse("2|abc").ok(),
            Some(Choose {
                count: 2,
                key: "abc".into()
            })
        );
        for bad in ["", "2", "0|k", "-1|k", "x|k", "2|"] {
            assert!(Choose::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_same_key_chooses_the_same_instances_whatever_their_order() {
        let c = Choose::parse("3|caller-a").expect("parse");
        let first = ids(&c.apply(instances(10)));
        let mut reversed = instances(10);
        reversed.reverse();
        assert_eq!(first.len(), 3);
        assert_eq!(first, ids(&c.apply(reversed)));
        // Fewer instances than asked: all of them.
        assert_eq!(c.apply(instances(2)).len(), 2);
    }

    #[test]
    fn removing_an_unchosen_instance_keeps_the_choice() {
        let c = Choose::parse("2|caller-b").expect("parse");
        let all = instances(8);
        let chosen = ids(&c.apply(all.clone()));
        let dropped = all
            .iter()
            .find(|r| !chosen.contains(&r.id))
            .map(|r| r.id.clone())
            .expect("an unchosen instance");
        let fewer: Vec<_> = all.into_iter().filter(|r| r.id != dropped).collect();
        assert_eq!(chosen, ids(&c.apply(fewer)));
    }

    #[test]
    fn different_keys_spread_over_the_instances() {
        let mut seen = std::collections::BTreeSet::new();
        for k in 0..50 {
            let c = Choose::parse(&format!("1|key-{k}")).expect("parse");
            seen.extend(ids(&c.apply(instances(5))));
        }
        assert_eq!(seen.len(), 5, "every instance is someone's choice");
    }
}
