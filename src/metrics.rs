//! What a run measures: hits and misses per tier, database queries (in total, per simulated-time
//! bucket, for the hot key and for keys that do not exist), latency percentiles, errors and stale
//! reads — and how those become a report's summary and time series.
//!
//! Requests are counted in the bucket in which they *arrived*, so a second of overload shows up
//! in that second's p99 even if its requests finished much later. Database queries are counted in
//! the bucket in which they were issued; those issued after the last request arrived (late loads,
//! lock fallbacks, write-behind flushes) count in the summary and in the series'
//! `late_db_queries`, not in a bucket. A rate is divided by the time its bucket covers, so the
//! last, partial bucket is not diluted. A bucket in which no request arrived has no hit ratio and
//! no latency (`null`), not a zero that a chart would draw as a collapse.

use crate::sim::{SimDuration, SimTime};
use crate::workload::Op;
use serde::Serialize;

/// Which tier answered a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// The in-process cache.
    L1,
    /// The shared cache, with a fresh entry.
    L2,
    /// The shared cache, with an entry past its freshness (stale-while-revalidate's grace).
    L2Stale,
    /// The database, queried by this very request.
    Db,
    /// Another request's database load, waited for (singleflight).
    Coalesced,
    /// The shared cache, read after waiting for the lock holder's load to fill it.
    AfterLock,
}

/// Why the database was queried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// To fill the cache (a miss, an early or a background refresh).
    Load,
    /// A read that gave up waiting for another's load and does not fill the cache.
    Fallback,
    /// A write.
    Write,
}

/// One line of step mode's event log: what happened to which key, and when, for which request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    #[serde(skip)]
    at: SimTime,
    /// When, in simulated milliseconds.
    pub t_ms: f64,
    /// The request it happened for (numbered in order of arrival within a run), if it happened
    /// inside one: the events of one request share it, so a learner can follow that request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req: Option<u64>,
    /// The key.
    pub key: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: EventKind,
    /// For the end of a request: how long it took, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// What an [`Event`] records.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A request arrived (its first event).
    Arrived {
        /// Whether it is a write (else a read).
        write: bool,
    },
    /// A read ended, answered by `served`.
    Read {
        /// Which tier answered (or that it waited for another request's load).
        #[serde(serialize_with = "served_name")]
        served: Served,
        /// Whether the answer was older than the database's row or past its freshness.
        stale: bool,
    },
    /// A write reached the database.
    Write,
    /// A request failed (timed out, or the load it waited for was abandoned).
    Failed,
    /// A read found nothing for the key in the in-process L1.
    L1Miss,
    /// The key was put into the in-process L1.
    L1Fill,
    /// A read found the key missing from L2.
    L2Miss,
    /// A read took the key's lock (`SET NX` won): it loads, the others wait.
    LockTaken,
    /// A read found the key's lock held by another request (`SET NX` lost): it waits and polls.
    LockRefused,
    /// XFetch's coin said to refresh this fresh entry before it expires: the read loads it.
    EarlyRefresh,
    /// The database was queried.
    DbQuery {
        /// Why: a cache fill, a lock waiter's fallback, or a write.
        #[serde(serialize_with = "purpose_name")]
        purpose: Purpose,
    },
    /// The key was written to L2, fresh for this long.
    Fill {
        /// Milliseconds until it goes stale.
        fresh_for_ms: f64,
    },
}

fn served_name<S: serde::Serializer>(
    served: &Served,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(match served {
        Served::L1 => "l1",
        Served::L2 => "l2",
        Served::L2Stale => "l2_stale",
        Served::Db => "db",
        Served::Coalesced => "coalesced",
        Served::AfterLock => "after_lock",
    })
}

fn purpose_name<S: serde::Serializer>(
    purpose: &Purpose,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(match purpose {
        Purpose::Load => "load",
        Purpose::Fallback => "fallback",
        Purpose::Write => "write",
    })
}

thread_local! {
    /// The request whose future is being polled right now (see [`in_request`]). The executor
    /// polls one task at a time, so whatever a poll records synchronously belongs to it.
    static CURRENT_REQUEST: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs `future` as request `id`: while it is polled, the events it logs carry `id`. With `None`
/// (the request is not in the step log) it only awaits `future`.
pub async fn in_request<F: std::future::Future>(id: Option<u64>, future: F) -> F::Output {
    match id {
        None => future.await,
        // Boxed so that the wrapper needs no pin projection: only logged requests pay for it.
        Some(id) => {
            InRequest {
                id,
                future: Box::pin(future),
            }
            .await
        }
    }
}

struct InRequest<F> {
    id: u64,
    future: std::pin::Pin<Box<F>>,
}

impl<F: std::future::Future> std::future::Future for InRequest<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let outer = CURRENT_REQUEST.with(|c| c.replace(Some(self.id)));
        let polled = self.future.as_mut().poll(cx);
        CURRENT_REQUEST.with(|c| c.set(outer));
        polled
    }
}

/// Runs `future`, work that is no request (a warm-up's reads), so that step mode lists none of
/// the events it causes.
pub async fn unlisted<F: std::future::Future>(future: F) -> F::Output {
    in_request(Some(UNLISTED), future).await
}

