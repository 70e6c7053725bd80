//! How a request finds its data: cache-aside through L1 → L2 → database with fill-back, and the
//! fixes for the classic failures — TTL jitter, negative caching, a Bloom filter of existing keys,
//! and five ways to meet a hot key's expiry (none, a lock, singleflight, XFetch and
//! stale-while-revalidate).
//!
//! Each strategy is a plain `async fn` over a [`Ctx`] and reads like its description: look in
//! the cache, and on a miss do what the strategy says. The tiers are reached through `.await`s
//! that take time — simulated time on the simulator, or real time when the `redis` feature runs
//! the same functions against a real server: the context is generic over its
//! [`Runtime`](crate::sim::Runtime) and its [`Store`].
//!
//! ## Failing open
//!
//! A cache is an optimisation, so a cache that fails must not fail the request: when the store
//! answers with an error (Redis stopped, a timeout), a read treats it as a miss and asks the
//! database, a failed fill or lock release is skipped, and a write that could not invalidate
//! still succeeds (the database has the new row). Every such error is counted
//! ([`Summary::l2_errors`](crate::metrics::Summary::l2_errors)); the L2 model itself never
//! fails, so a simulation counts none unless a [`Faulty`] store injects outages, slow replies or
//! timeouts.
//!
//! Layout: `store` (the [`Store`] trait: commands, pipelines, scripts), `faults` ([`Faulty`]),
//! `entry` ([`CachedEntry`], what a cache holds), `bloom` ([`Bloom`]), [`http`] (an HTTP response
//! cache's keys and storage rules), `write` (the write paths) and this module (the policies and
//! the request paths). The simulated L2 behind the trait is [`SimL2`], in `tiers`.

mod bloom;
mod breaker;
mod entry;
mod faults;
pub mod http;
mod lock;
mod store;
mod write;

pub use bloom::Bloom;
pub use breaker::{Breaker, BreakerConfig, BreakerCounts};

/// The simulated L2 under whatever wraps it (fault injection, a breaker): how a warm-up
/// reaches the model past them.
impl AsRef<SimL2> for SimL2 {
    fn as_ref(&self) -> &SimL2 {
        self
    }
}

impl<S: Store + AsRef<SimL2>, R: Runtime> AsRef<SimL2> for Faulty<S, R> {
    fn as_ref(&self) -> &SimL2 {
        self.inner().as_ref()
    }
}

impl<S: Store + AsRef<SimL2>, R: Runtime> AsRef<SimL2> for Breaker<S, R> {
    fn as_ref(&self) -> &SimL2 {
        self.inner().as_ref()
    }
}
pub use entry::CachedEntry;
pub use faults::{FaultCounts, Faults, Faulty, Window};
pub use lock::{
    ExtendIfOwner, LockStats, Release, ReleaseAny, ReleaseIfOwner, Released, TokenLock,
};
pub use store::{
    all_ok, bad_reply, block_on_store, bulk_of, bulks_of, count_of, int_of, Cmd, Script, Server,
    SetWhen, SimL2, Store,
};
pub use write::{
    read_with, start_flush_worker, write_with, Observed, SetIfNewer, Slot, WritePath, WritePaths,
    WriteStats,
};

use crate::error::{Error, Result};
use crate::metrics::{current_request, in_request, EventKind, Metrics, Outcome, Purpose, Served};
use crate::sim::{Flight, Runtime, Sim, SimDuration, SimRng, SimTime};
use crate::tiers::{Db, L1};
use crate::workload::Op;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// What a request does when the hot entry it wants is missing or about to expire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Protection {
    /// Plain cache-aside: every request that misses queries the database.
    None,
    /// A lock per key (`SET lock:key NX PX lock_ttl`): its holder loads; the others poll the
    /// cache every `poll` up to `polls` times, then query the database without caching.
    Lock {
        /// Expiry of the lock, so that a crashed holder cannot block the key forever.
        lock_ttl: SimDuration,
        /// Pause between polls.
        poll: SimDuration,
        /// Polls before falling back to the database.
        polls: u64,
    },
    /// A lock whose value is its holder's token ([`TokenLock`]): how it is released, and whether
    /// it is renewed while its holder loads.
    TokenLock(TokenLock),
    /// In-process coalescing: concurrent misses for one key share a single load.
    Singleflight,
    /// Probabilistic early expiration: a read recomputes early with a probability that grows as
    /// expiry nears, faster for slow loads and larger `beta`.
    XFetch {
        /// How eagerly to refresh early (1 is the paper's default).
        beta: f64,
    },
    /// Serve an expired entry for up to `grace` while exactly one background refresh runs.
    StaleWhileRevalidate {
        /// How long past its freshness an entry may still be served.
        grace: SimDuration,
    },
}

