#![cfg(not(target_arch = "wasm32"))]
//! The net under every scenario's numbers: each scenario at random valid parameters — any value
//! in its range, with the knobs that set the amount of work capped so that a run stays small —
//! must keep its books. Per variant:
//!
//! - every request counts once: per bucket, answered reads + failed requests ≤ requests (the rest
//!   are writes), and the buckets re-summed give the summary's requests, reads per tier, errors
//!   and database queries (Σ db_qps × the time each bucket covers, plus the late ones);
//! - percentiles are ordered, every number is finite, every ratio is in [0, 1];
//! - a bucket without requests has no p99 and one without answered reads no hit ratio.

use cachelab::metrics::LatencyMs;
use cachelab::scenario::{run, scenarios, ParamSpec, VariantReport};
use proptest::prelude::*;

/// Upper bounds for the knobs that set how much work a run does (requests, keys, clients,
/// polls); every other parameter ranges over all it allows.
const CAPS: [(&str, f64); 20] = [
    ("duration_s", 2.0),
    ("rate", 1_000.0),
    ("clients", 10.0),
    ("keys", 2_000.0),
    ("warm_keys", 2_000.0),
    ("missing_keys", 2_000.0),
    ("l1_keys", 2_000.0),
    ("lock_polls", 30.0),
    ("products", 300.0),
    ("queries", 5_000.0),
    ("users", 100.0),
    ("abusers", 10.0),
    ("scrapers", 10.0),
    ("abuser_rate", 50.0),
    ("user_read_rate", 5.0),
    ("user_write_rate", 5.0),
    ("burst_requests", 1_000.0),
    ("update_rate", 50.0),
    ("instances", 8.0),
    ("categories", 100.0),
];

/// Lower bounds that keep closed-loop clients from spinning at one instant.
const FLOORS: [(&str, f64); 1] = [("think_ms", 1.0)];

/// A value of `spec` from a uniform draw `u` in [0, 1), within its range and the caps.
fn value(spec: &ParamSpec, u: f64) -> f64 {
    let cap = |list: &[(&str, f64)]| list.iter().find(|(n, _)| *n == spec.name).map(|c| c.1);
    let max = cap(&CAPS).map_or(spec.max, |c| c.min(spec.max));
    let min = cap(&FLOORS).map_or(spec.min, |f| f.max(spec.min));
    let x = min + u * (max - min);
    if spec.integer {
        x.floor()
    } else {
        x
    }
}

fn check_latency(name: &str, l: &LatencyMs) -> Result<(), TestCaseError> {
    for x in [l.p50, l.p95, l.p99, l.max] {
        prop_assert!(x.is_finite() && x >= 0.0, "{name}: {l:?}");
    }
    prop_assert!(
        l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max,
        "{name}: {l:?}"
    );
    Ok(())
}

