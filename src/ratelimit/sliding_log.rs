//! Sliding-window log: a sorted set of the times of admitted requests.
//!
//! Each request first trims the entries older than one window, then counts what is left: fewer
//! than the limit, and the request is admitted and logged. The window slides with the request, so
//! no span of one window's length ever holds more than the limit — exact, at the cost of one
//! set member per admitted request.

use super::{ceil_ms, decided, int_of, model_step, store_error, Decision, Limiter, Quota};
use crate::error::Result;
use crate::sim::{SimDuration, SimTime};
use crate::strategy::{Cmd, Script, Server};
use crate::tiers::l2::Reply;

/// An exact sliding window; state: a sorted set at the subject's key, scored by admission time in
/// microseconds, expiring one window after the newest entry.
#[derive(Clone, Debug)]
pub struct SlidingLog {
    quota: Quota,
    /// Makes members unique when two requests share a timestamp (a sorted set would merge them).
    sequence: u64,
    /// Tells this limiter's members from other app instances' on a shared server.
    instance: Option<u64>,
}

impl SlidingLog {
    /// A sliding-log limiter for `quota`: a request at `t` counts the admitted requests in
    /// `(t - window, t]`.
    ///
    /// ```
    /// use cachelab::ratelimit::{Limiter, Quota, SlidingLog};
    /// use cachelab::{sim::{Executor, SimDuration, SimTime}, strategy::SimL2, tiers::L2};
    /// let exec = Executor::new();
    /// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
    /// let mut log = SlidingLog::new(Quota::new(2, 1_000).unwrap());
    /// let mut check = |ms: u64| {
    ///     exec.advance_to(SimTime(ms * 1_000));
    ///     exec.block_on(log.check(&store, SimTime(ms * 1_000), "k")).unwrap().unwrap()
    /// };
    /// assert!(check(900).allowed);
    /// assert!(check(950).allowed);
    /// // Unlike a fixed window, a clock boundary at 1000 ms frees nothing: the last second
    /// // already holds two requests.
    /// let d = check(1_010);
    /// assert!(!d.allowed);
    /// assert_eq!(d.reset_ms, 940); // the 950 ms entry leaves at 1950 ms
    /// assert!(check(1_900).allowed); // the 900 ms entry left
    /// ```
    pub fn new(quota: Quota) -> SlidingLog {
        SlidingLog {
            quota,
            sequence: 0,
            instance: None,
        }
    }

    /// The same limiter for one of several app instances sharing a server: `instance` goes into
    /// every member, so two instances logging a request at the same microsecond with the same
    /// sequence number still log two members.
    pub fn shared_by(mut self, instance: u64) -> SlidingLog {
        self.instance = Some(instance);
        self
    }
}

impl Limiter for SlidingLog {
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    fn step(&mut self, now: SimTime, key: &str) -> Box<dyn Script> {
        if self.instance.is_some() {
            // Shared: steps may be in flight together, so each takes its own number now.
            self.sequence += 1;
        }
        let number = self.sequence + u64::from(self.instance.is_none());
        Box::new(SlidingLogStep {
            key: key.to_string(),
            now_us: now.as_micros(),
            window: self.quota.window().as_micros(),
            limit: self.quota.limit(),
            // Alone, the next number is taken only if the request is admitted (`decided`).
            member: match self.instance {
                None => format!("{}-{number}", now.as_micros()),
                Some(i) => format!("{}-{i:x}-{number}", now.as_micros()),
            },
        })
    }

    fn decided(&mut self, decision: &Decision) {
        if self.instance.is_none() {
            self.sequence += u64::from(decision.allowed);
        }
    }
}

/// One request of a sliding log: trim, count, and log it if it fits.
struct SlidingLogStep {
    key: String,
    now_us: u64,
    window: u64,
    limit: u64,
    member: String,
}

impl Script for SlidingLogStep {
    fn name(&self) -> &'static str {
        "sliding-log"
    }

    fn lua(&self) -> &'static str {
        r"
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local newest
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.max(math.ceil(window / 1000), 1))
  count = count + 1
  newest = now
  return {1, limit - count, math.ceil((newest + window - now) / 1000)}
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
newest = tonumber(last[2])
return {0, limit - count, math.ceil((newest + window - now) / 1000)}
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![self.key.as_bytes()]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        vec![
            self.now_us.to_string().into_bytes(),
            self.window.to_string().into_bytes(),
            self.limit.to_string().into_bytes(),
            self.member.clone().into_bytes(),
        ]
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        model_step(|| {
            let key = self.key.as_bytes();
            let (now_us, window, limit) = (self.now_us, self.window, self.limit);
            // Trim: an entry at `s` leaves the window once `s <= now - window`.
            let oldest_kept = now_us as i64 - window as i64;
            int_of(server.call(Cmd::ZRemUpTo(key, oldest_kept)))?;
            let count = int_of(server.call(Cmd::ZCard(key)))?.max(0) as u64;
            let allowed = count < limit;
            let newest = if allowed {
                let member = self.member.as_bytes();
                let score = now_us as i64;
                int_of(server.call(Cmd::ZAdd { key, score, member }))?;
                server.call(Cmd::Expire(key, SimDuration(window)));
                now_us
            } else {
                newest_score(server.call(Cmd::ZLast(key)))?
            };
            let logged = count + u64::from(allowed);
            // Every entry is gone once the newest leaves, one window after it was logged.
            Ok(decided(
                allowed,
                limit - logged,
                ceil_ms(newest + window - now_us),
            ))
        })
    }
}

/// The score of a `[member, score]` reply (the newest admitted request's time).
fn newest_score(reply: Reply) -> Result<u64> {
    match reply {
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
    use crate::ratelimit::lab::Lab;

    fn ms(t: u64) -> SimTime {
        SimTime(t * 1_000)
    }

    #[test]
    fn same_instant_requests_are_all_logged() {
        let lab = Lab::new();
        let mut log = SlidingLog::new(Quota::new(5, 1_000).unwrap());
        let admitted = (0..8)
            .filter(|_| lab.check(&mut log, ms(7), "k").unwrap().allowed)
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(lab.exec("ZCARD k").unwrap(), Some(Reply::Int(5)));
    }

    #[test]
    fn an_entry_leaves_exactly_one_window_later() {
        let lab = Lab::new();
        let mut log = SlidingLog::new(Quota::new(1, 1_000).unwrap());
        assert!(lab.check(&mut log, ms(0), "k").unwrap().allowed);
        assert!(!lab.check(&mut log, SimTime(999_999), "k").unwrap().allowed);
        assert!(lab.check(&mut log, ms(1_000), "k").unwrap().allowed);
    }
}
