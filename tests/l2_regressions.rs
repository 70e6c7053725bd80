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

/// Issue 22, checked with redis-cli against 7.0.15: `SCAN … TYPE` reads each key that passes
/// MATCH, and Redis counts that read as a keyspace hit.
#[test]
fn scan_type_counts_a_keyspace_hit() {
    let mut l2 = L2::new();
    run(&mut l2, "SET a 1");
    run(&mut l2, "CONFIG RESETSTAT");
    assert_eq!(run(&mut l2, "SCAN 0 TYPE string"), "1) \"0\"\n2) 1) \"a\"");
    assert_eq!(l2.stats().keyspace_hits, 1);
    // A key MATCH filters out is not read at all.
    run(&mut l2, "SCAN 0 MATCH x* TYPE string");
    assert_eq!(l2.stats().keyspace_hits, 1);
}

/// Issue 22: `SCAN … MATCH p` expires only keys that pass the pattern.
#[test]
fn scan_match_expires_only_matching_keys() {
    let mut l2 = L2::new();
    run(&mut l2, "SET z 10 EXAT 1");
    assert_eq!(
        run(&mut l2, "SCAN 0 MATCH s*"),
        "1) \"0\"\n2) (empty array)"
    );
    assert_eq!(run(&mut l2, "DBSIZE"), "(integer) 1");
    run(&mut l2, "SCAN 0 MATCH z*");
    assert_eq!(run(&mut l2, "DBSIZE"), "(integer) 0");
}

/// Issue 22: CONFIG GET echoes a plain name as typed, `maxmemory*` lists Redis's five, and the
/// settings learners copy from persistence guides are accepted at the values the model has.
#[test]
fn config_knows_the_settings_learners_type() {
    let mut l2 = L2::new();
    assert_eq!(
        run(&mut l2, "CONFIG GET MAXMEMORY"),
        "1) \"MAXMEMORY\"\n2) \"0\""
    );
    let Some(Reply::Array(all)) = l2.exec("CONFIG GET maxmemory*").unwrap() else {
        panic!("an array");
    };
    assert_eq!(all.len(), 10);
    for line in [
        "CONFIG SET save \"\"",
        "CONFIG SET appendonly no",
        "CONFIG SET hz 10",
    ] {
        assert_eq!(run(&mut l2, line), "OK", "{line}");
    }
    assert!(
        run(&mut l2, "CONFIG SET appendonly yes").contains("does not model the append-only file")
    );
    assert_eq!(
        run(&mut l2, "CONFIG SET maxmemory 1 maxmemory 2"),
        "(error) ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"
    );
    assert_eq!(
        run(&mut l2, "CONFIG SET maxmemory-samples -1"),
        "(error) ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 and 2147483647 inclusive"
    );
}

/// Issue 22: a small sorted set stores -0 as 0; score ranges are read by a bare strtod.
#[test]
fn sorted_set_numbers_as_redis_reads_them() {
    let mut l2 = L2::new();
    run(&mut l2, "ZADD z -0 a");
    assert_eq!(
        run(&mut l2, "ZRANGE z 0 -1 WITHSCORES"),
        "1) \"a\"\n2) \"0\""
    );
    for (min, n) in [
        ("\" 1\"", 0),
        ("\"\"", 1),
        ("(", 0),
        ("-1e400", 1),
        ("0x1", 0),
    ] {
        assert_eq!(
            run(&mut l2, &format!("ZCOUNT z {min} 2")),
            format!("(integer) {n}"),
            "{min}"
        );
    }
    assert_eq!(run(&mut l2, "ZADD z 0x10 c"), "(integer) 1");
    assert_eq!(run(&mut l2, "ZSCORE z c"), "\"16\"");
}

