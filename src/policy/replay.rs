//! Whole-trace experiments: parse which policies and sizes to try, stream the trace through all of
//! them in one pass, and report misses per (policy, capacity).
//!
//! [`run`] streams: a trace is read twice, never held in memory: once to count its unique keys
//! and bytes (which turn fractions into capacities), once to replay. Only Belady, which must know
//! each request's next access, loads the whole trace. When the trace fits in memory,
//! [`super::sweep::run_decoded`] parses it once and replays it on every core instead.

use super::sweep::Job;
use super::{build, canonical_name, Access, Capacity, Policy, POLICY_NAMES};
use crate::error::{Error, Result};
use crate::workload::{open as open_trace, ReadOptions, Request, TraceFormat, TraceStats};
use serde::Serialize;
use std::io::BufRead;
use std::num::NonZeroU64;

/// A cache size as the user gave it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeSpec {
    /// A fraction in `(0, 1]` of the trace's unique keys (or unique bytes).
    Fraction(f64),
    /// A number of objects.
    Objects(NonZeroU64),
    /// A number of bytes.
    Bytes(NonZeroU64),
}

/// Byte suffixes, longest first so that `KiB` is not read as `B`.
const BYTE_UNITS: [(&str, u64); 9] = [
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("b", 1),
];

impl SizeSpec {
    /// Parses `0.05` (a fraction: it has a decimal point), `10%` (a percentage, the same as
    /// `0.1`), `5000` (objects) or `64MiB` (bytes; units B, KB, MB, GB, TB and KiB, MiB, GiB,
    /// TiB, case-insensitive). Limits are printed as the integers they are.
    ///
    /// ```
    /// use cachelab::policy::replay::SizeSpec;
    /// use std::num::NonZeroU64;
    /// assert_eq!(SizeSpec::parse("0.05").unwrap(), SizeSpec::Fraction(0.05));
    /// assert_eq!(SizeSpec::parse("10%").unwrap(), SizeSpec::Fraction(0.1));
    /// assert_eq!(SizeSpec::parse("5000").unwrap(), SizeSpec::Objects(NonZeroU64::new(5000).unwrap()));
    /// assert_eq!(SizeSpec::parse("1.5KiB").unwrap(), SizeSpec::Bytes(NonZeroU64::new(1536).unwrap()));
    /// assert!(SizeSpec::parse("1.5").is_err());
    /// let zero = SizeSpec::parse("0").unwrap_err().to_string();
    /// assert!(zero.contains("between 1 and 18446744073709551615 objects"), "{zero}");
    /// assert!(SizeSpec::parse("150%").unwrap_err().to_string().contains("between 0 and 100 %"));
    /// ```
    pub fn parse(text: &str) -> Result<SizeSpec> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        let out_of_range = |range: &str| Error::Parse {
            what: format!("size {trimmed:?}"),
            detail: format!("must be between {range}"),
        };
        let number = |digits: &str| -> Result<f64> {
            digits
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| Error::NotANumber {
                    name: "size".into(),
                    value: text.to_string(),
                })
        };
        let max = u64::MAX;
        if let Some(digits) = lower.strip_suffix('%') {
            let percent = number(digits)?;
            if percent > 0.0 && percent <= 100.0 {
                return Ok(SizeSpec::Fraction(percent / 100.0));
            }
            return Err(out_of_range("0 and 100 % (0 excluded) of the unique keys"));
        }
        if let Some((digits, scale)) = BYTE_UNITS
            .iter()
            .find_map(|(unit, scale)| lower.strip_suffix(unit).map(|d| (d, *scale)))
        {
            let value = number(digits)?;
            let bytes = value * scale as f64;
            return NonZeroU64::new(bytes as u64)
                .filter(|_| bytes < u64::MAX as f64 && value > 0.0)
                .map(SizeSpec::Bytes)
                .ok_or_else(|| out_of_range(&format!("1 and {max} bytes")));
        }
        let value = number(&lower)?;
        if lower.contains('.') || lower.contains('e') {
            if value > 0.0 && value <= 1.0 {
                return Ok(SizeSpec::Fraction(value));
            }
            return Err(out_of_range(
                "0 and 1 (0 excluded), a fraction of the unique keys",
            ));
        }
        lower
            .parse::<u64>()
            .ok()
            .and_then(NonZeroU64::new)
            .map(SizeSpec::Objects)
            .ok_or_else(|| out_of_range(&format!("1 and {max} objects")))
    }

    /// The unit this size counts in: `"objects"`, or `"bytes"` (absolute bytes, or fractions
    /// of the unique bytes when `fractions_of_bytes`).
    pub fn unit(self, fractions_of_bytes: bool) -> &'static str {
        match self {
            SizeSpec::Objects(_) => "objects",
            SizeSpec::Bytes(_) => "bytes",
            SizeSpec::Fraction(_) if fractions_of_bytes => "bytes",
            SizeSpec::Fraction(_) => "objects",
        }
    }

    /// The capacity this size means for a trace: a fraction becomes
    /// `floor(unique × fraction)` computed in `f64` (libCacheSim's rule), of unique keys or, with
    /// `fractions_of_bytes`, of the working set's bytes.
    pub fn capacity(self, stats: &TraceStats, fractions_of_bytes: bool) -> Result<Capacity> {
        match self {
            SizeSpec::Objects(n) => Ok(Capacity::Objects(n)),
            SizeSpec::Bytes(n) => Ok(Capacity::Bytes(n)),
            SizeSpec::Fraction(f) => {
                let (whole, unit) = if fractions_of_bytes {
                    (stats.unique_bytes, "bytes")
                } else {
                    (stats.unique_keys, "objects")
                };
                let units = (whole as f64 * f) as u64;
                let units = NonZeroU64::new(units).ok_or_else(|| Error::Parse {
                    what: format!("size {f}"),
                    detail: format!("{f} of {whole} unique {unit} is 0 {unit}: use a larger size"),
                })?;
                Ok(if fractions_of_bytes {
                    Capacity::Bytes(units)
                } else {
                    Capacity::Objects(units)
                })
            }
        }
    }
}

