//! Scenario `consistency`: readers and writers at once, under each write path of
//! [`crate::strategy::WritePath`], judged by what the readers saw.
//!
//! A read is *stale* when the version it returned is older than the one the database held at the
//! instant the answering tier read it (the lab sees both; see [`Observed`]). How far behind it
//! was is counted in versions, and in time since the database moved past the returned version.
//! Writes are counted as the clients made them and as the database ran them, so write-behind's
//! batching shows up as load saved; a crash of the write-behind process (`crash_at_s`) lists the
//! queued writes it lost, and the orderly shutdown at the end must lose none.
//!
//! The bench is the lab's ([`super::lab::prepare`], [`super::lab::drive`]); only the request
//! handler is this scenario's own, because it must judge every read as it happens.

use super::common::{explain, faulty_lab, lab_params, param, secs, zipf};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::Driver;
use super::lab::{self};
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::metrics::{in_request, per_bucket, Outcome};
use crate::sim::{Runtime, SimDuration, SimTime};
use crate::strategy::{
    read_with, start_flush_worker, write_with, Ctx, Observed, Store, WritePath, WritePaths,
};
use crate::workload::Op;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The typed section of a `consistency` variant's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsistencyReport {
    /// Writes accepted: committed to the database, or (write-behind) queued.
    pub writes: u64,
    /// Reads that returned an older version than the database held when they were read.
    pub stale_reads: u64,
    /// Of those, reads of an entry that was already out of date when it was stored: a slow
    /// reader (or a background refresh) put an old row back after a newer write.
    pub stale_from_put_backs: u64,
    /// The most versions a read was behind the database.
    pub max_versions_behind: u64,
    /// The longest a read was behind: from the moment the database moved past the returned
    /// version to the read, in milliseconds.
    pub max_stale_ms: f64,
    /// Fills that stored an older version than the newest write of their key.
    pub put_backs: u64,
    /// Fills the cache refused because it held something newer (versioned set, `SET NX`).
    pub refused_fills: u64,
    /// Stale reads in each bucket of the series (by arrival): `stale_reads` over time.
    pub stale_reads_per_bucket: Vec<u64>,
    /// Put-backs in each bucket of the series (by when the old row landed in L2).
    pub put_backs_per_bucket: Vec<u64>,
    /// Background reloads started by refresh-ahead.
    pub refreshes: u64,
    /// Statements the database ran for writes: its write load.
    pub db_writes: u64,
    /// Rows those statements carried.
    pub db_rows_written: u64,
    /// The write-behind queue: batching, and what a crash lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_behind: Option<WriteBehindReport>,
}

impl ConsistencyReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        let mut line = format!(
            "writes {} -> db statements {}; put-backs {}, refused fills {}; \
             stale reads up to {} versions / {:.0} ms behind",
            self.writes,
            self.db_writes,
            self.put_backs,
            self.refused_fills,
            self.max_versions_behind,
            self.max_stale_ms
        );
        if let Some(w) = &self.write_behind {
            let lost: Vec<String> = w
                .lost
                .iter()
                .map(|l| format!("{}:v{}", l.key, l.version))
                .collect();
            line += &format!(
                "; lost {} [{}], unflushed at end {}",
                w.lost_writes,
                lost.join(" "),
                w.unflushed_at_end
            );
        }
        line
    }
}

/// Write-behind's queue over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WriteBehindReport {
    /// Flush statements sent.
    pub batches: u64,
    /// Queued writes superseded by a newer write of the same key in the same statement.
    pub coalesced: u64,
    /// The longest the queue got.
    pub max_queue: u64,
    /// When the process crashed, in seconds (absent: it did not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash_at_s: Option<f64>,
    /// Writes the crash took with the queue: acknowledged, never written.
    pub lost_writes: u64,
    /// The first of them, in queue order.
    pub lost: Vec<LostWrite>,
    /// Rows whose database version is older than their newest write when the run is over.
    pub rows_behind_at_end: u64,
    /// Writes still queued after the orderly shutdown (it flushes everything: 0).
    pub unflushed_at_end: u64,
}

