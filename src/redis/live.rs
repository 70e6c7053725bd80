//! `cachelab live`: a scenario's variants in real time against a real Redis — every scenario of
//! the registry, whichever bench it runs on.
//!
//! A variant runs through its scenario's [`Experiment::run_on`](crate::scenario::Experiment::run_on)
//! on a [`LiveDriver`] instead of the simulator's [`SimDriver`](crate::scenario::SimDriver): the
//! clock is the wall clock ([`RealTime`], tokio tasks on one thread) and the shared cache is a
//! [`RedisStore`]. The seeded arrivals and keys, the strategies, the database model (whose query
//! times are now really slept) and the report are the very same code, so a live report reads
//! exactly like `run`'s and can be set beside it ([`Comparison`]). What each scenario maps onto
//! the real server, and what stays modelled, is its [`Scenario::live`] sentence.
//!
//! Lab-bench scenarios run their requests as tasks ([`LabRun`]); scenarios with a loop of their
//! own call [`Driver::advance_to`], which sleeps until the next request's instant, and
//! [`Driver::block_on`] for each store call. A live report has no `monitoring` section: the
//! monitor reads the model's counters, and a shared real server's `INFO` counts other clients too.
//!
//! Each variant gets its own key prefix (`cachelab:<run id>:<variant>:`) and is cleaned up
//! afterwards (`SCAN` on every master, then `UNLINK`), whether it succeeded, failed or was
//! interrupted: after [`catch_ctrl_c`], Ctrl-C stops the variant at its next wait (every task of a
//! lab run is dropped), removes its keys and ends the run with [`Error::Interrupted`].
//!
//! Real time is spent for real, so a live run is refused when it would take too long — see
//! [`MAX_LIVE_SECONDS`] and its neighbours — with an error that names the parameter to lower.

use super::monitor::{self, Node, ServerStats};
use super::runtime::RealTime;
use super::store::{run_prefix, RedisStore};
use super::{connect, Connection, Target};
use crate::error::{Error, Result};
use crate::manager::{AlertThresholds, Monitoring};
use crate::scenario::{
    self, Driver, LabConfig, LabContext, LabRun, Params, Preload, Report, Scenario, VariantReport,
};
use crate::sim::{Runtime, SimDuration, SimTime};
use crate::strategy::Ctx;
use crate::strategy::{all_ok, Cmd, SetWhen, Store};
use crate::tiers::l2::L2Config;
use crate::tiers::L2;
use crate::workload::Op;
use serde::Serialize;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::runtime::Runtime as TokioRuntime;
use tokio::task::LocalSet;

/// The longest `duration_s` of a live run, in (real) seconds per variant.
pub const MAX_LIVE_SECONDS: f64 = 60.0;
/// The most requests a live variant may expect (`rate × duration_s`, open-loop traffic).
pub const MAX_LIVE_REQUESTS: u64 = 300_000;
/// The most keys (`keys`): each is warmed with a `SET` before the traffic starts.
pub const MAX_LIVE_KEYS: u64 = 100_000;
/// The most closed-loop clients (`clients`), each a task of its own.
pub const MAX_LIVE_CLIENTS: u64 = 1_000;

/// `SET`s in one pipeline of a preload (on a cluster the store splits it by slot).
const PRELOAD_PIPELINE: usize = 1_000;

/// Warm-up `SET`s in flight at once (the connections pipeline them).
const WARM_IN_FLIGHT: u64 = 256;

/// How often a wait looks whether Ctrl-C was pressed.
const INTERRUPT_POLL: std::time::Duration = std::time::Duration::from_millis(20);

type LiveStore = RedisStore<Connection>;

/// Set by the SIGINT handler of [`catch_ctrl_c`].
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From now on, Ctrl-C (SIGINT) stops a live run at its next wait, cleanly: its keys are removed
/// and [`Live::run`] returns [`Error::Interrupted`]. A second Ctrl-C does the same (the process
/// is not killed half-way through the cleanup). Unix only; elsewhere Ctrl-C ends the process.
pub fn catch_ctrl_c() {
    #[cfg(unix)]
    {
        extern "C" fn on_sigint(_: i32) {
            // An atomic store is async-signal-safe; everything else happens in the run's waits.
            INTERRUPTED.store(true, Ordering::SeqCst);
        }
        extern "C" {
            fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
        }
        const SIGINT: i32 = 2;
        // SAFETY: `signal` is libc's, which every Unix Rust program links; the handler only
        // stores to an atomic, which is allowed in a signal handler.
        unsafe {
            signal(SIGINT, on_sigint);
        }
    }
}

