//! The lab bench that every scenario variant runs on: it builds the tiers from a [`LabConfig`],
//! warms the cache, lets requests arrive until the duration is over, waits for the last ones to
//! finish, and turns the measurements into a [`VariantReport`].
//!
//! Every variant of a scenario sees the same arrivals and keys (the workload has its own random
//! stream), so variants differ only by what their strategy does.

use super::report::{BloomReport, KeyQueries, VariantReport};
use crate::error::{Error, Result};
use crate::manager::{run_monitored, AlertThresholds, Monitor, Monitoring};
use crate::metrics::Metrics;
use crate::sim::{Executor, Runtime, Sim, SimDuration, SimRng, SimTime};
use crate::strategy::{
    self, Bloom, Breaker, BreakerConfig, Ctx, Faults, Faulty, Policy, SimL2, Store,
};
use crate::tiers::l2::L2Config;
use crate::tiers::{Db, DbStats, LatencyModel, L1, L2};
use crate::workload::{Arrivals, Mix, Op, PoissonClock};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::num::{NonZeroU64, NonZeroUsize};
use std::rc::Rc;

/// At most this many requests in one variant, so that no parameters can exhaust memory or time.
pub const MAX_REQUESTS: u64 = 5_000_000;

/// Poisson arrivals released at a time (a trade between wake-ups and tasks waiting to start).
const ARRIVAL_BATCH: u32 = 64;

/// Random streams of a run, so that one part's draws never shift another's.
const WORKLOAD_STREAM: u64 = 1;
const DB_STREAM: u64 = 2;
const STRATEGY_STREAM: u64 = 3;

/// Everything one variant's run needs.
#[derive(Clone, Debug)]
pub struct LabConfig {
    /// Requests arrive during `[0, duration)`.
    pub duration: SimDuration,
    /// Width of a time-series bucket.
    pub bucket: SimDuration,
    /// How requests arrive.
    pub arrivals: Arrivals,
    /// What they ask for.
    pub mix: Mix,
    /// The L1's capacity, or no L1 (its entry lifetime is in the policy).
    pub l1: Option<NonZeroUsize>,
    /// Network round trip to L2.
    pub l2_rtt: SimDuration,
    /// Query times of the database.
    pub db_latency: LatencyModel,
    /// Connections in the database's pool.
    pub db_pool: NonZeroU64,
    /// The caching policy.
    pub policy: Policy,
    /// A Bloom filter of the existing keys at this many bits per key, or none.
    pub bloom_bits_per_key: Option<u64>,
    /// Whether every existing key is cached at time zero (all with the same TTL, as after a
    /// deploy or a bulk load).
    pub warm: bool,
    /// A key whose database load to trace per expiry.
    pub hot_key: Option<u64>,
    /// How many events the report lists (step mode; 0 lists none).
    pub event_log: usize,
    /// When step mode's log starts: requests that arrive earlier are not listed.
    pub event_log_from: SimTime,
    /// When the monitor of L2 raises an alert.
    pub alerts: AlertThresholds,
    /// How the simulated L2 fails (outages, slow replies) and the client's timeout and pool
    /// (none by default: the model never fails).
    pub faults: Faults,
    /// A circuit breaker in front of the L2 client, or none.
    pub breaker: Option<BreakerConfig>,
    /// The L2 model's settings (`maxmemory` and its policy; none by default).
    pub l2_config: L2Config,
}

/// A shared cache `S` on runtime `R` behind the config's faults and breaker (both transparent
/// when the config has none): what the lab's requests talk to, on the simulator and live.
pub type Guarded<S, R> = Breaker<Faulty<S, R>, R>;

/// The lab's shared cache on the simulator: the L2 model, guarded.
pub(super) type LabL2 = Guarded<SimL2, Sim>;

/// How many of the busiest keys a report lists.
const BUSIEST_KEYS: usize = 5;

/// Runs one variant on the simulator.
pub fn run_variant(name: &str, config: &LabConfig, seed: u64) -> Result<VariantReport> {
    run_lab(name, config, seed).map(|(report, _)| report)
}

/// [`run_variant`], also handing back the context, whose store knows what its faults and
/// breaker did (a scenario that reports those reads them there).
pub(super) fn run_lab(
    name: &str,
    config: &LabConfig,
    seed: u64,
) -> Result<(VariantReport, Rc<Ctx<LabL2>>)> {
    let (exec, ctx) = prepare_lab(config, seed)?;
    let serving = ctx.clone();
    let model = ctx.l2.as_ref().model();
    let monitoring = drive(&exec, model, config, seed, move |op| {
        strategy::serve(serving.clone(), op)
    })?;
    Ok((report(name, &ctx, config, Some(monitoring)), ctx))
}

