//! The `multilayer` scenario must show what the lesson teaches: L1s on several instances serve
//! outdated rows after a write unless an invalidation reaches them, that staleness is bounded by
//! the L1 TTL without one and by the message's trip with one, and warming the hot keys spares the
//! database at start-up. Each claim is checked at two seeds as a relation within one run.

use cachelab::scenario::{run, run_only, MultiLayerReport, VariantReport};

const SEEDS: [u64; 2] = [1, 2];

fn layers(v: &VariantReport) -> &MultiLayerReport {
    v.section::<MultiLayerReport>()
        .expect("a multilayer report")
}

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn broadcast_serves_far_fewer_stale_reads_than_l1_ttl_alone() {
    for seed in SEEDS {
        let r = run("multilayer", &[], seed).unwrap();
        let (ttl_only, broadcast) = (
            r.variant("l1-ttl-only").unwrap(),
            r.variant("broadcast").unwrap(),
        );
        let (a, b) = (ttl_only.summary.stale_reads, broadcast.summary.stale_reads);
        // Without invalidation, a large share of reads is outdated; with it, a few percent of that.
        assert!(a > 10_000, "seed {seed}: l1-ttl-only {a}");
        assert!(b * 20 < a, "seed {seed}: broadcast {b} against {a}");
        // The outdated answers come from the other instances' L1s.
        assert!(
            layers(ttl_only).layers[0].stale_reads * 100 > a * 99,
            "seed {seed}"
        );
    }
}

#[test]
fn without_broadcast_no_read_is_staler_than_the_l1_ttl_plus_one_round_trip() {
    // An L1 entry lives at most l1_ttl from the moment it arrives; the latest an outdated one can
    // arrive is one L2 round trip after the commit (a GET sent just before it).
    for seed in SEEDS {
        let r = run("multilayer", &[], seed).unwrap();
        let bound = r.params.get("l1_ttl_ms").unwrap() + r.params.get("l2_rtt_ms").unwrap();
        let m = layers(r.variant("l1-ttl-only").unwrap());
        assert!(m.max_stale_ms <= bound, "seed {seed}: {m:?}");
        // ... and the bound is reached: entries really do outlive the writes for that long.
        assert!(
            m.max_stale_ms > 0.95 * r.params.get("l1_ttl_ms").unwrap(),
            "seed {seed}"
        );
        for l in &m.layers[1..] {
            assert!(
                l.max_stale_ms <= r.params.get("l2_rtt_ms").unwrap(),
                "seed {seed}: {l:?}"
            );
        }
    }
}

/// `chapter` and `l1-ttl-only` at `duration_s`, with an L1 that holds every key (so that no
/// eviction ends a copy) and lighter traffic than the defaults, to keep the test quick.
fn chapter_and_ttl(seed: u64, duration_s: &str) -> (MultiLayerReport, MultiLayerReport) {
    let given = set(&[
        ("duration_s", duration_s),
        ("rate", "2000"),
        ("l1_keys", "2000"),
    ]);
    let only = ["chapter".to_string(), "l1-ttl-only".to_string()];
    let r = run_only("multilayer", &given, seed, &only).unwrap();
    let report = |name| layers(r.variant(name).unwrap()).clone();
    (report("chapter"), report("l1-ttl-only"))
}

#[test]
fn the_chapters_l1_without_a_ttl_stays_outdated_for_as_long_as_the_run_lasts() {
    for seed in 1..=5 {
        let (chapter_10, ttl_10) = chapter_and_ttl(seed, "10");
        let (chapter_20, ttl_20) = chapter_and_ttl(seed, "20");
        // With an L1 TTL (2 s by default) staleness has a bound, however long the run ...
        for ttl in [&ttl_10, &ttl_20] {
            assert!(ttl.max_stale_ms <= 2_001.0, "seed {seed}: {ttl:?}");
            assert!(ttl.oldest_outdated_l1_copy_ms <= 2_000.0, "seed {seed}");
        }
        // ... and without one, none: a copy written over early in the run is still there, and
        // still served, at its end; run twice as long and it is twice as old.
        assert!(
            chapter_10.oldest_outdated_l1_copy_ms > 8_000.0,
            "seed {seed}: {chapter_10:?}"
        );
        assert!(
            chapter_20.oldest_outdated_l1_copy_ms > 18_000.0,
            "seed {seed}: {chapter_20:?}"
        );
        assert!(
            chapter_20.max_stale_ms > 5.0 * ttl_20.max_stale_ms,
            "seed {seed}: {} against {}",
            chapter_20.max_stale_ms,
            ttl_20.max_stale_ms
        );
        // Outdated copies pile up: many times the TTL'd L1's handful.
        assert!(
            chapter_20.outdated_l1_copies_at_end > 5 * ttl_20.outdated_l1_copies_at_end,
            "seed {seed}: {} against {}",
            chapter_20.outdated_l1_copies_at_end,
            ttl_20.outdated_l1_copies_at_end
        );
        assert!(
            chapter_20.outdated_l1_copies_at_end > chapter_10.outdated_l1_copies_at_end,
            "seed {seed}"
        );
    }
}

