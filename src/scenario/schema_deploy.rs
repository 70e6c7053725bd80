//! The `schema-deploy` scenario: a deploy changes the layout of a cached struct while L2 is full
//! of values the old code wrote.
//!
//! The cached value is a product. The old code (schema version 1) stores its price in cents and
//! its stock as optional; the new code (version 2) stores the price in dollars and the stock as a
//! plain number. At `deploy_at_s` the new code starts to take over: over `rollout_s` seconds the
//! share of requests served by new instances grows from none to all (0 = every instance at once),
//! so during a rolling deploy old and new code read and write the same cache.
//!
//! Three ways to store the value:
//!
//! - `versioned`: the manager's typed values ([`crate::manager::remember`]) — every value carries
//!   its schema name and version, and a value of another version is a miss that the reader
//!   replaces. No reader ever sees a wrongly shaped value; the price is one reload per key, and
//!   during a rolling deploy old and new instances replace each other's entries back and forth.
//! - `unversioned`: plain JSON of the struct, as naive code writes it. The new code reads old bytes
//!   as best serde can: products without stock fail to decode (counted, then reloaded), and the
//!   others decode *successfully* with a price a hundred times too high — wrong values served until
//!   their TTL ends. Old instances cannot read the new float prices at all.
//! - `prefix-bump`: the schema version is part of the key (`product:v2:7`): each version has its
//!   own keys, so nothing is ever misread or replaced back and forth, but the new code starts with
//!   a cold cache and the old keys keep their memory until their TTL ends.
//!
//! Reads are cache-aside over the simulated L2 and database of the lab; `stale_reads` stays 0,
//! because a wrong value here is a misreading, counted in the report's `schema_deploy` section.

use super::common::{alert_thresholds, db_latency, lab_params, ms, param, secs};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::{faulty_store, open, Driver, Preload};
use super::lab::{busiest_keys, check_request_budget};
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::Result;
use crate::manager::{remember, Remembered, Schema};
use crate::metrics::{Metrics, Outcome, Purpose, Served};
use crate::sim::{Runtime, SimDuration, SimRng, SimTime};
use crate::strategy::Store;
use crate::tiers::Db;
use crate::workload::{Arrivals, Op, PoissonClock, Popularity, Zipf};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::num::NonZeroU64;
use std::rc::Rc;

/// Random streams of a run (the workload's matches the lab's, so traffic is alike per seed).
const WORKLOAD_STREAM: u64 = 1;
const DB_STREAM: u64 = 2;
const ROLLOUT_STREAM: u64 = 3;

/// Parameters of the lab that this scenario does not model (no L1, no writes, open-loop only).
const UNUSED_COMMON: [&str; 6] = [
    "clients",
    "think_ms",
    "write_share",
    "l1_keys",
    "l1_ttl_ms",
    "timeout_ms",
];

/// What a schema deploy did to the cache.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaDeployReport {
    /// When the new code started to serve, in seconds.
    pub deploy_at_s: f64,
    /// How long the new code took to serve every request, in seconds.
    pub rollout_s: f64,
    /// Reads that found a value of the other schema version and replaced it (versioned only).
    pub old_schema_misses: u64,
    /// Reads whose bytes did not decode as the reader's type; each was reloaded and replaced.
    pub decode_errors: u64,
    /// Reads that decoded bytes into a value other than what the database holds: a misreading
    /// served to the caller.
    pub wrong_values: u64,
    /// Database queries issued before the deploy.
    pub db_queries_before_deploy: u64,
    /// Database queries issued from the deploy on.
    pub db_queries_after_deploy: u64,
}

impl SchemaDeployReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        format!(
            "after the deploy: {} reloads, {} old-schema misses, {} decode errors, {} wrong values",
            self.db_queries_after_deploy,
            self.old_schema_misses,
            self.decode_errors,
            self.wrong_values
        )
    }
}

/// The product as the old code (schema version 1) caches it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ProductV1 {
    id: u64,
    /// In cents.
    price: u64,
    /// Unknown for some products.
    stock: Option<u64>,
}

impl Schema for ProductV1 {
    const NAME: &'static str = "product";
    const VERSION: u32 = 1;
}

/// The product as the new code (schema version 2) caches it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ProductV2 {
    id: u64,
    /// In dollars.
    price: f64,
    /// Zero when unknown.
    stock: u64,
}

impl Schema for ProductV2 {
    const NAME: &'static str = "product";
    const VERSION: u32 = 2;
}

/// A product's price in cents, as the database holds it.
fn price_cents(id: u64) -> u64 {
    99 + id.wrapping_mul(37) % 900
}

