//! Rate limiters whose state lives in the shared cache (L2), as a Redis-backed limiter keeps it.
//!
//! A rate limiter answers one question per request: may this subject (a user, an IP address) call
//! this endpoint now? Keeping the answer's state in L2 rather than in each app instance means every
//! instance sees the same counts, so a client cannot multiply its quota by spreading requests over
//! servers. The price is that the limiter depends on the store: when L2 is down, the limiter must
//! either let traffic through ([`FailMode::Open`]) or refuse it ([`FailMode::Closed`]).
//!
//! The four algorithms trade memory against precision:
//!
//! | algorithm | state per subject | admits across a window edge |
//! |---|---|---|
//! | [`TokenBucket`] | a hash: tokens + time of the last refill | a burst of `capacity`, then the refill rate |
//! | [`FixedWindow`] | one counter per window (`INCR` + expiry) | up to twice the limit |
//! | [`SlidingLog`] | a sorted set of admitted request times | never more than the limit |
//! | [`SlidingCounter`] | this window's and the last window's counters | about the limit (an estimate) |
//!
//! ## Layout
//!
//! - `mod.rs` (this file): the answer ([`Decision`]), the [`Limiter`] trait, configuration
//!   ([`Quota`]), the key scheme ([`Rule`], [`Scope`]), the outage guard ([`RateLimiter`],
//!   [`FailMode`]) and the admin reset ([`reset_subject`]).
//! - `token_bucket.rs`, `fixed_window.rs`, `sliding_log.rs`, `sliding_counter.rs`: one algorithm
//!   each.
//!
//! Every limiter moves L2's clock to the request's time first, so the store's expiry and the
//! limiter's arithmetic agree on what "now" is.

mod fixed_window;
mod sliding_counter;
mod sliding_log;
mod token_bucket;

pub use fixed_window::FixedWindow;
pub use sliding_counter::SlidingCounter;
pub use sliding_log::SlidingLog;
pub use token_bucket::TokenBucket;

use crate::error::{Error, Result};
use crate::sim::{SimDuration, SimTime};
use crate::tiers::l2::Reply;
use crate::tiers::L2;

/// The largest limit a quota accepts (a bound that keeps all arithmetic far from overflow).
pub const MAX_LIMIT: u64 = 1_000_000_000;
/// The longest window a quota accepts: one day, in milliseconds.
pub const MAX_WINDOW_MS: u64 = 86_400_000;

/// One answer of a limiter: whether the request may proceed, and the three values an HTTP
/// response carries as `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is admitted.
    pub allowed: bool,
    /// The quota: requests per window (or the bucket's capacity).
    pub limit: u64,
    /// How many more requests would be admitted right now, after this one.
    pub remaining: u64,
    /// Milliseconds until the subject is back to its full quota if it sends nothing more
    /// (rounded up, so waiting this long is always enough).
    pub reset_ms: u64,
}

/// An algorithm that decides requests for any number of subjects, keeping its state in L2.
pub trait Limiter {
    /// The quota this limiter enforces (what `X-RateLimit-Limit` says).
    fn limit(&self) -> u64;

    /// Decides one request for the subject stored under `key` at time `now` (which must not go
    /// back). Fails with [`Error::Store`] if L2 answers with an error (say, `key` holds a value of
    /// another type).
    fn check(&mut self, l2: &mut L2, now: SimTime, key: &str) -> Result<Decision>;
}

/// A limit of `limit` requests per `window`, validated: `limit` in 1..=[`MAX_LIMIT`], `window` in
/// 1..=[`MAX_WINDOW_MS`] milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    limit: u64,
    window: SimDuration,
}

impl Quota {
    /// A quota of `limit` requests per `window_ms` milliseconds.
    ///
    /// ```
    /// use cachelab::ratelimit::Quota;
    /// let reads = Quota::new(100, 60_000).unwrap(); // 100 reads a minute
    /// assert_eq!(reads.limit(), 100);
    /// // A zero limit would refuse everything forever: it is a mistake, and the error says why.
    /// let err = Quota::new(0, 60_000).unwrap_err();
    /// assert!(err.to_string().contains("`limit` must be between 1 and"));
    /// ```
    pub fn new(limit: u64, window_ms: u64) -> Result<Quota> {
        check_range("limit", limit, 1, MAX_LIMIT, "requests")?;
        check_range("window", window_ms, 1, MAX_WINDOW_MS, "ms")?;
        Ok(Quota {
            limit,
            window: SimDuration::from_millis(window_ms),
        })
    }

    /// Requests admitted per window.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The window's length.
    pub fn window(&self) -> SimDuration {
        self.window
    }
}

/// Fails with [`Error::OutOfRange`] naming `name` unless `min <= value <= max`.
fn check_range(name: &str, value: u64, min: u64, max: u64, unit: &'static str) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::OutOfRange {
            name: name.to_string(),
            value: value as f64,
            min: min as f64,
            max: max as f64,
            unit,
        })
    }
}