/// The caching policy of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// How long a loaded row stays fresh.
    pub ttl: SimDuration,
    /// Each TTL is multiplied by a uniform factor in `[1 - jitter, 1 + jitter]` (`jitter` in
    /// `[0, 1)`), so that entries written together do not expire together.
    pub jitter: f64,
    /// Cache "not found" for this long (negative caching), or not at all.
    pub negative_ttl: Option<SimDuration>,
    /// L1 entries live at most this long (they are never fresher than L2's).
    pub l1_ttl: SimDuration,
    /// What to do about expiring hot entries.
    pub protection: Protection,
    /// A request that takes longer fails with a timeout.
    pub request_timeout: SimDuration,
    /// What a read does when the shared cache answers its `GET` with an error.
    pub on_l2_error: OnL2Error,
}

/// What a read does when the shared cache fails it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnL2Error {
    /// Treat the error as a miss and ask the database (the cache is an optimisation).
    FailOpen,
    /// Fail the request: the cache's error becomes the user's.
    FailClosed,
}

/// The answer to a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// Which tier answered.
    pub served: Served,
    /// What it answered.
    pub entry: CachedEntry,
}

/// Everything a request can reach: the clock, the tiers, the policy and the measurements.
///
/// `R` is where time comes from: the simulator ([`Sim`], the default) or a wall-clock runtime.
pub struct Ctx<S, R: Runtime = Sim> {
    /// The runtime's handle: the clock, sleeps and spawning.
    pub sim: R,
    /// The in-process cache, if the run has one.
    pub l1: Option<RefCell<L1<u64, CachedEntry>>>,
    /// The shared cache.
    pub l2: S,
    /// The database (shared by the app instances of a multi-instance run).
    pub db: Rc<Db>,
    /// The caching policy.
    pub policy: Policy,
    /// A filter of the keys that exist, consulted before querying for a key.
    pub bloom: Option<Bloom>,
    /// What the run measures.
    pub metrics: RefCell<Metrics>,
    /// Bloom filter verdicts on keys that do not exist: `(checked, let through)`.
    bloom_missing: RefCell<(u64, u64)>,
    rng: RefCell<SimRng>,
    flights: RefCell<BTreeMap<u64, Flight<Result<CachedEntry>>>>,
    refreshing: RefCell<BTreeSet<u64>>,
    locks: lock::LockBook,
}