/// A product's stock: unknown for every fourth product.
fn stock(id: u64) -> Option<u64> {
    (id % 4 != 0).then_some(id % 50)
}

/// A cached product type: what the code of its version builds from the database's row.
trait Product: Schema + Clone + PartialEq + 'static {
    fn from_row(id: u64) -> Self;
}

impl Product for ProductV1 {
    fn from_row(id: u64) -> Self {
        ProductV1 {
            id,
            price: price_cents(id),
            stock: stock(id),
        }
    }
}

impl Product for ProductV2 {
    fn from_row(id: u64) -> Self {
        ProductV2 {
            id,
            price: price_cents(id) as f64 / 100.0,
            stock: stock(id).unwrap_or(0),
        }
    }
}

variants! {
    /// How a variant stores products.
    pub(super) enum Storage {
        Versioned = "versioned": "values carry their schema version; another version is a miss, then replaced",
        Unversioned = "unversioned": "plain JSON: the new code decodes old bytes as best it can, wrong or failing",
        PrefixBump = "prefix-bump": "the version is in the key: each version has its own keys, cold after the deploy",
    }
}

impl Storage {
    /// The cache key of product `id` for code of schema version `version`.
    fn key(self, id: u64, version: u32) -> String {
        match self {
            Storage::PrefixBump => format!("product:v{version}:{id}"),
            Storage::Versioned | Storage::Unversioned => format!("product:{id}"),
        }
    }

    /// The bytes this storage writes for `value`.
    fn encode<T: Schema>(self, value: &T) -> Vec<u8> {
        match self {
            Storage::Unversioned => serde_json::to_vec(value).unwrap_or_default(),
            Storage::Versioned | Storage::PrefixBump => crate::manager::encode(value),
        }
    }
}

/// One variant's run: the tiers, the clock and the tallies.
struct Bench<S, R> {
    sim: R,
    store: S,
    db: Db,
    storage: Storage,
    ttl: SimDuration,
    deploy_at: SimTime,
    metrics: RefCell<Metrics>,
    tally: RefCell<SchemaDeployReport>,
}

impl<S: Store, R: Runtime> Bench<S, R> {
    /// Queries the database for product `id` and builds the reader's value from the row.
    async fn load<T: Product>(&self, id: u64) -> Result<T> {
        let now = self.sim.now();
        self.metrics
            .borrow_mut()
            .record_db_query(now, id, Purpose::Load);
        {
            let mut tally = self.tally.borrow_mut();
            if now < self.deploy_at {
                tally.db_queries_before_deploy += 1;
            } else {
                tally.db_queries_after_deploy += 1;
            }
        }
        self.db.query(&self.sim, id).await;
        Ok(T::from_row(id))
    }

    /// Reads product `id` with the code of `T`'s schema version: which tier answered.
    async fn read<T: Product>(&self, id: u64) -> Result<Served> {
        let key = self.storage.key(id, T::VERSION);
        let (value, served) = match self.storage {
            Storage::Versioned | Storage::PrefixBump => {
                let answer = remember(&self.store, &key, self.ttl, || self.load(id)).await?;
                let (value, how) = (answer.value, answer.how);
                for _ in 0..answer.store_errors {
                    self.l2_error();
                }
                let mut tally = self.tally.borrow_mut();
                match how {
                    Remembered::OldSchema => tally.old_schema_misses += 1,
                    Remembered::Corrupt => tally.decode_errors += 1,
                    Remembered::Hit | Remembered::Miss | Remembered::Unavailable => {}
                }
                let served = if how == Remembered::Hit {
                    Served::L2
                } else {
                    Served::Db
                };
                (value, served)
            }
            Storage::Unversioned => self.read_unversioned::<T>(&key, id).await?,
        };
        if value != T::from_row(id) {
            self.tally.borrow_mut().wrong_values += 1;
        }
        Ok(served)
    }

    /// A store call that failed now (fail open: the request goes on without the cache).
    fn l2_error(&self) {
        self.metrics.borrow_mut().record_l2_error(self.sim.now());
    }

    /// Naive cache-aside with plain JSON: whatever decodes is believed. A store call that fails
    /// is counted and the request goes on without the cache, as `remember` does.
    async fn read_unversioned<T: Product + DeserializeOwned>(
        &self,
        key: &str,
        id: u64,
    ) -> Result<(T, Served)> {
        match open(self.store.get(key.as_bytes()).await)? {
            Some(Some(bytes)) => match serde_json::from_slice::<T>(&bytes) {
                Ok(value) => return Ok((value, Served::L2)),
                Err(_) => self.tally.borrow_mut().decode_errors += 1,
            },
            Some(None) => {}
            None => self.l2_error(),
        }
        let value: T = self.load(id).await?;
        let bytes = self.storage.encode(&value);
        let stored = self.store.set(key.as_bytes(), &bytes, Some(self.ttl)).await;
        if open(stored)?.is_none() {
            self.l2_error();
        }
        Ok((value, Served::Db))
    }
}