/// The books of one variant (see the module docs); `duration` and `bucket` in seconds.
fn check_variant(v: &VariantReport, duration: f64, bucket: f64) -> Result<(), TestCaseError> {
    let (s, series) = (&v.summary, &v.series);
    let name = v.name.as_str();
    check_latency(name, &s.latency_ms)?;
    for l in [&s.answered_latency_ms, &s.failed_latency_ms]
        .into_iter()
        .flatten()
    {
        check_latency(name, l)?;
    }
    prop_assert_eq!(s.answered_latency_ms.is_some(), s.errors > 0, "{}", name);
    prop_assert!((0.0..=1.0).contains(&s.hit_ratio), "{name}: {s:?}");
    prop_assert!(
        s.l1_hits + s.l2_hits + s.waited + s.misses + s.errors <= s.requests,
        "{name}: {s:?}"
    );

    let n = series.t_s.len();
    for column in [
        series.hit_ratio.len(),
        series.l1_hit_ratio.len(),
        series.l2_hit_ratio.len(),
        series.p99_ms.len(),
        series.db_qps.len(),
        series.requests.len(),
        series.reads.len(),
        series.errors.len(),
    ] {
        prop_assert_eq!(column, n, "{}: series columns differ in length", name);
    }
    let (mut l1, mut l2, mut reads, mut errors, mut requests) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut queries = 0.0;
    for i in 0..n {
        // `reads` counts every read that ended, failed ones included (the hit ratio's whole), so
        // the failed reads are in both columns: reads plus the failed writes fit in the requests.
        let (r, answered, failed) = (series.requests[i], series.reads[i], series.errors[i]);
        prop_assert!(
            answered <= r && failed <= r,
            "{name} bucket {i}: {series:?}"
        );
        // A rate over the time the bucket covers: the last ends with the arrivals.
        let width = bucket.min(duration - series.t_s[i]);
        prop_assert!(width > 0.0, "{name} bucket {i} starts after the arrivals");
        let qps = series.db_qps[i];
        prop_assert!(qps.is_finite() && qps >= 0.0, "{name} bucket {i}: {qps}");
        queries += qps * width;
        prop_assert_eq!(series.p99_ms[i].is_none(), r == 0, "{} bucket {}", name, i);
        if let Some(p99) = series.p99_ms[i] {
            prop_assert!(
                p99.is_finite() && p99 >= 0.0 && p99 <= s.latency_ms.max,
                "{name} {i}"
            );
        }
        let ratios = [
            series.hit_ratio[i],
            series.l1_hit_ratio[i],
            series.l2_hit_ratio[i],
        ];
        for ratio in ratios {
            prop_assert_eq!(ratio.is_none(), answered == 0, "{} bucket {}", name, i);
            prop_assert!(ratio.is_none_or(|x| (0.0..=1.0).contains(&x)), "{name} {i}");
        }
        // The ratios are exact quotients of counts below 2^53: they multiply back exactly.
        let count = |ratio: Option<f64>| (ratio.unwrap_or(0.0) * answered as f64).round() as u64;
        l1 += count(series.l1_hit_ratio[i]);
        l2 += count(series.l2_hit_ratio[i]);
        reads += answered;
        errors += failed;
        requests += r;
    }
    prop_assert_eq!(requests, s.requests, "{}: requests", name);
    prop_assert_eq!(
        reads,
        s.l1_hits + s.l2_hits + s.waited + s.misses + s.failed_reads,
        "{}: reads",
        name
    );
    prop_assert!(s.failed_reads <= s.errors, "{name}: {s:?}");
    // The hit ratio is the same quotient for every variant: hits over all reads, the waited
    // and the failed ones among them.
    prop_assert_eq!(s.hit_ratio, s.counts.hit_ratio(), "{}: hit ratio", name);
    prop_assert!(s.coalesced <= s.waited, "{name}: {s:?}");
    prop_assert_eq!((l1, l2), (s.l1_hits, s.l2_hits), "{}: hits per tier", name);
    prop_assert_eq!(errors, s.errors, "{}: errors", name);
    let in_buckets = queries.round() as u64;
    prop_assert!(
        (queries - in_buckets as f64).abs() < 1e-6 * queries.max(1.0),
        "{name}: {queries} queries is not a whole number"
    );
    prop_assert_eq!(
        in_buckets + series.late_db_queries,
        s.db_queries,
        "{}: database queries",
        name
    );
    Ok(())
}

proptest! {
    // Few cases of short runs: the whole net takes seconds.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_scenario_keeps_its_books(
        which in 0usize..64,
        draws in prop::collection::vec(0.0f64..1.0, 64),
        seed in 0u64..1_000,
    ) {
        let all = scenarios();
        let scenario = &all[which % all.len()];
        let mut given: Vec<(String, String)> = scenario
            .params
            .iter()
            .zip(draws.iter().cycle())
            .map(|(spec, &u)| (spec.name.to_string(), format!("{}", value(spec, u))))
            .collect();
        // The relations between parameters: the 99th percentile is not below the median, and a
        // crash comes before the end of the run.
        let get = |g: &[(String, String)], name: &str| {
            g.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.parse::<f64>().ok())
        };
        let (p50, duration) = (get(&given, "db_p50_ms"), get(&given, "duration_s"));
        for (n, v) in &mut given {
            let x: f64 = v.parse().unwrap_or(0.0);
            match (n.as_str(), p50, duration) {
                ("db_p99_ms", Some(p50), _) => *v = format!("{}", p50.max(x)),
                ("crash_at_s", _, Some(d)) => *v = format!("{}", x.min(d * 0.99)),
                _ => {}
            }
        }
        let report = run(scenario.name, &given, seed)
            .map_err(|e| TestCaseError::fail(format!("{}: {e} with {given:?}", scenario.name)))?;
        // The core's clock counts whole microseconds.
        let micros = |seconds: f64| (seconds * 1e6).round() / 1e6;
        let param = |name: &str| {
            report.params.get(name).map_err(|e| TestCaseError::fail(format!("{}: {e}", scenario.name)))
        };
        let duration = micros(param("duration_s")?);
        let bucket = micros(param("bucket_ms")? / 1e3);
        prop_assert_eq!(report.variants.len(), scenario.variants.len());
        for v in &report.variants {
            check_variant(v, duration, bucket)
                .map_err(|e| TestCaseError::fail(format!("{}: {e} with {given:?}", scenario.name)))?;
        }
    }
}
