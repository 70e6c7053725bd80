//! Benchmark workloads: fixed amounts of work that a face times. The core never reads a clock, so
//! the CLI (`cachelab bench`, with `std::time::Instant`) and the page (`www/bench.html`, with
//! `performance.now()`) do the timing, and both run the very same functions.
//!
//! Cases come in groups; the first case of a group is its baseline, and faces print every case's
//! throughput as a ratio to that baseline measured in the same run, so results compare across
//! machines.

mod traces;

use crate::error::{Error, Result};
use crate::policy::replay::check_in_memory_trace;
use crate::policy::{
    Access, Arc, Cache, Capacity, Clock, Evictor, Fifo, FromCapacity, Lfu, Lru, Policy, S3Fifo,
    Sieve, WTinyLfu,
};
use crate::scenario::{self, l1_curve};
use crate::workload::{Pattern, Synthetic, TraceFormat, TraceReader};
use std::num::NonZeroU64;
use std::sync::OnceLock;

/// One benchmark: `run(ops)` does `ops` units of work and returns a checksum that depends on all
/// of it (so the optimiser cannot drop the work, and native and wasm can be compared).
#[derive(Clone, Copy, Debug)]
pub struct BenchCase {
    /// Unique name, `group/what`.
    pub name: &'static str,
    /// Cases in a group are compared with the group's first case.
    pub group: &'static str,
    /// What one unit of work is (`"requests"`, `"commands"`).
    pub unit: &'static str,
    /// Units of work in a default run (about a second natively).
    pub default_ops: u64,
    /// The work itself.
    pub run: fn(u64) -> u64,
}

/// Every benchmark case, grouped, baselines first.
pub fn cases() -> Vec<BenchCase> {
    let mut all = vec![BenchCase {
        name: "l1/curve-point",
        group: "l1",
        unit: "requests",
        default_ops: 2_000_000,
        run: l1_curve_requests,
    }];
    all.extend(policy_cases());
    all.extend(
        [
            ("scenario/stampede", scenario_stampede as fn(u64) -> u64),
            ("scenario/avalanche", scenario_avalanche),
            ("scenario/penetration", scenario_penetration),
        ]
        .map(|(name, run)| BenchCase {
            name,
            group: "scenario",
            unit: "requests",
            default_ops: 1_000_000,
            run,
        }),
    );
    all.extend(kv_cases());
    all.extend(corner_cases());
    all.extend(traces::cases());
    all.sort_by_key(|c| c.group);
    all
}

/// Looks a case up by name.
pub fn find(name: &str) -> Option<BenchCase> {
    cases().into_iter().find(|c| c.name == name)
}

fn l1_curve_requests(ops: u64) -> u64 {
    let given = [
        ("requests".to_string(), ops.to_string()),
        ("points".to_string(), "1".to_string()),
    ];
    // The parameters above are within range by construction; a failure would be a bug in them.
    l1_curve::run(&given, 1)
        .map(|c| c.points.iter().map(|p| p.hits).sum())
        .unwrap_or(0)
}

/// The trace the policy cases replay, preloaded, and the capacity they use: 10 % of its unique
/// keys, as the issue's benchmark asks (object-count mode).
struct PolicyTrace {
    /// Where it came from, for the faces to print.
    name: String,
    requests: Vec<Access>,
    unique_keys: u64,
    capacity: NonZeroU64,
}

impl PolicyTrace {
    fn new(name: String, requests: Vec<Access>) -> Result<PolicyTrace> {
        let mut keys: Vec<u64> = requests.iter().map(|a| a.key).collect();
        keys.sort_unstable();
        keys.dedup();
        let unique_keys = keys.len() as u64;
        let capacity = NonZeroU64::new(unique_keys / 10).ok_or_else(|| Error::Parse {
            what: format!("benchmark trace `{name}`"),
            detail: format!(
                "it has {unique_keys} unique keys; at least 10 are needed for a 10 % cache"
            ),
        })?;
        Ok(PolicyTrace {
            name,
            requests,
            unique_keys,
            capacity,
        })
    }
}

static POLICY_TRACE: OnceLock<PolicyTrace> = OnceLock::new();

