//! Rate limiters against the L2 model: the claims the lesson makes, checked at fixed seeds.

#[path = "support/model_store.rs"]
mod model_store;

use cachelab::ratelimit::{
    decide, reset_subject, FailMode, FixedWindow, Limiter, Quota, RateLimiter, Rule, Scope,
    SlidingCounter, SlidingLog, TokenBucket,
};
use cachelab::sim::{SimDuration, SimRng, SimTime};
use cachelab::strategy::{Faults, Window};
use model_store::ModelStore;

const SEEDS: [u64; 2] = [7, 2026];

fn ms(t: u64) -> SimTime {
    SimTime(t * 1_000)
}

/// `n` request times (µs) drawn uniformly over `span_us`, in order.
fn random_times(seed: u64, n: u64, span_us: u64) -> Vec<u64> {
    let mut rng = SimRng::new(seed);
    let mut times: Vec<u64> = (0..n).map(|_| rng.below(span_us)).collect();
    times.sort_unstable();
    times
}

/// The times at which `limiter` admitted a request, for requests at `times` (µs).
fn admitted(limiter: &mut dyn Limiter, times: &[u64]) -> Vec<u64> {
    let l2 = ModelStore::new();
    times
        .iter()
        .copied()
        .filter(|&t| {
            let at = SimTime(t);
            let decision = l2.run(at, decide(&mut *limiter, &l2.store, at, "k"));
            decision.unwrap().allowed
        })
        .collect()
}

