//! Scenario `ratelimit`: the four rate limiters of [`crate::ratelimit`] on the same traffic, with
//! a burst across a window boundary, an L2 outage and an admin reset.
//!
//! The traffic, all Poisson but the burst:
//!
//! - well-behaved signed-in users (`u1`, `u2`, …) reading and writing well under their limits;
//! - abusive signed-in users (`a1`, …) reading at `abuser_rate` and writing at a tenth of it;
//! - anonymous scrapers, known only by their address (`203.0.113.1`, …), reading at `abuser_rate`;
//! - one burst client (`b1`) that sends `burst_requests` reads evenly over `burst_span_ms`
//!   centred on `burst_at_s`. At the default, the burst's middle is the end of the first
//!   fixed window, which is the fixed window's weak spot: a full quota in the last moments of
//!   one window and another full quota at the start of the next.
//!
//! Three rules decide: signed-in reads (`read_limit` per `window_s` per user), signed-in writes
//! (`write_limit` per user) and anonymous reads (`ip_limit` per address). A token bucket gets the
//! same long-run rate: `limit` tokens, one more every `window / limit`.
//!
//! From `outage_from_s` for `outage_s` the limiters cannot reach L2 and follow their fail mode
//! (L2 keeps its state; only the app servers are cut off from it). At `reset_at_s` an admin resets
//! the first abuser: every limiter key of `user a1` goes (the admin reaches L2 even during an
//! outage).
//!
//! The shared report fields mean: `summary.db_queries` is admitted requests (what reaches the
//! application), `summary.errors` rejected ones (`429`), so `series.db_qps` is admissions per
//! second; latencies are not modelled.

use super::common::{alert_thresholds, param, with_common};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::Driver;
use super::lab::check_request_budget;
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::manager::Monitor;
use crate::metrics::{Metrics, Outcome, Purpose, Served};
use crate::ratelimit::{
    reset_subject, Decision, FailMode, FixedWindow, Limiter, Quota, RateLimiter, Rule, Scope,
    SlidingCounter, SlidingLog, TokenBucket,
};
use crate::sim::{SimDuration, SimRng, SimTime};
use crate::strategy::{Faults, Faulty, Window};
use crate::workload::{Arrivals, Op, PoissonClock};
use serde::Serialize;

/// The clients' random stream.
const WORKLOAD_STREAM: u64 = 1;

/// Abusers write at this fraction of their read rate.
const ABUSER_WRITE_FRACTION: f64 = 0.1;

/// The admin resets this subject (the first abuser).
const RESET_USER: &str = "a1";

/// The kinds of client, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    User,
    Abuser,
    Scraper,
    Burst,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::User, Kind::Abuser, Kind::Scraper, Kind::Burst];

    fn label(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Abuser => "abusers",
            Kind::Scraper => "scrapers",
            Kind::Burst => "burst",
        }
    }
}

/// A client: its kind and the id its rule counts it by.
#[derive(Clone, Debug)]
struct Client {
    kind: Kind,
    id: String,
}

impl Client {
    fn scope(&self) -> Scope {
        match self.kind {
            Kind::Scraper => Scope::Ip,
            Kind::User | Kind::Abuser | Kind::Burst => Scope::User,
        }
    }
}

/// Which rule a request falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RuleId {
    UserReads,
    UserWrites,
    IpReads,
}

impl RuleId {
    const ALL: [RuleId; 3] = [RuleId::UserReads, RuleId::UserWrites, RuleId::IpReads];

    fn rule(self) -> Rule {
        match self {
            RuleId::UserReads => Rule::new(Scope::User, "reads"),
            RuleId::UserWrites => Rule::new(Scope::User, "writes"),
            RuleId::IpReads => Rule::new(Scope::Ip, "reads"),
        }
    }

    fn label(self) -> &'static str {
        match self {
            RuleId::UserReads => "user reads",
            RuleId::UserWrites => "user writes",
            RuleId::IpReads => "ip reads",
        }
    }

    fn limit_param(self) -> &'static str {
        match self {
            RuleId::UserReads => "read_limit",
            RuleId::UserWrites => "write_limit",
            RuleId::IpReads => "ip_limit",
        }
    }
}

