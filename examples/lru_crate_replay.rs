//! The baseline of the whole-process trace benchmark: the plainest replay a Rust programmer would
//! write with the `lru` crate — read the CSV `time,key,size`, count its unique keys, replay it
//! through an `LruCache` of 10 % of them, print the misses. `cachelab replay TRACE --policy lru
//! --size 0.1` does the same work (and prints the same misses) and is timed against it.
//!
//! ```sh
//! cargo build --release --example lru_crate_replay
//! time target/release/examples/lru_crate_replay ../shared/traces/zipf.csv
//! ```

use std::collections::HashSet;
use std::num::NonZeroUsize;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: lru_crate_replay TRACE.csv");
    let text = std::fs::read_to_string(&path).expect("read the trace");
    let keys: Vec<u64> = text
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .nth(1)
                .expect("a key field")
                .parse()
                .expect("a numeric key")
        })
        .collect();
    let unique = keys.iter().collect::<HashSet<_>>().len();
    let capacity = NonZeroUsize::new(unique / 10).expect("at least 10 unique keys");
    let mut cache = lru::LruCache::<u64, ()>::new(capacity);
    let mut misses = 0u64;
    for key in &keys {
        if cache.get(key).is_none() {
            misses += 1;
            cache.put(*key, ());
        }
    }
    println!(
        "{path}: {} requests, {unique} unique keys, {misses} misses",
        keys.len()
    );
}
