//! Scenario `tags`: the claims of the lesson, as relations that hold at seeds 1 and 2.

use cachelab::scenario::{run, Report, TagsReport};

const SEEDS: [u64; 2] = [1, 2];

fn tags<'a>(r: &'a Report, name: &str) -> &'a TagsReport {
    r.variant(name).unwrap().section::<TagsReport>().unwrap()
}

/// The bucket that ends one TTL into the run: by then no page has expired yet, so the unbounded
/// sets hold every name written in one TTL — as many as can be alive at once, since the cache
/// starts cold and fills fastest at first.
fn one_ttl_bucket(r: &Report) -> usize {
    (r.params.get("ttl_s").unwrap() / (r.params.get("bucket_ms").unwrap() / 1e3)) as usize - 1
}

#[test]
fn unbounded_tag_sets_keep_growing_while_bounded_ones_level_off() {
    for seed in SEEDS {
        let r = run("tags", &[], seed).unwrap();
        let (bounded, unbounded) = (tags(&r, "bounded"), tags(&r, "unbounded"));
        let early = one_ttl_bucket(&r);
        println!("seed {seed}: bounded {:?}", bounded.tag_members);
        println!("seed {seed}: unbounded {:?}", unbounded.tag_members);
        let written_in_one_ttl = unbounded.tag_members[early];
        let last = *unbounded.tag_members.last().unwrap();
        assert!(last > 2 * written_in_one_ttl, "seed {seed}");
        // Pruning keeps each set within twice its live names (or its floor of 32), so the total
        // stays within twice what one TTL can hold, however long the run.
        for &total in &bounded.tag_members {
            assert!(total <= 2 * written_in_one_ttl, "seed {seed}: {total}");
        }
        assert!(
            2 * bounded.tag_members.last().unwrap() < last,
            "seed {seed}"
        );
        assert!(2 * bounded.largest_tag_set < unbounded.largest_tag_set);
        // The dead names cost memory: the unbounded cache ends up the larger.
        let memory = |t: &TagsReport| *t.used_memory_bytes.last().unwrap();
        assert!(memory(unbounded) > memory(bounded), "seed {seed}");
        // Without tags there are no sets at all.
        assert!(tags(&r, "no-tags").tag_members.iter().all(|&n| n == 0));
    }
}

#[test]
fn without_tags_listings_go_stale_and_with_tags_no_read_does() {
    for seed in SEEDS {
        let r = run("tags", &[], seed).unwrap();
        for name in ["bounded", "unbounded", "no-tags"] {
            let v = r.variant(name).unwrap();
            println!(
                "seed {seed} {name}: stale {}, flushed {}",
                v.summary.stale_reads,
                tags(&r, name).flushed_pages
            );
            assert_eq!(v.summary.stale_reads, tags(&r, name).stale_reads);
        }
        assert_eq!(tags(&r, "bounded").stale_reads, 0);
        assert_eq!(tags(&r, "unbounded").stale_reads, 0);
        let none = tags(&r, "no-tags");
        assert!(none.stale_reads > 100, "seed {seed}");
        // It deletes one page per update at most; a tag flush also finds the listings and searches.
        assert!(none.flushed_pages <= none.updates);
        assert!(tags(&r, "bounded").flushed_pages > 5 * none.flushed_pages);
    }
}

#[test]
fn bounded_and_unbounded_flush_the_same_pages() {
    for seed in SEEDS {
        let r = run("tags", &[], seed).unwrap();
        let (bounded, unbounded) = (
            r.variant("bounded").unwrap(),
            r.variant("unbounded").unwrap(),
        );
        let (b, u) = (
            bounded.section::<TagsReport>().unwrap(),
            unbounded.section::<TagsReport>().unwrap(),
        );
        assert_eq!(b.updates, u.updates);
        assert!(b.updates > 0);
        assert_eq!(b.flushed_pages, u.flushed_pages, "seed {seed}");
        assert_eq!(b.pages_cached, u.pages_cached, "seed {seed}");
        // Only the bookkeeping differs: every read finds the same page in both.
        assert_eq!(bounded.summary.l2_hits, unbounded.summary.l2_hits);
        assert_eq!(bounded.summary.misses, unbounded.summary.misses);
    }
}

#[test]
fn a_fine_bucket_over_a_large_catalogue_is_refused_not_run_for_minutes() {
    let set = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let heavy = set(&[
        ("products", "10000"),
        ("duration_s", "600"),
        ("bucket_ms", "10"),
        ("rate", "1"),
    ]);
    let e = run("tags", &heavy, 1).unwrap_err().to_string();
    assert!(e.contains("tag-set measurements"), "{e}");
    let e = run("tags", &set(&[("products", "0")]), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`products` must be between 1 and 10000"), "{e}");
}