/// One write a crash lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LostWrite {
    /// The row.
    pub key: u64,
    /// The version the write would have given it.
    pub version: u64,
}

/// How many lost writes a report lists (all are counted).
const LOST_LISTED: usize = 20;

/// Scenario `consistency`.
pub(super) struct Consistency;

variants! {
    /// Which write path the writers take.
    pub(super) enum WriteVariant {
        Chapter = "chapter": "the chapter's write-through (Option 2): update the database, then SET the cache; readers fill with a plain SET, so a slow reader can overwrite the newer row",
        Invalidate = "invalidate": "update the database, delete the entry; a slow reader can put the old row back",
        Versioned = "versioned": "the fix: the write leaves a version marker, fills only store newer versions",
        WriteThrough = "write-through": "update the database, then set the cache; fills only add (SET NX)",
        WriteBehind = "write-behind": "set the cache, queue the write; a worker flushes batches",
        RefreshAhead = "refresh-ahead": "invalidate, and reload entries read shortly before they expire",
    }
}

impl Experiment for Consistency {
    type Variant = WriteVariant;
    const NAME: &'static str = "consistency";
    const ABOUT: &'static str =
        "Readers and writers at once: how each write path keeps the cache in step with the \
                database, what a slow reader puts back after an invalidation, what the database \
                pays for the writes, and what a write-behind crash loses.";

    fn params() -> Vec<ParamSpec> {
        let specs = lab_params(
            &[
                ("rate", 2_000.0),
                ("keys", 200.0),
                ("skew", 1.0),
                ("write_share", 0.05),
                ("ttl_s", 10.0),
                ("db_p50_ms", 20.0),
                ("db_p99_ms", 200.0),
                ("db_pool", 32.0),
            ],
            &[
                param(
                    "batch_size",
                    "write-behind: the most rows one flush statement carries",
                    "rows",
                    50.0,
                    1.0,
                    10_000.0,
                    true,
                ),
                param(
                    "flush_ms",
                    "write-behind: pause between flushes of the queue",
                    "ms",
                    100.0,
                    1.0,
                    60_000.0,
                    false,
                ),
                param(
                    "crash_at_s",
                    "write-behind: the process crashes at this time, losing its queue (0 = no crash)",
                    "s",
                    0.0,
                    0.0,
                    600.0,
                    false,
                ),
                param(
                    "refresh_ahead_s",
                    "refresh-ahead: a read this close to its entry's expiry reloads it in the background",
                    "s",
                    2.0,
                    0.001,
                    86_400.0,
                    false,
                ),
            ],
        );
        explain(
            specs,
            "write_share",
            "share of requests that update a key; what a write does to the cache is the \
             variant's: invalidate and refresh-ahead delete the entry, versioned replaces it by a \
             marker of the new version, write-through and chapter set it (chapter's readers then \
             fill with a plain SET), write-behind sets it and queues the database write",
        )
    }

    const LIVE: &'static str = "Cached rows, markers and write-behind's batches live in the \
        real server; the database stays the model (its versions, history and query times, slept \
        for real), so staleness is judged against it as in the simulation; the write-behind \
        crash is the process's queue lost at crash_at_s, as simulated — the server is not \
        touched.";

    fn run_on<D: Driver>(
        p: &Params,
        variant: WriteVariant,
        seed: u64,
        d: &D,
    ) -> Result<VariantReport> {
        run_variant(p, variant, seed, d)
    }
}

