//! Eviction policies and the replay driver that runs a trace through them.
//!
//! Which objects should a full cache throw out? Each policy here answers differently, and replaying
//! a real request trace shows which answer misses least. The definitions follow the reference
//! simulator libCacheSim (repository `1a1a11a/libCacheSim`, commit `aa0fc40914b2`) rule for rule, so
//! that the same trace and capacity give the same miss count.
//!
//! ## Layout
//!
//! - [`Policy`]: one request in (key, size), hit or miss out, plus the keys it evicted.
//! - [`Cache`]: the driver rules shared by every policy (see below), wrapped around an
//!   [`Evictor`] that only knows how to look up, evict one object and insert.
//! - The evictors: [`Fifo`], [`Lru`], [`Clock`], [`Sieve`], [`Lfu`], [`S3Fifo`], [`Arc`],
//!   [`WTinyLfu`] and [`Belady`] (the offline optimum, which needs each request's next access).
//! - `slots`: the storage most policies share (a key → slot map with a fast hasher, an arena of
//!   nodes and intrusive queues of `u32` indices). S3-FIFO, whose queues are all plain FIFOs,
//!   keeps its objects in the hash table's own buckets and queues bucket numbers instead.
//! - [`sweep`]: the same experiments over a trace decoded once into memory, on every core.
//! - [`mrc`]: miss-ratio curves in one pass (exact LRU stack distances, SHARDS, MiniSim).
//! - [`replay`]: whole-trace experiments (capacities as fractions or absolute sizes, one pass for
//!   many policies, the JSON report the faces print).
//! - [`inspect`], [`step`]: every policy's complete state and the rule behind each eviction, for
//!   stepping through a small cache one request at a time (free for the replay: see [`inspect`]).
//! - [`classes`]: each miss as compulsory, capacity or policy (against Belady at the same size).
//!
//! ## Driver rules (libCacheSim's `cache_get_base`)
//!
//! Every request counts; there is no warm-up. A hit updates the policy's metadata but not the
//! object's stored size. On a miss, an object larger than the whole cache is not inserted (it still
//! counts as a miss); otherwise the policy evicts until `used + size <= capacity`, then inserts.

mod arc;
mod belady;
mod clock;
pub mod inspect;
mod lfu;
mod lists;
mod s3fifo;
mod slots;
mod tinylfu;

pub mod chunked;
pub mod classes;
pub mod mrc;
pub mod replay;
pub mod step;
pub mod sweep;

pub use crate::fxhash::FxHasher;
pub use arc::Arc;
pub use belady::{Belady, FURTHEST_FIRST};
pub use clock::{Clock, Sieve};
pub use lfu::{Lfu, LOWEST_FIRST};
pub use lists::{Fifo, Lru};
pub use s3fifo::S3Fifo;
pub use slots::FxMap;
pub use tinylfu::{FrequencySketch, WTinyLfu};

use crate::error::{Error, Result};
use inspect::{Explain, Rule, Snapshot};
use std::num::NonZeroU64;

/// One request as a policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The object's id.
    pub key: u64,
    /// The object's size in bytes (ignored in object-count mode).
    pub size: u32,
    /// Index of the next request for the same key, or [`Access::NEVER`]. Only [`Belady`] reads
    /// it; other policies work with any value.
    pub next_access: u64,
}

impl Access {
    /// `next_access` of an object that is never requested again.
    pub const NEVER: u64 = u64::MAX;

    /// A request whose future is unknown (fine for every policy but Belady).
    pub fn new(key: u64, size: u32) -> Self {
        Access {
            key,
            size,
            next_access: Access::NEVER,
        }
    }

    /// A whole trace's requests, each with its next access filled in (what Belady needs).
    ///
    /// ```
    /// use cachelab::policy::Access;
    /// use cachelab::workload::Request;
    /// let r = |key| Request { time: 0, key, size: 1 };
    /// let next: Vec<u64> = Access::from_trace(&[r(5), r(6), r(5)]).iter().map(|a| a.next_access).collect();
    /// assert_eq!(next, [2, Access::NEVER, Access::NEVER]);
    /// ```
    pub fn from_trace(requests: &[crate::workload::Request]) -> Vec<Access> {
        requests
            .iter()
            .zip(crate::workload::next_accesses(requests))
            .map(|(r, next_access)| Access {
                key: r.key,
                size: r.size,
                next_access,
            })
            .collect()
    }
}

