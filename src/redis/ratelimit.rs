//! Rate limiting against a real Redis: the sliding-window log and the token bucket of
//! [`crate::ratelimit`], each run as one Lua script so that the read, the decision and the write
//! happen atomically inside the server.
//!
//! # Why a script
//! The model's limiters read the subject's state, decide, then write it back: three steps. Against
//! a real server shared by many app instances, two instances could both read "4 of 5 used", both
//! admit, and both write "5 used" — six requests through a limit of five. Redis runs a script
//! (`EVALSHA`, falling back to `EVAL` when the server does not know the script yet) as one command,
//! with nothing interleaved, so the check-and-update cannot race. The script touches only the
//! subject's one key, so it also runs unchanged on a Redis Cluster (the key decides the slot).
//!
//! # Same answers as the model
//! The scripts do the model's arithmetic step for step on the same state (a sorted set of
//! admission times; a hash of `tokens` and `ts`), so on the same sequence of requests and times
//! they return the same [`Decision`]s — `tests/redis_ratelimit.rs` checks it. Lua numbers are
//! doubles: times are passed in as strings and written back with `%.0f`, and the arithmetic is
//! exact while values stay below 2^53 µs (285 years).
//!
//! # Outages
//! When Redis cannot be reached (or answers with an error), [`RedisRateLimiter::check`] follows
//! its [`FailMode`] and counts the decision in [`RedisRateLimiter::outages`]; the connection
//! reconnects by itself, and the first request after the server is back is decided by Redis again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use redis::aio::ConnectionLike;
use redis::Script;

use crate::error::{Error, Result};
use crate::ratelimit::{ceil_ms, Decision, FailMode, OutageCounts, Quota, Rule, TokenBucket};
use crate::sim::SimTime;

/// KEYS[1]: the log. ARGV: now (µs), trim bound (µs, entries at or below it leave), limit,
/// window (ms, the key's expiry), a unique member for this request.
/// Returns {admitted (0/1), entries after the request, newest entry's time (µs, as text)}.
static SLIDING_LOG: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {1, count + 1, ARGV[1]}
end
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {0, count, newest[2]}
",
    )
});

/// KEYS[1]: the bucket (a hash of `tokens` and `ts`). ARGV: now (µs), refill interval (µs),
/// capacity. Returns {admitted (0/1), tokens left, µs until full (as text)}.
static TOKEN_BUCKET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local tokens, ts = capacity, now
if redis.call('EXISTS', KEYS[1]) == 1 then
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  tokens = math.min(math.max(tonumber(state[1]) or 0, 0), capacity)
  ts = math.min(math.max(tonumber(state[2]) or 0, 0), now)
end
local elapsed = now - ts
local intervals = math.floor(elapsed / interval)
-- The division is in floating point: step onto the exact quotient.
if intervals * interval > elapsed then intervals = intervals - 1 end
if (intervals + 1) * interval <= elapsed then intervals = intervals + 1 end
tokens = math.min(tokens + intervals, capacity)
if tokens == capacity then ts = now else ts = ts + intervals * interval end
local admitted = 0
if tokens > 0 then
  tokens = tokens - 1
  admitted = 1
end
local full_in = 0
if tokens < capacity then full_in = ts + (capacity - tokens) * interval - now end
if full_in == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.0f', tokens),
    'ts', string.format('%.0f', ts))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(full_in / 1000)))
end
return {admitted, tokens, string.format('%.0f', full_in)}
",
    )
});

/// Which algorithm a [`RedisRateLimiter`] runs, configured as its model twin is.
#[derive(Clone, Debug)]
pub enum Algorithm {
    /// An exact sliding window (see [`crate::ratelimit::SlidingLog`]).
    SlidingLog(Quota),
    /// A token bucket (see [`crate::ratelimit::TokenBucket`]).
    TokenBucket(TokenBucket),
}

impl Algorithm {
    /// The quota the limiter reports as `limit`.
    fn limit(&self) -> u64 {
        match self {
            Algorithm::SlidingLog(quota) => quota.limit(),
            Algorithm::TokenBucket(bucket) => crate::ratelimit::Limiter::limit(bucket),
        }
    }
}

/// A [`Rule`] enforced by one algorithm whose state lives in a real Redis, with a [`FailMode`]
/// for outages. Share it between tasks (`check` takes `&self`); `C` is any connection, such as a
/// [`super::Connection`] to one server or a cluster.
pub struct RedisRateLimiter<C> {
    conn: C,
    rule: Rule,
    algorithm: Algorithm,
    fail_mode: FailMode,
    /// Distinguishes this limiter's sorted-set members from other instances' at the same instant.
    instance: u64,
    sequence: AtomicU64,
    outages: Mutex<OutageCounts>,
}