/// [`prepare`] with the lab's L2 behind its configured faults and breaker.
pub(super) fn prepare_lab(config: &LabConfig, seed: u64) -> Result<(Executor, Rc<Ctx<LabL2>>)> {
    prepare_with(config, seed, |l2| {
        let sim = l2.sim().clone();
        guarded(l2, &sim, config)
    })
}

/// `l2` behind `config`'s faults and breaker on `rt`'s clock.
fn guarded<S: Store, R: Runtime>(l2: S, rt: &R, config: &LabConfig) -> Guarded<S, R> {
    let faulty = Faulty::new(l2, rt.clone(), config.faults.clone());
    Breaker::new(faulty, rt.clone(), config.breaker)
}

/// The bench before traffic: the request budget checked, the tiers built (the simulated L2
/// wrapped by `wrap`: fault injection, a breaker) and (if configured) warmed.
fn prepare_with<S: Store + AsRef<SimL2> + 'static>(
    config: &LabConfig,
    seed: u64,
    wrap: impl FnOnce(SimL2) -> S,
) -> Result<(Executor, Rc<Ctx<S>>)> {
    check_request_budget(config.arrivals, config.duration)?;
    let exec = Executor::new();
    let sim = exec.sim().clone();
    let model = L2::with_config(config.l2_config.clone());
    let l2 = wrap(SimL2::new(sim.clone(), model, config.l2_rtt));
    let ctx = Rc::new(build(sim, l2, config, seed));
    if let Some(load_time) = config.warm_load_time() {
        for key in 0..config.mix.popularity.keys() {
            ctx.warm(key, load_time)?;
        }
    }
    // The log starts with the traffic, after the warm-up's thousands of fills.
    ctx.metrics
        .borrow_mut()
        .start_event_log(config.event_log, config.event_log_from);
    Ok((exec, ctx))
}

/// Lets `config`'s traffic arrive until its duration is over, handing each request to `serve`,
/// and runs the simulation until the last request (and anything it started) has finished,
/// polling the shared cache `l2` as a monitor would once a bucket. Custom benches (several app
/// instances, say) use it with their own `serve`, so that every scenario's traffic comes from the
/// same arrival process and random stream.
pub(super) fn drive<F, Fut>(
    exec: &Executor,
    l2: &RefCell<L2>,
    config: &LabConfig,
    seed: u64,
    serve: F,
) -> Result<Monitoring>
where
    F: Fn(Op) -> Fut + Clone + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let issued = Rc::new(Cell::new(0u64));
    start_arrivals(exec.sim(), config, seed, issued.clone(), serve);
    let monitor = Monitor::new(config.bucket, config.alerts, &l2.borrow());
    let monitoring = run_monitored(exec, l2, SimTime::ZERO + config.duration, monitor);
    check_issued(issued.get())?;
    Ok(monitoring)
}

/// The report of a finished run on any runtime (scenario-specific sections left empty).
pub(super) fn report<S: Store + 'static, R: Runtime>(
    name: &str,
    ctx: &Ctx<S, R>,
    config: &LabConfig,
    monitoring: Option<Monitoring>,
) -> VariantReport {
    let end = SimTime::ZERO + config.duration;
    let mut metrics = ctx.metrics.borrow_mut();
    let db = ctx.db.stats();
    let (summary, series) = metrics.finish(db.max_in_flight);
    let bloom = ctx.bloom.as_ref().map(|b| {
        let (checked, passed) = ctx.bloom_missing();
        BloomReport {
            bits: b.len_bits(),
            hashes: b.hashes(),
            expected_fpr: b.expected_fpr(),
            measured_fpr: if checked == 0 {
                0.0
            } else {
                passed as f64 / checked as f64
            },
            missing_checked: checked,
            missing_passed: passed,
        }
    });
    VariantReport {
        hot_key: metrics.hot_key(end, config.policy.ttl),
        missing_keys: metrics.missing_keys(),
        bloom,
        db_busiest_keys: busiest_keys(&db),
        events: metrics.take_events(),
        monitoring,
        ..VariantReport::basic(name, summary, series)
    }
}

impl LabConfig {
    /// If the run starts warm: the load time every warmed entry carries (the database's
    /// median). The keys to warm are `0..mix.popularity.keys()`.
    pub fn warm_load_time(&self) -> Option<SimDuration> {
        self.warm.then(|| self.db_latency.median())
    }
}