/// The write path and refresh-ahead window of `variant`.
fn paths_for(p: &Params, variant: WriteVariant) -> Result<WritePaths> {
    let path = match variant {
        WriteVariant::Invalidate | WriteVariant::RefreshAhead => WritePath::Invalidate,
        WriteVariant::Versioned => WritePath::Versioned,
        WriteVariant::Chapter => WritePath::WriteThroughPlainFill,
        WriteVariant::WriteThrough => WritePath::WriteThrough,
        WriteVariant::WriteBehind => WritePath::WriteBehind {
            batch_size: p.get_u64("batch_size")?,
            flush_every: SimDuration::from_secs_f64(p.get("flush_ms")? / 1e3),
        },
    };
    let refresh_ahead = match variant {
        WriteVariant::RefreshAhead => Some(secs(p, "refresh_ahead_s")?),
        WriteVariant::Chapter
        | WriteVariant::Invalidate
        | WriteVariant::Versioned
        | WriteVariant::WriteThrough
        | WriteVariant::WriteBehind => None,
    };
    Ok(WritePaths::new(path, refresh_ahead))
}

/// The crash time, if any; it must fall while requests arrive.
fn crash_at(p: &Params) -> Result<Option<SimTime>> {
    let (crash, duration) = (p.get("crash_at_s")?, p.get("duration_s")?);
    if crash == 0.0 {
        return Ok(None);
    }
    if crash >= duration {
        return Err(Error::OutOfRange {
            name: "crash_at_s".to_string(),
            value: crash,
            min: 0.0,
            max: duration,
            unit: "s (0 = no crash; a crash must come before duration_s)",
        });
    }
    Ok(Some(SimTime::ZERO + secs(p, "crash_at_s")?))
}

fn run_variant<D: Driver>(
    p: &Params,
    variant: WriteVariant,
    seed: u64,
    d: &D,
) -> Result<VariantReport> {
    let config = faulty_lab(p, zipf(p)?)?;
    let crash = crash_at(p)?;
    let paths = Rc::new(paths_for(p, variant)?);
    let judge = Rc::new(Judge::default());
    let end = SimTime::ZERO + config.duration;
    // Only write-behind has a process whose queue a crash can lose.
    let crashed_at = crash.filter(|_| paths.is_write_behind());
    let (ctx, monitoring) = d.run_lab_with(&config, seed, |ctx| {
        ctx.db.keep_history();
        ctx.db.snapshot_reads();
        let (sim, watching) = (ctx.sim.clone(), judge.clone());
        start_flush_worker(ctx, &paths, move || {
            sim.now() >= end && watching.in_flight.get() == 0
        });
        if let Some(at) = crashed_at {
            let (c, w) = (ctx.clone(), paths.clone());
            ctx.sim.spawn_at(at, async move { w.crash(&c) });
        }
        let (c, w, j) = (ctx.clone(), paths.clone(), judge.clone());
        Ok(move |op| serve(c.clone(), w.clone(), j.clone(), op))
    })?;
    let mut report = lab::report(variant.name(), &ctx, &config, monitoring);
    let buckets = (config.bucket, report.series.t_s.len());
    report.section = Some(judge.report(&ctx, &paths, crashed_at, buckets).into());
    Ok(report)
}

/// One request: a read judged for staleness, or a write, under the request timeout.
async fn serve<S: Store + 'static, R: Runtime>(
    ctx: Rc<Ctx<S, R>>,
    paths: Rc<WritePaths>,
    judge: Rc<Judge>,
    op: Op,
) {
    // Step mode numbers the request, so that its events (ending with its outcome) carry it.
    let id = ctx.metrics.borrow_mut().arrive(ctx.sim.now(), op);
    in_request(id, serve_numbered(ctx, paths, judge, op)).await;
}

