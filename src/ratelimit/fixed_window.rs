//! Fixed window: one counter per window of wall time, `INCR`ed by every request.
//!
//! The cheapest limiter (one integer per subject), and the crudest: the windows are aligned to
//! the clock, not to the client, so a client that spends its quota at the end of one window and
//! again at the start of the next gets twice the limit through in a span shorter than a window.

use super::{ceil_ms, Decision, Limiter, Quota};
use crate::error::Result;
use crate::sim::{SimDuration, SimTime};
use crate::tiers::L2;

/// `limit` requests per clock-aligned window; state: `INCR` on `{key}:{window number}`, which
/// expires when its window ends.
#[derive(Clone, Debug)]
pub struct FixedWindow {
    quota: Quota,
}

impl FixedWindow {
    /// A fixed-window limiter for `quota`.
    ///
    /// ```
    /// use cachelab::ratelimit::{FixedWindow, Limiter, Quota};
    /// use cachelab::{sim::SimTime, tiers::L2};
    /// let mut l2 = L2::new();
    /// let mut fw = FixedWindow::new(Quota::new(2, 1_000).unwrap()); // 2 per second
    /// let at = |ms: u64| SimTime(ms * 1_000);
    /// assert!(fw.check(&mut l2, at(900), "k").unwrap().allowed);
    /// assert!(fw.check(&mut l2, at(950), "k").unwrap().allowed);
    /// let third = fw.check(&mut l2, at(990), "k").unwrap();
    /// assert!(!third.allowed);
    /// assert_eq!(third.reset_ms, 10); // the window ends at 1000 ms
    /// // A new window: the counter starts again, although only 110 ms have passed.
    /// assert!(fw.check(&mut l2, at(1_010), "k").unwrap().allowed);
    /// ```
    pub fn new(quota: Quota) -> FixedWindow {
        FixedWindow { quota }
    }
}

impl Limiter for FixedWindow {
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    fn check(&mut self, l2: &mut L2, now: SimTime, key: &str) -> Result<Decision> {
        l2.advance_to(now);
        let window_us = self.quota.window().as_micros();
        let number = now.as_micros() / window_us;
        let ends_in = (number + 1) * window_us - now.as_micros();
        let counter = format!("{key}:{number}");
        // INCR first, as a Redis script would: one round trip, and refused requests count too
        // (a client hammering a closed window does not get a discount).
        let count = super::incr(l2, &counter)?;
        if count == 1 {
            // The first request of the window sets its expiry; the key dies with the window.
            l2.expire(counter.as_bytes(), SimDuration(ends_in));
        }
        let count = count.max(0) as u64;
        let limit = self.quota.limit();
        Ok(Decision {
            allowed: count <= limit,
            limit,
            remaining: limit.saturating_sub(count),
            reset_ms: ceil_ms(ends_in),
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
    fn remaining_counts_down_and_refusals_keep_it_at_zero() {
        let mut l2 = L2::new();
        let mut fw = FixedWindow::new(Quota::new(3, 1_000).unwrap());
        let remaining: Vec<u64> = (0..5)
            .map(|i| fw.check(&mut l2, ms(i), "k").unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0, 0, 0]);
        let denied = (0..5)
            .filter(|&i| !fw.check(&mut l2, ms(10 + i), "k").unwrap().allowed)
            .count();
        assert_eq!(denied, 5);
    }

    #[test]
    fn the_counter_key_expires_with_its_window() {
        let mut l2 = L2::new();
        let mut fw = FixedWindow::new(Quota::new(3, 1_000).unwrap());
        fw.check(&mut l2, ms(250), "k").unwrap();
        assert_eq!(l2.dbsize(), 1);
        l2.advance_to(ms(1_000));
        assert_eq!(l2.exec("EXISTS k:0").unwrap(), Some(Reply::Int(1)));
        l2.advance_to(ms(1_000) + SimDuration(1));
        assert_eq!(l2.exec("EXISTS k:0").unwrap(), Some(Reply::Int(0)));
    }

    #[test]
    fn a_key_of_another_type_is_a_store_error() {
        let mut l2 = L2::new();
        l2.exec("SADD k:0 x").unwrap();
        let mut fw = FixedWindow::new(Quota::new(3, 1_000).unwrap());
        assert!(fw.check(&mut l2, ms(1), "k").is_err());
    }
}