/// The sizes `--mrc` sweeps: fractions of the unique keys, denser where curves bend.
pub const MRC_FRACTIONS: [f64; 16] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
];

/// At most this many sizes or policies in one experiment (each costs a cache in memory).
pub const MAX_LIST: usize = 64;

/// Which policies at which sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// Canonical policy names, without repeats.
    pub policies: Vec<&'static str>,
    /// Sizes, in the order given.
    pub sizes: Vec<SizeSpec>,
    /// Fractions are of the unique bytes (byte mode) rather than of the unique keys.
    pub fractions_of_bytes: bool,
}

impl Experiment {
    /// Parses comma-separated lists: `policies` of names (or `all`), `sizes` of [`SizeSpec`]s
    /// (or `mrc`: the [`MRC_FRACTIONS`] of a miss-ratio curve).
    ///
    /// ```
    /// use cachelab::policy::replay::Experiment;
    /// let e = Experiment::parse("lru, SIEVE,lru", "0.01,5000", false).unwrap();
    /// assert_eq!(e.policies, ["lru", "sieve"]);
    /// assert_eq!(e.sizes.len(), 2);
    /// assert!(Experiment::parse("lru", "", false).is_err());
    /// assert_eq!(Experiment::parse("all", "mrc", false).unwrap().sizes.len(), 16);
    /// // One unit per run: objects (counts, fractions, percentages) or bytes.
    /// let mixed = Experiment::parse("lru", "0.5,5000,64MiB", false).unwrap_err().to_string();
    /// assert!(mixed.contains("mixes objects (0.5, 5000) and bytes (64MiB)"), "{mixed}");
    /// assert!(Experiment::parse("lru", "0.5,64MiB", true).is_ok());
    /// ```
    pub fn parse(policies: &str, sizes: &str, fractions_of_bytes: bool) -> Result<Experiment> {
        let sizes_text = sizes;
        let mut names = Vec::new();
        for item in split_list("policy", policies)? {
            if item.eq_ignore_ascii_case("all") {
                names.extend(POLICY_NAMES);
            } else {
                names.push(canonical_name(item)?);
            }
        }
        let mut unique = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        let sizes = if sizes.trim().eq_ignore_ascii_case("mrc") {
            MRC_FRACTIONS
                .iter()
                .map(|&f| SizeSpec::Fraction(f))
                .collect()
        } else {
            split_list("size", sizes)?
                .into_iter()
                .map(SizeSpec::parse)
                .collect::<Result<Vec<_>>>()?
        };
        let first = sizes
            .first()
            .map_or("objects", |s: &SizeSpec| s.unit(fractions_of_bytes));
        if let Some(other) = sizes.iter().find(|s| s.unit(fractions_of_bytes) != first) {
            let of = |unit: &str| {
                split_list("size", sizes_text)
                    .unwrap_or_default()
                    .into_iter()
                    .zip(&sizes)
                    .filter(|(_, s)| s.unit(fractions_of_bytes) == unit)
                    .map(|(t, _)| t)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let unit = other.unit(fractions_of_bytes);
            return Err(Error::Parse {
                what: format!("size list {sizes_text:?}"),
                detail: format!(
                    "it mixes {first} ({}) and {unit} ({}): give every size of a run in one unit \
                     (fractions and percentages count {}; use --bytes / byte mode for fractions \
                     of the unique bytes)",
                    of(first),
                    of(unit),
                    if fractions_of_bytes {
                        "bytes"
                    } else {
                        "objects"
                    }
                ),
            });
        }
        Ok(Experiment {
            policies: unique,
            sizes,
            fractions_of_bytes,
        })
    }

    /// The unit every capacity of the experiment counts in.
    pub fn unit(&self) -> &'static str {
        self.sizes
            .first()
            .map_or("objects", |s| s.unit(self.fractions_of_bytes))
    }

