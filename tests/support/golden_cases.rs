//! The golden cases, shared by the native test (`tests/golden.rs`) and the wasm suites
//! (`tests/node.rs`, `tests/web.rs`): each names its file, the JSON stored there (pretty-printed,
//! one field a line, so that a re-bless shows a readable diff), and how the core produces it now.
//! Adding a case here and one line in [`golden_case_tests!`] checks it in all three worlds, as a
//! test of its own named after the case.

// Each test binary that includes this file uses a different part of it.
#![allow(dead_code)]

use cachelab::scenario::{self, l1_curve};

/// One golden report.
pub struct GoldenCase {
    /// File name under `tests/golden/`.
    pub file: &'static str,
    /// Parameters as `(name, value)` text pairs, as every face passes them.
    pub params: &'static [(&'static str, &'static str)],
    /// The seed.
    pub seed: u64,
    /// The stored JSON.
    pub expected: &'static str,
    /// Produces the JSON from the core.
    pub produce: fn(&[(String, String)], u64) -> String,
}

impl GoldenCase {
    /// The parameters in the core's owned form.
    pub fn owned_params(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// What the core produces now.
    pub fn actual(&self) -> String {
        (self.produce)(&self.owned_params(), self.seed)
    }
}

/// Declares one test per golden case, named after it, that calls `$check(file)`; `$attr` is the
/// suite's test attribute (`test`, `wasm_bindgen_test`). A last test checks that every case of
/// [`cases`] has its test here.
// tests/web.rs checks the page's exports instead, in one loop.
#[allow(unused_macros)]
macro_rules! golden_case_tests {
    ($attr:meta, $check:path) => {
        golden_case_tests!(@each $attr, $check;
            l1_curve "l1_curve.json",
            stampede "stampede.json",
            avalanche "avalanche.json",
            penetration "penetration.json",
            schema_deploy "schema_deploy.json",
            multilayer "multilayer.json",
            response_cache "response-cache.json",
            ratelimit "ratelimit.json",
            consistency "consistency.json",
            tags "tags.json",
            keys "keys.json",
            query_cache "query-cache.json",
            degradation "degradation.json",
            lock_safety "lock-safety.json",
            memory "memory.json",
        );
    };
    (@each $attr:meta, $check:path; $($test:ident $file:literal,)+) => {
        $(
            #[$attr]
            fn $test() {
                $check(&golden_cases::case($file));
            }
        )+

        #[$attr]
        fn every_golden_case_has_a_test_of_its_own() {
            let files: Vec<&str> = golden_cases::cases().iter().map(|c| c.file).collect();
            assert_eq!(files, [$($file),+]);
        }
    };
}

/// The case stored in `file`.
pub fn case(file: &str) -> GoldenCase {
    cases()
        .into_iter()
        .find(|c| c.file == file)
        .unwrap_or_else(|| panic!("no golden case {file}"))
}

/// `json` without the whitespace between its tokens: the compact form `serde_json::to_string`
/// (and the wasm export `runScenarioJson`) print.
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                (false, _) => {}
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Every golden case.
pub fn cases() -> Vec<GoldenCase> {
    vec![
        GoldenCase {
            file: "l1_curve.json",
            params: &[("keys", "3000"), ("requests", "50000")],
            seed: 2024,
            expected: include_str!("../golden/l1_curve.json"),
            produce: |p, seed| pretty(&l1_curve::run(p, seed).unwrap()),
        },
        GoldenCase {
            file: "stampede.json",
            params: &[("duration_s", "7"), ("rate", "2000")],
            seed: 42,
            expected: include_str!("../golden/stampede.json"),
            produce: |p, seed| scenario_json("stampede", p, seed),
        },
        GoldenCase {
            file: "avalanche.json",
            params: &[
                ("keys", "500"),
                ("ttl_s", "4"),
                ("duration_s", "9"),
                ("rate", "2000"),
            ],
            seed: 42,
            expected: include_str!("../golden/avalanche.json"),
            produce: |p, seed| scenario_json("avalanche", p, seed),
        },
        GoldenCase {
            file: "penetration.json",
            params: &[
                ("duration_s", "6"),
                ("rate", "2000"),
                ("write_share", "0.05"),
            ],
            seed: 42,
            expected: include_str!("../golden/penetration.json"),
            produce: |p, seed| scenario_json("penetration", p, seed),
        },
        GoldenCase {
            file: "schema_deploy.json",
            params: &[
                ("keys", "200"),
                ("rate", "500"),
                ("duration_s", "6"),
                ("deploy_at_s", "3"),
                ("rollout_s", "1"),
            ],
            seed: 42,
            expected: include_str!("../golden/schema_deploy.json"),
            produce: |p, seed| scenario_json("schema-deploy", p, seed),
        },
        GoldenCase {
            file: "multilayer.json",
            params: &[
                ("duration_s", "4"),
                ("rate", "1000"),
                ("keys", "200"),
                ("l1_keys", "50"),
                ("warm_keys", "50"),
                ("instances", "3"),
                ("broadcast_delay_ms", "20"),
                ("bucket_ms", "1000"),
            ],
            seed: 42,
            expected: include_str!("../golden/multilayer.json"),
            produce: |p, seed| scenario_json("multilayer", p, seed),
        },
        GoldenCase {
            file: "response-cache.json",
            params: &[("duration_s", "4"), ("rate", "100"), ("users", "5")],
            seed: 42,
            expected: include_str!("../golden/response-cache.json"),
            produce: |p, seed| scenario_json("response-cache", p, seed),
        },
        GoldenCase {
            file: "ratelimit.json",
            params: &[
                ("duration_s", "12"),
                ("window_s", "4"),
                ("read_limit", "10"),
                ("write_limit", "3"),
                ("ip_limit", "10"),
                ("users", "3"),
                ("burst_requests", "20"),
                ("burst_at_s", "4"),
                ("outage_from_s", "8"),
                ("outage_s", "1"),
                ("reset_at_s", "10"),
            ],
            seed: 42,
            expected: include_str!("../golden/ratelimit.json"),
            produce: |p, seed| scenario_json("ratelimit", p, seed),
        },
        GoldenCase {
            file: "consistency.json",
            params: &[
                ("duration_s", "4"),
                ("rate", "500"),
                ("keys", "50"),
                ("ttl_s", "3"),
                ("crash_at_s", "2"),
                ("bucket_ms", "2000"),
            ],
            seed: 42,
            expected: include_str!("../golden/consistency.json"),
            produce: |p, seed| scenario_json("consistency", p, seed),
        },
        GoldenCase {
            file: "tags.json",
            params: &[
                ("duration_s", "8"),
                ("rate", "60"),
                ("ttl_s", "3"),
                ("products", "40"),
                ("categories", "4"),
                ("queries", "500"),
                ("update_rate", "3"),
                ("bucket_ms", "2000"),
            ],
            seed: 42,
            expected: include_str!("../golden/tags.json"),
            produce: |p, seed| scenario_json("tags", p, seed),
        },
        GoldenCase {
            file: "keys.json",
            params: &[
                ("duration_s", "4"),
                ("rate", "50"),
                ("categories", "5"),
                ("users", "40"),
                ("products", "40"),
                ("short_digest_hex", "2"),
                ("bucket_ms", "2000"),
            ],
            seed: 42,
            expected: include_str!("../golden/keys.json"),
            produce: |p, seed| scenario_json("keys", p, seed),
        },
        GoldenCase {
            file: "query-cache.json",
            params: &[
                ("duration_s", "4"),
                ("rate", "60"),
                ("products", "30"),
                ("categories", "4"),
                ("update_rate", "3"),
                ("ttl_s", "3"),
                ("bucket_ms", "2000"),
            ],
            seed: 42,
            expected: include_str!("../golden/query-cache.json"),
            produce: |p, seed| scenario_json("query-cache", p, seed),
        },
        GoldenCase {
            file: "degradation.json",
            params: &[
                ("duration_s", "8"),
                ("rate", "300"),
                ("keys", "500"),
                ("outage_at_s", "2"),
                ("outage_s", "2"),
                ("slow_at_s", "5"),
                ("slow_s", "2"),
            ],
            seed: 42,
            expected: include_str!("../golden/degradation.json"),
            produce: |p, seed| scenario_json("degradation", p, seed),
        },
        GoldenCase {
            file: "lock-safety.json",
            params: &[("duration_s", "6"), ("rate", "200")],
            seed: 42,
            expected: include_str!("../golden/lock-safety.json"),
            produce: |p, seed| scenario_json("lock-safety", p, seed),
        },
        GoldenCase {
            file: "memory.json",
            params: &[
                ("duration_s", "5"),
                ("rate", "500"),
                ("keys", "3000"),
                ("maxmemory_mb", "0.1"),
                ("alert_memory_mb", "0.09"),
            ],
            seed: 42,
            expected: include_str!("../golden/memory.json"),
            produce: |p, seed| scenario_json("memory", p, seed),
        },
    ]
}

/// A scenario report as JSON, pretty-printed (`cachelab run NAME --json` prints the compact form
/// of the same text).
fn scenario_json(name: &str, params: &[(String, String)], seed: u64) -> String {
    pretty(&scenario::run(name, params, seed).unwrap())
}

/// The golden files' form: one field a line, and a final newline.
fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}
