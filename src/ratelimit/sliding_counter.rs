//! Sliding-window counter: two fixed-window counters, blended.
//!
//! The estimate of the last window's requests is this window's count plus the previous window's
//! count weighted by how much of the previous window still lies inside the sliding window
//! (assuming its requests were spread evenly). Two integers per subject, like the fixed window,
//! and nearly the precision of the log: the burst at a boundary that doubles a fixed window's
//! limit is mostly caught.

use super::{ceil_ms, int_of, run, Decision, Limiter, Quota};
use crate::error::Result;
use crate::sim::{SimDuration, SimTime};
use crate::tiers::L2;

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
    /// use cachelab::{sim::SimTime, tiers::L2};
    /// let mut l2 = L2::new();
    /// let mut sc = SlidingCounter::new(Quota::new(4, 1_000).unwrap());
    /// let at = |ms: u64| SimTime(ms * 1_000);
    /// for t in [900, 910, 920, 930] {
    ///     assert!(sc.check(&mut l2, at(t), "k").unwrap().allowed);
    /// }
    /// // 250 ms into the next window, the previous window's 4 still weigh 4 × 0.75 = 3:
    /// // one more request fits, the second does not.
    /// assert!(sc.check(&mut l2, at(1_250), "k").unwrap().allowed);
    /// assert!(!sc.check(&mut l2, at(1_250), "k").unwrap().allowed);
    /// ```
    pub fn new(quota: Quota) -> SlidingCounter {
        SlidingCounter { quota }
    }
}

impl Limiter for SlidingCounter {
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    fn check(&mut self, l2: &mut L2, now: SimTime, key: &str) -> Result<Decision> {
        l2.advance_to(now);
        let window = self.quota.window().as_micros();
        let limit = self.quota.limit();
        let number = now.as_micros() / window;
        let elapsed = now.as_micros() - number * window;
        let current_key = format!("{key}:{number}");
        let previous = match number.checked_sub(1) {
            Some(p) => int_of(run(l2, &["GET", &format!("{key}:{p}")]))?.max(0) as u64,
            None => 0,
        };
        let current = int_of(run(l2, &["GET", &current_key]))?.max(0) as u64;
        // Everything scaled by `window` so the weight (window − elapsed) / window stays exact.
        // u128: limit ≤ 1e9 and window ≤ 8.64e10 µs, so products stay below 2^128 by far.
        let carried = previous as u128 * (window - elapsed) as u128;
        let budget = limit as u128 * window as u128;
        let used = |current: u64| carried + current as u128 * window as u128;
        let allowed = used(current + 1) <= budget;
        let current = if allowed {
            let n = super::incr(l2, &current_key)?;
            // Kept through the next window, which reads it as its `previous`.
            l2.expire(
                current_key.as_bytes(),
                SimDuration((number + 2) * window - now.as_micros()),
            );
            n.max(0) as u64
        } else {
            current
        };
        let remaining = (budget.saturating_sub(used(current)) / window as u128) as u64;
        Ok(Decision {
            allowed,
            limit,
            remaining,
            // Both counters that can weigh on a request are empty from the window after next.
            reset_ms: ceil_ms((number + 2) * window - now.as_micros()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiers::l2::Reply;

    fn ms(t: u64) -> SimTime {
        SimTime(t * 1_000)
    }

    #[test]
    fn the_previous_window_fades_linearly() {
        let mut l2 = L2::new();
        let mut sc = SlidingCounter::new(Quota::new(10, 1_000).unwrap());
        for _ in 0..10 {
            assert!(sc.check(&mut l2, ms(999), "k").unwrap().allowed);
        }
        // At 1500 ms the previous 10 weigh 5: five more fit.
        let admitted = (0..10)
            .filter(|_| sc.check(&mut l2, ms(1_500), "k").unwrap().allowed)
            .count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn counters_outlive_their_window_by_one() {
        let mut l2 = L2::new();
        let mut sc = SlidingCounter::new(Quota::new(10, 1_000).unwrap());
        sc.check(&mut l2, ms(10), "k").unwrap();
        l2.advance_to(ms(1_999));
        assert_eq!(l2.exec("EXISTS k:0").unwrap(), Some(Reply::Int(1)));
        l2.advance_to(ms(2_000) + SimDuration(1));
        assert_eq!(l2.exec("EXISTS k:0").unwrap(), Some(Reply::Int(0)));
    }
}