/// Who a rule counts requests for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// A signed-in user, by id.
    User,
    /// A client address.
    Ip,
}

impl Scope {
    /// The scope's name inside keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Ip => "ip",
        }
    }
}

/// Where a limit applies: a scope and an endpoint (or endpoint class, such as `reads` or
/// `writes`). It builds the subject's key, `rl:{scope}:{id}:{endpoint}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Whom the rule counts for.
    pub scope: Scope,
    /// The endpoint (or class of endpoints) it guards.
    pub endpoint: String,
}

impl Rule {
    /// A rule for `scope` on `endpoint`.
    pub fn new(scope: Scope, endpoint: &str) -> Rule {
        Rule {
            scope,
            endpoint: escape(endpoint),
        }
    }

    /// The L2 key of subject `id` under this rule.
    ///
    /// ```
    /// use cachelab::ratelimit::{Rule, Scope};
    /// let writes = Rule::new(Scope::User, "writes");
    /// assert_eq!(writes.key("42"), "rl:user:42:writes");
    /// // An IPv6 address's colons are escaped, so ids never run into the endpoint.
    /// assert_eq!(Rule::new(Scope::Ip, "reads").key("::1"), "rl:ip:%3A%3A1:reads");
    /// ```
    pub fn key(&self, id: &str) -> String {
        format!("{}:{}", subject_prefix(self.scope, id), self.endpoint)
    }
}

/// `rl:{scope}:{id}`: the part of a key every rule for this subject shares.
fn subject_prefix(scope: Scope, id: &str) -> String {
    format!("rl:{}:{}", scope.as_str(), escape(id))
}

/// Percent-escapes `%` and `:` so that the key's fields stay apart whatever an id contains.
fn escape(s: &str) -> String {
    s.replace('%', "%25").replace(':', "%3A")
}

/// Admin reset: deletes every limiter key of subject `id` in `scope`, for all endpoints and
/// algorithms, and returns how many keys went. (The model answers `KEYS`; against a real Redis a
/// reset would walk `SCAN` instead, so as not to block the server.)
///
/// ```
/// use cachelab::ratelimit::{reset_subject, FixedWindow, Limiter, Quota, Rule, Scope};
/// use cachelab::{sim::SimTime, tiers::L2};
/// let mut l2 = L2::new();
/// let mut limiter = FixedWindow::new(Quota::new(1, 60_000).unwrap());
/// let key = Rule::new(Scope::User, "writes").key("42");
/// assert!(limiter.check(&mut l2, SimTime::ZERO, &key).unwrap().allowed);
/// assert!(!limiter.check(&mut l2, SimTime::ZERO, &key).unwrap().allowed); // quota spent
/// assert_eq!(reset_subject(&mut l2, Scope::User, "42"), 1);
/// assert!(limiter.check(&mut l2, SimTime::ZERO, &key).unwrap().allowed);  // fresh again
/// ```
pub fn reset_subject(l2: &mut L2, scope: Scope, id: &str) -> u64 {
    let prefix = format!("{}:", subject_prefix(scope, id));
    // Glob-escape the prefix: ids may hold `*`, `?`, `[` or `\`.
    let mut pattern = Vec::with_capacity(prefix.len() + 1);
    for b in prefix.bytes() {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            pattern.push(b'\\');
        }
        pattern.push(b);
    }
    pattern.push(b'*');
    let keys = match l2.exec_args(&[b"KEYS".to_vec(), pattern.clone()]) {
        Reply::Array(keys) => keys,
        _ => return 0,
    };
    let mut deleted = 0;
    for key in keys {
        if let Reply::Bulk(key) = key {
            deleted += u64::from(l2.del(&key));
        }
    }
    deleted
}

/// What a limiter does when L2 cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailMode {
    /// Admit every request: the service stays up, unprotected.
    Open,
    /// Refuse every request: the service stays protected, and down.
    Closed,
}

impl FailMode {
    /// The answer for a request of a `limit`-request quota that the store could not decide: the
    /// fail mode's verdict, with nothing known about the subject's usage (so `remaining` is the
    /// whole quota when open and nothing when closed).
    ///
    /// ```
    /// use cachelab::ratelimit::FailMode;
    /// assert!(FailMode::Open.outage_decision(10).allowed);
    /// assert_eq!(FailMode::Closed.outage_decision(10).remaining, 0);
    /// ```
    pub fn outage_decision(self, limit: u64) -> Decision {
        let allowed = self == FailMode::Open;
        Decision {
            allowed,
            limit,
            remaining: if allowed { limit } else { 0 },
            reset_ms: 0,
        }
    }
}

/// Decisions made without the store, by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutageCounts {
    /// Requests admitted because the store was down and the mode is [`FailMode::Open`].
    pub allowed: u64,
    /// Requests refused because the store was down and the mode is [`FailMode::Closed`].
    pub denied: u64,
}

