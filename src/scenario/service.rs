//! The bench of a service that reads through L2 in front of a database, one request at a time on
//! seeded Poisson arrivals: the shared cache of a [`Driver`] (the simulated L2, or a real Redis on
//! the wall clock), the database's response times, the metrics and, on the simulator, the
//! monitor. A scenario on it (`keys`, `query-cache`) decides what each request reads and writes,
//! and reports what it served through [`ServiceBench::hit`] and [`ServiceBench::miss`].
//!
//! The database stays the model live: its response times are drawn and counted, and a fill that
//! waits for a query's end ([`ServiceBench::advance_to`]) waits for that instant on the wall clock.

use super::common::{alert_thresholds, db_latency, ms, secs};
use super::driver::{faulty_store, open, Driver, FaultyStore};
use super::lab::check_request_budget;
use super::params::Params;
use super::report::VariantReport;
use super::Section;
use crate::error::Result;
use crate::manager::Monitor;
use crate::metrics::{Metrics, Outcome, PeakInFlight, Purpose, Served};
use crate::sim::{Runtime, SimDuration, SimRng, SimTime};
use crate::tiers::LatencyModel;
use crate::workload::{Arrivals, Op, PoissonClock};
use std::cell::RefCell;
use std::future::Future;

/// Random stream of the database's response times (the workload's is the caller's).
const DB_STREAM: u64 = 2;

/// A service over L2 and a database, on a clock the request loop moves.
pub(super) struct ServiceBench<'d, D: Driver> {
    d: &'d D,
    /// The shared cache, at zero round trip (on the simulator each request adds `rtt` once per
    /// command it sends; live the trip is real), behind the fault knobs' faults.
    pub store: FaultyStore<D>,
    metrics: Metrics,
    /// Store calls that failed (each counted as an L2 error at its instant): a cell, because the
    /// call's future borrows `store` while it runs.
    failed: RefCell<Vec<SimTime>>,
    /// On the simulator: the monitor over the model (live, a shared server's `INFO` counts other
    /// clients too).
    monitor: Option<Monitor>,
    database: LatencyModel,
    db_rng: SimRng,
    in_flight: PeakInFlight,
    /// The round trip to L2.
    pub rtt: SimDuration,
    /// How long a filled entry stays.
    pub ttl: SimDuration,
    /// When arrivals stop.
    pub end: SimTime,
    clock: PoissonClock,
}

impl<'d, D: Driver> ServiceBench<'d, D> {
    /// The bench of the common parameters `duration_s`, `rate`, `ttl_s`, `l2_rtt_ms`,
    /// `db_p50_ms`, `db_p99_ms`, `bucket_ms`, the alert thresholds and the fault knobs, with `writes_per_sec`
    /// more arrivals on top of `rate` (writes); refuses a run past the request budget before any
    /// work. Runs on driver `d`.
    pub fn new(p: &Params, seed: u64, writes_per_sec: f64, d: &'d D) -> Result<Self> {
        let rate = p.get("rate")? + writes_per_sec;
        let duration = secs(p, "duration_s")?;
        check_request_budget(Arrivals::Poisson { per_sec: rate }, duration)?;
        let bucket = ms(p, "bucket_ms")?;
        let end = SimTime::ZERO + duration;
        let store = faulty_store(d, SimDuration::ZERO, p)?;
        let monitor = match d.model(store.inner()) {
            Some(l2) => Some(Monitor::new(bucket, alert_thresholds(p)?, &l2.borrow())),
            None => None,
        };
        Ok(ServiceBench {
            d,
            store,
            metrics: Metrics::new(bucket, end, u64::MAX, 0, None),
            failed: RefCell::new(Vec::new()),
            monitor,
            database: db_latency(p)?,
            db_rng: SimRng::fork(seed, DB_STREAM),
            in_flight: PeakInFlight::default(),
            rtt: ms(p, "l2_rtt_ms")?,
            ttl: secs(p, "ttl_s")?,
            end,
            clock: PoissonClock::new(rate),
        })
    }

    /// The next arrival before the end (drawn from `rng`), with the clock, the cache and the
    /// monitor moved to it; `None` once arrivals stop.
    pub fn next_arrival(&mut self, rng: &mut SimRng) -> Result<Option<SimTime>> {
        let Some(at) = self.next_time(rng) else {
            return Ok(None);
        };
        self.advance_to(at)?;
        Ok(Some(at))
    }

    /// The next arrival before the end, drawn from `rng`, with nothing moved yet (for a caller
    /// with work due before it); `None` once arrivals stop.
    pub fn next_time(&mut self, rng: &mut SimRng) -> Option<SimTime> {
        Some(self.clock.next(rng)).filter(|&at| at < self.end)
    }

