//! The lab bench that every scenario variant runs on: it builds the tiers from a [`LabConfig`],
//! warms the cache, lets requests arrive until the duration is over, waits for the last ones to
//! finish, and turns the measurements into a [`VariantReport`].
//!
//! Every variant of a scenario sees the same arrivals and keys (the workload has its own random
//! stream), so variants differ only by what their strategy does.
//!
//! The bench itself ([`LabRun`]) is generic over the runtime and the store: [`run_variant`] puts
//! it on the simulator with the L2 model, and the `redis` feature's live mode puts the very same
//! bench — same seeded arrivals, same keys, same report — on the wall clock with a real Redis.

use crate::error::{Error, Result};
use crate::metrics::{Event, HotKeyReport, Metrics, MissingKeysReport, Series, Summary};
use crate::sim::{Executor, Runtime, Sim, SimDuration, SimRng, SimTime};
use crate::strategy::{self, Bloom, Ctx, Policy, SimL2, Store};
use crate::tiers::{Db, LatencyModel, L1, L2};
use crate::workload::{Arrivals, Mix};
use serde::Serialize;
use std::cell::Cell;
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
    /// How many of the first events the report lists (step mode; 0 lists none).
    pub event_log: usize,
}

/// A Bloom filter's size and how it did on keys that do not exist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BloomReport {
    /// Size in bits.
    pub bits: u64,
    /// Probes per key.
    pub hashes: u32,
    /// The textbook false-positive rate for its size and contents.
    pub expected_fpr: f64,
    /// Share of lookups for missing keys that it let through.
    pub measured_fpr: f64,
    /// Lookups for missing keys.
    pub missing_checked: u64,
    /// Of those, let through to the database.
    pub missing_passed: u64,
}

/// One variant's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantReport {
    /// The variant.
    pub name: String,
    /// Headline numbers.
    pub summary: Summary,
    /// Per-bucket numbers.
    pub series: Series,
    /// The traced hot key's loads per expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hot_key: Option<HotKeyReport>,
    /// Reads for keys that do not exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_keys: Option<MissingKeysReport>,
    /// The Bloom filter's false-positive rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bloom: Option<BloomReport>,
    /// The keys the database was queried for most, busiest first.
    pub db_busiest_keys: Vec<KeyQueries>,
    /// Step mode: the first events of the run in time order (absent unless asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

/// Database queries for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyQueries {
    /// The key.
    pub key: u64,
    /// Queries issued for it.
    pub queries: u64,
}

/// How many of the busiest keys a report lists.
const BUSIEST_KEYS: usize = 5;

/// Runs one variant on the simulator.
pub fn run_variant(name: &str, config: &LabConfig, seed: u64) -> Result<VariantReport> {
    let exec = Executor::new();
    let sim = exec.sim().clone();
    let l2 = SimL2::new(sim.clone(), L2::new(), config.l2_rtt);
    let lab = LabRun::new(sim, l2, config, seed)?;
    if let Some(load_time) = config.warm_load_time() {
        for key in 0..config.mix.popularity.keys() {
            lab.ctx().warm(key, load_time)?;
        }
    }
    lab.start_traffic();
    exec.run();
    lab.report(name)
}

impl LabConfig {
    /// If the run starts warm: the load time every warmed entry carries (the database's
    /// median). The keys to warm are `0..mix.popularity.keys()`.
    pub fn warm_load_time(&self) -> Option<SimDuration> {
        self.warm.then(|| self.db_latency.median())
    }
}

/// One variant's bench on runtime `R` with shared cache `S`: the tiers and the measurements,
/// the traffic, and the report. The caller warms the cache (if [`LabConfig::warm_load_time`]
/// says so), calls [`LabRun::start_traffic`], runs the runtime until every task has finished,
/// and asks for [`LabRun::report`].
pub struct LabRun<S, R: Runtime = Sim> {
    ctx: Rc<Ctx<S, R>>,
    config: LabConfig,
    seed: u64,
    issued: Rc<Cell<u64>>,
}

