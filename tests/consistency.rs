//! Scenario `consistency`: the claims of the writes-and-consistency lesson, checked at two seeds
//! as relations between the variants of one run (and exact identities where the lab can count).

use cachelab::scenario::{run, run_only, ConsistencyReport, Report, WriteBehindReport};
use cachelab::sim::SimRng;

const SEEDS: [u64; 2] = [1, 2];

fn consistency<'a>(r: &'a Report, name: &str) -> &'a ConsistencyReport {
    r.variant(name)
        .unwrap()
        .section::<ConsistencyReport>()
        .unwrap()
}

fn write_behind(r: &Report) -> &WriteBehindReport {
    consistency(r, "write-behind")
        .write_behind
        .as_ref()
        .unwrap()
}

fn with_crash_at(seconds: &str, seed: u64) -> Report {
    run(
        "consistency",
        &[("crash_at_s".into(), seconds.into())],
        seed,
    )
    .unwrap()
}

#[test]
fn invalidation_goes_stale_only_through_slow_readers_putting_old_rows_back() {
    for seed in SEEDS {
        let r = run("consistency", &[], seed).unwrap();
        let v = r.variant("invalidate").unwrap();
        let c = v.section::<ConsistencyReport>().unwrap();
        assert!(c.put_backs > 100, "seed {seed}: {c:?}");
        assert!(c.stale_reads > c.put_backs, "seed {seed}: {c:?}");
        // Every stale read was served from an entry that was outdated when it was stored.
        assert_eq!(c.stale_reads, c.stale_from_put_backs, "seed {seed}");
        assert_eq!(c.stale_reads, v.summary.stale_reads, "seed {seed}");
        // The same counts over time, one value per bucket of the series, for the lesson's chart.
        let n = v.series.t_s.len();
        assert_eq!(c.stale_reads_per_bucket.len(), n);
        assert_eq!(c.put_backs_per_bucket.len(), n);
        assert_eq!(c.stale_reads_per_bucket.iter().sum::<u64>(), c.stale_reads);
        assert_eq!(c.put_backs_per_bucket.iter().sum::<u64>(), c.put_backs);
        // Put-backs happen throughout the run, not in one burst.
        assert!(c.put_backs_per_bucket.iter().filter(|&&p| p > 0).count() * 2 > n);
        assert!(
            c.max_versions_behind >= 2 && c.max_stale_ms > 1_000.0,
            "seed {seed}: {c:?}"
        );
    }
}

#[test]
fn the_versioned_fix_has_no_stale_reads_and_pays_in_database_reads() {
    for seed in SEEDS {
        let r = run("consistency", &[], seed).unwrap();
        let fixed = r.variant("versioned").unwrap();
        let c = fixed.section::<ConsistencyReport>().unwrap();
        assert_eq!((c.stale_reads, c.put_backs), (0, 0), "seed {seed}");
        assert_eq!((c.max_versions_behind, c.max_stale_ms), (0, 0.0));
        assert_eq!(fixed.summary.stale_reads, 0);
        // It turned away at least the fills that invalidation let through as put-backs...
        assert!(c.refused_fills >= consistency(&r, "invalidate").put_backs);
        // ...so those keys stayed uncached a little longer: more database reads.
        assert!(fixed.summary.db_queries > r.variant("invalidate").unwrap().summary.db_queries);
    }
}

#[test]
fn write_through_writes_the_database_once_per_write_and_serves_no_stale_reads() {
    for seed in SEEDS {
        let r = run("consistency", &[], seed).unwrap();
        let through = r.variant("write-through").unwrap();
        let c = through.section::<ConsistencyReport>().unwrap();
        assert_eq!(c.db_writes, c.writes, "seed {seed}");
        assert_eq!(c.db_rows_written, c.writes);
        assert_eq!((c.stale_reads, c.put_backs), (0, 0), "seed {seed}");
        // The writer refills the cache, so reads after a write still hit.
        let invalidate = r.variant("invalidate").unwrap();
        assert!(through.summary.hit_ratio > invalidate.summary.hit_ratio + 0.05);
        assert!(through.summary.db_queries < invalidate.summary.db_queries / 2);
    }
}

