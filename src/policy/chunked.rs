//! A replay fed by chunks of a file as they arrive (the browser's `File.stream()`), in two passes
//! as the streamed replay of [`super::replay::run`] makes: the first counts the requests and
//! unique keys (the capacities' fractions need them), the second replays every cache. Memory
//! holds the caches and a set of the keys, never the file.
//!
//! Belady needs each request's next access: an oracleGeneral file records it (compressed or
//! not). Any other format does not, and finding them takes the whole trace in memory, so Belady
//! is left out of a streamed replay of such a file, and [`ChunkedReplay::left_out`] says so and
//! what it would have cost.
//!
//! LRU's exact curve needs memory for every key's last access; asked
//! ([`ChunkedReplay::with_lru_line`]), the replaying pass also feeds each request to fixed-size
//! SHARDS ([`SizedShards`]), whose memory is bounded by its sample, for LRU's sampled line.

use super::mrc::{SampledLru, SizedShards};
use super::replay::{CacheSet, Experiment, Report};
use super::{Access, FxMap};
use crate::error::{Error, Result};
use crate::workload::{ChunkedReader, ReadOptions, Request, TraceFormat, TraceStats};

enum Phase {
    Counting { seen: FxMap<()>, stats: TraceStats },
    Replaying(Box<CacheSet>),
}

/// See the [module docs](self).
///
/// ```
/// use cachelab::policy::{chunked::ChunkedReplay, replay::{run, Experiment}};
/// use cachelab::workload::TraceFormat;
/// let csv = "time,key,size\n1,1,10\n2,2,10\n3,1,10\n4,3,10\n5,1,10\n";
/// let experiment = Experiment::parse("lru,fifo", "2,0.5", false).unwrap();
/// let mut replay = ChunkedReplay::new("t.csv", TraceFormat::Csv.into(), experiment.clone());
/// for pass in 0..2 {
///     for chunk in csv.as_bytes().chunks(7) {
///         replay.push(chunk).unwrap();
///     }
///     replay.end_pass().unwrap();
/// }
/// let whole = run("t.csv", TraceFormat::Csv, || Ok(csv.as_bytes()), &experiment).unwrap();
/// assert_eq!(replay.report().unwrap(), whole);
/// ```
pub struct ChunkedReplay {
    name: String,
    options: ReadOptions,
    experiment: Experiment,
    reader: ChunkedReader,
    phase: Phase,
    /// Belady, left out of a trace without next accesses: the format and the file's size.
    left_out: Option<(TraceFormat, u64)>,
    /// Whether LRU's sampled line is asked for, and its sample once the counting pass is over.
    lru_line: bool,
    shards: Option<Box<SizedShards>>,
}

impl ChunkedReplay {
    /// How many times the file is read: once to count, once to replay.
    pub const PASSES: u32 = 2;

    /// A replay of `experiment` over the trace `name` read as `options` say.
    pub fn new(name: &str, options: ReadOptions, experiment: Experiment) -> Self {
        ChunkedReplay {
            name: name.to_string(),
            options,
            experiment,
            reader: ChunkedReader::new(options),
            phase: Phase::Counting {
                seen: FxMap::default(),
                stats: TraceStats::default(),
            },
            left_out: None,
            lru_line: false,
            shards: None,
        }
    }

    /// Also samples LRU's curve while the file is replayed ([`ChunkedReplay::lru_line`]), in a
    /// run whose capacities count objects (stack distances count objects).
    pub fn with_lru_line(mut self) -> Self {
        self.lru_line = true;
        self
    }

    /// LRU's sampled line, if asked for in a run in objects, once both passes are over (before
    /// that, the curve of the requests replayed so far).
    pub fn lru_line(&self) -> Option<SampledLru> {
        self.shards.as_ref().map(|shards| shards.lru_line())
    }

    /// Why a policy asked for is not in the rows, if one is not: Belady over a trace that does
    /// not record next accesses.
    pub fn left_out(&self) -> Option<String> {
        let (format, bytes) = self.left_out?;
        let format = match format {
            TraceFormat::Csv => "a CSV trace",
            TraceFormat::Text => "a text trace",
            TraceFormat::Oracle => "this trace", // never: oracleGeneral records them
        };
        Some(format!(
            "Belady is left out of this streamed replay: it needs each request's next access, \
             which {format} does not record. Finding them takes a whole read, the trace held in \
             memory and walked backwards ({:.1} MiB of file here).",
            bytes as f64 / (1u64 << 20) as f64
        ))
    }

    /// Bytes of the file read in this pass (for a progress bar by bytes).
    pub fn bytes(&self) -> u64 {
        self.reader.bytes()
    }

    /// Whether the counting pass is over.
    pub fn replaying(&self) -> bool {
        matches!(self.phase, Phase::Replaying(_))
    }