impl<S: Store + 'static, R: Runtime> LabRun<S, R> {
    /// The bench for `config`, on `runtime` with `l2` as the shared cache; refuses open-loop
    /// runs that would exceed [`MAX_REQUESTS`].
    pub fn new(runtime: R, l2: S, config: &LabConfig, seed: u64) -> Result<Self> {
        check_request_budget(config)?;
        Ok(LabRun {
            ctx: Rc::new(build(runtime, l2, config, seed)),
            config: config.clone(),
            seed,
            issued: Rc::new(Cell::new(0)),
        })
    }

    /// The context the requests run in (for warming the cache).
    pub fn ctx(&self) -> &Rc<Ctx<S, R>> {
        &self.ctx
    }

    /// Starts the event log and spawns the traffic on the runtime: the requests run as the
    /// runtime runs.
    pub fn start_traffic(&self) {
        // The log starts with the traffic, after the warm-up's thousands of fills.
        self.ctx
            .metrics
            .borrow_mut()
            .start_event_log(self.config.event_log);
        start_arrivals(&self.ctx, &self.config, self.seed, self.issued.clone());
    }

    /// The report, once every request has finished.
    pub fn report(&self, name: &str) -> Result<VariantReport> {
        if self.issued.get() > MAX_REQUESTS {
            return Err(limit_error(self.issued.get()));
        }
        let ctx = &self.ctx;
        let end = SimTime::ZERO + self.config.duration;
        let db = ctx.db.stats();
        let mut metrics = ctx.metrics.borrow_mut();
        let (summary, series) = metrics.finish(db.max_in_flight);
        let mut busiest: Vec<KeyQueries> = db
            .per_key
            .iter()
            .map(|(&key, &queries)| KeyQueries { key, queries })
            .collect();
        busiest.sort_by_key(|k| (std::cmp::Reverse(k.queries), k.key));
        busiest.truncate(BUSIEST_KEYS);
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
        Ok(VariantReport {
            name: name.to_string(),
            summary,
            series,
            hot_key: metrics.hot_key(end, self.config.policy.ttl),
            missing_keys: metrics.missing_keys(),
            bloom,
            db_busiest_keys: busiest,
            events: metrics.take_events(),
        })
    }
}

fn limit_error(got: u64) -> Error {
    Error::LimitExceeded {
        what: "simulated requests in one variant".to_string(),
        limit: MAX_REQUESTS,
        got,
    }
}

/// Refuses open-loop runs that would exceed [`MAX_REQUESTS`] before starting them; closed-loop
/// runs are stopped by the arrival loop when they reach it.
fn check_request_budget(config: &LabConfig) -> Result<()> {
    if let Arrivals::Poisson { per_sec } = config.arrivals {
        let expected = per_sec * config.duration.as_secs_f64();
        if expected > MAX_REQUESTS as f64 {
            return Err(limit_error(libm::ceil(expected) as u64));
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
/// client. `issued` counts requests; the loops stop just past [`MAX_REQUESTS`].
fn start_arrivals<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    config: &LabConfig,
    seed: u64,
    issued: Rc<Cell<u64>>,
) {
    let sim = &ctx.sim;
    let end = SimTime::ZERO + config.duration;
    let rng = Rc::new(std::cell::RefCell::new(SimRng::fork(seed, WORKLOAD_STREAM)));
    match config.arrivals {
        Arrivals::Poisson { .. } => {
            let (sim, ctx, config) = (sim.clone(), ctx.clone(), config.clone());
            sim.clone().spawn_detached(async move {
                let mut at = SimTime::ZERO;
                // Arrivals are released in batches, each request a task that starts at its own
                // arrival time: the loop wakes once a batch rather than once a request.
                while at < end && issued.get() <= MAX_REQUESTS {
                    for _ in 0..ARRIVAL_BATCH {
                        at += config.arrivals.next_gap(&mut rng.borrow_mut());
                        if at >= end || issued.get() > MAX_REQUESTS {
                            break;
                        }
                        issued.set(issued.get() + 1);
                        let op = config.mix.next_op(&mut rng.borrow_mut());
                        sim.spawn_at(at, strategy::serve(ctx.clone(), op));
                    }
                    sim.sleep_until(at).await;
                }
            });
        }
        Arrivals::ClosedLoop { clients, think } => {
            let mix = Rc::new(config.mix.clone());
            for _ in 0..clients {
                let (sim, ctx, mix, rng, issued) = (
                    sim.clone(),
                    ctx.clone(),
                    mix.clone(),
                    rng.clone(),
                    issued.clone(),
                );
                sim.clone().spawn_detached(async move {
                    while sim.now() < end && issued.get() <= MAX_REQUESTS {
                        issued.set(issued.get() + 1);
                        let op = mix.next_op(&mut rng.borrow_mut());
                        strategy::serve(ctx.clone(), op).await;
                        sim.sleep(think).await;
                    }
                });
            }
        }
    }
}
