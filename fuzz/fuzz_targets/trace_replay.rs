//! Fuzzes `cachelab::fuzz::trace_replay` (see its docs). Run with `cargo +nightly fuzz run trace_replay` from the
//! crate root; `tests/fuzz_bodies.rs` runs the same body over seeded inputs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cachelab::fuzz::trace_replay(data);
});
