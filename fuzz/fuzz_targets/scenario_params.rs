//! Fuzzes `cachelab::fuzz::scenario_params` (see its docs). Run with `cargo +nightly fuzz run scenario_params` from the
//! crate root; `tests/fuzz_bodies.rs` runs the same body over seeded inputs on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cachelab::fuzz::scenario_params(data);
});
