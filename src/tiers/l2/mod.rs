//! L2: an in-memory model of Redis on simulated time.
//!
//! The model keeps its own clock, which only moves forward: the simulation moves it with
//! [`L2::advance_to`], and the console moves it with `DEBUG SLEEP`. Rust callers (the strategies)
//! use the typed methods here; text callers go through `exec`.

use crate::sim::{SimDuration, SimTime};
use std::collections::HashMap;

/// A value stored under a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A Redis string: any bytes.
    Str(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    expires_at: Option<SimTime>,
}

/// Errors the typed API can return (the same conditions Redis reports as error replies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L2Error {
    /// The key holds a value of another type.
    WrongType,
}

impl std::fmt::Display for L2Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            L2Error::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
        }
    }
}

impl std::error::Error for L2Error {}

/// Counters in the spirit of `INFO stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L2Stats {
    /// Reads that found their key.
    pub keyspace_hits: u64,
    /// Reads that did not.
    pub keyspace_misses: u64,
    /// Keys removed because their TTL passed.
    pub expired_keys: u64,
    /// Keys removed to stay under `maxmemory`.
    pub evicted_keys: u64,
}

/// The Redis model.
#[derive(Debug, Default)]
pub struct L2 {
    now: SimTime,
    keys: HashMap<Vec<u8>, Entry>,
    stats: L2Stats,
}

impl L2 {
    /// An empty database at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The model's current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Moves the clock forward to `t` (never back).
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    /// Drops `key` if its deadline has passed, counting it as expired (Redis's lazy expiry).
    fn expire_if_due(&mut self, key: &[u8]) {
        let due =
            matches!(self.keys.get(key), Some(Entry { expires_at: Some(t), .. }) if *t <= self.now);
        if due {
            self.keys.remove(key);
            self.stats.expired_keys += 1;
        }
    }

    /// `GET key`: the string under `key`, counting a keyspace hit or miss.
    ///
    /// ```
    /// use cachelab::{sim::{SimTime, SimDuration}, tiers::L2};
    /// let mut l2 = L2::new();
    /// l2.set(b"k", b"v", Some(SimDuration::from_secs(1))).unwrap();
    /// assert_eq!(l2.get(b"k").unwrap(), Some(b"v".to_vec()));
    /// l2.advance_to(SimTime(1_000_000));
    /// assert_eq!(l2.get(b"k").unwrap(), None);          // expired on access
    /// assert_eq!(l2.stats().expired_keys, 1);
    /// ```
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, L2Error> {
        self.expire_if_due(key);
        match self.keys.get(key) {
            Some(Entry {
                value: Value::Str(v),
                ..
            }) => {
                self.stats.keyspace_hits += 1;
                Ok(Some(v.clone()))
            }
            None => {
                self.stats.keyspace_misses += 1;
                Ok(None)
            }
        }
    }

    /// `SET key value [PX ttl]`: stores a string, replacing any value and TTL.
    pub fn set(
        &mut self,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
    ) -> Result<(), L2Error> {
        let expires_at = ttl.map(|d| self.now + d);
        self.keys.insert(
            key.to_vec(),
            Entry {
                value: Value::Str(value.to_vec()),
                expires_at,
            },
        );
        Ok(())
    }

    /// `SET key value NX [PX ttl]`: stores only if the key is absent; true if it stored.
    pub fn set_nx(
        &mut self,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
    ) -> Result<bool, L2Error> {
        self.expire_if_due(key);
        if self.keys.contains_key(key) {
            return Ok(false);
        }
        self.set(key, value, ttl)?;
        Ok(true)
    }

    /// `DEL key`: true if a (live) key was removed.
    pub fn del(&mut self, key: &[u8]) -> bool {
        self.expire_if_due(key);
        self.keys.remove(key).is_some()
    }

    /// The counters so far.
    pub fn stats(&self) -> L2Stats {
        self.stats
    }
}
