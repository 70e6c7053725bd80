//! Fixed cases for every disagreement with `redis-server` found so far (by the differential test
//! `tests/redis_l2_diff.rs` or by feeding the same lines to `redis-cli`). Each states what Redis
//! 7.0.15 answered.

use cachelab::tiers::l2::{Console, L2Config, Reply, L2};

fn run(l2: &mut L2, line: &str) -> String {
    l2.exec(line)
        .expect("valid line")
        .expect("a command")
        .to_cli_string()
}

/// Diff seed 658: after `DEBUG SLEEP 0.0001`, `EXPIRE b 100` then `PTTL b` gave 99999; Redis
/// works in whole milliseconds and answers 100000.
#[test]
fn pttl_counts_whole_milliseconds_after_a_sub_millisecond_sleep() {
    let mut l2 = L2::new();
    run(&mut l2, "SET b v");
    run(&mut l2, "DEBUG SLEEP 0.0001");
    assert_eq!(run(&mut l2, "EXPIRE b 100"), "(integer) 1");
    assert_eq!(run(&mut l2, "PTTL b"), "(integer) 100000");
    assert_eq!(run(&mut l2, "TTL b"), "(integer) 100");
}

/// redis-cli: `SET e 1 EXAT 1` is OK and the key is born expired (TTL -2), yet DBSIZE still counts
/// it until it is touched; the model's clock used to start at Unix time 0, making EXAT 1 lie in
/// the future.
#[test]
fn exat_in_the_past_is_accepted_and_the_key_is_already_expired() {
    let mut l2 = L2::new();
    assert_eq!(run(&mut l2, "SET e 1 EXAT 1"), "OK");
    assert_eq!(run(&mut l2, "DBSIZE"), "(integer) 1");
    assert_eq!(run(&mut l2, "TTL e"), "(integer) -2");
    assert_eq!(run(&mut l2, "DBSIZE"), "(integer) 0");
}

/// redis-cli: a relative expiry that overflows when added to the clock is an invalid expire time.
#[test]
fn expiry_overflow_is_an_invalid_expire_time() {
    let mut l2 = L2::new();
    run(&mut l2, "SET n 1");
    for (line, cmd) in [
        ("SET big 1 PX 9223372036854775807", "set"),
        ("SET y 1 EX 9223372036854775", "set"),
        ("PEXPIRE n 9223372036854775807", "pexpire"),
        ("EXPIRE n 9223372036854775807", "expire"),
    ] {
        assert_eq!(
            run(&mut l2, line),
            format!("(error) ERR invalid expire time in '{cmd}' command"),
            "{line}"
        );
    }
}

/// redis-cli prints a nested SCAN reply with the inner numbers aligned under the outer ones.
#[test]
fn nested_replies_print_with_redis_cli_alignment() {
    let mut c = Console::new();
    c.line(b"MSET a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 j 10");
    let text = String::from_utf8(c.line(b"SCAN 0 COUNT 100").text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "1) \"0\"");
    assert!(lines[1].starts_with("2)  1) \""));
    assert!(lines[2].starts_with("    2) \""));
    assert!(lines[10].starts_with("   10) \""));
}

/// The default epoch makes EXPIREAT with a plausible timestamp mean what it says.
#[test]
fn expireat_uses_the_configured_epoch() {
    let mut l2 = L2::with_config(L2Config {
        epoch_ms: 1_000_000,
        ..L2Config::default()
    });
    run(&mut l2, "SET k v");
    assert_eq!(run(&mut l2, "EXPIREAT k 1010"), "(integer) 1");
    assert_eq!(run(&mut l2, "TTL k"), "(integer) 10");
    assert_eq!(run(&mut l2, "PEXPIREAT k 999999"), "(integer) 1");
    assert_eq!(run(&mut l2, "EXISTS k"), "(integer) 0");
    assert!(matches!(l2.exec("GET k"), Ok(Some(Reply::Nil))));
}