/// Resolves once Ctrl-C has been pressed (after [`catch_ctrl_c`]); never otherwise.
async fn interrupted() {
    while !INTERRUPTED.load(Ordering::SeqCst) {
        tokio::time::sleep(INTERRUPT_POLL).await;
    }
}

/// Where and how to run live: the server, the connections to open, and the run's id (which
/// names its keys).
#[derive(Clone, Debug)]
pub struct Live {
    target: Target,
    connections: usize,
    run_id: String,
}

impl Live {
    /// Live runs against `target` over `connections` connections (see [`connect`]), with a
    /// fresh run id.
    pub fn new(target: Target, connections: usize) -> Self {
        Live {
            target,
            connections,
            run_id: fresh_run_id(),
        }
    }

    /// The same, with the given run id (ASCII letters, digits, `-` and `_`), so that a caller
    /// can find the run's keys (`cachelab:<run id>:*`).
    pub fn with_run_id(mut self, run_id: impl Into<String>) -> Self {
        self.run_id = run_id.into();
        self
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Validates the parameters as `run` does, checks the live limits, and runs every variant of
    /// scenario `name`, one after the other, in real time.
    ///
    /// ```no_run
    /// use cachelab::redis::{live::Live, Target};
    /// let live = Live::new("redis://127.0.0.1:6379".parse::<Target>()?, 4);
    /// let quick = [("duration_s".to_string(), "3".to_string()), ("rate".to_string(), "500".to_string())];
    /// let report = live.run("stampede", &quick, 1)?;
    /// let none = report.variant("none").unwrap();
    /// println!("{} db queries without protection", none.summary.db_queries);
    /// # Ok::<(), cachelab::Error>(())
    /// ```
    pub fn run(&self, name: &str, given: &[(String, String)], seed: u64) -> Result<Report> {
        self.run_only(name, given, seed, &[])
    }

    /// [`Live::run`] for the named variants only (all of them if `variants` is empty).
    pub fn run_only(
        &self,
        name: &str,
        given: &[(String, String)],
        seed: u64,
        variants: &[&str],
    ) -> Result<Report> {
        let scenario = scenario::find(name)?;
        let params = scenario::resolve(&scenario.params, given)?;
        for unknown in variants {
            scenario.variant_index(unknown)?;
        }
        let chosen: Vec<&str> = scenario
            .variants
            .iter()
            .map(|v| v.name)
            .filter(|v| variants.is_empty() || variants.contains(v))
            .collect();
        check_live_limits(&params)?;
        let rt = Rc::new(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::Store {
                    detail: format!("cannot start the tokio runtime: {e}"),
                })?,
        );
        let conn = rt.block_on(connect(&self.target, self.connections))?;
        let mut reports = Vec::new();
        for variant in chosen {
            reports.push(self.run_variant(&rt, &conn, &scenario, &params, variant, seed)?);
        }
        Ok(Report {
            scenario: name.to_string(),
            seed,
            params,
            variants: reports,
            hit_ratio_definition: crate::metrics::HIT_RATIO_DEFINITION,
        })
    }

    /// Runs scenario `name` live and on the simulator with the same parameters and seed, and
    /// sets them side by side.
    pub fn compare(&self, name: &str, given: &[(String, String)], seed: u64) -> Result<Comparison> {
        self.compare_only(name, given, seed, &[])
    }

    /// [`Live::compare`] for the named variants only (all of them if `variants` is empty); an
    /// unknown name is an error that lists the scenario's variants, before anything runs.
    pub fn compare_only(
        &self,
        name: &str,
        given: &[(String, String)],
        seed: u64,
        variants: &[&str],
    ) -> Result<Comparison> {
        let live = self.run_only(name, given, seed, variants)?;
        let named: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
        let sim = scenario::run_only(name, given, seed, &named)?;
        Ok(Comparison::new(sim, live))
    }

