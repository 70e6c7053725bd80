//! The pinned per-policy miss counts that the wasm suite (`tests/policy_wasm.rs`) checks too.

#[path = "support/policy_cases.rs"]
mod policy_cases;

#[test]
fn native_miss_counts_are_the_pinned_ones() {
    policy_cases::assert_pinned();
}