/// The request being polled, if any (see [`in_request`]).
pub fn current_request() -> Option<u64> {
    CURRENT_REQUEST.with(std::cell::Cell::get)
}

/// Step mode's log: the requests that arrive from `from` on, with every event of each, until
/// `limit` events are listed. A request is admitted when it arrives, and once admitted all its
/// events are kept, even those after the log filled up — so no request is cut in half and no step
/// is listed without the request it belongs to. Events outside any request (a scenario that does
/// not number its requests) are kept while the log is not full.
#[derive(Default)]
struct EventLog {
    limit: usize,
    from: SimTime,
    next_request: u64,
    admitted: std::collections::BTreeSet<u64>,
    events: Vec<Event>,
}

/// The number of a request that step mode's log does not list (it arrived before the log's start
/// or after it filled up): never admitted, so none of its events is listed.
const UNLISTED: u64 = u64::MAX;

/// How many events the tails of admitted requests may add beyond the limit, per allowed event
/// (a lock waiter polls at most a few dozen times): a bound on memory, never reached in practice.
const TAIL_FACTOR: usize = 64;

impl EventLog {
    fn on(&self) -> bool {
        self.limit > 0
    }

    /// Logs the event `describe` gives if the log keeps it; `describe` runs only when it does,
    /// so a run without step mode pays one comparison per event.
    fn log(
        &mut self,
        at: SimTime,
        took: Option<SimDuration>,
        describe: impl FnOnce() -> (u64, EventKind),
    ) {
        if self.limit == 0 || at < self.from {
            return;
        }
        let req = current_request();
        let keep = match req {
            Some(id) => self.admitted.contains(&id),
            None => self.events.len() < self.limit,
        };
        if keep && self.events.len() < self.limit * TAIL_FACTOR {
            self.push(at, req, took, describe());
        }
    }

    fn push(
        &mut self,
        at: SimTime,
        req: Option<u64>,
        took: Option<SimDuration>,
        e: (u64, EventKind),
    ) {
        let (key, what) = e;
        self.events.push(Event {
            at,
            t_ms: at.as_micros() as f64 / 1e3,
            req,
            key,
            what,
            latency_ms: took.map(SimDuration::as_millis_f64),
        });
    }

    /// A request for `key` arrives at `at`: its number if the log admits it, [`UNLISTED`] if it
    /// arrived before the log's start (so that none of its events is listed), `None` if the log
    /// is off or full.
    fn arrive(&mut self, at: SimTime, key: u64, write: bool) -> Option<u64> {
        // Once full, the log stays full and keeps no event of an unnumbered request: later
        // requests need no number (and no boxed future) to be left out.
        if self.limit == 0 || self.events.len() >= self.limit {
            return None;
        }
        if at < self.from {
            return Some(UNLISTED);
        }
        let id = self.next_request;
        self.next_request += 1;
        self.admitted.insert(id);
        self.push(at, Some(id), None, (key, EventKind::Arrived { write }));
        Some(id)
    }
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A read, answered by `served`; `stale` if the answer was older than the database's row or
    /// past its freshness.
    Read {
        /// The tier that answered.
        served: Served,
        /// Whether the answer was stale.
        stale: bool,
    },
    /// A write that reached the database.
    Write,
    /// A request that failed (timed out, or its load was abandoned).
    Error,
}

/// Plain counters, kept for the whole run and for every bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Requests that arrived (reads and writes).
    pub requests: u64,
    /// Reads answered by L1.
    pub l1_hits: u64,
    /// Reads answered by L2 without waiting for anyone (stale answers included).
    pub l2_hits: u64,
    /// Reads answered by the value another request loaded, after waiting for that load:
    /// singleflight's merged waiters (`coalesced`) and the lock's waiters that then found the
    /// holder's fill in L2. Neither a hit (the cache did not have it when asked) nor a miss (no
    /// query of their own).
    pub waited: u64,
    /// Reads answered by a database query of their own (lock fallbacks included).
    pub misses: u64,
    /// Database queries issued.
    pub db_queries: u64,
    /// Requests that failed.
    pub errors: u64,
    /// Reads answered with stale data.
    pub stale_reads: u64,
    /// Reads that stopped waiting for a lock holder's load and queried the database themselves.
    pub fallbacks: u64,
    /// Reads that waited for another request's load instead of querying.
    pub coalesced: u64,
    /// Shared-cache commands that failed and that the request went on without (fail open).
    #[serde(skip_serializing_if = "is_zero")]
    pub l2_errors: u64,
    /// Reads among the failed requests (`errors`): in the whole of the hit ratio, so that a run
    /// whose reads fail cannot show a high hit ratio over the few it answered. Left out of the
    /// JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub failed_reads: u64,
}

