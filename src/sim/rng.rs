//! The one source of randomness in a run: a seeded xoshiro256++.
//!
//! Every draw goes through fixed-width integers (`u64`), never `usize`, because `usize` is 32 bits
//! on wasm32 and 64 bits natively, and a draw over it would consume the stream differently. Floats
//! are built from the top 53 bits, which is exact on both.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A deterministic PRNG: the same seed gives the same sequence on every platform.
#[derive(Clone, Debug)]
pub struct SimRng(Xoshiro256PlusPlus);

impl SimRng {
    /// A generator seeded from one number (expanded with SplitMix64, as xoshiro's authors advise).
    ///
    /// ```
    /// use cachelab::sim::SimRng;
    /// let mut a = SimRng::new(7);
    /// let mut b = SimRng::new(7);
    /// assert_eq!(a.next_u64(), b.next_u64());
    /// ```
    pub fn new(seed: u64) -> Self {
        SimRng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// An independent stream derived from this seed and a label, so that adding draws to one part
    /// of an experiment (say, the workload) does not shift the numbers of another (the database).
    pub fn fork(seed: u64, stream: u64) -> Self {
        SimRng::new(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `[0, n)` (Lemire's multiply-shift; `n = 0` gives 0).
    ///
    /// ```
    /// use cachelab::sim::SimRng;
    /// let mut r = SimRng::new(1);
    /// assert!((0..1000).all(|_| r.below(10) < 10));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // The bias is at most n / 2^64: invisible at the sizes a simulation uses.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An exponentially distributed float with the given mean (for Poisson inter-arrival gaps).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - unit() is in (0, 1], so the log is finite.
        -mean * libm::log(1.0 - self.unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| SimRng::new(42).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            SimRng::fork(42, 1).next_u64(),
            SimRng::fork(42, 2).next_u64()
        );
    }

    #[test]
    fn seed_1_gives_the_pinned_draws() {
        // tests/node.rs pins the same values under wasm32: both must agree.
        let mut r = SimRng::new(1);
        assert_eq!(
            (r.next_u64(), r.below(1000), r.unit()),
            (14971601782005023387, 747, 0.10015090353378375)
        );
    }

    #[test]
    fn unit_and_below_stay_in_range() {
        let mut r = SimRng::new(3);
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(7) < 7);
        }
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn exponential_has_roughly_the_requested_mean() {
        let mut r = SimRng::new(9);
        let n = 20_000;
        let mean = (0..n).map(|_| r.exponential(2.0)).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.1, "mean {mean}");
    }
}
