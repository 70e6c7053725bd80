//! Why each miss happened (`cachelab::policy::classes`), on both sample traces: the classes sum to
//! the misses, compulsory misses are the unique keys, Belady has no policy misses, and no policy's
//! unavoidable misses exceed Belady's; `cachelab replay --classes --json` prints the same counts.

#[path = "support/cli.rs"]
mod cli;

use cachelab::policy::classes::add_to_report;
use cachelab::policy::replay::{run, Experiment};
use cachelab::policy::{Access, POLICY_NAMES};
use cachelab::workload::{Request, TraceFormat, TraceReader};
use std::path::Path;

/// The bundled trace, and the first 200,000 requests of the shared Zipf trace (the whole million
/// takes too long for every `make test`; a prefix has the same shape).
fn traces() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cloud = std::fs::read(root.join("www/traces/cloudphysics.csv")).unwrap();
    let mut out = vec![("cloudphysics.csv".to_string(), cloud)];
    if let Ok(zipf) = std::fs::read("/work/shared/traces/zipf.csv") {
        let prefix: Vec<u8> = zipf
            .split_inclusive(|&b| b == b'\n')
            .take(200_001)
            .flatten()
            .copied()
            .collect();
        out.push(("zipf.csv (first 200,000 requests)".to_string(), prefix));
    }
    out
}

#[test]
fn classes_sum_to_the_misses_and_respect_the_optimum() {
    for (name, bytes) in traces() {
        let experiment = Experiment::parse("all", "0.01,0.1", false).unwrap();
        let mut report = run(
            &name,
            TraceFormat::Csv,
            || Ok(bytes.as_slice()),
            &experiment,
        )
        .unwrap();
        let requests: Vec<Request> = TraceReader::new(bytes.as_slice(), TraceFormat::Csv)
            .collect::<cachelab::Result<_>>()
            .unwrap();
        add_to_report(&mut report, &Access::from_trace(&requests)).unwrap();
        assert_eq!(report.rows.len(), 2 * POLICY_NAMES.len());
        for row in &report.rows {
            let c = row.classes.expect("classes were asked for");
            let at = format!("{name}: {} at {}", row.policy, row.capacity);
            assert_eq!(c.total(), row.misses, "classes sum to the misses, {at}");
            assert_eq!(
                c.compulsory_misses, report.unique_keys,
                "compulsory = unique keys, {at}"
            );
            let belady = report
                .rows
                .iter()
                .find(|r| r.policy == "belady" && r.capacity == row.capacity)
                .unwrap();
            assert!(
                c.compulsory_misses + c.capacity_misses <= belady.misses,
                "unavoidable misses within Belady's, {at}"
            );
            if row.policy == "belady" {
                assert_eq!(c.policy_misses, 0, "{at}");
                assert_eq!(c.compulsory_misses + c.capacity_misses, row.misses, "{at}");
            } else {
                assert!(c.policy_misses > 0, "{at} is not optimal");
            }
        }
    }
}

#[test]
fn replay_json_carries_the_classes_when_asked() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/traces/cloudphysics.csv");
    let args = [
        "replay",
        trace.to_str().unwrap(),
        "--policy",
        "lru,s3fifo",
        "--size",
        "0.05",
        "--json",
    ];
    let plain = cli::cachelab_json(&args);
    assert!(
        plain["rows"][0].get("compulsory_misses").is_none(),
        "only when asked"
    );
    let report = cli::cachelab_json(&[&args[..], &["--classes"]].concat());
    for row in report["rows"].as_array().unwrap() {
        let field = |name: &str| row[name].as_u64().unwrap();
        assert_eq!(
            field("compulsory_misses") + field("capacity_misses") + field("policy_misses"),
            field("misses")
        );
        assert_eq!(field("compulsory_misses"), 48_974);
    }
}
