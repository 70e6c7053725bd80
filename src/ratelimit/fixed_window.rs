//! Fixed window: one counter per window of wall time, `INCR`ed by every request.
//!
//! The cheapest limiter (one integer per subject), and the crudest: the windows are aligned to
//! the clock, not to the client, so a client that spends its quota at the end of one window and
//! again at the start of the next gets twice the limit through in a span shorter than a window.

use super::{ceil_ms, decided, model_step, Limiter, Quota};
use crate::sim::{SimDuration, SimTime};
use crate::strategy::{int_of, Cmd, Script, Server};
use crate::tiers::l2::Reply;

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
    /// use cachelab::{sim::{Executor, SimDuration, SimTime}, strategy::SimL2, tiers::L2};
    /// let exec = Executor::new();
    /// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
    /// let mut fw = FixedWindow::new(Quota::new(2, 1_000).unwrap()); // 2 per second
    /// let mut check = |ms: u64| {
    ///     exec.advance_to(SimTime(ms * 1_000));
    ///     exec.block_on(fw.check(&store, SimTime(ms * 1_000), "k")).unwrap().unwrap()
    /// };
    /// assert!(check(900).allowed);
    /// assert!(check(950).allowed);
    /// let third = check(990);
    /// assert!(!third.allowed);
    /// assert_eq!(third.reset_ms, 10); // the window ends at 1000 ms
    /// // A new window: the counter starts again, although only 110 ms have passed.
    /// assert!(check(1_010).allowed);
    /// ```
    pub fn new(quota: Quota) -> FixedWindow {
        FixedWindow { quota }
    }
}

impl Limiter for FixedWindow {
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    fn step(&mut self, now: SimTime, key: &str) -> Box<dyn Script> {
        let window_us = self.quota.window().as_micros();
        let number = now.as_micros() / window_us;
        Box::new(FixedWindowStep {
            counter: format!("{key}:{number}"),
            ends_in: SimDuration((number + 1) * window_us - now.as_micros()),
            limit: self.quota.limit(),
        })
    }
}

/// One request of a fixed window: count it in its window's counter.
struct FixedWindowStep {
    counter: String,
    /// Until the window ends.
    ends_in: SimDuration,
    limit: u64,
}

impl Script for FixedWindowStep {
    fn name(&self) -> &'static str {
        "fixed-window"
    }

    fn lua(&self) -> &'static str {
        r"
local count = redis.call('INCR', KEYS[1])
local ends_in = tonumber(ARGV[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], math.max(math.ceil(ends_in / 1000), 1))
end
local limit = tonumber(ARGV[2])
local allowed = 0
if count <= limit then allowed = 1 end
return {allowed, math.max(limit - count, 0), math.ceil(ends_in / 1000)}
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![self.counter.as_bytes()]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        [self.ends_in.as_micros(), self.limit]
            .map(|n| n.to_string().into_bytes())
            .to_vec()
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        model_step(|| {
            let counter = self.counter.as_bytes();
            // INCR first, as the script does: one round trip, and refused requests count too
            // (a client hammering a closed window does not get a discount).
            let count = int_of("INCR", server.call(Cmd::IncrBy(counter, 1)))?;
            if count == 1 {
                // The first request of the window sets its expiry; the key dies with the window.
                server.call(Cmd::Expire(counter, self.ends_in));
            }
            let count = count.max(0) as u64;
            Ok(decided(
                count <= self.limit,
                self.limit.saturating_sub(count),
                ceil_ms(self.ends_in.as_micros()),
            ))
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
    fn remaining_counts_down_and_refusals_keep_it_at_zero() {
        let lab = Lab::new();
        let mut fw = FixedWindow::new(Quota::new(3, 1_000).unwrap());
        let remaining: Vec<u64> = (0..5)
            .map(|i| lab.check(&mut fw, ms(i), "k").unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0, 0, 0]);
        let denied = (0..5)
            .filter(|&i| !lab.check(&mut fw, ms(10 + i), "k").unwrap().allowed)
            .count();
        assert_eq!(denied, 5);
    }

    #[test]
    fn the_counter_key_expires_with_its_window() {
        let lab = Lab::new();
        let mut fw = FixedWindow::new(Quota::new(3, 1_000).unwrap());
        lab.check(&mut fw, ms(250), "k").unwrap();
        assert_eq!(lab.dbsize(), 1);
        lab.at(ms(1_000));
        assert_eq!(lab.exec("EXISTS k:0").unwrap(), Some(Reply::Int(1)));
        lab.at(ms(1_000) + SimDuration(1));
        assert_eq!(lab.exec("EXISTS k:0").unwrap(), Some(Reply::Int(0)));
    }

    #[test]
    fn a_key_of_another_type_is_a_store_error() {
        let lab = Lab::new();
        lab.exec("SADD k:0 x").unwrap();
        let mut fw = FixedWindow::new(Quota::new(3, 1_000).unwrap());
        assert!(lab.check(&mut fw, ms(1), "k").is_err());
    }
}