#[test]
fn the_chapters_write_through_with_plain_fills_still_puts_old_rows_back() {
    // A 1 s TTL makes readers miss often enough for their loads to straddle writes. The same
    // write with SET NX fills turns every such late fill away; with the chapter's plain SET the
    // late fill overwrites the writer's newer row, and reads of it are stale until the next
    // write or the TTL.
    let given = [("ttl_s".to_string(), "1".to_string())];
    let only = ["chapter".to_string(), "write-through".to_string()];
    for seed in 1..=5 {
        let r = run_only("consistency", &given, seed, &only).unwrap();
        let (chapter, nx) = (consistency(&r, "chapter"), consistency(&r, "write-through"));
        assert!(chapter.put_backs >= 10, "seed {seed}: {chapter:?}");
        assert!(
            chapter.stale_reads > chapter.put_backs,
            "seed {seed}: {chapter:?}"
        );
        // Every stale read comes from a put-back, and none outlives the TTL by much.
        assert_eq!(chapter.stale_from_put_backs, chapter.stale_reads);
        assert_eq!(chapter.refused_fills, 0);
        assert_eq!(
            (nx.put_backs, nx.stale_reads),
            (0, 0),
            "seed {seed}: {nx:?}"
        );
        // SET NX turned the late fills away (among others that found a copy already there).
        assert!(nx.refused_fills > chapter.put_backs, "seed {seed}: {nx:?}");
        // Same writes, same cost: one database statement each.
        assert_eq!(
            (chapter.writes, chapter.db_writes),
            (nx.writes, nx.db_writes)
        );
    }
}

#[test]
fn write_behind_batches_the_database_writes_and_its_shutdown_loses_nothing() {
    for seed in SEEDS {
        let r = run("consistency", &[], seed).unwrap();
        let c = consistency(&r, "write-behind");
        let wb = c.write_behind.as_ref().unwrap();
        assert_eq!(c.writes, consistency(&r, "write-through").writes);
        assert!(c.db_writes * 5 < c.writes, "seed {seed}: {c:?}");
        assert_eq!(c.db_writes, wb.batches);
        assert!(wb.coalesced > 0);
        assert_eq!(c.writes, c.db_rows_written + wb.coalesced, "seed {seed}");
        assert_eq!((c.stale_reads, c.put_backs), (0, 0), "seed {seed}");
        assert_eq!(
            (wb.lost_writes, wb.unflushed_at_end, wb.rows_behind_at_end),
            (0, 0, 0)
        );
        assert!(wb.lost.is_empty() && wb.crash_at_s.is_none());
        // Only the write-behind variant reports a queue.
        assert!(consistency(&r, "write-through").write_behind.is_none());
    }
}

#[test]
fn a_write_behind_crash_loses_exactly_the_queued_writes_and_lists_them() {
    for seed in SEEDS {
        let calm = run("consistency", &[], seed).unwrap();
        let r = with_crash_at("10", seed);
        let c = consistency(&r, "write-behind");
        let wb = write_behind(&r);
        assert_eq!(wb.crash_at_s, Some(10.0));
        assert!(wb.lost_writes > 0, "seed {seed}: {wb:?}");
        // Every accepted write was written, superseded in its statement, or lost with the queue.
        assert_eq!(c.writes, c.db_rows_written + wb.coalesced + wb.lost_writes);
        assert_eq!(wb.lost.len() as u64, wb.lost_writes.min(20));
        assert!(wb.lost_writes <= wb.max_queue);
        assert_eq!(wb.unflushed_at_end, 0);
        // The crash changed nothing before it, and nothing in the other variants.
        assert_eq!(c.writes, consistency(&calm, "write-behind").writes);
        assert_eq!(
            r.variant("invalidate").unwrap(),
            calm.variant("invalidate").unwrap()
        );
    }
}

