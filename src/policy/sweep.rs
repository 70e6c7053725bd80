//! A sweep — every policy at every capacity — over a trace decoded once into memory
//! ([`DecodedTrace`]), on several threads.
//!
//! Each thread takes whole caches from a shared queue and replays the whole trace through each,
//! reading the one shared decoded trace: no cache is ever touched by two threads, so no lock is
//! taken per request and the counts are exactly those of a single-threaded replay. On wasm32
//! (no threads in a plain Web Worker) the same code runs every cache on the calling thread; the
//! page splits a sweep across workers instead.

use super::replay::{Counts, Experiment, Report, Row};
use super::{build, Capacity};
use crate::error::{Error, Result};
use crate::workload::{DecodedTrace, ReadOptions};
use std::io::BufRead;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One cache of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Canonical policy name.
    pub policy: &'static str,
    /// Its capacity.
    pub capacity: Capacity,
}

/// The threads a sweep uses when the user names no number: every core the OS offers (1 on
/// wasm32).
pub fn default_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// The most threads `--threads` accepts.
pub const MAX_THREADS: usize = 256;

/// Checks a thread count given by a user.
///
/// ```
/// use cachelab::policy::sweep::check_threads;
/// assert!(check_threads(4).is_ok());
/// assert!(check_threads(0).unwrap_err().to_string().contains("threads"));
/// ```
pub fn check_threads(threads: usize) -> Result<usize> {
    if (1..=MAX_THREADS).contains(&threads) {
        Ok(threads)
    } else {
        Err(Error::OutOfRange {
            name: "threads".into(),
            value: threads as f64,
            min: 1.0,
            max: MAX_THREADS as f64,
            unit: "threads",
        })
    }
}

/// Replays `trace` through one cache per job on up to `threads` threads; the counts come back
/// in job order.
///
/// ```
/// use cachelab::policy::sweep::{sweep, Job};
/// use cachelab::policy::Capacity;
/// use cachelab::workload::{DecodedTrace, TraceFormat, TraceReader};
/// use std::num::NonZeroU64;
/// let text = "1\n2\n1\n3\n1\n";
/// let trace = DecodedTrace::decode(TraceReader::new(text.as_bytes(), TraceFormat::Text), 100).unwrap().unwrap();
/// let two = Capacity::Objects(NonZeroU64::new(2).unwrap());
/// let jobs = [Job { policy: "lru", capacity: two }, Job { policy: "fifo", capacity: two }];
/// let counts = sweep(&trace, &jobs, 2).unwrap();
/// assert_eq!((counts[0].misses, counts[1].misses), (3, 4));
/// ```
pub fn sweep(trace: &DecodedTrace, jobs: &[Job], threads: usize) -> Result<Vec<Counts>> {
    sweep_tallied(trace, jobs, threads, |counts: &mut Counts, _, size, hit| {
        counts.record(size, hit)
    })
}

/// [`sweep`], each cache's misses weighted: the `i`-th request's miss counts `weights[i]`
/// (MiniSim's stratified estimate, where a sampled key stands for several of the trace's).
pub fn sweep_weighted(
    trace: &DecodedTrace,
    jobs: &[Job],
    threads: usize,
    weights: &[f64],
) -> Result<Vec<f64>> {
    if weights.len() != trace.len() {
        return Err(Error::Parse {
            what: "weighted sweep".into(),
            detail: format!(
                "{} weights for {} requests: one a request",
                weights.len(),
                trace.len()
            ),
        });
    }
    sweep_tallied(trace, jobs, threads, |misses: &mut f64, i, _, hit| {
        if !hit {
            *misses += weights[i];
        }
    })
}

/// The sweep itself: each job's cache replays the whole trace, and `tally(total, i, size, hit)`
/// folds in the `i`-th request's outcome.
fn sweep_tallied<T: Default + Send>(
    trace: &DecodedTrace,
    jobs: &[Job],
    threads: usize,
    tally: impl Fn(&mut T, usize, u32, bool) + Sync,
) -> Result<Vec<T>> {
    let next = jobs
        .iter()
        .any(|j| j.policy == "belady")
        .then(|| trace.future());
    let run_one = |job: &Job| -> Result<T> {
        let mut cache = build(job.policy, job.capacity)?;
        let mut total = T::default();
        let mut evicted = Vec::new();
        for i in 0..trace.len() {
            let access = match &next {
                Some(next) => trace.access_with_next(i, next),
                None => trace.access(i),
            };
            evicted.clear();
            let hit = cache.access(&access, &mut evicted).is_hit();
            tally(&mut total, i, access.size, hit);
        }
        Ok(total)
    };
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 || cfg!(target_arch = "wasm32") {
        return jobs.iter().map(run_one).collect();
    }
    let queue = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<T>>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let j = queue.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(j) else {
                            return done;
                        };
                        done.push((j, run_one(job)));
                    }
                })
            })
            .collect();
        for worker in workers {
            // A worker only panics on a bug in a policy; its jobs then stay `None` and are
            // reported below rather than taking the whole process down.
            if let Ok(done) = worker.join() {
                for (j, counts) in done {
                    results[j] = Some(counts);
                }
            }
        }
    });
    results
        .into_iter()
        .zip(jobs)
        .map(|(counts, job)| {
            counts.unwrap_or_else(|| {
                Err(Error::Parse {
                    what: format!("replay of {} at {:?}", job.policy, job.capacity),
                    detail: "its thread stopped before it finished".into(),
                })
            })
        })
        .collect()
}

