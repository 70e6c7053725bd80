//! The database: the slow, authoritative tier.
//!
//! Rows `0..rows` exist, each with a version that every write bumps; any other key does not exist
//! (a query for it costs as much as any other and finds nothing). A query waits for one of `pool`
//! connections — requests queue first come, first served when all are busy, so overload shows up
//! as latency — then holds it for a time drawn from a log-normal distribution fitted to the
//! configured median and 99th percentile. A query that started keeps its connection until it
//! ends, even if the request that sent it gave up (timed out): the database does not notice a
//! client leaving, which is why a timeout does not relieve an overloaded database. A query still
//! waiting for a connection leaves the queue with its request.
//!
//! On request it also remembers when each version was committed ([`Db::keep_history`]), so that a
//! report can say how long a stale read had been behind, and lets a query see the row as it was
//! when the query began executing ([`Db::snapshot_reads`]), as a statement in an MVCC database
//! does — so a slow query can return a row that a write replaced while it ran.

use crate::sim::{OwnedPermit, Runtime, Semaphore, SimDuration, SimRng, SimTime};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::rc::Rc;

/// The one-sided 99 % quantile of the standard normal distribution.
const Z_99: f64 = 2.326_347_874_040_841;

/// No single query takes longer than this, however heavy the tail (it keeps runs bounded).
const MAX_QUERY: SimDuration = SimDuration::from_secs(60);

/// A log-normal distribution of query times, fitted to a median and a 99th percentile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyModel {
    /// `ln` of the median, in microseconds.
    mu: f64,
    /// Spread of `ln(latency)`.
    sigma: f64,
}

impl LatencyModel {
    /// The log-normal whose median is `p50` and 99th percentile `p99`. If `p99` is below `p50`
    /// (callers validate this), the spread is taken as zero.
    ///
    /// ```
    /// use cachelab::{sim::{SimDuration, SimRng}, tiers::LatencyModel};
    /// let m = LatencyModel::from_percentiles(SimDuration::from_millis(20), SimDuration::from_millis(100));
    /// let mut rng = SimRng::new(3);
    /// let mut draws: Vec<u64> = (0..10_000).map(|_| m.sample(&mut rng).as_micros()).collect();
    /// draws.sort();
    /// let (p50, p99) = (draws[5_000], draws[9_900]);
    /// assert!((18_000..22_000).contains(&p50), "{p50}");
    /// assert!((85_000..118_000).contains(&p99), "{p99}");
    /// ```
    pub fn from_percentiles(p50: SimDuration, p99: SimDuration) -> Self {
        let p50_us = p50.as_micros().max(1) as f64;
        let p99_us = p99.as_micros().max(1) as f64;
        let mu = libm::log(p50_us);
        let sigma = ((libm::log(p99_us) - mu) / Z_99).max(0.0);
        LatencyModel { mu, sigma }
    }

    /// The median query time.
    pub fn median(&self) -> SimDuration {
        SimDuration::from_secs_f64(libm::exp(self.mu) / 1e6)
    }

    /// The mean query time (a log-normal's mean, `exp(mu + sigma^2 / 2)`, above its median):
    /// what a pool's throughput is divided by.
    pub fn mean(&self) -> SimDuration {
        SimDuration::from_secs_f64(libm::exp(self.mu + self.sigma * self.sigma / 2.0) / 1e6)
            .min(MAX_QUERY)
    }

    /// One query time.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        // Box–Muller: two uniforms make one standard normal. 1 - unit() is in (0, 1].
        let (u1, u2) = (1.0 - rng.unit(), rng.unit());
        let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2);
        let micros = libm::exp(self.mu + self.sigma * z);
        SimDuration::from_secs_f64(micros / 1e6).min(MAX_QUERY)
    }
}

/// A row as the database returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Its key.
    pub key: u64,
    /// Bumped by every write; caches keep it so that a stale read can be recognised.
    pub version: u64,
}

