//! Monitoring a real server (`cachelab::redis::monitor` and `cachelab redis-stats`): the INFO
//! counters move as reads hit and miss, and the SCAN listing finds exactly the keys under a
//! pattern, with their types and TTLs, stopping at its limit.
#![cfg(feature = "redis")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::redis::monitor::{delete_matching, list_keys, server_stats};
use cachelab::redis::{connect, Connection, Target};
use cli::{cachelab, cachelab_json};
use redis::AsyncCommands;

/// The server-wide counters move with every read (even `TYPE` and `PTTL` count as hits), so the
/// tests that read take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn connect_to(url: &str) -> Connection {
    let target: Target = url.parse().expect("a valid redis URL");
    connect(&target, 1).await.expect("connect to redis-server")
}

/// Writes 25 keys under `prefix`: 20 strings (every other one with a 100 s TTL), 3 hashes and
/// 2 sorted sets.
async fn write_keys(conn: &mut Connection, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for i in 0..20 {
        let key = format!("{prefix}:s{i:02}");
        if i % 2 == 0 {
            let () = conn.set_ex(&key, i, 100).await.unwrap();
        } else {
            let () = conn.set(&key, i).await.unwrap();
        }
        keys.push(key);
    }
    for i in 0..3 {
        let key = format!("{prefix}:h{i}");
        let () = conn.hset(&key, "field", i).await.unwrap();
        keys.push(key);
    }
    for i in 0..2 {
        let key = format!("{prefix}:z{i}");
        let () = conn.zadd(&key, "member", i).await.unwrap();
        keys.push(key);
    }
    keys
}

#[tokio::test]
async fn stats_count_reads_and_scan_lists_the_keys() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let _turn = TURN.lock().await;
    let mut conn = connect_to(&url).await;
    let prefix = redis_env::unique_name("monitor");
    let keys = write_keys(&mut conn, &prefix).await;

    let before = server_stats(&mut conn).await.unwrap();
    let _: Option<i64> = conn.get(&keys[0]).await.unwrap();
    let _: Option<i64> = conn.get(&keys[1]).await.unwrap();
    let _: Option<i64> = conn.get(format!("{prefix}:absent")).await.unwrap();
    let after = server_stats(&mut conn).await.unwrap();
    assert_eq!(after.nodes, 1);
    assert_eq!(after.hits - before.hits, 2);
    assert_eq!(after.misses - before.misses, 1);
    assert!(after.keys >= 25, "{after:?}");
    assert!(after.used_memory > 0);
    let ratio = after.hit_ratio.unwrap();
    assert!((0.0..=1.0).contains(&ratio));

    let pattern = format!("{prefix}:*");
    let all = list_keys(&mut conn, &pattern, 100).await.unwrap();
    assert!(!all.truncated);
    let names: Vec<&str> = all.keys.iter().map(|k| k.key.as_str()).collect();
    let mut expected: Vec<&str> = keys.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    let count = |kind: &str| all.keys.iter().filter(|k| k.kind == kind).count();
    assert_eq!((count("string"), count("hash"), count("zset")), (20, 3, 2));
    let expiring: Vec<u64> = all.keys.iter().filter_map(|k| k.ttl_ms).collect();
    assert_eq!(expiring.len(), 10);
    assert!(expiring.iter().all(|&ms| (90_000..=100_000).contains(&ms)));

    let some = list_keys(&mut conn, &pattern, 10).await.unwrap();
    assert!(some.truncated);
    assert_eq!(some.keys.len(), 10);
    let none = list_keys(&mut conn, &format!("{prefix}:nothing*"), 10)
        .await
        .unwrap();
    assert_eq!((none.keys.len(), none.truncated), (0, false));
    let error = list_keys(&mut conn, &pattern, 0).await.unwrap_err();
    assert!(error.to_string().contains("`limit`"), "{error}");

    // Clean-up by pattern: exactly this run's keys go.
    assert_eq!(delete_matching(&mut conn, &pattern).await.unwrap(), 25);
    let left = list_keys(&mut conn, &pattern, 100).await.unwrap();
    assert!(left.keys.is_empty());
}

#[tokio::test]
async fn redis_stats_prints_counters_and_keys_as_json() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let _turn = TURN.lock().await;
    let mut conn = connect_to(&url).await;
    let prefix = redis_env::unique_name("cli");
    let keys = write_keys(&mut conn, &prefix).await;
    let pattern = format!("{prefix}:h*");
    let report = cachelab_json(&[
        "redis-stats",
        "--redis-url",
        &url,
        "--match",
        &pattern,
        "--json",
    ]);
    assert_eq!(report["stats"]["nodes"], 1);
    assert_eq!(report["keys"]["truncated"], false);
    let listed: Vec<&str> = report["keys"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [&keys[20], &keys[21], &keys[22]]);

    let out = cachelab(&["redis-stats", "--redis-url", &url, "--match", &pattern]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("hit ratio"), "{text}");
    assert!(
        text.contains(&format!("hash             none  {}", keys[20])),
        "{text}"
    );
    let cleaned = delete_matching(&mut conn, &format!("{prefix}:*"))
        .await
        .unwrap();
    assert_eq!(cleaned, 25);
}

#[test]
fn redis_stats_errors_name_the_flag_and_hide_the_password() {
    let out = cachelab(&[
        "redis-stats",
        "--redis-url",
        "redis://bob:topsecret@127.0.0.1:1/x",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--redis-url"), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
    // Nothing listens on port 1: the connection error shows the URL, redacted.
    let out = cachelab(&[
        "redis-stats",
        "--redis-url",
        "redis://bob:topsecret@127.0.0.1:1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("redis://bob:***@127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
}