/// How much a cache holds: a number of objects, or a number of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capacity {
    /// Every object counts as 1.
    Objects(NonZeroU64),
    /// Every object counts as its size in bytes.
    Bytes(NonZeroU64),
}

impl Capacity {
    /// The capacity in the units objects are charged in.
    pub fn units(self) -> u64 {
        match self {
            Capacity::Objects(n) | Capacity::Bytes(n) => n.get(),
        }
    }

    /// What one object costs: 1, or its size.
    #[inline]
    pub fn charge(self, size: u32) -> u32 {
        match self {
            Capacity::Objects(_) => 1,
            Capacity::Bytes(_) => size,
        }
    }

    /// `"objects"` or `"bytes"`.
    pub fn unit_name(self) -> &'static str {
        match self {
            Capacity::Objects(_) => "objects",
            Capacity::Bytes(_) => "bytes",
        }
    }
}

/// What one request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The object was cached.
    Hit,
    /// A miss; the object is now cached.
    Inserted,
    /// A miss for an object larger than the whole cache; it was not inserted.
    TooLarge,
}

impl Outcome {
    /// True for [`Outcome::Hit`].
    pub fn is_hit(self) -> bool {
        self == Outcome::Hit
    }
}

/// A cache with an eviction policy: one request in, hit or miss out.
pub trait Policy {
    /// The policy's name, as the CLI spells it (`"lru"`, `"s3fifo"`).
    fn name(&self) -> &'static str;
    /// The capacity it was built with.
    fn capacity(&self) -> Capacity;
    /// Serves one request and appends the keys it evicted to `evicted` (ghost entries that a
    /// policy forgets are not evictions: they were not cached).
    fn access(&mut self, request: &Access, evicted: &mut Vec<u64>) -> Outcome;
    /// Units (objects or bytes) cached now.
    fn used(&self) -> u64;
    /// Bytes its data structures have allocated (capacities × element sizes).
    fn memory_bytes(&self) -> usize;
    /// [`Policy::access`], also appending to `rules` what the policy did and why (see
    /// [`inspect`]). Slower; for stepping through small caches, never for replays.
    fn access_explained(
        &mut self,
        request: &Access,
        evicted: &mut Vec<u64>,
        rules: &mut Vec<Rule>,
    ) -> Outcome;
    /// The policy's complete state (see [`inspect`]); reads every object, so for small caches.
    fn snapshot(&self) -> Snapshot;
}

/// The policy-specific part of a cache: what the driver in [`Cache`] calls.
///
/// `size` arguments are already charged (1 in object mode). The driver guarantees that `evict`
/// is only called while something is cached and that `insert` follows a failed `lookup` of the
/// same key after the evictions.
pub trait Evictor {
    /// The policy's name.
    const NAME: &'static str;
    /// What a hit does, for [`Rule::Hit`] (`"the object moves to the head"`).
    const ON_HIT: &'static str;
    /// Where a miss is inserted, for [`Rule::Insert`].
    const ON_INSERT: &'static str;
    /// Looks `request.key` up; on a hit updates the metadata and returns true. A miss may record
    /// state for the `insert` that follows (a ghost hit), and tell `why` about it.
    fn lookup(&mut self, request: &Access, why: &mut impl Explain) -> bool;
    /// Evicts at least one cached object to make room for an object of `size` units, telling
    /// `why` the rule that chose each victim.
    fn evict(&mut self, size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain);
    /// Inserts the object of the last failed lookup.
    fn insert(&mut self, request: &Access, size: u32);
    /// Every structure and per-object number the policy keeps.
    fn snapshot(&self) -> Snapshot;
    /// Units cached now.
    fn used(&self) -> u64;
    /// Bytes allocated by its data structures.
    fn memory_bytes(&self) -> usize;
}

/// A policy behind libCacheSim's driver rules.
///
/// ```
/// use cachelab::policy::{Access, Cache, Capacity, Lru, Policy};
/// use std::num::NonZeroU64;
/// let capacity = Capacity::Objects(NonZeroU64::new(2).unwrap());
/// let mut lru = Cache::<Lru>::new(capacity);
/// let mut evicted = Vec::new();
/// // 1 and 2 fill the cache; touching 1 makes 2 the least recently used, so 3 pushes 2 out.
/// for key in [1, 2, 1, 3] {
///     lru.access(&Access::new(key, 100), &mut evicted);
/// }
/// assert_eq!(evicted, [2]);
/// assert!(lru.access(&Access::new(1, 100), &mut evicted).is_hit());
/// ```
#[derive(Clone, Debug)]
pub struct Cache<E> {
    capacity: Capacity,
    evictor: E,
}

