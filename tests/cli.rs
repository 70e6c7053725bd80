//! The command-line face as a user drives it: output piped into a reader that stops early.

#[path = "support/cli.rs"]
mod cli;

use cli::{cachelab, cachelab_json};
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
    let out = cachelab(&["run", "stampede", "--set", "rate=0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`rate` must be between 1 and"), "{stderr}");
}

#[test]
fn unknown_parameter_and_variant_names_are_errors_that_list_the_known_ones() {
    for (args, expected) in [
        (
            &["run", "ratelimit", "--set", "rtae=5"][..],
            "unknown parameter `rtae`; known: duration_s, ",
        ),
        (
            &["run", "ratelimit", "--variant", "sliding_log"][..],
            "unknown variant `sliding_log`; known: token-bucket, fixed-window, sliding-log, \
             sliding-counter, fail-closed",
        ),
    ] {
        let out = cachelab(args);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
    // The variants named run, and only they, in the scenario's order.
    let report = cachelab_json(&[
        "run",
        "ratelimit",
        "--json",
        "--variant",
        "fail-closed,sliding-log",
        "--set",
        "duration_s=20",
    ]);
    let names: Vec<&str> = report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sliding-log", "fail-closed"]);
}

#[test]
fn the_new_scenarios_print_their_own_numbers() {
    let run = |scenario: &str| {
        let out = cachelab(&["run", scenario, "--seed", "1"]);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let limits = run("ratelimit");
    assert!(
        limits.contains(
            "fixed window fail-open: admitted 3746, refused 2194, burst in one window 200"
        ),
        "{limits}"
    );
    assert!(limits.contains("sliding log fail-closed: admitted 3310, refused 2630"));
    let cache = run("response-cache");
    assert!(
        cache.contains("correct        peak db 143/s; wrong answers 0 ("),
        "{cache}"
    );
    assert!(cache.contains("other users' data 939"), "{cache}");
    let tags = run("tags");
    assert!(
        tags.contains("unbounded      peak db 107/s; tag sets 75434 names at the end, largest 3849; 231 updates flushed 3864 pages; stale reads 0"),
        "{tags}"
    );
    assert!(
        tags.contains("231 updates flushed 134 pages; stale reads 3100"),
        "{tags}"
    );
}

/// A build without the `redis` feature still knows the real-Redis subcommands, and says how to
/// get them.
#[cfg(not(feature = "redis"))]
#[test]
fn redis_subcommands_without_the_feature_say_how_to_build_it() {
    for args in [
        &["live", "stampede", "--redis-url", "redis://127.0.0.1:6379"][..],
        &["redis-stats", "--redis-url", "redis://127.0.0.1:6379"],
    ] {
        let out = cachelab(args);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--features redis"), "{stderr}");
    }
}