impl<S: Store + 'static, R: Runtime> Ctx<S, R> {
    /// A context over the given tiers; `rng` drives TTL jitter and XFetch's coin. The database
    /// is a `Db` of its own or an `Rc<Db>` that several contexts (app instances) share.
    #[allow(clippy::too_many_arguments)] // each is one independent part of the lab
    pub fn new(
        sim: R,
        l1: Option<L1<u64, CachedEntry>>,
        l2: S,
        db: impl Into<Rc<Db>>,
        policy: Policy,
        bloom: Option<Bloom>,
        metrics: Metrics,
        rng: SimRng,
    ) -> Self {
        Ctx {
            sim,
            l1: l1.map(RefCell::new),
            l2,
            db: db.into(),
            policy,
            bloom,
            metrics: RefCell::new(metrics),
            bloom_missing: RefCell::new((0, 0)),
            rng: RefCell::new(rng),
            flights: RefCell::new(BTreeMap::new()),
            refreshing: RefCell::new(BTreeSet::new()),
            locks: lock::LockBook::default(),
        }
    }

    /// Bloom filter verdicts on keys that do not exist: `(checked, let through)`.
    pub fn bloom_missing(&self) -> (u64, u64) {
        *self.bloom_missing.borrow()
    }

    /// What the holders of [`Protection::TokenLock`] locks did.
    pub fn lock_stats(&self) -> LockStats {
        self.locks.stats()
    }

    fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// The TTL for a freshly loaded entry, jittered.
    fn ttl_for(&self, entry: &CachedEntry) -> Option<SimDuration> {
        if !entry.found() {
            return self.policy.negative_ttl;
        }
        let ttl = self.policy.ttl;
        if self.policy.jitter <= 0.0 {
            return Some(ttl);
        }
        let factor = 1.0 + self.policy.jitter * (2.0 * self.rng.borrow_mut().unit() - 1.0);
        Some(SimDuration::from_secs_f64(ttl.as_secs_f64() * factor).max(SimDuration(1)))
    }

    fn l1_get(&self, key: u64) -> Option<CachedEntry> {
        let l1 = self.l1.as_ref()?;
        let found = l1.borrow_mut().get(self.now(), &key).copied();
        if found.is_none() {
            self.step(key, EventKind::L1Miss);
        }
        found
    }

    /// Step mode: a step of the current request that only the event log shows.
    fn step(&self, key: u64, what: EventKind) {
        self.metrics.borrow_mut().record_step(self.now(), key, what);
    }

    fn l1_fill(&self, key: u64, entry: &CachedEntry) {
        let Some(l1) = &self.l1 else { return };
        let now = self.now();
        let deadline = (now + self.policy.l1_ttl).min(entry.fresh_until);
        if deadline > now && (entry.found() || self.policy.negative_ttl.is_some()) {
            l1.borrow_mut().put(now, key, *entry, Some(deadline));
            self.step(key, EventKind::L1Fill);
        }
    }

    /// `GET` the key's entry from L2, noting a miss of the traced hot key. A store error counts
    /// and reads as a miss (fail open: the caller goes to the database).
    /// Under [`OnL2Error::FailClosed`] the error is the request's instead.
    async fn l2_get(&self, key: u64) -> Result<Option<CachedEntry>> {
        let found = match self.l2.get(&data_key(key)).await {
            Ok(bytes) => bytes.and_then(|b| CachedEntry::decode(&b)),
            Err(e) => {
                self.count_l2_error();
                match self.policy.on_l2_error {
                    OnL2Error::FailOpen => None,
                    OnL2Error::FailClosed => return Err(e),
                }
            }
        };
        if found.is_none() {
            self.metrics.borrow_mut().record_l2_miss(self.now(), key);
        }
        Ok(found)
    }

    /// Counts a store error that the request went on without.
    fn count_l2_error(&self) {
        self.metrics.borrow_mut().record_l2_error(self.now());
    }

    /// The outcome of a store command whose failure the request can live with: counted, then
    /// treated as `fallback`.
    fn or_count<T>(&self, result: Result<T>, fallback: T) -> T {
        result.unwrap_or_else(|_| {
            self.count_l2_error();
            fallback
        })
    }

    /// Asks the database for `key` — unless the Bloom filter knows it does not exist.
    async fn query_db(&self, key: u64, purpose: Purpose) -> Result<CachedEntry> {
        if let Some(bloom) = &self.bloom {
            let maybe = bloom.may_contain(key);
            if !self.db.exists(key) {
                let mut seen = self.bloom_missing.borrow_mut();
                seen.0 += 1;
                seen.1 += u64::from(maybe);
            }
            if !maybe {
                return Ok(CachedEntry::from_row(None, SimDuration::ZERO));
            }
        }
        self.metrics
            .borrow_mut()
            .record_db_query(self.now(), key, purpose);
        let started = self.now();
        let row = self.db.query(&self.sim, key).await;
        Ok(CachedEntry::from_row(row, self.now() - started))
    }

    /// Stamps `entry`'s freshness from its TTL and returns how long L2 should keep it (for
    /// stale-while-revalidate, the grace on top), or `None` if it is not to be cached ("not
    /// found" without negative caching).
    fn stamp(&self, key: u64, entry: &mut CachedEntry) -> Option<SimDuration> {
        let ttl = self.ttl_for(entry)?;
        let now = self.now();
        entry.fresh_until = now + ttl;
        self.metrics
            .borrow_mut()
            .record_fill(now, key, entry.fresh_until);
        Some(match self.policy.protection {
            Protection::StaleWhileRevalidate { grace } if entry.found() => ttl + grace,
            _ => ttl,
        })
    }

    /// Writes `entry` to L2 with its TTL, stamping its freshness.
    async fn fill_l2(&self, key: u64, entry: &mut CachedEntry) -> Result<()> {
        match self.stamp(key, entry) {
            Some(kept) => {
                self.l2
                    .set(&data_key(key), &entry.encode(), Some(kept))
                    .await
            }
            None => Ok(()),
        }
    }

    /// Loads `key` from the database and writes it back to L2: the cache-aside fill. A fill
    /// that fails is counted and skipped: the caller still has its row.
    async fn load_and_fill(&self, key: u64) -> Result<CachedEntry> {
        let mut entry = self.query_db(key, Purpose::Load).await?;
        let filled = self.fill_l2(key, &mut entry).await;
        self.or_count(filled, ());
        Ok(entry)
    }

    /// The version-1 entry of `key` as a warm-up writes it before traffic starts (as if loaded
    /// in `load_time`), with how long L2 keeps it — or `None` if it is not to be cached.
    pub(crate) fn warm_entry(
        &self,
        key: u64,
        load_time: SimDuration,
    ) -> Option<(CachedEntry, SimDuration)> {
        let mut entry = CachedEntry {
            version: Some(1),
            fresh_until: SimTime::ZERO,
            load_time,
        };
        let kept = self.stamp(key, &mut entry)?;
        Some((entry, kept))
    }

    /// Puts version 1 of `key` into L2 through the store, as a warm-up before traffic starts
    /// (a real server is warmed this way; the model can skip the network: see `warm`).
    pub async fn warm_through_store(&self, key: u64, load_time: SimDuration) -> Result<()> {
        match self.warm_entry(key, load_time) {
            Some((entry, kept)) => {
                self.l2
                    .set(&data_key(key), &entry.encode(), Some(kept))
                    .await
            }
            None => Ok(()),
        }
    }

    /// Whether XFetch says to recompute now: `now - load_time * beta * ln(u) >= expiry`.
    fn xfetch_says_refresh(&self, entry: &CachedEntry, beta: f64) -> bool {
        // 1 - unit() is in (0, 1], so the log is finite and at most zero.
        let u = 1.0 - self.rng.borrow_mut().unit();
        let head_start = -(entry.load_time.as_micros() as f64) * beta * libm::log(u);
        self.now().as_micros() as f64 + head_start >= entry.fresh_until.as_micros() as f64
    }
}

