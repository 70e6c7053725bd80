//! The `multilayer` scenario: several app instances, each with its own in-process L1, behind a
//! load balancer and in front of one shared L2 and one database.
//!
//! An L1 is private to its process. When one instance writes a row, it can drop its own L1 entry
//! and the shared L2 entry, but every other instance's L1 still holds the old row and keeps
//! serving it. The variants compare what to do about that, and what a new cluster does before
//! its caches have filled:
//!
//! - `chapter`: the course chapter's `MultiLayerCache`, whose L1 is a plain dictionary with no TTL
//!   that drops its oldest insertion when full, and nothing that tells it about writes: an
//!   outdated copy lives until enough new keys push it out, and for ever in an L1 that holds
//!   every key ([`L1::plain_dict`]).
//! - `l1-ttl-only`: nothing; an outdated L1 entry lives until its L1 TTL runs out, so the L1 TTL
//!   is the bound on how stale a read can be.
//! - `broadcast`: once a write is done (its L2 DEL answered), the writer publishes an
//!   invalidation message (as on a Redis pub/sub channel) and every instance drops the key from
//!   its L1 when the message arrives — half a round trip to the server, half on to each
//!   subscriber, plus `broadcast_delay_ms`.
//!   The writer is a subscriber too: a read of its own that was in flight during the write can
//!   put the old row back into its L1 after the write dropped it.
//! - `cold-start` and `warm-start`: a new cluster with broadcast, whose caches start empty, or
//!   with the `warm_keys` most popular keys loaded into L2 and into every L1 as each instance
//!   starts. (The first two variants start from an L2 that already holds every key — instances
//!   restarted, the shared cache did not — with empty L1s. `warm_keys` defaults to every key, so
//!   that warm-start's L2 starts the same and it differs from `broadcast` only by its warm L1s:
//!   warming 500 of 2,000 keys made warming look like it tripled the first second's database
//!   load, when the other 1,500 keys were simply absent.)
//!
//! Each instance is a strategy [`Ctx`] of its own (its L1, its measurements) over one shared
//! [`Db`] and its own connection to the one L2 ([`SimL2::connect`]); reads and writes go through
//! [`strategy::read`] and [`strategy::write`] unchanged. This bench adds what lies between the
//! instances: a round-robin load balancer, the broadcast, the start-up warm-up, and the
//! accounting of stale reads — answers older than the row the database held at that moment — by
//! the layer that gave them and by how long the database had moved on.

use super::common::{base_lab, explain, lab_params, ms, param, zipf};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::{faulty_store, Driver, Preload};
use super::lab::{busiest_keys, check_issued, check_request_budget, start_arrivals, LabConfig};
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::metrics::{current_request, in_request, unlisted, Metrics, Outcome, Served};
use crate::sim::{Flight, Runtime, SimDuration, SimRng, SimTime};
use crate::strategy::{self, data_key, CachedEntry, Ctx, Response, Store};
use crate::tiers::{Db, L1};
use crate::workload::Op;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::num::NonZeroUsize;
use std::rc::Rc;

/// Random streams: the database's query times, then one stream per instance (which draws only
/// for TTL jitter, off by default).
const DB_STREAM: u64 = 2;
const INSTANCE_STREAMS: u64 = 100;

/// At most this many L1 entries across all instances: as many as one lab's L1 may hold (an L1
/// reserves room for its capacity up front).
const MAX_L1_ENTRIES: u64 = 1_000_000;
/// At most this many time-series buckets across all instances (each measures its own): four
/// instances at the finest series one lab allows.
const MAX_BUCKETS: u64 = 240_000;

/// Scenario `multilayer`.
pub(super) struct MultiLayer;

variants! {
    /// What keeps the instances' L1s in step, and how the cluster starts.
    pub(super) enum Coherence {
        Chapter = "chapter": "the chapter's MultiLayerCache: each L1 a plain dict (first in, first out when full) with no TTL and no invalidation; L2 starts with every key, the L1s empty",
        L1TtlOnly = "l1-ttl-only": "L2 starts with every key, the L1s empty; other instances keep an outdated L1 entry until its L1 TTL ends",
        Broadcast = "broadcast": "L2 starts with every key, the L1s empty; each write publishes an invalidation that every instance's L1 obeys",
        ColdStart = "cold-start": "uses the broadcast too; L2 and every L1 start empty",
        WarmStart = "warm-start": "uses the broadcast too; the warm_keys hottest keys (by default every key, as broadcast's L2 starts) are loaded into L2, and the hottest that fit into every L1, at start-up",
    }
}

