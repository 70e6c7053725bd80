//! `cachelab live`: a scenario's variants in real time against a real Redis.
//!
//! The run is the simulator's lab bench ([`LabRun`]) with two parts swapped: the clock is the wall
//! clock ([`RealTime`], tokio tasks on one thread) and the shared cache is a [`RedisStore`]. The
//! seeded arrivals and keys, the strategies, the database model (whose query times are now really
//! slept) and the report are the very same code, so a live report reads exactly like `run`'s and
//! can be set beside it ([`Comparison`]).
//!
//! Each variant gets its own key prefix (`cachelab:<run id>:<variant>:`), starts warm like the
//! simulated one (every key `SET` through the store before the traffic), and is cleaned up
//! afterwards (`SCAN` on every master, then `UNLINK`), whether it succeeded or not.
//!
//! Real time is spent for real, so a live run is refused when it would take too long — see
//! [`MAX_LIVE_SECONDS`] and its neighbours — with an error that names the parameter to lower.
//! Scenarios that run on a bench of their own (a custom runner) are refused too: only the lab
//! bench has a live twin.

use super::runtime::RealTime;
use super::store::{run_prefix, RedisStore};
use super::{connect, monitor, Connection, Target};
use crate::error::{Error, Result};
use crate::scenario::{self, LabConfig, LabRun, Params, Report, VariantReport};
use crate::sim::SimDuration;
use crate::strategy::Ctx;
use serde::Serialize;
use std::rc::Rc;
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

/// Warm-up `SET`s in flight at once (the connections pipeline them).
const WARM_IN_FLIGHT: u64 = 256;

type LiveStore = RedisStore<Connection>;

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
    /// println!("{} db queries without protection", report.variants[0].summary.db_queries);
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
        let mut configs = Vec::new();
        for variant in &chosen {
            let config = scenario
                .lab_config(&params, variant)
                .ok_or_else(|| Error::Parse {
                    what: format!("scenario `{name}`"),
                    detail: "it runs on a bench of its own, which has no live version; live runs \
                             the scenarios of the lab bench (stampede, avalanche, penetration)"
                        .to_string(),
                })??;
            configs.push(config);
        }
        check_live_limits(&params)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Store {
                detail: format!("cannot start the tokio runtime: {e}"),
            })?;
        let conn = rt.block_on(connect(&self.target, self.connections))?;
        let mut reports = Vec::new();
        for (variant, config) in chosen.iter().zip(&configs) {
            reports.push(self.run_variant(&rt, &conn, variant, config, seed)?);
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
        let live = self.run(name, given, seed)?;
        let sim = scenario::run(name, given, seed)?;
        Ok(Comparison::new(sim, live))
    }

    /// One variant: warm, traffic until every task is done, report, clean up.
    fn run_variant(
        &self,
        rt: &TokioRuntime,
        conn: &Connection,
        variant: &str,
        config: &LabConfig,
        seed: u64,
    ) -> Result<VariantReport> {
        let store = RedisStore::new(conn.clone(), run_prefix(&self.run_id, variant))?
            .on_cluster(matches!(conn, Connection::Cluster(_)));
        let local = LocalSet::new();
        let started = local.block_on(rt, start(store.clone(), config, seed));
        // The LocalSet completes when its last task does: every request, refresh and load.
        rt.block_on(local);
        let report = started.and_then(|lab| lab.report(variant));
        // Every key of the run shares the prefix: SCAN (never KEYS) and UNLINK them on every master.
        let pattern = format!("{}*", store.prefix());
        let cleaned = rt.block_on(monitor::delete_matching(&mut conn.clone(), &pattern));
        let report = report?;
        cleaned?;
        Ok(report)
    }
}

/// Builds the bench on the wall clock, warms the cache through the store and starts the traffic.
async fn start(
    store: LiveStore,
    config: &LabConfig,
    seed: u64,
) -> Result<LabRun<LiveStore, RealTime>> {
    let lab = LabRun::new(RealTime::start(), store, config, seed)?;
    if let Some(load_time) = config.warm_load_time() {
        // No more at once than the client's pool (if the config limits it) lends connections.
        let in_flight = config
            .faults
            .pool
            .map_or(WARM_IN_FLIGHT, |pool| pool.clamp(1, WARM_IN_FLIGHT));
        warm(
            lab.ctx(),
            config.mix.popularity.keys(),
            load_time,
            in_flight,
        )
        .await?;
    }
    lab.start_traffic();
    Ok(lab)
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
    let duration = params.get("duration_s")?;
    limit("`duration_s`", MAX_LIVE_SECONDS, duration)?;
    limit("`keys`", MAX_LIVE_KEYS as f64, params.get("keys")?)?;
    match params.get_u64("clients")? {
        0 => limit(
            "the expected requests per variant (`rate` × `duration_s`)",
            MAX_LIVE_REQUESTS as f64,
            params.get("rate")? * duration,
        ),
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
