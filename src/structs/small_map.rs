//! A map kept as a sorted vector, for the small maps every allocation
//! carries (placement metrics, per-task resources and states).
//!
//! A `BTreeMap` allocates a node of eleven slots for its first entry; with
//! a million allocations, each holding a few one- or two-entry maps, that
//! was most of the state's memory. `SmallMap` holds exactly its entries,
//! serialises as a JSON object like the map it replaces, and iterates in key
//! order.

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Entries sorted by key in a boxed slice: two words, no spare capacity,
/// nothing allocated while empty. Changes rebuild the slice, which is cheap
/// at the sizes these maps have.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SmallMap<K, V> {
    entries: Box<[(K, V)]>,
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap {
            entries: Box::default(),
        }
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.find(key) {
            Ok(i) => Some(&mut self.entries[i].1),
            Err(_) => None,
        }
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.insert_at(i, key, value);
                None
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        let mut entries = Vec::from(std::mem::take(&mut self.entries));
        let (_, v) = entries.remove(i);
        self.entries = entries.into_boxed_slice();
        Some(v)
    }

    /// The value of `key`, inserted as `V::default()` when absent.
    pub fn entry_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.insert_at(i, key, V::default());
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Inserts at position `i`, growing the slice by exactly one entry.
    fn insert_at(&mut self, i: usize, key: K, value: V) {
        let mut entries = Vec::with_capacity(self.entries.len() + 1);
        entries.extend(Vec::from(std::mem::take(&mut self.entries)));
        entries.insert(i, (key, value));
        self.entries = entries.into_boxed_slice();
    }
}

impl SmallMap<String, i64> {
    /// Adds `by` to the count of `key` (a new key starts at 0); the key is
    /// copied only when it is new.
    pub fn add(&mut self, key: &str, by: i64) {
        match self.find(key) {
            Ok(i) => self.entries[i].1 += by,
            Err(i) => self.insert_at(i, key.to_string(), by),
        }
    }
}

impl<K, V> SmallMap<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SmallMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        // Later entries win, as in a map built by repeated inserts.
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        SmallMap {
            entries: entries.into_boxed_slice(),
        }
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        Vec::from(self.entries).into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a SmallMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for SmallMap<K, V> {
    type Output = V;
    /// Panics when `key` is absent, like `BTreeMap`'s index.
    fn index(&self, key: &Q) -> &V {
        match self.get(key) {
            Some(v) => v,
            None => panic!("key not in SmallMap"),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SmallMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize> Serialize for SmallMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for SmallMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = SmallMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                while let Some((k, v)) = access.next_entry()? {
                    entries.push((k, v));
                }
                Ok(entries.into_iter().collect())
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::SmallMap;

    #[test]
    fn keeps_keys_sorted_and_unique() {
        let mut m = SmallMap::new();
        m.insert("b".to_string(), 2);
        m.insert("a".to_string(), 1);
        assert_eq!(m.insert("b".to_string(), 3), Some(2));
        *m.entry_or_default("c".to_string()) += 4;
        *m.entry_or_default("a".to_string()) += 10;
        let pairs: Vec<_> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(pairs, [("a", 11), ("b", 3), ("c", 4)]);
        assert_eq!(m.get("c"), Some(&4));
        assert_eq!(m.remove("a"), Some(11));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn round_trips_as_a_json_object_and_the_last_duplicate_wins() {
        let m: SmallMap<String, i64> =
            serde_json::from_str(r#"{"z": 1, "a": 2, "z": 3}"#).expect("a map decodes");
        assert_eq!(m.get("z"), Some(&3));
        assert_eq!(
            serde_json::to_string(&m).expect("encodes"),
            r#"{"a":2,"z":3}"#
        );
        assert!(serde_json::from_str::<SmallMap<String, i64>>("[1]").is_err());
    }
}
