//! The `schema-deploy` scenario teaches what a deploy that changes a cached struct does: versioned
//! values are misses and get replaced, unversioned bytes are misread, and a versioned key prefix
//! trades misreads for a second, cold set of keys. Checked at seeds 1 and 2.

use cachelab::scenario::{run, Report, SchemaDeployReport, VariantReport};

const SEEDS: [u64; 2] = [1, 2];

fn run_with(params: &[(&str, &str)], seed: u64) -> Report {
    let given: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run("schema-deploy", &given, seed).unwrap()
}

fn deploy(v: &VariantReport) -> &SchemaDeployReport {
    v.section::<SchemaDeployReport>().unwrap()
}

#[test]
fn versioned_values_are_replaced_once_and_never_misread() {
    for seed in SEEDS {
        let r = run_with(&[], seed);
        let keys = r.params.get("keys").unwrap() as u64;
        let v = r.variant("versioned").unwrap();
        let d = deploy(v);
        assert_eq!((d.wrong_values, d.decode_errors), (0, 0), "seed {seed}");
        // The cache was warm: nothing reached the database before the deploy, and afterwards
        // every query replaced one old-schema entry, each key at most once.
        assert_eq!(d.db_queries_before_deploy, 0);
        assert_eq!(d.old_schema_misses, d.db_queries_after_deploy);
        assert_eq!(d.old_schema_misses, v.summary.db_queries);
        assert!(d.old_schema_misses <= keys && d.old_schema_misses > keys / 2);
        assert_eq!(v.summary.stale_reads, 0);
    }
}

#[test]
fn unversioned_bytes_are_misread_or_fail_to_decode() {
    for seed in SEEDS {
        let r = run_with(&[], seed);
        let d = deploy(r.variant("unversioned").unwrap());
        let versioned = deploy(r.variant("versioned").unwrap());
        // Products without stock fail to decode and are reloaded; the rest decode with the price
        // in cents read as dollars, and are served wrong for the rest of the run.
        assert!(d.decode_errors > 0, "seed {seed}");
        assert_eq!(d.decode_errors, d.db_queries_after_deploy);
        assert!(d.wrong_values > 10 * d.decode_errors, "seed {seed}: {d:?}");
        assert!(d.db_queries_after_deploy < versioned.db_queries_after_deploy);
    }
}

#[test]
fn a_prefix_bump_costs_the_same_reloads_and_twice_the_keys() {
    for seed in SEEDS {
        let r = run_with(&[], seed);
        let (versioned, bumped) = (
            r.variant("versioned").unwrap(),
            r.variant("prefix-bump").unwrap(),
        );
        let d = deploy(bumped);
        assert_eq!(
            (d.wrong_values, d.decode_errors, d.old_schema_misses),
            (0, 0, 0)
        );
        // The same traffic misses on the same first reads after the deploy...
        assert_eq!(bumped.summary.db_queries, versioned.summary.db_queries);
        // ...but the old keys stay until their TTL ends: almost twice the keys and memory.
        let (mv, mb) = (
            versioned.monitoring.as_ref().unwrap(),
            bumped.monitoring.as_ref().unwrap(),
        );
        assert_eq!(mv.peak_keys, 2_000);
        // (A key two requests missed at once is loaded twice but stored once.)
        let reloaded = d.db_queries_after_deploy;
        assert!(mb.peak_keys <= 2_000 + reloaded && mb.peak_keys > 2_000 + reloaded * 9 / 10);
        assert!(mb.peak_used_memory_bytes > 2 * mv.peak_used_memory_bytes * 9 / 10);
    }
}

#[test]
fn during_a_rolling_deploy_versioned_entries_ping_pong_and_prefixes_do_not() {
    for seed in SEEDS {
        let r = run_with(&[("rollout_s", "5")], seed);
        let versioned = deploy(r.variant("versioned").unwrap());
        let bumped = deploy(r.variant("prefix-bump").unwrap());
        // Old and new instances replace each other's entries back and forth.
        assert!(
            versioned.old_schema_misses > 2 * bumped.db_queries_after_deploy,
            "seed {seed}: {versioned:?} {bumped:?}"
        );
        assert!(bumped.db_queries_after_deploy <= 2_000);
    }
}

#[test]
fn exact_numbers_at_seed_1() {
    let r = run_with(&[], 1);
    let got: Vec<(u64, u64, u64, u64)> = r
        .variants
        .iter()
        .map(|v| {
            let d = deploy(v);
            (
                v.summary.db_queries,
                d.old_schema_misses,
                d.decode_errors,
                d.wrong_values,
            )
        })
        .collect();
    assert_eq!(
        got,
        [(1990, 1990, 0, 0), (494, 0, 494, 27002), (1990, 0, 0, 0)]
    );
}

#[test]
fn parameters_the_scenario_does_not_model_are_refused() {
    for name in ["clients", "write_share", "l1_keys"] {
        let err = run("schema-deploy", &[(name.into(), "1".into())], 1).unwrap_err();
        assert!(err.to_string().contains("unknown parameter"), "{err}");
    }
    let err = run("schema-deploy", &[("deploy_at_s".into(), "-1".into())], 1).unwrap_err();
    assert!(err
        .to_string()
        .contains("`deploy_at_s` must be between 0 and 600"));
}