impl<S: Store + AsRef<SimL2> + 'static> Ctx<S> {
    /// Puts version 1 of `key` straight into the L2 model (behind any fault injection or
    /// breaker), as a warm-up before traffic starts (no network time passes), as if it had been
    /// loaded in `load_time`.
    pub fn warm(&self, key: u64, load_time: SimDuration) -> Result<()> {
        if let Some((entry, kept)) = self.warm_entry(key, load_time) {
            self.l2
                .as_ref()
                .preload(&data_key(key), &entry.encode(), Some(kept))?;
        }
        Ok(())
    }
}

/// The L2 key of a row.
pub fn data_key(key: u64) -> [u8; 9] {
    let mut k = [b'k'; 9];
    k[1..].copy_from_slice(&key.to_be_bytes());
    k
}

/// The L2 key of a row's lock.
fn lock_key(key: u64) -> [u8; 9] {
    let mut k = data_key(key);
    k[0] = b'l';
    k
}

/// One request, start to finish: runs `op` under the request timeout and records the outcome.
pub async fn serve<S: Store + 'static, R: Runtime>(ctx: Rc<Ctx<S, R>>, op: Op) {
    let arrived = ctx.now();
    // Step mode numbers the request, so that its events (ending with its outcome) carry it.
    let id = ctx.metrics.borrow_mut().arrive(arrived, op);
    in_request(id, serve_numbered(&ctx, op, arrived)).await;
}

