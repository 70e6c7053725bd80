//! Rate limiting against a real Redis: the limiters of [`crate::ratelimit`], shared by many
//! tasks (and app instances), each decision one Lua script at the server.
//!
//! # Why a script
//! A limiter reads the subject's state, decides, then writes it back: three steps. Against a
//! real server shared by many app instances, two instances could both read "4 of 5 used", both
//! admit, and both write "5 used" — six requests through a limit of five. Each limiter's step is
//! therefore a [`Script`](crate::strategy::Script), which [`RedisStore`] runs as one command
//! (`EVALSHA`, falling back to `EVAL`), so the check-and-update cannot race. A step touches only
//! its subject's keys, which share the subject's hash tag, so it runs unchanged on a Redis
//! Cluster.
//!
//! # Same answers as the model
//! The Lua and the model's twin of each step do the same arithmetic on the same state, so on the
//! same sequence of requests and times they return the same [`Decision`]s —
//! `tests/redis_ratelimit.rs` and `tests/redis_store.rs` check it.
//!
//! # Outages
//! When Redis cannot be reached (or answers with an error), [`RedisRateLimiter::check`] follows
//! its [`FailMode`] and counts the decision in [`RedisRateLimiter::outages`]; the connection
//! reconnects by itself, and the first request after the server is back is decided by Redis again.

use std::sync::Mutex;

use redis::aio::ConnectionLike;

use super::store::RedisStore;
use crate::error::Result;
use crate::ratelimit::{
    decision_of, Decision, FailMode, Limiter, OutageCounts, Quota, Rule, SlidingLog, TokenBucket,
};
use crate::sim::SimTime;
use crate::strategy::Store;

/// Which algorithm a [`RedisRateLimiter`] runs, configured as its model twin is.
#[derive(Clone, Debug)]
pub enum Algorithm {
    /// An exact sliding window (see [`crate::ratelimit::SlidingLog`]).
    SlidingLog(Quota),
    /// A token bucket (see [`crate::ratelimit::TokenBucket`]).
    TokenBucket(TokenBucket),
}

/// A [`Rule`] enforced by one algorithm whose state lives in a real Redis, with a [`FailMode`]
/// for outages. Share it between tasks (`check` takes `&self`); `C` is any connection, such as a
/// [`super::Connection`] to one server or a cluster.
pub struct RedisRateLimiter<C> {
    store: RedisStore<C>,
    rule: Rule,
    /// The algorithm: a step per request, built under the lock, run without it.
    limiter: Mutex<Box<dyn Limiter + Send>>,
    fail_mode: FailMode,
    outages: Mutex<OutageCounts>,
}

/// Every limiter's keys on the server start with this.
const KEY_PREFIX: &str = "cachelab:ratelimit:";

impl<C: ConnectionLike + Clone> RedisRateLimiter<C> {
    /// Enforces `rule` with `algorithm` on the server behind `conn`, following `fail_mode` while
    /// the server cannot answer.
    pub fn new(conn: C, rule: Rule, algorithm: Algorithm, fail_mode: FailMode) -> Self {
        let limiter: Box<dyn Limiter + Send> = match algorithm {
            Algorithm::SlidingLog(quota) => {
                Box::new(SlidingLog::new(quota).shared_by(instance_id()))
            }
            Algorithm::TokenBucket(bucket) => Box::new(bucket),
        };
        let store = RedisStore::new(conn, KEY_PREFIX.to_string());
        RedisRateLimiter {
            // The prefix is a valid constant: `new` cannot refuse it.
            store: store.unwrap_or_else(|_| unreachable!("{KEY_PREFIX} is a valid prefix")),
            rule,
            limiter: Mutex::new(limiter),
            fail_mode,
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
                let limit = self.locked_limiter().limit();
                let decision = self.fail_mode.outage_decision(limit);
                self.outages
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .record(&decision);
                decision
            }
        }
    }

    /// Decides a request by subject `id` at `now` in Redis, or fails with
    /// [`crate::Error::Store`] if Redis cannot answer (no fail mode applied, nothing counted).
    pub async fn try_check(&self, now: SimTime, id: &str) -> Result<Decision> {
        let key = self.rule.key(id);
        let (step, limit) = {
            let mut limiter = self.locked_limiter();
            (limiter.step(now, &key), limiter.limit())
        };
        let reply = self.store.eval(&*step).await?;
        let decision = decision_of(limit, step.name(), &reply)?;
        self.locked_limiter().decided(&decision);
        Ok(decision)
    }

    fn locked_limiter(&self) -> std::sync::MutexGuard<'_, Box<dyn Limiter + Send>> {
        self.limiter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_told_apart() {
        assert_ne!(instance_id(), instance_id());
    }
}
