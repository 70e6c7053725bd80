//! `cachelab replay`: the table, the JSON report, and a clear error for every bad flag or trace.

#[path = "support/cli.rs"]
mod cli;

use cli::{cachelab, cachelab_json};
use std::path::PathBuf;
use std::process::Output;

/// Writes `contents` to a fresh file in the target directory and returns its path.
fn trace_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("policy_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn replay(args: &[&str]) -> Output {
    cachelab(&[&["replay"], args].concat())
}

fn stderr_of(args: &[&str]) -> String {
    let out = replay(args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const TINY: &str = "time,key,size\n1,1,10\n2,2,10\n3,1,10\n4,3,10\n5,1,10\n";

#[test]
fn json_report_has_one_row_per_policy_and_size() {
    let path = trace_file("tiny.csv", TINY.as_bytes());
    let report = cachelab_json(&[
        "replay",
        path.to_str().unwrap(),
        "--policy",
        "lru,fifo",
        "--size",
        "2,20B",
        "--json",
    ]);
    assert_eq!(report["requests"], 5);
    assert_eq!(report["unique_keys"], 3);
    let rows = report["rows"].as_array().unwrap();
    let summary: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["policy"].as_str().unwrap().to_string(),
                r["capacity"].as_u64().unwrap(),
                r["misses"].as_u64().unwrap(),
            )
        })
        .collect();
    // Two objects (or 20 bytes of 10-byte objects) hold 1 under LRU, not under FIFO.
    let expected = [
        ("lru", 2, 3),
        ("lru", 20, 3),
        ("fifo", 2, 4),
        ("fifo", 20, 4),
    ];
    for (got, want) in summary.iter().zip(expected) {
        assert_eq!((got.0.as_str(), got.1, got.2), want);
    }
    assert_eq!(rows[0]["miss_ratio"], 0.6);
}

#[test]
fn the_table_and_the_text_and_oracle_formats() {
    let text = trace_file("keys.txt", b"a\nb\na\n");
    let out = replay(&[text.to_str().unwrap(), "--policy", "lru", "--size", "1"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("3 requests, 2 unique keys"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("lru") && l.contains(" 3 ")),
        "{table}"
    );

    let mut bin = Vec::new();
    for key in [7u64, 8, 7] {
        bin.extend_from_slice(&1u32.to_le_bytes());
        bin.extend_from_slice(&key.to_le_bytes());
        bin.extend_from_slice(&100u32.to_le_bytes());
        bin.extend_from_slice(&(-1i64).to_le_bytes());
    }
    let oracle = trace_file("trace.oracleGeneral.bin", &bin);
    let report = cachelab_json(&[
        "replay",
        oracle.to_str().unwrap(),
        "--policy",
        "lru",
        "--size",
        "0.5",
        "--json",
    ]);
    assert_eq!(
        report["rows"][0]["misses"], 3,
        "one object of two: every request misses"
    );
}

#[test]
fn every_bad_input_is_a_clear_error() {
    let good = trace_file("good.csv", TINY.as_bytes());
    let good = good.to_str().unwrap();
    let bad_line = trace_file("bad.csv", b"time,key,size\n1,1,10\n2,x,10\n");
    let empty = trace_file("empty.csv", b"time,key,size\n");
    let cases: [(Vec<&str>, &str); 9] = [
        (vec![good, "--policy", "random"], "unknown policy `random`"),
        (vec![good, "--policy", "lru,"], "policy list"),
        (vec![good, "--size", "1.5"], "between 0 and 1"),
        (vec![good, "--size", "0"], "must be between 1"),
        (vec![good, "--size", "12XB"], "must be a number"),
        (
            vec![good, "--size", "0.01"],
            "0.01 of 3 unique objects is 0 objects",
        ),
        (vec![good, "--format", "parquet"], "unknown trace format"),
        (vec![bad_line.to_str().unwrap()], "trace line 3: key \"x\""),
        (vec![empty.to_str().unwrap()], "holds no requests"),
    ];
    for (args, expected) in cases {
        let err = stderr_of(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert!(stderr_of(&["/no/such/trace.csv"]).contains("No such file"));
    assert!(stderr_of(&[good, "--mrc", "--size", "0.1"]).contains("cannot be used with"));
}