    /// Moves the clock, the cache and the monitor to `t` (work due before the next arrival, such
    /// as a fill when its query ends); live, sleeps until then. Fails when a live run is
    /// interrupted.
    pub fn advance_to(&mut self, t: SimTime) -> Result<()> {
        if let (Some(monitor), Some(l2)) = (&mut self.monitor, self.d.model(self.store.inner())) {
            monitor.catch_up(&l2.borrow(), t);
        }
        self.d.advance_to(t)
    }

    /// When the reply of `round_trips` commands sent one after the other from `at` arrived: the
    /// modelled trips on the simulator, the clock's now live.
    fn replied(&self, at: SimTime, round_trips: u32) -> SimTime {
        self.d.replied(at, self.trips(round_trips))
    }

    /// The time `round_trips` L2 commands take, one after the other.
    fn trips(&self, round_trips: u32) -> SimDuration {
        SimDuration::from_micros(self.rtt.as_micros().saturating_mul(u64::from(round_trips)))
    }

    /// Runs one call on the shared cache to its end (the simulator's clock does not move),
    /// failing open: a call the cache cannot answer is counted as an L2 error and is `None`, and
    /// the request goes on without the cache. Only an interrupted live run is an error.
    pub fn store_call<T>(&self, call: impl Future<Output = Result<T>>) -> Result<Option<T>> {
        let answer = open(self.d.block_on(call))?;
        if answer.is_none() {
            self.failed.borrow_mut().push(self.d.runtime().now());
        }
        Ok(answer)
    }

    /// A read of `key` (a number for the metrics) that arrived `at` and was answered by L2 after
    /// `round_trips` commands; `stale` if the answer is older than the data.
    pub fn hit(&mut self, key: u64, at: SimTime, round_trips: u32, stale: bool) {
        let done = self.replied(at, round_trips);
        let outcome = Outcome::Read {
            served: Served::L2,
            stale,
        };
        self.metrics
            .record_request(Op::Read(key), at, done, outcome);
    }

    /// A read that queried the database after `round_trips` L2 commands; returns when its answer
    /// is ready (when the cache can be filled).
    pub fn miss(&mut self, key: u64, at: SimTime, round_trips: u32) -> SimTime {
        self.costly_miss(key, at, round_trips, 1)
    }

    /// [`ServiceBench::miss`] for a query that costs `cost` ordinary queries' time.
    pub fn costly_miss(&mut self, key: u64, at: SimTime, round_trips: u32, cost: u32) -> SimTime {
        let asked = self.replied(at, round_trips);
        self.metrics.record_db_query(asked, key, Purpose::Load);
        let took = self.database.sample(&mut self.db_rng).as_micros();
        let done = asked + SimDuration::from_micros(took.saturating_mul(u64::from(cost)));
        self.in_flight.add(asked, done);
        let outcome = Outcome::Read {
            served: Served::Db,
            stale: false,
        };
        self.metrics
            .record_request(Op::Read(key), at, done, outcome);
        done
    }

    /// A read that waited for another request's load (behind its lock) and was answered with
    /// its result at `done`; `stale` if that result is older than the data.
    pub fn waited(&mut self, key: u64, at: SimTime, done: SimTime, stale: bool) {
        let outcome = Outcome::Read {
            served: Served::AfterLock,
            stale,
        };
        self.metrics
            .record_request(Op::Read(key), at, done, outcome);
    }

    /// A write of `key` that arrived `at`: the database's statement, then `round_trips` L2
    /// commands (invalidations).
    pub fn write(&mut self, key: u64, at: SimTime, round_trips: u32) {
        let written = self.query(key, at, Purpose::Write);
        let done = written + self.trips(round_trips);
        self.metrics
            .record_request(Op::Write(key), at, done, Outcome::Write);
    }

    /// A database query for `key` issued at `at` (each on its own connection); returns when it
    /// ends. A warm-up's queries go through here too, so the database's load counts them.
    pub fn query(&mut self, key: u64, at: SimTime, purpose: Purpose) -> SimTime {
        self.metrics.record_db_query(at, key, purpose);
        let done = at + self.database.sample(&mut self.db_rng);
        self.in_flight.add(at, done);
        done
    }

    /// The variant's report: the metrics (with the failed store calls), the monitor's view on
    /// the simulator, `wrong_values` in the summary and the scenario's section.
    pub fn finish(
        mut self,
        name: &str,
        wrong_values: u64,
        section: impl Into<Section>,
    ) -> VariantReport {
        for at in self.failed.take() {
            self.metrics.record_l2_error(at);
        }
        let monitoring = match (self.monitor, self.d.model(self.store.inner())) {
            (Some(mut monitor), Some(l2)) => {
                monitor.catch_up(&l2.borrow(), self.end);
                Some(monitor.finish(&l2.borrow()))
            }
            _ => None,
        };
        let (mut summary, series) = self.metrics.finish(self.in_flight.peak());
        summary.wrong_values = wrong_values;
        VariantReport {
            section: Some(section.into()),
            monitoring,
            ..VariantReport::basic(name, summary, series)
        }
    }
}