    /// Its caches for a trace of `stats`, policies outermost.
    pub fn jobs(&self, stats: &TraceStats) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for &policy in &self.policies {
            for size in &self.sizes {
                let capacity = size.capacity(stats, self.fractions_of_bytes)?;
                jobs.push(Job { policy, capacity });
            }
        }
        Ok(jobs)
    }
}

/// Splits `a,b,c`, refusing empty lists, empty items and lists longer than [`MAX_LIST`].
fn split_list<'a>(what: &str, list: &'a str) -> Result<Vec<&'a str>> {
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    if items.iter().any(|s| s.is_empty()) {
        return Err(Error::Parse {
            what: format!("{what} list {list:?}"),
            detail: format!("give one or more {what} names or values separated by commas"),
        });
    }
    if items.len() > MAX_LIST {
        return Err(Error::Parse {
            what: format!("{what} list"),
            detail: format!("at most {MAX_LIST} items (got {})", items.len()),
        });
    }
    Ok(items)
}

/// Request and miss counters of one replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests served.
    pub requests: u64,
    /// Requests that missed.
    pub misses: u64,
    /// Sum of all requests' sizes.
    pub request_bytes: u64,
    /// Sum of the missed requests' sizes.
    pub miss_bytes: u64,
}

impl Counts {
    /// Counts one request.
    #[inline]
    pub fn record(&mut self, size: u32, hit: bool) {
        self.requests += 1;
        self.request_bytes += u64::from(size);
        if !hit {
            self.misses += 1;
            self.miss_bytes += u64::from(size);
        }
    }

    /// `misses / requests` (0 when nothing was requested).
    pub fn miss_ratio(&self) -> f64 {
        ratio(self.misses, self.requests)
    }