/// Keeps a counter that only a real server can make non-zero out of the simulator's reports.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counters {
    fn add(&mut self, other: &Counters) {
        self.requests += other.requests;
        self.l1_hits += other.l1_hits;
        self.l2_hits += other.l2_hits;
        self.waited += other.waited;
        self.misses += other.misses;
        self.db_queries += other.db_queries;
        self.errors += other.errors;
        self.stale_reads += other.stale_reads;
        self.fallbacks += other.fallbacks;
        self.coalesced += other.coalesced;
        self.l2_errors += other.l2_errors;
        self.failed_reads += other.failed_reads;
    }

    /// Every read that ended, answered or failed: the whole of the hit ratio.
    pub fn reads(&self) -> u64 {
        self.l1_hits + self.l2_hits + self.waited + self.misses + self.failed_reads
    }

    /// The hit ratio, `(l1_hits + l2_hits) / (l1_hits + l2_hits + waited + misses +
    /// failed_reads)` — see [`HIT_RATIO_DEFINITION`]; 0 without reads.
    pub fn hit_ratio(&self) -> f64 {
        Counters::ratio(self.l1_hits + self.l2_hits, self.reads())
    }

    fn ratio(part: u64, whole: u64) -> f64 {
        if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        }
    }
}

/// What every scenario's hit ratio counts, in one sentence for the tables that show it (the CLI
/// prints it under its table, the page under its own): the same for every variant, so a
/// protection that makes requests wait is not scored as a cache that missed, nor as one that hit.
pub const HIT_RATIO_DEFINITION: &str = "Hit ratio = reads answered by L1 or L2 at once ÷ all \
reads, failed ones included. A read that waited for another request's load (singleflight's \
merged waiters, the lock's waiters that then read the holder's fill) counts as \"waited\": in \
the whole, not a hit; a read that queried the database itself (lock fallbacks included) is a \
miss; a read that failed (timed out) is in the whole too.";

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl LatencyMs {
    /// The percentiles of `values` (microseconds), reordering them; all 0 when empty.
    fn of(values: &mut [u32]) -> LatencyMs {
        LatencyMs {
            p50: percentile_ms(values, 0.50),
            p95: percentile_ms(values, 0.95),
            p99: percentile_ms(values, 0.99),
            max: values.iter().max().map_or(0.0, |&m| m as f64 / 1e3),
        }
    }
}

/// The heads of a run's summary table, one per column, as both faces print them (`cachelab run`'s
/// table and the page's, through the wasm export `summaryColumns`): "failed requests" is the
/// requests counted in `errors`, named once here.
pub const SUMMARY_COLUMNS: [&str; 16] = [
    "variant",
    "requests",
    "L1 hits",
    "L2 hits",
    "waited",
    "misses",
    "DB queries",
    "max DB in flight",
    "hit ratio",
    "p50 ms",
    "p99 ms",
    "max ms",
    "failed requests",
    "stale reads",
    "fallbacks",
    "coalesced",
];

/// The headline numbers of one variant: the run's counters (flattened into the same JSON object,
/// and read through `Deref`: `summary.requests`), its database peak, hit ratio and latencies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Requests, hits per tier, misses, database queries, errors, stale reads, fallbacks,
    /// coalesced reads and shared-cache errors over the whole run. `l2_errors` is always 0 on
    /// the model (see the strategy module's "Failing open"), and then left out of the JSON.
    #[serde(flatten)]
    pub counts: Counters,
    /// The most database queries in flight at once (waiting for a connection or running).
    pub max_db_in_flight: u64,
    /// The highest per-bucket database load, in queries per second (the series' `db_qps` at its
    /// peak): the one place every face reads it from.
    pub peak_db_qps: f64,
    /// `(l1_hits + l2_hits) / (l1_hits + l2_hits + waited + misses)`: see
    /// [`HIT_RATIO_DEFINITION`].
    pub hit_ratio: f64,
    /// Reads served a value that belongs to another call, key or shape (a cache key shared by
    /// two calls, bytes decoded into the wrong type): 0 in a scenario that cannot serve one.
    /// The scenario that can sets it from its own tally after [`Metrics::finish`].
    pub wrong_values: u64,
    /// Latency of every request: an answered one until its answer, a failed one until it failed.
    pub latency_ms: LatencyMs,
    /// Latency of the answered requests alone (only when some failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_latency_ms: Option<LatencyMs>,
    /// Time until failure of the failed requests alone (only when some failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_latency_ms: Option<LatencyMs>,
}

impl std::ops::Deref for Summary {
    type Target = Counters;
    fn deref(&self) -> &Counters {
        &self.counts
    }
}

/// One value per bucket of simulated time. Every bucket is as wide as configured except the last,
/// which ends with the arrivals; rates are per second of the time a bucket covers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Series {
    /// Start of each bucket, in seconds.
    pub t_s: Vec<f64>,
    /// Hit ratio of both caches together (`None`: no read was answered in the bucket).
    pub hit_ratio: Vec<Option<f64>>,
    /// Database queries per second.
    pub db_qps: Vec<f64>,
    /// 99th-percentile latency of the requests that arrived in the bucket, failed ones until they
    /// failed (`None`: no request arrived).
    pub p99_ms: Vec<Option<f64>>,
    /// Share of reads answered by L1 (`None`: no read was answered).
    pub l1_hit_ratio: Vec<Option<f64>>,
    /// Share of reads answered by L2 (`None`: no read was answered).
    pub l2_hit_ratio: Vec<Option<f64>>,
    /// Requests that arrived in the bucket.
    pub requests: Vec<u64>,
    /// Reads among them that ended, answered by any tier or failed: the whole of the hit ratios.
    pub reads: Vec<u64>,
    /// Requests among them that failed.
    pub errors: Vec<u64>,
    /// Database queries issued after the last request arrived (late loads, lock fallbacks,
    /// write-behind flushes): in the summary's count, in no bucket.
    pub late_db_queries: u64,
}

