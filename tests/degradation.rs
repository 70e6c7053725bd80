//! Scenario `degradation`: the claims of its lesson, as relations that hold at seeds 1–5 at the
//! scenario's defaults (an outage from 10 to 16 s, every reply a second late from 25 to 31 s).

use cachelab::scenario::{run, DegradationReport, Report};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn section<'a>(r: &'a Report, name: &str) -> &'a DegradationReport {
    r.variant(name)
        .unwrap()
        .section::<DegradationReport>()
        .unwrap()
}

#[test]
fn the_cache_failing_costs_requests_only_where_the_client_lets_it() {
    for seed in SEEDS {
        let r = run("degradation", &[], seed).unwrap();
        // Failing open, not one request fails: neither in the outage nor when the pool runs out
        // in the slow window (each such error is a trip to the database instead).
        for name in ["fail-open", "short-timeout", "circuit-breaker"] {
            let v = r.variant(name).unwrap();
            assert_eq!(v.summary.errors, 0, "seed {seed}: {name}");
            assert!(v.summary.l2_errors > 0, "seed {seed}: {name}");
        }
        let open = section(&r, "fail-open");
        assert!(open.faults.refused > 0 && open.faults.pool_exhausted > 0);
        // Failing closed, every read that met the outage failed (there is no L1 in front).
        let closed = section(&r, "fail-closed");
        let outage = closed.outage.as_ref().unwrap();
        assert!(outage.requests > 1_000, "seed {seed}");
        assert_eq!(outage.failed, outage.requests, "seed {seed}");
        assert_eq!(open.outage.as_ref().unwrap().failed, 0);
    }
}

#[test]
fn a_timeout_or_a_breaker_keeps_the_slow_window_fast() {
    for seed in SEEDS {
        let r = run("degradation", &[], seed).unwrap();
        let worst = |name| section(&r, name).slow.as_ref().unwrap().worst_p99_ms;
        let (open, short, breaker) = (
            worst("fail-open"),
            worst("short-timeout"),
            worst("circuit-breaker"),
        );
        println!(
            "seed {seed}: worst p99 fail-open {open}, short-timeout {short}, breaker {breaker}"
        );
        // redis-py's default waits the whole second for each late reply.
        assert!(open >= 1_000.0, "seed {seed}");
        assert!(short < open && breaker < open, "seed {seed}");
        let b = section(&r, "circuit-breaker").breaker.unwrap();
        assert!(b.opened > 0 && b.skipped > 0 && b.probes > 0, "seed {seed}");
    }
}

#[test]
fn the_outage_multiplies_the_databases_load_within_its_pools_capacity() {
    for seed in SEEDS {
        let r = run("degradation", &[], seed).unwrap();
        let d = section(&r, "fail-open");
        let outage = d.outage.as_ref().unwrap();
        println!(
            "seed {seed}: normal {:.0}/s, outage {:.0}/s ({:.1}x), capacity {:.0}/s",
            d.normal_db_qps, outage.db_qps, d.outage_load_factor, d.db_capacity_qps
        );
        assert!(d.outage_load_factor > 3.0, "seed {seed}");
        assert!(
            (d.outage_load_factor - outage.db_qps / d.normal_db_qps).abs() < 1e-9,
            "seed {seed}"
        );
        // At the defaults the pool can take it: every read of the outage goes to the database
        // (the load is the arrival rate), and that is below what the pool serves.
        let rate = r.params.get("rate").unwrap();
        assert!((outage.db_qps - rate).abs() < 0.1 * rate, "seed {seed}");
        assert!(outage.db_qps < d.db_capacity_qps, "seed {seed}");
    }
}

#[test]
fn faults_are_parameters_and_without_them_the_variants_agree() {
    let none = [
        ("outage_s".to_string(), "0".to_string()),
        ("slow_s".to_string(), "0".to_string()),
        ("duration_s".to_string(), "5".to_string()),
    ];
    let r = run("degradation", &none, 1).unwrap();
    let first = &r.variants[0].summary;
    for v in &r.variants {
        assert_eq!(v.summary.errors, 0, "{}", v.name);
        assert_eq!(v.summary.l2_errors, 0, "{}", v.name);
        assert_eq!(v.summary.db_queries, first.db_queries, "{}", v.name);
        let d = v.section::<DegradationReport>().unwrap();
        assert!(d.outage.is_none() && d.slow.is_none());
    }
    let err = run("degradation", &[("slow_ms".into(), "-1".into())], 1).unwrap_err();
    assert!(err.to_string().contains("`slow_ms`"), "{err}");
}
