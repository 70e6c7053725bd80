//! Fuzzes `cachelab::fuzz::link_decode` (see its docs). Run with `cargo +nightly fuzz run
//! link_decode` from the crate root; `tests/fuzz_bodies.rs` runs the same body over seeded inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cachelab::fuzz::link_decode(data);
});