/// Database work for the watched hot key, cut at the moments its cached entry expired.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HotKeyReport {
    /// The key.
    pub key: u64,
    /// When its entry expired (its freshness ended with no refresh before), in seconds.
    pub expiries_s: Vec<f64>,
    /// Cache-filling database queries between each expiry and the next.
    pub loads_per_expiry: Vec<u64>,
    /// Fallback queries (lock waiters that gave up) in the same windows.
    pub fallbacks_per_expiry: Vec<u64>,
    /// Reads that found it missing from L2 in the same windows: the concurrent requests an
    /// unprotected cache sends to the database.
    pub l2_misses_per_expiry: Vec<u64>,
    /// All cache-filling queries for it.
    pub loads: u64,
    /// Those divided by the number of TTL periods in the run.
    pub loads_per_ttl_period: f64,
}

/// Reads for keys that do not exist.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MissingKeysReport {
    /// Such reads.
    pub requests: u64,
    /// Database queries they caused.
    pub db_queries: u64,
    /// Distinct missing keys that were read.
    pub distinct_keys: u64,
}

struct Bucket {
    counters: Counters,
    /// Latencies of the answered requests.
    latencies_us: Vec<u32>,
    /// Times until failure of the failed ones.
    failed_us: Vec<u32>,
}

struct HotTrace {
    key: u64,
    /// `(set at, fresh until)` of every write of its entry to L2.
    fills: Vec<(SimTime, SimTime)>,
    loads: Vec<SimTime>,
    fallbacks: Vec<SimTime>,
    l2_misses: Vec<SimTime>,
}

/// Collects a run's measurements.
pub struct Metrics {
    events: EventLog,
    bucket: SimDuration,
    horizon: SimTime,
    existing_keys: u64,
    buckets: Vec<Bucket>,
    hot: Option<HotTrace>,
    missing: MissingKeysReport,
    missing_seen: Vec<bool>,
}

impl Metrics {
    /// Measurements in buckets of `bucket` (at least 1 µs) over `[0, horizon)`, the time in which
    /// requests arrive, for a key space whose keys `0..existing_keys` exist and whose
    /// `missing_keys` keys after them do not; `hot` names a key to trace per expiry.
    ///
    /// Work done after the horizon (the last requests finishing, background refreshes) counts in
    /// one extra bucket, so no amount of trailing work can grow the series without bound.
    pub fn new(
        bucket: SimDuration,
        horizon: SimTime,
        existing_keys: u64,
        missing_keys: u64,
        hot: Option<u64>,
    ) -> Self {
        let bucket = SimDuration(bucket.as_micros().max(1));
        // Bounded by the scenario limits on duration and bucket width.
        let series_len = horizon.as_micros().div_ceil(bucket.as_micros()) as usize;
        Metrics {
            events: EventLog::default(),
            bucket,
            horizon,
            existing_keys,
            buckets: (0..=series_len)
                .map(|_| Bucket {
                    counters: Counters::default(),
                    latencies_us: Vec::new(),
                    failed_us: Vec::new(),
                })
                .collect(),
            hot: hot.map(|key| HotTrace {
                key,
                fills: Vec::new(),
                loads: Vec::new(),
                fallbacks: Vec::new(),
                l2_misses: Vec::new(),
            }),
            missing: MissingKeysReport::default(),
            // Bounded by the scenario limits on keys.
            missing_seen: vec![false; missing_keys as usize],
        }
    }

    /// Step mode: logs the requests that arrive from `from` on, with all their events, until
    /// `limit` events are listed.
    pub fn start_event_log(&mut self, limit: usize, from: SimTime) {
        self.events.limit = limit;
        self.events.from = from;
    }

    /// Whether step mode's log is on (so a request should be numbered: see [`Metrics::arrive`]).
    pub fn logging(&self) -> bool {
        self.events.on()
    }

    /// A request for `op` arrives at `now`: its number, if the step log admits it (the caller
    /// then runs it under [`in_request`]).
    pub fn arrive(&mut self, now: SimTime, op: Op) -> Option<u64> {
        let (key, write) = match op {
            Op::Read(key) => (key, false),
            Op::Write(key) => (key, true),
        };
        self.events.arrive(now, key, write)
    }

    /// Step mode: a step of the current request that only the log shows (an L1 miss, a lock
    /// taken or refused, an early refresh).
    pub fn record_step(&mut self, now: SimTime, key: u64, what: EventKind) {
        self.events.log(now, None, || (key, what));
    }

