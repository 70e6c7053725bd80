//! Every lab report carries a monitoring section: L2's counters as a monitor polling `INFO` sees
//! them, and alerts when a bucket's hit ratio falls below `alert_hit_ratio` or the memory in use
//! passes `alert_memory_mb`. Checked at seeds 1 and 2.

use cachelab::manager::{AlertKind, Monitoring};
use cachelab::scenario::{run, Report, VariantReport};

const SEEDS: [u64; 2] = [1, 2];

fn run_with(name: &str, params: &[(&str, &str)], seed: u64) -> Report {
    let given: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run(name, &given, seed).unwrap()
}

fn monitoring(v: &VariantReport) -> &Monitoring {
    v.monitoring.as_ref().expect("every lab run is monitored")
}

fn alert_times(v: &VariantReport, kind: AlertKind) -> Vec<f64> {
    monitoring(v)
        .alerts
        .iter()
        .filter(|a| a.kind == kind)
        .map(|a| a.time_s)
        .collect()
}

const QUICK_STAMPEDE: [(&str, &str); 2] = [("duration_s", "12"), ("rate", "2000")];

#[test]
fn a_tight_hit_ratio_floor_fires_at_each_expiry_of_the_hot_key_and_a_loose_one_never() {
    for seed in SEEDS {
        let tight = run_with(
            "stampede",
            &[
                QUICK_STAMPEDE[0],
                QUICK_STAMPEDE[1],
                ("alert_hit_ratio", "0.99"),
            ],
            seed,
        );
        let none = tight.variant("none").unwrap();
        // The second expiry comes one TTL after the first reload finished.
        let expiry_buckets: Vec<f64> = (none.hot_key.as_ref().unwrap().expiries_s.iter())
            .map(|t| t.floor())
            .collect();
        assert_eq!(expiry_buckets, [5.0, 10.0], "seed {seed}");
        // The expiry's crowd of misses drags its one-second bucket under 99 %: one alert each.
        assert_eq!(
            alert_times(none, AlertKind::HitRatioLow),
            expiry_buckets,
            "seed {seed}"
        );
        for alert in &monitoring(none).alerts {
            assert!(alert.value < 0.99 && alert.threshold == 0.99, "{alert:?}");
        }
        // Serving stale while one refresh runs never misses: nothing to alert about.
        assert!(monitoring(tight.variant("swr").unwrap()).alerts.is_empty());

        let loose = run_with(
            "stampede",
            &[
                QUICK_STAMPEDE[0],
                QUICK_STAMPEDE[1],
                ("alert_hit_ratio", "0"),
            ],
            seed,
        );
        assert!(loose
            .variants
            .iter()
            .all(|v| monitoring(v).alerts.is_empty()));
        // The section's counters are the same whatever the thresholds.
        let (a, b) = (monitoring(none), monitoring(loose.variant("none").unwrap()));
        assert_eq!(
            (a.keyspace_hits, a.keyspace_misses, a.expired_keys),
            (b.keyspace_hits, b.keyspace_misses, b.expired_keys)
        );
    }
}

#[test]
fn the_avalanche_at_defaults_alerts_for_fixed_ttl_only() {
    for seed in SEEDS {
        let r = run_with("avalanche", &[], seed);
        let fixed = r.variant("fixed-ttl").unwrap();
        // Every key expires at 20 s and L2's hit ratio in that second collapses.
        assert_eq!(
            alert_times(fixed, AlertKind::HitRatioLow),
            [20.0],
            "seed {seed}"
        );
        assert!(monitoring(fixed).alerts[0].value < 0.5);
        for spread in ["jitter", "early-refresh"] {
            assert!(
                monitoring(r.variant(spread).unwrap()).alerts.is_empty(),
                "{spread}"
            );
        }
    }
}

#[test]
fn a_memory_mark_below_the_data_fires_once_and_a_mark_above_never() {
    for seed in SEEDS {
        // 1,000 warm keys take 112,000 bytes of the model's estimate.
        let low = run_with(
            "stampede",
            &[
                QUICK_STAMPEDE[0],
                QUICK_STAMPEDE[1],
                ("alert_memory_mb", "0.1"),
            ],
            seed,
        );
        let none = low.variant("none").unwrap();
        assert_eq!(monitoring(none).peak_used_memory_bytes, 112_000);
        assert_eq!(
            alert_times(none, AlertKind::MemoryHigh),
            [0.0],
            "seed {seed}"
        );
        let alert = monitoring(none).alerts[0].clone();
        assert_eq!((alert.value, alert.threshold), (0.112, 0.1));
        // Stale-while-revalidate keeps every key: memory stays above the mark, still one alert.
        assert_eq!(
            alert_times(low.variant("swr").unwrap(), AlertKind::MemoryHigh),
            [0.0]
        );

        let high = run_with(
            "stampede",
            &[
                QUICK_STAMPEDE[0],
                QUICK_STAMPEDE[1],
                ("alert_memory_mb", "0.2"),
            ],
            seed,
        );
        assert!(high
            .variants
            .iter()
            .all(|v| alert_times(v, AlertKind::MemoryHigh).is_empty()));
    }
}

