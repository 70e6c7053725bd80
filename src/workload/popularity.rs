//! Which existing key a request asks for.

use super::Zipf;
use crate::sim::SimRng;

/// A distribution over the existing keys `0..keys`.
#[derive(Clone, Debug)]
pub enum Popularity {
    /// Every key equally likely.
    Uniform {
        /// Number of keys.
        keys: u64,
    },
    /// Zipf with a skew (see [`Zipf`]).
    Zipf(Zipf),
    /// The first `hot_keys` keys share `hot_share` of the requests; the rest share what is left.
    HotSpot {
        /// Number of keys.
        keys: u64,
        /// Keys `0..hot_keys` are the hot spot.
        hot_keys: u64,
        /// Share of requests for the hot spot, in `[0, 1]`.
        hot_share: f64,
    },
    /// Key 0 gets `hot_share` of the requests; the others are drawn from `others` (which key 0
    /// belongs to as well).
    OneHot {
        /// Share of requests for key 0, in `[0, 1]`.
        hot_share: f64,
        /// How the rest of the requests pick among all keys, the hot one included.
        others: Box<Popularity>,
    },
}

impl Popularity {
    /// Zipf over `keys` keys at `skew`, drawn as plain uniform when the skew is 0 (the same
    /// distribution, without the table).
    pub fn zipf_or_uniform(keys: u64, skew: f64) -> Popularity {
        if skew == 0.0 {
            Popularity::Uniform { keys }
        } else {
            Popularity::Zipf(Zipf::new(keys, skew))
        }
    }

    /// How many keys it draws from.
    pub fn keys(&self) -> u64 {
        match self {
            Popularity::Uniform { keys } | Popularity::HotSpot { keys, .. } => *keys,
            Popularity::Zipf(z) => z.keys(),
            Popularity::OneHot { others, .. } => others.keys(),
        }
    }

    /// One key.
    ///
    /// ```
    /// use cachelab::{sim::SimRng, workload::Popularity};
    /// let p = Popularity::HotSpot { keys: 1000, hot_keys: 10, hot_share: 0.9 };
    /// let mut rng = SimRng::new(2);
    /// let hot = (0..10_000).filter(|_| p.sample(&mut rng) < 10).count();
    /// // 90 % aimed at the hot spot, plus the hot keys' share of the other 10 %.
    /// assert!((8_900..9_200).contains(&hot), "{hot}");
    /// ```
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match self {
            Popularity::Uniform { keys } => rng.below(*keys),
            Popularity::Zipf(z) => z.sample(rng),
            Popularity::HotSpot {
                keys,
                hot_keys,
                hot_share,
            } => {
                if rng.chance(*hot_share) {
                    rng.below(*hot_keys)
                } else {
                    rng.below(*keys)
                }
            }
            Popularity::OneHot { hot_share, others } => {
                if rng.chance(*hot_share) {
                    0
                } else {
                    others.sample(rng)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_key_takes_its_share() {
        let p = Popularity::OneHot {
            hot_share: 0.5,
            others: Box::new(Popularity::Uniform { keys: 100 }),
        };
        let mut rng = SimRng::new(1);
        let draws: Vec<u64> = (0..10_000).map(|_| p.sample(&mut rng)).collect();
        let zeros = draws.iter().filter(|&&k| k == 0).count();
        assert!((4_900..5_200).contains(&zeros), "{zeros}");
        assert!(draws.iter().all(|&k| k < 100));
        assert_eq!(p.keys(), 100);
    }

    #[test]
    fn the_keys_besides_the_hot_one_follow_their_skew() {
        let share_of_top_ten = |skew: f64| {
            let p = Popularity::OneHot {
                hot_share: 0.0,
                others: Box::new(Popularity::zipf_or_uniform(1_000, skew)),
            };
            let mut rng = SimRng::new(1);
            (0..10_000).filter(|_| p.sample(&mut rng) < 10).count()
        };
        // Uniform: 1 % on the first ten keys; Zipf at skew 1 over 1000 keys: about 39 %.
        assert!(share_of_top_ten(0.0) < 200);
        assert!(share_of_top_ten(1.0) > 3_500);
    }

    #[test]
    fn uniform_covers_every_key() {
        let p = Popularity::Uniform { keys: 5 };
        let mut rng = SimRng::new(1);
        let mut seen = [false; 5];
        (0..200).for_each(|_| seen[p.sample(&mut rng) as usize] = true);
        assert!(seen.iter().all(|&s| s));
    }
}
