//! One replay per policy on a seeded synthetic trace, with its miss count pinned: the native
//! suite (`tests/policy_platforms.rs`) and the wasm suite (`tests/policy_wasm.rs`) assert the same
//! numbers, through the one body [`assert_pinned`], so the policies give identical results
//! natively and in the browser.

// Each test binary that includes this file uses a different part of it.
#![allow(dead_code)]

use cachelab::policy::{build, replay::replay, Access, Capacity};
use cachelab::workload::{Pattern, Request, Synthetic};
use std::num::NonZeroU64;

/// `(policy, misses)`: Zipf (skew 0.9) over 2,000 keys, 20,000 requests, seed 7, sizes 1..=100
/// bytes; object mode with 200 objects, then byte mode with 10,000 bytes.
pub const PINNED: [(&str, u64, u64); 9] = [
    ("lru", 9972, 9953),
    ("fifo", 10956, 10917),
    ("clock", 9707, 9696),
    ("sieve", 8381, 8298),
    ("s3fifo", 8380, 8294),
    ("lfu", 8466, 8399),
    ("arc", 8649, 8507),
    ("wtinylfu", 8179, 7777),
    ("belady", 5951, 5932),
];

/// The trace behind [`PINNED`].
pub fn trace() -> Vec<Access> {
    let requests: Vec<Request> = Synthetic::new(
        Pattern::Zipf {
            keys: 2_000,
            skew: 0.9,
        },
        20_000,
        7,
    )
    .expect("valid pattern")
    .with_max_size(100)
    .collect();
    Access::from_trace(&requests)
}

/// Misses of `policy` on [`trace`] in object mode (200 objects) and byte mode (10,000 bytes).
pub fn misses(policy: &str, trace: &[Access]) -> (u64, u64) {
    let run = |capacity| {
        let mut cache = build(policy, capacity).expect("known policy");
        replay(cache.as_mut(), trace.iter().copied()).misses
    };
    (
        run(Capacity::Objects(NonZeroU64::new(200).unwrap())),
        run(Capacity::Bytes(NonZeroU64::new(10_000).unwrap())),
    )
}

/// The test body both suites run: every policy's misses on [`trace`] are the [`PINNED`] ones.
pub fn assert_pinned() {
    let trace = trace();
    for (policy, objects, bytes) in PINNED {
        assert_eq!(misses(policy, &trace), (objects, bytes), "{policy}");
    }
}
