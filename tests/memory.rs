//! Scenario `memory`: the claims of its lesson, as relations that hold at seeds 1–5 at the
//! scenario's defaults (rows that do not fit under a 1 MB maxmemory, 5 % of requests logins that
//! store a session without a TTL).

use cachelab::scenario::{run, MemoryReport, Report};
use cachelab::tiers::l2::{L2Config, MaxmemoryPolicy, Reply, L2};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The default run at each seed, made once for every test of this file.
fn runs() -> &'static [(u64, Report)] {
    static RUNS: std::sync::OnceLock<Vec<(u64, Report)>> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| {
        SEEDS
            .iter()
            .map(|&seed| (seed, run("memory", &[], seed).unwrap()))
            .collect()
    })
}

fn memory<'a>(r: &'a Report, name: &str) -> &'a MemoryReport {
    r.variant(name).unwrap().section::<MemoryReport>().unwrap()
}

#[test]
fn noeviction_refuses_fills_but_readers_get_their_rows_and_it_hits_less_than_lru() {
    for (seed, r) in runs() {
        let (no, lru) = (
            r.variant("noeviction").unwrap(),
            r.variant("allkeys-lru").unwrap(),
        );
        let m = memory(r, "noeviction");
        println!(
            "seed {seed}: noeviction {:?}",
            (
                m.refused_fills,
                m.sessions_refused,
                no.summary.hit_ratio,
                lru.summary.hit_ratio
            )
        );
        // Full, it answers writes with OOM: fills (L2 errors the reader never sees) and logins.
        assert!(m.refused_fills > 0, "seed {seed}");
        assert_eq!(no.summary.l2_errors, m.refused_fills + m.sessions_refused);
        // Only the logins failed: every read was answered.
        assert_eq!(no.summary.errors, m.sessions_refused, "seed {seed}");
        assert!(no.summary.hit_ratio < lru.summary.hit_ratio, "seed {seed}");
        assert_eq!(lru.summary.errors, 0, "seed {seed}");
        // Never above the limit by more than one write.
        for (name, look) in [("noeviction", m), ("allkeys-lru", memory(r, "allkeys-lru"))] {
            let most = *look.used_memory_bytes.iter().max().unwrap();
            assert!(
                most <= look.maxmemory_bytes + 2_000,
                "seed {seed}: {name} {most}"
            );
        }
    }
}

#[test]
fn volatile_policies_cannot_evict_the_sessions_and_the_cache_pays() {
    for (seed, r) in runs() {
        let lru = memory(r, "allkeys-lru");
        // allkeys-* make room by evicting sessions too (users logged out)...
        assert!(lru.sessions_evicted > 0, "seed {seed}");
        assert!(memory(r, "allkeys-lfu").sessions_evicted > 0, "seed {seed}");
        for name in ["volatile-lru", "volatile-ttl"] {
            let v = memory(r, name);
            // ... volatile-* cannot: every session written is still there,
            assert_eq!(v.sessions_evicted, 0, "seed {seed}: {name}");
            assert_eq!(v.sessions_at_end, v.sessions_written, "seed {seed}: {name}");
            // so the rows get what is left: fewer cached, fewer hits.
            assert!(
                2 * v.rows_cached_at_end < lru.rows_cached_at_end,
                "seed {seed}: {name}"
            );
            let hit = |n: &str| r.variant(n).unwrap().summary.hit_ratio;
            assert!(hit(name) < hit("allkeys-lru"), "seed {seed}: {name}");
        }
    }
}

#[test]
fn the_memory_alert_fires_and_evictions_are_counted_per_second() {
    for (seed, r) in runs() {
        for v in &r.variants {
            let alerts = &v.monitoring.as_ref().unwrap().alerts;
            assert!(
                alerts
                    .iter()
                    .any(|a| a.kind == cachelab::manager::AlertKind::MemoryHigh),
                "seed {seed}: {}",
                v.name
            );
            let m = v.section::<MemoryReport>().unwrap();
            assert_eq!(m.used_memory_bytes.len(), v.series.t_s.len());
            let evicted: f64 = m.evicted_per_s.iter().sum();
            let total = v.monitoring.as_ref().unwrap().evicted_keys as f64;
            // Per-second counts of one-second buckets add up to the run's evictions (the last
            // requests finish after the last bucket).
            assert!(
                evicted <= total && evicted > 0.0 || v.name == "noeviction",
                "seed {seed}"
            );
        }
        assert!(memory(r, "noeviction")
            .evicted_per_s
            .iter()
            .all(|&e| e == 0.0));
    }
}

#[test]
fn the_console_looks_inside_a_key_with_memory_usage_and_object_freq() {
    // What the lesson sends the learner to type: the commands exist in the console's model.
    let mut l2 = L2::with_config(L2Config {
        maxmemory: 1_000_000,
        policy: MaxmemoryPolicy::AllKeysLfu,
        ..L2Config::default()
    });
    l2.exec("SET product:1 hello").unwrap();
    for _ in 0..50 {
        l2.exec("GET product:1").unwrap();
    }
    let usage = l2.exec("MEMORY USAGE product:1").unwrap().unwrap();
    assert!(matches!(usage, Reply::Int(n) if n > 0), "{usage:?}");
    let freq = l2.exec("OBJECT FREQ product:1").unwrap().unwrap();
    assert!(matches!(freq, Reply::Int(n) if n > 5), "{freq:?}");
    // And the run reports both for its hottest rows, under the LFU policy.
    let r = run("memory", &[("duration_s".into(), "5".into())], 1).unwrap();
    let hottest = &memory(&r, "allkeys-lfu").hottest;
    assert_eq!(hottest.len(), 3);
    assert!(hottest[0].memory_usage.unwrap() > 0);
    assert!(hottest[0].object_freq.unwrap() > 5);
    // Under an LRU policy OBJECT FREQ is an error, reported as none.
    assert!(memory(&r, "allkeys-lru").hottest[0].object_freq.is_none());
}
