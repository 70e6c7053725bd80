//! The pinned per-policy miss counts that the wasm suite (`tests/policy_wasm.rs`) checks too.

#[path = "support/policy_cases.rs"]
mod policy_cases;

#[test]
fn native_miss_counts_are_the_pinned_ones() {
    let trace = policy_cases::trace();
    for (policy, objects, bytes) in policy_cases::PINNED {
        assert_eq!(
            policy_cases::misses(policy, &trace),
            (objects, bytes),
            "{policy}"
        );
    }
}