/// How an evictor is built from the capacity it must respect.
pub trait FromCapacity {
    /// A fresh, empty evictor for `capacity` units.
    fn with_capacity(capacity: u64) -> Self;
}

impl<E: Evictor + FromCapacity> Cache<E> {
    /// An empty cache of the given capacity.
    pub fn new(capacity: Capacity) -> Self {
        Cache {
            capacity,
            evictor: E::with_capacity(capacity.units()),
        }
    }
}

impl<E: Evictor> Cache<E> {
    /// The driver rules, telling `why` what happened: `()` for replays (free), a `Vec<Rule>`
    /// for the stepper.
    #[inline]
    fn serve(
        &mut self,
        request: &Access,
        evicted: &mut Vec<u64>,
        why: &mut impl Explain,
    ) -> Outcome {
        if self.evictor.lookup(request, why) {
            why.note(|| Rule::Hit { what: E::ON_HIT });
            return Outcome::Hit;
        }
        let size = self.capacity.charge(request.size);
        let capacity = self.capacity.units();
        if u64::from(size) > capacity {
            why.note(|| Rule::TooLarge);
            return Outcome::TooLarge;
        }
        while self.evictor.used() + u64::from(size) > capacity {
            self.evictor.evict(size, evicted, why);
        }
        self.evictor.insert(request, size);
        why.note(|| Rule::Insert { what: E::ON_INSERT });
        Outcome::Inserted
    }
}

impl<E: Evictor> Policy for Cache<E> {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn capacity(&self) -> Capacity {
        self.capacity
    }

    #[inline]
    fn access(&mut self, request: &Access, evicted: &mut Vec<u64>) -> Outcome {
        self.serve(request, evicted, &mut ())
    }

    fn access_explained(
        &mut self,
        request: &Access,
        evicted: &mut Vec<u64>,
        rules: &mut Vec<Rule>,
    ) -> Outcome {
        self.serve(request, evicted, rules)
    }

    fn snapshot(&self) -> Snapshot {
        self.evictor.snapshot()
    }

    fn used(&self) -> u64 {
        self.evictor.used()
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.evictor.memory_bytes()
    }
}

/// Every policy by name, in the order the CLI lists them.
pub const POLICY_NAMES: [&str; 9] = [
    "lru", "fifo", "clock", "sieve", "s3fifo", "lfu", "arc", "wtinylfu", "belady",
];

/// Builds the policy called `name` (case-insensitive; `s3-fifo`, `w-tinylfu`, `tinylfu`, `opt`
/// and `min` are accepted aliases).
///
/// ```
/// use cachelab::policy::{build, Capacity};
/// use std::num::NonZeroU64;
/// let sieve = build("SIEVE", Capacity::Objects(NonZeroU64::new(10).unwrap())).unwrap();
/// assert_eq!(sieve.name(), "sieve");
/// assert!(build("random", Capacity::Objects(NonZeroU64::MIN)).is_err());
/// ```
pub fn build(name: &str, capacity: Capacity) -> Result<Box<dyn Policy>> {
    let boxed: Box<dyn Policy> = match canonical_name(name)? {
        "lru" => Box::new(Cache::<Lru>::new(capacity)),
        "fifo" => Box::new(Cache::<Fifo>::new(capacity)),
        "clock" => Box::new(Cache::<Clock>::new(capacity)),
        "sieve" => Box::new(Cache::<Sieve>::new(capacity)),
        "s3fifo" => Box::new(Cache::<S3Fifo>::new(capacity)),
        "lfu" => Box::new(Cache::<Lfu>::new(capacity)),
        "arc" => Box::new(Cache::<Arc>::new(capacity)),
        "wtinylfu" => Box::new(Cache::<WTinyLfu>::new(capacity)),
        _ => Box::new(Cache::<Belady>::new(capacity)),
    };
    Ok(boxed)
}

/// The canonical spelling of a policy name, or an error listing the known ones.
pub fn canonical_name(name: &str) -> Result<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    let alias = match lower.as_str() {
        "s3-fifo" => "s3fifo",
        "w-tinylfu" | "tinylfu" => "wtinylfu",
        "opt" | "min" => "belady",
        other => other,
    };
    POLICY_NAMES
        .iter()
        .copied()
        .find(|known| *known == alias)
        .ok_or_else(|| Error::UnknownName {
            kind: "policy",
            name: name.to_string(),
            known: POLICY_NAMES.iter().map(|s| s.to_string()).collect(),
        })
}