/// Counters of the database's work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbStats {
    /// Queries issued (reads and writes), counted when they ask for a connection.
    pub queries: u64,
    /// Queries issued per key.
    pub per_key: BTreeMap<u64, u64>,
    /// The most queries in flight at once: waiting for a connection or running.
    pub max_in_flight: u64,
}

/// The database model.
pub struct Db {
    versions: RefCell<Vec<u64>>,
    pool: Rc<Semaphore>,
    latency: LatencyModel,
    rng: RefCell<SimRng>,
    in_flight: Rc<Cell<u64>>,
    stats: RefCell<DbStats>,
    /// Every commit per key, once [`Db::keep_history`] was called.
    history: RefCell<Option<BTreeMap<u64, Vec<Commit>>>>,
    /// Whether a query returns the row as of its start rather than its end.
    snapshot_reads: Cell<bool>,
}

impl Db {
    /// A database with rows `0..rows` (all at version 1), `pool` connections and query times
    /// drawn from `latency` with `rng`.
    pub fn new(rows: u64, pool: NonZeroU64, latency: LatencyModel, rng: SimRng) -> Self {
        Db {
            // Callers bound `rows` (see the scenario limits), so this allocation is bounded too.
            versions: RefCell::new(vec![1; rows as usize]),
            pool: Rc::new(Semaphore::new(pool.get())),
            latency,
            rng: RefCell::new(rng),
            in_flight: Rc::new(Cell::new(0)),
            stats: RefCell::new(DbStats::default()),
            history: RefCell::new(None),
            snapshot_reads: Cell::new(false),
        }
    }

    /// Whether `key` exists. The lab knows the truth; a cache does not, which is the point.
    pub fn exists(&self, key: u64) -> bool {
        key < self.versions.borrow().len() as u64
    }

    /// The current version of `key`, without a query (for judging staleness in reports).
    pub fn current_version(&self, key: u64) -> Option<u64> {
        self.versions.borrow().get(key as usize).copied()
    }

    /// `SELECT … WHERE key = ?`: the row, or `None` for a key that does not exist.
    ///
    /// ```
    /// use cachelab::{sim::{Executor, SimDuration, SimRng}, tiers::{Db, LatencyModel}};
    /// use std::{num::NonZeroU64, rc::Rc};
    /// let ms = SimDuration::from_millis;
    /// let db = Rc::new(Db::new(10, NonZeroU64::MIN, LatencyModel::from_percentiles(ms(5), ms(5)), SimRng::new(1)));
    /// let exec = Executor::new();
    /// let (sim, d) = (exec.sim().clone(), db.clone());
    /// let found = exec.sim().spawn(async move { (d.query(&sim, 3).await, d.query(&sim, 99).await, sim.now()) });
    /// exec.run();
    /// let (row, missing, t) = found.try_take().unwrap();
    /// assert_eq!(row.map(|r| r.version), Some(1));
    /// assert_eq!(missing, None);                 // a key that does not exist costs a query too
    /// assert_eq!(t.as_millis(), 10);
    /// assert_eq!(db.stats().queries, 2);
    /// ```
    pub async fn query<R: Runtime>(&self, sim: &R, key: u64) -> Option<Row> {
        // A snapshot read takes the row as the query begins; any other read, as it ends.
        let snapshot = self.snapshot_reads.get();
        let at_start = self
            .round_trip(sim, &[key], || snapshot.then(|| self.current_version(key)))
            .await;
        let version = at_start.unwrap_or_else(|| self.current_version(key));
        version.map(|version| Row { key, version })
    }

    /// From now on a query returns the row as it was when the query got its connection and began
    /// executing (a statement snapshot), not as it is when the answer arrives.
    pub fn snapshot_reads(&self) {
        self.snapshot_reads.set(true);
    }

    /// `UPDATE … SET version = version + 1 WHERE key = ?`: the new version, or `None` for a key
    /// that does not exist.
    pub async fn write<R: Runtime>(&self, sim: &R, key: u64) -> Option<u64> {
        self.round_trip(sim, &[key], || ()).await;
        let next = self.current_version(key)? + 1;
        self.commit(sim.now(), key, next);
        Some(next)
    }