    /// Reads the next chunk of the file in the current pass.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.feed(Some(chunk))
    }

    /// Ends a pass: after the first, the caches are built from the counts and the file must be
    /// read again from its start; after the second, [`ChunkedReplay::report`] has the rows.
    pub fn end_pass(&mut self) -> Result<()> {
        self.feed(None)?;
        if let Phase::Counting { stats, .. } = &self.phase {
            if stats.requests == 0 {
                return Err(Error::Parse {
                    what: "trace".into(),
                    detail: "it holds no requests".into(),
                });
            }
            let format = self.reader.format();
            if format != Some(TraceFormat::Oracle) && self.experiment.policies.contains(&"belady") {
                self.experiment.policies.retain(|&p| p != "belady");
                if self.experiment.policies.is_empty() {
                    return Err(Error::Parse {
                        what: "policies".into(),
                        detail: "belady alone cannot be streamed from a trace without next \
                                 accesses (only oracleGeneral records them): add another \
                                 policy, or read the trace whole"
                            .into(),
                    });
                }
                self.left_out = Some((format.unwrap_or(TraceFormat::Csv), self.reader.bytes()));
            }
            let caches = CacheSet::new(&self.experiment, *stats)?;
            if self.lru_line && self.experiment.unit() == "objects" {
                self.shards = Some(Box::new(SizedShards::for_lru_line(&self.name, *stats)));
            }
            self.phase = Phase::Replaying(Box::new(caches));
            self.reader = ChunkedReader::new(self.options);
        }
        Ok(())
    }

    /// Hands a chunk (or, with `None`, the end of the file) to the current pass.
    fn feed(&mut self, chunk: Option<&[u8]>) -> Result<()> {
        let ChunkedReplay {
            reader,
            phase,
            shards,
            ..
        } = self;
        let mut each = |r: Request, next: Option<u64>| match phase {
            Phase::Counting { seen, stats } => {
                count(seen, stats, r.key, r.size);
                Ok(())
            }
            Phase::Replaying(caches) => {
                if let Some(shards) = shards {
                    shards.access(r.key);
                }
                serve(caches, r.key, r.size, next)
            }
        };
        match chunk {
            Some(chunk) => reader.push(chunk, &mut each),
            None => reader.finish(&mut each),
        }
    }

    /// The rows, once both passes are over (a second pass that read fewer requests than the
    /// first is refused: the file changed, or was not read again from its start).
    pub fn report(&self) -> Result<Report> {
        let Phase::Replaying(caches) = &self.phase else {
            return Err(Error::Parse {
                what: format!("trace {}", self.name),
                detail: "it has been counted but not replayed yet".into(),
            });
        };
        let report = caches.report(&self.name);
        if caches.done != report.requests {
            return Err(Error::Parse {
                what: format!("trace {}", self.name),
                detail: format!(
                    "the replay read {} requests, the count {}: was the file read twice from \
                     its start?",
                    caches.done, report.requests
                ),
            });
        }
        Ok(report)
    }
}

fn count(seen: &mut FxMap<()>, stats: &mut TraceStats, key: u64, size: u32) {
    stats.requests += 1;
    stats.total_bytes += u64::from(size);
    if seen.insert(key, ()).is_none() {
        stats.unique_keys += 1;
        stats.unique_bytes += u64::from(size);
    }
}