#[test]
fn at_the_defaults_the_chapters_l1_is_bounded_by_its_evictions_alone() {
    // 500 of 2,000 keys fit: new keys push the oldest copies out within a couple of seconds, so
    // the chapter's L1 is not staler than the TTL'd one here — but nothing else bounds it.
    for seed in SEEDS {
        let r = run_only("multilayer", &[], seed, &["chapter".to_string()]).unwrap();
        let chapter = layers(r.variant("chapter").unwrap());
        assert!(chapter.layers[0].stale_reads > 10_000, "seed {seed}");
        assert!(chapter.max_stale_ms < 5_000.0, "seed {seed}: {chapter:?}");
    }
}

#[test]
fn with_broadcast_l1_staleness_ends_when_the_message_arrives() {
    // The write returns one round trip after its commit, and its message needs another round trip
    // (to the server and out to each instance) plus the delay: L1 staleness ends then.
    for seed in SEEDS {
        for delay in [0.0, 50.0] {
            let given = set(&[("broadcast_delay_ms", &delay.to_string())]);
            let r = run("multilayer", &given, seed).unwrap();
            let rtt = r.params.get("l2_rtt_ms").unwrap();
            for name in ["broadcast", "cold-start", "warm-start"] {
                let l1 = &layers(r.variant(name).unwrap()).layers[0];
                assert!(
                    l1.max_stale_ms <= 2.0 * rtt + delay,
                    "seed {seed}, delay {delay}, {name}: {l1:?}"
                );
            }
        }
    }
}

#[test]
fn a_later_broadcast_lets_more_stale_reads_through() {
    for seed in SEEDS {
        let stale = |delay: &str| {
            let r = run("multilayer", &set(&[("broadcast_delay_ms", delay)]), seed).unwrap();
            let ttl_only = r.variant("l1-ttl-only").unwrap().summary.stale_reads;
            (
                r.variant("broadcast").unwrap().summary.stale_reads,
                ttl_only,
            )
        };
        let (prompt, ttl_only) = stale("0");
        let (late, _) = stale("200");
        let (later, _) = stale("1000");
        assert!(
            prompt < late && late < later && later < ttl_only,
            "seed {seed}: {prompt} < {late} < {later} < {ttl_only}"
        );
    }
}

#[test]
fn a_warm_start_spares_the_database_in_the_first_seconds() {
    for seed in SEEDS {
        let r = run("multilayer", &[], seed).unwrap();
        let bucket_s = r.params.get("bucket_ms").unwrap() / 1e3;
        let first_two = |name: &str| -> f64 {
            r.variant(name).unwrap().series.db_qps[..2]
                .iter()
                .map(|q| q * bucket_s)
                .sum()
        };
        let (cold, warm) = (first_two("cold-start"), first_two("warm-start"));
        assert!(warm * 1.5 < cold, "seed {seed}: warm {warm}, cold {cold}");
        // And the caches answer more of the first reads.
        let hit = |name: &str| r.variant(name).unwrap().series.hit_ratio[0].unwrap();
        assert!(hit("warm-start") > hit("cold-start") + 0.1, "seed {seed}");
        // Like with like: warm-start's L2 starts as broadcast's (every key), its L1s warmed on
        // top, so it never needs more of the database at first than broadcast does.
        let keys = r.params.get_u64("keys").unwrap();
        let warm = layers(r.variant("warm-start").unwrap());
        assert_eq!((warm.warm_l2_keys, warm.warm_l1_keys), (keys, 500));
        assert_eq!(layers(r.variant("broadcast").unwrap()).warm_l2_keys, keys);
        assert_eq!(layers(r.variant("cold-start").unwrap()).warm_l2_keys, 0);
        let (warm, broadcast) = (first_two("warm-start"), first_two("broadcast"));
        assert!(
            warm <= broadcast,
            "seed {seed}: warm {warm}, broadcast {broadcast}"
        );
    }
}

