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
//! ## One atomic step
//!
//! Each limiter decides a request in one [`Script`]: read the subject's state, decide, write it
//! back, with nothing in between — a Lua script against a real Redis, the same step in Rust on
//! the model (see [`Store::eval`]). Two app instances sharing a limit can therefore never both
//! admit the last request. Every key a step touches is the subject's ([`Rule::key`] and keys
//! that start with it), so on a Redis Cluster they can share the subject's hash tag. The caller
//! passes the request's time, which the steps use for their arithmetic; the store's clock (the
//! model's simulated one, or a real server's) runs the expiry.

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
use crate::strategy::{bad_reply, bulks_of, Cmd, Script, Server, Store};
use crate::tiers::l2::Reply;

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

/// An algorithm that decides requests for any number of subjects, keeping its state in the shared
/// cache.
pub trait Limiter {
    /// The quota this limiter enforces (what `X-RateLimit-Limit` says).
    fn limit(&self) -> u64;

    /// The atomic step that decides one request for the subject stored under `key` at time
    /// `now` (which must not go back). Its reply is `[allowed (0/1), remaining, reset_ms]`.
    fn step(&mut self, now: SimTime, key: &str) -> Box<dyn Script>;

    /// Learns what its step decided (a limiter that numbers what it stores counts here).
    fn decided(&mut self, _decision: &Decision) {}

    /// Decides one request on `store` (see [`decide`]).
    // Single-threaded executor: the future need not be `Send` (see `Store`).
    #[allow(async_fn_in_trait)]
    async fn check<S: Store + ?Sized>(
        &mut self,
        store: &S,
        now: SimTime,
        key: &str,
    ) -> Result<Decision>
    where
        Self: Sized,
    {
        decide(self, store, now, key).await
    }
}

/// Decides one request for the subject stored under `key` at `now`: runs `limiter`'s step on
/// `store`. Fails with [`Error::Store`] if the store cannot answer, or answers with an error
/// (say, `key` holds a value of another type).
pub async fn decide<S: Store + ?Sized>(
    limiter: &mut dyn Limiter,
    store: &S,
    now: SimTime,
    key: &str,
) -> Result<Decision> {
    let step = limiter.step(now, key);
    let reply = store.eval(&*step).await?;
    let decision = decision_of(limiter.limit(), step.name(), &reply)?;
    limiter.decided(&decision);
    Ok(decision)
}

/// The decision in the reply of a limiter's step named `step`, `[allowed, remaining,
/// reset_ms]`, for a quota of `limit`.
pub fn decision_of(limit: u64, step: &str, reply: &Reply) -> Result<Decision> {
    match reply {
        Reply::Array(items) => match items.as_slice() {
            [Reply::Int(allowed), Reply::Int(remaining), Reply::Int(reset_ms)] => Ok(Decision {
                allowed: *allowed == 1,
                limit,
                remaining: u64::try_from(*remaining).unwrap_or(0),
                reset_ms: u64::try_from(*reset_ms).unwrap_or(0),
            }),
            _ => Err(bad_reply(step, reply)),
        },
        _ => Err(bad_reply(step, reply)),
    }
}