    /// One statement that sets several rows to given versions (a write-behind flush): one query
    /// time on one connection, counted once. A row only moves forward; missing keys are skipped.
    ///
    /// ```
    /// use cachelab::{sim::{Executor, SimDuration, SimRng}, tiers::{Db, LatencyModel, Row}};
    /// use std::{num::NonZeroU64, rc::Rc};
    /// let ms = SimDuration::from_millis;
    /// let db = Rc::new(Db::new(10, NonZeroU64::MIN, LatencyModel::from_percentiles(ms(5), ms(5)), SimRng::new(1)));
    /// let exec = Executor::new();
    /// let (sim, d) = (exec.sim().clone(), db.clone());
    /// exec.sim().spawn_detached(async move {
    ///     d.write_rows(&sim, &[Row { key: 1, version: 4 }, Row { key: 2, version: 3 }]).await;
    /// });
    /// exec.run();
    /// assert_eq!((db.current_version(1), db.current_version(2)), (Some(4), Some(3)));
    /// assert_eq!(db.stats().queries, 1);
    /// ```
    pub async fn write_rows<R: Runtime>(&self, sim: &R, rows: &[Row]) {
        let keys: Vec<u64> = rows.iter().map(|r| r.key).collect();
        self.round_trip(sim, &keys, || ()).await;
        for row in rows {
            if self
                .current_version(row.key)
                .is_some_and(|v| v < row.version)
            {
                self.commit(sim.now(), row.key, row.version);
            }
        }
    }

    fn commit(&self, now: SimTime, key: u64, version: u64) {
        if let Some(v) = self.versions.borrow_mut().get_mut(key as usize) {
            *v = version;
        }
        if let Some(history) = self.history.borrow_mut().as_mut() {
            history.entry(key).or_default().push((version, now));
        }
    }

    /// From now on, remember when each version is committed (see [`Db::moved_past`]).
    pub fn keep_history(&self) {
        self.history.borrow_mut().get_or_insert_with(BTreeMap::new);
    }

    /// When `key` was first committed at a version newer than `version`: the moment a copy of
    /// `version` went out of date. `None` if it never did, or if history is not kept.
    pub fn moved_past(&self, key: u64, version: u64) -> Option<SimTime> {
        let history = self.history.borrow();
        let commits = history.as_ref()?.get(&key)?;
        // Versions only grow, so the commits are sorted by version.
        let i = commits.partition_point(|&(v, _)| v <= version);
        commits.get(i).map(|&(_, at)| at)
    }

    /// Counts the query (once, and once for each of `keys`), waits for a connection, calls
    /// `at_start` as the query begins executing, and holds the connection for one query time.
    async fn round_trip<T, R: Runtime>(
        &self,
        sim: &R,
        keys: &[u64],
        at_start: impl FnOnce() -> T,
    ) -> T {
        {
            let mut stats = self.stats.borrow_mut();
            stats.queries += 1;
            for &key in keys {
                *stats.per_key.entry(key).or_insert(0) += 1;
            }
            self.in_flight.set(self.in_flight.get() + 1);
            stats.max_in_flight = stats.max_in_flight.max(self.in_flight.get());
        }
        // Leaves the in-flight count if the caller gives up while queued (a timeout drops this
        // future): such a query never reached the database.
        let leave = InFlight(self.in_flight.clone());
        let connection = self.pool.clone().acquire_owned().await;
        let seen = at_start();
        let took = self.latency.sample(&mut self.rng.borrow_mut());
        // From here the query runs to its end, whether or not anyone waits for it.
        let _running = Running {
            sim: sim.clone(),
            until: sim.now() + took,
            held: Some((connection, leave)),
        };
        sim.sleep(took).await;
        seen
    }

    /// The counters so far.
    pub fn stats(&self) -> DbStats {
        self.stats.borrow().clone()
    }
}

/// `(version, committed at)`.
type Commit = (u64, SimTime);

