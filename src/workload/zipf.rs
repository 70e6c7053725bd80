//! Zipf-distributed key popularity: key `k` (0-based) is drawn with probability proportional to
//! `1 / (k + 1)^skew`. Skew 0 is uniform; around 1 is typical of web caches.

use crate::sim::SimRng;

/// A sampler over `n` keys, by inverse transform on a precomputed cumulative table.
///
/// The table costs 8 bytes a key and a draw is one binary search: simple, exact, and the same on
/// every platform (the powers come from `libm`, not the platform's maths library).
#[derive(Clone, Debug)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// A sampler over keys `0..n` with the given skew. `n` must be at least 1 and `skew` finite
    /// and non-negative; callers validate both (see the scenario parameters).
    ///
    /// ```
    /// use cachelab::{sim::SimRng, workload::Zipf};
    /// let z = Zipf::new(1000, 1.0);
    /// let mut rng = SimRng::new(1);
    /// let draws: Vec<u64> = (0..10_000).map(|_| z.sample(&mut rng)).collect();
    /// // Key 0 is the most popular by far: about 13 % of draws at skew 1 over 1000 keys.
    /// let zeros = draws.iter().filter(|&&k| k == 0).count();
    /// assert!(zeros > 1000 && zeros < 1600, "{zeros}");
    /// assert!(draws.iter().all(|&k| k < 1000));
    /// ```
    pub fn new(n: u64, skew: f64) -> Self {
        let n = n.max(1);
        let mut cdf = Vec::with_capacity(n as usize);
        let mut total = 0.0;
        for k in 0..n {
            total += 1.0 / libm::pow((k + 1) as f64, skew);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }

    /// How many keys it draws from.
    pub fn keys(&self) -> u64 {
        self.cdf.len() as u64
    }

    /// The probability of key `k`.
    pub fn probability(&self, k: u64) -> f64 {
        let k = k as usize;
        match k {
            0 => self.cdf.first().copied().unwrap_or(0.0),
            _ if k < self.cdf.len() => self.cdf[k] - self.cdf[k - 1],
            _ => 0.0,
        }
    }

    /// One key.
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        let u = rng.unit();
        let i = self.cdf.partition_point(|&c| c <= u);
        // Rounding can leave the last entry a hair below 1.0; clamp into range.
        i.min(self.cdf.len() - 1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_zero_is_uniform() {
        let z = Zipf::new(4, 0.0);
        for k in 0..4 {
            assert!((z.probability(k) - 0.25).abs() < 1e-12);
        }
        assert_eq!(z.probability(4), 0.0);
    }

    #[test]
    fn probabilities_follow_the_power_law() {
        let z = Zipf::new(100, 1.0);
        assert!((z.probability(0) / z.probability(1) - 2.0).abs() < 1e-9);
        assert!((z.probability(0) / z.probability(9) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn a_single_key_is_always_drawn() {
        let z = Zipf::new(1, 1.2);
        let mut r = SimRng::new(5);
        assert!((0..100).all(|_| z.sample(&mut r) == 0));
    }
}
