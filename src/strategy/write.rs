//! What a write does to the caches, and what a read may put back into them.
//!
//! Four write paths, each an `async fn` over the same [`Ctx`]:
//!
//! - **invalidate** ([`WritePath::Invalidate`]): update the database, then delete the cached
//!   entry ([`super::write`]); the next read loads the new row. Reads fill the cache with a plain
//!   `SET`, and that is the weak spot: a reader that loaded the *old* row just before the write,
//!   and is slow to store it, puts it back after the delete. The cache then serves the old row
//!   until its TTL ends or the next write deletes it again — a *put-back*.
//! - **versioned** ([`WritePath::Versioned`], the fix): the write replaces the entry by a small
//!   marker that carries the new version, and every store is a compare-and-set on the version
//!   (one atomic step at the server, what a short Lua script does in Redis): a fill is refused if
//!   the cache already announces a newer row. Markers and entries stay in the cache for at least
//!   the request timeout (an entry past its freshness reads as a miss), so the version is still
//!   there when the slowest possible reader comes back. Unlike a delayed second delete, which only shortens
//!   the time a put-back is served, or a lease, whose token check is itself a compare-and-set, the
//!   version makes the outcome independent of how slow the reader is.
//! - **write-through** ([`WritePath::WriteThrough`]): update the database, then set the cache to
//!   the new row. Reads fill with `SET NX` (add only), so a slow reader cannot overwrite the
//!   writer's newer entry — as long as that entry outlives the reader (TTL at least the request
//!   timeout). Every write costs a database write and a cache write.
//! - **write-through with plain fills** ([`WritePath::WriteThroughPlainFill`]): the course
//!   chapter's "Option 2" as its code has it: the same write, but readers fill with a plain `SET`,
//!   as its cache-aside reads do. A reader that loaded the old row before the commit and stores it
//!   after the writer's `SET` overwrites the new row: the invalidation's put-back, still there.
//! - **write-behind** ([`WritePath::WriteBehind`]): set the cache and queue the write; a worker
//!   ([`start_flush_worker`]) drains the queue every `flush_every` in statements of at most
//!   `batch_size` rows, keeping only the newest version of a key within a statement. The database
//!   sees far fewer statements and lags behind the cache; the queue lives in the process, so a
//!   crash ([`WritePaths::crash`]) loses exactly what it held.
//!
//! Refresh-ahead is a read option that combines with any path: a read that finds its entry within
//! `window` of the end of its freshness starts one background reload of the key (per key, in this
//! process), so hot keys are reloaded before anyone misses them. A background reload fills like
//! any read, and races with writes the same way.
//!
//! Versions number the writes as the lab sees them: the database bumps a row's version on every
//! write, and write-behind hands out the next number when it queues, so that a report can say
//! exactly which writes a crash lost and how far behind a read was.

use super::store::{bad_reply, bulk_of};
use super::{data_key, CachedEntry, Cmd, Ctx, Response, Script, Server, SetWhen, Store};
use crate::error::Result;
use crate::metrics::{Purpose, Served};
use crate::sim::{Runtime, SimDuration, SimTime};
use crate::tiers::l2::Reply;
use crate::tiers::Row;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// How a write reaches the database and the caches (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WritePath {
    /// Update the database, then delete the cached entry; reads fill with a plain `SET`.
    Invalidate,
    /// Update the database, then replace the entry by a marker of the new version; every store
    /// is a compare-and-set on the version.
    Versioned,
    /// Update the database, then set the cache to the new row; reads fill with `SET NX`.
    WriteThrough,
    /// Update the database, then set the cache to the new row; reads fill with a plain `SET`.
    WriteThroughPlainFill,
    /// Set the cache and queue the write; a worker flushes the queue in batches.
    WriteBehind {
        /// The most rows one flush statement carries.
        batch_size: u64,
        /// Pause between flushes.
        flush_every: SimDuration,
    },
}

/// What a read returned, and what the database held at the instant it was read — the lab's view,
/// for judging staleness; no real client can know it. An answer from the database is its own
/// version: a system without any cache would have returned the same row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The answer.
    pub response: Response,
    /// When the answering tier read it (for L2: when the `GET` ran at the server; for the
    /// database: when its answer arrived).
    pub read_at: SimTime,
    /// The database's version of the row at that instant.
    pub db_version: Option<u64>,
}