/// An experiment over a decoded trace, on up to `threads` threads: the same report as
/// [`super::replay::run`] gives by streaming the file.
///
/// ```
/// use cachelab::policy::{replay::{run, Experiment}, sweep::run_decoded};
/// use cachelab::workload::{DecodedTrace, TraceFormat, TraceReader};
/// let csv = "time,key,size\n1,1,10\n2,2,10\n3,1,10\n4,3,10\n5,1,10\n";
/// let experiment = Experiment::parse("lru,fifo,belady", "2,0.5", false).unwrap();
/// let trace = DecodedTrace::decode(TraceReader::new(csv.as_bytes(), TraceFormat::Csv), 100).unwrap().unwrap();
/// let decoded = run_decoded("tiny.csv", &trace, &experiment, 2).unwrap();
/// let streamed = run("tiny.csv", TraceFormat::Csv, || Ok(csv.as_bytes()), &experiment).unwrap();
/// assert_eq!(decoded, streamed);
/// ```
pub fn run_decoded(
    name: &str,
    trace: &DecodedTrace,
    experiment: &Experiment,
    threads: usize,
) -> Result<Report> {
    let stats = trace.stats();
    let jobs = experiment.jobs(&stats)?;
    let counts = sweep(trace, &jobs, threads)?;
    Ok(Report {
        trace: name.to_string(),
        requests: stats.requests,
        unique_keys: stats.unique_keys,
        rows: jobs
            .iter()
            .zip(&counts)
            .map(|(job, counts)| Row::new(job.policy, job.capacity, counts))
            .collect(),
    })
}

/// Requests a trace may have to be decoded into memory by [`run_file`] (about 4 bytes each, plus
/// 12 a key); a longer one is streamed.
pub const IN_MEMORY_REQUESTS: u64 = 1 << 28;

/// Reads a trace once into memory if it has at most `max_in_memory` requests and replays it
/// there on `threads` threads ([`run_decoded`]); streams it twice otherwise ([`super::replay::run`],
/// one thread). `open` must give the trace from its start each time it is called.
pub fn run_file<R: BufRead>(
    name: &str,
    options: ReadOptions,
    mut open: impl FnMut() -> Result<R>,
    experiment: &Experiment,
    threads: usize,
    max_in_memory: u64,
) -> Result<Report> {
    if max_in_memory > 0 {
        let reader = crate::workload::open(open()?, name, options)?;
        if let Some(trace) = DecodedTrace::decode_reader(reader, max_in_memory)? {
            return run_decoded(name, &trace, experiment, threads);
        }
    }
    super::replay::run(name, options, open, experiment)
}

/// Reads a whole trace into memory, for the passes that need it all (curves, analysis);
/// refuses one with more than [`crate::workload::MAX_DECODED_REQUESTS`] requests.
pub fn decode_file<R: BufRead>(name: &str, options: ReadOptions, input: R) -> Result<DecodedTrace> {
    let reader = crate::workload::open(input, name, options)?;
    DecodedTrace::decode_reader(reader, crate::workload::MAX_DECODED_REQUESTS)?.ok_or_else(|| {
        Error::LimitExceeded {
            what: format!("requests in trace {name} held in memory"),
            limit: crate::workload::MAX_DECODED_REQUESTS,
            got: crate::workload::MAX_DECODED_REQUESTS + 1,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Pattern, Request, Synthetic};

    #[test]
    fn threads_change_nothing_but_the_time() {
        let requests: Vec<Request> = Synthetic::new(
            Pattern::Zipf {
                keys: 2_000,
                skew: 0.9,
            },
            20_000,
            3,
        )
        .unwrap()
        .collect();
        let trace = DecodedTrace::decode(requests.into_iter().map(Ok), u64::MAX)
            .unwrap()
            .unwrap();
        let experiment = Experiment::parse("all", "0.01,0.1,50", false).unwrap();
        let one = run_decoded("z", &trace, &experiment, 1).unwrap();
        let three = run_decoded("z", &trace, &experiment, 3).unwrap();
        assert_eq!(one, three);
        assert_eq!(one.rows.len(), 27);
    }
}
