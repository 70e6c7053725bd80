//! Scenario `query-cache` (the chapter's Exercise 3): the claims of its lesson, as relations
//! that hold at seeds 1 to 5.

use cachelab::scenario::{run, QueryCacheReport, Report, VariantReport};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn variant<'a>(r: &'a Report, name: &str) -> (&'a VariantReport, &'a QueryCacheReport) {
    let v = r.variant(name).unwrap();
    (v, v.section::<QueryCacheReport>().unwrap())
}

/// Every claim at every seed from one run each (a run of three variants takes a second or two).
#[test]
fn the_lessons_claims_hold_at_seeds_1_to_5() {
    for seed in SEEDS {
        let r = run("query-cache", &[], seed).unwrap();
        for name in ["ttl-only", "table-invalidation", "row-invalidation"] {
            let (v, q) = variant(&r, name);
            println!(
                "seed {seed} {name}: hit ratio {:.4}; {}",
                v.summary.hit_ratio,
                q.headline()
            );
            assert_eq!(v.summary.stale_reads, q.stale_reads, "seed {seed} {name}");
            assert_eq!(v.summary.wrong_values, 0);
        }
        a_ttl_alone_serves_stale_reads_and_flushing_by_tag_serves_none(&r, seed);
        flushing_by_row_keeps_more_hits_than_flushing_by_table(&r, seed);
        the_hottest_query_loads_once_at_a_time_and_the_cache_starts_warm(&r, seed);
    }
}

fn a_ttl_alone_serves_stale_reads_and_flushing_by_tag_serves_none(r: &Report, seed: u64) {
    assert!(variant(r, "ttl-only").1.stale_reads > 0, "seed {seed}");
    assert_eq!(
        variant(r, "table-invalidation").1.stale_reads,
        0,
        "seed {seed}"
    );
    assert_eq!(
        variant(r, "row-invalidation").1.stale_reads,
        0,
        "seed {seed}"
    );
    // Only the flushing variants flush, and by table they flush more.
    assert_eq!(variant(r, "ttl-only").1.flushed, 0);
    let flushed = |name| variant(r, name).1.flushed;
    assert!(
        flushed("table-invalidation") > flushed("row-invalidation"),
        "seed {seed}"
    );
    assert!(flushed("row-invalidation") > 0, "seed {seed}");
}

fn flushing_by_row_keeps_more_hits_than_flushing_by_table(r: &Report, seed: u64) {
    let ratio = |name| variant(r, name).0.summary.hit_ratio;
    let (table, row) = (ratio("table-invalidation"), ratio("row-invalidation"));
    assert!(row > table, "seed {seed}: row {row} table {table}");
    assert!(
        ratio("ttl-only") >= row,
        "seed {seed}: nothing is flushed under a TTL alone"
    );
}

fn the_hottest_query_loads_once_at_a_time_and_the_cache_starts_warm(r: &Report, seed: u64) {
    let categories = r.params.get("categories").unwrap() as u64;
    for v in &r.variants {
        let q = v.section::<QueryCacheReport>().unwrap();
        assert_eq!(q.summary_duplicate_loads, 0, "seed {seed} {}", v.name);
        assert_eq!(q.warmed, 1 + categories);
    }
    // Every product change flushes the summary; readers that find it loading wait.
    let (_, table) = variant(r, "table-invalidation");
    assert!(table.summary_waits > 0, "seed {seed}");
    assert!(table.summary_loads > 1, "seed {seed}");
}

#[test]
fn spellings_of_a_query_share_one_key() {
    let r = run("query-cache", &[("duration_s".into(), "10".into())], 1).unwrap();
    let (_, q) = variant(&r, "ttl-only");
    // At most one key per query and parameter: 400 products twice, 20 categories, the summary.
    assert!(q.distinct_keys <= 2 * 400 + 20 + 1, "{}", q.distinct_keys);
}

#[test]
fn without_writes_the_variants_serve_alike() {
    let quiet = [
        ("update_rate".to_string(), "0".to_string()),
        ("duration_s".to_string(), "10".to_string()),
    ];
    let r = run("query-cache", &quiet, 3).unwrap();
    let ratios: Vec<f64> = r.variants.iter().map(|v| v.summary.hit_ratio).collect();
    assert!(ratios.windows(2).all(|w| w[0] == w[1]), "{ratios:?}");
}

#[path = "support/cli.rs"]
mod cli;

#[test]
fn cachelab_run_query_cache_prints_its_numbers() {
    let out = cli::cachelab(&[
        "run",
        "query-cache",
        "--seed",
        "1",
        "--set",
        "duration_s=10",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("row-invalidation"), "{text}");
    assert!(text.contains("; warmed 21; "), "{text}");
}
