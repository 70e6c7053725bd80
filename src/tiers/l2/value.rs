//! The values a key can hold, and the per-key memory estimate that `maxmemory` is enforced
//! against.
//!
//! (The memory estimate is described in the module docs of `tiers::l2`.)

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Fixed cost of every key: its dict entry and the value object header.
pub const KEY_OVERHEAD: u64 = 40;
/// Extra cost of a key with a TTL: its entry in the `expires` dict.
pub const TTL_OVERHEAD: u64 = 24;

/// Extra cost of a list element over its bytes: its share of a quicklist node and its listpack
/// entry header.
pub const LIST_ELEMENT_OVERHEAD: u64 = 8;

/// Bytes an sds string of `len` bytes occupies (header + NUL, rounded up to 8).
///
/// ```
/// use cachelab::tiers::l2::sds_size;
/// assert_eq!(sds_size(0), 8);   // 1-byte header + NUL, rounded up
/// assert_eq!(sds_size(10), 16);
/// ```
pub fn sds_size(len: usize) -> u64 {
    let len = len as u64;
    let header = match len {
        0..32 => 1,
        32..256 => 3,
        256..65_536 => 5,
        _ => 9,
    };
    (len + header + 1).div_ceil(8) * 8
}

/// A sorted-set score: a float that is never NaN, so it can be ordered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(f64);

impl Score {
    /// Wraps `x`, or `None` for NaN (Redis refuses NaN scores).
    pub fn new(x: f64) -> Option<Score> {
        (!x.is_nan()).then_some(Score(x))
    }

    /// The float.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        // Never NaN (see `new`), so `partial_cmp` always answers; -0 and 0 compare equal, as in C.
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// A sorted set: members by name, and the same members ordered by (score, name).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SortedSet {
    scores: BTreeMap<Vec<u8>, Score>,
    ordered: BTreeSet<(Score, Vec<u8>)>,
}

impl SortedSet {
    /// The score of `member`, if present.
    pub fn score(&self, member: &[u8]) -> Option<Score> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score, adding it if absent. A score of -0 is stored as 0: Redis keeps a
    /// small sorted set in a listpack, which stores "-0" as the integer 0 (a sorted set that has
    /// outgrown it, which the model does not tell apart, would keep -0).
    pub fn insert(&mut self, member: &[u8], score: Score) {
        let score = Score(score.0 + 0.0);
        if let Some(old) = self.scores.insert(member.to_vec(), score) {
            self.ordered.remove(&(old, member.to_vec()));
        }
        self.ordered.insert((score, member.to_vec()));
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(old) => self.ordered.remove(&(old, member.to_vec())),
            None => false,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// Members in (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (f64, &[u8])> {
        self.ordered.iter().map(|(s, m)| (s.get(), m.as_slice()))
    }
}

/// A value stored under a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A Redis string: any bytes.
    Str(Vec<u8>),
    /// A set of distinct members.
    Set(BTreeSet<Vec<u8>>),
    /// A hash: field to value.
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    /// A sorted set.
    ZSet(SortedSet),
    /// A list: elements in order, pushed and popped at both ends.
    List(VecDeque<Vec<u8>>),
}

impl Value {
    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Set(_) => "set",
            Value::Hash(_) => "hash",
            Value::ZSet(_) => "zset",
            Value::List(_) => "list",
        }
    }

    /// The set, if this is one.
    pub fn as_set_mut(&mut self) -> Option<&mut BTreeSet<Vec<u8>>> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The hash, if this is one.
    pub fn as_hash_mut(&mut self) -> Option<&mut BTreeMap<Vec<u8>, Vec<u8>>> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list_mut(&mut self) -> Option<&mut VecDeque<Vec<u8>>> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// True for a collection with no elements (Redis deletes those; a string is never empty in
    /// this sense).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Set(s) => s.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            Value::List(l) => l.is_empty(),
        }
    }

    /// The sorted set, if this is one.
    pub fn as_zset_mut(&mut self) -> Option<&mut SortedSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The value's share of the memory estimate (see the module docs).
    pub fn memory(&self) -> u64 {
        match self {
            Value::Str(s) => sds_size(s.len()),
            Value::Set(s) => s.iter().map(|m| 24 + sds_size(m.len())).sum(),
            Value::Hash(h) => h
                .iter()
                .map(|(f, v)| 24 + sds_size(f.len()) + sds_size(v.len()))
                .sum(),
            Value::ZSet(z) => z.scores.keys().map(|m| 64 + sds_size(m.len())).sum(),
            Value::List(l) => l
                .iter()
                .map(|e| LIST_ELEMENT_OVERHEAD + sds_size(e.len()))
                .sum(),
        }
    }
}

/// The whole estimate for one key (see the module docs).
pub fn key_memory(key: &[u8], value: &Value, has_ttl: bool) -> u64 {
    KEY_OVERHEAD + sds_size(key.len()) + value.memory() + if has_ttl { TTL_OVERHEAD } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sds_headers_grow_with_length() {
        assert_eq!(sds_size(31), 40);
        assert_eq!(sds_size(32), 40);
        assert_eq!(sds_size(300), 312);
    }

    #[test]
    fn sorted_set_orders_by_score_then_member() {
        let mut z = SortedSet::default();
        z.insert(b"b", Score::new(1.0).unwrap());
        z.insert(b"a", Score::new(1.0).unwrap());
        z.insert(b"c", Score::new(0.5).unwrap());
        z.insert(b"c", Score::new(2.0).unwrap());
        let order: Vec<_> = z.iter().map(|(_, m)| m.to_vec()).collect();
        assert_eq!(order, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert!(z.remove(b"a") && !z.remove(b"a"));
        assert_eq!(z.len(), 2);
        assert!(Score::new(f64::NAN).is_none());
    }
}