struct InFlight(Rc<Cell<u64>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// A running query's connection and in-flight place, held until `until` — by a task of its own
/// if the caller stops waiting first.
struct Running<R: Runtime> {
    sim: R,
    until: SimTime,
    held: Option<(OwnedPermit, InFlight)>,
}

impl<R: Runtime> Drop for Running<R> {
    fn drop(&mut self) {
        let Some(held) = self.held.take() else { return };
        if self.sim.now() < self.until {
            let (sim, until) = (self.sim.clone(), self.until);
            self.sim.spawn_detached(async move {
                sim.sleep_until(until).await;
                drop(held);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{join, Executor, SimTime};
    use std::rc::Rc;

    fn fixed(ms: u64) -> LatencyModel {
        let d = SimDuration::from_millis(ms);
        LatencyModel::from_percentiles(d, d)
    }

    #[test]
    fn a_full_pool_makes_queries_queue() {
        let exec = Executor::new();
        let db = Rc::new(Db::new(
            100,
            NonZeroU64::new(2).unwrap(),
            fixed(10),
            SimRng::new(1),
        ));
        let finished = Rc::new(RefCell::new(Vec::new()));
        for k in 0..5 {
            let (sim, db, finished) = (exec.sim().clone(), db.clone(), finished.clone());
            exec.sim().spawn_detached(async move {
                db.query(&sim, k).await;
                finished.borrow_mut().push(sim.now());
            });
        }
        exec.run();
        let ms: Vec<u64> = finished.borrow().iter().map(|t| t.as_millis()).collect();
        assert_eq!(ms, [10, 10, 20, 20, 30]);
        let stats = db.stats();
        assert_eq!((stats.queries, stats.max_in_flight), (5, 5));
        assert_eq!(db.in_flight.get(), 0);
    }

    #[test]
    fn a_query_keeps_its_connection_after_its_caller_gave_up() {
        // One connection, 10 ms queries: the first caller gives up after 2 ms, a second query
        // arrives at 3 ms and must wait for the first to end at 10 ms.
        let exec = Executor::new();
        let db = Rc::new(Db::new(10, NonZeroU64::MIN, fixed(10), SimRng::new(1)));
        let (sim, d) = (exec.sim().clone(), db.clone());
        let gave_up = exec.sim().spawn(async move {
            sim.timeout(SimDuration::from_millis(2), d.query(&sim, 1))
                .await
                .is_err()
        });
        let (sim, d) = (exec.sim().clone(), db.clone());
        let second = exec.sim().spawn(async move {
            sim.sleep(SimDuration::from_millis(3)).await;
            let in_flight = d.in_flight.get();
            d.query(&sim, 2).await;
            (in_flight, sim.now())
        });
        exec.run();
        assert_eq!(gave_up.try_take(), Some(true));
        // Still counted in flight at 3 ms, and the second query ran from 10 to 20 ms.
        assert_eq!(second.try_take(), Some((1, SimTime(20_000))));
        assert_eq!(db.in_flight.get(), 0);
    }

    #[test]
    fn an_executor_dropped_mid_query_lets_go_of_the_database() {
        // A run abandoned at 5 ms, in the middle of a 10 ms query: dropping its task hands the
        // connection to a task of its own, and dropping the executor must drop that one too (it
        // would otherwise keep the executor's core, and all it holds, alive).
        let exec = Executor::new();
        let db = Rc::new(Db::new(10, NonZeroU64::MIN, fixed(10), SimRng::new(1)));
        let (sim, d) = (exec.sim().clone(), db.clone());
        exec.sim().spawn_detached(async move {
            d.query(&sim, 1).await;
        });
        exec.run_until(SimTime(5_000));
        assert_eq!(
            Rc::strong_count(&db.pool),
            2,
            "the query holds a connection"
        );
        drop(exec);
        assert_eq!(Rc::strong_count(&db.pool), 1);
        assert_eq!(db.in_flight.get(), 0);
    }

    #[test]
    fn a_query_that_gives_up_while_queued_leaves_the_queue() {
        let exec = Executor::new();
        let db = Rc::new(Db::new(10, NonZeroU64::MIN, fixed(10), SimRng::new(1)));
        let finished = Rc::new(RefCell::new(Vec::new()));
        for (key, patience_ms) in [(0, 100), (1, 5), (2, 100)] {
            let (sim, d, finished) = (exec.sim().clone(), db.clone(), finished.clone());
            exec.sim().spawn_detached(async move {
                let limit = SimDuration::from_millis(patience_ms);
                if sim.timeout(limit, d.query(&sim, key)).await.is_ok() {
                    finished.borrow_mut().push((key, sim.now().as_millis()));
                }
            });
        }
        exec.run();
        // Key 1 gave up at 5 ms without ever running: key 2 follows key 0 directly.
        assert_eq!(*finished.borrow(), [(0, 10), (2, 20)]);
        assert_eq!(db.pool.queued(), 0);
    }

    #[test]
    fn writes_bump_versions_and_missing_keys_stay_missing() {
        let exec = Executor::new();
        let db = Rc::new(Db::new(3, NonZeroU64::MIN, fixed(1), SimRng::new(1)));
        let (sim, d) = (exec.sim().clone(), db.clone());
        let h = exec.sim().spawn(async move {
            (
                d.write(&sim, 2).await,
                d.write(&sim, 7).await,
                d.query(&sim, 2).await,
            )
        });
        exec.run();
        assert_eq!(
            h.try_take(),
            Some((Some(2), None, Some(Row { key: 2, version: 2 })))
        );
        assert_eq!(db.stats().per_key.get(&2), Some(&2));
        assert!(db.exists(2) && !db.exists(3));
        assert_eq!(exec.sim().now(), SimTime(3_000));
    }

    #[test]
    fn history_says_when_a_version_went_out_of_date() {
        let exec = Executor::new();
        let db = Rc::new(Db::new(3, NonZeroU64::MIN, fixed(2), SimRng::new(1)));
        db.keep_history();
        let (sim, d) = (exec.sim().clone(), db.clone());
        exec.sim().spawn_detached(async move {
            d.write(&sim, 1).await; // v2 at 2 ms
            let rows = [Row { key: 1, version: 5 }, Row { key: 9, version: 7 }];
            d.write_rows(&sim, &rows).await; // v5 at 4 ms; key 9 does not exist
            d.write_rows(&sim, &[Row { key: 1, version: 3 }]).await; // older: ignored
        });
        exec.run();
        let ms = |m: u64| Some(SimTime(m * 1_000));
        assert_eq!(db.moved_past(1, 1), ms(2));
        assert_eq!((db.moved_past(1, 2), db.moved_past(1, 4)), (ms(4), ms(4)));
        assert_eq!((db.moved_past(1, 5), db.moved_past(0, 1)), (None, None));
        assert_eq!(db.current_version(1), Some(5));
        assert_eq!(db.stats().per_key.get(&9), Some(&1));
    }

    #[test]
    fn a_snapshot_read_returns_the_row_as_the_query_began() {
        // A write and a read start together; the write commits just before the read returns.
        let version_read = |snapshot: bool| {
            let exec = Executor::new();
            let db = Rc::new(Db::new(
                1,
                NonZeroU64::new(2).unwrap(),
                fixed(10),
                SimRng::new(1),
            ));
            if snapshot {
                db.snapshot_reads();
            }
            let sim = exec.sim().clone();
            let h = exec.sim().spawn(async move {
                let (_, row) = join(db.write(&sim, 0), db.query(&sim, 0)).await;
                row.map(|r| r.version)
            });
            exec.run();
            h.try_take().flatten()
        };
        assert_eq!(version_read(false), Some(2));
        assert_eq!(version_read(true), Some(1));
    }

    #[test]
    fn zero_spread_gives_the_median_every_time() {
        let mut rng = SimRng::new(4);
        assert!((0..100).all(|_| fixed(7).sample(&mut rng) == SimDuration::from_millis(7)));
    }
}