    /// Missed bytes over requested bytes (0 when nothing was requested).
    pub fn byte_miss_ratio(&self) -> f64 {
        ratio(self.miss_bytes, self.request_bytes)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Replays requests through one policy.
///
/// ```
/// use cachelab::policy::{build, replay::replay, Access, Capacity};
/// use std::num::NonZeroU64;
/// let mut fifo = build("fifo", Capacity::Objects(NonZeroU64::new(2).unwrap())).unwrap();
/// // 1, 2 miss; 1 hits; 3 evicts 1 (the oldest, hit or not); 1 misses again.
/// let counts = replay(fifo.as_mut(), [1, 2, 1, 3, 1].map(|k| Access::new(k, 1)));
/// assert_eq!((counts.requests, counts.misses), (5, 4));
/// ```
pub fn replay<P: Policy + ?Sized>(
    policy: &mut P,
    requests: impl IntoIterator<Item = Access>,
) -> Counts {
    let mut counts = Counts::default();
    let mut evicted = Vec::new();
    for request in requests {
        evicted.clear();
        let hit = policy.access(&request, &mut evicted).is_hit();
        counts.record(request.size, hit);
    }
    counts
}

/// One row of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Policy name.
    pub policy: String,
    /// Capacity, in `unit`s.
    pub capacity: u64,
    /// `"objects"` or `"bytes"`.
    pub unit: &'static str,
    /// Requests replayed.
    pub requests: u64,
    /// Requests that missed.
    pub misses: u64,
    /// `misses / requests`.
    pub miss_ratio: f64,
    /// Missed bytes over requested bytes.
    pub byte_miss_ratio: f64,
    /// The misses by cause, when asked for (see [`super::classes`]).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub classes: Option<super::classes::MissClasses>,
}

impl Row {
    /// The row of `policy` at `capacity` that counted `counts`.
    pub fn new(policy: &str, capacity: Capacity, counts: &Counts) -> Row {
        Row {
            policy: policy.to_string(),
            capacity: capacity.units(),
            unit: capacity.unit_name(),
            requests: counts.requests,
            misses: counts.misses,
            miss_ratio: counts.miss_ratio(),
            byte_miss_ratio: counts.byte_miss_ratio(),
            classes: None,
        }
    }
}

/// The result of an experiment, as the CLI's `--json` and the page's `replayTrace` give it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The trace's name.
    pub trace: String,
    /// Requests in the trace (size-0 requests excluded).
    pub requests: u64,
    /// Distinct keys in the trace.
    pub unique_keys: u64,
    /// One row per policy and size, policies outermost.
    pub rows: Vec<Row>,
}

/// Runs an experiment over a trace that `open` can read from the start as often as needed (a
/// file reopened, or a byte slice).
///
/// ```
/// use cachelab::policy::replay::{run, Experiment};
/// use cachelab::workload::TraceFormat;
/// let csv = "time,key,size\n1,1,10\n2,2,10\n3,1,10\n4,3,10\n5,1,10\n";
/// let experiment = Experiment::parse("lru,fifo", "2", false).unwrap();
/// let report = run("tiny.csv", TraceFormat::Csv, || Ok(csv.as_bytes()), &experiment).unwrap();
/// assert_eq!((report.requests, report.unique_keys), (5, 3));
/// // LRU keeps 1 (it is touched again before 3 arrives); FIFO evicts it.
/// assert_eq!(report.rows[0].misses, 3);
/// assert_eq!(report.rows[1].misses, 4);
/// ```
pub fn run<R: BufRead>(
    trace: &str,
    format: impl Into<ReadOptions>,
    open: impl FnMut() -> Result<R>,
    experiment: &Experiment,
) -> Result<Report> {
    run_with_progress(trace, format, open, experiment, &mut |_, _| {})
}

/// The largest trace a face may hold in memory whole (the browser reads a local file into memory
/// before replaying it); the CLI streams files and has no such limit.
pub const MAX_IN_MEMORY_TRACE_BYTES: u64 = 256 << 20;

/// Refuses a trace of `len` bytes that is larger than [`MAX_IN_MEMORY_TRACE_BYTES`], before any
/// work starts.
///
/// ```
/// use cachelab::policy::replay::{check_in_memory_trace, MAX_IN_MEMORY_TRACE_BYTES};
/// assert!(check_in_memory_trace(1_000).is_ok());
/// let err = check_in_memory_trace(MAX_IN_MEMORY_TRACE_BYTES + 1).unwrap_err();
/// assert!(err.to_string().contains("268435456"));
/// ```
pub fn check_in_memory_trace(len: u64) -> Result<()> {
    if len > MAX_IN_MEMORY_TRACE_BYTES {
        return Err(Error::LimitExceeded {
            what:
                "bytes in a trace read into memory (use the CLI, which streams, for larger files)"
                    .to_string(),
            limit: MAX_IN_MEMORY_TRACE_BYTES,
            got: len,
        });
    }
    Ok(())
}