impl Experiment for MultiLayer {
    type Variant = Coherence;
    const NAME: &'static str = "multilayer";
    const ABOUT: &'static str =
        "Several app instances, each with its own L1, share one L2 and one database. A \
                write reaches the other instances' L1s only by an invalidation broadcast, or \
                not at all until their L1 TTL ends; a new cluster starts cold, or warmed.";

    fn params() -> Vec<ParamSpec> {
        let specs = lab_params(
            &[
                ("duration_s", 20.0),
                ("rate", 5_000.0),
                ("keys", 2_000.0),
                ("skew", 1.0),
                ("write_share", 0.02),
                ("ttl_s", 60.0),
                ("l1_keys", 500.0),
                ("l1_ttl_ms", 2_000.0),
                ("db_p50_ms", 10.0),
                ("db_p99_ms", 50.0),
                ("db_pool", 24.0),
                ("bucket_ms", 500.0),
            ],
            &[
                param(
                    "instances",
                    "app instances, each with its own L1, behind a round-robin load balancer",
                    "instances",
                    4.0,
                    1.0,
                    32.0,
                    true,
                ),
                param(
                    "broadcast_delay_ms",
                    "broadcast: how much later than its network trip an invalidation arrives",
                    "ms",
                    0.0,
                    0.0,
                    60_000.0,
                    false,
                ),
                param(
                    "warm_keys",
                    "warm-start: the most popular keys loaded into L2 and every L1 at start-up \
                     (at most `keys`; the default loads every key, so that L2 starts as in \
                     l1-ttl-only and broadcast and only the warmed L1s differ)",
                    "keys",
                    1_000_000.0,
                    0.0,
                    1_000_000.0,
                    true,
                ),
            ],
        );
        explain(
            specs,
            "write_share",
            "share of requests that update a key: the database row, then the key is deleted \
             from L2 and from the writer's L1; with the broadcast (every variant but \
             l1-ttl-only) from every instance's L1 when the message arrives",
        )
    }

    const LIVE: &'static str = "Every instance opens its own connection to the one real \
        server, and L2's warm-up is written there before the start; the instances, their L1s and \
        the load balancer run in this process, and the invalidation broadcast stays the model's \
        message (delivered a round trip plus broadcast_delay_ms after the write, on the wall \
        clock) rather than a PUBLISH; the database stays the model, its query times slept for \
        real.";

    fn run_on<D: Driver>(
        p: &Params,
        variant: Coherence,
        seed: u64,
        d: &D,
    ) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

/// Several app instances over one L2 and one database: where reads were answered, how stale
/// they were, and what the invalidation broadcast did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MultiLayerReport {
    /// App instances behind the load balancer.
    pub instances: u64,
    /// Reads that were answered.
    pub reads: u64,
    /// Reads that failed (timed out).
    pub failed_reads: u64,
    /// Writes, answered or not.
    pub writes: u64,
    /// Each layer across all instances, L1 first, then L2, then the database.
    pub layers: Vec<LayerReport>,
    /// Each instance's own reads.
    pub per_instance: Vec<InstanceReport>,
    /// Keys L2 held when traffic started (the most popular ones).
    pub warm_l2_keys: u64,
    /// Keys each instance loaded into its L1 as it started (`warm-start` only: the hottest of
    /// those in L2, as many as its L1 holds).
    pub warm_l1_keys: u64,
    /// The invalidation messages, for the variants that send them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<BroadcastReport>,
    /// The longest the database had held a newer row than a read's answer, in milliseconds.
    pub max_stale_ms: f64,
    /// Stale reads in each bucket of the series (by arrival).
    pub stale_reads: Vec<u64>,
    /// L1 copies, across the instances, that the run left behind older than the database's row:
    /// each would go on being served. A TTL'd L1 holds only those written within its TTL; an
    /// L1 without one keeps every copy no eviction has pushed out.
    pub outdated_l1_copies_at_end: u64,
    /// How long the database had held a newer row than the oldest of those copies when the run
    /// ended, in milliseconds (0 without any): bounded by the L1 TTL, or by nothing.
    pub oldest_outdated_l1_copy_ms: f64,
}