/// Serves one request for `id` that arrived now, with the new code if `new_code`.
async fn serve<S: Store, R: Runtime>(bench: Rc<Bench<S, R>>, id: u64, new_code: bool) {
    let arrived = bench.sim.now();
    let served = if new_code {
        bench.read::<ProductV2>(id).await
    } else {
        bench.read::<ProductV1>(id).await
    };
    let outcome = match served {
        Ok(served) => Outcome::Read {
            served,
            stale: false,
        },
        Err(_) => Outcome::Error,
    };
    let now = bench.sim.now();
    bench
        .metrics
        .borrow_mut()
        .record_request(Op::Read(id), arrived, now, outcome);
}

/// The share of requests the new code serves at `t`.
fn new_code_share(t: SimTime, deploy_at: SimTime, rollout: SimDuration) -> f64 {
    if t < deploy_at {
        0.0
    } else if rollout.as_micros() == 0 {
        1.0
    } else {
        ((t - deploy_at).as_secs_f64() / rollout.as_secs_f64()).min(1.0)
    }
}

/// Runs one variant on `d`. The deploy is an instant of the variant's clock (the wall clock
/// live): each request draws, as it is released, whether new code serves it.
fn run<D: Driver>(p: &Params, storage: Storage, seed: u64, d: &D) -> Result<VariantReport> {
    let keys = p.get_u64("keys")?;
    let duration = secs(p, "duration_s")?;
    let bucket = ms(p, "bucket_ms")?;
    let arrivals = Arrivals::Poisson {
        per_sec: p.get("rate")?,
    };
    let popularity = Popularity::Zipf(Zipf::new(keys, p.get("skew")?));
    let latency = db_latency(p)?;
    check_request_budget(arrivals, duration)?;
    let sim = d.runtime();
    let end = SimTime::ZERO + duration;
    let deploy_at = SimTime::ZERO + secs(p, "deploy_at_s")?;
    let rollout = secs(p, "rollout_s")?;
    let bench = Rc::new(Bench {
        sim: sim.clone(),
        // Behind the fault knobs' faults: the deploy can meet a failing cache.
        store: faulty_store(d, ms(p, "l2_rtt_ms")?, p)?,
        db: Db::new(
            keys,
            NonZeroU64::new(p.get_u64("db_pool")?).unwrap_or(NonZeroU64::MIN),
            latency,
            SimRng::fork(seed, DB_STREAM),
        ),
        storage,
        ttl: secs(p, "ttl_s")?,
        deploy_at,
        metrics: RefCell::new(Metrics::new(bucket, end, keys, 0, None)),
        tally: RefCell::new(SchemaDeployReport {
            deploy_at_s: deploy_at.as_secs_f64(),
            rollout_s: rollout.as_secs_f64(),
            old_schema_misses: 0,
            decode_errors: 0,
            wrong_values: 0,
            db_queries_before_deploy: 0,
            db_queries_after_deploy: 0,
        }),
    });
    // The old code filled the cache before the run starts.
    let old: Vec<Preload> = (0..keys)
        .map(|id| {
            let bytes = storage.encode(&ProductV1::from_row(id));
            let key = storage.key(id, ProductV1::VERSION);
            (key.into_bytes(), bytes, Some(bench.ttl))
        })
        .collect();
    d.preload(bench.store.inner(), &old)?;
    bench.metrics.borrow_mut().start_event_log(
        p.get_u64("event_log")? as usize,
        SimTime::ZERO + SimDuration::from_secs_f64(p.get("event_log_from_s")?),
    );
    let driver = bench.clone();
    let mut clock = PoissonClock::new(p.get("rate")?);
    let arrivals = async move {
        let mut traffic = SimRng::fork(seed, WORKLOAD_STREAM);
        let mut rollout_draws = SimRng::fork(seed, ROLLOUT_STREAM);
        loop {
            let at = clock.next(&mut traffic);
            if at >= end {
                break;
            }
            let id = popularity.sample(&mut traffic);
            let new_code = rollout_draws.chance(new_code_share(at, deploy_at, rollout));
            driver.sim.sleep_until(at).await;
            driver
                .sim
                .spawn_detached(serve(driver.clone(), id, new_code));
        }
    };
    let monitor = (bucket, alert_thresholds(p)?);
    let monitoring = d.run_tasks(bench.store.inner(), monitor, end, || {
        sim.spawn_detached(arrivals);
        Ok(())
    })?;
    let mut metrics = bench.metrics.borrow_mut();
    let db = bench.db.stats();
    let (mut summary, series) = metrics.finish(db.max_in_flight);
    let tally = bench.tally.borrow().clone();
    // A misreading is the common count of values served that are not the caller's.
    summary.wrong_values = tally.wrong_values;
    Ok(VariantReport {
        db_busiest_keys: busiest_keys(&db),
        events: metrics.take_events(),
        monitoring,
        section: Some(tally.into()),
        ..VariantReport::basic(storage.name(), summary, series)
    })
}

