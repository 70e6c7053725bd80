//! Scenario `ratelimit`: the claims of the lesson, as relations that hold at seeds 1 and 2.

use cachelab::scenario::{run, RateLimitReport, Report};

const SEEDS: [u64; 2] = [1, 2];
const ALGORITHMS: [&str; 4] = [
    "token-bucket",
    "fixed-window",
    "sliding-log",
    "sliding-counter",
];

fn limits<'a>(r: &'a Report, name: &str) -> &'a RateLimitReport {
    r.variant(name)
        .unwrap()
        .section::<RateLimitReport>()
        .unwrap()
}

#[test]
fn the_sliding_log_never_admits_more_than_the_limit_in_any_window() {
    for seed in SEEDS {
        let r = run("ratelimit", &[], seed).unwrap();
        for name in ["sliding-log", "fail-closed"] {
            let l = limits(&r, name);
            for peak in &l.window_peaks {
                println!("seed {seed} {name}: {peak:?}");
                // The abusers and scrapers send three times the limit: it is reached, never passed.
                assert_eq!(
                    peak.max_admitted_in_window, peak.limit,
                    "seed {seed} {name}"
                );
            }
            assert_eq!(
                l.burst_max_in_window,
                r.params.get("read_limit").unwrap() as u64
            );
        }
    }
}

#[test]
fn the_fixed_window_admits_twice_the_limit_across_a_boundary() {
    for seed in SEEDS {
        let r = run("ratelimit", &[], seed).unwrap();
        let limit = r.params.get("read_limit").unwrap() as u64;
        let fixed = limits(&r, "fixed-window");
        println!(
            "seed {seed}: burst admitted in one window: fixed {}, log {}, counter {}, bucket {}",
            fixed.burst_max_in_window,
            limits(&r, "sliding-log").burst_max_in_window,
            limits(&r, "sliding-counter").burst_max_in_window,
            limits(&r, "token-bucket").burst_max_in_window
        );
        assert_eq!(fixed.burst_max_in_window, 2 * limit);
        assert_eq!(fixed.window_peaks[0].max_admitted_in_window, 2 * limit);
        assert_eq!(fixed.window_peaks[0].subject, "b1");
        // The headers tell the story: spent just before the edge, a full quota just after.
        let at_edge: Vec<(u16, u64)> = fixed.headers[2..4]
            .iter()
            .map(|h| (h.status, h.remaining))
            .collect();
        assert_eq!(at_edge, [(200, 0), (200, limit - 1)]);
        // The same burst through the others: about one quota. The bucket adds what refilled
        // during the burst's two seconds (one token per 600 ms).
        assert!(limits(&r, "sliding-counter").burst_max_in_window <= limit + 1);
        assert_eq!(limits(&r, "token-bucket").burst_max_in_window, limit + 3);
        // Per second, the fixed window's burst is the tallest bar of all.
        let peak = |name| {
            let qps = &r.variant(name).unwrap().series.db_qps;
            qps[59] + qps[60]
        };
        for name in ["token-bucket", "sliding-log", "sliding-counter"] {
            assert!(peak("fixed-window") > peak(name) + 0.8 * limit as f64);
        }
    }
}

#[test]
fn fail_open_admits_and_fail_closed_refuses_during_the_outage() {
    for seed in SEEDS {
        let r = run("ratelimit", &[], seed).unwrap();
        let closed = &limits(&r, "fail-closed").outage;
        println!("seed {seed}: outage {closed:?}");
        assert!(closed.requests > 100);
        assert_eq!((closed.admitted, closed.rejected), (0, closed.requests));
        for name in ALGORITHMS {
            let open = &limits(&r, name).outage;
            assert_eq!(open.requests, closed.requests, "{name}");
            assert_eq!((open.admitted, open.rejected), (open.requests, 0), "{name}");
        }
        // Fail-open let the abusers through; fail-closed turned away well-behaved users.
        let users = |name| limits(&r, name).clients[0].clone();
        assert_eq!(users("sliding-log").rejected, 0);
        assert!(users("fail-closed").rejected > 0);
    }
}

#[test]
fn an_admin_reset_restores_the_quota() {
    for seed in SEEDS {
        let r = run("ratelimit", &[], seed).unwrap();
        let limit = r.params.get("read_limit").unwrap() as u64;
        for name in ALGORITHMS {
            let reset = &limits(&r, name).reset;
            let (before, after) = (
                reset.before.as_ref().unwrap(),
                reset.after.as_ref().unwrap(),
            );
            println!("seed {seed} {name}: {before:?} -> {after:?}");
            assert_eq!(before.remaining, 0, "{name}: spent before the reset");
            assert!(before.t_s < reset.at_s && after.t_s >= reset.at_s);
            assert_eq!((after.status, after.remaining), (200, limit - 1), "{name}");
            assert!(reset.keys_deleted >= 2, "{name}: reads and writes keys");
        }
    }
}

#[test]
fn well_behaved_users_are_never_refused_and_counts_add_up() {
    for seed in SEEDS {
        let r = run("ratelimit", &[], seed).unwrap();
        for v in &r.variants {
            let l = v.section::<RateLimitReport>().unwrap();
            assert_eq!(l.admitted + l.rejected, v.summary.requests);
            assert_eq!(l.admitted, v.summary.db_queries);
            let by_clients: u64 = l.clients.iter().map(|c| c.requests).sum();
            assert_eq!(by_clients, v.summary.requests);
            assert_eq!(l.rejected_per_s.len(), v.series.t_s.len());
            let rejected: f64 = l.rejected_per_s.iter().sum();
            assert_eq!(rejected as u64, l.rejected);
            if l.fail_mode == "open" {
                assert_eq!(l.clients[0].rejected, 0, "seed {seed} {}", v.name);
            }
            // The abusers and scrapers are held to about the limit: most of their requests go.
            for abusive in &l.clients[1..3] {
                assert!(
                    abusive.rejected > abusive.admitted / 2,
                    "{}: {abusive:?}",
                    v.name
                );
            }
        }
    }
}

#[test]
fn bad_parameters_are_refused_by_name() {
    let err = |k: &str, v: &str| {
        run("ratelimit", &[(k.to_string(), v.to_string())], 1)
            .unwrap_err()
            .to_string()
    };
    assert!(err("read_limit", "0").contains("`read_limit` must be between 1 and 1000000"));
    assert!(err("window_s", "1.5").contains("whole number"));
    assert!(err("rate", "5").contains("unknown parameter `rate`"));
    let flood = [
        ("users".to_string(), "10000".to_string()),
        ("user_read_rate".to_string(), "1000".to_string()),
    ];
    let e = run("ratelimit", &flood, 1).unwrap_err().to_string();
    assert!(e.contains("5000000"), "{e}");
}
