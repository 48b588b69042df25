//! Table keys.

use serde::{Deserialize, Serialize};

/// An object ID as a table key: cloning it (which copy-on-write tables do
/// for every key of a node they copy) is a reference count, not a string
/// copy.
pub type Id = std::sync::Arc<str>;

/// A job's identity: namespace and ID.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobKey {
    pub namespace: String,
    pub id: String,
}

/// A service registration's identity: namespace and registration ID
/// (the same shape as a job's).
pub type ServiceKey = JobKey;

impl JobKey {
    pub fn new(namespace: impl Into<String>, id: impl Into<String>) -> Self {
        JobKey {
            namespace: namespace.into(),
            id: id.into(),
        }
    }
}

/// An allocation ID as a table key. Servers make allocation IDs as
/// canonical lowercase UUIDs, kept here as two numbers: copying and
/// comparing them is cheap, and copy-on-write tables copy every key of a
/// node they copy (a million allocations, one copied node per insert).
/// Any other ID is kept as text. Keys order as their text does, so prefix
/// scans work on both.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AllocId {
    Uuid(u64, u64),
    Text(std::sync::Arc<str>),
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const DASHES: [usize; 4] = [8, 13, 18, 23];

impl AllocId {
    pub fn new(s: &str) -> Self {
        match parse_uuid(s) {
            Some(n) => AllocId::Uuid((n >> 64) as u64, n as u64),
            None => AllocId::Text(s.into()),
        }
    }

    /// The ID as text.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            AllocId::Uuid(hi, lo) => {
                let n = (u128::from(*hi) << 64) | u128::from(*lo);
                std::borrow::Cow::Owned(format_uuid(n))
            }
            AllocId::Text(t) => std::borrow::Cow::Borrowed(t),
        }
    }
}

impl From<&str> for AllocId {
    fn from(s: &str) -> Self {
        AllocId::new(s)
    }
}

impl Ord for AllocId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            // Canonical lowercase hex with dashes in fixed places orders
            // as the number does.
            (AllocId::Uuid(a, b), AllocId::Uuid(c, d)) => (a, b).cmp(&(c, d)),
            _ => self.text().cmp(&other.text()),
        }
    }
}

impl PartialOrd for AllocId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A canonical lowercase UUID (`8-4-4-4-12` hex digits) as a number.
fn parse_uuid(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut n: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if DASHES.contains(&i) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        n = (n << 4) | u128::from(v);
    }
    Some(n)
}

fn format_uuid(n: u128) -> String {
    let mut out = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let v = ((n >> (124 - 4 * i)) & 0xf) as usize;
        out.push(HEX[v] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_ids_round_trip_and_order_as_text() {
        let ids = [
            "",
            "0",
            "3d4c2402-0000-4000-8000-000000000000",
            "3d4c2402-ffff-4000-8000-000000000000",
            "3d4c2402-ffff-4000-8000-00000000000",
            "3D4C2402-FFFF-4000-8000-000000000000",
            "a1",
            "e4e25341-71ed-4918-8f18-bc71ed723c23",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "zzz",
        ];
        let keys: Vec<AllocId> = ids.iter().map(|s| AllocId::new(s)).collect();
        assert!(matches!(keys[2], AllocId::Uuid(..)));
        assert!(
            matches!(keys[5], AllocId::Text(_)),
            "only lowercase is canonical"
        );
        for (k, s) in keys.iter().zip(ids) {
            assert_eq!(k.text(), s);
        }
        for (a, sa) in keys.iter().zip(ids) {
            for (b, sb) in keys.iter().zip(ids) {
                assert_eq!(a.cmp(b), sa.cmp(sb), "{sa} vs {sb}");
                assert_eq!(a == b, sa == sb);
            }
        }
    }
}