    /// One variant on a fresh driver, then its keys removed whatever happened.
    fn run_variant(
        &self,
        rt: &Rc<TokioRuntime>,
        conn: &Connection,
        scenario: &Scenario,
        params: &Params,
        variant: &str,
        seed: u64,
    ) -> Result<VariantReport> {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let driver = LiveDriver {
            rt: rt.clone(),
            local: LocalSet::new(),
            conn: conn.clone(),
            prefix: run_prefix(&self.run_id, variant),
            clock: RealTime::start(),
        };
        let report = scenario.run_live(params, variant, seed, &driver);
        let prefix = driver.prefix.clone();
        // Tasks still queued (a refresh a strategy spawned) would write after the cleanup.
        drop(driver);
        // Every key of the variant shares the prefix: SCAN (never KEYS) and UNLINK them on every
        // master, with a server that may just be coming back from an outage given a few tries.
        let pattern = format!("{prefix}*");
        let mut cleaned = Ok(0);
        for _ in 0..CLEANUP_TRIES {
            cleaned = rt.block_on(monitor::delete_matching(&mut conn.clone(), &pattern));
            if cleaned.is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        let report = report?;
        cleaned?;
        Ok(report)
    }
}

/// Attempts at removing a variant's keys before the run reports the failure.
const CLEANUP_TRIES: usize = 10;

/// One live variant's clock and shared cache: the [`Driver`] a scenario runs on against a real
/// Redis. Built by [`Live`] for each variant.
pub struct LiveDriver {
    rt: Rc<TokioRuntime>,
    /// Where the variant's tasks run (strategies `spawn_local` through [`RealTime`]).
    local: LocalSet,
    conn: Connection,
    prefix: String,
    clock: RealTime,
}

impl LiveDriver {
    fn live_store(&self) -> Result<LiveStore> {
        let cluster = matches!(self.conn, Connection::Cluster(_));
        Ok(RedisStore::new(self.conn.clone(), self.prefix.clone())?.on_cluster(cluster))
    }

    /// Runs `body` with the server limited as the bench's L2 is (`l2`): without a limit, as the
    /// server is; with one, on each server that evicts — the one server, or every master of a
    /// cluster, which evicts on its own among its slots' keys — `CONFIG SET maxmemory` to that
    /// server's `used_memory` now plus its share of the limit (the model counts only the run's
    /// data; a real server's own overhead comes on top) and `maxmemory-policy` to the bench's.
    /// The share is the whole limit on one server and an even part of it (rounded down) per master
    /// on a cluster, as the slots spread the run's keys evenly. Every server's two settings are
    /// put back afterwards whatever happened (an error, Ctrl-C).
    fn under_maxmemory<T>(&self, l2: &L2Config, body: impl FnOnce() -> Result<T>) -> Result<T> {
        if l2.maxmemory == 0 {
            return body();
        }
        let mut conn = self.conn.clone();
        let (nodes, saved) = self.rt.block_on(async {
            let nodes = monitor::nodes(&mut conn).await?;
            let mut saved = Vec::with_capacity(nodes.len());
            for node in &nodes {
                let max = config_get(node, &mut conn, "maxmemory").await?;
                let policy = config_get(node, &mut conn, "maxmemory-policy").await?;
                saved.push((max, policy));
            }
            Ok::<_, Error>((nodes, saved))
        })?;
        // `nodes` lists at least one server (it is an error otherwise).
        let share = l2.maxmemory / nodes.len() as u64;
        let limited = self.rt.block_on(async {
            for node in &nodes {
                let memory: String = node
                    .query(&mut conn, redis::cmd("INFO").arg("memory").clone())
                    .await?;
                let used = ServerStats::from_info(&memory, 0)?.used_memory;
                let limit = (used + share).to_string();
                config_set(
                    node,
                    &mut conn,
                    &[
                        ("maxmemory", &limit),
                        ("maxmemory-policy", l2.policy.name()),
                    ],
                )
                .await?;
            }
            Ok(())
        });
        let result = limited.and_then(|()| body());
        // Each server is put back even when another cannot be (its error is reported after).
        let restored = self.rt.block_on(async {
            let mut first_error = Ok(());
            for (node, (max, policy)) in nodes.iter().zip(&saved) {
                let put = config_set(
                    node,
                    &mut conn,
                    &[("maxmemory", max), ("maxmemory-policy", policy)],
                )
                .await;
                first_error = first_error.and(put);
            }
            first_error
        });
        let result = result?;
        restored?;
        Ok(result)
    }
}

/// `CONFIG GET name` on `node`: its value.
async fn config_get(node: &Node, conn: &mut Connection, name: &str) -> Result<String> {
    let reply: Vec<String> = node
        .query(conn, redis::cmd("CONFIG").arg("GET").arg(name).clone())
        .await
        .map_err(|e| Error::Store {
            detail: format!("CONFIG GET {name}: {e}"),
        })?;
    reply.into_iter().nth(1).ok_or_else(|| Error::Store {
        detail: format!("CONFIG GET {name}: no such setting"),
    })
}

/// `CONFIG SET name value …` on `node`.
async fn config_set(node: &Node, conn: &mut Connection, settings: &[(&str, &str)]) -> Result<()> {
    let mut cmd = redis::cmd("CONFIG");
    cmd.arg("SET");
    for (name, value) in settings {
        cmd.arg(*name).arg(*value);
    }
    node.query::<()>(conn, cmd).await.map_err(|e| Error::Store {
        detail: format!("CONFIG SET: {e}"),
    })
}

impl Driver for LiveDriver {
    type Rt = RealTime;
    type Store = LiveStore;