impl MultiLayerReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        let hit = |i: usize| 100.0 * self.layers[i].hit_ratio;
        let mut line = format!(
            "L1 {:.1} % / L2 {:.1} % own hit ratio; stale from L1 {}, longest {:.1} ms",
            hit(0),
            hit(1),
            self.layers[0].stale_reads,
            self.max_stale_ms
        );
        if let Some(b) = &self.broadcast {
            line += &format!("; messages {} sent, {} delivered", b.sent, b.delivered);
        }
        line += &format!(
            "; outdated L1 copies at the end {}, oldest {:.1} ms",
            self.outdated_l1_copies_at_end, self.oldest_outdated_l1_copy_ms
        );
        line
    }
}

/// How one layer did across all instances.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerReport {
    /// `l1`, `l2` or `db`.
    pub layer: &'static str,
    /// Answered reads that looked here: all of them look in L1, those L1 missed look in L2, and
    /// those both missed reach the database.
    pub lookups: u64,
    /// Of those, the ones this layer answered.
    pub hits: u64,
    /// `hits / lookups`: the layer's own hit ratio.
    pub hit_ratio: f64,
    /// Answers from this layer older than the database's row at that moment.
    pub stale_reads: u64,
    /// The longest the database had held a newer row than such an answer, in milliseconds.
    pub max_stale_ms: f64,
}

/// One instance's share of the reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceReport {
    /// Its number, from 0.
    pub instance: u64,
    /// Requests the load balancer sent it.
    pub requests: u64,
    /// Reads its L1 answered.
    pub l1_hits: u64,
    /// Reads L2 answered.
    pub l2_hits: u64,
    /// Reads the database answered.
    pub db_reads: u64,
    /// Share of its answered reads that its L1 answered.
    pub l1_hit_ratio: f64,
    /// Share that either cache answered.
    pub hit_ratio: f64,
    /// Its stale answers.
    pub stale_reads: u64,
    /// Database queries it issued (loads and writes).
    pub db_queries: u64,
}

/// The invalidation messages of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BroadcastReport {
    /// The extra lag of each message, in milliseconds.
    pub delay_ms: f64,
    /// Messages published: one per completed write.
    pub sent: u64,
    /// Deliveries: one per message and instance.
    pub delivered: u64,
    /// Live L1 entries the deliveries removed — each one would have kept being served.
    pub l1_entries_dropped: u64,
}

/// Where a read was answered.
#[derive(Clone, Copy)]
enum Layer {
    L1,
    L2,
    Db,
}

const LAYER_NAMES: [&str; 3] = ["l1", "l2", "db"];

impl Layer {
    fn of(served: Served) -> Layer {
        match served {
            Served::L1 => Layer::L1,
            Served::L2 | Served::L2Stale | Served::AfterLock => Layer::L2,
            Served::Db | Served::Coalesced => Layer::Db,
        }
    }
}

/// What the bench counts beyond the instances' own measurements.
#[derive(Default)]
struct Tally {
    /// Stale answers per layer, and the largest staleness of each.
    stale: [(u64, SimDuration); 3],
    stale_per_instance: Vec<u64>,
    stale_per_bucket: Vec<u64>,
    failed_reads: u64,
    writes: u64,
    sent: u64,
    delivered: u64,
    dropped: u64,
}

/// The app instances and what they share.
struct Cluster<S, R: Runtime> {
    instances: Vec<Rc<Ctx<S, R>>>,
    db: Rc<Db>,
    /// The broadcast's extra delay, or no broadcast.
    broadcast: Option<SimDuration>,
    /// One round trip to L2 (a published message's trip, half to the server and half back out).
    l2_rtt: SimDuration,
    bucket: SimDuration,
    /// The load balancer's next instance.
    next: Cell<u64>,
    tally: RefCell<Tally>,
}

