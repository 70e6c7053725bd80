//! `cachelab step`: one JSON entry per request with key, hit, evicted, reason and state; typed
//! keys, presets and trace files; errors that name the field and its range.

#[path = "support/cli.rs"]
mod cli;

use cachelab::policy::step::step_through;
use cli::{cachelab, cachelab_json};

#[test]
fn json_has_one_entry_per_request_with_the_steppers_fields() {
    let steps = cachelab_json(&[
        "step",
        "1 2 3 1 4 5",
        "--policy",
        "lru",
        "--size",
        "3",
        "--json",
    ]);
    let steps = steps.as_array().unwrap();
    assert_eq!(steps.len(), 6);
    for (i, step) in steps.iter().enumerate() {
        for field in ["key", "hit", "evicted", "reason", "state"] {
            assert!(step.get(field).is_some(), "step {i} has {field}");
        }
    }
    // 4 evicts 2 (1 was touched); 5 evicts 3.
    assert_eq!(steps[4]["evicted"], serde_json::json!([2]));
    assert_eq!(steps[5]["evicted"], serde_json::json!([3]));
    assert!(steps[3]["hit"].as_bool().unwrap());
    let queue: Vec<u64> = steps[5]["state"]["lists"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_u64().unwrap())
        .collect();
    assert_eq!(queue, [1, 4, 5]);
    // The same as the library's stepper, field for field.
    let core = step_through("lru", 3, &[1, 2, 3, 1, 4, 5]).unwrap();
    assert_eq!(
        serde_json::to_value(&core.steps).unwrap(),
        serde_json::Value::Array(steps.clone())
    );
}

#[test]
fn every_policy_steps_through_every_preset() {
    for policy in cachelab::policy::POLICY_NAMES {
        for preset in ["loop", "scan", "zipf", "one-hit-wonders"] {
            let steps =
                cachelab_json(&["step", preset, "--policy", policy, "--size", "5", "--json"]);
            assert!(!steps.as_array().unwrap().is_empty(), "{policy} {preset}");
        }
    }
}

#[test]
fn text_output_names_the_rule_and_the_state() {
    let out = cachelab(&["step", "1,2,1,3", "--policy", "clock", "--size", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("#3 key 3: miss, evicted 2."), "{text}");
    assert!(text.contains("second chance"), "{text}");
    assert!(text.contains("ring [key:bit]:"), "{text}");
}

#[test]
fn a_trace_file_is_read_up_to_the_limit() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("policy_step");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("short.csv");
    std::fs::write(&path, "time,key,size\n1,7,10\n2,8,10\n3,7,10\n").unwrap();
    let steps = cachelab_json(&[
        "step",
        path.to_str().unwrap(),
        "--policy",
        "fifo",
        "--size",
        "1",
        "--json",
    ]);
    let hits: Vec<bool> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["hit"].as_bool().unwrap())
        .collect();
    assert_eq!(hits, [false, false, false]);
    let long = dir.join("long.txt");
    std::fs::write(
        &long,
        (0..3000).map(|k| format!("{k}\n")).collect::<String>(),
    )
    .unwrap();
    let out = cachelab(&[
        "step",
        long.to_str().unwrap(),
        "--policy",
        "fifo",
        "--size",
        "1",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("2000"));
}

#[test]
fn bad_input_is_refused_naming_the_field_and_range() {
    let err = |args: &[&str]| {
        let out = cachelab(&[&["step"], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = err(&["1 2", "--policy", "lru", "--size", "65"]);
    assert!(e.contains("`size` must be between 1 and 64"), "{e}");
    let e = err(&["1 two", "--policy", "lru", "--size", "2"]);
    assert!(
        e.contains("keys, item 2") && e.contains("0 to 999999"),
        "{e}"
    );
    let e = err(&["1 2", "--policy", "random", "--size", "2"]);
    assert!(e.contains("unknown policy"), "{e}");
    let e = err(&["", "--policy", "lru", "--size", "2"]);
    assert!(e.contains("`keys` must be between 1 and 2000"), "{e}");
}

/// The "Inside a policy" lesson says what its ready-made sequences show (lessons/inside.json): in the loop
/// LRU, FIFO, CLOCK and SIEVE miss every request while Belady hits about half; the scan costs LRU
/// hits that SIEVE, S3-FIFO, LFU and ARC keep; the one-hit wonders cost LRU and FIFO hits that SIEVE,
/// LFU and ARC keep. Checked at the lesson's size (6) and around it.
#[test]
fn the_inside_lessons_sentences_hold_for_its_sequences() {
    use cachelab::policy::step::Sequence;
    let hits = |sequence: &str, policy: &str, size: u64| {
        let keys = Sequence::parse(sequence).unwrap().keys(size, 1).unwrap();
        let steps = step_through(policy, size, &keys).unwrap().steps;
        (steps.iter().filter(|s| s.hit).count(), steps.len())
    };
    for size in [4, 6, 8, 12, 16] {
        for policy in ["lru", "fifo", "clock", "sieve"] {
            assert_eq!(
                hits("loop", policy, size).0,
                0,
                "{policy} in the loop at {size}"
            );
        }
        let (hit, all) = hits("loop", "belady", size);
        let share = hit as f64 / all as f64;
        assert!(
            (0.4..=0.65).contains(&share),
            "belady hits {share} of the loop at {size}"
        );
        let lru = hits("scan", "lru", size).0;
        for policy in ["sieve", "s3fifo", "lfu", "arc"] {
            assert!(
                hits("scan", policy, size).0 > lru,
                "{policy} keeps the hot set at {size}"
            );
        }
        let lru_fifo = hits("one-hit-wonders", "lru", size)
            .0
            .max(hits("one-hit-wonders", "fifo", size).0);
        for policy in ["sieve", "lfu", "arc"] {
            let kept = hits("one-hit-wonders", policy, size).0;
            assert!(kept > lru_fifo, "{policy} keeps the popular keys at {size}");
        }
    }
}