    fn runtime(&self) -> RealTime {
        self.clock
    }

    fn store(&self, _rtt: SimDuration) -> Result<LiveStore> {
        self.live_store()
    }

    fn model<'a>(&self, _store: &'a LiveStore) -> Option<&'a RefCell<L2>> {
        None
    }

    fn advance_to(&self, at: SimTime) -> Result<()> {
        let clock = self.clock;
        self.block_on(async move {
            clock.sleep_until(at).await;
            Ok(())
        })
    }

    fn block_on<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        self.local.block_on(&self.rt, async {
            tokio::select! {
                result = call => result,
                () = interrupted() => Err(Error::Interrupted),
            }
        })
    }

    fn replied(&self, _sent: SimTime, _rtt: SimDuration) -> SimTime {
        self.clock.now()
    }

    fn preload(&self, store: &LiveStore, entries: &[Preload]) -> Result<()> {
        for chunk in entries.chunks(PRELOAD_PIPELINE) {
            let sets: Vec<Cmd> = chunk
                .iter()
                .map(|(key, value, ttl)| Cmd::Set {
                    key,
                    value,
                    ttl: *ttl,
                    when: SetWhen::Always,
                })
                .collect();
            self.block_on(async { all_ok("SET", store.pipeline(&sets).await?) })?;
        }
        Ok(())
    }

    /// The tasks on the wall clock until the last one ends (no monitor: see the module's notes).
    fn run_tasks<H>(
        &self,
        _store: &LiveStore,
        _monitor: (SimDuration, AlertThresholds),
        _horizon: SimTime,
        start: H,
    ) -> Result<Option<Monitoring>>
    where
        H: FnOnce() -> Result<()>,
    {
        let local = LocalSet::new();
        // Inside the set, so that what `start` spawns runs in it.
        local.block_on(&self.rt, async { start() })?;
        self.run_to_end(local)?;
        Ok(None)
    }

    /// The lab bench on the wall clock: warm, traffic until every task is done, report.
    fn run_lab(&self, name: &str, config: &LabConfig, seed: u64) -> Result<VariantReport> {
        self.under_maxmemory(&config.l2_config, || {
            self.run_lab_unlimited(name, config, seed)
        })
    }

    fn run_lab_with<H, F, Fut>(
        &self,
        config: &LabConfig,
        seed: u64,
        setup: H,
    ) -> Result<LabContext<Self>>
    where
        H: FnOnce(&Rc<Ctx<scenario::Guarded<LiveStore, RealTime>, RealTime>>) -> Result<F>,
        F: Fn(Op) -> Fut + Clone + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.under_maxmemory(&config.l2_config, || {
            self.run_lab_with_unlimited(config, seed, setup)
        })
    }
}

impl LiveDriver {
    /// Runs every task of `local` to its end (a `LocalSet` completes when its last task does);
    /// Ctrl-C drops it, and with it every task.
    fn run_to_end(&self, local: LocalSet) -> Result<()> {
        self.rt.block_on(async {
            tokio::select! {
                () = local => Ok(()),
                () = interrupted() => Err(Error::Interrupted),
            }
        })
    }