impl<S: Store + 'static, R: Runtime> Cluster<S, R> {
    /// One app instance per connection of `stores` (all to the one L2 server), with the tiers
    /// and policy of `config`, each with an L1 made by `l1` (if `config` has one), sharing one
    /// database; `broadcast` is the invalidation messages' extra delay, or none are sent.
    fn new(
        sim: &R,
        stores: Vec<S>,
        config: &LabConfig,
        l1: fn(NonZeroUsize) -> L1<u64, CachedEntry>,
        broadcast: Option<SimDuration>,
        seed: u64,
    ) -> Rc<Self> {
        let keys = config.mix.popularity.keys();
        let db = Rc::new(Db::new(
            keys,
            config.db_pool,
            config.db_latency,
            SimRng::fork(seed, DB_STREAM),
        ));
        // Stale reads are judged by when the database moved past the version they returned.
        db.keep_history();
        let end = SimTime::ZERO + config.duration;
        let instances: Vec<Rc<Ctx<S, R>>> = (0u64..)
            .zip(stores)
            .map(|(i, l2)| {
                Rc::new(Ctx::new(
                    sim.clone(),
                    config.l1.map(l1),
                    l2,
                    db.clone(),
                    config.policy,
                    None,
                    Metrics::new(config.bucket, end, keys, 0, None),
                    SimRng::fork(seed, INSTANCE_STREAMS + i),
                ))
            })
            .collect();
        let series_len = config
            .duration
            .as_micros()
            .div_ceil(config.bucket.as_micros().max(1));
        Rc::new(Cluster {
            tally: RefCell::new(Tally {
                stale_per_instance: vec![0; instances.len()],
                // Bounded by the limits on duration and bucket width, like the series.
                stale_per_bucket: vec![0; series_len as usize],
                ..Tally::default()
            }),
            instances,
            db,
            broadcast,
            l2_rtt: config.l2_rtt,
            bucket: config.bucket,
            next: Cell::new(0),
        })
    }

    /// What the first instance writes to L2 before time zero: keys `0..l2_keys` (the most
    /// popular), as loaded in `load_time` (see [`Driver::preload`]).
    fn l2_warm_up(&self, l2_keys: u64, load_time: SimDuration) -> Vec<Preload> {
        let first = &self.instances[0];
        (0..l2_keys)
            .filter_map(|key| {
                let (entry, kept) = first.warm_entry(key, load_time)?;
                Some((data_key(key).to_vec(), entry.encode().to_vec(), Some(kept)))
            })
            .collect()
    }

    /// Has each instance read keys `0..l1_keys` as it starts, through the normal path, which
    /// promotes them from L2 into its L1. Start-up reads are not requests: they are not counted.
    fn warm_l1s(&self, l1_keys: u64) {
        for ctx in &self.instances {
            for key in 0..l1_keys {
                let ctx = ctx.clone();
                // Not a request: step mode's log leaves out its steps too.
                ctx.sim.clone().spawn_detached(unlisted(async move {
                    let _ = strategy::read(&ctx, key).await;
                }));
            }
        }
    }

    /// Sends `op` to the next instance in turn (a round-robin load balancer).
    fn dispatch(self: &Rc<Self>, op: Op) -> impl Future<Output = ()> {
        let turn = self.next.get();
        self.next.set(turn + 1);
        let at = (turn % self.instances.len() as u64) as usize;
        let cluster = self.clone();
        // Step mode numbers the request on its instance (merged logs renumber: see Metrics::merge).
        let ctx = &self.instances[at];
        let id = ctx.metrics.borrow_mut().arrive(ctx.sim.now(), op);
        in_request(id, async move {
            match op {
                Op::Read(key) => {
                    cluster.read(at, key).await;
                }
                Op::Write(key) => cluster.write(at, key).await,
            }
        })
    }

    /// Instance `at` reads `key` through the strategy's read path; the answer is judged stale or
    /// not here, where the layer that gave it and the database's history are both known.
    async fn read(&self, at: usize, key: u64) -> Outcome {
        let ctx = &self.instances[at];
        let arrived = ctx.sim.now();
        let answer = ctx
            .sim
            .timeout(ctx.policy.request_timeout, strategy::read(ctx, key))
            .await;
        let outcome = match answer {
            Ok(Ok(response)) => Outcome::Read {
                served: response.served,
                stale: self.judge(at, arrived, key, &response),
            },
            Ok(Err(_)) | Err(_) => {
                self.tally.borrow_mut().failed_reads += 1;
                Outcome::Error
            }
        };
        ctx.metrics
            .borrow_mut()
            .record_request(Op::Read(key), arrived, ctx.sim.now(), outcome);
        outcome
    }

    /// Whether `response` is older than the row the database holds now; a stale answer is
    /// counted for its layer, its instance and its bucket, with how long the database has held
    /// a newer row.
    fn judge(&self, at: usize, arrived: SimTime, key: u64, response: &Response) -> bool {
        let now = self.instances[at].sim.now();
        let newer_since = response
            .entry
            .version
            .and_then(|v| self.db.moved_past(key, v));
        let Some(since) = newer_since else {
            return false;
        };
        let mut tally = self.tally.borrow_mut();
        let layer = &mut tally.stale[Layer::of(response.served) as usize];
        layer.0 += 1;
        layer.1 = layer.1.max(now - since);
        tally.stale_per_instance[at] += 1;
        let last = tally.stale_per_bucket.len().saturating_sub(1);
        let bucket = (arrived.as_micros() / self.bucket.as_micros().max(1)).min(last as u64);
        if let Some(count) = tally.stale_per_bucket.get_mut(bucket as usize) {
            *count += 1;
        }
        true
    }

    /// Instance `at` writes `key` (database, its own L1, L2) and, with broadcast, publishes the
    /// invalidation once the write is done. The write runs as a task of its own: a client that
    /// stops waiting does not stop a write that has begun, nor the invalidation after it.
    async fn write(self: &Rc<Self>, at: usize, key: u64) {
        let ctx = &self.instances[at];
        let arrived = ctx.sim.now();
        let (cluster, writer) = (self.clone(), ctx.clone());
        // The write's own task still belongs to this request (in step mode's log); it lands its
        // result in a flight the request waits for.
        let write = Flight::new();
        let landing = write.clone();
        ctx.sim
            .spawn_detached(in_request(current_request(), async move {
                let done = strategy::write(&writer, key).await.is_ok();
                if done {
                    cluster.publish(key);
                }
                landing.complete(done);
            }));
        let answered = ctx
            .sim
            .timeout(ctx.policy.request_timeout, write.wait())
            .await;
        self.tally.borrow_mut().writes += 1;
        let outcome = if matches!(answered, Ok(true)) {
            Outcome::Write
        } else {
            Outcome::Error
        };
        ctx.metrics
            .borrow_mut()
            .record_request(Op::Write(key), arrived, ctx.sim.now(), outcome);
    }

    /// Publishes an invalidation of `key`, if this variant broadcasts: it reaches the server
    /// half a round trip later and every subscribed instance, the writer included, half a trip
    /// after that plus the delay, and each drops `key` from its L1 then.
    fn publish(self: &Rc<Self>, key: u64) {
        let Some(delay) = self.broadcast else {
            return;
        };
        self.tally.borrow_mut().sent += 1;
        let cluster = self.clone();
        let sim = self.instances[0].sim.clone();
        sim.clone().spawn_detached(async move {
            sim.sleep(cluster.l2_rtt + delay).await;
            let now = sim.now();
            for ctx in &cluster.instances {
                let dropped = ctx.l1.as_ref().is_some_and(|l1| {
                    let mut l1 = l1.borrow_mut();
                    let live = l1.peek(now, &key).is_some();
                    l1.remove(&key);
                    live
                });
                let mut tally = cluster.tally.borrow_mut();
                tally.delivered += 1;
                tally.dropped += u64::from(dropped);
            }
        });
    }

    /// The L1 copies left older than the database's row, across the instances, and how long
    /// the database has held a newer row than the oldest of them.
    fn outdated_l1_copies(&self) -> (u64, SimDuration) {
        let mut outdated = (0, SimDuration::ZERO);
        for ctx in &self.instances {
            let Some(l1) = &ctx.l1 else { continue };
            let now = ctx.sim.now();
            for (&key, entry) in l1.borrow().live(now) {
                let newer_since = entry.version.and_then(|v| self.db.moved_past(key, v));
                if let Some(since) = newer_since {
                    outdated.0 += 1;
                    outdated.1 = outdated.1.max(now - since);
                }
            }
        }
        outdated
    }

    /// The variant's report: the instances' measurements merged, plus the bench's own counts.
    fn report(&self, name: &str, warm_l2_keys: u64, warm_l1_keys: u64) -> VariantReport {
        let tally = self.tally.borrow();
        let per_instance = self
            .instances
            .iter()
            .zip(&tally.stale_per_instance)
            .enumerate()
            .map(|(i, (ctx, &stale_reads))| {
                let t = ctx.metrics.borrow().totals();
                let reads = t.reads();
                InstanceReport {
                    instance: i as u64,
                    requests: t.requests,
                    l1_hits: t.l1_hits,
                    l2_hits: t.l2_hits,
                    db_reads: t.misses,
                    l1_hit_ratio: ratio(t.l1_hits, reads),
                    hit_ratio: ratio(t.l1_hits + t.l2_hits, reads),
                    stale_reads,
                    db_queries: t.db_queries,
                }
            })
            .collect();
        let mut metrics = self.instances[0].metrics.borrow_mut();
        for ctx in &self.instances[1..] {
            metrics.merge(&ctx.metrics.borrow());
        }
        let db = self.db.stats();
        let (summary, series) = metrics.finish(db.max_in_flight);
        let reads = summary.reads();
        let looked = [reads, reads - summary.l1_hits, summary.misses];
        let answered = [summary.l1_hits, summary.l2_hits, summary.misses];
        let layers = (0..3)
            .map(|i| LayerReport {
                layer: LAYER_NAMES[i],
                lookups: looked[i],
                hits: answered[i],
                hit_ratio: ratio(answered[i], looked[i]),
                stale_reads: tally.stale[i].0,
                max_stale_ms: tally.stale[i].1.as_millis_f64(),
            })
            .collect();
        let max_stale = tally.stale.iter().map(|s| s.1).max().unwrap_or_default();
        let (outdated, oldest) = self.outdated_l1_copies();
        let multilayer = MultiLayerReport {
            instances: self.instances.len() as u64,
            reads,
            failed_reads: tally.failed_reads,
            writes: tally.writes,
            layers,
            per_instance,
            warm_l2_keys,
            warm_l1_keys,
            broadcast: self.broadcast.map(|delay| BroadcastReport {
                delay_ms: delay.as_millis_f64(),
                sent: tally.sent,
                delivered: tally.delivered,
                l1_entries_dropped: tally.dropped,
            }),
            max_stale_ms: max_stale.as_millis_f64(),
            stale_reads: tally.stale_per_bucket.clone(),
            outdated_l1_copies_at_end: outdated,
            oldest_outdated_l1_copy_ms: oldest.as_millis_f64(),
        };
        VariantReport {
            missing_keys: metrics.missing_keys(),
            db_busiest_keys: busiest_keys(&db),
            events: metrics.take_events(),
            section: Some(multilayer.into()),
            ..VariantReport::basic(name, summary, series)
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Refuses clusters whose L1s or measurements would take more memory than the limits allow.
fn check_cluster_size(config: &LabConfig, instances: u64) -> Result<()> {
    let l1_entries = instances * config.l1.map_or(0, |c| c.get() as u64);
    if l1_entries > MAX_L1_ENTRIES {
        return Err(Error::LimitExceeded {
            what: "L1 entries of all instances (`instances` × `l1_keys`, at most `keys` each)"
                .to_string(),
            limit: MAX_L1_ENTRIES,
            got: l1_entries,
        });
    }
    let per_instance = config
        .duration
        .as_micros()
        .div_ceil(config.bucket.as_micros().max(1))
        + 1;
    if instances * per_instance > MAX_BUCKETS {
        return Err(Error::LimitExceeded {
            what: "time-series buckets of all instances (`instances` × `duration_s` / `bucket_ms`)"
                .to_string(),
            limit: MAX_BUCKETS,
            got: instances * per_instance,
        });
    }
    Ok(())
}

/// Runs one variant on `d`: builds the cluster (each instance with its own connection to the
/// driver's L2), warms what the variant warms, and lets the traffic in.
fn run<D: Driver>(p: &Params, variant: Coherence, seed: u64, d: &D) -> Result<VariantReport> {
    let mut config = base_lab(p, zipf(p)?)?;
    check_request_budget(config.arrivals, config.duration)?;
    let keys = config.mix.popularity.keys();
    // An L1 never needs room for more keys than exist.
    config.l1 = config
        .l1
        .and_then(|c| NonZeroUsize::new(c.get().min(keys as usize)));
    let instances = p.get_u64("instances")?;
    check_cluster_size(&config, instances)?;
    let broadcast = match variant {
        Coherence::Chapter | Coherence::L1TtlOnly => None,
        Coherence::Broadcast | Coherence::ColdStart | Coherence::WarmStart => {
            Some(ms(p, "broadcast_delay_ms")?)
        }
    };
    let l1 = match variant {
        Coherence::Chapter => L1::plain_dict,
        Coherence::L1TtlOnly
        | Coherence::Broadcast
        | Coherence::ColdStart
        | Coherence::WarmStart => L1::new,
    };
    let rt = d.runtime();
    // Each instance's client meets the fault knobs' faults (its own pool, the one server's outage).
    let stores = (0..instances)
        .map(|_| faulty_store(d, config.l2_rtt, p))
        .collect::<Result<Vec<_>>>()?;
    let cluster = Cluster::new(&rt, stores, &config, l1, broadcast, seed);
    // What L2 holds at time zero (keys are numbered by popularity), and what each L1 loads.
    let (warm_l2_keys, warm_l1_keys) = match variant {
        Coherence::Chapter | Coherence::L1TtlOnly | Coherence::Broadcast => (keys, 0),
        Coherence::ColdStart => (0, 0),
        Coherence::WarmStart => {
            let hot = p.get_u64("warm_keys")?.min(keys);
            // An L1 keeps only the hottest that fit.
            let fits = config.l1.map_or(0, |c| c.get() as u64);
            (hot, hot.min(fits))
        }
    };
    let warm_up = cluster.l2_warm_up(warm_l2_keys, config.db_latency.median());
    // The warm-up and the monitor reach the server past the first client's faults.
    let first = cluster.instances[0].l2.inner();
    d.preload(first, &warm_up)?;
    let issued = Rc::new(Cell::new(0));
    let end = SimTime::ZERO + config.duration;
    // Every instance is a client of the same L2 server: the monitor polls it through the first.
    let monitoring = d.run_tasks(first, (config.bucket, config.alerts), end, || {
        cluster.warm_l1s(warm_l1_keys);
        for ctx in &cluster.instances {
            ctx.metrics
                .borrow_mut()
                .start_event_log(config.event_log, config.event_log_from);
        }
        let serving = cluster.clone();
        start_arrivals(&rt, &config, seed, issued.clone(), move |op| {
            serving.dispatch(op)
        });
        Ok(())
    })?;
    check_issued(issued.get())?;
    let mut report = cluster.report(variant.name(), warm_l2_keys, warm_l1_keys);
    report.monitoring = monitoring;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::resolve;
    use crate::sim::{Executor, Sim};
    use crate::strategy::SimL2;
    use crate::tiers::L2;

    const READ: bool = true;
    const WRITE: bool = false;

    /// Two instances, an L2 1 ms away, a database that always takes 10 ms, L1 entries that live
    /// 2 s, and key 0 in L2 at time zero.
    fn cluster(broadcast: Option<SimDuration>) -> (Executor, Rc<Cluster<SimL2, Sim>>) {
        let given: Vec<(String, String)> = [("db_p50_ms", "10"), ("db_p99_ms", "10")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let p = resolve(&MultiLayer::params(), &given).unwrap();
        let config = base_lab(&p, zipf(&p).unwrap()).unwrap();
        let exec = Executor::new();
        let l2 = SimL2::new(exec.sim().clone(), L2::new(), config.l2_rtt);
        let stores = vec![l2.connect(), l2.connect()];
        let cluster = Cluster::new(exec.sim(), stores, &config, L1::new, broadcast, 1);
        for (key, value, ttl) in cluster.l2_warm_up(1, SimDuration::from_millis(10)) {
            l2.preload(&key, &value, ttl).unwrap();
        }
        (exec, cluster)
    }

    /// Plays `(instance, read or write, at ms)` on key 0 and returns each read's `(served, stale)`.
    fn play(
        cluster: &Rc<Cluster<SimL2, Sim>>,
        exec: &Executor,
        steps: &[(usize, bool, f64)],
    ) -> Vec<(Served, bool)> {
        let reads: Vec<_> = steps
            .iter()
            .map(|&(at, is_read, ms)| {
                let (cluster, sim) = (cluster.clone(), exec.sim().clone());
                exec.sim().spawn(async move {
                    sim.sleep_until(SimTime::ZERO + SimDuration::from_secs_f64(ms / 1e3))
                        .await;
                    if is_read {
                        Some(cluster.read(at, 0).await)
                    } else {
                        cluster.write(at, 0).await;
                        None
                    }
                })
            })
            .collect();
        exec.run();
        reads
            .iter()
            .filter_map(|h| match h.try_take().flatten()? {
                Outcome::Read { served, stale } => Some((served, stale)),
                _ => None,
            })
            .collect()
    }

    fn max_stale_ms(cluster: &Cluster<SimL2, Sim>, layer: Layer) -> f64 {
        cluster.tally.borrow().stale[layer as usize]
            .1
            .as_millis_f64()
    }

    #[test]
    fn a_broadcast_drops_the_other_instances_old_entry_when_it_arrives() {
        // Instance 1 caches version 1 at 1 ms. Instance 0's write commits at 20 ms and returns
        // at 21 ms (the L2 DEL's round trip); its message reaches every instance at
        // 21 + 1 (the trip through the server) + 5 (the delay) = 27 ms.
        let (exec, cluster) = cluster(Some(SimDuration::from_millis(5)));
        let reads = play(
            &cluster,
            &exec,
            &[
                (1, READ, 0.0),
                (0, WRITE, 10.0),
                (1, READ, 15.0),
                (1, READ, 22.0),
                (1, READ, 26.9),
                (1, READ, 27.1),
            ],
        );
        use Served::{Db, L1, L2};
        assert_eq!(
            reads,
            [
                (L2, false),
                (L1, false),
                (L1, true),
                (L1, true),
                (Db, false)
            ]
        );
        assert_eq!(cluster.db.moved_past(0, 1), Some(SimTime(20_000)));
        assert!((max_stale_ms(&cluster, Layer::L1) - 6.9).abs() < 1e-9);
        let tally = cluster.tally.borrow();
        assert_eq!((tally.sent, tally.delivered, tally.dropped), (1, 2, 1));
    }

    #[test]
    fn without_broadcast_the_old_entry_lives_until_its_l1_ttl() {
        // Instance 1's entry, promoted at 1 ms, lives until 2001 ms. Instance 0 reads just
        // before the commit: its GET reaches L2 before the DEL, and the answer puts the old row
        // into its own L1 at 20.5 ms, after the write had dropped its entry at 20 ms.
        let (exec, cluster) = cluster(None);
        let reads = play(
            &cluster,
            &exec,
            &[
                (1, READ, 0.0),
                (0, WRITE, 10.0),
                (0, READ, 19.5),
                (0, READ, 1_000.0),
                (1, READ, 2_000.5),
                (1, READ, 2_001.5),
            ],
        );
        use Served::{Db, L1, L2};
        assert_eq!(
            reads,
            [(L2, false), (L2, true), (L1, true), (L1, true), (Db, false)]
        );
        assert!((max_stale_ms(&cluster, Layer::L1) - 1_980.5).abs() < 1e-9);
        assert_eq!(cluster.tally.borrow().sent, 0);
    }

    #[test]
    fn the_writer_hears_its_own_message_too() {
        // The same read in flight during the write: with a broadcast, the writer's own copy of
        // the message (at 21 + 1 = 22 ms) drops the old row its read put back.
        let (exec, cluster) = cluster(Some(SimDuration::ZERO));
        let reads = play(
            &cluster,
            &exec,
            &[
                (0, WRITE, 10.0),
                (0, READ, 19.5),
                (0, READ, 21.0),
                (0, READ, 22.5),
            ],
        );
        use Served::{Db, L1, L2};
        assert_eq!(reads, [(L2, true), (L1, true), (Db, false)]);
        assert!((max_stale_ms(&cluster, Layer::L1) - 1.0).abs() < 1e-9);
    }
}
