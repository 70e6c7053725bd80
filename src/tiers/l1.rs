//! L1: the in-process cache, an LRU (the `lru` crate) with an optional TTL per entry — or, as
//! [`L1::plain_dict`], the course chapter's L1: a dictionary that forgets its oldest insertion
//! when full and keeps everything else for ever.
//!
//! Hits and misses are counted here, by the cache itself, so every caller counts the same way:
//! an expired entry is a miss and is dropped on the spot (lazy expiry, as an in-process cache
//! without a background thread would do).

use crate::sim::SimTime;
use lru::LruCache;
use std::hash::Hash;
use std::num::NonZeroUsize;

/// An LRU cache of bounded size whose entries may carry a deadline.
#[derive(Debug)]
pub struct L1<K: Hash + Eq, V> {
    entries: LruCache<K, (V, Option<SimTime>)>,
    kind: Kind,
    hits: u64,
    misses: u64,
}

/// How an L1 orders and ages its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Least recently used goes first; an entry's deadline ends it.
    Lru,
    /// Oldest insertion goes first and reads do not reorder; deadlines are ignored.
    PlainDict,
}

impl<K: Hash + Eq, V> L1<K, V> {
    /// An empty cache holding at most `capacity` entries.
    pub fn new(capacity: NonZeroUsize) -> Self {
        L1 {
            entries: LruCache::new(capacity),
            kind: Kind::Lru,
            hits: 0,
            misses: 0,
        }
    }

    /// The chapter's `MultiLayerCache` L1: a plain dictionary that, when full, drops the key it
    /// was given first (insertion order: a hit does not keep a key) and otherwise keeps every
    /// entry for ever, whatever deadline it is given — so nothing but eviction ends a copy.
    ///
    /// ```
    /// use cachelab::{sim::{SimTime, SimDuration}, tiers::L1};
    /// use std::num::NonZeroUsize;
    /// let mut l1 = L1::plain_dict(NonZeroUsize::new(2).unwrap());
    /// l1.put(SimTime(0), "a", 1, Some(SimTime(0) + SimDuration::from_secs(1)));
    /// l1.put(SimTime(0), "b", 2, None);
    /// assert_eq!(l1.get(SimTime(3_600_000_000), &"a"), Some(&1)); // an hour on: still there
    /// assert_eq!(l1.put(SimTime(0), "c", 3, None), Some(("a", 1))); // read or not, first in goes
    /// ```
    pub fn plain_dict(capacity: NonZeroUsize) -> Self {
        L1 {
            kind: Kind::PlainDict,
            ..L1::new(capacity)
        }
    }

    /// Looks `key` up at time `now`, promoting it to most recently used on a hit.
    ///
    /// ```
    /// use cachelab::{sim::{SimTime, SimDuration}, tiers::L1};
    /// use std::num::NonZeroUsize;
    /// let mut l1 = L1::new(NonZeroUsize::new(2).unwrap());
    /// l1.put(SimTime(0), "a", 1, Some(SimTime(0) + SimDuration::from_secs(1)));
    /// assert_eq!(l1.get(SimTime(10), &"a"), Some(&1));      // fresh: a hit
    /// assert_eq!(l1.get(SimTime(1_000_000), &"a"), None);  // at its deadline: expired, a miss
    /// assert_eq!((l1.hits(), l1.misses()), (1, 1));
    /// ```
    pub fn get(&mut self, now: SimTime, key: &K) -> Option<&V> {
        let expired =
            matches!(self.entries.peek(key), Some((_, Some(deadline))) if *deadline <= now);
        if expired {
            self.entries.pop(key);
        }
        let found = match self.kind {
            Kind::Lru => self.entries.get(key),
            Kind::PlainDict => self.entries.peek(key),
        };
        match found {
            Some((v, _)) => {
                self.hits += 1;
                Some(v)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Looks `key` up without promoting it or counting anything (expired entries read as absent).
    pub fn peek(&self, now: SimTime, key: &K) -> Option<&V> {
        match self.entries.peek(key) {
            Some((_, Some(deadline))) if *deadline <= now => None,
            Some((v, _)) => Some(v),
            None => None,
        }
    }

    /// Stores `value` under `key` until `deadline` (or forever), and returns the entry it pushed
    /// out to make room, if any, so that callers can count evictions honestly.
    ///
    /// ```
    /// use cachelab::{sim::SimTime, tiers::L1};
    /// use std::num::NonZeroUsize;
    /// let mut l1 = L1::new(NonZeroUsize::new(1).unwrap());
    /// assert_eq!(l1.put(SimTime(0), 1, "one", None), None);
    /// assert_eq!(l1.put(SimTime(0), 2, "two", None), Some((1, "one")));
    /// ```
    pub fn put(
        &mut self,
        _now: SimTime,
        key: K,
        value: V,
        deadline: Option<SimTime>,
    ) -> Option<(K, V)> {
        let deadline = match self.kind {
            Kind::Lru => deadline,
            Kind::PlainDict => None,
        };
        match self.entries.push(key, (value, deadline)) {
            // `push` also returns the old value when the key was already present: that is a
            // replacement, not an eviction.
            Some((k, (v, _))) if !self.entries.contains(&k) => Some((k, v)),
            _ => None,
        }
    }

    /// The entries a lookup at `now` would find, in no particular order, without counting or
    /// promoting anything.
    pub fn live(&self, now: SimTime) -> impl Iterator<Item = (&K, &V)> {
        self.entries
            .iter()
            .filter(move |(_, (_, deadline))| deadline.is_none_or(|d| d > now))
            .map(|(k, (v, _))| (k, v))
    }

    /// Drops `key`, returning its value if it was there (expired or not).
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.pop(key).map(|(v, _)| v)
    }

    /// Drops every entry (the process restarted); the hit and miss counters stay.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries held, including expired ones not yet looked at.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lookups that found a fresh entry.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Lookups that found nothing, or an expired entry.
    pub fn misses(&self) -> u64 {
        self.misses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    #[test]
    fn least_recently_used_goes_first() {
        let mut l1 = L1::new(cap(2));
        l1.put(SimTime(0), 1, (), None);
        l1.put(SimTime(0), 2, (), None);
        l1.get(SimTime(0), &1); // 2 is now the oldest
        assert_eq!(l1.put(SimTime(0), 3, (), None), Some((2, ())));
        assert!(l1.peek(SimTime(0), &1).is_some());
    }

    #[test]
    fn replacing_a_key_is_not_an_eviction() {
        let mut l1 = L1::new(cap(2));
        l1.put(SimTime(0), 1, "a", None);
        assert_eq!(l1.put(SimTime(0), 1, "b", None), None);
        assert_eq!(l1.peek(SimTime(0), &1), Some(&"b"));
    }

    #[test]
    fn peek_neither_counts_nor_promotes() {
        let mut l1 = L1::new(cap(2));
        l1.put(SimTime(0), 1, (), None);
        l1.put(SimTime(0), 2, (), None);
        l1.peek(SimTime(0), &1);
        assert_eq!(l1.put(SimTime(0), 3, (), None), Some((1, ())));
        assert_eq!((l1.hits(), l1.misses()), (0, 0));
    }
}