/// Counters of what the write paths did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Writes accepted: committed to the database, or (write-behind) queued.
    pub writes: u64,
    /// Statements the database ran for writes.
    pub db_writes: u64,
    /// Rows those statements carried.
    pub db_rows_written: u64,
    /// Fills that stored a version older than the newest write of the key: the race.
    pub put_backs: u64,
    /// When each of those landed, for the lesson's chart over time.
    pub put_backs_at: Vec<SimTime>,
    /// Fills the cache turned away (a newer version or a writer's entry was already there).
    pub refused_fills: u64,
    /// Background reloads started by refresh-ahead.
    pub refreshes: u64,
    /// Write-behind flush statements.
    pub batches: u64,
    /// Queued writes never written on their own: a later write of the same key in the same
    /// flush statement carried the newer version.
    pub coalesced: u64,
    /// The longest the write-behind queue got.
    pub max_queue: u64,
    /// Writes a crash took with the queue, in queue order.
    pub lost: Vec<Row>,
}

/// The state of the write paths of one app instance: the path, the refresh-ahead window, and for
/// write-behind the queue.
pub struct WritePaths {
    path: WritePath,
    refresh_ahead: Option<SimDuration>,
    queue: RefCell<VecDeque<Row>>,
    /// Write-behind: the newest version handed out per key (ahead of the database until flushed).
    handed_out: RefCell<BTreeMap<u64, u64>>,
    /// This process's writes per key, for keeping readers' late copies out of L1.
    writing: RefCell<BTreeMap<u64, WriteMark>>,
    stats: RefCell<WriteStats>,
}

/// A key's writes in this process: how many are running, and when the last one ended.
#[derive(Clone, Copy, Debug, Default)]
struct WriteMark {
    running: u64,
    last_done: Option<SimTime>,
}

/// Marks a write of `key` as running until it is dropped (finished or abandoned).
struct Writing<'a, R: Runtime> {
    marks: &'a RefCell<BTreeMap<u64, WriteMark>>,
    key: u64,
    sim: &'a R,
}

impl<R: Runtime> Drop for Writing<'_, R> {
    fn drop(&mut self) {
        let mut marks = self.marks.borrow_mut();
        let mark = marks.entry(self.key).or_default();
        mark.running -= 1;
        mark.last_done = Some(self.sim.now());
    }
}

impl WritePaths {
    /// Writes take `path`; reads within `refresh_ahead` of an entry's expiry reload it in the
    /// background (`None`: never).
    pub fn new(path: WritePath, refresh_ahead: Option<SimDuration>) -> Self {
        WritePaths {
            path,
            refresh_ahead,
            queue: RefCell::new(VecDeque::new()),
            handed_out: RefCell::new(BTreeMap::new()),
            writing: RefCell::new(BTreeMap::new()),
            stats: RefCell::new(WriteStats::default()),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> WriteStats {
        self.stats.borrow().clone()
    }

    /// Whether writes go behind, through the queue.
    pub fn is_write_behind(&self) -> bool {
        matches!(self.path, WritePath::WriteBehind { .. })
    }

    /// Rows whose database version is older than their newest write (write-behind's queued or
    /// lost writes; other paths write the database first, so none).
    pub fn rows_behind<S: Store + 'static, R: Runtime>(&self, ctx: &Ctx<S, R>) -> u64 {
        let handed_out = self.handed_out.borrow();
        handed_out
            .iter()
            .filter(|&(&key, &v)| ctx.db.current_version(key) < Some(v))
            .count() as u64
    }

    /// Writes queued and not yet flushed.
    pub fn queued(&self) -> usize {
        self.queue.borrow().len()
    }

    /// The process dies: the write-behind queue and the in-process L1 are gone (the lost writes
    /// are listed in [`WriteStats::lost`]). A flush statement already sent still commits. The
    /// instance restarts at once with an empty queue; the shared cache keeps what it held.
    pub fn crash<S: Store + 'static, R: Runtime>(&self, ctx: &Ctx<S, R>) {
        let lost: Vec<Row> = self.queue.borrow_mut().drain(..).collect();
        self.stats.borrow_mut().lost.extend(lost);
        if let Some(l1) = &ctx.l1 {
            l1.borrow_mut().clear();
        }
    }

    /// The newest version of `key` a write has produced: the database's, or a queued one.
    fn newest(&self, ctx: &Ctx<impl Store + 'static, impl Runtime>, key: u64) -> Option<u64> {
        let queued = self.handed_out.borrow().get(&key).copied();
        ctx.db.current_version(key).max(queued)
    }

