//! The bench of a service that reads through L2 in front of a database, one request at a time on
//! seeded Poisson arrivals: the simulated L2 behind the [`Store`] trait, the database's response
//! times, the metrics and the monitor. A scenario on it (`keys`, `query-cache`) decides what each
//! request reads and writes, and reports what it served through [`ServiceBench::hit`] and
//! [`ServiceBench::miss`].

use super::common::{alert_thresholds, db_latency, ms, secs};
use super::lab::check_request_budget;
use super::params::Params;
use super::report::VariantReport;
use super::Section;
use crate::error::Result;
use crate::manager::Monitor;
use crate::metrics::{Metrics, Outcome, PeakInFlight, Purpose, Served};
use crate::sim::{Executor, SimDuration, SimRng, SimTime};
use crate::strategy::{block_on_store, SimL2};
use crate::tiers::{LatencyModel, L2};
use crate::workload::{Arrivals, Op, PoissonClock};
use std::future::Future;

/// Random stream of the database's response times (the workload's is the caller's).
const DB_STREAM: u64 = 2;

/// A service over L2 and a database, on a clock the request loop moves.
pub(super) struct ServiceBench {
    exec: Executor,
    /// The shared cache, at zero round trip (each request adds `rtt` once per command it sends).
    pub store: SimL2,
    metrics: Metrics,
    monitor: Monitor,
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

impl ServiceBench {
    /// The bench of the common parameters `duration_s`, `rate`, `ttl_s`, `l2_rtt_ms`,
    /// `db_p50_ms`, `db_p99_ms`, `bucket_ms` and the alert thresholds, with `writes_per_sec`
    /// more arrivals on top of `rate` (writes); refuses a run past the request budget before any
    /// work.
    pub fn new(p: &Params, seed: u64, writes_per_sec: f64) -> Result<ServiceBench> {
        let rate = p.get("rate")? + writes_per_sec;
        let duration = secs(p, "duration_s")?;
        check_request_budget(Arrivals::Poisson { per_sec: rate }, duration)?;
        let bucket = ms(p, "bucket_ms")?;
        let end = SimTime::ZERO + duration;
        let exec = Executor::new();
        let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
        let monitor = Monitor::new(bucket, alert_thresholds(p)?, &store.model().borrow());
        Ok(ServiceBench {
            exec,
            store,
            metrics: Metrics::new(bucket, end, u64::MAX, 0, None),
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
    pub fn next_arrival(&mut self, rng: &mut SimRng) -> Option<SimTime> {
        let at = self.next_time(rng)?;
        self.advance_to(at);
        Some(at)
    }

    /// The next arrival before the end, drawn from `rng`, with nothing moved yet (for a caller
    /// with work due before it); `None` once arrivals stop.
    pub fn next_time(&mut self, rng: &mut SimRng) -> Option<SimTime> {
        Some(self.clock.next(rng)).filter(|&at| at < self.end)
    }

    /// Moves the clock, the cache and the monitor to `t` (work due before the next arrival, such
    /// as a fill when its query ends).
    pub fn advance_to(&mut self, t: SimTime) {
        self.monitor.catch_up(&self.store.model().borrow(), t);
        self.exec.advance_to(t);
    }

    /// The time `round_trips` L2 commands take, one after the other.
    fn trips(&self, round_trips: u32) -> SimDuration {
        SimDuration::from_micros(self.rtt.as_micros().saturating_mul(u64::from(round_trips)))
    }

    /// Runs one call on the shared cache to its end (the clock does not move).
    pub fn store_call<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        block_on_store(&self.exec, call)
    }

    /// A read of `key` (a number for the metrics) that arrived `at` and was answered by L2 after
    /// `round_trips` commands; `stale` if the answer is older than the data.
    pub fn hit(&mut self, key: u64, at: SimTime, round_trips: u32, stale: bool) {
        let done = at + self.trips(round_trips);
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
        let asked = at + self.trips(round_trips);
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

    /// The variant's report: the metrics, the monitor's view, `wrong_values` in the summary
    /// and the scenario's section.
    pub fn finish(
        mut self,
        name: &str,
        wrong_values: u64,
        section: impl Into<Section>,
    ) -> VariantReport {
        let model = self.store.model();
        self.monitor.catch_up(&model.borrow(), self.end);
        let (mut summary, series) = self.metrics.finish(self.in_flight.peak());
        summary.wrong_values = wrong_values;
        let monitoring = self.monitor.finish(&model.borrow());
        VariantReport {
            section: Some(section.into()),
            monitoring: Some(monitoring),
            ..VariantReport::basic(name, summary, series)
        }
    }
}