#[test]
fn a_crash_before_the_first_flush_loses_every_write_accepted_until_then() {
    // One flush every 10 s, in one statement each: the crash at 9.9 s comes before the first,
    // so the queue holds every write of the first 9.9 s — about half of the run's writes.
    let given = [
        ("flush_ms".to_string(), "10000".to_string()),
        ("batch_size".to_string(), "10000".to_string()),
        ("crash_at_s".to_string(), "9.9".to_string()),
    ];
    for seed in SEEDS {
        let r = run("consistency", &given, seed).unwrap();
        let (c, wb) = (consistency(&r, "write-behind"), write_behind(&r));
        assert_eq!(wb.lost_writes, wb.max_queue, "seed {seed}: {wb:?}");
        assert_eq!(wb.lost_writes + c.db_rows_written + wb.coalesced, c.writes);
        let share = wb.lost_writes as f64 / c.writes as f64;
        assert!((0.45..0.55).contains(&share), "seed {seed}: {share}");
        // Flushes at 10 s, at 20 s and at the shutdown (after the statement at 20 s returns).
        assert!(wb.batches <= 3, "seed {seed}: {wb:?}");
        // Rows whose only writes were lost stay behind in the database for good.
        assert!(wb.rows_behind_at_end > 0, "seed {seed}: {wb:?}");
    }
}

#[test]
fn refresh_ahead_reloads_in_the_background_but_still_races_with_writes() {
    for seed in SEEDS {
        let r = run("consistency", &[], seed).unwrap();
        let ahead = r.variant("refresh-ahead").unwrap();
        let c = ahead.section::<ConsistencyReport>().unwrap();
        assert!(c.refreshes > 50, "seed {seed}: {c:?}");
        assert!(ahead.summary.hit_ratio > r.variant("invalidate").unwrap().summary.hit_ratio);
        assert!(c.put_backs > 0 && c.stale_reads == c.stale_from_put_backs);
    }
}

#[test]
fn a_crash_after_the_traffic_is_refused_with_the_allowed_range() {
    let err = with_crash_at_err("20");
    assert!(err.contains("crash_at_s"), "{err}");
    assert!(err.contains("between 0 and 20"), "{err}");
}

fn with_crash_at_err(seconds: &str) -> String {
    run("consistency", &[("crash_at_s".into(), seconds.into())], 1)
        .unwrap_err()
        .to_string()
}

/// One random choice from each knob's interesting values (small runs, extremes included).
fn random_settings(rng: &mut SimRng) -> Vec<(String, String)> {
    const KNOBS: [(&str, &[&str]); 18] = [
        ("duration_s", &["1", "2", "3"]),
        ("rate", &["1", "50", "400", "2000"]),
        ("keys", &["1", "2", "20", "300"]),
        ("skew", &["0", "1", "3"]),
        ("write_share", &["0", "0.05", "0.5", "1"]),
        ("ttl_s", &["0.01", "0.5", "10"]),
        ("l1_keys", &["0", "1", "50"]),
        ("l1_ttl_ms", &["1", "1000"]),
        ("db_p50_ms", &["0.01", "20", "500"]),
        ("db_p99_ms", &["600", "2000"]),
        ("db_pool", &["1", "32"]),
        ("timeout_ms", &["1", "50", "3000"]),
        ("batch_size", &["1", "3", "10000"]),
        ("flush_ms", &["1", "100", "60000"]),
        ("crash_at_s", &["0", "0.5", "0.999"]),
        ("refresh_ahead_s", &["0.001", "2", "86400"]),
        ("clients", &["0", "0", "5"]),
        ("think_ms", &["1", "10"]),
    ];
    KNOBS
        .iter()
        .map(|(name, values)| {
            let value = values[rng.below(values.len() as u64) as usize];
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn the_fix_and_the_write_behind_accounting_hold_over_random_settings() {
    // An L1 in front, TTLs shorter than the request timeout, one connection, 1 ms flushes...
    let mut rng = SimRng::new(10);
    for seed in 0..300 {
        let given = random_settings(&mut rng);
        let r = run("consistency", &given, seed).unwrap();
        for v in &r.variants {
            let c = v.section::<ConsistencyReport>().unwrap();
            assert_eq!(c.stale_reads, v.summary.stale_reads, "{given:?}");
            if v.name == "versioned" {
                assert_eq!((c.stale_reads, c.put_backs), (0, 0), "{given:?}");
            }
            if let Some(wb) = &c.write_behind {
                assert_eq!(wb.unflushed_at_end, 0, "{given:?}");
                let accounted = c.db_rows_written + wb.coalesced + wb.lost_writes;
                assert_eq!(c.writes, accounted, "{given:?}");
                if wb.crash_at_s.is_none() {
                    assert_eq!(wb.rows_behind_at_end, 0, "{given:?}");
                }
            }
        }
    }
}
