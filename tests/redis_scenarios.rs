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
            ("ttl_s", "1"),
        ],
        // Its client's pool of 20 connections runs out under a real server's timing (a failure
        // the variant exists to show): without the limit, every command reaches the server.
        "degradation" => &[("l2_pool", "0")],
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

/// Scenarios whose own bench is not written against a `Driver` yet: live refuses them, saying
/// so (and this test fails once one of them runs live, so that it moves out of this list).
/// memory needs a server whose maxmemory it may set.
const NOT_LIVE_YET: [&str; 1] = ["memory"];

/// Runs every scenario of the registry live on `url` and checks it against the simulation.
// The node's and the cluster's runs go side by side (their counts do not depend on timing), so
// the suite takes about as long as one of them.
fn every_scenario_live(url: &str, what: &str) {
    for found in scenario::scenarios() {
        let name = found.name;
        let run_id = format!("test-{what}-{}-{}", name, std::process::id());
        let live = Live::new(url.parse().unwrap(), 4).with_run_id(&run_id);
        let given = quick(name);
        let started = Instant::now();
        let result = live.run(name, &given, 1);
        if NOT_LIVE_YET.contains(&name) {
            let err = result.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("no live version yet"), "{name}: {err}");
            continue;
        }
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
            let (l, s) = (&l.summary, &s.summary);
            // The same seeded arrivals reached both, every live request finished, and the server
            // never failed a command.
            assert_eq!(l.requests, s.requests, "{name}/{}", report.variants[0].name);
            assert_eq!(l.l2_errors, 0, "{name}: {l:?}");
            if SAME_COUNTS.contains(&name) {
                assert_eq!(l.counts, s.counts, "{name}: live {l:?}\nsim {s:?}");
            }
        }
        // Nothing of the run is left, on any master.
        assert_eq!(keys_left(url, &format!("cachelab:{run_id}:*")), 0, "{name}");
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