    /// Stores a loaded `entry` the way this path fills (stamping its freshness), counting
    /// put-backs and refusals; true if the cache took it.
    async fn fill<S: Store + 'static, R: Runtime>(
        &self,
        ctx: &Ctx<S, R>,
        key: u64,
        entry: &mut CachedEntry,
    ) -> Result<bool> {
        let Some(ttl) = ctx.stamp(key, entry) else {
            return Ok(false);
        };
        // The store runs at the server in this very instant (see `SimL2`), so this is what the
        // database held when the entry landed.
        let behind = matches!((entry.version, self.newest(ctx, key)), (Some(v), Some(n)) if v < n);
        let k = data_key(key);
        let stored = match self.path {
            WritePath::Invalidate | WritePath::WriteThroughPlainFill => {
                ctx.l2.set(&k, &entry.encode(), Some(ttl)).await?;
                true
            }
            WritePath::Versioned => {
                // Kept past its freshness (reads treat it as a miss then) for as long as a reader
                // can be in flight, so that its version still turns older fills away.
                let keep = ttl.max(ctx.policy.request_timeout);
                SetIfNewer {
                    key: &k,
                    slot: Slot::Entry(*entry),
                    ttl: Some(keep),
                }
                .run_on(&ctx.l2)
                .await?
            }
            WritePath::WriteThrough | WritePath::WriteBehind { .. } => {
                ctx.l2.set_nx(&k, &entry.encode(), Some(ttl)).await?
            }
        };
        let mut stats = self.stats.borrow_mut();
        stats.put_backs += u64::from(stored && behind);
        if stored && behind {
            stats.put_backs_at.push(ctx.now());
        }
        stats.refused_fills += u64::from(!stored);
        Ok(stored)
    }

    /// Copies what a read found into L1 — unless this process wrote the key since the read
    /// asked (`asked_at`) or is writing it now: the copy may predate that write, and the write's
    /// own L1 update (or removal) must not be undone by it.
    fn l1_fill_unless_written(
        &self,
        ctx: &Ctx<impl Store + 'static, impl Runtime>,
        key: u64,
        entry: &CachedEntry,
        asked_at: SimTime,
    ) {
        let mark = self.writing.borrow().get(&key).copied().unwrap_or_default();
        if mark.running == 0 && mark.last_done.is_none_or(|done| done < asked_at) {
            ctx.l1_fill(key, entry);
        }
    }

    fn start_writing<'a, R: Runtime>(&'a self, sim: &'a R, key: u64) -> Writing<'a, R> {
        self.writing.borrow_mut().entry(key).or_default().running += 1;
        Writing {
            marks: &self.writing,
            key,
            sim,
        }
    }

    /// Whether a read of `entry` should reload it ahead of its expiry.
    fn refresh_due(
        &self,
        ctx: &Ctx<impl Store + 'static, impl Runtime>,
        entry: &CachedEntry,
    ) -> bool {
        self.refresh_ahead
            .is_some_and(|window| entry.found() && entry.fresh_until.since(ctx.now()) <= window)
    }

    /// Updates the database row: the new version, or `None` for a key that does not exist.
    async fn commit<S: Store + 'static, R: Runtime>(
        &self,
        ctx: &Ctx<S, R>,
        key: u64,
    ) -> Option<u64> {
        ctx.metrics
            .borrow_mut()
            .record_db_query(ctx.now(), key, Purpose::Write);
        let version = ctx.db.write(&ctx.sim, key).await;
        self.count_statement(1);
        version
    }

    fn count_statement(&self, rows: u64) {
        let mut stats = self.stats.borrow_mut();
        stats.db_writes += 1;
        stats.db_rows_written += rows;
    }

    /// Write-behind: hands out the key's next version and queues it.
    fn enqueue(&self, ctx: &Ctx<impl Store + 'static, impl Runtime>, key: u64) -> Option<u64> {
        let version = self.newest(ctx, key)? + 1;
        self.handed_out.borrow_mut().insert(key, version);
        let mut queue = self.queue.borrow_mut();
        queue.push_back(Row { key, version });
        let mut stats = self.stats.borrow_mut();
        stats.max_queue = stats.max_queue.max(queue.len() as u64);
        Some(version)
    }

    /// Write-behind: sends the writes queued now to the database, `batch_size` rows per
    /// statement, one statement after the other (writes queued meanwhile wait for the next
    /// flush); within a statement only a key's newest version is written.
    async fn flush<S: Store + 'static, R: Runtime>(&self, ctx: &Ctx<S, R>, batch_size: u64) {
        let batch_len = usize::try_from(batch_size).unwrap_or(usize::MAX).max(1);
        let mut due = self.queued();
        loop {
            let batch: Vec<Row> = {
                // A crash during the previous statement may have emptied the queue.
                let mut queue = self.queue.borrow_mut();
                let n = batch_len.min(due).min(queue.len());
                due -= n;
                queue.drain(..n).collect()
            };
            let Some(first) = batch.first() else { return };
            let mut newest: BTreeMap<u64, u64> = BTreeMap::new();
            for row in &batch {
                let v = newest.entry(row.key).or_insert(row.version);
                *v = (*v).max(row.version);
            }
            let rows: Vec<Row> = newest
                .into_iter()
                .map(|(key, version)| Row { key, version })
                .collect();
            {
                let mut stats = self.stats.borrow_mut();
                stats.batches += 1;
                stats.coalesced += (batch.len() - rows.len()) as u64;
            }
            self.count_statement(rows.len() as u64);
            ctx.metrics
                .borrow_mut()
                .record_db_query(ctx.now(), first.key, Purpose::Write);
            ctx.db.write_rows(&ctx.sim, &rows).await;
        }
    }
}

