//! The "trace" group: what it costs to read a trace (CSV, oracleGeneral, zstd-compressed
//! oracleGeneral) into its decoded form, a sweep of eight caches on one thread and on every
//! thread (their ratio is `--threads`' wall-clock speed-up), and the
//! one-pass curves (exact LRU, SHARDS at 1 %), each against one LRU replay of the decoded trace
//! at 10 % of its keys — the work a user compares them with.
//!
//! Every case works on the policy cases' trace (the synthetic Zipf stand-in or the file a face
//! chose), encoded once per format outside the timed work.

use super::{policy_trace, BenchCase};
use crate::policy::mrc::{self, StackDistances};
use crate::policy::sweep::{default_threads, sweep, Job};
use crate::policy::Capacity;
use crate::workload::{write_oracle, DecodedTrace, Request, TraceFormat};
use std::num::NonZeroU64;
use std::sync::OnceLock;

/// The policy trace in the three encodings, and decoded.
struct Encoded {
    csv: Vec<u8>,
    oracle: Vec<u8>,
    zstd: Vec<u8>,
    decoded: DecodedTrace,
}

fn encoded() -> &'static Encoded {
    static ENCODED: OnceLock<Encoded> = OnceLock::new();
    ENCODED.get_or_init(|| {
        let requests: Vec<Request> = policy_trace()
            .requests
            .iter()
            .enumerate()
            .map(|(i, a)| Request {
                time: i as u64,
                key: a.key,
                size: a.size,
            })
            .collect();
        let mut csv = b"time,key,size\n".to_vec();
        for r in &requests {
            csv.extend_from_slice(format!("{},{},{}\n", r.time, r.key, r.size).as_bytes());
        }
        let mut oracle = Vec::with_capacity(requests.len() * 24);
        // Writing to memory cannot fail, and every time fits in 32 bits (a million requests).
        write_oracle(&mut oracle, &requests).ok();
        let zstd = ruzstd::encoding::compress_to_vec(
            oracle.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let decoded = decode(&oracle, TraceFormat::Oracle, requests.len() as u64);
        let decoded = decoded.unwrap_or_else(unreachable_trace);
        Encoded {
            csv,
            oracle,
            zstd,
            decoded,
        }
    })
}

/// Decodes the first `ops` requests of `bytes` (wrapping around for more).
fn decode(bytes: &[u8], format: TraceFormat, ops: u64) -> Option<DecodedTrace> {
    let once: Vec<_> = crate::workload::open(bytes, "bench", format.into())
        .ok()?
        .collect::<crate::Result<_>>()
        .ok()?;
    let requests = once.iter().cloned().map(Ok).cycle().take(ops as usize);
    DecodedTrace::decode(requests, u64::MAX).ok().flatten()
}

/// A one-request trace, standing in should the policy trace fail to encode (it cannot: its
/// times fit in 32 bits), so that such a bug shows as an absurd figure rather than a panic.
fn unreachable_trace() -> DecodedTrace {
    let one = std::iter::once(Ok(Request {
        time: 0,
        key: 0,
        size: 1,
    }));
    match DecodedTrace::decode(one, 1) {
        Ok(Some(trace)) => trace,
        _ => unreachable!("one request always decodes"),
    }
}

/// Reads `ops` requests of an encoding into a decoded trace; returns its unique keys.
fn parse(bytes: &[u8], format: TraceFormat, ops: u64) -> u64 {
    let mut left = ops;
    let mut checksum = 0;
    while left > 0 {
        let reader = match crate::workload::open(bytes, "bench", format.into()) {
            Ok(reader) => reader,
            Err(_) => return 0,
        };
        let before = left;
        let requests = reader.take(left as usize);
        if let Ok(Some(trace)) = DecodedTrace::decode(requests, u64::MAX) {
            left -= trace.len() as u64;
            checksum += trace.unique() as u64;
        }
        if left == before {
            return checksum;
        }
    }
    checksum
}

fn parse_csv(ops: u64) -> u64 {
    parse(&encoded().csv, TraceFormat::Csv, ops)
}

fn parse_oracle(ops: u64) -> u64 {
    parse(&encoded().oracle, TraceFormat::Oracle, ops)
}

fn decode_zstd(ops: u64) -> u64 {
    parse(&encoded().zstd, TraceFormat::Oracle, ops)
}