/// Issue 22: TTLs are not capped at about 292,000 years; `KEYS **` skips the empty name; `SCAN ""`
/// is cursor 0; an option ends at a NUL byte, as C reads it.
#[test]
fn far_ttls_empty_names_empty_cursors_and_nul_options() {
    let mut l2 = L2::new();
    run(&mut l2, "SET k v");
    assert_eq!(run(&mut l2, "EXPIRE k 10000000000000"), "(integer) 1");
    assert_eq!(run(&mut l2, "TTL k"), "(integer) 10000000000000");
    run(&mut l2, "SET \"\" x");
    assert_eq!(run(&mut l2, "KEYS **"), "1) \"k\"");
    assert_eq!(run(&mut l2, "SCAN \"\"").lines().next(), Some("1) \"0\""));
    assert_eq!(run(&mut l2, "SET n v \"NX\\x00zz\""), "OK");
    assert_eq!(run(&mut l2, "SET n w \"NX\\x00zz\""), "(nil)");
}

/// SELECT gives 16 databases; DBSIZE and FLUSHDB act on the selected one, and a model that
/// never selects behaves exactly as before (the scenarios use database 0).
#[test]
fn select_switches_among_sixteen_databases() {
    let mut l2 = L2::new();
    run(&mut l2, "SET a 1");
    assert_eq!(run(&mut l2, "SELECT 3"), "OK");
    assert_eq!(run(&mut l2, "DBSIZE"), "(integer) 0");
    run(&mut l2, "SET b 22");
    run(&mut l2, "FLUSHDB");
    run(&mut l2, "SET c 333");
    assert_eq!(
        run(&mut l2, "SELECT 16"),
        "(error) ERR DB index is out of range"
    );
    assert_eq!(run(&mut l2, "SELECT 0"), "OK");
    assert_eq!(run(&mut l2, "GET a"), "\"1\"");
    let info = run(&mut l2, "INFO keyspace");
    assert!(
        info.contains("db0:keys=1") && info.contains("db3:keys=1"),
        "{info}"
    );
    run(&mut l2, "FLUSHALL");
    assert_eq!(l2.used_memory(), 0);
}

/// MULTI queues with QUEUED, EXEC runs the queue; a WATCHed key changed by anyone (here: an
/// expiry) makes EXEC answer nil; a command refused while queuing aborts the transaction.
#[test]
fn transactions_queue_watch_and_abort_as_redis_does() {
    let mut c = Console::new();
    let mut line = |l: &str| String::from_utf8(c.line(l.as_bytes()).text).unwrap();
    assert_eq!(line("MULTI"), "OK\n");
    assert_eq!(line("SET t 1"), "QUEUED\n");
    assert_eq!(line("INCR t"), "QUEUED\n");
    assert_eq!(line("EXEC"), "1) OK\n2) (integer) 2\n");
    line("SET w 1 PX 500");
    line("WATCH w");
    line("DEBUG SLEEP 1");
    line("MULTI");
    line("SET w 2");
    assert_eq!(line("EXEC"), "(nil)\n");
    line("MULTI");
    assert!(line("NOSUCH").starts_with("(error) ERR unknown command"));
    assert_eq!(
        line("EXEC"),
        "(error) EXECABORT Transaction discarded because of previous errors.\n"
    );
    assert_eq!(line("EXEC"), "(error) ERR EXEC without MULTI\n");
    // Diff seed 2269: inside EXEC the clock that decides expiry stands still.
    line("MULTI");
    line("SET k v PX 100");
    line("DEBUG SLEEP 0.2");
    line("GET k");
    assert_eq!(line("EXEC"), "1) OK\n2) OK\n3) \"v\"\n");
    assert_eq!(line("GET k"), "(nil)\n");
}

/// SPOP, SRANDMEMBER and RANDOMKEY draw from the model's seeded generator: the same seed picks
/// the same members.
#[test]
fn random_picks_follow_the_seed() {
    let picks = |seed: u64| {
        let mut l2 = L2::with_config(L2Config {
            seed,
            ..L2Config::default()
        });
        run(&mut l2, "SADD s a b c d e f g h");
        run(&mut l2, "MSET k1 1 k2 2 k3 3");
        [
            run(&mut l2, "SPOP s"),
            run(&mut l2, "SRANDMEMBER s 3"),
            run(&mut l2, "RANDOMKEY"),
        ]
    };
    assert_eq!(picks(7), picks(7));
    assert_ne!(picks(7), picks(8));
}