async fn serve_numbered<S: Store + 'static, R: Runtime>(
    ctx: Rc<Ctx<S, R>>,
    paths: Rc<WritePaths>,
    judge: Rc<Judge>,
    op: Op,
) {
    judge.in_flight.set(judge.in_flight.get() + 1);
    let arrived = ctx.sim.now();
    let limit = ctx.policy.request_timeout;
    let outcome = match op {
        Op::Read(key) => match ctx.sim.timeout(limit, read_with(&ctx, &paths, key)).await {
            Ok(Ok(seen)) => Outcome::Read {
                served: seen.response.served,
                stale: judge.is_stale(&ctx, key, arrived, &seen),
            },
            Ok(Err(_)) | Err(_) => Outcome::Error,
        },
        Op::Write(key) => match ctx.sim.timeout(limit, write_with(&ctx, &paths, key)).await {
            Ok(Ok(())) => Outcome::Write,
            Ok(Err(_)) | Err(_) => Outcome::Error,
        },
    };
    ctx.metrics
        .borrow_mut()
        .record_request(op, arrived, ctx.sim.now(), outcome);
    judge.in_flight.set(judge.in_flight.get() - 1);
}

/// Judges reads as they complete.
#[derive(Default)]
struct Judge {
    /// Requests started and not finished (the flush worker stops when none are left).
    in_flight: Cell<u64>,
    counts: RefCell<StaleCounts>,
}

#[derive(Default)]
struct StaleCounts {
    reads: u64,
    /// Arrival of each stale read.
    arrivals: Vec<SimTime>,
    from_put_backs: u64,
    max_versions_behind: u64,
    max_behind: SimDuration,
}

impl Judge {
    /// Whether `seen` is older than the database was when it was read; counts it if so.
    fn is_stale<S: Store + 'static, R: Runtime>(
        &self,
        ctx: &Ctx<S, R>,
        key: u64,
        arrived: SimTime,
        seen: &Observed,
    ) -> bool {
        let entry = seen.response.entry;
        let (Some(have), Some(db)) = (entry.version, seen.db_version) else {
            return false;
        };
        if have >= db {
            return false;
        }
        let mut c = self.counts.borrow_mut();
        c.reads += 1;
        c.arrivals.push(arrived);
        c.max_versions_behind = c.max_versions_behind.max(db - have);
        if let Some(outdated_at) = ctx.db.moved_past(key, have) {
            c.max_behind = c.max_behind.max(seen.read_at.since(outdated_at));
            // Entries are stamped fresh for exactly one TTL when stored (no jitter here).
            let stored_at = entry
                .fresh_until
                .as_micros()
                .saturating_sub(ctx.policy.ttl.as_micros());
            c.from_put_backs += u64::from(SimTime(stored_at) >= outdated_at);
        }
        true
    }

    /// The section, its columns over the `buckets` buckets of `width` of the series.
    fn report<S: Store + 'static, R: Runtime>(
        &self,
        ctx: &Ctx<S, R>,
        paths: &WritePaths,
        crashed_at: Option<SimTime>,
        (width, buckets): (SimDuration, usize),
    ) -> ConsistencyReport {
        let c = self.counts.borrow();
        let w = paths.stats();
        let write_behind = paths.is_write_behind().then(|| WriteBehindReport {
            batches: w.batches,
            coalesced: w.coalesced,
            max_queue: w.max_queue,
            crash_at_s: crashed_at.map(SimTime::as_secs_f64),
            lost_writes: w.lost.len() as u64,
            lost: w
                .lost
                .iter()
                .take(LOST_LISTED)
                .map(|r| LostWrite {
                    key: r.key,
                    version: r.version,
                })
                .collect(),
            rows_behind_at_end: paths.rows_behind(ctx),
            unflushed_at_end: paths.queued() as u64,
        });
        ConsistencyReport {
            writes: w.writes,
            stale_reads: c.reads,
            stale_from_put_backs: c.from_put_backs,
            max_versions_behind: c.max_versions_behind,
            max_stale_ms: c.max_behind.as_millis_f64(),
            put_backs: w.put_backs,
            refused_fills: w.refused_fills,
            stale_reads_per_bucket: per_bucket(&c.arrivals, width, buckets),
            put_backs_per_bucket: per_bucket(&w.put_backs_at, width, buckets),
            refreshes: w.refreshes,
            db_writes: w.db_writes,
            db_rows_written: w.db_rows_written,
            write_behind,
        }
    }
}
