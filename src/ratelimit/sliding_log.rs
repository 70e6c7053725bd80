//! Sliding-window log: a sorted set of the times of admitted requests.
//!
//! Each request first trims the entries older than one window, then counts what is left: fewer
//! than the limit, and the request is admitted and logged. The window slides with the request, so
//! no span of one window's length ever holds more than the limit — exact, at the cost of one
//! set member per admitted request.

use super::{ceil_ms, int_of, run, store_error, Decision, Limiter, Quota};
use crate::error::Result;
use crate::sim::{SimDuration, SimTime};
use crate::tiers::l2::Reply;
use crate::tiers::L2;

/// An exact sliding window; state: a sorted set at the subject's key, scored by admission time in
/// microseconds, expiring one window after the newest entry.
#[derive(Clone, Debug)]
pub struct SlidingLog {
    quota: Quota,
    /// Makes members unique when two requests share a timestamp (a sorted set would merge them).
    sequence: u64,
}

impl SlidingLog {
    /// A sliding-log limiter for `quota`: a request at `t` counts the admitted requests in
    /// `(t - window, t]`.
    ///
    /// ```
    /// use cachelab::ratelimit::{Limiter, Quota, SlidingLog};
    /// use cachelab::{sim::SimTime, tiers::L2};
    /// let mut l2 = L2::new();
    /// let mut log = SlidingLog::new(Quota::new(2, 1_000).unwrap());
    /// let at = |ms: u64| SimTime(ms * 1_000);
    /// assert!(log.check(&mut l2, at(900), "k").unwrap().allowed);
    /// assert!(log.check(&mut l2, at(950), "k").unwrap().allowed);
    /// // Unlike a fixed window, a clock boundary at 1000 ms frees nothing: the last second
    /// // already holds two requests.
    /// let d = log.check(&mut l2, at(1_010), "k").unwrap();
    /// assert!(!d.allowed);
    /// assert_eq!(d.reset_ms, 940); // the 950 ms entry leaves at 1950 ms
    /// assert!(log.check(&mut l2, at(1_900), "k").unwrap().allowed); // the 900 ms entry left
    /// ```
    pub fn new(quota: Quota) -> SlidingLog {
        SlidingLog { quota, sequence: 0 }
    }
}

impl Limiter for SlidingLog {
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    fn check(&mut self, l2: &mut L2, now: SimTime, key: &str) -> Result<Decision> {
        l2.advance_to(now);
        let now_us = now.as_micros();
        let window = self.quota.window().as_micros();
        let limit = self.quota.limit();
        // Trim: an entry at `s` leaves the window once `s <= now - window`.
        let oldest_kept = now_us as i64 - window as i64;
        int_of(run(
            l2,
            &["ZREMRANGEBYSCORE", key, "-inf", &oldest_kept.to_string()],
        ))?;
        let count = int_of(run(l2, &["ZCARD", key]))?.max(0) as u64;
        let allowed = count < limit;
        let newest = if allowed {
            self.sequence += 1;
            let member = format!("{now_us}-{}", self.sequence);
            int_of(run(l2, &["ZADD", key, &now_us.to_string(), &member]))?;
            l2.expire(key.as_bytes(), SimDuration(window));
            now_us
        } else {
            newest_score(l2, key)?
        };
        let logged = count + u64::from(allowed);
        Ok(Decision {
            allowed,
            limit,
            remaining: limit - logged,
            // Every entry is gone once the newest leaves, one window after it was logged.
            reset_ms: ceil_ms(newest + window - now_us),
        })
    }
}

/// The largest score in the set at `key` (the newest admitted request's time).
fn newest_score(l2: &mut L2, key: &str) -> Result<u64> {
    // The last by rank: a full log of thousands is not walked on every refused request.
    match run(l2, &["ZRANGE", key, "-1", "-1", "WITHSCORES"]) {
        Reply::Array(items) => match items.last() {
            Some(Reply::Bulk(score)) => std::str::from_utf8(score)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| store_error(format!("bad score {score:?}"))),
            _ => Err(store_error("empty log while over the limit")),
        },
        other => Err(store_error(other.to_cli_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: u64) -> SimTime {
        SimTime(t * 1_000)
    }

    #[test]
    fn same_instant_requests_are_all_logged() {
        let mut l2 = L2::new();
        let mut log = SlidingLog::new(Quota::new(5, 1_000).unwrap());
        let admitted = (0..8)
            .filter(|_| log.check(&mut l2, ms(7), "k").unwrap().allowed)
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(l2.exec("ZCARD k").unwrap(), Some(Reply::Int(5)));
    }

    #[test]
    fn an_entry_leaves_exactly_one_window_later() {
        let mut l2 = L2::new();
        let mut log = SlidingLog::new(Quota::new(1, 1_000).unwrap());
        assert!(log.check(&mut l2, ms(0), "k").unwrap().allowed);
        assert!(!log.check(&mut l2, SimTime(999_999), "k").unwrap().allowed);
        assert!(log.check(&mut l2, ms(1_000), "k").unwrap().allowed);
    }
}