impl<C: ConnectionLike + Clone> RedisRateLimiter<C> {
    /// Enforces `rule` with `algorithm` on the server behind `conn`, following `fail_mode` while
    /// the server cannot answer.
    pub fn new(conn: C, rule: Rule, algorithm: Algorithm, fail_mode: FailMode) -> Self {
        RedisRateLimiter {
            conn,
            rule,
            algorithm,
            fail_mode,
            instance: instance_id(),
            sequence: AtomicU64::new(0),
            outages: Mutex::new(OutageCounts::default()),
        }
    }

    /// Decides a request by subject `id` at `now` (give every instance the same clock, such as
    /// [`unix_time`]; tests give scripted times). If Redis fails, the fail mode decides, and the
    /// decision is counted in [`RedisRateLimiter::outages`].
    pub async fn check(&self, now: SimTime, id: &str) -> Decision {
        match self.try_check(now, id).await {
            Ok(decision) => decision,
            Err(_) => {
                let decision = self.fail_mode.outage_decision(self.algorithm.limit());
                self.outages
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .record(&decision);
                decision
            }
        }
    }

    /// Decides a request by subject `id` at `now` in Redis, or fails with [`Error::Store`] if Redis
    /// cannot answer (no fail mode applied, nothing counted).
    pub async fn try_check(&self, now: SimTime, id: &str) -> Result<Decision> {
        let key = self.rule.key(id);
        let now_us = now.as_micros();
        let mut conn = self.conn.clone();
        match &self.algorithm {
            Algorithm::SlidingLog(quota) => {
                let window = quota.window().as_micros();
                let member = format!(
                    "{now_us}-{:x}-{}",
                    self.instance,
                    self.sequence.fetch_add(1, Ordering::Relaxed)
                );
                let (admitted, logged, newest): (u8, u64, String) = SLIDING_LOG
                    .key(&key)
                    .arg(now_us)
                    .arg(now_us as i64 - window as i64)
                    .arg(quota.limit())
                    .arg(ceil_ms(window))
                    .arg(member)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(|error| script_error(&error))?;
                let newest = parse_micros(&newest)?;
                Ok(Decision {
                    allowed: admitted == 1,
                    limit: quota.limit(),
                    remaining: quota.limit().saturating_sub(logged),
                    reset_ms: ceil_ms((newest + window).saturating_sub(now_us)),
                })
            }
            Algorithm::TokenBucket(bucket) => {
                let capacity = crate::ratelimit::Limiter::limit(bucket);
                let (admitted, tokens, full_in): (u8, u64, String) = TOKEN_BUCKET
                    .key(&key)
                    .arg(now_us)
                    .arg(bucket.refill_every().as_micros())
                    .arg(capacity)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(|error| script_error(&error))?;
                Ok(Decision {
                    allowed: admitted == 1,
                    limit: capacity,
                    remaining: tokens,
                    reset_ms: ceil_ms(parse_micros(&full_in)?),
                })
            }
        }
    }

    /// Decisions made by the fail mode so far, because Redis could not answer.
    pub fn outages(&self) -> OutageCounts {
        *self
            .outages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The rule this limiter enforces.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }
}

/// The wall clock as a [`SimTime`]: microseconds since the Unix epoch, the one clock that every
/// app instance sharing a limiter agrees on (to within their clock skew).
pub fn unix_time() -> SimTime {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    SimTime(u64::try_from(since_epoch.as_micros()).unwrap_or(u64::MAX))
}

/// A number that differs between limiters (and processes) with high probability: the standard
/// library's randomly keyed hasher, hashing nothing.
fn instance_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A time the script returned as text (`%.0f`, or a sorted-set score) as microseconds.
fn parse_micros(text: &str) -> Result<u64> {
    text.parse::<u64>()
        .or_else(|_| {
            text.parse::<f64>()
                .ok()
                .filter(|us| us.is_finite() && *us >= 0.0)
                .map(|us| us as u64)
                .ok_or(())
        })
        .map_err(|()| Error::Store {
            detail: format!("the rate-limit script returned a bad time: {text:?}"),
        })
}

/// A failed script call as a store error.
fn script_error(error: &redis::RedisError) -> Error {
    Error::Store {
        detail: format!("rate-limit script: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_times_parse_as_integers_or_scores() {
        assert_eq!(
            parse_micros("1764500000123456").unwrap(),
            1_764_500_000_123_456
        );
        assert_eq!(parse_micros("2500").unwrap(), 2_500);
        assert_eq!(parse_micros("1.5e3").unwrap(), 1_500);
        assert!(parse_micros("-1").is_err());
        assert!(parse_micros("inf").is_err());
    }

    #[test]
    fn instances_are_told_apart() {
        assert_ne!(instance_id(), instance_id());
    }
}
