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
    // One unit per run: objects in one, bytes in the other.
    let run = |sizes: &str| {
        cachelab_json(&[
            "replay",
            path.to_str().unwrap(),
            "--policy",
            "lru,fifo",
            "--size",
            sizes,
            "--json",
        ])
    };
    let (objects, bytes) = (run("2"), run("20B"));
    assert_eq!(objects["requests"], 5);
    assert_eq!(objects["unique_keys"], 3);
    let summary = |report: &serde_json::Value| -> Vec<(String, u64, u64, String)> {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["policy"].as_str().unwrap().to_string(),
                    r["capacity"].as_u64().unwrap(),
                    r["misses"].as_u64().unwrap(),
                    r["unit"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Two objects (or 20 bytes of 10-byte objects) hold 1 under LRU, not under FIFO.
    let row = |p: &str, c, m, u: &str| (p.to_string(), c, m, u.to_string());
    assert_eq!(
        summary(&objects),
        [row("lru", 2, 3, "objects"), row("fifo", 2, 4, "objects")]
    );
    assert_eq!(
        summary(&bytes),
        [row("lru", 20, 3, "bytes"), row("fifo", 20, 4, "bytes")]
    );
    assert_eq!(objects["rows"][0]["miss_ratio"], 0.6);
    // Mixed units are refused, naming both.
    let out = cachelab(&["replay", path.to_str().unwrap(), "--size", "2,20B"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("mixes objects (2) and bytes (20B)"),
        "{stderr}"
    );
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
