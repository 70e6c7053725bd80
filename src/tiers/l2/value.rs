//! The values a key can hold, and the per-key memory estimate that `maxmemory` is enforced
//! against.
//!
//! (The memory estimate is described in the module docs of `tiers::l2`.)

use crate::fxhash::FxHasher;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::hash::BuildHasherDefault;

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

/// A sorted-set member's share of the memory estimate.
fn zset_member_memory(member: &[u8]) -> u64 {
    64 + sds_size(member.len())
}

/// A set member's share of the memory estimate.
fn set_member_memory(member: &[u8]) -> u64 {
    24 + sds_size(member.len())
}

/// A set's members, with their share of the memory estimate kept up to date as they change:
/// summing it over the whole set after every `SADD` made a growing set cost quadratic time. The
/// members are hashed (a tag set of thousands of similar names costs one hash per `SADD`, not a
/// dozen comparisons of their common prefix) and sorted only when listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Members {
    members: HashSet<Vec<u8>, BuildHasherDefault<FxHasher>>,
    memory: u64,
}

impl Members {
    /// Adds `member`; true if it was new.
    pub fn insert(&mut self, member: Vec<u8>) -> bool {
        let cost = set_member_memory(&member);
        let added = self.members.insert(member);
        self.memory += if added { cost } else { 0 };
        added
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        let removed = self.members.remove(member);
        self.memory -= if removed {
            set_member_memory(member)
        } else {
            0
        };
        removed
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.members.contains(member)
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members in no particular order (for questions about all of them).
    pub fn iter(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.members.iter()
    }

    /// The members, sorted (so that listings are the same on every platform and run).
    pub fn sorted(&self) -> Vec<&Vec<u8>> {
        let mut all: Vec<&Vec<u8>> = self.members.iter().collect();
        all.sort_unstable();
        all
    }
}

/// A sorted set: members by name, and the same members ordered by (score, name), with their share
/// of the memory estimate kept up to date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SortedSet {
    scores: BTreeMap<Vec<u8>, Score>,
    ordered: BTreeSet<(Score, Vec<u8>)>,
    memory: u64,
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
        match self.scores.insert(member.to_vec(), score) {
            Some(old) => {
                self.ordered.remove(&(old, member.to_vec()));
            }
            None => self.memory += zset_member_memory(member),
        }
        self.ordered.insert((score, member.to_vec()));
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(old) => {
                self.memory -= zset_member_memory(member);
                self.ordered.remove(&(old, member.to_vec()))
            }
            None => false,
        }
    }

    /// Members whose score is at least `min`, in (score, member) order: found in logarithmic
    /// time, so a range near one end does not walk the whole set.
    pub fn iter_from(&self, min: f64) -> impl DoubleEndedIterator<Item = (f64, &[u8])> {
        use std::ops::Bound;
        let start = match Score::new(min) {
            Some(score) => Bound::Included((score, Vec::new())),
            None => Bound::Unbounded,
        };
        self.ordered
            .range((start, Bound::Unbounded))
            .map(|(s, m)| (s.get(), m.as_slice()))
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
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (f64, &[u8])> + ExactSizeIterator {
        self.ordered.iter().map(|(s, m)| (s.get(), m.as_slice()))
    }
}

/// A value stored under a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A Redis string: any bytes.
    Str(Vec<u8>),
    /// A set of distinct members.
    Set(Members),
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
    pub fn as_set_mut(&mut self) -> Option<&mut Members> {
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
            Value::Set(s) => s.memory,
            Value::Hash(h) => h
                .iter()
                .map(|(f, v)| 24 + sds_size(f.len()) + sds_size(v.len()))
                .sum(),
            Value::ZSet(z) => z.memory,
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
    fn collections_keep_their_memory_as_they_change() {
        let mut set = Members::default();
        assert!(set.insert(b"a".to_vec()) && set.insert(b"bb".to_vec()));
        assert!(!set.insert(b"a".to_vec()) && set.remove(b"a") && !set.remove(b"a"));
        let sum = |v: &Value| match v {
            Value::Set(s) => s.sorted().iter().map(|m| set_member_memory(m)).sum::<u64>(),
            Value::ZSet(z) => z.iter().map(|(_, m)| zset_member_memory(m)).sum(),
            _ => 0,
        };
        let set = Value::Set(set);
        assert_eq!(set.memory(), sum(&set));
        let mut z = SortedSet::default();
        for (score, m) in [(1.0, &b"x"[..]), (2.0, b"y"), (3.0, b"x")] {
            z.insert(m, Score::new(score).unwrap());
        }
        z.remove(b"y");
        let z = Value::ZSet(z);
        assert_eq!(z.memory(), sum(&z));
        assert_eq!(z.memory(), zset_member_memory(b"x"));
    }

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
