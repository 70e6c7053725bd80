//! Seeded synthetic traces: popularity patterns whose behaviour under each policy is known, for
//! tests and benchmarks that must not depend on files.
//!
//! - **Zipf**: a few keys are very popular (see [`Zipf`]); the typical web-cache shape.
//! - **Uniform**: every key equally likely; no policy can beat `capacity / keys` hits.
//! - **Scan**: keys `0, 1, 2, …` once each; every request misses.
//! - **Loop**: keys `0..keys` over and over; LRU and FIFO miss every time once the loop is larger
//!   than the cache, while Belady keeps a fixed part of it.

use super::{Request, Zipf};
use crate::error::{Error, Result};
use crate::sim::SimRng;

/// Which keys are requested.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pattern {
    /// Zipf over `keys` keys with exponent `skew`.
    Zipf { keys: u64, skew: f64 },
    /// Uniform over `keys` keys.
    Uniform { keys: u64 },
    /// Each request a new key.
    Scan,
    /// `0..keys` cyclically.
    Loop { keys: u64 },
}

/// A seeded generator of `requests` requests following a pattern. Each key has a fixed size drawn
/// from `1..=max_size` by a hash of the key and the seed (`max_size = 1`: every object size 1).
///
/// ```
/// use cachelab::workload::{Pattern, Synthetic};
/// let trace: Vec<_> = Synthetic::new(Pattern::Loop { keys: 3 }, 7, 1).unwrap().collect();
/// let keys: Vec<u64> = trace.iter().map(|r| r.key).collect();
/// assert_eq!(keys, [0, 1, 2, 0, 1, 2, 0]);
/// ```
#[derive(Clone, Debug)]
pub struct Synthetic {
    pattern: Pattern,
    zipf: Option<Zipf>,
    rng: SimRng,
    seed: u64,
    max_size: u32,
    requests: u64,
    emitted: u64,
}

impl Synthetic {
    /// A generator; errors if the pattern has no keys or a negative or non-finite skew.
    pub fn new(pattern: Pattern, requests: u64, seed: u64) -> Result<Self> {
        let keys = match pattern {
            Pattern::Zipf { keys, skew } => {
                if !skew.is_finite() || skew < 0.0 {
                    return Err(Error::OutOfRange {
                        name: "skew".into(),
                        value: skew,
                        min: 0.0,
                        max: f64::MAX,
                        unit: "",
                    });
                }
                keys
            }
            Pattern::Uniform { keys } | Pattern::Loop { keys } => keys,
            Pattern::Scan => 1,
        };
        if keys == 0 {
            return Err(Error::OutOfRange {
                name: "keys".into(),
                value: 0.0,
                min: 1.0,
                max: u64::MAX as f64,
                unit: "keys",
            });
        }
        let zipf = match pattern {
            Pattern::Zipf { keys, skew } => Some(Zipf::new(keys, skew)),
            _ => None,
        };
        Ok(Synthetic {
            pattern,
            zipf,
            rng: SimRng::fork(seed, 0x7EACE),
            seed,
            max_size: 1,
            requests,
            emitted: 0,
        })
    }

    /// Gives each key a size in `1..=max_size` bytes (0 is treated as 1).
    pub fn with_max_size(mut self, max_size: u32) -> Self {
        self.max_size = max_size.max(1);
        self
    }

    fn size_of(&self, key: u64) -> u32 {
        if self.max_size == 1 {
            return 1;
        }
        // SplitMix64's finaliser: a fixed, well-mixed function of (key, seed).
        let mut z = key ^ self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        1 + (z % u64::from(self.max_size)) as u32
    }
}

impl Iterator for Synthetic {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        if self.emitted == self.requests {
            return None;
        }
        let i = self.emitted;
        self.emitted += 1;
        let key = match (&self.zipf, self.pattern) {
            (Some(zipf), _) => zipf.sample(&mut self.rng),
            (None, Pattern::Uniform { keys }) => self.rng.below(keys),
            (None, Pattern::Loop { keys }) => i % keys,
            (None, _) => i,
        };
        Some(Request {
            time: i,
            key,
            size: self.size_of(key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_trace_and_sizes_are_per_key() {
        let make = |seed| {
            Synthetic::new(
                Pattern::Zipf {
                    keys: 50,
                    skew: 0.9,
                },
                500,
                seed,
            )
            .unwrap()
            .with_max_size(100)
            .collect::<Vec<_>>()
        };
        assert_eq!(make(3), make(3));
        assert_ne!(make(3), make(4));
        let trace = make(3);
        for a in &trace {
            assert!((1..=100).contains(&a.size));
            assert!(trace
                .iter()
                .filter(|b| b.key == a.key)
                .all(|b| b.size == a.size));
        }
    }

    #[test]
    fn patterns_have_their_shapes_and_bad_ones_are_refused() {
        let scan: Vec<u64> = Synthetic::new(Pattern::Scan, 4, 1)
            .unwrap()
            .map(|r| r.key)
            .collect();
        assert_eq!(scan, [0, 1, 2, 3]);
        assert!(Synthetic::new(Pattern::Uniform { keys: 10 }, 100, 1)
            .unwrap()
            .all(|r| r.key < 10));
        assert!(Synthetic::new(Pattern::Uniform { keys: 0 }, 1, 1).is_err());
        assert!(Synthetic::new(
            Pattern::Zipf {
                keys: 5,
                skew: f64::NAN
            },
            1,
            1
        )
        .is_err());
    }
}