    /// [`Driver::run_lab`] on the server as it is.
    fn run_lab_unlimited(
        &self,
        name: &str,
        config: &LabConfig,
        seed: u64,
    ) -> Result<VariantReport> {
        let store = self.live_store()?;
        let local = LocalSet::new();
        let started = local.block_on(
            &self.rt,
            start(store, config, seed, |lab| {
                lab.start_traffic();
                Ok(())
            }),
        );
        // The LocalSet completes when its last task does: every request, refresh and load.
        // Ctrl-C drops it, and with it every task.
        self.run_to_end(local)?;
        started.and_then(|lab| lab.report(name))
    }

    /// [`Driver::run_lab_with`] on the server as it is.
    fn run_lab_with_unlimited<H, F, Fut>(
        &self,
        config: &LabConfig,
        seed: u64,
        setup: H,
    ) -> Result<LabContext<Self>>
    where
        H: FnOnce(&Rc<Ctx<scenario::Guarded<LiveStore, RealTime>, RealTime>>) -> Result<F>,
        F: Fn(Op) -> Fut + Clone + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let store = self.live_store()?;
        let local = LocalSet::new();
        let started = local.block_on(
            &self.rt,
            start(store, config, seed, |lab| {
                lab.start_traffic_with(setup(lab.ctx())?);
                Ok(())
            }),
        );
        self.run_to_end(local)?;
        let lab = started?;
        lab.check_issued()?;
        Ok((lab.ctx().clone(), None))
    }
}

/// Builds the bench on the wall clock, warms the cache through the store and starts the traffic
/// with `traffic` (the lab's own handler or a scenario's).
async fn start(
    store: LiveStore,
    config: &LabConfig,
    seed: u64,
    traffic: impl FnOnce(&LabRun<LiveStore, RealTime>) -> Result<()>,
) -> Result<LabRun<LiveStore, RealTime>> {
    let lab = LabRun::new(RealTime::start(), store, config, seed)?;
    if let Some(load_time) = config.warm_load_time() {
        warm(
            lab.ctx(),
            config.mix.popularity.keys(),
            load_time,
            warm_in_flight(config),
        )
        .await?;
    }
    traffic(&lab)?;
    Ok(lab)
}

/// How many warm-up writes go at once: no more than the client's pool (if the config limits
/// it) lends connections.
fn warm_in_flight(config: &LabConfig) -> u64 {
    config
        .faults
        .pool
        .map_or(WARM_IN_FLIGHT, |pool| pool.clamp(1, WARM_IN_FLIGHT))
}

/// `SET`s every key `0..keys`, `in_flight` at a time, in key order (so the TTL jitter
/// draws are the simulator's).
async fn warm(
    ctx: &Rc<Ctx<scenario::Guarded<LiveStore, RealTime>, RealTime>>,
    keys: u64,
    load_time: SimDuration,
    in_flight: u64,
) -> Result<()> {
    let mut next = 0;
    while next < keys {
        let batch = next..(next + in_flight).min(keys);
        next = batch.end;
        let writes: Vec<_> = batch
            .map(|key| {
                let ctx = ctx.clone();
                tokio::task::spawn_local(
                    async move { ctx.warm_through_store(key, load_time).await },
                )
            })
            .collect();
        for write in writes {
            write.await.map_err(|e| Error::Store {
                detail: format!("warm-up task failed: {e}"),
            })??;
        }
    }
    Ok(())
}

/// Refuses parameters that would make a live run too long, naming the parameter.
fn check_live_limits(params: &Params) -> Result<()> {
    let limit = |what: &str, limit: f64, got: f64| -> Result<()> {
        if got > limit {
            return Err(Error::LimitExceeded {
                what: format!("{what} of a live run (real time is spent for real)"),
                limit: limit as u64,
                got: libm::ceil(got) as u64,
            });
        }
        Ok(())
    };
    // Every scenario has a duration; the others apply where the scenario has the knob.
    let duration = params.get("duration_s")?;
    limit("`duration_s`", MAX_LIVE_SECONDS, duration)?;
    if let Ok(keys) = params.get("keys") {
        limit("`keys`", MAX_LIVE_KEYS as f64, keys)?;
    }
    match params.get_u64("clients").unwrap_or(0) {
        0 => match params.get("rate") {
            Ok(rate) => limit(
                "the expected requests per variant (`rate` × `duration_s`)",
                MAX_LIVE_REQUESTS as f64,
                rate * duration,
            ),
            Err(_) => Ok(()),
        },
        clients => limit("`clients`", MAX_LIVE_CLIENTS as f64, clients as f64),
    }
}

