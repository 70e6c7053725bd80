#![cfg(feature = "redis")]
//! Every scenario of the registry live, on the server `make test` provides
//! (`CACHELAB_REDIS_URL`) and on its three-master cluster (`CACHELAB_REDIS_CLUSTER_URLS`), at a
//! second per variant; and Ctrl-C sent to `cachelab live` mid-run, after which none of the run's
//! keys is left.
//!
//! The tests walk `scenario::scenarios()`, so a scenario added to the registry is run live here
//! without a line of this file changing (its quick parameters fall back to a one-second run).

#[path = "support/live_env.rs"]
mod live_env;
#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::redis::live::Live;
use cachelab::scenario::{self, Report};
use live_env::{keys_left, turn};
use redis_env::{OwnCluster, OwnServer};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A short run of scenario `name`: one second of traffic (a bucket of half a second), with the
/// knobs that make a scenario's default run long or heavy turned down.
fn quick(name: &str) -> Vec<(String, String)> {
    let mut given = vec![("duration_s", "1"), ("bucket_ms", "500")];
    given.extend_from_slice(match name {
        "stampede" | "avalanche" | "penetration" => &[("rate", "300"), ("keys", "50")][..],
        "tags" => &[
            ("rate", "200"),
            ("update_rate", "20"),
            ("products", "100"),
            // No page expires within the second: its counts, compared exactly, must not hang on
            // a real expiry's microseconds.
            ("ttl_s", "5"),
        ],
        // Its client's pool of 20 connections runs out under a real server's timing (a failure
        // the variant exists to show): without the limit, every command reaches the server.
        // Its short timeout (50 ms) trips on a busy machine's scheduling delays, which is not what
        // this test checks (tests/redis_faults.rs fails the server for real).
        "degradation" => &[("l2_pool", "0"), ("short_timeout_ms", "1000")],
        // A limit the run's rows pass within the second (live: above the server's own memory).
        "memory" => &[("keys", "5000"), ("maxmemory_mb", "0.05")],
        // The deploy half-way through the second, so that both codes serve.
        "schema-deploy" => &[("rate", "500"), ("keys", "200"), ("deploy_at_s", "0.5")],
        "multilayer" => &[("rate", "1000"), ("keys", "200"), ("l1_keys", "50")],
        _ => &[],
    });
    given
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Scenarios whose loop is the same live as simulated, decision for decision: their live
/// report's counts equal the simulation's.
/// (query-cache is not among them: when a result is filled depends on the real round trips.)
const SAME_COUNTS: [&str; 4] = ["tags", "ratelimit", "response-cache", "keys"];

/// Runs every scenario of the registry live on `url` and checks it against the simulation.
// The node's and the cluster's runs go side by side (their counts do not depend on timing), so
// the suite takes about as long as one of them.
fn every_scenario_live(url: &str, what: &str) {
    for found in scenario::scenarios() {
        let name = found.name;
        let run_id = format!("test-{what}-{}-{}", name, std::process::id());
        // memory sets each server's maxmemory for its run: on a server or cluster of its own
        // (the shared ones serve the other suites meanwhile, whose keys it could evict).
        let own = (name == "memory").then(|| Own::start(what));
        let url = own.as_ref().map_or(url.to_string(), Own::url);
        let live = Live::new(url.parse().unwrap(), 4).with_run_id(&run_id);
        let given = quick(name);
        let started = Instant::now();
        let result = live.run(name, &given, 1);
        let report: Report = result.unwrap_or_else(|e| panic!("{name} live on {what}: {e}"));
        eprintln!("{name} on {what}: {:.1} s", started.elapsed().as_secs_f64());
        let sim = scenario::run(name, &given, 1).unwrap();
        assert!(!found.live.is_empty(), "{name} says how it runs live");
        assert_eq!(
            report.variants.iter().map(|v| &v.name).collect::<Vec<_>>(),
            sim.variants.iter().map(|v| &v.name).collect::<Vec<_>>(),
            "{name}"
        );
        for (l, s) in report.variants.iter().zip(&sim.variants) {
            let variant = &l.name;
            let (l, s) = (&l.summary, &s.summary);
            // The same seeded arrivals reached both, every live request finished, and the server
            // never failed a command.
            assert_eq!(l.requests, s.requests, "{name}/{variant}");
            // (memory's noeviction is refused writes by the real server: its point.)
            if name != "memory" {
                assert_eq!(l.l2_errors, 0, "{name}/{variant}: {l:?}");
            }
            if SAME_COUNTS.contains(&name) {
                assert_eq!(
                    l.counts, s.counts,
                    "{name}/{variant}: live {l:?}\nsim {s:?}"
                );
            }
        }
        if let Some(own) = &own {
            memory_on_a_real_server(&report, own);
        }
        // Nothing of the run is left, on any master.
        assert_eq!(
            keys_left(&url, &format!("cachelab:{run_id}:*")),
            0,
            "{name}"
        );
    }
}

/// The number at `field` of a variant's `memory` section.
fn memory_count(report: &Report, variant: &str, field: &str) -> u64 {
    let v = report.variant(variant).unwrap();
    let json = serde_json::to_value(v.section.as_ref().unwrap()).unwrap();
    let section = json.get("memory").unwrap_or(&json);
    section[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {json}"))
}

/// Where memory runs live: a redis-server of its own, or (on the cluster's turn) a cluster of its
/// own, three masters with a replica each.
enum Own {
    Server(OwnServer),
    Cluster(OwnCluster),
}

impl Own {
    fn start(what: &str) -> Own {
        match what {
            "node" => Own::Server(OwnServer::start()),
            "cluster" => Own::Cluster(OwnCluster::start()),
            other => panic!("no own {other} to start"),
        }
    }

    fn url(&self) -> String {
        match self {
            Own::Server(server) => server.url(),
            Own::Cluster(cluster) => cluster.urls.clone(),
        }
    }

    /// The ports of the servers that evict: the one server, or each master.
    fn evicting_ports(&self) -> Vec<String> {
        match self {
            Own::Server(server) => vec![server.address()],
            Own::Cluster(cluster) => cluster.urls.split(',').map(str::to_string).collect(),
        }
        .iter()
        .map(|address| address.rsplit(':').next().unwrap().to_string())
        .collect()
    }
}

/// memory live: the real server's maxmemory policies do what the model's do — on a cluster too,
/// where each master evicts among its own keys under its share of the limit — and every
/// server's own settings are back afterwards.
fn memory_on_a_real_server(report: &Report, own: &Own) {
    let count = |variant, field| memory_count(report, variant, field);
    // noeviction refuses writes and never evicts a session. One server refuses fills and logins
    // (7 of 49 logins in the README's run); on a cluster a login is refused only if its master is
    // full at that instant, and few were (1 to 5 of 49 in four runs of this test's parameters), so
    // there only refused fills (11 to 46) are asked for.
    assert!(count("noeviction", "refused_fills") > 0);
    if matches!(own, Own::Server(_)) {
        assert!(count("noeviction", "sessions_refused") > 0);
    }
    assert_eq!(count("noeviction", "sessions_evicted"), 0);
    // allkeys-* evict sessions too; volatile-* never do (a session has no TTL), on each master.
    assert!(count("allkeys-lru", "sessions_evicted") > 0);
    assert!(count("allkeys-lfu", "sessions_evicted") > 0);
    assert_eq!(count("volatile-lru", "sessions_evicted"), 0);
    assert_eq!(count("volatile-ttl", "sessions_evicted"), 0);
    settings_restored(own);
}

/// The server's (or master's) `maxmemory` and `maxmemory-policy` at `port`.
fn maxmemory_settings(port: &str) -> (u64, String) {
    let get = |name: &str| {
        let out = Command::new("redis-cli")
            .args(["-p", port, "CONFIG", "GET", name])
            .output()
            .unwrap();
        let reply = String::from_utf8_lossy(&out.stdout).into_owned();
        reply.lines().nth(1).unwrap_or_default().to_string()
    };
    let max = get("maxmemory");
    (
        max.parse().unwrap_or_else(|_| panic!("{port}: {max:?}")),
        get("maxmemory-policy"),
    )
}

/// Every evicting server's settings are its own again (a fresh server's: no limit, noeviction).
fn settings_restored(own: &Own) {
    for port in own.evicting_ports() {
        assert_eq!(
            maxmemory_settings(&port),
            (0, "noeviction".to_string()),
            "{port}"
        );
    }
}

#[test]
fn every_scenario_runs_live_on_a_redis_server_and_leaves_no_key() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    every_scenario_live(&url, "node");
}

#[test]
fn every_scenario_runs_live_on_the_redis_cluster_and_leaves_no_key() {
    // On a cluster a tag's set and its pages, a limiter subject's keys, a row's value and lock
    // each meet where a script needs them (hash tags); the rest spreads over the masters, and
    // the clean-up scans each one.
    let Some(urls) = redis_env::cluster_urls() else {
        return;
    };
    every_scenario_live(&urls, "cluster");
}

#[test]
fn ctrl_c_stops_a_live_run_and_removes_its_keys() {
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    let _turn = turn();
    let child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(["live", "tags", "--redis-url", &url, "--json"])
        .args(["--set", "duration_s=30", "--set", "rate=200"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cachelab live");
    // The run id ends with the process id: its keys are `cachelab:r…-<pid>:*`.
    let pattern = format!("cachelab:r*-{}:*", child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while keys_left(&url, &pattern) == 0 {
        assert!(Instant::now() < deadline, "the live run never wrote a key");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(keys_left(&url, &pattern) > 0);
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let stopped = Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    // It stopped at once, not at the end of its 30 s.
    assert!(stopped.elapsed() < Duration::from_secs(5), "{stderr}");
    assert_eq!(keys_left(&url, &pattern), 0);
}

#[test]
fn ctrl_c_mid_memory_on_a_cluster_puts_every_master_back_and_removes_its_keys() {
    if redis_env::cluster_urls().is_none() {
        return;
    }
    let own = Own::start("cluster");
    let urls = own.url();
    let child = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(["live", "memory", "--redis-url", &urls, "--json"])
        .args(["--set", "duration_s=5", "--set", "keys=5000"])
        .args(["--set", "maxmemory_mb=0.05"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cachelab live");
    // In its second variant, every master has a limit of its own (its used memory plus a third
    // of 50 000 bytes) and allkeys-lru.
    let deadline = Instant::now() + Duration::from_secs(20);
    let limited = || {
        own.evicting_ports().iter().all(|port| {
            let (max, policy) = maxmemory_settings(port);
            max > 0 && policy == "allkeys-lru"
        })
    };
    while !limited() {
        assert!(
            Instant::now() < deadline,
            "no master limited under allkeys-lru"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id();
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    settings_restored(&own);
    let pattern = format!("cachelab:r*-{pid}:*");
    assert_eq!(keys_left(&urls, &pattern), 0);
}

#[test]
fn live_runs_only_the_variants_named_and_names_the_allowed_ones() {
    // An unknown name is refused before anything connects (nothing listens on port 1).
    let out = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(["live", "stampede", "--redis-url", "redis://127.0.0.1:1"])
        .args(["--variant", "lock,lcok"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "unknown variant `lcok`; known: chapter, none, lock, singleflight, xfetch, swr"
        ),
        "{stderr}"
    );
    let Some(url) = redis_env::redis_url() else {
        return;
    };
    // Repeated and comma-separated alike; reported in the scenario's order, live and simulated.
    let out = Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args([
            "live",
            "stampede",
            "--redis-url",
            &url,
            "--json",
            "--compare",
        ])
        .args(["--variant", "swr", "--variant", "none"])
        .args([
            "--set",
            "duration_s=1",
            "--set",
            "rate=200",
            "--set",
            "keys=50",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for side in ["live", "sim"] {
        let names: Vec<&str> = c[side]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["none", "swr"], "{side}");
    }
}