/// One request: when, from which client, under which rule.
#[derive(Clone, Copy, Debug)]
struct Request {
    at: SimTime,
    client: usize,
    rule: RuleId,
}

/// Admissions and refusals of one kind of client.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SubjectCounts {
    /// `users`, `abusers`, `scrapers` or `burst`.
    pub clients: &'static str,
    /// Requests they sent.
    pub requests: u64,
    /// Admitted.
    pub admitted: u64,
    /// Refused (`429`).
    pub rejected: u64,
}

/// The values a response carries as `X-RateLimit-*` headers, for one request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeaderSample {
    /// Arrival, in simulated seconds.
    pub t_s: f64,
    /// The subject, as `user a1` or `ip 203.0.113.1`.
    pub subject: String,
    /// `reads` or `writes`.
    pub endpoint: String,
    /// `200` if admitted, `429` if refused.
    pub status: u16,
    /// `X-RateLimit-Limit`.
    pub limit: u64,
    /// `X-RateLimit-Remaining`.
    pub remaining: u64,
    /// `X-RateLimit-Reset`: seconds until the full quota is back (rounded up).
    pub reset_s: u64,
}

/// The most admissions a rule gave one subject within one window's length.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowPeak {
    /// The rule (`user reads`, `user writes`, `ip reads`).
    pub rule: &'static str,
    /// Its limit per window.
    pub limit: u64,
    /// The most admissions in any window `(t - window, t]` for one subject.
    pub max_admitted_in_window: u64,
    /// The subject that got them.
    pub subject: String,
}

/// Decisions taken while L2 was unreachable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutageReport {
    /// Start, in simulated seconds.
    pub from_s: f64,
    /// End.
    pub to_s: f64,
    /// Requests decided without the store.
    pub requests: u64,
    /// Of those, admitted (fail-open).
    pub admitted: u64,
    /// Of those, refused (fail-closed).
    pub rejected: u64,
}

/// The admin reset of one subject.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResetReport {
    /// Who was reset.
    pub subject: String,
    /// When, in simulated seconds.
    pub at_s: f64,
    /// Limiter keys deleted.
    pub keys_deleted: u64,
    /// The subject's last read decided before the reset.
    pub before: Option<HeaderSample>,
    /// Its first read decided after it.
    pub after: Option<HeaderSample>,
}

/// What one limiter did with the scenario's traffic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateLimitReport {
    /// `token bucket`, `fixed window`, `sliding log` or `sliding counter`.
    pub algorithm: &'static str,
    /// `open` or `closed`: what it does while L2 is down.
    pub fail_mode: &'static str,
    /// Requests admitted.
    pub admitted: u64,
    /// Requests refused.
    pub rejected: u64,
    /// Per kind of client.
    pub clients: Vec<SubjectCounts>,
    /// Per rule, the most it admitted to one subject within one window's length. Only the
    /// limiter's own decisions count (not the fail mode's during the outage), and a subject's
    /// count starts afresh at its admin reset.
    pub window_peaks: Vec<WindowPeak>,
    /// The burst client's most admissions within one window's length.
    pub burst_max_in_window: u64,
    /// Header values of a few of the burst client's requests: the first two, the two either
    /// side of its middle, and the last.
    pub headers: Vec<HeaderSample>,
    /// The L2 outage.
    pub outage: OutageReport,
    /// The admin reset.
    pub reset: ResetReport,
    /// Refusals per second, per time-series bucket (admissions are `series.db_qps`).
    pub rejected_per_s: Vec<f64>,
}

impl RateLimitReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        format!(
            "{} fail-{}: admitted {}, refused {}, burst in one window {}, outage admitted {} refused {}",
            self.algorithm,
            self.fail_mode,
            self.admitted,
            self.rejected,
            self.burst_max_in_window,
            self.outage.admitted,
            self.outage.rejected
        )
    }
}

/// Scenario `ratelimit`.
pub(super) struct RateLimit;

