//! The trace tools from the command line: compressed and plain readers agree, the exact LRU
//! curve equals a replay at every capacity it prints, the sampled curves stay close to the full
//! ones, the analysis adds up, and threads change nothing but the time.

#[path = "support/cli.rs"]
mod cli;

use cli::{cachelab, cachelab_json};
use serde_json::Value;
use std::path::PathBuf;

fn bundled(name: &str) -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/www/traces/").to_string() + name
}

/// `zipf.csv` of the shared folder (beside the checkout, or two levels up from a worktree).
fn shared_zipf() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    ["../shared/traces/zipf.csv", "../../shared/traces/zipf.csv"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.exists())
}

/// The first `n` requests of the shared `zipf.csv`, written to a temporary file.
fn zipf_prefix(n: usize) -> Option<PathBuf> {
    let Some(path) = shared_zipf() else {
        println!("skipped the zipf.csv prefix: the shared traces are not here");
        return None;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let prefix: String = text.lines().take(n + 1).map(|l| format!("{l}\n")).collect();
    let out = std::env::temp_dir().join(format!("cachelab-zipf-{n}-{}.csv", std::process::id()));
    std::fs::write(&out, prefix).unwrap();
    Some(out)
}

fn rows(report: &Value) -> &Vec<Value> {
    report["rows"].as_array().unwrap()
}

#[test]
fn the_zst_sample_replays_as_the_csv_it_was_made_from() {
    let args = |trace: &str| {
        cachelab_json(&[
            "replay",
            trace,
            "--policy",
            "all",
            "--size",
            "0.01,0.1,64MiB",
            "--bytes",
            "--json",
        ])
    };
    let csv = args(&bundled("cloudphysics.csv"));
    let zst = args(&bundled("cloudphysics.oracleGeneral.zst"));
    assert_eq!(rows(&csv), rows(&zst));
    assert_eq!(zst["requests"], 113_872);
    assert_eq!(zst["unique_keys"], 48_974);
    // The streaming path (read twice, never held) gives the same rows again.
    let streamed = cachelab_json(&[
        "replay",
        &bundled("cloudphysics.oracleGeneral.zst"),
        "--policy",
        "all",
        "--size",
        "0.01,0.1,64MiB",
        "--bytes",
        "--stream",
        "--json",
    ]);
    assert_eq!(rows(&csv), rows(&streamed));
}

#[test]
fn csv_columns_and_format_come_from_flags_names_and_first_bytes() {
    let dir = std::env::temp_dir().join(format!("cachelab-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("plain.csv");
    std::fs::write(
        &plain,
        "time,key,size\n1,10,5\n2,11,5\n3,10,5\n4,12,5\n5,10,5\n",
    )
    .unwrap();
    // The same requests, tab-separated with the columns reordered and no header, in a file
    // whose name says nothing: the first bytes say CSV, the flags say where the columns are.
    let odd = dir.join("odd-name");
    std::fs::write(
        &odd,
        "5\t10\tx\t1\n5\t11\tx\t2\n5\t10\tx\t3\n5\t12\tx\t4\n5\t10\tx\t5\n",
    )
    .unwrap();
    let replay = |path: &PathBuf, extra: &[&str]| {
        let path = path.to_str().unwrap();
        let mut args = vec![
            "replay", path, "--policy", "lru,fifo", "--size", "2", "--json",
        ];
        args.extend_from_slice(extra);
        cachelab_json(&args)
    };
    let expected = replay(&plain, &[]);
    let params = "time-col=4, obj-id-col=2, obj-size-col=1, delimiter=\\t, has-header=false";
    assert_eq!(
        rows(&replay(&odd, &["--trace-params", params])),
        rows(&expected)
    );
    // String ids: hashed, so the same misses.
    let hashed = replay(&plain, &["--trace-params", "obj-id-is-num=false"]);
    assert_eq!(rows(&hashed), rows(&expected));
    // A bad parameter and a bad format are named.
    let out = cachelab(&[
        "replay",
        plain.to_str().unwrap(),
        "--trace-params",
        "obj-id-col=zero",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("obj-id-col"));
    let out = cachelab(&["replay", plain.to_str().unwrap(), "--format", "parquet"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("trace format"));
}

/// `mrc --method exact` and `replay --policy lru` at the same capacities, misses for misses.
fn exact_equals_replay(trace: &str) {
    let sizes = "1,2,3,5,10,50,100,0.001,0.01,0.02,0.05,0.1,0.2,0.3,0.5,0.75,1.0";
    let curve = cachelab_json(&["mrc", trace, "--method", "exact", "--size", sizes, "--json"]);
    let replay = cachelab_json(&[
        "replay", trace, "--policy", "lru", "--size", sizes, "--json",
    ]);
    let points = curve["points"].as_array().unwrap();
    assert_eq!(points.len(), rows(&replay).len());
    for (point, row) in points.iter().zip(rows(&replay)) {
        assert_eq!(point["capacity"], row["capacity"]);
        assert_eq!(
            point["misses"], row["misses"],
            "{trace} at {}",
            row["capacity"]
        );
    }
    // The dense curve falls as the cache grows.
    let dense: Vec<f64> = curve["curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["miss_ratio"].as_f64().unwrap())
        .collect();
    assert!(dense.len() > 50);
    assert!(dense.windows(2).all(|w| w[1] <= w[0]));
}

#[test]
fn exact_lru_curve_equals_replay_on_both_sample_traces() {
    exact_equals_replay(&bundled("cloudphysics.csv"));
    if let Some(prefix) = zipf_prefix(200_000) {
        exact_equals_replay(prefix.to_str().unwrap());
    }
}

fn mean_error(a: &Value, b: &[f64]) -> (f64, f64) {
    let errors: Vec<f64> = a["points"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b)
        .map(|(p, r)| (p["miss_ratio"].as_f64().unwrap() - r).abs())
        .collect();
    (
        errors.iter().sum::<f64>() / errors.len() as f64,
        errors.iter().cloned().fold(0.0, f64::max),
    )
}

/// Fixed-rate SHARDS against the exact curve over the 16 sizes of `--mrc`: within 0.01 at 10 %;
/// at 1 % within `at_one_percent`. The 0.01 at 1 % holds once a sample has thousands of
/// keys (`policy::mrc`'s unit test on 390,000 keys); a 1 % sample of these traces holds 490
/// (cloudphysics) or 450 (the zipf prefix), and which keys fall in decides the error: measured
/// 0.023 and 0.039 (the plain adjustment gave 0.045 and 0.041).
fn shards_error_within(trace: &str, at_one_percent: f64) {
    let exact = cachelab_json(&["mrc", trace, "--json"]);
    let exact: Vec<f64> = exact["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["miss_ratio"].as_f64().unwrap())
        .collect();
    for (rate, bound) in [("0.1", 0.01), ("0.01", at_one_percent)] {
        let shards = cachelab_json(&["mrc", trace, "--method", "shards", "--rate", rate, "--json"]);
        let (mean, max) = mean_error(&shards, &exact);
        println!("{trace}: SHARDS at {rate}: mean error {mean:.4}, max {max:.4}");
        assert!(
            mean <= bound,
            "{trace}: SHARDS at {rate}: mean error {mean}"
        );
    }
}

#[test]
fn shards_error_on_the_zipf_prefix() {
    if let Some(prefix) = zipf_prefix(200_000) {
        shards_error_within(prefix.to_str().unwrap(), 0.045);
    }
}

#[test]
fn sampled_curves_stay_close_to_the_full_ones() {
    let trace = bundled("cloudphysics.csv");
    shards_error_within(&trace, 0.03);
    for policy in ["sieve", "s3fifo", "arc"] {
        let full = cachelab_json(&["replay", &trace, "--policy", policy, "--mrc", "--json"]);
        let full: Vec<f64> = rows(&full)
            .iter()
            .map(|r| r["miss_ratio"].as_f64().unwrap())
            .collect();
        let mini = cachelab_json(&["mrc", &trace, "--policy", policy, "--rate", "0.1", "--json"]);
        assert_eq!(mini["method"], "minisim");
        let (mean, max) = mean_error(&mini, &full);
        assert!(
            max <= 0.025 && mean <= 0.01,
            "MiniSim {policy} at 10 %: mean {mean}, max {max}"
        );
    }
    let out = cachelab(&["mrc", &trace, "--policy", "arc", "--method", "exact"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("minisim"));
}

#[test]
fn analysis_adds_up_on_the_bundled_trace() {
    let a = cachelab_json(&[
        "analyze",
        &bundled("cloudphysics.oracleGeneral.zst"),
        "--json",
    ]);
    // The figures of the trace's README.
    assert_eq!(a["requests"], 113_872);
    assert_eq!(a["unique_keys"], 48_974);
    assert_eq!(a["one_hit_wonders"], 21_049);
    assert_eq!(a["top_key_requests"], 1_630);
    assert_eq!(a["unique_bytes"], 2_029_769_728u64);
    assert_eq!(a["total_bytes"], 4_368_040_448u64);
    assert_eq!(a["time_span"], serde_json::json!([5633898, 5641098]));
    assert_eq!(a["sizes"]["min"], 512);
    assert_eq!(a["sizes"]["max"], 69_632);
    let reused: u64 = a["reuse_distances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(reused + a["first_requests"].as_u64().unwrap(), 113_872);
    assert!(a["zipf_exponent"].as_f64().unwrap() > 0.0);
}

#[test]
fn threads_change_nothing_but_the_time() {
    let trace = bundled("cloudphysics.csv");
    let run = |threads: &str| {
        cachelab_json(&[
            "replay",
            &trace,
            "--policy",
            "all",
            "--size",
            "0.01,0.1",
            "--threads",
            threads,
            "--json",
        ])
    };
    assert_eq!(rows(&run("1")), rows(&run("3")));
    let out = cachelab(&["replay", &trace, "--threads", "0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("threads"));
}

/// Belady from the oracleGeneral next-access field (one pass, streamed or decoded) gives the rows
/// of Belady from the same requests' recomputed next accesses (the CSV), and the field is
/// really what it reads: a file whose fields all say "never" gives other rows.
#[test]
fn belady_reads_the_next_access_field_and_agrees_with_two_passes() {
    let belady = |trace: &str, extra: &[&str]| {
        let mut args = vec![
            "replay",
            trace,
            "--policy",
            "belady,lru",
            "--size",
            "0.01,0.1,64MiB",
            "--bytes",
            "--json",
        ];
        args.extend_from_slice(extra);
        cachelab_json(&args)
    };
    let csv = belady(&bundled("cloudphysics.csv"), &[]);
    let zst = bundled("cloudphysics.oracleGeneral.zst");
    assert_eq!(rows(&belady(&zst, &[])), rows(&csv));
    assert_eq!(rows(&belady(&zst, &["--stream"])), rows(&csv));

    let dir = std::env::temp_dir().join(format!("cachelab-belady-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("t.oracleGeneral.bin");
    let out = cachelab(&["convert", &zst, "-o", plain.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bytes = std::fs::read(&plain).unwrap();
    let rewrite = |bytes: &mut Vec<u8>, field: i64| {
        for record in bytes.chunks_exact_mut(24) {
            record[16..24].copy_from_slice(&field.to_le_bytes());
        }
    };
    rewrite(&mut bytes, -1);
    let never = dir.join("never.oracleGeneral.bin");
    std::fs::write(&never, &bytes).unwrap();
    let never = never.to_str().unwrap();
    for extra in [&[][..], &["--stream"][..]] {
        let rows_never = belady(never, extra);
        let (b, c) = (&rows(&rows_never)[0], &rows(&csv)[0]);
        assert_eq!(b["policy"], "belady");
        assert_ne!(
            b["misses"], c["misses"],
            "{extra:?}: the field was not read"
        );
        // LRU does not look at it.
        assert_eq!(rows(&rows_never)[3], rows(&csv)[3]);
    }
    // Zeros (no next-access information): held in memory, recomputed; streamed, refused by
    // record.
    rewrite(&mut bytes, 0);
    let zeros = dir.join("zeros.oracleGeneral.bin");
    std::fs::write(&zeros, &bytes).unwrap();
    let zeros = zeros.to_str().unwrap();
    assert_eq!(rows(&belady(zeros, &[])), rows(&csv));
    let out = cachelab(&[
        "replay", zeros, "--policy", "belady", "--size", "0.1", "--stream",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 1") && err.contains("next-access"),
        "{err}"
    );
}