/// What the versioned path keeps under a row's key: a cached entry, or the marker a write leaves
/// in place of the entry it invalidates, announcing the version that replaced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A cached row.
    Entry(CachedEntry),
    /// The row was written at this version and is not cached yet.
    Marker(u64),
}

/// First byte of an encoded marker (an encoded entry is longer, so the two never collide).
const MARKER_TAG: u8 = b'M';

impl Slot {
    /// The version it stands for ("not found" counts as 0).
    pub fn version(&self) -> u64 {
        match self {
            Slot::Entry(e) => e.version.unwrap_or(0),
            Slot::Marker(v) => *v,
        }
    }

    /// Whether it may replace `current`: an entry may replace anything of its own version or
    /// older (the marker of the row it is, a copy of itself whose TTL it renews); a marker only
    /// something older.
    ///
    /// ```
    /// use cachelab::{sim::{SimDuration, SimTime}, strategy::{CachedEntry, Slot}};
    /// let row = |v| Slot::Entry(CachedEntry { version: Some(v), fresh_until: SimTime(0), load_time: SimDuration(0) });
    /// assert!(!row(1).replaces(&Slot::Marker(2)));  // a slow reader's old row is turned away
    /// assert!(row(2).replaces(&Slot::Marker(2)));
    /// assert!(Slot::Marker(3).replaces(&row(2)));
    /// assert!(!Slot::Marker(2).replaces(&row(2)));
    /// ```
    pub fn replaces(&self, current: &Slot) -> bool {
        match self {
            Slot::Entry(_) => self.version() >= current.version(),
            Slot::Marker(_) => self.version() > current.version(),
        }
    }

    /// The bytes stored in the cache.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Slot::Entry(e) => e.encode().to_vec(),
            Slot::Marker(v) => {
                let mut out = vec![MARKER_TAG];
                out.extend_from_slice(&v.to_le_bytes());
                out
            }
        }
    }

    /// Reads bytes written by [`Slot::encode`]; anything else is `None`.
    pub fn decode(bytes: &[u8]) -> Option<Slot> {
        if let Some(entry) = CachedEntry::decode(bytes) {
            return Some(Slot::Entry(entry));
        }
        match bytes {
            [MARKER_TAG, rest @ ..] => {
                Some(Slot::Marker(u64::from_le_bytes(rest.try_into().ok()?)))
            }
            _ => None,
        }
    }
}

/// Stores a [`Slot`] only if it is newer than what the key holds, in one atomic step at the
/// server: a Lua script that reads, compares and sets. A version is a little-endian `u64` inside
/// the encoded slot, read in Lua byte by byte (exact below 2^53).
pub struct SetIfNewer<'a> {
    /// The key.
    pub key: &'a [u8],
    /// What to store.
    pub slot: Slot,
    /// Its TTL.
    pub ttl: Option<SimDuration>,
}

impl SetIfNewer<'_> {
    /// Runs the step on `store`: true if it stored. Bytes that are no slot count as absent.
    pub async fn run_on<S: Store + ?Sized>(&self, store: &S) -> Result<bool> {
        match store.eval(self).await? {
            Reply::Int(stored) => Ok(stored == 1),
            other => Err(bad_reply("set-if-newer", &other)),
        }
    }
}

impl Script for SetIfNewer<'_> {
    fn name(&self) -> &'static str {
        "set-if-newer"
    }

    fn lua(&self) -> &'static str {
        r"
local function version(bytes, at)
  local v = 0
  for i = at + 7, at, -1 do v = v * 256 + string.byte(bytes, i) end
  return v
end
local current = redis.call('GET', KEYS[1])
local wins = true
if current then
  local have = nil
  if #current == 25 and string.byte(current, 1) == 1 then have = version(current, 2)
  elseif #current == 25 and string.byte(current, 1) == 0 then have = 0
  elseif #current == 9 and string.sub(current, 1, 1) == 'M' then have = version(current, 2)
  end
  if have then
    local new = tonumber(ARGV[2])
    if ARGV[3] == 'entry' then wins = new >= have else wins = new > have end
  end