/// The most admissions in any trailing window `(t - window, t]` ending at an admission.
fn max_in_any_window(admitted: &[u64], window_us: u64) -> u64 {
    admitted
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let start = admitted.partition_point(|&s| s + window_us <= t);
            (i + 1 - start) as u64
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn sliding_log_never_admits_more_than_the_limit_in_any_window() {
    for seed in SEEDS {
        let quota = Quota::new(10, 1_000).unwrap();
        // 3000 requests over 20 s: 15 a second on average, bursty, well above the limit.
        let times = random_times(seed, 3_000, 20_000_000);
        let log = admitted(&mut SlidingLog::new(quota), &times);
        let worst = max_in_any_window(&log, 1_000_000);
        println!(
            "seed {seed}: sliding log admitted {} of 3000, worst window {worst}",
            log.len()
        );
        assert_eq!(worst, 10, "the limit is reached but never passed");
        // It is not trivially strict either: it admits close to 10 a second over 20 s.
        assert!(log.len() > 150, "admitted only {}", log.len());
    }
}

#[test]
fn fixed_window_admits_twice_the_limit_across_a_boundary_and_the_log_does_not() {
    let limit = 10;
    let quota = Quota::new(limit, 1_000).unwrap();
    // The burst: 10 requests in the last 10 ms of window 0, 10 in the first 10 ms of window 1.
    let times: Vec<u64> = (990..1_010).map(|t| t * 1_000).collect();
    let span = times[times.len() - 1] - times[0];
    assert!(span < 1_000_000, "the burst fits inside one window length");

    let fixed = admitted(&mut FixedWindow::new(quota), &times);
    assert_eq!(fixed.len() as u64, 2 * limit);
    assert_eq!(max_in_any_window(&fixed, 1_000_000), 2 * limit);

    let log = admitted(&mut SlidingLog::new(quota), &times);
    assert_eq!(log.len() as u64, limit);
    let counter = admitted(&mut SlidingCounter::new(quota), &times);
    assert!(counter.len() as u64 <= limit, "counter: {}", counter.len());
    println!(
        "boundary burst of 20: fixed {}, sliding log {}, sliding counter {}",
        fixed.len(),
        log.len(),
        counter.len()
    );
}

#[test]
fn fixed_window_never_passes_twice_the_limit_at_random_times() {
    for seed in SEEDS {
        let times = random_times(seed, 3_000, 20_000_000);
        let fixed = admitted(
            &mut FixedWindow::new(Quota::new(10, 1_000).unwrap()),
            &times,
        );
        let worst = max_in_any_window(&fixed, 1_000_000);
        println!("seed {seed}: fixed window worst sliding window {worst}");
        assert!((10..=20).contains(&worst), "worst {worst}");
    }
}

#[test]
fn token_bucket_allows_a_burst_then_the_refill_rate() {
    // Capacity 5, a token every 200 ms; a request every 10 ms for 10 s.
    let times: Vec<u64> = (0..1_000).map(|i| i * 10_000).collect();
    let got = admitted(&mut TokenBucket::new(5, 200).unwrap(), &times);
    assert_eq!(got[..5], [0, 10_000, 20_000, 30_000, 40_000]);
    // After the burst, one admission per refill: at 200 ms, 400 ms, ..., 9800 ms.
    let after: Vec<u64> = got[5..].to_vec();
    let expected: Vec<u64> = (1..50).map(|k| k * 200_000).collect();
    assert_eq!(after, expected);
    // At random times the bucket never gives more than capacity + elapsed / interval.
    for seed in SEEDS {
        let times = random_times(seed, 2_000, 10_000_000);
        let got = admitted(&mut TokenBucket::new(5, 200).unwrap(), &times);
        for (i, &t) in got.iter().enumerate() {
            let bound = 5 + (t - got[0]) / 200_000;
            let so_far = i as u64 + 1;
            assert!(so_far <= bound, "seed {seed}: {so_far} by {t}");
        }
        println!(
            "seed {seed}: token bucket admitted {} of 2000 in 10 s",
            got.len()
        );
    }
}

/// For every algorithm: remaining counts down to 0 as a burst spends the quota, refusals say 0,
/// and after waiting `reset_ms` the subject has its whole quota again.
#[test]
fn headers_are_consistent() {
    for seed in SEEDS {
        let quota = Quota::new(6, 1_000).unwrap();
        let limiters: Vec<(&str, Box<dyn Limiter>)> = vec![
            ("token bucket", Box::new(TokenBucket::new(6, 100).unwrap())),
            ("fixed window", Box::new(FixedWindow::new(quota))),
            ("sliding log", Box::new(SlidingLog::new(quota))),
            ("sliding counter", Box::new(SlidingCounter::new(quota))),
        ];
        let mut rng = SimRng::new(seed);
        for (name, mut limiter) in limiters {
            let l2 = ModelStore::new();
            let mut now = SimTime(rng.below(5_000_000));
            for round in 0..5 {
                let burst: Vec<_> = (0..9)
                    .map(|_| {
                        l2.run(now, decide(&mut *limiter, &l2.store, now, "k"))
                            .unwrap()
                    })
                    .collect();
                let remaining: Vec<u64> = burst.iter().map(|d| d.remaining).collect();
                assert_eq!(
                    remaining,
                    [5, 4, 3, 2, 1, 0, 0, 0, 0],
                    "{name} round {round}"
                );
                assert!(burst.iter().all(|d| d.limit == 6));
                assert_eq!(burst.iter().filter(|d| d.allowed).count(), 6, "{name}");
                let reset = burst[8].reset_ms;
                assert!(reset > 0, "{name}");
                // Waiting reset_ms (plus a random idle stretch) restores the full quota.
                now = now + SimDuration::from_millis(reset) + SimDuration(rng.below(3) * 1_000);
            }
        }
    }
}

#[test]
fn admin_reset_clears_one_subject_on_every_endpoint() {
    let l2 = ModelStore::new();
    let reads = Rule::new(Scope::User, "reads");
    let writes = Rule::new(Scope::User, "writes");
    let mut read_limit = RateLimiter::new(
        reads,
        Box::new(SlidingLog::new(Quota::new(100, 60_000).unwrap())),
        FailMode::Open,
    );
    let mut write_limit = RateLimiter::new(
        writes,
        Box::new(FixedWindow::new(Quota::new(10, 60_000).unwrap())),
        FailMode::Open,
    );
    let check = |guard: &mut RateLimiter, t, user| l2.at(t, guard.check(&l2.store, t, user));
    for user in ["42", "43"] {
        for _ in 0..12 {
            check(&mut write_limit, ms(5), user);
            check(&mut read_limit, ms(5), user);
        }
    }
    assert!(!check(&mut write_limit, ms(6), "42").allowed);
    assert_eq!(check(&mut read_limit, ms(6), "42").remaining, 100 - 13);
    // An id that looks like a glob or a key prefix must not reach other subjects.
    let reset = |scope, id| l2.run(ms(6), reset_subject(&l2.store, scope, id)).unwrap();
    assert_eq!(reset(Scope::User, "4*"), 0);
    assert_eq!(reset(Scope::Ip, "42"), 0);
    assert_eq!(reset(Scope::User, "42"), 2);
    assert!(check(&mut write_limit, ms(7), "42").allowed);
    assert_eq!(check(&mut read_limit, ms(7), "42").remaining, 99);
    assert!(
        !check(&mut write_limit, ms(7), "43").allowed,
        "43 untouched"
    );
}

#[test]
fn an_outage_fails_open_or_closed_and_is_counted() {
    for (mode, expected_allowed) in [(FailMode::Open, 10 + 40), (FailMode::Closed, 10)] {
        // The store refuses every command from 30 ms to 70 ms.
        let outage = Window::new(ms(30), SimDuration::from_millis(40));
        let l2 = ModelStore::failing(Faults {
            outages: vec![outage],
            ..Faults::default()
        });
        let rule = Rule::new(Scope::Ip, "writes");
        let mut guard = RateLimiter::new(
            rule,
            Box::new(SlidingLog::new(Quota::new(10, 60_000).unwrap())),
            mode,
        );
        let mut allowed = 0;
        // 30 requests with the store up, 40 while it is down, 30 after it is back; all in one
        // minute, so the store's own answers admit only the first 10.
        for i in 0..100u64 {
            let decision = l2.at(ms(i), guard.check(&l2.store, ms(i), "10.0.0.1"));
            allowed += u64::from(decision.allowed);
        }
        assert_eq!(l2.store.counts().refused, 40);
        let outages = guard.outages();
        assert_eq!(outages.allowed + outages.denied, 40, "{mode:?}");
        assert_eq!(allowed, expected_allowed, "{mode:?}");
        match mode {
            FailMode::Open => assert_eq!(outages.allowed, 40),
            FailMode::Closed => assert_eq!(outages.denied, 40),
        }
    }
}

#[test]
fn a_store_error_counts_as_an_outage() {
    let l2 = ModelStore::new();
    let rule = Rule::new(Scope::User, "reads");
    l2.console(&format!("SET {} oops", rule.key("7")));
    let mut guard = RateLimiter::new(
        rule,
        Box::new(SlidingLog::new(Quota::new(3, 1_000).unwrap())),
        FailMode::Closed,
    );
    assert!(!l2.at(ms(1), guard.check(&l2.store, ms(1), "7")).allowed);
    assert_eq!(guard.outages().denied, 1);
}