    /// The events logged, in time order (ties in the order they happened). Merged parts (see
    /// `merge`) each kept up to the limit: the earliest requests of all of them are kept, whole,
    /// until the limit.
    pub fn take_events(&mut self) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.events.events);
        crate::order::by_key(&mut events, |e| e.at.as_micros());
        let limit = self.events.limit;
        let mut kept = std::collections::BTreeSet::new();
        let mut count = 0;
        events.retain(|e| {
            let keep = match (e.req, e.what) {
                (Some(id), EventKind::Arrived { .. }) if count < limit => kept.insert(id),
                (Some(id), _) => kept.contains(&id),
                (None, _) => count < limit,
            };
            count += usize::from(keep);
            keep
        });
        events
    }

    fn at(&mut self, t: SimTime) -> &mut Bucket {
        let last = self.buckets.len() - 1;
        let i = (t.as_micros() / self.bucket.as_micros()).min(last as u64);
        &mut self.buckets[i as usize]
    }

    /// Request `op` that arrived at `arrived` ended at `now` with `outcome`.
    pub fn record_request(&mut self, op: Op, arrived: SimTime, now: SimTime, outcome: Outcome) {
        if let Some(i) = match op {
            Op::Read(key) => key.checked_sub(self.existing_keys),
            Op::Write(_) => None,
        } {
            self.missing.requests += 1;
            if let Some(seen) = self.missing_seen.get_mut(i as usize) {
                if !*seen {
                    *seen = true;
                    self.missing.distinct_keys += 1;
                }
            }
        }
        let took = (now - arrived).as_micros().min(u32::MAX as u64) as u32;
        // Listed when it ended, after its own steps, with the time it took.
        self.events
            .log(now, Some(now - arrived), || match (op, outcome) {
                (Op::Read(key), Outcome::Read { served, stale }) => {
                    (key, EventKind::Read { served, stale })
                }
                (Op::Write(key), Outcome::Write) => (key, EventKind::Write),
                (Op::Read(key) | Op::Write(key), _) => (key, EventKind::Failed),
            });
        let b = self.at(arrived);
        let c = &mut b.counters;
        c.requests += 1;
        match outcome {
            Outcome::Read { served, stale } => {
                match served {
                    Served::L1 => c.l1_hits += 1,
                    Served::L2 | Served::L2Stale => c.l2_hits += 1,
                    Served::Db => c.misses += 1,
                    Served::Coalesced => {
                        c.waited += 1;
                        c.coalesced += 1;
                    }
                    Served::AfterLock => c.waited += 1,
                }
                c.stale_reads += u64::from(stale);
            }
            Outcome::Write => {}
            Outcome::Error => {
                c.errors += 1;
                c.failed_reads += u64::from(matches!(op, Op::Read(_)));
            }
        }
        match outcome {
            Outcome::Error => b.failed_us.push(took),
            Outcome::Read { .. } | Outcome::Write => b.latencies_us.push(took),
        }
    }

    /// The database is being asked for `key` at `now`.
    pub fn record_db_query(&mut self, now: SimTime, key: u64, purpose: Purpose) {
        self.events
            .log(now, None, || (key, EventKind::DbQuery { purpose }));
        let c = &mut self.at(now).counters;
        c.db_queries += 1;
        c.fallbacks += u64::from(purpose == Purpose::Fallback);
        if key >= self.existing_keys && purpose != Purpose::Write {
            self.missing.db_queries += 1;
        }
        if let Some(hot) = self.hot.as_mut().filter(|h| h.key == key) {
            match purpose {
                Purpose::Load => hot.loads.push(now),
                Purpose::Fallback => hot.fallbacks.push(now),
                Purpose::Write => {}
            }
        }
    }

    /// `key`'s entry was written to L2 at `now`, fresh until `fresh_until`.
    pub fn record_fill(&mut self, now: SimTime, key: u64, fresh_until: SimTime) {
        self.events.log(now, None, || {
            let fresh_for_ms = (fresh_until - now).as_millis_f64();
            (key, EventKind::Fill { fresh_for_ms })
        });
        if let Some(hot) = self.hot.as_mut().filter(|h| h.key == key) {
            hot.fills.push((now, fresh_until));
        }
    }

    /// A shared-cache command failed at `now` and the request went on without it.
    pub fn record_l2_error(&mut self, now: SimTime) {
        self.at(now).counters.l2_errors += 1;
    }

    /// A read of `key` found it missing from L2 at `now`.
    pub fn record_l2_miss(&mut self, now: SimTime, key: u64) {
        self.events.log(now, None, || (key, EventKind::L2Miss));
        if let Some(hot) = self.hot.as_mut().filter(|h| h.key == key) {
            hot.l2_misses.push(now);
        }
    }

    /// Totals over the whole run.
    pub fn totals(&self) -> Counters {
        let mut t = Counters::default();
        for b in &self.buckets {
            t.add(&b.counters);
        }
        t
    }

    /// Adds `other`'s measurements to these. `other` must cover the same buckets and keys: it is
    /// another part of the same run, such as a second app instance serving a share of the same
    /// traffic, so that one report covers every part.
    pub fn merge(&mut self, other: &Metrics) {
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            mine.counters.add(&theirs.counters);
            mine.latencies_us.extend_from_slice(&theirs.latencies_us);
            mine.failed_us.extend_from_slice(&theirs.failed_us);
        }
        // Each part kept its own first events; the first of all of them are among those. Each
        // numbered its requests from 0: the other part's numbers follow this one's.
        let offset = self.events.next_request;
        self.events
            .events
            .extend(other.events.events.iter().map(|e| Event {
                req: e.req.map(|id| id + offset),
                ..e.clone()
            }));
        self.events.next_request += other.events.next_request;
        self.missing.requests += other.missing.requests;
        self.missing.db_queries += other.missing.db_queries;
        for (seen, theirs) in self.missing_seen.iter_mut().zip(&other.missing_seen) {
            *seen |= theirs;
        }
        self.missing.distinct_keys = self.missing_seen.iter().filter(|&&s| s).count() as u64;
        if let (Some(mine), Some(theirs)) = (self.hot.as_mut(), &other.hot) {
            for (times, more) in [
                (&mut mine.loads, &theirs.loads),
                (&mut mine.fallbacks, &theirs.fallbacks),
                (&mut mine.l2_misses, &theirs.l2_misses),
            ] {
                times.extend_from_slice(more);
                crate::order::by_key(times, |t| t.as_micros());
            }
            mine.fills.extend_from_slice(&theirs.fills);
            crate::order::by_key_pair(&mut mine.fills, |f| (f.0.as_micros(), f.1.as_micros()));
        }
    }

    /// The summary and the series (the bucket after the horizon counts in the summary but gets
    /// no point of its own: its queries are the series' `late_db_queries`).
    pub fn finish(&mut self, max_db_in_flight: u64) -> (Summary, Series) {
        let t = self.totals();
        let collect = |pick: fn(&Bucket) -> &Vec<u32>| -> Vec<u32> {
            self.buckets
                .iter()
                .flat_map(|b| pick(b).iter().copied())
                .collect()
        };
        let mut answered = collect(|b| &b.latencies_us);
        let mut failed = collect(|b| &b.failed_us);
        let mut all = [answered.as_slice(), failed.as_slice()].concat();
        let apart = !failed.is_empty();
        let mut series = Series::default();
        let width = self.bucket.as_micros();
        let (last, in_time) = self
            .buckets
            .split_last_mut()
            .expect("at least the late bucket");
        series.late_db_queries = last.counters.db_queries;
        for (i, b) in in_time.iter_mut().enumerate() {
            let start = i as u64 * width;
            // The last bucket ends with the arrivals: its rate is per second it covers.
            let covered = SimDuration((start + width).min(self.horizon.as_micros()) - start);
            let c = b.counters;
            let reads = c.reads();
            let share = |part: u64| (reads > 0).then(|| Counters::ratio(part, reads));
            series.t_s.push(SimTime(start).as_secs_f64());
            series.hit_ratio.push(share(c.l1_hits + c.l2_hits));
            series.l1_hit_ratio.push(share(c.l1_hits));
            series.l2_hit_ratio.push(share(c.l2_hits));
            series
                .db_qps
                .push(c.db_queries as f64 / covered.as_secs_f64());
            b.latencies_us.extend_from_slice(&b.failed_us);
            series.p99_ms.push(
                (!b.latencies_us.is_empty()).then(|| percentile_ms(&mut b.latencies_us, 0.99)),
            );
            series.requests.push(c.requests);
            series.reads.push(reads);
            series.errors.push(c.errors);
        }
        let summary = Summary {
            counts: t,
            max_db_in_flight,
            peak_db_qps: series.db_qps.iter().copied().fold(0.0, f64::max),
            hit_ratio: t.hit_ratio(),
            wrong_values: 0,
            latency_ms: LatencyMs::of(&mut all),
            answered_latency_ms: apart.then(|| LatencyMs::of(&mut answered)),
            failed_latency_ms: apart.then(|| LatencyMs::of(&mut failed)),
        };
        (summary, series)
    }

    /// The hot key's database work per expiry, if a hot key was traced; `end` is the end of the
    /// arrivals and `ttl` the configured TTL.
    pub fn hot_key(&self, end: SimTime, ttl: SimDuration) -> Option<HotKeyReport> {
        let hot = self.hot.as_ref()?;
        // An entry expired if it reached its end of freshness before the next write replaced it.
        let expiries: Vec<SimTime> = hot
            .fills
            .iter()
            .enumerate()
            .filter(|(i, (_, fresh_until))| {
                let next_fill = hot.fills.get(i + 1).map_or(SimTime(u64::MAX), |f| f.0);
                *fresh_until <= next_fill && *fresh_until <= end
            })
            .map(|(_, (_, fresh_until))| *fresh_until)
            .collect();
        let per_window = |times: &[SimTime]| -> Vec<u64> {
            (0..expiries.len())
                .map(|j| {
                    let from = expiries[j];
                    let to = expiries.get(j + 1).copied().unwrap_or(SimTime(u64::MAX));
                    times.iter().filter(|&&t| from <= t && t < to).count() as u64
                })
                .collect()
        };
        let periods = (end.as_micros() as f64 / ttl.as_micros().max(1) as f64).max(1.0);
        Some(HotKeyReport {
            key: hot.key,
            expiries_s: expiries.iter().map(|t| t.as_secs_f64()).collect(),
            loads_per_expiry: per_window(&hot.loads),
            fallbacks_per_expiry: per_window(&hot.fallbacks),
            l2_misses_per_expiry: per_window(&hot.l2_misses),
            loads: hot.loads.len() as u64,
            loads_per_ttl_period: hot.loads.len() as f64 / periods,
        })
    }

    /// Reads for keys that do not exist, if the workload had any.
    pub fn missing_keys(&self) -> Option<MissingKeysReport> {
        (!self.missing_seen.is_empty()).then(|| self.missing.clone())
    }
}