impl OutageCounts {
    /// Counts one decision made without the store.
    pub fn record(&mut self, decision: &Decision) {
        if decision.allowed {
            self.allowed += 1;
        } else {
            self.denied += 1;
        }
    }
}

/// A [`Rule`] enforced by a [`Limiter`], with a policy for L2 outages.
pub struct RateLimiter {
    rule: Rule,
    limiter: Box<dyn Limiter>,
    fail_mode: FailMode,
    outages: OutageCounts,
}

impl RateLimiter {
    /// Enforces `rule` with `limiter`; when the store is down, follows `fail_mode`.
    pub fn new(rule: Rule, limiter: Box<dyn Limiter>, fail_mode: FailMode) -> RateLimiter {
        RateLimiter {
            rule,
            limiter,
            fail_mode,
            outages: OutageCounts::default(),
        }
    }

    /// Decides a request by subject `id` at `now`. `l2` is `None` while the store is unreachable;
    /// then (and when the store answers with an error) the decision follows the fail mode and is
    /// counted in [`RateLimiter::outages`].
    ///
    /// ```
    /// use cachelab::ratelimit::{FailMode, Quota, RateLimiter, Rule, Scope, SlidingLog};
    /// use cachelab::{sim::SimTime, tiers::L2};
    /// let quota = Quota::new(10, 60_000).unwrap();
    /// let rule = Rule::new(Scope::Ip, "writes");
    /// let mut guard = RateLimiter::new(rule, Box::new(SlidingLog::new(quota)), FailMode::Closed);
    /// let mut l2 = L2::new();
    /// let d = guard.check(Some(&mut l2), SimTime::ZERO, "10.0.0.1");
    /// assert!(d.allowed);
    /// assert_eq!((d.limit, d.remaining), (10, 9));
    /// // The store goes away: fail-closed refuses, and says so in its counters.
    /// assert!(!guard.check(None, SimTime::ZERO, "10.0.0.1").allowed);
    /// assert_eq!(guard.outages().denied, 1);
    /// ```
    pub fn check(&mut self, l2: Option<&mut L2>, now: SimTime, id: &str) -> Decision {
        let key = self.rule.key(id);
        match l2.map(|l2| self.limiter.check(l2, now, &key)) {
            Some(Ok(decision)) => decision,
            None | Some(Err(_)) => self.outage_decision(),
        }
    }

    /// A decision made without the store, counted.
    fn outage_decision(&mut self) -> Decision {
        let decision = self.fail_mode.outage_decision(self.limiter.limit());
        self.outages.record(&decision);
        decision
    }

    /// The rule this limiter enforces.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Decisions made without the store so far.
    pub fn outages(&self) -> OutageCounts {
        self.outages
    }
}

// ----- small helpers the algorithms share -----

/// Runs one command given as text arguments.
fn run(l2: &mut L2, args: &[&str]) -> Reply {
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    l2.exec_args(&args)
}

/// The integer in a reply: an integer reply, a bulk string holding digits, or nil (as 0). Anything
/// else (an error reply, a wrong type) is a store error.
fn int_of(reply: Reply) -> Result<i64> {
    match reply {
        Reply::Int(n) => Ok(n),
        Reply::Nil => Ok(0),
        Reply::Bulk(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| store_error(format!("not an integer: {bytes:?}"))),
        other => Err(store_error(other.to_cli_string())),
    }
}

/// `INCR key`: the counter's new value (a key holding a non-integer is a store error).
fn incr(l2: &mut L2, key: &str) -> Result<i64> {
    l2.incr_by(key.as_bytes(), 1)
        .map_err(|reply| store_error(reply.to_cli_string()))
}

/// An [`Error::Store`] with `detail`.
fn store_error(detail: impl Into<String>) -> Error {
    Error::Store {
        detail: detail.into(),
    }
}

/// Microseconds as milliseconds, rounded up (a client that waits this long is never early).
pub(crate) fn ceil_ms(us: u64) -> u64 {
    us.div_ceil(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_errors_name_the_field_and_range() {
        let e = Quota::new(5, 0).unwrap_err().to_string();
        assert_eq!(
            e,
            "parameter `window` must be between 1 and 86400000 ms (got 0)"
        );
        let e = Quota::new(MAX_LIMIT + 1, 10).unwrap_err().to_string();
        assert!(
            e.contains("`limit` must be between 1 and 1000000000"),
            "{e}"
        );
    }

    #[test]
    fn keys_of_different_subjects_never_share_a_prefix() {
        let reads = Rule::new(Scope::User, "reads");
        // Without escaping, user "1:x" on endpoint "reads" and user "1" on endpoint "x:reads"
        // would collide, and a reset of user "1" would reach user "1:x".
        assert_ne!(reads.key("1:x"), Rule::new(Scope::User, "x:reads").key("1"));
        assert_eq!(reads.key("50%"), "rl:user:50%25:reads");
    }
}