/// Scenario `schema-deploy`.
pub(super) struct SchemaDeploy;

impl Experiment for SchemaDeploy {
    type Variant = Storage;
    const NAME: &'static str = "schema-deploy";
    const ABOUT: &'static str =
        "A deploy changes the cached struct while L2 still holds the old code's values: \
                with versioned values they are misses and get replaced, without a version the \
                new code misreads them, and a versioned key prefix starts from a cold cache.";

    fn params() -> Vec<ParamSpec> {
        let mut params = lab_params(
            &[
                ("keys", 2_000.0),
                ("skew", 1.0),
                ("rate", 2_000.0),
                ("duration_s", 30.0),
                ("ttl_s", 300.0),
                ("db_p50_ms", 10.0),
                ("db_p99_ms", 50.0),
                ("db_pool", 32.0),
            ],
            &[
                param(
                    "deploy_at_s",
                    "when the new code (schema version 2) starts to serve",
                    "s",
                    10.0,
                    0.0,
                    600.0,
                    false,
                ),
                param(
                    "rollout_s",
                    "how long until the new code serves every request (0 = all at once)",
                    "s",
                    0.0,
                    0.0,
                    600.0,
                    false,
                ),
            ],
        );
        params.retain(|s| !UNUSED_COMMON.contains(&s.name));
        params
    }

    const LIVE: &'static str = "The old code's values, the versioned and prefixed keys live in \
        the real server (preloaded before the run, as the old code left them); the deploy is an \
        instant of the wall clock, deploy_at_s after the start, from which each request draws \
        whether new code serves it, as in the simulation; the database stays the model, its query \
        times slept for real.";

    fn run_on<D: Driver>(p: &Params, variant: Storage, seed: u64, d: &D) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manager::{decode, Decoded};

    #[test]
    fn new_code_misreads_old_plain_json_in_both_ways() {
        let ok = serde_json::to_vec(&ProductV1::from_row(1)).unwrap();
        let no_stock = serde_json::to_vec(&ProductV1::from_row(4)).unwrap();
        // Decodes, with the price in cents read as dollars: a wrong value, silently.
        let misread: ProductV2 = serde_json::from_slice(&ok).unwrap();
        assert_eq!(misread.price, 136.0);
        assert_ne!(misread, ProductV2::from_row(1));
        assert!(serde_json::from_slice::<ProductV2>(&no_stock).is_err());
        // Old code cannot read a float price.
        let new = serde_json::to_vec(&ProductV2::from_row(1)).unwrap();
        assert!(serde_json::from_slice::<ProductV1>(&new).is_err());
        // With the envelope, both directions are a clean "other version".
        let enveloped = crate::manager::encode(&ProductV1::from_row(1));
        assert_eq!(
            decode::<ProductV2>(&enveloped),
            Decoded::OldSchema { found: 1 }
        );
    }

    #[test]
    fn random_bytes_never_panic_either_reader() {
        let mut rng = SimRng::new(7);
        let good = crate::manager::encode(&ProductV2::from_row(3));
        for _ in 0..5_000 {
            let mut bytes = good.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() as u64) as usize;
                bytes[at] = rng.below(256) as u8;
            }
            bytes.truncate(rng.below(bytes.len() as u64 + 1) as usize);
            let _ = decode::<ProductV1>(&bytes);
            let _ = decode::<ProductV2>(&bytes);
            let _ = serde_json::from_slice::<ProductV1>(&bytes);
            let _ = serde_json::from_slice::<ProductV2>(&bytes);
        }
    }

    #[test]
    fn the_rollout_share_ramps_from_the_deploy() {
        let s = |x: f64| SimTime::ZERO + SimDuration::from_secs_f64(x);
        let ramp = SimDuration::from_secs(4);
        let shares: Vec<f64> = [9.0, 10.0, 11.0, 14.0, 20.0]
            .iter()
            .map(|&t| new_code_share(s(t), s(10.0), ramp))
            .collect();
        assert_eq!(shares, [0.0, 0.0, 0.25, 1.0, 1.0]);
        assert_eq!(new_code_share(s(10.0), s(10.0), SimDuration::ZERO), 1.0);
    }
}