/// The policy cases' trace: the one a face chose with [`use_policy_trace`], or else a synthetic
/// stand-in of the same shape as the shared `zipf.csv` — Zipf (skew 1) over 100,000 keys,
/// 1,000,000 requests, seed 1 — generated in-process so that the benchmark needs no file.
fn policy_trace() -> &'static PolicyTrace {
    POLICY_TRACE.get_or_init(|| {
        let requests = Synthetic::new(
            Pattern::Zipf {
                keys: 100_000,
                skew: 1.0,
            },
            1_000_000,
            1,
        )
        .map(|generator| generator.map(|r| Access::new(r.key, r.size)).collect())
        .unwrap_or_default();
        // 100,000 Zipf keys drawn a million times leave tens of thousands of unique keys.
        PolicyTrace::new(
            "synthetic Zipf (skew 1, 100,000 keys, 1,000,000 requests, seed 1)".into(),
            requests,
        )
        .expect("the synthetic trace has many unique keys")
    })
}

/// Makes the policy cases replay the trace in `bytes` (CSV `time,key,size`, oracleGeneral binary
/// or one key per line, told apart by `name`'s extension) instead of the synthetic stand-in —
/// e.g. the shared `zipf.csv` that the issue's targets are stated on. Call it before any policy
/// case runs; returns the trace's requests and unique keys.
///
/// ```
/// use cachelab::bench;
/// let csv = "time,key,size\n".to_string() + &(0..100).map(|k| format!("{k},{},1\n", k % 20)).collect::<String>();
/// assert_eq!(bench::use_policy_trace("tiny.csv", csv.as_bytes()).unwrap(), (100, 20));
/// assert_eq!(bench::policy_trace_name(), "tiny.csv");
/// // Once the cases have a trace, it stays: a second choice is refused.
/// assert!(bench::use_policy_trace("other.csv", csv.as_bytes()).is_err());
/// ```
pub fn use_policy_trace(name: &str, bytes: &[u8]) -> Result<(u64, u64)> {
    check_in_memory_trace(bytes.len() as u64)?;
    let requests = TraceReader::new(bytes, TraceFormat::from_file_name(name))
        .map(|r| r.map(|r| Access::new(r.key, r.size)))
        .collect::<Result<Vec<_>>>()?;
    let trace = PolicyTrace::new(name.to_string(), requests)?;
    let shape = (trace.requests.len() as u64, trace.unique_keys);
    POLICY_TRACE.set(trace).map_err(|_| Error::Parse {
        what: format!("benchmark trace `{name}`"),
        detail: format!(
            "the policy cases already replay `{}`; choose the trace before running them",
            policy_trace().name
        ),
    })?;
    Ok(shape)
}

/// What the policy cases replay (a file name, or the synthetic stand-in's description).
pub fn policy_trace_name() -> &'static str {
    &policy_trace().name
}

/// The `ops` requests a policy case replays: the preloaded trace, from the start, wrapping.
fn trace_requests(ops: u64) -> impl Iterator<Item = &'static Access> {
    policy_trace().requests.iter().cycle().take(ops as usize)
}

/// Baseline: the `lru` crate's `LruCache` on the same trace and capacity.
fn lru_crate_replay(ops: u64) -> u64 {
    let capacity = policy_trace().capacity;
    let capacity =
        std::num::NonZeroUsize::new(capacity.get() as usize).unwrap_or(std::num::NonZeroUsize::MIN);
    let mut cache = lru::LruCache::<u64, ()>::new(capacity);
    let mut misses = 0;
    for request in trace_requests(ops) {
        if cache.get(&request.key).is_none() {
            misses += 1;
            cache.put(request.key, ());
        }
    }
    misses
}

/// One of our policies on the same trace and capacity; returns the misses.
fn policy_replay<E: Evictor + FromCapacity>(ops: u64) -> u64 {
    let mut cache = Cache::<E>::new(Capacity::Objects(policy_trace().capacity));
    let mut evicted = Vec::new();
    let mut misses = 0;
    for request in trace_requests(ops) {
        evicted.clear();
        if !cache.access(request, &mut evicted).is_hit() {
            misses += 1;
        }
    }
    misses
}

/// The "policy" group: replay throughput on a Zipf trace, against the `lru` crate.
fn policy_cases() -> Vec<BenchCase> {
    let case = |name, run| BenchCase {
        name,
        group: "policy",
        unit: "requests",
        default_ops: 1_000_000,
        run,
    };
    vec![
        case("policy/lru-crate", lru_crate_replay),
        case("policy/lru", policy_replay::<Lru>),
        case("policy/fifo", policy_replay::<Fifo>),
        case("policy/clock", policy_replay::<Clock>),
        case("policy/sieve", policy_replay::<Sieve>),
        case("policy/s3fifo", policy_replay::<S3Fifo>),
        case("policy/lfu", policy_replay::<Lfu>),
        case("policy/arc", policy_replay::<Arc>),
        case("policy/wtinylfu", policy_replay::<WTinyLfu>),
    ]
}