variants! {
    /// Which limiter counts, and what it does while L2 is down.
    pub(super) enum Algorithm {
        TokenBucket = "token-bucket": "a bucket of `limit` tokens, one back every window / limit",
        FixedWindow = "fixed-window": "a counter per window: up to twice the limit across an edge",
        SlidingLog = "sliding-log": "a sorted set of admitted times: never more than the limit in any window",
        SlidingCounter = "sliding-counter": "this and the last window's counters, weighted: about the limit",
        FailClosed = "fail-closed": "the sliding log again, refusing everything while L2 is down",
    }
}

impl Experiment for RateLimit {
    type Variant = Algorithm;
    const NAME: &'static str = "ratelimit";
    const ABOUT: &'static str =
        "Token bucket, fixed window, sliding-window log and sliding-window counter limit \
                the same users, abusers and scrapers per user, per IP and per endpoint; a burst \
                across a window boundary, an L2 outage (fail-open against fail-closed) and an \
                admin reset.";

    fn params() -> Vec<ParamSpec> {
        let per_window = |name, meaning, default| {
            param(name, meaning, "requests", default, 1.0, 1_000_000.0, true)
        };
        let seconds =
            |name, meaning, default| param(name, meaning, "s", default, 0.0, 3_600.0, false);
        with_common(
            &["duration_s", "bucket_ms", "alert_hit_ratio", "alert_memory_mb"],
            &[("duration_s", 180.0)],
            &[
                param(
                    "users",
                    "well-behaved signed-in users",
                    "users",
                    20.0,
                    0.0,
                    10_000.0,
                    true,
                ),
                param(
                    "user_read_rate",
                    "reads a well-behaved user sends",
                    "requests/s",
                    0.5,
                    0.0,
                    1_000.0,
                    false,
                ),
                param(
                    "user_write_rate",
                    "writes a well-behaved user sends",
                    "requests/s",
                    0.05,
                    0.0,
                    1_000.0,
                    false,
                ),
                param(
                    "abusers",
                    "abusive signed-in users (the first, a1, is the one the admin resets)",
                    "users",
                    2.0,
                    0.0,
                    1_000.0,
                    true,
                ),
                param(
                    "scrapers",
                    "abusive anonymous clients, limited per IP address",
                    "clients",
                    2.0,
                    0.0,
                    1_000.0,
                    true,
                ),
                param(
                    "abuser_rate",
                    "reads an abuser or scraper sends (abusers write a tenth as often)",
                    "requests/s",
                    5.0,
                    0.0,
                    10_000.0,
                    false,
                ),
                per_window(
                    "read_limit",
                    "reads a signed-in user may send per window",
                    100.0,
                ),
                per_window(
                    "write_limit",
                    "writes a signed-in user may send per window",
                    10.0,
                ),
                per_window(
                    "ip_limit",
                    "reads an anonymous IP address may send per window",
                    100.0,
                ),
                param(
                    "window_s",
                    "the limits' window",
                    "s",
                    60.0,
                    1.0,
                    3_600.0,
                    true,
                ),
                param(
                    "burst_requests",
                    "reads the burst client sends",
                    "requests",
                    200.0,
                    0.0,
                    100_000.0,
                    true,
                ),
                seconds(
                    "burst_at_s",
                    "the middle of the burst (a multiple of window_s straddles a fixed window's edge)",
                    60.0,
                ),
                param(
                    "burst_span_ms",
                    "how long the burst lasts",
                    "ms",
                    2_000.0,
                    1.0,
                    3_600_000.0,
                    false,
                ),
                seconds("outage_from_s", "when L2 becomes unreachable", 120.0),
                seconds("outage_s", "how long L2 stays unreachable", 10.0),
                seconds("reset_at_s", "when the admin resets user a1", 170.0),
            ],
        )
    }