/// One variant's lab bench on any runtime `R` with shared cache `S` — how the `redis` feature's
/// live mode runs the simulator's bench (same seeded arrivals, keys and report) on the wall clock
/// against a real Redis. The caller warms the cache (if [`LabConfig::warm_load_time`] says so),
/// calls [`LabRun::start_traffic`], runs the runtime until every task has finished, and asks for
/// [`LabRun::report`].
pub struct LabRun<S, R: Runtime> {
    ctx: Rc<Ctx<Guarded<S, R>, R>>,
    config: LabConfig,
    seed: u64,
    issued: Rc<Cell<u64>>,
}

impl<S: Store + 'static, R: Runtime> LabRun<S, R> {
    /// The bench for `config`, on `runtime` with `l2` as the shared cache; refuses open-loop
    /// runs that would exceed [`MAX_REQUESTS`].
    pub fn new(runtime: R, l2: S, config: &LabConfig, seed: u64) -> Result<Self> {
        check_request_budget(config.arrivals, config.duration)?;
        // The config's faults and breaker apply on this runtime's clock too.
        let l2 = guarded(l2, &runtime, config);
        Ok(LabRun {
            ctx: Rc::new(build(runtime, l2, config, seed)),
            config: config.clone(),
            seed,
            issued: Rc::new(Cell::new(0)),
        })
    }

    /// The context the requests run in (for warming the cache).
    pub fn ctx(&self) -> &Rc<Ctx<Guarded<S, R>, R>> {
        &self.ctx
    }

    /// Starts the event log and spawns the traffic on the runtime: the requests run as the
    /// runtime runs.
    pub fn start_traffic(&self) {
        let ctx = self.ctx.clone();
        self.start_traffic_with(move |op| strategy::serve(ctx.clone(), op));
    }

    /// [`LabRun::start_traffic`] with a request handler of the scenario's own.
    pub fn start_traffic_with<F, Fut>(&self, serve: F)
    where
        F: Fn(Op) -> Fut + Clone + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        // The log starts with the traffic, after the warm-up's thousands of fills.
        self.ctx
            .metrics
            .borrow_mut()
            .start_event_log(self.config.event_log, self.config.event_log_from);
        start_arrivals(
            &self.ctx.sim,
            &self.config,
            self.seed,
            self.issued.clone(),
            serve,
        );
    }

    /// The requests issued so far, checked against [`MAX_REQUESTS`].
    pub fn check_issued(&self) -> Result<()> {
        check_issued(self.issued.get())
    }

    /// The report, once every request has finished (no monitor polls a real server here).
    pub fn report(&self, name: &str) -> Result<VariantReport> {
        self.check_issued()?;
        Ok(report(name, &self.ctx, &self.config, None))
    }
}

/// Refuses a run that issued more than [`MAX_REQUESTS`] requests.
pub(super) fn check_issued(issued: u64) -> Result<()> {
    match issued {
        n if n > MAX_REQUESTS => Err(limit_error(n)),
        _ => Ok(()),
    }
}

/// The keys the database was queried for most, busiest first (ties by key).
pub(super) fn busiest_keys(db: &DbStats) -> Vec<KeyQueries> {
    let mut busiest: Vec<KeyQueries> = db
        .per_key
        .iter()
        .map(|(&key, &queries)| KeyQueries { key, queries })
        .collect();
    crate::order::by_key_pair(&mut busiest, |k| (u64::MAX - k.queries, k.key));
    busiest.truncate(BUSIEST_KEYS);
    busiest
}

fn limit_error(got: u64) -> Error {
    Error::LimitExceeded {
        what: "simulated requests in one variant".to_string(),
        limit: MAX_REQUESTS,
        got,
    }
}

/// An open-loop run's request count against the budget: the page shows it under the rate and
/// duration fields before a run, on the same bound the run is refused on.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RequestBudget {
    /// The most requests `per_sec` × duration can issue ([`PoissonClock::most_arrivals`]).
    pub most: u64,
    /// [`MAX_REQUESTS`].
    pub limit: u64,
}

impl RequestBudget {
    /// Whether a run with this bound is allowed.
    pub fn fits(&self) -> bool {
        self.most <= self.limit
    }
}

/// The request budget of an open-loop run at `per_sec` for `duration`.
pub fn request_budget(per_sec: f64, duration: SimDuration) -> RequestBudget {
    RequestBudget {
        most: PoissonClock::most_arrivals(per_sec, duration),
        limit: MAX_REQUESTS,
    }
}