fn scenario_stampede(ops: u64) -> u64 {
    scenario_requests("stampede", ops)
}

fn scenario_avalanche(ops: u64) -> u64 {
    scenario_requests("avalanche", ops)
}

fn scenario_penetration(ops: u64) -> u64 {
    scenario_requests("penetration", ops)
}

/// Runs every variant of scenario `name` at its defaults, except for a duration that makes about
/// `ops` simulated requests in all (at least one simulated second). Returns requests plus
/// database queries.
fn scenario_requests(name: &str, ops: u64) -> u64 {
    let Ok(s) = scenario::find(name) else {
        return 0;
    };
    let default = |param: &str| {
        s.params
            .iter()
            .find(|p| p.name == param)
            .map_or(1.0, |p| p.default)
    };
    let per_second = default("rate") * s.variants.len() as f64;
    let duration = (ops as f64 / per_second).clamp(1.0, 600.0);
    let given = [("duration_s".to_string(), format!("{duration}"))];
    // The duration is clamped into its allowed range above; a failure would be a bug.
    scenario::run(name, &given, 1)
        .map(|r| {
            r.variants
                .iter()
                .map(|v| v.summary.requests + v.summary.db_queries)
                .sum()
        })
        .unwrap_or(0)
}

/// A scenario at the corner of its parameter ranges that the request budget allows, where a
/// cost that grows faster than the requests (a queue scanned per waiter, a set re-measured per
/// member) shows up as a low rate rather than a hung page. The traffic knob sits at its top (a
/// million requests a second where the scenario allows it), and the structures that grow with it
/// at theirs: a pool of one connection, long tag sets, a sliding log of a million entries. (Keys
/// stay at 100,000: warming a million costs more than a second of traffic, which would hide it.)
struct Corner {
    scenario: &'static str,
    /// Fixed parameters at the corner.
    params: &'static [(&'static str, &'static str)],
    /// The parameter that sets the traffic, and its value at the corner.
    knob: (&'static str, f64),
    /// Simulated requests per simulated second per unit of the knob, all variants together.
    per_knob: f64,
}

const CORNERS: [Corner; 14] = [
    Corner {
        scenario: "stampede",
        params: &[
            ("keys", "1000000"),
            ("hot_share", "0.1"),
            ("skew", "1"),
            ("l1_keys", "10000"),
        ],
        knob: ("rate", 1_000_000.0),
        per_knob: 5.0,
    },
    Corner {
        scenario: "avalanche",
        params: &[("keys", "100000"), ("ttl_s", "1"), ("db_pool", "1")],
        knob: ("rate", 1_000_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "penetration",
        params: &[
            ("keys", "1000000"),
            ("missing_keys", "1000000"),
            ("missing_share", "1"),
        ],
        knob: ("rate", 1_000_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "schema-deploy",
        params: &[("keys", "100000")],
        knob: ("rate", 1_000_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "consistency",
        params: &[("write_share", "0.5"), ("db_pool", "1")],
        knob: ("rate", 600_000.0),
        per_knob: 5.0,
    },
    Corner {
        scenario: "multilayer",
        params: &[("instances", "32"), ("write_share", "0.1")],
        knob: ("rate", 1_000_000.0),
        per_knob: 4.0,
    },
    Corner {
        scenario: "response-cache",
        params: &[("users", "100000")],
        knob: ("rate", 1_000_000.0),
        per_knob: 5.0,
    },
    Corner {
        scenario: "ratelimit",
        params: &[("abusers", "1000"), ("read_limit", "1000000")],
        knob: ("abuser_rate", 1_000.0),
        per_knob: 5_500.0,
    },
    Corner {
        scenario: "tags",
        params: &[("queries", "10000000"), ("update_rate", "100")],
        knob: ("rate", 100_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "keys",
        params: &[],
        knob: ("rate", 1_000_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "query-cache",
        params: &[("update_rate", "10000")],
        knob: ("rate", 1_000_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "degradation",
        params: &[("keys", "100000")],
        knob: ("rate", 1_000_000.0),
        per_knob: 4.0,
    },
    Corner {
        scenario: "lock-safety",
        params: &[("keys", "100000")],
        knob: ("rate", 1_000_000.0),
        per_knob: 3.0,
    },
    Corner {
        scenario: "memory",
        params: &[("keys", "100000")],
        knob: ("rate", 1_000_000.0),
        per_knob: 5.0,
    },
];

/// One case per scenario at its corner (see [`Corner`]), in simulated requests.
fn corner_cases() -> Vec<BenchCase> {
    fn case(name: &'static str, run: fn(u64) -> u64) -> BenchCase {
        BenchCase {
            name,
            group: "corner",
            unit: "requests",
            default_ops: 1_000_000,
            run,
        }
    }
    // One function per case, as the faces call a plain `fn(u64) -> u64`.
    vec![
        case("corner/stampede", |ops| corner_requests(&CORNERS[0], ops)),
        case("corner/avalanche", |ops| corner_requests(&CORNERS[1], ops)),
        case("corner/penetration", |ops| {
            corner_requests(&CORNERS[2], ops)
        }),
        case("corner/schema-deploy", |ops| {
            corner_requests(&CORNERS[3], ops)
        }),
        case("corner/consistency", |ops| {
            corner_requests(&CORNERS[4], ops)
        }),
        case("corner/multilayer", |ops| corner_requests(&CORNERS[5], ops)),
        case("corner/response-cache", |ops| {
            corner_requests(&CORNERS[6], ops)
        }),
        case("corner/ratelimit", |ops| corner_requests(&CORNERS[7], ops)),
        case("corner/tags", |ops| corner_requests(&CORNERS[8], ops)),
        case("corner/keys", |ops| corner_requests(&CORNERS[9], ops)),
        case("corner/query-cache", |ops| {
            corner_requests(&CORNERS[10], ops)
        }),
        case("corner/degradation", |ops| {
            corner_requests(&CORNERS[11], ops)
        }),
        case("corner/lock-safety", |ops| {
            corner_requests(&CORNERS[12], ops)
        }),
        case("corner/memory", |ops| corner_requests(&CORNERS[13], ops)),
    ]
}

/// Runs `corner` for about `ops` simulated requests: the knob at its corner for as long as that
/// takes, or, when `ops` is less than one simulated second of it, the knob turned down to fit one
/// second. Returns the requests simulated (0 if the corner's parameters were refused, which a
/// test rules out).
fn corner_requests(corner: &Corner, ops: u64) -> u64 {
    let (knob, top) = corner.knob;
    let per_second = top * corner.per_knob;
    let (value, duration) = if (ops as f64) < per_second {
        (ops as f64 / corner.per_knob, 1.0)
    } else {
        (top, (ops as f64 / per_second).min(600.0))
    };
    let mut given: Vec<(String, String)> = corner
        .params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    given.push((knob.to_string(), format!("{}", value.max(1.0))));
    given.push(("duration_s".to_string(), format!("{duration}")));
    scenario::run(corner.scenario, &given, 1)
        .map(|r| r.variants.iter().map(|v| v.summary.requests).sum())
        .unwrap_or(0)
}

/// The key-value group: the same GET/SET mix against a plain `HashMap` (the baseline), the `lru`
/// crate, the L2 model's typed API and the L2 model through `exec` text.
fn kv_cases() -> Vec<BenchCase> {
    let case = |name, run| BenchCase {
        name,
        group: "kv",
        unit: "commands",
        default_ops: 2_000_000,
        run,
    };
    vec![
        case("kv/hashmap", kv_hashmap),
        case("kv/lru-crate", kv_lru),
        case("kv/l2-typed", kv_l2_typed),
        BenchCase {
            default_ops: 500_000,
            ..case("kv/l2-exec", kv_l2_exec)
        },
    ]
}

/// Keys in the key-value mix.
const KV_KEYS: u64 = 10_000;

/// The mix: 80 % GET, 20 % SET, keys uniform over `KV_KEYS`, from a fixed seed. Calls
/// `get(key)` (which returns the value's length, 0 for a miss) or `set(key, value)`.
fn kv_mix(ops: u64, mut get: impl FnMut(&[u8]) -> u64, mut set: impl FnMut(&[u8], &[u8])) -> u64 {
    let mut rng = crate::sim::SimRng::new(42);
    let mut checksum = 0u64;
    let mut key = [0u8; 8];
    for _ in 0..ops {
        let k = rng.below(KV_KEYS);
        key.copy_from_slice(&k.to_le_bytes());
        if rng.below(5) == 0 {
            set(&key, b"a value of thirty-two bytes long");
        } else {
            checksum = checksum.wrapping_add(get(&key));
        }
    }
    checksum
}

fn kv_hashmap(ops: u64) -> u64 {
    let map = std::cell::RefCell::new(std::collections::HashMap::<Vec<u8>, Vec<u8>>::new());
    kv_mix(
        ops,
        |k| map.borrow().get(k).map_or(0, |v| v.len() as u64),
        |k, v| {
            map.borrow_mut().insert(k.to_vec(), v.to_vec());
        },
    )
}

fn kv_lru(ops: u64) -> u64 {
    // Large enough to hold every key, so it measures the structure, not evictions.
    let cap = std::num::NonZeroUsize::new(KV_KEYS as usize).unwrap_or(std::num::NonZeroUsize::MIN);
    let cache = std::cell::RefCell::new(lru::LruCache::<Vec<u8>, Vec<u8>>::new(cap));
    kv_mix(
        ops,
        |k| cache.borrow_mut().get(k).map_or(0, |v| v.len() as u64),
        |k, v| {
            cache.borrow_mut().put(k.to_vec(), v.to_vec());
        },
    )
}

fn kv_l2_typed(ops: u64) -> u64 {
    let l2 = std::cell::RefCell::new(crate::tiers::L2::new());
    kv_mix(
        ops,
        |k| {
            l2.borrow_mut()
                .get(k)
                .ok()
                .flatten()
                .map_or(0, |v| v.len() as u64)
        },
        |k, v| {
            l2.borrow_mut().set(k, v, None).ok();
        },
    )
}

fn kv_l2_exec(ops: u64) -> u64 {
    use crate::tiers::l2::Reply;
    let l2 = std::cell::RefCell::new(crate::tiers::L2::new());
    // The keys become text, as a console user would type them.
    let text = |k: &[u8]| {
        let mut n = [0u8; 8];
        n.copy_from_slice(k);
        u64::from_le_bytes(n)
    };
    kv_mix(
        ops,
        |k| match l2.borrow_mut().exec(&format!("GET k{}", text(k))) {
            Ok(Some(Reply::Bulk(v))) => v.len() as u64,
            _ => 0,
        },
        |k, v| {
            let line = format!("SET k{} \"{}\"", text(k), String::from_utf8_lossy(v));
            l2.borrow_mut().exec(&line).ok();
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_case_runs() {
        let all = cases();
        let mut names: Vec<_> = all.iter().map(|c| c.name).collect();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for c in all {
            assert!(c.name.starts_with(c.group));
            // The corners warm 100,000 keys: their parameters are checked below instead.
            if c.group != "corner" {
                (c.run)(100);
            }
        }
    }

    #[test]
    fn every_scenario_has_a_corner_and_its_parameters_are_valid() {
        let names: Vec<&str> = CORNERS.iter().map(|c| c.scenario).collect();
        let all: Vec<&str> = scenario::scenarios().iter().map(|s| s.name).collect();
        assert_eq!(names, all);
        for corner in &CORNERS {
            let mut given: Vec<(String, String)> = corner
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let (knob, top) = corner.knob;
            given.push((knob.to_string(), top.to_string()));
            let run = scenario::ScenarioRun::new(corner.scenario, &given, 1);
            assert!(run.is_ok(), "{}: {run:?}", corner.scenario);
        }
        // One small corner end to end: about the requests asked for.
        let tags = corner_requests(&CORNERS[8], 30_000);
        assert!((28_000..32_000).contains(&tags), "{tags}");
    }

    #[test]
    fn our_lru_and_the_lru_crate_agree_on_every_miss() {
        // The baseline must do the same work as the case it is compared with.
        assert_eq!(lru_crate_replay(50_000), policy_replay::<Lru>(50_000));
    }

    #[test]
    fn every_kv_case_does_the_same_work() {
        // Same mix, same reads, same hits: the checksums agree, so the ratios compare like
        // with like.
        let sums: Vec<u64> = kv_cases().iter().map(|c| (c.run)(20_000)).collect();
        assert!(sums.windows(2).all(|w| w[0] == w[1]), "{sums:?}");
        assert!(sums[0] > 0);
    }
}