async fn serve_numbered<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    op: Op,
    arrived: SimTime,
) {
    let outcome = match op {
        Op::Read(key) => {
            let result = ctx
                .sim
                .timeout(ctx.policy.request_timeout, read(ctx, key))
                .await;
            match result {
                Ok(Ok(r)) => Outcome::Read {
                    served: r.served,
                    stale: r.served == Served::L2Stale
                        || matches!((r.entry.version, ctx.db.current_version(key)),
                                    (Some(have), Some(now)) if have < now),
                },
                _ => Outcome::Error,
            }
        }
        Op::Write(key) => {
            let result = ctx
                .sim
                .timeout(ctx.policy.request_timeout, write(ctx, key))
                .await;
            if matches!(result, Ok(Ok(()))) {
                Outcome::Write
            } else {
                Outcome::Error
            }
        }
    };
    ctx.metrics
        .borrow_mut()
        .record_request(op, arrived, ctx.now(), outcome);
}

/// Reads `key`: L1, then the shared cache under the run's protection, filling L1 on the way back.
pub async fn read<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    key: u64,
) -> Result<Response> {
    if let Some(entry) = ctx.l1_get(key) {
        return Ok(Response {
            served: Served::L1,
            entry,
        });
    }
    let response = match ctx.policy.protection {
        Protection::None => get_cache_aside(ctx, key).await,
        Protection::Lock {
            lock_ttl,
            poll,
            polls,
        } => get_with_lock(ctx, key, lock_ttl, poll, polls).await,
        Protection::TokenLock(lock) => lock::get_with_token_lock(ctx, key, lock).await,
        Protection::Singleflight => get_singleflight(ctx, key).await,
        Protection::XFetch { beta } => get_xfetch(ctx, key, beta).await,
        Protection::StaleWhileRevalidate { grace } => {
            get_stale_while_revalidate(ctx, key, grace).await
        }
    }?;
    ctx.l1_fill(key, &response.entry);
    Ok(response)
}

fn l2_hit(entry: CachedEntry) -> Response {
    Response {
        served: Served::L2,
        entry,
    }
}

fn from_db(entry: CachedEntry) -> Response {
    Response {
        served: Served::Db,
        entry,
    }
}

/// Cache-aside: on a miss, load from the database and put the row back in the cache.
pub async fn get_cache_aside<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    key: u64,
) -> Result<Response> {
    if let Some(entry) = ctx.l2_get(key).await? {
        return Ok(l2_hit(entry));
    }
    Ok(from_db(ctx.load_and_fill(key).await?))
}

/// The chapter's lock: the one request that wins `SET NX` loads; the others poll the cache and,
/// if the holder takes too long, query the database themselves (a fallback, not cached).
pub async fn get_with_lock<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    key: u64,
    lock_ttl: SimDuration,
    poll: SimDuration,
    polls: u64,
) -> Result<Response> {
    if let Some(entry) = ctx.l2_get(key).await? {
        return Ok(l2_hit(entry));
    }
    let Ok(won) = ctx.l2.set_nx(&lock_key(key), b"1", Some(lock_ttl)).await else {
        // No lock service, so no one to coordinate with: load as plain cache-aside would.
        ctx.count_l2_error();
        return Ok(from_db(ctx.load_and_fill(key).await?));
    };
    ctx.step(
        key,
        if won {
            EventKind::LockTaken
        } else {
            EventKind::LockRefused
        },
    );
    if won {
        // We hold the lock. Someone may have filled the entry just before we took it: look again.
        // A fail-closed look that fails still releases the lock.
        let loaded = match ctx.l2_get(key).await {
            Ok(Some(entry)) => Ok(l2_hit(entry)),
            Ok(None) => ctx.load_and_fill(key).await.map(from_db),
            Err(e) => Err(e),
        };
        // A release that fails leaves the lock to its TTL.
        let released = ctx.l2.del(&lock_key(key)).await;
        ctx.or_count(released, false);
        return loaded;
    }
    wait_for_holder(ctx, key, poll, polls).await
}

/// A request that lost the race for a lock: polls the cache for the holder's fill, up to
/// `polls` times.
async fn wait_for_holder<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    key: u64,
    poll: SimDuration,
    polls: u64,
) -> Result<Response> {
    for _ in 0..polls {
        ctx.sim.sleep(poll).await;
        if let Some(entry) = ctx.l2_get(key).await? {
            // Found only because the holder loaded it: a wait, not a hit.
            return Ok(Response {
                served: Served::AfterLock,
                entry,
            });
        }
    }
    // Waited long enough: read the row ourselves rather than wait forever, but leave filling the
    // cache to the lock holder.
    Ok(from_db(ctx.query_db(key, Purpose::Fallback).await?))
}

