//! Fuzzes the L2 console end to end: redis-cli line splitting, the command executor, expiry and
//! eviction. Run with `cargo +nightly fuzz run l2_exec` from the crate root; the same function
//! runs over a seeded random corpus in `tests/l2_fuzz_corpus.rs` on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cachelab::tiers::l2::fuzz_console(data);
});
