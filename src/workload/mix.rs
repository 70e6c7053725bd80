//! When requests arrive and what each one does.

use super::Popularity;
use crate::sim::{SimDuration, SimRng};

/// How requests arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// An open system: requests arrive at random (exponential gaps) at `per_sec` on average,
    /// however slowly they are served — the way traffic from many users behaves.
    Poisson {
        /// Mean arrival rate, requests per second (positive).
        per_sec: f64,
    },
    /// A closed system: `clients` clients each send a request, wait for the answer, think for
    /// `think`, and repeat — so a slow system receives fewer requests.
    ClosedLoop {
        /// Number of clients.
        clients: u64,
        /// Pause between an answer and the next request.
        think: SimDuration,
    },
}

impl Arrivals {
    /// The gap before the next Poisson arrival (zero for closed-loop arrivals, which have none).
    pub fn next_gap(&self, rng: &mut SimRng) -> SimDuration {
        match self {
            Arrivals::Poisson { per_sec } => {
                SimDuration::from_secs_f64(rng.exponential(1.0 / per_sec))
            }
            Arrivals::ClosedLoop { .. } => SimDuration::ZERO,
        }
    }
}

/// One request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read a key.
    Read(u64),
    /// Update a key (writes go to the database and invalidate the caches).
    Write(u64),
}

/// What requests ask for: popular existing keys, some writes, some keys that do not exist.
#[derive(Clone, Debug)]
pub struct Mix {
    /// Popularity of the existing keys `0..popularity.keys()`.
    pub popularity: Popularity,
    /// Share of requests that are writes, in `[0, 1]`.
    pub write_share: f64,
    /// Share of reads for keys that do not exist, in `[0, 1]`.
    pub missing_share: f64,
    /// How many distinct missing keys those reads spread over (uniformly); they are numbered
    /// right after the existing keys.
    pub missing_keys: u64,
}

impl Mix {
    /// One request.
    ///
    /// ```
    /// use cachelab::{sim::SimRng, workload::{Mix, Op, Popularity}};
    /// let mix = Mix { popularity: Popularity::Uniform { keys: 100 }, write_share: 0.0,
    ///                 missing_share: 0.25, missing_keys: 10 };
    /// let mut rng = SimRng::new(1);
    /// let missing = (0..10_000).filter(|_| matches!(mix.next_op(&mut rng), Op::Read(k) if k >= 100)).count();
    /// assert!((2_350..2_650).contains(&missing), "{missing}");
    /// ```
    pub fn next_op(&self, rng: &mut SimRng) -> Op {
        if rng.chance(self.write_share) {
            return Op::Write(self.popularity.sample(rng));
        }
        if self.missing_keys > 0 && rng.chance(self.missing_share) {
            return Op::Read(self.popularity.keys() + rng.below(self.missing_keys));
        }
        Op::Read(self.popularity.sample(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_take_their_share_and_hit_existing_keys() {
        let mix = Mix {
            popularity: Popularity::Uniform { keys: 10 },
            write_share: 0.3,
            missing_share: 0.5,
            missing_keys: 5,
        };
        let mut rng = SimRng::new(8);
        let ops: Vec<Op> = (0..10_000).map(|_| mix.next_op(&mut rng)).collect();
        let writes: Vec<u64> = ops
            .iter()
            .filter_map(|o| match o {
                Op::Write(k) => Some(*k),
                Op::Read(_) => None,
            })
            .collect();
        assert!((2_850..3_150).contains(&writes.len()), "{}", writes.len());
        assert!(writes.iter().all(|&k| k < 10));
    }

    #[test]
    fn poisson_gaps_average_the_inverse_rate() {
        let a = Arrivals::Poisson { per_sec: 1000.0 };
        let mut rng = SimRng::new(3);
        let total: u64 = (0..10_000).map(|_| a.next_gap(&mut rng).as_micros()).sum();
        assert!((9_500_000..10_500_000).contains(&total), "{total}");
    }
}
