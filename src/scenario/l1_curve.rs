//! The first experiment: how the hit ratio of an LRU L1 grows with its capacity, for a Zipf
//! workload. Every capacity sees the same request sequence (same seed), so the curve compares
//! capacities, not luck.

use super::params::{resolve, ParamSpec, Params};
use crate::error::Result;
use crate::sim::{SimRng, SimTime};
use crate::tiers::L1;
use crate::workload::Zipf;
use serde::Serialize;
use std::num::NonZeroUsize;

/// The knobs of the capacity curve.
pub const PARAMS: [ParamSpec; 4] = [
    ParamSpec {
        name: "keys",
        meaning: "distinct keys in the workload",
        unit: "keys",
        default: 10_000.0,
        min: 1.0,
        max: 1_000_000.0,
        integer: true,
    },
    ParamSpec {
        name: "skew",
        meaning: "Zipf exponent of key popularity (0 = uniform)",
        unit: "",
        default: 1.0,
        min: 0.0,
        max: 3.0,
        integer: false,
    },
    ParamSpec {
        name: "requests",
        meaning: "requests replayed at each capacity",
        unit: "requests",
        default: 100_000.0,
        min: 1.0,
        max: 10_000_000.0,
        integer: true,
    },
    ParamSpec {
        name: "points",
        meaning: "capacities tried, spread evenly on a log scale from 1 key to all keys",
        unit: "capacities",
        default: 12.0,
        min: 1.0,
        max: 64.0,
        integer: true,
    },
];

/// One point of the curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    /// L1 capacity in entries.
    pub capacity: u64,
    /// Requests served from L1.
    pub hits: u64,
    /// Requests that missed.
    pub misses: u64,
    /// `hits / (hits + misses)`.
    pub hit_ratio: f64,
}

/// The whole curve, with the parameters that made it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Curve {
    /// The seed of the workload.
    pub seed: u64,
    /// The resolved parameters.
    pub params: Params,
    /// One point per capacity, smallest first.
    pub points: Vec<CurvePoint>,
}

/// Validates `given` (name → value) and runs the curve.
///
/// ```
/// use cachelab::scenario::l1_curve;
/// let c = l1_curve::run(&[("keys".into(), "100".into()), ("points".into(), "3".into())], 7).unwrap();
/// assert_eq!(c.points.iter().map(|p| p.capacity).collect::<Vec<_>>(), [1, 10, 100]);
/// // Holding every key, only the first request for each misses.
/// assert!(c.points[2].misses <= 100);
/// ```
pub fn run(given: &[(String, String)], seed: u64) -> Result<Curve> {
    let mut run = CurveRun::new(given, seed)?;
    while run.step() < 1.0 {}
    Ok(run.finish())
}

/// A curve computed one capacity at a time, so that a face can report progress between steps
/// (and the page can cancel a long run).
#[derive(Debug)]
pub struct CurveRun {
    zipf: Zipf,
    requests: u64,
    capacities: Vec<u64>,
    curve: Curve,
}

impl CurveRun {
    /// Validates the parameters and prepares the run; no requests are replayed yet.
    pub fn new(given: &[(String, String)], seed: u64) -> Result<Self> {
        let params = resolve(&PARAMS, given)?;
        let keys = params.get_u64("keys")?;
        Ok(CurveRun {
            zipf: Zipf::new(keys, params.get("skew")?),
            requests: params.get_u64("requests")?,
            capacities: capacities(keys, params.get_u64("points")?),
            curve: Curve {
                seed,
                params,
                points: Vec::new(),
            },
        })
    }

    /// Replays the next capacity, if any, and returns the share of capacities done (1.0 at the end).
    pub fn step(&mut self) -> f64 {
        let done = self.curve.points.len();
        if let Some(&capacity) = self.capacities.get(done) {
            let point = replay(&self.zipf, capacity, self.requests, self.curve.seed);
            self.curve.points.push(point);
        }
        self.curve.points.len() as f64 / self.capacities.len() as f64
    }

    /// The curve so far (all of it once `step` has returned 1.0).
    pub fn finish(self) -> Curve {
        self.curve
    }
}

/// `n` capacities from 1 to `keys`, evenly spaced in log scale, without repeats.
fn capacities(keys: u64, n: u64) -> Vec<u64> {
    let mut caps: Vec<u64> = (0..n)
        .map(|i| {
            let f = if n == 1 {
                1.0
            } else {
                i as f64 / (n - 1) as f64
            };
            libm::round(libm::pow(keys as f64, f)) as u64
        })
        .map(|c| c.clamp(1, keys))
        .collect();
    caps.dedup();
    caps
}

fn replay(zipf: &Zipf, capacity: u64, requests: u64, seed: u64) -> CurvePoint {
    let mut rng = SimRng::new(seed);
    // `capacity` is at least 1 and at most the key count, which the parameters cap at one million.
    let cap = NonZeroUsize::new(capacity as usize).unwrap_or(NonZeroUsize::MIN);
    let mut l1: L1<u64, ()> = L1::new(cap);
    for _ in 0..requests {
        let key = zipf.sample(&mut rng);
        if l1.get(SimTime::ZERO, &key).is_none() {
            l1.put(SimTime::ZERO, key, (), None);
        }
    }
    let (hits, misses) = (l1.hits(), l1.misses());
    CurvePoint {
        capacity,
        hits,
        misses,
        hit_ratio: hits as f64 / (hits + misses) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_ratio_never_falls_as_capacity_grows() {
        let c = run(
            &[
                ("keys".into(), "500".into()),
                ("requests".into(), "20000".into()),
            ],
            3,
        )
        .unwrap();
        assert!(c
            .points
            .windows(2)
            .all(|w| w[0].hit_ratio <= w[1].hit_ratio));
        assert!(c.points.iter().all(|p| p.hits + p.misses == 20_000));
    }

    #[test]
    fn same_seed_same_curve_other_seed_other_curve() {
        let a = run(&[], 11).unwrap();
        assert_eq!(a, run(&[], 11).unwrap());
        assert_ne!(a.points, run(&[], 12).unwrap().points);
    }

    #[test]
    fn capacities_are_distinct_and_span_the_keys() {
        assert_eq!(capacities(1, 5), [1]);
        let c = capacities(10_000, 5);
        assert_eq!(c, [1, 10, 100, 1000, 10_000]);
    }
}