#[test]
fn every_request_is_counted_once_by_layer_and_by_instance() {
    for seed in SEEDS {
        let r = run("multilayer", &[], seed).unwrap();
        let instances = r.params.get("instances").unwrap() as u64;
        for v in &r.variants {
            let (s, m) = (&v.summary, layers(v));
            let [l1, l2, db] = &m.layers[..] else {
                panic!("three layers: {m:?}")
            };
            // Hits per layer, failed reads and writes make up every request.
            assert_eq!(
                l1.hits + l2.hits + db.hits + m.failed_reads + m.writes,
                s.requests,
                "{}",
                v.name
            );
            assert_eq!(
                (l1.hits, l2.hits, db.hits),
                (s.l1_hits, s.l2_hits, s.misses)
            );
            // The page's "DB reads" and "DB queries (the reads + the writes)": the queries are
            // those reads and one statement per write (none fails at the defaults).
            assert_eq!(s.errors, 0, "{}", v.name);
            assert_eq!(s.db_queries, db.hits + m.writes, "{}", v.name);
            // Each layer sees what the one above missed.
            assert_eq!(
                (l1.lookups, l2.lookups, db.lookups),
                (m.reads, m.reads - l1.hits, l2.lookups - l2.hits)
            );
            assert_eq!(
                l1.stale_reads + l2.stale_reads + db.stale_reads,
                s.stale_reads
            );
            assert_eq!(m.stale_reads.iter().sum::<u64>(), s.stale_reads);
            assert_eq!(m.stale_reads.len(), v.series.t_s.len());
            // The instances' shares add up, and round robin keeps them even.
            let p = &m.per_instance;
            assert_eq!(p.len() as u64, instances);
            assert_eq!(p.iter().map(|i| i.requests).sum::<u64>(), s.requests);
            assert_eq!(p.iter().map(|i| i.l1_hits).sum::<u64>(), s.l1_hits);
            assert_eq!(p.iter().map(|i| i.stale_reads).sum::<u64>(), s.stale_reads);
            assert_eq!(p.iter().map(|i| i.db_queries).sum::<u64>(), s.db_queries);
            let (least, most) = (
                p.iter().map(|i| i.requests).min(),
                p.iter().map(|i| i.requests).max(),
            );
            assert!(most.unwrap() - least.unwrap() <= 1, "{}", v.name);
            // Every completed write sends one message, delivered to every instance.
            match (&m.broadcast, v.name.as_str()) {
                (None, "l1-ttl-only" | "chapter") => {}
                (Some(b), _) => {
                    assert_eq!(b.sent, m.writes, "{}", v.name);
                    assert_eq!(b.delivered, b.sent * instances, "{}", v.name);
                    assert!(b.l1_entries_dropped > 0, "{}", v.name);
                }
                (None, name) => panic!("{name} sent no broadcast"),
            }
        }
    }
}

#[test]
fn broadcast_trades_some_l1_hits_for_fresh_data() {
    // Dropping entries on every write means more reads go on to L2 and the database.
    for seed in SEEDS {
        let r = run("multilayer", &[], seed).unwrap();
        let (a, b) = (
            &r.variant("l1-ttl-only").unwrap().summary,
            &r.variant("broadcast").unwrap().summary,
        );
        assert!(
            b.l1_hits < a.l1_hits && b.db_queries > a.db_queries,
            "seed {seed}"
        );
    }
}

#[test]
fn even_one_instance_can_put_an_old_row_back_into_its_own_l1() {
    // The writer drops its own entry at the commit, but a read of its own whose GET reached L2
    // just before the DEL brings the old row back a moment later. Without a message it stays
    // until the L1 TTL; the writer's own copy of the message drops it.
    for seed in SEEDS {
        let r = run("multilayer", &set(&[("instances", "1")]), seed).unwrap();
        let rtt = r.params.get("l2_rtt_ms").unwrap();
        let ttl_only = &layers(r.variant("l1-ttl-only").unwrap()).layers[0];
        assert!(
            ttl_only.stale_reads > 0 && ttl_only.max_stale_ms > 10.0 * rtt,
            "seed {seed}: {ttl_only:?}"
        );
        // Far fewer than with four instances, where every other L1 keeps the old row.
        assert!(ttl_only.stale_reads < 1_000, "seed {seed}: {ttl_only:?}");
        let b = layers(r.variant("broadcast").unwrap());
        assert!(b.layers[0].max_stale_ms <= 2.0 * rtt, "seed {seed}: {b:?}");
        assert!(
            b.broadcast.as_ref().unwrap().l1_entries_dropped > 0,
            "seed {seed}"
        );
    }
}

#[test]
fn bad_parameters_are_refused_by_name() {
    for (name, value, range) in [
        ("instances", "0", "between 1 and 32"),
        ("broadcast_delay_ms", "-1", "between 0 and 60000"),
        ("warm_keys", "1.5", "whole number"),
    ] {
        let err = run("multilayer", &set(&[(name, value)]), 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains(name) && err.contains(range), "{err}");
    }
}
