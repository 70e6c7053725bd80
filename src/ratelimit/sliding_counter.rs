//! Sliding-window counter: two fixed-window counters, blended.
//!
//! The estimate of the last window's requests is this window's count plus the previous window's
//! count weighted by how much of the previous window still lies inside the sliding window
//! (assuming its requests were spread evenly). Two integers per subject, like the fixed window,
//! and nearly the precision of the log: the burst at a boundary that doubles a fixed window's
//! limit is mostly caught.

use super::{ceil_ms, decided, int_of, model_step, Limiter, Quota};
use crate::sim::{SimDuration, SimTime};
use crate::strategy::{Cmd, Script, Server};
use crate::tiers::l2::Reply;

/// A weighted two-window estimate; state: counters at `{key}:{window number}` (as
/// [`super::FixedWindow`]), each kept for two windows so the next window can still read it.
#[derive(Clone, Debug)]
pub struct SlidingCounter {
    quota: Quota,
}

impl SlidingCounter {
    /// A sliding-counter limiter for `quota`. A request is admitted while
    /// `previous × (1 − elapsed/window) + current + 1 ≤ limit` (computed in integers).
    ///
    /// ```
    /// use cachelab::ratelimit::{Limiter, Quota, SlidingCounter};
    /// use cachelab::{sim::{Executor, SimDuration, SimTime}, strategy::SimL2, tiers::L2};
    /// let exec = Executor::new();
    /// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
    /// let mut sc = SlidingCounter::new(Quota::new(4, 1_000).unwrap());
    /// let mut check = |ms: u64| {
    ///     exec.advance_to(SimTime(ms * 1_000));
    ///     exec.block_on(sc.check(&store, SimTime(ms * 1_000), "k")).unwrap().unwrap()
    /// };
    /// for t in [900, 910, 920, 930] {
    ///     assert!(check(t).allowed);
    /// }
    /// // 250 ms into the next window, the previous window's 4 still weigh 4 × 0.75 = 3:
    /// // one more request fits, the second does not.
    /// assert!(check(1_250).allowed);
    /// assert!(!check(1_250).allowed);
    /// ```
    pub fn new(quota: Quota) -> SlidingCounter {
        SlidingCounter { quota }
    }
}

impl Limiter for SlidingCounter {
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    fn step(&mut self, now: SimTime, key: &str) -> Box<dyn Script> {
        let window = self.quota.window().as_micros();
        let number = now.as_micros() / window;
        Box::new(SlidingCounterStep {
            current: format!("{key}:{number}"),
            previous: number.checked_sub(1).map(|p| format!("{key}:{p}")),
            window,
            elapsed: now.as_micros() - number * window,
            // Both counters that can weigh on a request are empty from the window after next.
            until_clear: (number + 2) * window - now.as_micros(),
            limit: self.quota.limit(),
        })
    }
}

/// One request of a sliding counter: weigh both counters, count the request if it fits.
struct SlidingCounterStep {
    current: String,
    /// The previous window's counter (none in the first window).
    previous: Option<String>,
    window: u64,
    /// How far into its window the request is.
    elapsed: u64,
    /// Until the window after next starts: the current counter's expiry.
    until_clear: u64,
    limit: u64,
}

impl Script for SlidingCounterStep {
    fn name(&self) -> &'static str {
        "sliding-counter"
    }

    /// Lua numbers are doubles: the products below are exact while `limit × window` stays
    /// below 2^53 µs (a limit of 1,000 per day is 8.64e13).
    fn lua(&self) -> &'static str {
        r"
local window, elapsed = tonumber(ARGV[1]), tonumber(ARGV[2])
local until_clear, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local previous = 0
if KEYS[2] then previous = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), 0) end
local current = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), 0)
local carried = previous * (window - elapsed)
local budget = limit * window
local allowed = 0
if carried + (current + 1) * window <= budget then
  allowed = 1
  current = redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], math.max(math.ceil(until_clear / 1000), 1))
end
local left = math.max(budget - (carried + current * window), 0)
return {allowed, math.floor(left / window), math.ceil(until_clear / 1000)}
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        let mut keys = vec![self.current.as_bytes()];
        keys.extend(self.previous.as_ref().map(|p| p.as_bytes()));
        keys
    }

    fn args(&self) -> Vec<Vec<u8>> {
        [self.window, self.elapsed, self.until_clear, self.limit]
            .map(|n| n.to_string().into_bytes())
            .to_vec()
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        model_step(|| {
            let (window, limit) = (self.window, self.limit);
            let current_key = self.current.as_bytes();
            let previous = match &self.previous {
                Some(p) => int_of(server.call(Cmd::Get(p.as_bytes())))?.max(0) as u64,
                None => 0,
            };
            let current = int_of(server.call(Cmd::Get(current_key)))?.max(0) as u64;
            // Everything scaled by `window` so the weight (window − elapsed) / window stays exact.
            // u128: limit ≤ 1e9 and window ≤ 8.64e10 µs, so products stay below 2^128 by far.
            let carried = previous as u128 * (window - self.elapsed) as u128;
            let budget = limit as u128 * window as u128;
            let used = |current: u64| carried + current as u128 * window as u128;
            let allowed = used(current + 1) <= budget;
            let current = if allowed {
                let n = int_of(server.call(Cmd::IncrBy(current_key, 1)))?;
                // Kept through the next window, which reads it as its `previous`.
                server.call(Cmd::Expire(current_key, SimDuration(self.until_clear)));
                n.max(0) as u64
            } else {
                current
            };
            let remaining = (budget.saturating_sub(used(current)) / window as u128) as u64;
            Ok(decided(allowed, remaining, ceil_ms(self.until_clear)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::lab::Lab;
    use crate::tiers::l2::Reply;

    fn ms(t: u64) -> SimTime {
        SimTime(t * 1_000)
    }

    #[test]
    fn the_previous_window_fades_linearly() {
        let lab = Lab::new();
        let mut sc = SlidingCounter::new(Quota::new(10, 1_000).unwrap());
        for _ in 0..10 {
            assert!(lab.check(&mut sc, ms(999), "k").unwrap().allowed);
        }
        // At 1500 ms the previous 10 weigh 5: five more fit.
        let admitted = (0..10)
            .filter(|_| lab.check(&mut sc, ms(1_500), "k").unwrap().allowed)
            .count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn counters_outlive_their_window_by_one() {
        let lab = Lab::new();
        let mut sc = SlidingCounter::new(Quota::new(10, 1_000).unwrap());
        lab.check(&mut sc, ms(10), "k").unwrap();
        lab.at(ms(1_999));
        assert_eq!(lab.exec("EXISTS k:0").unwrap(), Some(Reply::Int(1)));
        lab.at(ms(2_000) + SimDuration(1));
        assert_eq!(lab.exec("EXISTS k:0").unwrap(), Some(Reply::Int(0)));
    }
}