end
if not wins then return 0 end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
end
return 1
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![self.key]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        let kind = match self.slot {
            Slot::Entry(_) => "entry",
            Slot::Marker(_) => "marker",
        };
        let ttl_ms = self.ttl.map_or(String::new(), |t| {
            t.as_micros().div_ceil(1_000).max(1).to_string()
        });
        vec![
            self.slot.encode(),
            self.slot.version().to_string().into_bytes(),
            kind.as_bytes().to_vec(),
            ttl_ms.into_bytes(),
        ]
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        let current = match bulk_of("GET", server.call(Cmd::Get(self.key))) {
            Ok(current) => current.as_deref().and_then(Slot::decode),
            Err(e) => return Reply::Error(e.to_string()),
        };
        if current.is_some_and(|c| !self.slot.replaces(&c)) {
            return Reply::Int(0);
        }
        let set = Cmd::Set {
            key: self.key,
            value: &self.slot.encode(),
            ttl: self.ttl,
            when: SetWhen::Always,
        };
        match server.call(set) {
            Reply::Error(e) => Reply::Error(e),
            _ => Reply::Int(1),
        }
    }
}

/// Reads `key` through L1 and L2 to the database, filling the caches the way `paths` fills, and
/// starting a refresh-ahead reload when one is due.
pub async fn read_with<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    paths: &Rc<WritePaths>,
    key: u64,
) -> Result<Observed> {
    // Nothing can run between here and the L2 command below (it runs as it is sent), so this is
    // the database as both caches are read.
    let (read_at, db_version) = (ctx.now(), ctx.db.current_version(key));
    let cached = |served, entry| Observed {
        response: Response { served, entry },
        read_at,
        db_version,
    };
    if let Some(entry) = ctx.l1_get(key) {
        return Ok(cached(Served::L1, entry));
    }
    let found = ctx.l2_get(key).await?;
    // The versioned path keeps entries past their freshness, as fences; such an entry is a miss.
    let versioned = paths.path == WritePath::Versioned;
    if let Some(entry) = found.filter(|e| !versioned || e.fresh_until > ctx.now()) {
        if paths.refresh_due(ctx, &entry) {
            refresh_in_background(ctx, paths, key);
        }
        paths.l1_fill_unless_written(ctx, key, &entry, read_at);
        return Ok(cached(Served::L2, entry));
    }
    let asked_at = read_at;
    let mut entry = ctx.query_db(key, Purpose::Load).await?;
    let read_at = ctx.now();
    if paths.fill(ctx, key, &mut entry).await? {
        paths.l1_fill_unless_written(ctx, key, &entry, asked_at);
    }
    Ok(Observed {
        response: Response {
            served: Served::Db,
            entry,
        },
        read_at,
        db_version: entry.version,
    })
}

/// Starts a reload of `key` unless one is already running.
fn refresh_in_background<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    paths: &Rc<WritePaths>,
    key: u64,
) {
    if !ctx.refreshing.borrow_mut().insert(key) {
        return;
    }
    paths.stats.borrow_mut().refreshes += 1;
    let (ctx, paths) = (ctx.clone(), paths.clone());
    ctx.sim.clone().spawn_detached(async move {
        // A failed reload leaves the entry to expire; the next read in the window tries again.
        if let Ok(mut entry) = ctx.query_db(key, Purpose::Load).await {
            let _ = paths.fill(&ctx, key, &mut entry).await;
        }
        ctx.refreshing.borrow_mut().remove(&key);
    });
}