/// Singleflight: the first request to miss loads; later ones wait for that load's result.
pub async fn get_singleflight<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    key: u64,
) -> Result<Response> {
    if let Some(entry) = ctx.l2_get(key).await? {
        return Ok(l2_hit(entry));
    }
    let in_flight = ctx.flights.borrow().get(&key).cloned();
    if let Some(flight) = in_flight {
        let entry = flight.wait().await?;
        return Ok(Response {
            served: Served::Coalesced,
            entry,
        });
    }
    let flight = Flight::new();
    ctx.flights.borrow_mut().insert(key, flight.clone());
    // Lands the flight even if this request is abandoned (a timeout drops it mid-load), so that
    // the waiters get an error instead of waiting forever.
    let landing = Landing {
        ctx,
        key,
        flight: &flight,
    };
    let loaded = ctx.load_and_fill(key).await;
    flight.complete(loaded.clone());
    drop(landing);
    loaded.map(from_db)
}

struct Landing<'a, S, R: Runtime> {
    ctx: &'a Ctx<S, R>,
    key: u64,
    flight: &'a Flight<Result<CachedEntry>>,
}

impl<S, R: Runtime> Drop for Landing<'_, S, R> {
    fn drop(&mut self) {
        self.flight.complete(Err(Error::LoadAbandoned));
        self.ctx.flights.borrow_mut().remove(&self.key);
    }
}

/// XFetch: every hit rolls a die, and the closer the entry is to expiry (and the slower it is to
/// load), the likelier this request refreshes it early — usually one request, before anyone misses.
pub async fn get_xfetch<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    key: u64,
    beta: f64,
) -> Result<Response> {
    if let Some(entry) = ctx.l2_get(key).await? {
        if !entry.found() || !ctx.xfetch_says_refresh(&entry, beta) {
            return Ok(l2_hit(entry));
        }
        ctx.step(key, EventKind::EarlyRefresh);
    }
    Ok(from_db(ctx.load_and_fill(key).await?))
}

/// Stale-while-revalidate: an entry past its freshness is still served during its grace while
/// one background refresh (per key, in this process) loads the new row.
///
/// Freshness and grace are judged on one clock, the reader's, against the freshness stamped at
/// the fill: L2 counts its TTL from when the SET arrives, half a round trip later, so an entry
/// it still returns may be past its grace — that one is a miss, not a stale answer.
pub async fn get_stale_while_revalidate<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    key: u64,
    grace: SimDuration,
) -> Result<Response> {
    match ctx.l2_get(key).await? {
        Some(entry) if entry.fresh_until > ctx.now() => Ok(l2_hit(entry)),
        Some(entry) if entry.fresh_until + grace > ctx.now() => {
            refresh_in_background(ctx, key);
            Ok(Response {
                served: Served::L2Stale,
                entry,
            })
        }
        Some(_) | None => Ok(from_db(ctx.load_and_fill(key).await?)),
    }
}

/// Starts a refresh of `key` unless one is already running.
fn refresh_in_background<S: Store + 'static, R: Runtime>(ctx: &Rc<Ctx<S, R>>, key: u64) {
    if !ctx.refreshing.borrow_mut().insert(key) {
        return;
    }
    let ctx = ctx.clone();
    // Its steps belong to the request that started it (in step mode's log).
    let started_by = current_request();
    ctx.sim
        .clone()
        .spawn_detached(in_request(started_by, async move {
            // A failed refresh leaves the stale entry; the next stale read tries again.
            let _ = ctx.load_and_fill(key).await;
            ctx.refreshing.borrow_mut().remove(&key);
        }));
}