/// The decoded trace's first `ops` requests (wrapping), decoded anew only when `ops` differs
/// from the whole trace.
fn trace_of(ops: u64) -> std::borrow::Cow<'static, DecodedTrace> {
    let whole = &encoded().decoded;
    if ops == whole.len() as u64 {
        std::borrow::Cow::Borrowed(whole)
    } else {
        std::borrow::Cow::Owned(
            decode(&encoded().oracle, TraceFormat::Oracle, ops).unwrap_or_else(unreachable_trace),
        )
    }
}

fn ten_percent(trace: &DecodedTrace) -> Capacity {
    Capacity::Objects(NonZeroU64::new(trace.unique() as u64 / 10).unwrap_or(NonZeroU64::MIN))
}

/// Baseline: one LRU replay at 10 % of the keys; returns the misses.
fn lru_replay(ops: u64) -> u64 {
    let trace = trace_of(ops);
    let jobs = [Job {
        policy: "lru",
        capacity: ten_percent(&trace),
    }];
    sweep(&trace, &jobs, 1).map_or(0, |c| c[0].misses)
}

/// Eight caches (LRU, SIEVE, S3-FIFO, ARC at 1 % and 10 %) on every thread; `ops` counts
/// request-cache pairs, so that the ratio to the baseline is the speed-up per cache.
fn parallel_sweep(ops: u64) -> u64 {
    sweep_on(ops, default_threads())
}

/// The same eight caches on one thread: `--threads`' wall-clock speed-up is the all-threads
/// case's ratio over this one's, both measured in the same run.
fn serial_sweep(ops: u64) -> u64 {
    sweep_on(ops, 1)
}

fn sweep_on(ops: u64, threads: usize) -> u64 {
    let trace = trace_of((ops / 8).max(1));
    let small =
        Capacity::Objects(NonZeroU64::new(trace.unique() as u64 / 100).unwrap_or(NonZeroU64::MIN));
    let jobs: Vec<Job> = ["lru", "sieve", "s3fifo", "arc"]
        .into_iter()
        .flat_map(|policy| [small, ten_percent(&trace)].map(|capacity| Job { policy, capacity }))
        .collect();
    sweep(&trace, &jobs, threads).map_or(0, |c| c.iter().map(|c| c.misses).sum())
}

/// LRU's misses at every capacity from stack distances; returns the misses at 10 %.
fn mrc_exact(ops: u64) -> u64 {
    let trace = trace_of(ops);
    StackDistances::of(&trace).misses_at(ten_percent(&trace).units())
}

/// SHARDS at a fixed 1 %; returns the sampled requests.
fn mrc_shards(ops: u64) -> u64 {
    let trace = trace_of(ops);
    let sizes = mrc::sizes_or_default(None);
    mrc::curve(
        "bench",
        &trace,
        "lru",
        mrc::Method::ShardsRate(
            mrc::Sampler {
                rate: 0.01,
                seed: 0,
            },
            mrc::Adjustment::Strata,
        ),
        &sizes,
        false,
        1,
    )
    .map_or(0, |r| r.sampled_requests)
}

/// The "trace" group, baseline first.
pub(super) fn cases() -> Vec<BenchCase> {
    let case = |name, run| BenchCase {
        name,
        group: "trace",
        unit: "requests",
        default_ops: 1_000_000,
        run,
    };
    vec![
        case("trace/lru-replay", lru_replay),
        case("trace/parse-csv", parse_csv),
        case("trace/parse-oracle", parse_oracle),
        case("trace/decode-zstd", decode_zstd),
        case("trace/sweep-8-caches-1-thread", serial_sweep),
        case("trace/sweep-8-caches-all-threads", parallel_sweep),
        case("trace/mrc-exact", mrc_exact),
        case("trace/mrc-shards-1pc", mrc_shards),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_decodes_to_the_same_trace() {
        let e = encoded();
        let n = e.decoded.len() as u64;
        assert_eq!(
            decode(&e.csv, TraceFormat::Csv, n).as_ref(),
            Some(&e.decoded)
        );
        assert_eq!(
            decode(&e.zstd, TraceFormat::Oracle, n).as_ref(),
            Some(&e.decoded)
        );
        // The exact curve counts what the baseline replay counts.
        assert_eq!(mrc_exact(n), lru_replay(n));
    }
}