/// Writes `key` along `paths`' write path.
///
/// ```
/// use cachelab::{metrics::Metrics, sim::{Executor, SimDuration, SimRng, SimTime}, tiers::{Db, LatencyModel, L2}};
/// use cachelab::strategy::{read_with, write_with, Ctx, OnL2Error, Policy, Protection, SimL2, WritePath, WritePaths};
/// use std::{num::NonZeroU64, rc::Rc};
/// let ms = SimDuration::from_millis;
/// let exec = Executor::new();
/// let sim = exec.sim().clone();
/// let db = Db::new(10, NonZeroU64::MIN, LatencyModel::from_percentiles(ms(5), ms(5)), SimRng::new(1));
/// let policy = Policy { ttl: ms(60_000), jitter: 0.0, negative_ttl: None, l1_ttl: ms(1_000),
///                       protection: Protection::None, request_timeout: ms(1_000),
///                       on_l2_error: OnL2Error::FailOpen };
/// let metrics = Metrics::new(ms(1_000), SimTime(1_000_000), 10, 0, None);
/// let l2 = SimL2::new(sim.clone(), L2::new(), ms(1));
/// let ctx = Rc::new(Ctx::new(sim, None, l2, db, policy, None, metrics, SimRng::new(2)));
/// let paths = Rc::new(WritePaths::new(WritePath::WriteThrough, None));
/// let (c, p) = (ctx.clone(), paths.clone());
/// let seen = exec.sim().spawn(async move {
///     write_with(&c, &p, 3).await.unwrap();     // the database, then the cache: version 2
///     read_with(&c, &p, 3).await.unwrap()
/// });
/// exec.run();
/// let seen = seen.try_take().unwrap();
/// assert_eq!((seen.response.entry.version, seen.db_version), (Some(2), Some(2)));
/// assert_eq!(paths.stats().db_writes, 1);
/// ```
pub async fn write_with<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    paths: &WritePaths,
    key: u64,
) -> Result<()> {
    let _writing = paths.start_writing(&ctx.sim, key);
    let written = match paths.path {
        WritePath::Invalidate => {
            super::write(ctx, key).await?;
            paths.count_statement(1);
            true
        }
        WritePath::Versioned => match paths.commit(ctx, key).await {
            Some(version) => {
                if let Some(l1) = &ctx.l1 {
                    l1.borrow_mut().remove(&key);
                }
                // The marker must outlive any read that loaded an older row: reads give up
                // after the request timeout, and cached entries live a TTL.
                let keep = ctx.policy.ttl.max(ctx.policy.request_timeout);
                SetIfNewer {
                    key: &data_key(key),
                    slot: Slot::Marker(version),
                    ttl: Some(keep),
                }
                .run_on(&ctx.l2)
                .await?;
                true
            }
            None => false,
        },
        WritePath::WriteThrough | WritePath::WriteThroughPlainFill => {
            match paths.commit(ctx, key).await {
                Some(version) => {
                    set_written(ctx, key, version).await?;
                    true
                }
                None => false,
            }
        }
        // Queued first: a write cut short after this still reaches the database, as a real
        // write whose client timed out may.
        WritePath::WriteBehind { .. } => match paths.enqueue(ctx, key) {
            Some(version) => {
                set_written(ctx, key, version).await?;
                true
            }
            None => false,
        },
    };
    paths.stats.borrow_mut().writes += u64::from(written);
    Ok(())
}

/// Puts a writer's new `version` of `key` in both caches.
async fn set_written<S: Store + 'static, R: Runtime>(
    ctx: &Ctx<S, R>,
    key: u64,
    version: u64,
) -> Result<()> {
    let mut entry = CachedEntry {
        version: Some(version),
        fresh_until: SimTime::ZERO,
        load_time: SimDuration::ZERO,
    };
    ctx.fill_l2(key, &mut entry).await?;
    ctx.l1_fill(key, &entry);
    Ok(())
}