/// The most database queries in flight at once, for a bench without a connection pool that
/// knows each query's start and end as it issues it, in order of start (every query on its own
/// connection, as the tagged pages are rendered).
#[derive(Default)]
pub struct PeakInFlight {
    /// Ends of the queries still running, soonest first.
    ends: std::collections::BinaryHeap<std::cmp::Reverse<SimTime>>,
    peak: u64,
}

impl PeakInFlight {
    /// A query runs over `[start, end)`; `start` is never before an earlier call's.
    ///
    /// ```
    /// use cachelab::{metrics::PeakInFlight, sim::SimTime};
    /// let mut p = PeakInFlight::default();
    /// p.add(SimTime(0), SimTime(10));
    /// p.add(SimTime(5), SimTime(20));
    /// p.add(SimTime(10), SimTime(30)); // the first has ended
    /// assert_eq!(p.peak(), 2);
    /// ```
    pub fn add(&mut self, start: SimTime, end: SimTime) {
        while self.ends.peek().is_some_and(|e| e.0 <= start) {
            self.ends.pop();
        }
        self.ends.push(std::cmp::Reverse(end));
        self.peak = self.peak.max(self.ends.len() as u64);
    }

    /// The most that ran at once.
    pub fn peak(&self) -> u64 {
        self.peak
    }
}

