//! Why each miss happened: every miss of a policy is
//! - **compulsory** if it is the key's first request (no cache could have hit it),
//! - **capacity** if Belady's optimum at the same size misses that request too (no policy of this
//!   size could have hit it), or
//! - **policy** if Belady hits it (a better choice of victims would have).
//!
//! So the compulsory and capacity misses are the part of a miss ratio that is unavoidable at this
//! size, and the policy misses are how far the policy is from optimal.
//!
//! This needs each request's next access (for Belady), so the trace is held in memory; the
//! replay itself streams, and only adds these counts to its rows when asked ([`classify`]).

use super::replay::Report;
use super::{build, Access, Capacity, Policy};
use crate::error::Result;
use crate::policy::FxMap;
use serde::Serialize;
use std::num::NonZeroU64;

/// A policy's misses by cause; they sum to its misses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MissClasses {
    /// Misses on a key's first request.
    pub compulsory_misses: u64,
    /// Other misses that Belady at the same size also has.
    pub capacity_misses: u64,
    /// Misses that Belady at the same size avoids.
    pub policy_misses: u64,
}

impl MissClasses {
    /// All misses.
    pub fn total(&self) -> u64 {
        self.compulsory_misses + self.capacity_misses + self.policy_misses
    }
}

/// Which requests of `trace` Belady misses at `capacity`.
pub fn belady_misses(trace: &[Access], capacity: Capacity) -> Result<Vec<bool>> {
    let mut belady = build("belady", capacity)?;
    Ok(misses_of(belady.as_mut(), trace))
}

/// Which requests of `trace` `policy` misses.
fn misses_of(policy: &mut dyn Policy, trace: &[Access]) -> Vec<bool> {
    let mut evicted = Vec::new();
    trace
        .iter()
        .map(|request| {
            evicted.clear();
            !policy.access(request, &mut evicted).is_hit()
        })
        .collect()
}

/// Classifies the misses of `policy` (fresh) on `trace`, given Belady's misses at the same size.
///
/// ```
/// use cachelab::policy::{build, classes, Access, Capacity};
/// use cachelab::workload::Request;
/// use std::num::NonZeroU64;
/// // A loop over 3 keys through 2 slots: LRU misses all 9; Belady 2 of the last 6.
/// let requests: Vec<Request> = (0..9).map(|i| Request { time: i, key: i % 3, size: 1 }).collect();
/// let trace = Access::from_trace(&requests);
/// let capacity = Capacity::Objects(NonZeroU64::new(2).unwrap());
/// let optimum = classes::belady_misses(&trace, capacity).unwrap();
/// let lru = classes::classify(build("lru", capacity).unwrap().as_mut(), &trace, &optimum);
/// assert_eq!((lru.compulsory_misses, lru.capacity_misses, lru.policy_misses), (3, 3, 3));
/// ```
pub fn classify(policy: &mut dyn Policy, trace: &[Access], belady: &[bool]) -> MissClasses {
    let mut seen = FxMap::<()>::default();
    let mut classes = MissClasses::default();
    let mut evicted = Vec::new();
    for (request, &optimum_missed) in trace.iter().zip(belady) {
        evicted.clear();
        let hit = policy.access(request, &mut evicted).is_hit();
        let first = seen.insert(request.key, ()).is_none();
        if hit {
            continue;
        }
        if first {
            classes.compulsory_misses += 1;
        } else if optimum_missed {
            classes.capacity_misses += 1;
        } else {
            classes.policy_misses += 1;
        }
    }
    classes
}

/// Fills in every row's miss classes, replaying `trace` (the report's requests) once more per
/// row and once through Belady per distinct size.
pub fn add_to_report(report: &mut Report, trace: &[Access]) -> Result<()> {
    let mut optima: Vec<(Capacity, Vec<bool>)> = Vec::new();
    for row in &mut report.rows {
        let capacity = row_capacity(row.capacity, row.unit)?;
        let at = match optima.iter().position(|(c, _)| *c == capacity) {
            Some(at) => at,
            None => {
                optima.push((capacity, belady_misses(trace, capacity)?));
                optima.len() - 1
            }
        };
        let mut policy = build(&row.policy, capacity)?;
        let classes = classify(policy.as_mut(), trace, &optima[at].1);
        row.classes = Some(classes);
    }
    Ok(())
}

/// The capacity a report row names (its `unit` is one of [`Capacity::unit_name`]'s).
fn row_capacity(units: u64, unit: &str) -> Result<Capacity> {
    let n = NonZeroU64::new(units).ok_or_else(|| crate::Error::Parse {
        what: "report row".into(),
        detail: "capacity 0".into(),
    })?;
    let bytes = Capacity::Bytes(n);
    Ok(if unit == bytes.unit_name() {
        bytes
    } else {
        Capacity::Objects(n)
    })
}