fn serve(caches: &mut CacheSet, key: u64, size: u32, next: Option<u64>) -> Result<()> {
    let mut access = Access::new(key, size);
    if caches.has_belady() {
        access.next_access = next.ok_or_else(|| Error::Parse {
            what: "policy belady".into(),
            detail: "it needs each request's next access, which only an oracleGeneral trace \
                     records: read this trace whole, or leave Belady out"
                .into(),
        })?;
    }
    caches.serve(&access);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::replay::run;
    use crate::workload::{write_oracle, Pattern, Synthetic, TraceFormat};

    fn chunked(
        bytes: &[u8],
        format: TraceFormat,
        experiment: &Experiment,
        chunk: usize,
    ) -> Result<Report> {
        let mut replay = ChunkedReplay::new("t", format.into(), experiment.clone());
        for _ in 0..2 {
            for piece in bytes.chunks(chunk) {
                replay.push(piece)?;
            }
            replay.end_pass()?;
        }
        replay.report()
    }

    #[test]
    fn chunks_of_any_size_give_the_rows_of_the_whole_file() {
        let requests: Vec<Request> = Synthetic::new(
            Pattern::Zipf {
                keys: 500,
                skew: 0.9,
            },
            5_000,
            7,
        )
        .unwrap()
        .collect();
        let mut csv = b"time,key,size\n".to_vec();
        for r in &requests {
            csv.extend_from_slice(format!("{},{},{}\n", r.time, r.key, r.size).as_bytes());
        }
        let mut oracle = Vec::new();
        write_oracle(&mut oracle, &requests).unwrap();
        let with_belady = Experiment::parse("lru,s3fifo,belady", "0.01,0.1", false).unwrap();
        let without = Experiment::parse("lru,s3fifo", "0.01,0.1", false).unwrap();
        let whole = run("t", TraceFormat::Csv, || Ok(csv.as_slice()), &with_belady).unwrap();
        for chunk in [1, 7, 24, 1000, 1 << 20] {
            let csv_rows = chunked(&csv, TraceFormat::Csv, &without, chunk).unwrap();
            assert_eq!(csv_rows.rows, whole.rows[..4], "csv in chunks of {chunk}");
            let oracle_rows = chunked(&oracle, TraceFormat::Oracle, &with_belady, chunk).unwrap();
            assert_eq!(oracle_rows.rows, whole.rows, "oracle in chunks of {chunk}");
        }
        // Belady over CSV in chunks is left out, and said so; alone, it is refused by name.
        let mut replay = ChunkedReplay::new("t", TraceFormat::Csv.into(), with_belady.clone());
        for _ in 0..2 {
            for piece in csv.chunks(100) {
                replay.push(piece).unwrap();
            }
            replay.end_pass().unwrap();
        }
        assert_eq!(replay.report().unwrap().rows, whole.rows[..4]);
        let note = replay.left_out().unwrap();
        assert!(note.starts_with("Belady is left out"), "{note}");
        assert!(note.contains("a CSV trace"), "{note}");
        let only = Experiment::parse("belady", "0.1", false).unwrap();
        let err = chunked(&csv, TraceFormat::Csv, &only, 100).unwrap_err();
        assert!(
            err.to_string().starts_with("policies: belady alone"),
            "{err}"
        );
        // The oracleGeneral file, zstd-compressed, streams with Belady like the plain one.
        let zst = ruzstd::encoding::compress_to_vec(
            oracle.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let rows = chunked(&zst, TraceFormat::Oracle, &with_belady, 4093).unwrap();
        assert_eq!(rows.rows, whole.rows);
        // A cut record is named.
        let err = chunked(
            &oracle[..oracle.len() - 5],
            TraceFormat::Oracle,
            &without,
            100,
        )
        .unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    /// The streamed run's sampled LRU line is `cachelab mrc --method shards --sample-keys`'s
    /// curve of the same file: the same sample (the same keys, the same final rate), the same
    /// numbers, and the line the whole-file run draws beside the exact curve.
    #[test]
    fn the_lru_line_streamed_is_fixed_size_shards_of_the_file() {
        use crate::policy::mrc::{self, Adjustment, Method, SAMPLED_LRU_KEYS};
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/traces/cloudphysics.csv");
        let csv = std::fs::read(path).unwrap();
        let experiment = Experiment::parse("lru,sieve", "0.01,0.1", false).unwrap();
        let mut replay =
            ChunkedReplay::new("t", TraceFormat::Csv.into(), experiment.clone()).with_lru_line();
        for _ in 0..ChunkedReplay::PASSES {
            for piece in csv.chunks(4093) {
                replay.push(piece).unwrap();
            }
            replay.end_pass().unwrap();
        }
        replay.report().unwrap();
        let line = replay.lru_line().unwrap();
        let trace = crate::policy::sweep::decode_file("t", TraceFormat::Csv.into(), csv.as_slice())
            .unwrap();
        let method = Method::ShardsSize {
            keys: SAMPLED_LRU_KEYS,
            seed: 0,
            adjustment: Adjustment::Adj,
        };
        let whole = mrc::curve("t", &trace, "lru", method, &[], false, 1).unwrap();
        assert_eq!(line.report, whole);
        assert_eq!(line.report.sampled_keys, SAMPLED_LRU_KEYS.get());
        assert!(line.report.rate < 0.25 && line.report.curve.len() > 150);
        assert_eq!(line.label, "LRU, sampled (SHARDS, 10000 keys)");
        assert!(
            line.note.starts_with("LRU's line is sampled"),
            "{}",
            line.note
        );
        // The whole-file run's sampled line is the same, with its error against the exact curve.
        let curves = mrc::lru_curves("t", &trace).unwrap();
        assert_eq!(curves.sampled.report, whole);
        let error = mrc::mean_absolute_error(&whole.curve, &curves.exact.curve);
        assert_eq!(curves.sampled.mean_absolute_error, Some(error));
        assert!(error > 0.0 && error < 0.01, "{error}");
        // A run in bytes has no LRU line (stack distances count objects).
        let bytes = Experiment::parse("lru", "0.1", true).unwrap();
        let mut replay = ChunkedReplay::new("t", TraceFormat::Csv.into(), bytes).with_lru_line();
        for _ in 0..ChunkedReplay::PASSES {
            replay.push(&csv).unwrap();
            replay.end_pass().unwrap();
        }
        assert!(replay.report().is_ok() && replay.lru_line().is_none());
    }
}
