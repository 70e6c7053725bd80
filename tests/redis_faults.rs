#![cfg(feature = "redis")]
//! Faults survived, not just reported: a live run whose redis-server is killed and restarted
//! mid-run, and a live run on a cluster whose master is killed while its replica takes over,
//! each completes, counts the commands that failed, fails open (or closed) as its variant says,
//! and loses no request: as many as the simulation's seeded arrivals, each counted once.
//!
//! Each test starts servers of its own (a redis-server on a free port, or a cluster with
//! `scripts/redis-cluster.sh`), and runs only when `make test`'s variables say the redis suites
//! are on.

#[path = "support/live_env.rs"]
mod live_env;
#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::redis::live::Live;
use cachelab::scenario;
// The tests take no turn (`live_env::turn`): each has a server of its own and checks counts,
// not timings, so the three run side by side.
use live_env::{keys_left, params, variant};
use redis_env::{OwnCluster, OwnServer};
use std::process::Command;
use std::time::Duration;

/// Six seconds of tagged pages: the reads that meet a dead server are rendered by the
/// database (no request fails), every failed command is counted, and no request is lost.
fn tags_through_an_outage(url: &str, outage: impl FnOnce(), what: &str) {
    let given = params(&[
        ("duration_s", "6"),
        ("rate", "150"),
        ("update_rate", "10"),
        ("products", "50"),
        ("ttl_s", "3"),
        ("bucket_ms", "500"),
    ]);
    let run_id = format!("faults-{what}-{}", std::process::id());
    let live = Live::new(url.parse().unwrap(), 2).with_run_id(&run_id);
    let run = {
        let given = given.clone();
        std::thread::spawn(move || live.run_only("tags", &given, 1, &["bounded"]))
    };
    outage();
    let report = run.join().expect("no panic").expect("the run completes");
    let sim = scenario::run_only("tags", &given, 1, &["bounded".to_string()]).unwrap();
    let (l, s) = (
        &variant(&report, "bounded").summary,
        &sim.variants[0].summary,
    );
    eprintln!("{what}\nlive {l:?}\nsim {s:?}");
    assert_eq!(l.requests, s.requests, "no request lost");
    assert_eq!(l.errors, 0, "every request answered (fail open)");
    assert!(l.l2_errors > 0, "the failed commands are counted: {l:?}");
    // Every read is a hit or a miss, once: the outage's reads went to the database.
    assert_eq!(l.reads(), s.reads());
    assert!(l.misses > s.misses, "{l:?}");
    assert_eq!(keys_left(url, &format!("cachelab:{run_id}:*")), 0);
}

#[test]
fn killing_redis_mid_run_tags_fail_open_and_count_the_failed_commands() {
    if redis_env::redis_url().is_none() {
        return;
    }
    let mut server = OwnServer::start();
    let url = server.url();
    let server = &mut server;
    tags_through_an_outage(
        &url,
        || {
            // Down from about 1.5 s to 3 s of the 6 s run, then back, empty.
            std::thread::sleep(Duration::from_millis(1_500));
            server.kill();
            std::thread::sleep(Duration::from_millis(1_500));
            server.restart();
        },
        "node",
    );
}

#[test]
fn killing_redis_mid_run_the_limiters_fail_open_or_closed_as_their_variant_says() {
    if redis_env::redis_url().is_none() {
        return;
    }
    let mut server = OwnServer::start();
    // Limits no client reaches, and the scenario's own (injected) outage after the run: every
    // refusal is the real outage's.
    let given = params(&[
        ("duration_s", "5"),
        ("users", "20"),
        ("user_read_rate", "5"),
        ("read_limit", "10000"),
        ("write_limit", "10000"),
        ("ip_limit", "10000"),
        ("burst_at_s", "2"),
        ("outage_from_s", "100"),
        ("reset_at_s", "100"),
        ("bucket_ms", "500"),
    ]);
    let run_id = format!("faults-limits-{}", std::process::id());
    let live = Live::new(server.url().parse().unwrap(), 2).with_run_id(&run_id);
    let run = {
        let given = given.clone();
        std::thread::spawn(move || {
            live.run_only("ratelimit", &given, 1, &["sliding-log", "fail-closed"])
        })
    };
    // Each variant runs 5 s, one after the other: kill the server inside each.
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(1_500));
        server.kill();
        std::thread::sleep(Duration::from_millis(1_500));
        server.restart();
        std::thread::sleep(Duration::from_millis(2_000));
    }
    let report = run.join().expect("no panic").expect("the run completes");
    let sim = scenario::run("ratelimit", &given, 1).unwrap();
    for name in ["sliding-log", "fail-closed"] {
        let (l, s) = (
            &variant(&report, name).summary,
            &variant(&sim, name).summary,
        );
        eprintln!("{name}\nlive {l:?}\nsim {s:?}");
        assert_eq!(l.requests, s.requests, "{name}: no request lost");
        assert_eq!(s.errors, 0, "{name}: the simulation refuses nothing");
        assert!(l.l2_errors > 0, "{name}: {l:?}");
        match name {
            // Fail open: the limiter admits what it cannot check.
            "sliding-log" => assert_eq!(l.errors, 0, "{l:?}"),
            // Fail closed: it refuses exactly the requests it could not check.
            _ => assert_eq!(l.errors, l.l2_errors, "{l:?}"),
        }
    }
    assert_eq!(keys_left(&server.url(), &format!("cachelab:{run_id}:*")), 0);
}

#[test]
fn a_cluster_master_killed_mid_run_its_replica_takes_over_and_the_run_completes() {
    if redis_env::cluster_urls().is_none() {
        return;
    }
    let cluster = OwnCluster::start();
    let victim = cluster.urls.split(',').nth(1).unwrap().to_string();
    let survivor = cluster.urls.split(',').next().unwrap().to_string();
    tags_through_an_outage(
        &cluster.urls,
        || {
            std::thread::sleep(Duration::from_millis(1_500));
            cluster.kill_master(&victim);
        },
        "cluster",
    );
    // The replica was promoted: the cluster serves every slot again.
    let info = Command::new("redis-cli")
        .args([
            "-p",
            survivor.rsplit(':').next().unwrap(),
            "cluster",
            "info",
        ])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("cluster_state:ok"), "{info}");
}