#[test]
fn the_section_reports_l2s_own_counters() {
    let r = run_with("stampede", &QUICK_STAMPEDE, 1);
    let none = r.variant("none").unwrap();
    let m = monitoring(none);
    // Without L1 every read asks L2 once: its lookups are the report's reads.
    assert_eq!(m.keyspace_hits, none.summary.l2_hits);
    assert_eq!(m.keyspace_misses, none.summary.misses);
    assert_eq!(m.hit_ratio, none.summary.hit_ratio);
    // The 999 cold keys expire at 5 s and are never read again; the hot key keeps coming back.
    assert_eq!((m.peak_keys, m.keys), (1_000, 1));
    assert!(m.expired_keys >= 1_000);
    assert_eq!(m.evicted_keys, 0);
}

#[test]
fn every_scenario_reports_what_a_monitor_saw() {
    let short = [("duration_s".to_string(), "2".to_string())];
    for scenario in cachelab::scenario::scenarios() {
        let report = cachelab::scenario::run(scenario.name, &short, 1).unwrap();
        for variant in &report.variants {
            let seen = variant.monitoring.as_ref();
            assert!(seen.is_some(), "{} / {}", scenario.name, variant.name);
        }
    }
}

#[test]
fn the_series_shows_each_buckets_counters_as_the_totals_do() {
    let r = run_with("stampede", &QUICK_STAMPEDE, 1);
    for v in &r.variants {
        let m = monitoring(v);
        let s = &m.series;
        // One sample per bucket of the report's series, at the same times.
        assert_eq!(s.t_s, v.series.t_s, "{}", v.name);
        // Lookups after the last bucket (the last requests finishing) count in the totals only.
        let hits: u64 = s.keyspace_hits.iter().sum();
        let misses: u64 = s.keyspace_misses.iter().sum();
        assert!(
            hits <= m.keyspace_hits && misses <= m.keyspace_misses,
            "{}",
            v.name
        );
        assert!(m.keyspace_hits - hits < 100, "{}", v.name);
        assert_eq!(
            s.keys.iter().max().copied(),
            Some(m.peak_keys),
            "{}",
            v.name
        );
        let expired: u64 = s.expired_keys.iter().sum();
        assert!(expired <= m.expired_keys, "{}", v.name);
    }
    // The 1,000 keys warmed at 0 s expire at their TTL (5 s): the hot key at the very end of
    // bucket 4 (the monitor samples a bucket after everything due at its end), the 999 cold ones
    // when the expiry cycle or a read finds them.
    let none = &monitoring(r.variant("none").unwrap()).series;
    let before: u64 = none.expired_keys[..5].iter().sum();
    let from: u64 = none.expired_keys[5..].iter().sum();
    assert!(
        before <= 1 && before + from >= 1_000,
        "{:?}",
        none.expired_keys
    );
}

/// The parameter set for a "try this" of the penetration lesson: negative caching pays for its
/// saved queries in memory, one "not found" entry per missing key, and a mark between the
/// existing data (1.12 MB) and what the negative entries add pages for null-cache alone.
#[test]
fn negative_caching_trips_a_memory_mark_that_the_other_variants_stay_under() {
    for seed in SEEDS {
        let r = run_with(
            "penetration",
            &[("duration_s", "10"), ("alert_memory_mb", "1.5")],
            seed,
        );
        for v in &r.variants {
            let fired = alert_times(v, AlertKind::MemoryHigh);
            let expected = v.name == "null-cache";
            assert_eq!(
                !fired.is_empty(),
                expected,
                "seed {seed} {}: {fired:?}",
                v.name
            );
        }
        let grown = &monitoring(r.variant("null-cache").unwrap()).series;
        assert!(grown.used_memory_bytes.windows(2).all(|w| w[0] <= w[1]));
    }
}
