//! Token bucket: a bucket holds up to `capacity` tokens and gains one every `refill_every`; a
//! request takes a token or is refused.
//!
//! A full bucket lets a burst of `capacity` through at once; after that, requests pass at the
//! refill rate. Tokens are whole numbers and the refill time moves in whole intervals, so the
//! arithmetic is exact: no fractions drift between native and wasm runs.

use super::{ceil_ms, check_range, decided, int_of, model_step, Limiter, MAX_LIMIT, MAX_WINDOW_MS};
use crate::error::Result;
use crate::sim::{SimDuration, SimTime};
use crate::strategy::{Cmd, Script, Server};
use crate::tiers::l2::Reply;

/// A token bucket; state: a hash at the subject's key with fields `tokens` and `ts` (the time,
/// in microseconds, up to which refills are accounted), expiring once the bucket would be full.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    capacity: u64,
    refill_every: SimDuration,
}

impl TokenBucket {
    /// A bucket of `capacity` tokens (in 1..=[`super::MAX_LIMIT`]) that gains one token every
    /// `refill_every_ms` milliseconds (in 1..=[`super::MAX_WINDOW_MS`]).
    ///
    /// ```
    /// use cachelab::ratelimit::{Limiter, TokenBucket};
    /// use cachelab::{sim::{Executor, SimDuration, SimTime}, strategy::SimL2, tiers::L2};
    /// let exec = Executor::new();
    /// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
    /// let mut bucket = TokenBucket::new(3, 100).unwrap(); // burst of 3, then 10 per second
    /// let mut check = |ms: u64| {
    ///     exec.advance_to(SimTime(ms * 1_000));
    ///     exec.block_on(bucket.check(&store, SimTime(ms * 1_000), "k")).unwrap().unwrap()
    /// };
    /// let burst = (0..5).filter(|_| check(0).allowed).count();
    /// assert_eq!(burst, 3);           // the burst, then empty
    /// assert!(!check(99).allowed);    // not yet a token
    /// assert!(check(100).allowed);    // one token came back
    /// ```
    pub fn new(capacity: u64, refill_every_ms: u64) -> Result<TokenBucket> {
        check_range("capacity", capacity, 1, MAX_LIMIT, "tokens")?;
        check_range("refill_every", refill_every_ms, 1, MAX_WINDOW_MS, "ms")?;
        Ok(TokenBucket {
            capacity,
            refill_every: SimDuration::from_millis(refill_every_ms),
        })
    }

    /// How often the bucket gains a token.
    pub fn refill_every(&self) -> SimDuration {
        self.refill_every
    }
}

impl Limiter for TokenBucket {
    fn limit(&self) -> u64 {
        self.capacity
    }

    fn step(&mut self, now: SimTime, key: &str) -> Box<dyn Script> {
        Box::new(TokenBucketStep {
            key: key.to_string(),
            now_us: now.as_micros(),
            interval: self.refill_every.as_micros(),
            capacity: self.capacity,
        })
    }
}

/// One request of a token bucket: refill for the time passed, take a token if there is one.
struct TokenBucketStep {
    key: String,
    now_us: u64,
    interval: u64,
    capacity: u64,
}

impl Script for TokenBucketStep {
    fn name(&self) -> &'static str {
        "token-bucket"
    }

    /// Lua numbers are doubles: exact while times stay below 2^53 µs (285 years).
    fn lua(&self) -> &'static str {
        r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local tokens, ts = capacity, now
if redis.call('EXISTS', KEYS[1]) == 1 then
  tokens = math.min(math.max(tonumber(redis.call('HGET', KEYS[1], 'tokens')) or 0, 0), capacity)
  ts = math.min(math.max(tonumber(redis.call('HGET', KEYS[1], 'ts')) or 0, 0), now)
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
redis.call('HSET', KEYS[1], 'tokens', string.format('%.0f', tokens),
  'ts', string.format('%.0f', ts))
if full_in == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], math.max(math.ceil(full_in / 1000), 1))
end
return {admitted, tokens, math.ceil(full_in / 1000)}
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![self.key.as_bytes()]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        [self.now_us, self.interval, self.capacity]
            .map(|n| n.to_string().into_bytes())
            .to_vec()
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        model_step(|| {
            let (now_us, interval, capacity) = (self.now_us, self.interval, self.capacity);
            let key = self.key.as_bytes();
            // A missing hash is a full bucket: that is how an idle subject's state expires.
            let (mut tokens, mut ts) = if int_of(server.call(Cmd::Exists(key)))? == 0 {
                (capacity, now_us)
            } else {
                let tokens = int_of(server.call(Cmd::HGet(key, b"tokens")))?.max(0) as u64;
                let ts = int_of(server.call(Cmd::HGet(key, b"ts")))?.max(0) as u64;
                (tokens.min(capacity), ts.min(now_us))
            };
            // Whole intervals since `ts` each add a token; the leftover part keeps counting.
            let intervals = (now_us - ts) / interval;
            tokens = tokens.saturating_add(intervals).min(capacity);
            ts = if tokens == capacity {
                now_us
            } else {
                ts + intervals * interval
            };
            let allowed = tokens > 0;
            if allowed {
                tokens -= 1;
            }
            // Full again after the missing tokens' intervals, counted from `ts`.
            let full_in = if tokens == capacity {
                0
            } else {
                (ts + (capacity - tokens) * interval) - now_us
            };
            let (tokens_text, ts_text) = (tokens.to_string(), ts.to_string());
            let fields: &[(&[u8], &[u8])] = &[
                (b"tokens", tokens_text.as_bytes()),
                (b"ts", ts_text.as_bytes()),
            ];
            server.call(Cmd::HSet(key, fields));
            if full_in == 0 {
                server.call(Cmd::Del(key));
            } else {
                server.call(Cmd::Expire(key, SimDuration(full_in)));
            }
            Ok(decided(allowed, tokens, ceil_ms(full_in)))
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
    fn burst_then_refill_rate() {
        let lab = Lab::new();
        let mut bucket = TokenBucket::new(10, 100).unwrap();
        // One request per millisecond for 2 s: 10 at once, then one per 100 ms.
        let admitted: Vec<u64> = (0..2_000)
            .filter(|&t| lab.check(&mut bucket, ms(t), "k").unwrap().allowed)
            .collect();
        assert_eq!(admitted[..10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(admitted.len(), 10 + 19); // refills at 100, 200, ..., 1900
        assert!(admitted[10..].iter().all(|t| t % 100 == 0));
    }

    #[test]
    fn an_idle_bucket_fills_and_its_key_goes() {
        let lab = Lab::new();
        let mut bucket = TokenBucket::new(4, 50).unwrap();
        let d = lab.check(&mut bucket, ms(0), "k").unwrap();
        assert_eq!((d.remaining, d.reset_ms), (3, 50));
        lab.at(ms(51));
        assert_eq!(lab.exec("EXISTS k").unwrap(), Some(Reply::Int(0)));
        let d = lab.check(&mut bucket, ms(60), "k").unwrap();
        assert_eq!(d.remaining, 3);
    }

    #[test]
    fn bad_configuration_names_the_field() {
        let e = TokenBucket::new(0, 10).unwrap_err().to_string();
        assert!(e.contains("`capacity`"), "{e}");
        let e = TokenBucket::new(1, 0).unwrap_err().to_string();
        assert!(e.contains("`refill_every`"), "{e}");
    }
}