    const LIVE: &'static str = "The limiters' counters, logs and buckets live in the real \
        server as Lua scripts (on a cluster a subject's keys share a hash tag, so each script \
        runs on one slot); the scenario's outage is injected in front of the real server (the \
        client refuses every command for outage_s), while a real one — a server that stops — is \
        decided by the same fail mode and counted as L2 errors; limits are judged on each \
        request's scheduled arrival time, and a request admitted stands for a database query \
        that is counted, not made.";

    fn run_on<D: Driver>(
        p: &Params,
        variant: Algorithm,
        seed: u64,
        d: &D,
    ) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

/// The algorithm's name and a limiter of it for `limit` per `window_ms`.
fn limiter(
    variant: Algorithm,
    limit: u64,
    window_ms: u64,
) -> Result<(&'static str, Box<dyn Limiter>)> {
    let quota = Quota::new(limit, window_ms)?;
    Ok(match variant {
        Algorithm::TokenBucket => (
            "token bucket",
            Box::new(TokenBucket::new(limit, (window_ms / limit).max(1))?),
        ),
        Algorithm::FixedWindow => ("fixed window", Box::new(FixedWindow::new(quota))),
        Algorithm::SlidingCounter => ("sliding counter", Box::new(SlidingCounter::new(quota))),
        Algorithm::SlidingLog | Algorithm::FailClosed => {
            ("sliding log", Box::new(SlidingLog::new(quota)))
        }
    })
}

/// The clients and their requests, in time order; the same for every variant.
fn traffic(p: &Params, seed: u64) -> Result<(Vec<Client>, Vec<Request>)> {
    let end = SimTime::ZERO + SimDuration::from_secs_f64(p.get("duration_s")?);
    let mut rng = SimRng::fork(seed, WORKLOAD_STREAM);
    let mut clients = Vec::new();
    let mut requests = Vec::new();
    let abuser_rate = p.get("abuser_rate")?;
    let mut poisson = |clients: &mut Vec<Client>, kind, id: String, reads: f64, writes: f64| {
        let index = clients.len();
        clients.push(Client { kind, id });
        let (read_rule, write_rule) = match kind {
            Kind::Scraper => (RuleId::IpReads, RuleId::IpReads),
            Kind::User | Kind::Abuser | Kind::Burst => (RuleId::UserReads, RuleId::UserWrites),
        };
        let total = reads + writes;
        if total <= 0.0 {
            return;
        }
        let mut clock = PoissonClock::new(total);
        loop {
            let at = clock.next(&mut rng);
            if at >= end {
                return;
            }
            let rule = match rng.chance(writes / total) {
                true => write_rule,
                false => read_rule,
            };
            requests.push(Request {
                at,
                client: index,
                rule,
            });
        }
    };
    for i in 1..=p.get_u64("users")? {
        let (r, w) = (p.get("user_read_rate")?, p.get("user_write_rate")?);
        poisson(&mut clients, Kind::User, format!("u{i}"), r, w);
    }
    for i in 1..=p.get_u64("abusers")? {
        let writes = abuser_rate * ABUSER_WRITE_FRACTION;
        poisson(
            &mut clients,
            Kind::Abuser,
            format!("a{i}"),
            abuser_rate,
            writes,
        );
    }
    for i in 1..=p.get_u64("scrapers")? {
        let ip = format!("203.0.113.{i}");
        poisson(&mut clients, Kind::Scraper, ip, abuser_rate, 0.0);
    }
    let burst = clients.len();
    clients.push(Client {
        kind: Kind::Burst,
        id: "b1".to_string(),
    });
    let n = p.get_u64("burst_requests")?;
    let span_us = p.get("burst_span_ms")? * 1e3;
    let start_us = p.get("burst_at_s")? * 1e6 - span_us / 2.0;
    for i in 0..n {
        let t = start_us + span_us * i as f64 / n as f64;
        let at = SimTime(libm::round(t.max(0.0)) as u64);
        if t >= 0.0 && at < end {
            requests.push(Request {
                at,
                client: burst,
                rule: RuleId::UserReads,
            });
        }
    }
    crate::order::by_key_pair(&mut requests, |r| (r.at.as_micros(), r.client as u64));
    Ok((clients, requests))
}

/// Requests a second the traffic will send on average, to refuse oversized runs up front.
fn expected_rate(p: &Params) -> Result<f64> {
    let users = p.get("users")? * (p.get("user_read_rate")? + p.get("user_write_rate")?);
    let abusers = p.get("abusers")? * p.get("abuser_rate")? * (1.0 + ABUSER_WRITE_FRACTION);
    let scrapers = p.get("scrapers")? * p.get("abuser_rate")?;
    Ok(users + abusers + scrapers + p.get("burst_requests")? / p.get("duration_s")?)
}

/// The header values of `decision` for `client`'s request under `rule` at `at`.
fn header(at: SimTime, client: &Client, rule: RuleId, decision: Decision) -> HeaderSample {
    HeaderSample {
        t_s: at.as_secs_f64(),
        subject: format!("{} {}", client.scope().as_str(), client.id),
        endpoint: rule.rule().endpoint,
        status: if decision.allowed { 200 } else { 429 },
        limit: decision.limit,
        remaining: decision.remaining,
        reset_s: decision.reset_ms.div_ceil(1_000),
    }
}

/// The most of `times` (sorted) in any window `(t - window, t]`.
fn max_in_any_window(times: &[SimTime], window: SimDuration) -> u64 {
    (0..times.len())
        .map(|i| {
            let start = times.partition_point(|&s| s + window <= times[i]);
            (i + 1 - start) as u64
        })
        .max()
        .unwrap_or(0)
}

/// Runs `variant` over the scenario's traffic on `d`.
fn run<D: Driver>(p: &Params, variant: Algorithm, seed: u64, d: &D) -> Result<VariantReport> {
    let duration = SimDuration::from_secs_f64(p.get("duration_s")?);
    let arrivals = Arrivals::Poisson {
        per_sec: expected_rate(p)?,
    };
    check_request_budget(arrivals, duration)?;
    let window_ms = p.get_u64("window_s")? * 1_000;
    let window = SimDuration::from_millis(window_ms);
    let fail_mode = match variant {
        Algorithm::FailClosed => FailMode::Closed,
        Algorithm::TokenBucket
        | Algorithm::FixedWindow
        | Algorithm::SlidingLog
        | Algorithm::SlidingCounter => FailMode::Open,
    };
    let mut algorithm = "";
    let mut guards = Vec::new();
    for rule in RuleId::ALL {
        let (label, limiter) = limiter(variant, p.get_u64(rule.limit_param())?, window_ms)?;
        algorithm = label;
        guards.push(RateLimiter::new(rule.rule(), limiter, fail_mode));
    }
    let (clients, requests) = traffic(p, seed)?;
    let secs =
        |name| Ok::<_, crate::Error>(SimTime::ZERO + SimDuration::from_secs_f64(p.get(name)?));
    let outage_from = secs("outage_from_s")?;
    let outage_to = outage_from + SimDuration::from_secs_f64(p.get("outage_s")?);
    let reset_at = secs("reset_at_s")?;
    let end = SimTime::ZERO + duration;
    let bucket = SimDuration::from_secs_f64(p.get("bucket_ms")? / 1e3);
    let mut metrics = Metrics::new(bucket, end, u64::MAX, 0, None);
    let mut rejected_per_bucket = vec![0u64; end.as_micros().div_ceil(bucket.as_micros()) as usize];

    // The shared cache at zero round trip on a clock this loop moves; the outage is the
    // store's, a fault window in which every command is refused (L2 keeps its state).
    let outages = vec![Window {
        from: outage_from,
        to: outage_to,
    }];
    let faults = Faults {
        outages,
        ..Faults::default()
    };
    let store = Faulty::new(d.store(SimDuration::ZERO)?, d.runtime(), faults);
    let model = d.model(store.inner());
    let mut monitor = match model {
        Some(l2) => Some(Monitor::new(bucket, alert_thresholds(p)?, &l2.borrow())),
        None => None,
    };
    // Per kind and per rule, arrays by the enums' order rather than maps: the page's module would
    // carry a map's code for each key and value type.
    let mut counts: [SubjectCounts; Kind::ALL.len()] = Default::default();
    // Times the limiter itself admitted, per (rule, client) at `rule * clients + client`; reset on
    // an admin reset.
    let slot = |rule: RuleId, client: usize| rule as usize * clients.len() + client;
    let mut admitted_at: Vec<Vec<SimTime>> = vec![Vec::new(); RuleId::ALL.len() * clients.len()];
    let mut burst_admitted = Vec::new();
    let mut burst_decisions = Vec::new();
    let mut outage = OutageReport {
        from_s: outage_from.as_secs_f64(),
        to_s: outage_to.as_secs_f64(),
        requests: 0,
        admitted: 0,
        rejected: 0,
    };
    let mut reset = ResetReport {
        subject: format!("user {RESET_USER}"),
        at_s: reset_at.as_secs_f64(),
        keys_deleted: 0,
        before: None,
        after: None,
    };
    let mut reset_done = false;
    let mut peaks = [NO_PEAK; RuleId::ALL.len()];
    let reset_client = clients.iter().position(|c| c.id == RESET_USER);

    for request in requests {
        if let (Some(monitor), Some(l2)) = (&mut monitor, model) {
            monitor.catch_up(&l2.borrow(), request.at);
        }
        if !reset_done && request.at >= reset_at {
            reset_done = true;
            d.advance_to(reset_at)?;
            // A reset the store cannot run (during the outage) deletes nothing.
            let reset_run = d.block_on(reset_subject(&store, Scope::User, RESET_USER));
            reset.keys_deleted = match reset_run {
                Ok(deleted) => deleted,
                Err(Error::Store { .. }) => 0,
                Err(other) => return Err(other),
            };
            if let Some(c) = reset_client {
                for rule in RuleId::ALL {
                    let times = std::mem::take(&mut admitted_at[slot(rule, c)]);
                    note_peak(&mut peaks, rule, c, &times, window);
                }
            }
        }
        let client = &clients[request.client];
        let in_outage = outage_from <= request.at && request.at < outage_to;
        let guard = &mut guards[request.rule as usize];
        d.advance_to(request.at)?;
        let without_store = guard.outages();
        let check = async { Ok(guard.check(&store, request.at, &client.id).await) };
        let decision = d.block_on(check)?;
        // A decision made without the store outside the injected outage: the real server
        // failed (live), and the fail mode decided.
        if guard.outages() != without_store && !in_outage {
            metrics.record_l2_error(request.at);
        }
        let sample = || header(request.at, client, request.rule, decision);
        if Some(request.client) == reset_client && request.rule == RuleId::UserReads {
            match reset_done {
                false => reset.before = Some(sample()),
                true if reset.after.is_none() => reset.after = Some(sample()),
                true => {}
            }
        }
        if client.kind == Kind::Burst {
            burst_decisions.push(sample());
        }
        if in_outage {
            outage.requests += 1;
            outage.admitted += u64::from(decision.allowed);
            outage.rejected += u64::from(!decision.allowed);
        } else if decision.allowed {
            admitted_at[slot(request.rule, request.client)].push(request.at);
            if client.kind == Kind::Burst {
                burst_admitted.push(request.at);
            }
        }
        let entry = &mut counts[client.kind as usize];
        entry.requests += 1;
        let op = Op::Read(request.client as u64);
        if decision.allowed {
            entry.admitted += 1;
            metrics.record_db_query(request.at, request.client as u64, Purpose::Load);
            let outcome = Outcome::Read {
                served: Served::Db,
                stale: false,
            };
            metrics.record_request(op, request.at, request.at, outcome);
        } else {
            entry.rejected += 1;
            metrics.record_request(op, request.at, request.at, Outcome::Error);
            let i = (request.at.as_micros() / bucket.as_micros()) as usize;
            if let Some(b) = rejected_per_bucket.get_mut(i) {
                *b += 1;
            }
        }
    }
    // Only the (rule, client) pairs with admissions since the reset, as the reset already noted
    // its own.
    for rule in RuleId::ALL {
        for (client, times) in admitted_at[slot(rule, 0)..slot(rule, clients.len())]
            .iter()
            .enumerate()
        {
            if !times.is_empty() {
                note_peak(&mut peaks, rule, client, times, window);
            }
        }
    }

    let monitoring = match (monitor, model) {
        (Some(mut monitor), Some(l2)) => {
            monitor.catch_up(&l2.borrow(), end);
            Some(monitor.finish(&l2.borrow()))
        }
        _ => None,
    };
    let (summary, series) = metrics.finish(0);
    let n = burst_decisions.len();
    let mut picks = vec![0, 1, (n / 2).saturating_sub(1), n / 2, n.saturating_sub(1)];
    picks.sort_unstable();
    picks.dedup();
    let headers = picks
        .into_iter()
        .filter_map(|i| burst_decisions.get(i).cloned())
        .collect();
    let per_sec = 1.0 / bucket.as_secs_f64();
    let report = RateLimitReport {
        algorithm,
        fail_mode: match fail_mode {
            FailMode::Open => "open",
            FailMode::Closed => "closed",
        },
        admitted: summary.db_queries,
        rejected: summary.errors,
        clients: Kind::ALL
            .iter()
            .map(|kind| SubjectCounts {
                clients: kind.label(),
                ..counts[*kind as usize].clone()
            })
            .collect(),
        window_peaks: RuleId::ALL
            .iter()
            .map(|&rule| {
                let (max, client) = peaks[rule as usize];
                Ok(WindowPeak {
                    rule: rule.label(),
                    limit: p.get_u64(rule.limit_param())?,
                    max_admitted_in_window: max,
                    subject: clients.get(client).map_or(String::new(), |c| c.id.clone()),
                })
            })
            .collect::<Result<_>>()?,
        burst_max_in_window: max_in_any_window(&burst_admitted, window),
        headers,
        outage,
        reset,
        rejected_per_s: rejected_per_bucket
            .iter()
            .map(|&r| r as f64 * per_sec)
            .collect(),
    };
    Ok(VariantReport {
        section: Some(report.into()),
        monitoring,
        ..VariantReport::basic(variant.name(), summary, series)
    })
}

/// A rule's peak before any client was noted: (most admitted in a window, client).
const NO_PEAK: (u64, usize) = (0, usize::MAX);

/// Records `client`'s busiest window under `rule` if it beats the rule's peak so far (ties keep
/// the earlier client).
fn note_peak(
    peaks: &mut [(u64, usize); RuleId::ALL.len()],
    rule: RuleId,
    client: usize,
    times: &[SimTime],
    window: SimDuration,
) {
    let max = max_in_any_window(times, window);
    let best = &mut peaks[rule as usize];
    if max > best.0 || (max == best.0 && client < best.1) {
        *best = (max, client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_window_is_found_at_any_position() {
        let t = |ms: u64| SimTime(ms * 1_000);
        let window = SimDuration::from_millis(1_000);
        // Windows are half-open, (t - 1 s, t]: 0 and 1000 ms are never in one window.
        assert_eq!(max_in_any_window(&[t(0), t(1_000)], window), 1);
        assert_eq!(max_in_any_window(&[t(0), t(999)], window), 2);
        // The busiest window straddles the others: 500..1400 holds four.
        let times = [t(0), t(500), t(900), t(1_000), t(1_400), t(2_600)];
        assert_eq!(max_in_any_window(&times, window), 4);
        assert_eq!(max_in_any_window(&[], window), 0);
    }

    #[test]
    fn the_burst_is_centred_on_its_moment() {
        let specs = RateLimit::params();
        let p = crate::scenario::resolve(&specs, &[]).unwrap();
        let (clients, requests) = traffic(&p, 1).unwrap();
        let burst: Vec<SimTime> = requests
            .iter()
            .filter(|r| clients[r.client].kind == Kind::Burst)
            .map(|r| r.at)
            .collect();
        assert_eq!(burst.len(), 200);
        assert_eq!(burst[0], SimTime(59_000_000));
        assert_eq!(burst[100], SimTime(60_000_000));
        assert!(requests.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