/// How many of `times` fall in each of `buckets` buckets of `width`, the way requests are counted
/// (the last bucket also takes whatever came after it): a scenario's own events as a column
/// beside its series.
///
/// ```
/// use cachelab::{metrics::per_bucket, sim::{SimDuration, SimTime}};
/// let at = [SimTime(0), SimTime(1_500_000), SimTime(9_000_000)];
/// assert_eq!(per_bucket(&at, SimDuration::from_secs(1), 2), [1, 2]);
/// ```
pub fn per_bucket(times: &[SimTime], width: SimDuration, buckets: usize) -> Vec<u64> {
    let mut counts = vec![0; buckets];
    let last = buckets.saturating_sub(1) as u64;
    for t in times {
        let i = (t.as_micros() / width.as_micros().max(1)).min(last) as usize;
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    counts
}

/// The nearest-rank percentile `p` of `values` (microseconds) in milliseconds; 0 when empty.
/// Reorders `values`.
fn percentile_ms(values: &mut [u32], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let rank = libm::ceil(p * values.len() as f64) as usize;
    let i = rank.clamp(1, values.len()) - 1;
    let (_, v, _) = values.select_nth_unstable(i);
    *v as f64 / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(served: Served) -> Outcome {
        Outcome::Read {
            served,
            stale: false,
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut v: Vec<u32> = (1..=100).map(|x| x * 1000).collect();
        assert_eq!(percentile_ms(&mut v, 0.5), 50.0);
        assert_eq!(percentile_ms(&mut v, 0.99), 99.0);
        assert_eq!(percentile_ms(&mut [], 0.99), 0.0);
    }

    #[test]
    fn buckets_follow_arrival_time_and_summaries_add_up() {
        let mut m = Metrics::new(SimDuration::from_secs(1), SimTime(2_000_000), 10, 5, None);
        let s = SimTime::ZERO + SimDuration::from_millis(1500);
        m.record_request(Op::Read(1), SimTime(0), SimTime(2_000), read(Served::L1));
        m.record_request(Op::Read(1), SimTime(10), s, read(Served::Db));
        m.record_request(Op::Read(12), s, s, read(Served::L2));
        m.record_request(Op::Read(12), s, s, Outcome::Error);
        m.record_db_query(SimTime(20), 1, Purpose::Load);
        m.record_db_query(s, 12, Purpose::Load);
        m.record_db_query(SimTime(99_000_000), 1, Purpose::Load); // after the horizon
        let (sum, series) = m.finish(3);
        assert_eq!(
            (
                sum.requests,
                sum.l1_hits,
                sum.l2_hits,
                sum.misses,
                sum.errors
            ),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(sum.max_db_in_flight, 3);
        // The failed read is in the whole: 2 hits of 4 reads, not of the 3 answered.
        assert_eq!(sum.failed_reads, 1);
        assert!((sum.hit_ratio - 2.0 / 4.0).abs() < 1e-12);
        assert_eq!(series.requests, [2, 2]);
        assert_eq!((series.reads, series.errors), (vec![2, 2], vec![0, 1]));
        assert_eq!(sum.peak_db_qps, 1.0);
        assert_eq!(series.db_qps, [1.0, 1.0]);
        assert_eq!(series.late_db_queries, 1);
        assert_eq!(series.p99_ms[0], Some(1499.99));
        let missing = m.missing_keys().unwrap();
        assert_eq!(
            (missing.requests, missing.db_queries, missing.distinct_keys),
            (2, 1, 1)
        );
    }

    #[test]
    fn the_last_partial_bucket_is_divided_by_the_time_it_covers() {
        // 2.5 s of arrivals in 1 s buckets: the last covers half a second.
        let mut m = Metrics::new(SimDuration::from_secs(1), SimTime(2_500_000), 1, 0, None);
        for t in [0, 1_200_000, 2_100_000, 2_400_000] {
            m.record_db_query(SimTime(t), 0, Purpose::Load);
        }
        let (_, series) = m.finish(1);
        assert_eq!(series.t_s, [0.0, 1.0, 2.0]);
        assert_eq!(series.db_qps, [1.0, 1.0, 4.0]);
    }

    #[test]
    fn a_bucket_without_requests_has_no_ratio_and_a_failed_read_counts_as_no_hit() {
        let mut m = Metrics::new(SimDuration::from_secs(1), SimTime(3_000_000), 1, 0, None);
        let at = SimTime(2_000_000);
        m.record_request(Op::Read(0), SimTime(0), SimTime(1_000), read(Served::L1));
        m.record_request(Op::Read(0), at, at, Outcome::Error);
        let (_, series) = m.finish(0);
        // A bucket whose only read failed has a hit ratio of 0: the read is in the whole.
        assert_eq!(series.hit_ratio, [Some(1.0), None, Some(0.0)]);
        assert_eq!(series.l2_hit_ratio, [Some(0.0), None, Some(0.0)]);
        assert_eq!(series.p99_ms, [Some(1.0), None, Some(0.0)]);
        let json = serde_json::to_string(&series).unwrap();
        assert!(json.contains(r#""hit_ratio":[1.0,null,0.0]"#), "{json}");
    }

    #[test]
    fn failed_requests_count_in_the_latency_until_they_failed() {
        let mut m = Metrics::new(SimDuration::from_secs(1), SimTime(1_000_000), 1, 0, None);
        let ms = |x: u64| SimTime(x * 1_000);
        m.record_request(Op::Read(0), ms(0), ms(1), read(Served::L2));
        for _ in 0..3 {
            m.record_request(Op::Read(0), ms(0), ms(3_000), Outcome::Error);
        }
        let (summary, series) = m.finish(0);
        assert_eq!(summary.latency_ms.p50, 3_000.0);
        assert_eq!(summary.answered_latency_ms.map(|l| l.max), Some(1.0));
        assert_eq!(summary.failed_latency_ms.map(|l| l.p50), Some(3_000.0));
        assert_eq!(series.p99_ms, [Some(3_000.0)]);
        // Without failures, the latencies are not repeated apart.
        let mut ok = Metrics::new(SimDuration::from_secs(1), SimTime(1_000_000), 1, 0, None);
        ok.record_request(Op::Read(0), ms(0), ms(1), read(Served::L2));
        let (summary, _) = ok.finish(0);
        assert_eq!(summary.answered_latency_ms, None);
    }

    #[test]
    fn merged_parts_report_as_one_run() {
        let horizon = SimTime(2_000_000);
        let part = |arrived: u64, served: Served, missing_key: u64| {
            let mut m = Metrics::new(SimDuration::from_secs(1), horizon, 10, 5, Some(1));
            m.start_event_log(2, SimTime::ZERO);
            let at = SimTime(arrived);
            m.record_request(
                Op::Read(1),
                at,
                at + SimDuration::from_millis(4),
                read(served),
            );
            m.record_request(Op::Read(missing_key), at, at, read(Served::Db));
            m.record_db_query(at, 1, Purpose::Load);
            m
        };
        let mut first = part(1_500_000, Served::L1, 10);
        first.merge(&part(100, Served::L2, 10));
        first.merge(&part(200, Served::L2, 11));
        let t = first.totals();
        assert_eq!(
            (t.requests, t.l1_hits, t.l2_hits, t.misses, t.db_queries),
            (6, 1, 2, 3, 3)
        );
        let missing = first.missing_keys().unwrap();
        assert_eq!((missing.requests, missing.distinct_keys), (3, 2));
        assert_eq!(
            first
                .hot_key(horizon, SimDuration::from_secs(1))
                .unwrap()
                .loads,
            3
        );
        // The earliest events of all parts, up to the limit (a request is listed when it ends).
        let events: Vec<f64> = first.take_events().iter().map(|e| e.t_ms).collect();
        assert_eq!(events, [0.1, 0.2]);
        let (summary, series) = first.finish(1);
        assert_eq!(series.requests, [4, 2]);
        assert_eq!(summary.latency_ms.max, 4.0);
    }

    #[test]
    fn expiries_are_fills_that_ran_out_before_the_next_fill() {
        let s = |x: u64| SimTime(x * 1_000_000);
        let mut m = Metrics::new(SimDuration::from_secs(1), s(20), 1, 0, Some(0));
        m.record_fill(s(0), 0, s(5)); // expires at 5
        m.record_l2_miss(s(5), 0);
        m.record_db_query(s(5), 0, Purpose::Load);
        m.record_db_query(s(5), 0, Purpose::Fallback);
        m.record_fill(s(6), 0, s(11)); // refreshed early at 9: no expiry at 11
        m.record_db_query(s(9), 0, Purpose::Load);
        m.record_fill(s(9), 0, s(14)); // expires at 14
        let hot = m.hot_key(s(20), SimDuration::from_secs(5)).unwrap();
        assert_eq!(hot.expiries_s, [5.0, 14.0]);
        assert_eq!(hot.loads_per_expiry, [2, 0]);
        assert_eq!(hot.fallbacks_per_expiry, [1, 0]);
        assert_eq!(hot.l2_misses_per_expiry, [1, 0]);
        assert_eq!(hot.loads_per_ttl_period, 0.5);
    }
}