/// Requests between two progress reports.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// [`run`], calling `progress(done, total)` with the requests replayed so far every
/// [`PROGRESS_EVERY`] requests and once at the end (for the page's progress bar).
///
/// ```
/// use cachelab::policy::replay::{run_with_progress, Experiment};
/// use cachelab::workload::TraceFormat;
/// let text = "1\n2\n1\n";
/// let experiment = Experiment::parse("lru", "1", false).unwrap();
/// let mut seen = Vec::new();
/// run_with_progress("t", TraceFormat::Text, || Ok(text.as_bytes()), &experiment, &mut |done, total| {
///     seen.push((done, total))
/// })
/// .unwrap();
/// assert_eq!(seen, [(3, 3)]);
/// ```
pub fn run_with_progress<R: BufRead>(
    trace: &str,
    format: impl Into<ReadOptions>,
    mut open: impl FnMut() -> Result<R>,
    experiment: &Experiment,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report> {
    let options = format.into();
    let stats = TraceStats::scan(open_trace(open()?, trace, options)?)?;
    let mut caches = CacheSet::new(experiment, stats)?;
    let mut serve = |request: Access| {
        if caches.serve(&request) {
            progress(caches.done, stats.requests);
        }
    };
    let mut reader = open_trace(open()?, trace, options)?;
    if experiment.policies.contains(&"belady") && reader.format() == TraceFormat::Oracle {
        // The file records each request's next access: Belady streams like the others.
        while let Some(request) = reader.next() {
            let request = request?;
            let next_access = reader.recorded_next()?.unwrap_or(Access::NEVER);
            serve(Access {
                next_access,
                ..Access::new(request.key, request.size)
            });
        }
    } else if experiment.policies.contains(&"belady") {
        // Belady needs each request's next access, which this format does not record: the
        // trace is held in memory (24 bytes a request) to compute it.
        let requests = reader.collect::<Result<Vec<Request>>>()?;
        Access::from_trace(&requests).into_iter().for_each(serve);
    } else {
        for request in reader {
            let request = request?;
            serve(Access::new(request.key, request.size));
        }
    }
    progress(stats.requests, stats.requests);
    Ok(caches.report(trace))
}

/// The caches of an experiment replayed side by side in one pass over a trace.
pub(crate) struct CacheSet {
    caches: Vec<(Box<dyn Policy>, Counts)>,
    evicted: Vec<u64>,
    stats: TraceStats,
    belady: bool,
    /// Requests served so far.
    pub(crate) done: u64,
}

impl CacheSet {
    /// One cache a job of `experiment`, sized from `stats`.
    pub(crate) fn new(experiment: &Experiment, stats: TraceStats) -> Result<CacheSet> {
        let caches = experiment
            .jobs(&stats)?
            .into_iter()
            .map(|job| Ok((build(job.policy, job.capacity)?, Counts::default())))
            .collect::<Result<_>>()?;
        Ok(CacheSet {
            caches,
            evicted: Vec::new(),
            stats,
            belady: experiment.policies.contains(&"belady"),
            done: 0,
        })
    }

    /// Whether one of the caches is Belady (whose requests need their next access).
    pub(crate) fn has_belady(&self) -> bool {
        self.belady
    }

    /// Serves `request` in every cache; true every [`PROGRESS_EVERY`] requests.
    pub(crate) fn serve(&mut self, request: &Access) -> bool {
        for (cache, counts) in self.caches.iter_mut() {
            self.evicted.clear();
            let hit = cache.access(request, &mut self.evicted).is_hit();
            counts.record(request.size, hit);
        }
        self.done += 1;
        self.done % PROGRESS_EVERY == 0
    }

    /// The rows so far.
    pub(crate) fn report(&self, trace: &str) -> Report {
        Report {
            trace: trace.to_string(),
            requests: self.stats.requests,
            unique_keys: self.stats.unique_keys,
            rows: self
                .caches
                .iter()
                .map(|(cache, counts)| Row::new(cache.name(), cache.capacity(), counts))
                .collect(),
        }
    }
}
