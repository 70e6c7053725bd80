//! Memory per cached object at one million objects, per policy, from each policy's
//! `memory_bytes()` (capacities of its vectors and tables × element sizes).
//!
//! Every policy is filled by a scan of two million distinct keys, so the cache is full and
//! S3-FIFO's ghost holds its 900,000 keys. (A scan leaves ARC's ghost lists empty; at their
//! largest they add one node and one table entry per cached object, about S3-FIFO's figure.)
//! The table is printed (`cargo test --release --test policy_memory -- --nocapture`) and bounded.

use cachelab::policy::replay::replay;
use cachelab::policy::{build, Access, Capacity, POLICY_NAMES};
use std::num::NonZeroU64;

const OBJECTS: u64 = 1_000_000;

#[test]
fn bytes_per_cached_object_at_one_million() {
    let capacity = Capacity::Objects(NonZeroU64::new(OBJECTS).unwrap());
    println!("{:<10} {:>14} {:>10}", "policy", "bytes", "per object");
    for name in POLICY_NAMES {
        let mut cache = build(name, capacity).unwrap();
        let scan = (0..2 * OBJECTS).map(|key| Access {
            key,
            size: 1,
            next_access: Access::NEVER,
        });
        let counts = replay(cache.as_mut(), scan);
        assert_eq!(counts.misses, 2 * OBJECTS);
        assert_eq!(cache.used(), OBJECTS, "{name} is full");
        let bytes = cache.memory_bytes();
        let per_object = bytes as f64 / OBJECTS as f64;
        println!("{name:<10} {bytes:>14} {per_object:>10.1}");
        // Arena (24 B a node) + map (17 B a bucket at a load of 7/16..7/8), ghosts counted: nothing
        // should come near 160 B, and single-queue policies stay under 96 B.
        assert!(per_object < 160.0, "{name}: {per_object} B per object");
        if ["lru", "fifo", "clock", "sieve"].contains(&name) {
            assert!(per_object < 96.0, "{name}: {per_object} B per object");
        }
    }
}
