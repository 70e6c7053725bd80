#![cfg(feature = "redis")]
//! `cachelab live` against real servers: a short stampede on the server `make test` provides (at
//! `CACHELAB_REDIS_URL`) and on its three-master cluster (`CACHELAB_REDIS_CLUSTER_URLS`), the
//! `--compare` output, and an outage — a redis-server of this test's own, killed mid-run and
//! restarted on the same port.
//!
//! Each test is skipped (with a note) unless `make test`'s variables are set. They take turns, so
//! that one's real-time measurements do not share the machine's cores with another's.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/live_env.rs"]
mod live_env;
#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::redis::live::Live;
use cachelab::scenario;
use cli::cachelab_json;
use live_env::{keys_left, params, turn, variant};
use redis_env::OwnServer;
use std::time::Duration;

/// The shared server may have been left with a memory limit by the differential suite: lift it,
/// so that no warm-up write is refused or evicted.
fn no_memory_limit(url: &str) {
    let mut con = redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .unwrap();
    redis::cmd("CONFIG")
        .arg(&["SET", "maxmemory", "0"])
        .query::<()>(&mut con)
        .unwrap();
}

/// A 2.5 s stampede (TTL 1 s, 400 requests/s) on `url`, variants none and lock: the lock loads
/// the hot key once per expiry, no protection loads it more, and no key is left behind.
fn live_stampede(url: &str, what: &str) {
    let _turn = turn();
    let run_id = format!("test-{what}-{}", std::process::id());
    let live = Live::new(url.parse().unwrap(), 4).with_run_id(&run_id);
    let given = params(&[
        ("duration_s", "2.5"),
        ("rate", "400"),
        ("ttl_s", "1"),
        ("keys", "50"),
    ]);
    let report = live
        .run_only("stampede", &given, 1, &["none", "lock"])
        .unwrap();
    let none = variant(&report, "none").hot_key.clone().unwrap();
    let lock = variant(&report, "lock").hot_key.clone().unwrap();
    eprintln!("{what}\nnone: {none:?}\nlock: {lock:?}");
    // Two expiries (about 1 s and 2 s) in 2.5 s, each loaded exactly once under the lock...
    assert_eq!(lock.loads_per_expiry, [1, 1]);
    assert_eq!(lock.fallbacks_per_expiry, [0, 0]);
    // ...while without protection every request that misses during a load queries too.
    assert_eq!(none.loads_per_expiry.len(), 2);
    assert!(none.loads_per_expiry.iter().all(|&n| n > 1), "{none:?}");
    for v in &report.variants {
        assert_eq!(
            (v.summary.errors, v.summary.l2_errors),
            (0, 0),
            "{}",
            v.name
        );
    }
    // Nothing of the run is left on the server.
    assert_eq!(keys_left(url, &format!("cachelab:{run_id}:*")), 0);
}

#[test]
fn a_live_stampede_is_loaded_once_per_expiry_with_the_lock_and_more_without() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    no_memory_limit(&url);
    live_stampede(&url, "stampede");
}

#[test]
fn the_live_stampede_runs_unchanged_on_a_redis_cluster() {
    // The row keys' hash tags spread the rows over the three masters, each row's value and lock
    // on one; clean-up scans every master.
    let Some(urls) = redis_env::cluster_urls() else {
        return;
    };
    live_stampede(&urls, "cluster");
}

