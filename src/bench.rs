//! Benchmark workloads: fixed amounts of work that a face times. The core never reads a clock, so
//! the CLI (`cachelab bench`, with `std::time::Instant`) and the page (`www/bench.html`, with
//! `performance.now()`) do the timing, and both run the very same functions.
//!
//! Cases come in groups; the first case of a group is its baseline, and faces print every case's
//! throughput as a ratio to that baseline measured in the same run, so results compare across
//! machines.

use crate::policy::{
    Access, Arc, Cache, Capacity, Clock, Evictor, Fifo, FromCapacity, Lfu, Lru, Policy, S3Fifo,
    Sieve, WTinyLfu,
};
use crate::scenario::{self, l1_curve};
use crate::workload::{Pattern, Synthetic};
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

/// The policy benchmark's trace: Zipf (skew 1) over 100,000 keys, 1,000,000 requests, seed 1,
/// generated once in-process so that the benchmark needs no file, plus the capacity the
/// benchmark uses: 10 % of its unique keys.
fn policy_trace() -> &'static (Vec<Access>, NonZeroU64) {
    static TRACE: OnceLock<(Vec<Access>, NonZeroU64)> = OnceLock::new();
    TRACE.get_or_init(|| {
        let trace: Vec<Access> = Synthetic::new(
            Pattern::Zipf {
                keys: 100_000,
                skew: 1.0,
            },
            1_000_000,
            1,
        )
        .map(|generator| {
            generator
                .map(|r| Access::new(r.key, r.size))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
        let mut keys: Vec<u64> = trace.iter().map(|a| a.key).collect();
        keys.sort_unstable();
        keys.dedup();
        let capacity = NonZeroU64::new(keys.len() as u64 / 10).unwrap_or(NonZeroU64::MIN);
        (trace, capacity)
    })
}

/// The `ops` requests a policy case replays: the preloaded trace, from the start, wrapping.
fn trace_requests(ops: u64) -> impl Iterator<Item = &'static Access> {
    policy_trace().0.iter().cycle().take(ops as usize)
}

/// Baseline: the `lru` crate's `LruCache` on the same trace and capacity.
fn lru_crate_replay(ops: u64) -> u64 {
    let capacity = policy_trace().1;
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
    let mut cache = Cache::<E>::new(Capacity::Objects(policy_trace().1));
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
            (c.run)(100);
        }
    }

    #[test]
    fn our_lru_and_the_lru_crate_agree_on_every_miss() {
        // The baseline must do the same work as the case it is compared with.
        assert_eq!(lru_crate_replay(50_000), policy_replay::<Lru>(50_000));
    }
}