/// Refuses open-loop runs that could exceed [`MAX_REQUESTS`] before starting them, on the count
/// their arrivals never pass ([`PoissonClock::most_arrivals`]); closed-loop runs are stopped by
/// the arrival loop when they reach it.
pub(super) fn check_request_budget(arrivals: Arrivals, duration: SimDuration) -> Result<()> {
    if let Arrivals::Poisson { per_sec } = arrivals {
        let budget = request_budget(per_sec, duration);
        if !budget.fits() {
            return Err(Error::LimitExceeded {
                what: "simulated requests in one variant (at most, for this rate × duration)"
                    .to_string(),
                limit: budget.limit,
                got: budget.most,
            });
        }
    }
    Ok(())
}

fn build<S: Store + 'static, R: Runtime>(
    runtime: R,
    l2: S,
    config: &LabConfig,
    seed: u64,
) -> Ctx<S, R> {
    let keys = config.mix.popularity.keys();
    let db = Db::new(
        keys,
        config.db_pool,
        config.db_latency,
        SimRng::fork(seed, DB_STREAM),
    );
    let bloom = config.bloom_bits_per_key.map(|bits| {
        let mut b = Bloom::new(keys, bits);
        (0..keys).for_each(|k| b.insert(k));
        b
    });
    let metrics = Metrics::new(
        config.bucket,
        SimTime::ZERO + config.duration,
        keys,
        config.mix.missing_keys,
        config.hot_key,
    );
    Ctx::new(
        runtime,
        config.l1.map(L1::new),
        l2,
        db,
        config.policy,
        bloom,
        metrics,
        SimRng::fork(seed, STRATEGY_STREAM),
    )
}

/// Spawns the traffic: one task that releases Poisson arrivals, or one task per closed-loop
/// client; each request is a `serve(op)` task. `issued` counts requests; the loops stop just past
/// [`MAX_REQUESTS`].
pub(super) fn start_arrivals<R: Runtime, F, Fut>(
    sim: &R,
    config: &LabConfig,
    seed: u64,
    issued: Rc<Cell<u64>>,
    serve: F,
) where
    F: Fn(Op) -> Fut + Clone + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let end = SimTime::ZERO + config.duration;
    let rng = Rc::new(std::cell::RefCell::new(SimRng::fork(seed, WORKLOAD_STREAM)));
    match config.arrivals {
        Arrivals::Poisson { per_sec } => {
            let (sim, config) = (sim.clone(), config.clone());
            // The budget was checked on this bound, which the loop never passes.
            let most = PoissonClock::most_arrivals(per_sec, config.duration);
            let mut clock = PoissonClock::new(per_sec);
            sim.clone().spawn_detached(async move {
                let mut at = SimTime::ZERO;
                // Arrivals are released in batches, each request a task that starts at its own
                // arrival time: the loop wakes once a batch rather than once a request.
                while at < end && issued.get() < most {
                    for _ in 0..ARRIVAL_BATCH {
                        at = clock.next(&mut rng.borrow_mut());
                        if at >= end || issued.get() >= most {
                            break;
                        }
                        issued.set(issued.get() + 1);
                        let op = config.mix.next_op(&mut rng.borrow_mut());
                        sim.spawn_at(at, serve(op));
                    }
                    sim.sleep_until(at).await;
                }
            });
        }
        Arrivals::ClosedLoop { clients, think } => {
            let mix = Rc::new(config.mix.clone());
            for _ in 0..clients {
                let (sim, serve, mix, rng, issued) = (
                    sim.clone(),
                    serve.clone(),
                    mix.clone(),
                    rng.clone(),
                    issued.clone(),
                );
                sim.clone().spawn_detached(async move {
                    while sim.now() < end && issued.get() <= MAX_REQUESTS {
                        issued.set(issued.get() + 1);
                        let op = mix.next_op(&mut rng.borrow_mut());
                        serve(op).await;
                        sim.sleep(think).await;
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_the_page_shows_is_the_one_runs_are_refused_on() {
        for (per_sec, secs) in [
            (10_000.0, 24.0),
            (100_000.0, 49.0),
            (100_000.0, 50.0),
            (1e6, 600.0),
        ] {
            let duration = SimDuration::from_secs_f64(secs);
            let budget = request_budget(per_sec, duration);
            assert_eq!(budget.limit, MAX_REQUESTS);
            let refused = check_request_budget(Arrivals::Poisson { per_sec }, duration).is_err();
            assert_eq!(refused, !budget.fits(), "{per_sec}/s for {secs} s");
        }
        assert_eq!(
            request_budget(10_000.0, SimDuration::from_secs(24)).most,
            243_928
        );
        assert!(!request_budget(100_000.0, SimDuration::from_secs(50)).fits());
    }
}