/// A run id unlikely to repeat: the wall clock in milliseconds and the process id.
fn fresh_run_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("r{millis:x}-{}", std::process::id())
}

/// Why the live numbers differ from the simulated ones, printed under every comparison.
pub const WHY_THEY_DIFFER: &str = "The simulator gives every L2 command exactly `l2_rtt_ms` \
and lets no time pass between the steps of a request; live, each command takes the server's real \
round trip (on loopback usually well under the modelled 1 ms, and more when the server or the \
client is busy), tokio's timers round every sleep up to a whole millisecond, and all tasks take \
turns on one thread, so requests that were simultaneous in the model reach Redis one after the \
other. How many requests meet the same expired key — the database queries of an unprotected \
stampede — depends on exactly those microseconds, while the protected variants bound it by design; \
latency percentiles carry the scheduling delays; and the hit ratio moves only as much as the \
misses do. Where the two agree, the model's claim holds on a real server.";

/// One number, simulated and live.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// In the simulation.
    pub sim: f64,
    /// Against the real server.
    pub live: f64,
    /// `(live - sim) / sim`; 0 when both are 0, and absent when only `sim` is 0.
    pub relative: Option<f64>,
}

impl Difference {
    fn new(sim: f64, live: f64) -> Self {
        let relative = if sim == 0.0 {
            (live == 0.0).then_some(0.0)
        } else {
            Some((live - sim) / sim)
        };
        Difference {
            sim,
            live,
            relative,
        }
    }
}

/// How one variant's headline numbers moved between the model and reality.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantDifference {
    /// The variant.
    pub variant: String,
    /// Database queries.
    pub db_queries: Difference,
    /// Hit ratio of both caches.
    pub hit_ratio: Difference,
    /// 99th-percentile latency in milliseconds.
    pub p99_ms: Difference,
}

/// A scenario run on the simulator and live, side by side (`cachelab live --compare`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The simulated run.
    pub sim: Report,
    /// The live run.
    pub live: Report,
    /// Per variant (those in both runs), the differences.
    pub differences: Vec<VariantDifference>,
    /// Why they differ ([`WHY_THEY_DIFFER`]).
    pub why_they_differ: &'static str,
}

impl Comparison {
    /// Sets `sim` and `live` side by side.
    ///
    /// ```
    /// use cachelab::redis::live::Comparison;
    /// let quick = [("duration_s", "2"), ("rate", "200"), ("ttl_s", "1")]
    ///     .map(|(k, v)| (k.to_string(), v.to_string()));
    /// let sim = cachelab::scenario::run("stampede", &quick, 1).unwrap();
    /// assert!(sim.variants[0].summary.db_queries > 0);
    /// let mut live = sim.clone();
    /// live.variants[0].summary.db_queries *= 2; // pretend reality sent twice as many
    /// let c = Comparison::new(sim, live);
    /// assert_eq!(c.differences[0].db_queries.relative, Some(1.0));
    /// assert_eq!(c.differences[1].db_queries.relative, Some(0.0));
    /// ```
    pub fn new(sim: Report, live: Report) -> Self {
        let differences = sim
            .variants
            .iter()
            .filter_map(|sim_variant| {
                let name = &sim_variant.name;
                let l = &live.variants.iter().find(|l| &l.name == name)?.summary;
                let s = &sim_variant.summary;
                Some(VariantDifference {
                    variant: name.clone(),
                    db_queries: Difference::new(s.db_queries as f64, l.db_queries as f64),
                    hit_ratio: Difference::new(s.hit_ratio, l.hit_ratio),
                    p99_ms: Difference::new(s.latency_ms.p99, l.latency_ms.p99),
                })
            })
            .collect();
        Comparison {
            sim,
            live,
            differences,
            why_they_differ: WHY_THEY_DIFFER,
        }
    }
}
