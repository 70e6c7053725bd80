#![cfg(not(target_arch = "wasm32"))]
//! Property: every request is counted exactly once, as a hit or a miss.
//!
//! Random text traces go through every eviction policy at random sizes via the same
//! `policy::replay::run` the CLI and the page use, and random small L1 curves go through
//! `scenario::l1_curve::run`. Beyond `hits + misses = requests`, each first request for a key
//! must miss (a cache cannot hold what it has never seen), so misses are at least the unique keys.

use cachelab::policy::replay::{run, Experiment};
use cachelab::policy::POLICY_NAMES;
use cachelab::scenario::l1_curve;
use cachelab::workload::TraceFormat;
use proptest::prelude::*;
use std::collections::BTreeSet;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_policy_counts_each_request_once(
        keys in prop::collection::vec(0u64..40, 1..300),
        sizes in prop::collection::vec(1u64..60, 1..4),
    ) {
        let text: String = keys.iter().map(|k| format!("{k}\n")).collect();
        let size_list = sizes.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let experiment = Experiment::parse(&POLICY_NAMES.join(","), &size_list, false).unwrap();
        let report = run("prop", TraceFormat::Text, || Ok(text.as_bytes()), &experiment).unwrap();

        let unique = keys.iter().collect::<BTreeSet<_>>().len() as u64;
        let requests = keys.len() as u64;
        prop_assert_eq!(report.requests, requests);
        prop_assert_eq!(report.unique_keys, unique);
        prop_assert_eq!(report.rows.len(), POLICY_NAMES.len() * sizes.len());
        for (i, row) in report.rows.iter().enumerate() {
            // Rows are policies outermost, sizes innermost, in the order given.
            prop_assert_eq!(&row.policy, POLICY_NAMES[i / sizes.len()]);
            prop_assert_eq!(row.capacity, sizes[i % sizes.len()]);
            prop_assert_eq!(row.requests, requests, "{}", row.policy);
            prop_assert!(row.misses <= row.requests, "{}: {} misses", row.policy, row.misses);
            prop_assert!(row.misses >= unique, "{}: {} misses < {} keys", row.policy, row.misses, unique);
            prop_assert_eq!(row.miss_ratio, row.misses as f64 / requests as f64);
            // Every object counts 1 in a text trace, so the byte ratio is the same.
            prop_assert_eq!(row.byte_miss_ratio, row.miss_ratio);
        }
    }

    #[test]
    fn l1_curve_counts_each_request_once(
        keys in 1u64..300,
        skew in 0.0f64..3.0,
        requests in 1u64..3_000,
        points in 1u64..8,
        seed in any::<u64>(),
    ) {
        let given = [
            ("keys".to_string(), keys.to_string()),
            ("skew".to_string(), skew.to_string()),
            ("requests".to_string(), requests.to_string()),
            ("points".to_string(), points.to_string()),
        ];
        let curve = l1_curve::run(&given, seed).unwrap();
        prop_assert!(!curve.points.is_empty() && curve.points.len() as u64 <= points);
        let mut previous = 0;
        for p in &curve.points {
            prop_assert_eq!(p.hits + p.misses, requests, "capacity {}", p.capacity);
            prop_assert!(p.capacity > previous && p.capacity <= keys);
            previous = p.capacity;
            // The first request for a key always misses, and at most `keys` keys exist.
            prop_assert!(p.misses >= 1);
            prop_assert_eq!(p.hit_ratio, p.hits as f64 / requests as f64);
        }
        // Holding every key, only first requests miss.
        let full = curve.points.last().unwrap();
        prop_assert_eq!(full.capacity, keys);
        prop_assert!(full.misses <= keys.min(requests));
    }
}