/// Writes `key`: update the database, then invalidate both caches (the next read reloads).
pub async fn write<S: Store + 'static, R: Runtime>(ctx: &Ctx<S, R>, key: u64) -> Result<()> {
    ctx.metrics
        .borrow_mut()
        .record_db_query(ctx.now(), key, Purpose::Write);
    ctx.db.write(&ctx.sim, key).await;
    if let Some(l1) = &ctx.l1 {
        l1.borrow_mut().remove(&key);
    }
    // The database has the new row: a failed invalidation is counted, not a failed write.
    let invalidated = ctx.l2.del(&data_key(key)).await;
    ctx.or_count(invalidated, false);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Executor;
    use crate::tiers::{LatencyModel, L2};
    use std::num::NonZeroU64;

    /// A lab with no L1, a 1 ms L2 and a database that always takes `db_ms`.
    fn lab(protection: Protection, db_ms: u64, timeout_ms: u64) -> (Executor, Rc<Ctx<SimL2>>) {
        lab_with(protection, db_ms, timeout_ms, |l2| l2)
    }

    /// The same lab with its L2 wrapped by `wrap`.
    fn lab_with<S: Store + 'static>(
        protection: Protection,
        db_ms: u64,
        timeout_ms: u64,
        wrap: impl FnOnce(SimL2) -> S,
    ) -> (Executor, Rc<Ctx<S>>) {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let ms = SimDuration::from_millis;
        let db = Db::new(
            10,
            NonZeroU64::new(4).unwrap(),
            LatencyModel::from_percentiles(ms(db_ms), ms(db_ms)),
            SimRng::new(1),
        );
        let policy = Policy {
            ttl: SimDuration::from_secs(5),
            jitter: 0.0,
            negative_ttl: None,
            l1_ttl: ms(1000),
            protection,
            request_timeout: ms(timeout_ms),
            on_l2_error: OnL2Error::FailOpen,
        };
        let metrics = Metrics::new(ms(1000), SimTime(10_000_000), 10, 0, Some(0));
        let l2 = wrap(SimL2::new(sim.clone(), L2::new(), ms(1)));
        let ctx = Ctx::new(sim, None, l2, db, policy, None, metrics, SimRng::new(2));
        (exec, Rc::new(ctx))
    }

    fn burst<S: Store + 'static>(exec: &Executor, ctx: &Rc<Ctx<S>>, n: u64) {
        for _ in 0..n {
            exec.sim().spawn_detached(serve(ctx.clone(), Op::Read(0)));
        }
        exec.run();
    }

    /// The lab's L2 behind fault injection on its clock.
    fn faulty(faults: Faults) -> impl FnOnce(SimL2) -> Faulty<SimL2, Sim> {
        |l2| {
            let sim = l2.sim().clone();
            Faulty::new(l2, sim, faults)
        }
    }

    #[test]
    fn reads_fail_open_to_the_database_while_the_store_is_down_and_use_it_again_after() {
        let lock = Protection::Lock {
            lock_ttl: SimDuration::from_secs(2),
            poll: SimDuration::from_millis(10),
            polls: 20,
        };
        let second = SimTime(1_000_000);
        let outage = Faults {
            outages: vec![Window {
                from: SimTime::ZERO,
                to: second,
            }],
            ..Faults::default()
        };
        let (exec, ctx) = lab_with(lock, 20, 1000, faulty(outage));
        burst(&exec, &ctx, 10);
        let t = ctx.metrics.borrow().totals();
        // Each read: GET fails, SET NX fails (no lock to coordinate with), it loads, and the
        // fill fails — three errors, one database query, no failed request.
        assert_eq!(
            (t.misses, t.db_queries, t.errors, t.l2_errors),
            (10, 10, 0, 30)
        );
        assert_eq!(ctx.l2.counts().refused, 30);
        exec.advance_to(second);
        burst(&exec, &ctx, 10);
        let t = ctx.metrics.borrow().totals();
        // Back up: one lock holder loads, the nine others wait for its fill.
        assert_eq!(
            (t.misses, t.waited, t.db_queries, t.errors, t.l2_errors),
            (11, 9, 11, 0, 30)
        );
    }

    #[test]
    fn replies_slower_than_the_client_timeout_fail_open_too() {
        // Every reply 50 ms late, a client that waits 10 ms: the GET and the fill time out.
        let slow = Faults {
            slow: vec![(
                Window {
                    from: SimTime::ZERO,
                    to: SimTime(1_000_000),
                },
                SimDuration::from_millis(50),
            )],
            timeout: Some(SimDuration::from_millis(10)),
            ..Faults::default()
        };
        let (exec, ctx) = lab_with(Protection::None, 20, 1000, faulty(slow));
        burst(&exec, &ctx, 10);
        let t = ctx.metrics.borrow().totals();
        assert_eq!(
            (t.misses, t.db_queries, t.errors, t.l2_errors),
            (10, 10, 0, 20)
        );
        let counts = ctx.l2.counts();
        assert_eq!((counts.delayed, counts.timed_out), (20, 20));
    }

    #[test]
    fn singleflight_waiters_share_one_load_and_fill_the_cache_once() {
        let (exec, ctx) = lab(Protection::Singleflight, 20, 1000);
        burst(&exec, &ctx, 50);
        let t = ctx.metrics.borrow().totals();
        // The merged waiters are neither misses (no query of their own) nor hits.
        assert_eq!(
            (t.db_queries, t.coalesced, t.waited, t.misses, t.errors),
            (1, 49, 49, 1, 0)
        );
        assert_eq!((t.reads(), t.hit_ratio()), (50, 0.0));
        assert!(ctx.flights.borrow().is_empty());
    }

    #[test]
    fn an_abandoned_singleflight_load_fails_its_waiters_instead_of_hanging_them() {
        // The database takes 50 ms but requests give up after 30: the leader's load is
        // dropped, and every waiter hears about it rather than waiting forever.
        let (exec, ctx) = lab(Protection::Singleflight, 50, 30);
        burst(&exec, &ctx, 5);
        let t = ctx.metrics.borrow().totals();
        assert_eq!((t.requests, t.errors, t.db_queries), (5, 5, 1));
        assert!(ctx.flights.borrow().is_empty());
        assert_eq!(exec.sim().live_tasks(), 0);
    }

    #[test]
    fn the_lock_holder_loads_and_the_others_find_the_filled_entry() {
        let lock = Protection::Lock {
            lock_ttl: SimDuration::from_secs(2),
            poll: SimDuration::from_millis(10),
            polls: 20,
        };
        let (exec, ctx) = lab(lock, 20, 1000);
        burst(&exec, &ctx, 30);
        let t = ctx.metrics.borrow().totals();
        assert_eq!((t.db_queries, t.fallbacks, t.errors), (1, 0, 0));
        // The others waited for the holder's load, as singleflight's do: not L2 hits.
        assert_eq!((t.l2_hits, t.waited, t.coalesced, t.misses), (0, 29, 0, 1));
        assert_eq!(t.hit_ratio(), 0.0);
        // The lock was released: the key holds only the data entry now.
        let mut model = ctx.l2.model().borrow_mut();
        assert_eq!(model.get(&lock_key(0)).unwrap(), None);
        assert!(model.get(&data_key(0)).unwrap().is_some());
    }

    #[test]
    fn stale_while_revalidate_serves_stale_once_expired_and_refreshes_once() {
        let swr = Protection::StaleWhileRevalidate {
            grace: SimDuration::from_secs(5),
        };
        let (exec, ctx) = lab(swr, 20, 1000);
        ctx.warm(0, SimDuration::from_millis(20)).unwrap();
        let sim = exec.sim().clone();
        let c = ctx.clone();
        exec.sim().spawn_detached(async move {
            sim.sleep(SimDuration::from_secs(6)).await; // past freshness, within grace
            for _ in 0..10 {
                sim.spawn_detached(serve(c.clone(), Op::Read(0)));
            }
        });
        exec.run();
        let t = ctx.metrics.borrow().totals();
        assert_eq!((t.l2_hits, t.stale_reads, t.db_queries), (10, 10, 1));
    }

    #[test]
    fn xfetch_refreshes_before_expiry_when_the_load_is_slow_and_beta_large() {
        let (exec, ctx) = lab(Protection::XFetch { beta: 1e6 }, 20, 1000);
        ctx.warm(0, SimDuration::from_millis(20)).unwrap();
        burst(&exec, &ctx, 1);
        // With an enormous beta the very first read recomputes, long before the TTL ends.
        assert_eq!(ctx.metrics.borrow().totals().db_queries, 1);
    }
}
