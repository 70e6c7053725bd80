//! The command-line face as a user drives it: output piped into a reader that stops early.

use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn a_reader_that_stops_early_does_not_make_the_cli_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        // Several hundred kilobytes of JSON: far more than a pipe buffers.
        .args([
            "run",
            "stampede",
            "--json",
            "--set",
            "duration_s=2",
            "--set",
            "event_log=1000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cachelab");
    let mut first = [0u8; 8];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    assert_eq!(&first, b"{\"scenar");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bad_flag_value_names_the_parameter_and_its_range() {
    let out = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(["run", "stampede", "--set", "rate=0"])
        .output()
        .expect("run cachelab");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`rate` must be between 1 and"), "{stderr}");
}

/// A build without the `redis` feature still knows `redis-stats`, and says how to get it.
#[cfg(not(feature = "redis"))]
#[test]
fn redis_stats_without_the_feature_says_how_to_build_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(["redis-stats", "--redis-url", "redis://127.0.0.1:6379"])
        .output()
        .expect("run cachelab");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--features redis"), "{stderr}");
}