/// The reply of a limiter's step on the model.
fn decided(allowed: bool, remaining: u64, reset_ms: u64) -> Reply {
    let int = |n: u64| Reply::Int(i64::try_from(n).unwrap_or(i64::MAX));
    Reply::Array(vec![
        Reply::Int(i64::from(allowed)),
        int(remaining),
        int(reset_ms),
    ])
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
/// algorithms, in one atomic step, and returns how many keys went. The subject's keys all start
/// with `rl:{scope}:{id}:`, which is also the step's key, so on a Redis Cluster the step runs on
/// the master that holds them (they share the subject's hash tag); there it walks the keys with
/// `SCAN`, never `KEYS`. (The model answers `KEYS`.)
///
/// ```
/// use cachelab::ratelimit::{reset_subject, FixedWindow, Limiter, Quota, Rule, Scope};
/// use cachelab::{sim::{Executor, SimDuration, SimTime}, strategy::SimL2, tiers::L2};
/// let exec = Executor::new();
/// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
/// let mut limiter = FixedWindow::new(Quota::new(1, 60_000).unwrap());
/// let key = Rule::new(Scope::User, "writes").key("42");
/// let mut check = || exec.block_on(limiter.check(&store, SimTime::ZERO, &key)).unwrap().unwrap();
/// assert!(check().allowed);
/// assert!(!check().allowed); // quota spent
/// assert_eq!(exec.block_on(reset_subject(&store, Scope::User, "42")).unwrap().unwrap(), 1);
/// assert!(check().allowed);  // fresh again
/// ```
pub async fn reset_subject<S: Store + ?Sized>(store: &S, scope: Scope, id: &str) -> Result<u64> {
    let step = ResetSubject {
        prefix: format!("{}:", subject_prefix(scope, id)),
    };
    match store.eval(&step).await? {
        Reply::Int(n) => Ok(u64::try_from(n).unwrap_or(0)),
        other => Err(bad_reply(step.name(), &other)),
    }
}

/// The admin reset's step: deletes every key that starts with `prefix`.
struct ResetSubject {
    prefix: String,
}

impl Script for ResetSubject {
    fn name(&self) -> &'static str {
        "ratelimit-reset"
    }

    fn lua(&self) -> &'static str {
        r"
local pattern = string.gsub(KEYS[1], '[%*%?%[%]\\]', '\\%0') .. '*'
local cursor, deleted = '0', 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do deleted = deleted + redis.call('DEL', key) end
until cursor == '0'
return deleted
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![self.prefix.as_bytes()]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        // Glob-escape the prefix: ids may hold `*`, `?`, `[` or `\`.
        let mut pattern = Vec::with_capacity(self.prefix.len() + 1);
        for b in self.prefix.bytes() {
            if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
                pattern.push(b'\\');
            }
            pattern.push(b);
        }
        pattern.push(b'*');
        let keys = match bulks_of("KEYS", server.call(Cmd::Keys(&pattern))) {
            Ok(keys) => keys,
            Err(e) => return Reply::Error(e.to_string()),
        };
        let deleted: i64 = keys
            .iter()
            .map(|key| match server.call(Cmd::Del(key)) {
                Reply::Int(n) => n,
                _ => 0,
            })
            .sum();
        Reply::Int(deleted)
    }
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

    /// Decides a request by subject `id` at `now` on `store`. When the store cannot answer (or
    /// answers with an error), the decision follows the fail mode and is counted in
    /// [`RateLimiter::outages`].
    ///
    /// ```
    /// use cachelab::ratelimit::{FailMode, Quota, RateLimiter, Rule, Scope, SlidingLog};
    /// use cachelab::sim::{Executor, SimDuration, SimTime};
    /// use cachelab::strategy::{Faults, Faulty, SimL2, Window};
    /// use cachelab::tiers::L2;
    /// let quota = Quota::new(10, 60_000).unwrap();
    /// let rule = Rule::new(Scope::Ip, "writes");
    /// let mut guard = RateLimiter::new(rule, Box::new(SlidingLog::new(quota)), FailMode::Closed);
    /// let exec = Executor::new();
    /// let sim = exec.sim().clone();
    /// // The store goes away for a second at t = 1 s.
    /// let outage = Window::new(SimTime(1_000_000), SimDuration::from_secs(1));
    /// let faults = Faults { outages: vec![outage], ..Faults::default() };
    /// let l2 = SimL2::new(sim.clone(), L2::new(), SimDuration::ZERO);
    /// let store = Faulty::new(l2, sim, faults);
    /// let d = exec.block_on(guard.check(&store, SimTime::ZERO, "10.0.0.1")).unwrap();
    /// assert!(d.allowed);
    /// assert_eq!((d.limit, d.remaining), (10, 9));
    /// // During the outage fail-closed refuses, and says so in its counters.
    /// exec.advance_to(SimTime(1_500_000));
    /// assert!(!exec.block_on(guard.check(&store, SimTime(1_500_000), "10.0.0.1")).unwrap().allowed);
    /// assert_eq!(guard.outages().denied, 1);
    /// ```
    pub async fn check<S: Store + ?Sized>(
        &mut self,
        store: &S,
        now: SimTime,
        id: &str,
    ) -> Decision {
        let key = self.rule.key(id);
        match decide(&mut *self.limiter, store, now, &key).await {
            Ok(decision) => decision,
            Err(_) => self.outage_decision(),
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

/// An [`Error::Store`] with `detail`.
fn store_error(detail: impl Into<String>) -> Error {
    Error::Store {
        detail: detail.into(),
    }
}

/// A step's model twin: `body` with `?` on replies, its error as an error reply.
fn model_step(body: impl FnOnce() -> Result<Reply>) -> Reply {
    body().unwrap_or_else(|e| Reply::Error(e.to_string()))
}

/// Microseconds as milliseconds, rounded up (a client that waits this long is never early).
pub(crate) fn ceil_ms(us: u64) -> u64 {
    us.div_ceil(1_000)
}

/// A model store at zero round trip whose clock the test moves, for the limiters' tests.
#[cfg(test)]
pub(crate) mod lab {
    use super::{Decision, Limiter};
    use crate::error::Result;
    use crate::sim::{Executor, SimDuration, SimTime};
    use crate::strategy::SimL2;
    use crate::tiers::l2::{InvalidArguments, Reply};
    use crate::tiers::L2;

    pub(crate) struct Lab {
        exec: Executor,
        store: SimL2,
    }

    impl Lab {
        pub(crate) fn new() -> Lab {
            let exec = Executor::new();
            let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
            Lab { exec, store }
        }

        /// Moves the clock to `t` (the model's too).
        pub(crate) fn at(&self, t: SimTime) {
            self.exec.advance_to(t);
            self.store.model().borrow_mut().advance_to(t);
        }

        /// Decides a request at `t`.
        pub(crate) fn check(
            &self,
            limiter: &mut impl Limiter,
            t: SimTime,
            key: &str,
        ) -> Result<Decision> {
            self.at(t);
            self.exec
                .block_on(limiter.check(&self.store, t, key))
                .expect("a zero-round-trip store answers at once")
        }

        /// A console command on the model, now.
        pub(crate) fn exec(
            &self,
            line: &str,
        ) -> std::result::Result<Option<Reply>, InvalidArguments> {
            self.store.model().borrow_mut().exec(line)
        }

        pub(crate) fn dbsize(&self) -> u64 {
            self.store.model().borrow().dbsize()
        }
    }
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
