//! Token bucket: a bucket holds up to `capacity` tokens and gains one every `refill_every`; a
//! request takes a token or is refused.
//!
//! A full bucket lets a burst of `capacity` through at once; after that, requests pass at the
//! refill rate. Tokens are whole numbers and the refill time moves in whole intervals, so the
//! arithmetic is exact: no fractions drift between native and wasm runs.

use super::{ceil_ms, check_range, int_of, run, Decision, Limiter, MAX_LIMIT, MAX_WINDOW_MS};
use crate::error::Result;
use crate::sim::{SimDuration, SimTime};
use crate::tiers::L2;

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
    /// use cachelab::{sim::SimTime, tiers::L2};
    /// let mut l2 = L2::new();
    /// let mut bucket = TokenBucket::new(3, 100).unwrap(); // burst of 3, then 10 per second
    /// let at = |ms: u64| SimTime(ms * 1_000);
    /// let burst = (0..5).filter(|_| bucket.check(&mut l2, at(0), "k").unwrap().allowed).count();
    /// assert_eq!(burst, 3);                                          // the burst, then empty
    /// assert!(!bucket.check(&mut l2, at(99), "k").unwrap().allowed); // not yet a token
    /// assert!(bucket.check(&mut l2, at(100), "k").unwrap().allowed); // one token came back
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

    fn check(&mut self, l2: &mut L2, now: SimTime, key: &str) -> Result<Decision> {
        l2.advance_to(now);
        let now_us = now.as_micros();
        let interval = self.refill_every.as_micros();
        // A missing hash is a full bucket: that is how an idle subject's state expires.
        let (mut tokens, mut ts) = if int_of(run(l2, &["EXISTS", key]))? == 0 {
            (self.capacity, now_us)
        } else {
            let tokens = int_of(run(l2, &["HGET", key, "tokens"]))?.max(0) as u64;
            let ts = int_of(run(l2, &["HGET", key, "ts"]))?.max(0) as u64;
            (tokens.min(self.capacity), ts.min(now_us))
        };
        // Whole intervals since `ts` each add a token; the leftover part keeps counting.
        let intervals = (now_us - ts) / interval;
        tokens = tokens.saturating_add(intervals).min(self.capacity);
        ts = if tokens == self.capacity {
            now_us
        } else {
            ts + intervals * interval
        };
        let allowed = tokens > 0;
        if allowed {
            tokens -= 1;
        }
        // Full again after the missing tokens' intervals, counted from `ts`.
        let full_in = if tokens == self.capacity {
            0
        } else {
            (ts + (self.capacity - tokens) * interval) - now_us
        };
        run(
            l2,
            &[
                "HSET",
                key,
                "tokens",
                &tokens.to_string(),
                "ts",
                &ts.to_string(),
            ],
        );
        if full_in == 0 {
            l2.del(key.as_bytes());
        } else {
            l2.expire(key.as_bytes(), SimDuration(full_in));
        }
        Ok(Decision {
            allowed,
            limit: self.capacity,
            remaining: tokens,
            reset_ms: ceil_ms(full_in),
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
    fn burst_then_refill_rate() {
        let mut l2 = L2::new();
        let mut bucket = TokenBucket::new(10, 100).unwrap();
        // One request per millisecond for 2 s: 10 at once, then one per 100 ms.
        let admitted: Vec<u64> = (0..2_000)
            .filter(|&t| bucket.check(&mut l2, ms(t), "k").unwrap().allowed)
            .collect();
        assert_eq!(admitted[..10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(admitted.len(), 10 + 19); // refills at 100, 200, ..., 1900
        assert!(admitted[10..].iter().all(|t| t % 100 == 0));
    }

    #[test]
    fn an_idle_bucket_fills_and_its_key_goes() {
        let mut l2 = L2::new();
        let mut bucket = TokenBucket::new(4, 50).unwrap();
        let d = bucket.check(&mut l2, ms(0), "k").unwrap();
        assert_eq!((d.remaining, d.reset_ms), (3, 50));
        l2.advance_to(ms(51));
        assert_eq!(l2.exec("EXISTS k").unwrap(), Some(Reply::Int(0)));
        let d = bucket.check(&mut l2, ms(60), "k").unwrap();
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
