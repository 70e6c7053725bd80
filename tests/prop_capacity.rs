#![cfg(not(target_arch = "wasm32"))]
//! Property: a cache never holds more than its capacity, and what it says it holds is true.
//!
//! The L1 is driven by random put/get/remove sequences next to a plain `Vec` LRU (index 0 = least
//! recently used); every policy is driven by random traces while a ledger of what it holds is
//! kept from its own reports (inserted on a miss, removed when listed as evicted). After every
//! request the cache's occupancy must fit its capacity and equal the ledger's, and a hit must be
//! for a key the ledger holds: a policy that dropped an object without reporting it, or kept one
//! it reported evicted, fails here.

use cachelab::policy::{build, Access, Capacity, Outcome, POLICY_NAMES};
use cachelab::sim::SimTime;
use cachelab::tiers::L1;
use cachelab::workload::Request;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::num::{NonZeroU64, NonZeroUsize};

#[derive(Clone, Debug)]
enum L1Op {
    Put(u8, u32),
    Get(u8),
    Remove(u8),
}

fn l1_op() -> impl Strategy<Value = L1Op> {
    let key = 0u8..12;
    prop_oneof![
        3 => (key.clone(), any::<u32>()).prop_map(|(k, v)| L1Op::Put(k, v)),
        3 => key.clone().prop_map(L1Op::Get),
        1 => key.prop_map(L1Op::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn l1_stays_within_capacity_and_behaves_as_lru(
        capacity in 1usize..8,
        ops in prop::collection::vec(l1_op(), 1..200),
    ) {
        let now = SimTime::ZERO;
        let mut l1 = L1::new(NonZeroUsize::new(capacity).unwrap());
        let mut reference: Vec<(u8, u32)> = Vec::new();
        let (mut gets, mut hits) = (0, 0);
        for op in ops {
            match op {
                L1Op::Put(k, v) => {
                    let expected = match reference.iter().position(|e| e.0 == k) {
                        Some(i) => {
                            reference.remove(i);
                            None
                        }
                        None if reference.len() == capacity => Some(reference.remove(0)),
                        None => None,
                    };
                    reference.push((k, v));
                    prop_assert_eq!(l1.put(now, k, v, None), expected);
                }
                L1Op::Get(k) => {
                    gets += 1;
                    let expected = reference.iter().position(|e| e.0 == k).map(|i| {
                        let e = reference.remove(i);
                        reference.push(e);
                        e.1
                    });
                    hits += u64::from(expected.is_some());
                    prop_assert_eq!(l1.get(now, &k).copied(), expected);
                }
                L1Op::Remove(k) => {
                    let expected = reference.iter().position(|e| e.0 == k).map(|i| reference.remove(i).1);
                    prop_assert_eq!(l1.remove(&k), expected);
                }
            }
            prop_assert!(l1.len() <= capacity, "{} entries in a cache of {}", l1.len(), capacity);
            prop_assert_eq!(l1.len(), reference.len());
        }
        prop_assert_eq!(l1.hits(), hits);
        prop_assert_eq!(l1.hits() + l1.misses(), gets);
    }

    #[test]
    fn policies_stay_within_capacity_and_report_every_eviction(
        bytes in any::<bool>(),
        units in 1u64..64,
        trace in prop::collection::vec((0u64..40, 1u32..20), 1..300),
    ) {
        let units = NonZeroU64::new(units).unwrap();
        let capacity = if bytes { Capacity::Bytes(units) } else { Capacity::Objects(units) };
        let requests: Vec<Request> = trace
            .iter()
            .enumerate()
            .map(|(i, &(key, size))| Request { time: i as u64, key, size })
            .collect();
        // Next accesses filled in for Belady; the other policies ignore them.
        let accesses = Access::from_trace(&requests);
        for name in POLICY_NAMES {
            let mut cache = build(name, capacity).unwrap();
            let mut held: BTreeMap<u64, u64> = BTreeMap::new();
            let mut evicted = Vec::new();
            for (i, access) in accesses.iter().enumerate() {
                evicted.clear();
                let was_held = held.contains_key(&access.key);
                let outcome = cache.access(access, &mut evicted);
                prop_assert_eq!(outcome.is_hit(), was_held, "{} request {}: {:?}", name, i, outcome);
                for key in &evicted {
                    prop_assert!(held.remove(key).is_some(), "{} request {}: evicted {} it did not hold", name, i, key);
                }
                let charge = u64::from(capacity.charge(access.size));
                match outcome {
                    Outcome::Inserted => {
                        prop_assert!(charge <= units.get());
                        held.insert(access.key, charge);
                    }
                    Outcome::TooLarge => prop_assert!(charge > units.get()),
                    Outcome::Hit => prop_assert!(evicted.is_empty(), "{} evicted on a hit", name),
                }
                prop_assert!(cache.used() <= units.get(), "{} request {}: {} used of {}", name, i, cache.used(), units);
                prop_assert_eq!(cache.used(), held.values().sum::<u64>(), "{} request {}", name, i);
            }
        }
    }
}