/// Starts write-behind's flush worker (nothing for other paths): every `flush_every` it sends
/// what is queued to the database, and it stops once `done()` says no more writes can come and the
/// queue is empty — the orderly shutdown, which loses nothing.
pub fn start_flush_worker<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    paths: &Rc<WritePaths>,
    done: impl Fn() -> bool + 'static,
) {
    let WritePath::WriteBehind {
        batch_size,
        flush_every,
    } = paths.path
    else {
        return;
    };
    let (ctx, paths) = (ctx.clone(), paths.clone());
    ctx.sim.clone().spawn_detached(async move {
        loop {
            ctx.sim.sleep(flush_every).await;
            paths.flush(&ctx, batch_size).await;
            if done() && paths.queued() == 0 {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::sim::{Executor, SimRng};
    use crate::strategy::{Policy, Protection, SimL2};
    use crate::tiers::{Db, LatencyModel, L1, L2};
    use std::num::NonZeroU64;

    const MS: u64 = 1_000;

    /// Rows 0..3 (not cached), a 1 ms L2, and a database whose every query takes `db_ms` and
    /// reads the row as it starts.
    fn lab(db_ms: u64) -> (Executor, Rc<Ctx<SimL2>>) {
        lab_with(SimDuration::from_millis(db_ms), None)
    }

    fn lab_with(db: SimDuration, l1: Option<L1<u64, CachedEntry>>) -> (Executor, Rc<Ctx<SimL2>>) {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let ms = SimDuration::from_millis;
        let latency = LatencyModel::from_percentiles(db, db);
        let db = Db::new(3, NonZeroU64::new(4).unwrap(), latency, SimRng::new(1));
        db.snapshot_reads();
        let policy = Policy {
            ttl: SimDuration::from_secs(10),
            jitter: 0.0,
            negative_ttl: None,
            l1_ttl: ms(1000),
            protection: Protection::None,
            request_timeout: ms(3000),
            on_l2_error: crate::strategy::OnL2Error::FailOpen,
        };
        let metrics = Metrics::new(ms(1000), SimTime(10_000_000), 3, 0, None);
        let l2 = SimL2::new(sim.clone(), L2::new(), ms(1));
        let ctx = Ctx::new(sim, l1, l2, db, policy, None, metrics, SimRng::new(2));
        (exec, Rc::new(ctx))
    }

    /// Key 0 is cached at version 1 in L2; a read asks L2 at 0 ms and a write that takes
    /// 0.5 ms commits (and updates L2 and L1) before the read's answer arrives at 1 ms. The
    /// version a read at 10 ms returns: the read's late copy must not have gone into L1.
    fn read_straddling_a_write(path: WritePath) -> Option<u64> {
        let l1 = L1::new(std::num::NonZeroUsize::new(8).unwrap());
        let (exec, ctx) = lab_with(SimDuration::from_micros(500), Some(l1));
        ctx.warm(0, SimDuration::ZERO).unwrap();
        let paths = Rc::new(WritePaths::new(path, None));
        let (c, p) = (ctx.clone(), paths.clone());
        exec.sim().spawn_detached(async move {
            let early = read_with(&c, &p, 0).await.unwrap();
            assert_eq!(early.response.entry.version, Some(1));
        });
        let (c, p) = (ctx.clone(), paths.clone());
        exec.sim()
            .spawn_detached(async move { write_with(&c, &p, 0).await.unwrap() });
        let (c, p) = (ctx.clone(), paths.clone());
        let later = exec.sim().spawn(async move {
            c.sim.sleep(SimDuration::from_millis(10)).await;
            read_with(&c, &p, 0).await.unwrap().response.entry.version
        });
        exec.run();
        later.try_take().unwrap()
    }

    #[test]
    fn a_read_that_straddles_a_write_does_not_put_its_copy_in_l1() {
        for path in [
            WritePath::Invalidate,
            WritePath::Versioned,
            WritePath::WriteThrough,
        ] {
            assert_eq!(read_straddling_a_write(path), Some(2), "{path:?}");
        }
    }

    /// A write of key 0 and a read of it start together; the read's query began before the
    /// write committed and returns after the write's cache update. Ten reads follow at 300 ms.
    /// Returns the versions those ten read and the stats.
    fn race(path: WritePath) -> (Vec<Option<u64>>, WriteStats) {
        let (exec, ctx) = lab(100);
        let paths = Rc::new(WritePaths::new(path, None));
        let (c, p) = (ctx.clone(), paths.clone());
        exec.sim()
            .spawn_detached(async move { write_with(&c, &p, 0).await.unwrap() });
        let (c, p) = (ctx.clone(), paths.clone());
        exec.sim().spawn_detached(async move {
            let slow = read_with(&c, &p, 0).await.unwrap();
            // It read version 1 from the database at 1 ms, as the write was still running.
            assert_eq!(slow.response.entry.version, Some(1));
        });
        let (c, p) = (ctx.clone(), paths.clone());
        let later = exec.sim().spawn(async move {
            c.sim.sleep(SimDuration::from_millis(300)).await;
            let mut seen = Vec::new();
            for _ in 0..10 {
                let o = read_with(&c, &p, 0).await.unwrap();
                assert_eq!(o.db_version, Some(2));
                seen.push(o.response.entry.version);
            }
            seen
        });
        exec.run();
        (later.try_take().unwrap(), paths.stats())
    }

    #[test]
    fn a_slow_reader_puts_the_old_row_back_after_the_invalidation() {
        let (seen, stats) = race(WritePath::Invalidate);
        assert_eq!(seen, vec![Some(1); 10]); // all ten stale: the database holds version 2
        assert_eq!((stats.put_backs, stats.refused_fills), (1, 0));
    }

    #[test]
    fn the_version_marker_turns_the_slow_reader_away() {
        let (seen, stats) = race(WritePath::Versioned);
        assert_eq!(seen, vec![Some(2); 10]);
        assert_eq!((stats.put_backs, stats.refused_fills), (0, 1));
    }

    #[test]
    fn write_through_with_plain_fills_lets_the_slow_reader_overwrite_the_writer() {
        let (seen, stats) = race(WritePath::WriteThroughPlainFill);
        assert_eq!(seen, vec![Some(1); 10]);
        assert_eq!((stats.put_backs, stats.refused_fills), (1, 0));
        assert_eq!((stats.writes, stats.db_writes), (1, 1));
    }

    #[test]
    fn write_through_keeps_the_writers_entry_against_the_slow_fill() {
        let (seen, stats) = race(WritePath::WriteThrough);
        assert_eq!(seen, vec![Some(2); 10]);
        assert_eq!((stats.put_backs, stats.refused_fills), (0, 1));
        assert_eq!((stats.writes, stats.db_writes), (1, 1));
    }

    /// Write-behind with 100 ms between flushes and 10 ms statements: writes of key 0 at 0 and
    /// 150 ms (twice), of key 1 at 50 ms and of key 2 at 190 ms; optionally a crash at 180 ms.
    fn write_behind(crash: bool) -> (Rc<Ctx<SimL2>>, WriteStats, u64) {
        let (exec, ctx) = lab(10);
        let path = WritePath::WriteBehind {
            batch_size: 10,
            flush_every: SimDuration::from_millis(100),
        };
        let paths = Rc::new(WritePaths::new(path, None));
        let sim = exec.sim().clone();
        start_flush_worker(&ctx, &paths, move || sim.now() >= SimTime(300 * MS));
        for (at, key) in [(0, 0), (50, 1), (150, 0), (150, 0), (190, 2)] {
            let (c, p) = (ctx.clone(), paths.clone());
            let write = async move { write_with(&c, &p, key).await.unwrap() };
            exec.sim().spawn_at(SimTime(at * MS), write);
        }
        if crash {
            let (c, p) = (ctx.clone(), paths.clone());
            exec.sim()
                .spawn_at(SimTime(180 * MS), async move { p.crash(&c) });
        }
        exec.run();
        assert_eq!(paths.queued(), 0);
        let behind = paths.rows_behind(&ctx);
        (ctx, paths.stats(), behind)
    }

    #[test]
    fn an_orderly_shutdown_flushes_every_write_in_few_statements() {
        let (ctx, stats, behind) = write_behind(false);
        // Flushes at 100 ms (keys 0 and 1, one statement) and 210 ms (key 0 twice, key 2).
        assert_eq!((stats.writes, stats.batches, stats.db_writes), (5, 2, 2));
        assert_eq!((stats.db_rows_written, stats.coalesced), (4, 1));
        let versions: Vec<_> = (0..3).map(|k| ctx.db.current_version(k)).collect();
        assert_eq!(versions, [Some(4), Some(2), Some(2)]);
        assert!(stats.lost.is_empty());
        assert_eq!(behind, 0);
    }

    #[test]
    fn a_crash_loses_exactly_the_queued_writes() {
        let (ctx, stats, behind) = write_behind(true);
        // At 180 ms the queue held key 0's versions 3 and 4; key 2's write came after.
        let lost = [Row { key: 0, version: 3 }, Row { key: 0, version: 4 }];
        assert_eq!(stats.lost, lost);
        assert_eq!(stats.writes, stats.db_rows_written + stats.coalesced + 2);
        let versions: Vec<_> = (0..3).map(|k| ctx.db.current_version(k)).collect();
        assert_eq!(versions, [Some(2), Some(2), Some(2)]);
        assert_eq!(behind, 1);
        // The cache still holds the lost version 4, ahead of the database.
        let cached = ctx.l2.model().borrow_mut().get(&data_key(0)).unwrap();
        let cached = cached.and_then(|b| CachedEntry::decode(&b)).unwrap();
        assert_eq!(cached.version, Some(4));
    }

    #[test]
    fn refresh_ahead_reloads_an_entry_read_within_its_window_once() {
        let (exec, ctx) = lab(20);
        ctx.warm(1, SimDuration::from_millis(20)).unwrap(); // fresh until 10 s
        let paths = Rc::new(WritePaths::new(
            WritePath::Invalidate,
            Some(SimDuration::from_secs(2)),
        ));
        for at in [7_000, 8_500, 8_501, 8_502] {
            let (c, p) = (ctx.clone(), paths.clone());
            let read = async move {
                read_with(&c, &p, 1).await.unwrap();
            };
            exec.sim().spawn_at(SimTime(at * MS), read);
        }
        exec.run();
        // 7 s is outside the window; the three reads after 8 s share one reload.
        assert_eq!(paths.stats().refreshes, 1);
        let cached = ctx.l2.model().borrow_mut().get(&data_key(1)).unwrap();
        let cached = cached.and_then(|b| CachedEntry::decode(&b)).unwrap();
        assert_eq!(
            cached.fresh_until,
            SimTime((8_500 + 1 + 20) * MS + 10_000 * MS)
        );
    }
}
