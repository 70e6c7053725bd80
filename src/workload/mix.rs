//! When requests arrive and what each one does.

use super::Popularity;
use crate::sim::{SimDuration, SimRng, SimTime};

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

/// The times of Poisson arrivals: exponential gaps summed exactly, each time rounded to the
/// clock's microsecond only as it is read. Rounding each gap instead would shift the rate: at a
/// million requests a second the mean rounded gap is 0.96 µs, 4 % too many requests.
#[derive(Clone, Debug)]
pub struct PoissonClock {
    mean_gap_s: f64,
    t_s: f64,
}

impl PoissonClock {
    /// Arrivals at `per_sec` on average (positive), from time zero.
    ///
    /// ```
    /// use cachelab::{sim::{SimRng, SimTime}, workload::PoissonClock};
    /// let mut clock = PoissonClock::new(1_000_000.0);
    /// let mut rng = SimRng::new(1);
    /// let second = SimTime(1_000_000);
    /// let arrived = std::iter::from_fn(|| Some(clock.next(&mut rng)))
    ///     .take_while(|&t| t < second)
    ///     .count();
    /// // Within a few standard deviations (1,000) of the rate asked for.
    /// assert!((996_000..1_004_000).contains(&arrived), "{arrived}");
    /// ```
    pub fn new(per_sec: f64) -> Self {
        PoissonClock {
            mean_gap_s: 1.0 / per_sec,
            t_s: 0.0,
        }
    }

    /// The next arrival's time.
    pub fn next(&mut self, rng: &mut SimRng) -> SimTime {
        self.t_s += rng.exponential(self.mean_gap_s);
        SimTime::ZERO + SimDuration::from_secs_f64(self.t_s)
    }

    /// A count of arrivals in `duration` that a draw never exceeds: the mean plus eight standard
    /// deviations (a Poisson count passes that with probability below 10^-15), and the arrival
    /// loops stop there. A run's request budget is checked on it before any work.
    pub fn most_arrivals(per_sec: f64, duration: SimDuration) -> u64 {
        let mean = per_sec * duration.as_secs_f64();
        libm::ceil(mean + 8.0 * libm::sqrt(mean) + 8.0) as u64
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
        let mut clock = PoissonClock::new(1000.0);
        let mut rng = SimRng::new(3);
        let last = (0..10_000).map(|_| clock.next(&mut rng)).last().unwrap();
        assert!(
            (9_500_000..10_500_000).contains(&last.as_micros()),
            "{last:?}"
        );
    }

    #[test]
    fn the_top_rate_is_the_rate_asked_for() {
        // A million a second for two seconds: rounding each gap drew 4 % too many.
        let mut clock = PoissonClock::new(1_000_000.0);
        let mut rng = SimRng::new(5);
        let end = SimTime(2_000_000);
        let n = std::iter::from_fn(|| Some(clock.next(&mut rng)))
            .take_while(|&t| t < end)
            .count() as f64;
        // Eight standard deviations (1,414 each) either side.
        assert!((n - 2e6).abs() < 11_400.0, "{n}");
        assert!(n <= PoissonClock::most_arrivals(1e6, SimDuration::from_secs(2)) as f64);
    }
}