#[test]
fn compare_prints_the_live_and_simulated_runs_and_their_differences() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    no_memory_limit(&url);
    let _turn = turn();
    let json = cachelab_json(&[
        "live",
        "stampede",
        "--redis-url",
        &url,
        "--compare",
        "--json",
        "--set",
        "duration_s=1",
        "--set",
        "rate=200",
    ]);
    let names = |run: &str| -> Vec<String> {
        json[run]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
    };
    let expected = ["chapter", "none", "lock", "singleflight", "xfetch", "swr"];
    assert_eq!(names("live"), expected);
    assert_eq!(names("sim"), expected);
    let differences = json["differences"].as_array().unwrap();
    assert_eq!(differences.len(), expected.len());
    for (i, d) in differences.iter().enumerate() {
        assert_eq!(d["variant"], expected[i]);
        for number in ["db_queries", "hit_ratio", "p99_ms"] {
            assert!(d[number]["sim"].is_number() && d[number]["live"].is_number());
        }
        // The same seeded arrivals reached both, and every live request finished.
        assert_eq!(
            json["live"]["variants"][i]["summary"]["requests"],
            json["sim"]["variants"][i]["summary"]["requests"]
        );
        // The relative difference is what it says it is.
        let (sim, live) = (
            d["db_queries"]["sim"].as_f64().unwrap(),
            d["db_queries"]["live"].as_f64().unwrap(),
        );
        if sim > 0.0 {
            let relative = d["db_queries"]["relative"].as_f64().unwrap();
            assert!((relative - (live - sim) / sim).abs() < 1e-9);
        }
    }
    assert!(json["why_they_differ"]
        .as_str()
        .unwrap()
        .contains("round trip"));
}

#[test]
fn live_runs_that_would_take_too_long_are_refused_naming_the_parameter() {
    // No server is reached: the limits are checked first.
    let live = Live::new("redis://127.0.0.1:1".parse().unwrap(), 1);
    for (given, named) in [
        (params(&[("duration_s", "120")]), "`duration_s`"),
        (params(&[("rate", "50000")]), "`rate` × `duration_s`"),
        (params(&[("clients", "5000")]), "`clients`"),
    ] {
        let err = live.run("stampede", &given, 1).unwrap_err().to_string();
        assert!(err.contains(named), "{err}");
        assert!(err.contains("live run"), "{err}");
    }
}

#[test]
fn killing_redis_mid_run_fails_open_to_the_database_and_the_client_reconnects() {
    if redis_env::redis_url().is_none() {
        return;
    }
    let _turn = turn();
    let mut server = OwnServer::start();
    let given = params(&[
        ("duration_s", "6"),
        ("rate", "300"),
        ("keys", "20"),
        ("hot_share", "0.5"),
        ("ttl_s", "0.5"),
        ("bucket_ms", "500"),
        ("db_p50_ms", "5"),
        ("db_p99_ms", "20"),
    ]);
    let live = Live::new(server.url().parse().unwrap(), 2);
    let run = {
        let given = given.clone();
        std::thread::spawn(move || live.run_only("stampede", &given, 1, &["lock"]))
    };
    // The server is down from about 1.5 s to 3.5 s of the 6 s run.
    std::thread::sleep(Duration::from_millis(1_500));
    server.kill();
    std::thread::sleep(Duration::from_millis(2_000));
    server.restart();
    let report = run.join().expect("no panic").expect("the run completes");
    let lock = variant(&report, "lock");
    let s = &lock.summary;
    eprintln!("{s:?}\n{:?}", lock.series);
    // Every request finished — as many as the simulation's seeded arrivals — and none failed:
    // during the outage the database answered.
    let sim = scenario::run("stampede", &given, 1).unwrap();
    assert_eq!(s.requests, variant(&sim, "lock").summary.requests);
    assert_eq!(s.errors, 0);
    assert!(s.l2_errors > 0, "{s:?}");
    let series = &lock.series;
    // Buckets [2, 2.5) and [2.5, 3) s lie inside the outage: no cache hits, every read a miss
    // answered by the database.
    for i in [4, 5] {
        assert!(series.requests[i] > 0);
        assert_eq!(series.hit_ratio[i], Some(0.0), "bucket {i}: {series:?}");
    }
    // From 4.5 s on, the client has reconnected to the restarted (empty) server and hits again.
    for i in [9, 10, 11] {
        assert!(series.l2_hit_ratio[i] > Some(0.5), "bucket {i}: {series:?}");
    }
    // Before the outage, too.
    assert!(series.l2_hit_ratio[1] > Some(0.5), "{series:?}");
}
