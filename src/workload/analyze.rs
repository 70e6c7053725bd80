//! What a trace is made of, before any cache is tried on it: how many keys and bytes, how many
//! keys are asked for once only, how skewed popularity is (rank against frequency, with a fitted
//! Zipf exponent), how far apart reuses are (LRU stack distances), how the working set grows
//! over time, and how large objects are. `cachelab analyze` prints it; the eviction lesson draws
//! it.

use super::DecodedTrace;
use crate::policy::mrc::StackDistances;
use serde::Serialize;

/// A count over a range of values `[from, to]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bucket {
    /// Smallest value in the bucket.
    pub from: u64,
    /// Largest value in the bucket.
    pub to: u64,
    /// How many fall in it.
    pub count: u64,
}

/// One point of the popularity curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankPoint {
    /// 1 for the most requested key.
    pub rank: u64,
    /// Requests for the key of that rank.
    pub requests: u64,
}

/// Unique keys seen in one window of the trace and up to its end (time counted in requests, the
/// "virtual time" of cache studies).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowPoint {
    /// Requests up to the window's end.
    pub requests: u64,
    /// Distinct keys within the window.
    pub window_keys: u64,
    /// Distinct keys from the start up to the window's end.
    pub keys_so_far: u64,
}

/// Object sizes (each key counted once, at its first size).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sizes {
    /// Smallest.
    pub min: u32,
    /// Largest.
    pub max: u32,
    /// Mean over keys.
    pub mean: f64,
    /// Keys per power-of-two size range.
    pub histogram: Vec<Bucket>,
}

/// The analysis of one trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The trace's name.
    pub trace: String,
    /// Requests (size-0 requests excluded).
    pub requests: u64,
    /// Distinct keys.
    pub unique_keys: u64,
    /// Sum of each key's first size.
    pub unique_bytes: u64,
    /// Sum of all requests' sizes.
    pub total_bytes: u64,
    /// The trace's first and last time stamps, in its own unit.
    pub time_span: [u64; 2],
    /// Keys requested exactly once.
    pub one_hit_wonders: u64,
    /// `one_hit_wonders / unique_keys`.
    pub one_hit_wonder_share: f64,
    /// Requests of the most popular key.
    pub top_key_requests: u64,
    /// Frequency against rank at ranks spread on a log scale (always rank 1 and the last).
    pub popularity: Vec<RankPoint>,
    /// The Zipf exponent α of `frequency ∝ rank^-α`, fitted by least squares on
    /// log(frequency) against log(rank) over every rank, as libCacheSim's trace analyzer fits it.
    pub zipf_exponent: f64,
    /// The fit's coefficient of determination.
    pub zipf_r2: f64,
    /// Requests whose key was never requested before (no reuse distance).
    pub first_requests: u64,
    /// Reuse (LRU stack) distances of the other requests, in power-of-two buckets.
    pub reuse_distances: Vec<Bucket>,
    /// The working set over [`WINDOWS`] equal windows of requests.
    pub working_set: Vec<WindowPoint>,
    /// Object sizes.
    pub sizes: Sizes,
}

/// Windows of the working-set series.
pub const WINDOWS: usize = 50;

/// Points of the popularity curve at most.
const RANK_POINTS: usize = 100;

/// Analyses a decoded trace.
///
/// ```
/// use cachelab::workload::{analyze::analyze, DecodedTrace, TraceFormat, TraceReader};
/// let trace = DecodedTrace::decode(TraceReader::new("a\nb\na\nc\na\n".as_bytes(), TraceFormat::Text), 100).unwrap().unwrap();
/// let a = analyze("t", &trace);
/// assert_eq!((a.requests, a.unique_keys, a.one_hit_wonders, a.top_key_requests), (5, 3, 2, 3));
/// assert_eq!(a.first_requests, 3);
/// assert_eq!(a.reuse_distances.iter().map(|b| b.count).sum::<u64>(), 2);
/// ```
pub fn analyze(name: &str, trace: &DecodedTrace) -> Analysis {
    let stats = trace.stats();
    let unique = trace.unique();
    let mut frequency = vec![0u64; unique];
    for &id in trace.ids() {
        frequency[id as usize] += 1;
    }
    let one_hit_wonders = frequency.iter().filter(|&&f| f == 1).count() as u64;
    frequency.sort_unstable_by(|a, b| b.cmp(a));
    let (zipf_exponent, zipf_r2) = fit_zipf(&frequency);
    let mut ranks: Vec<u64> = (0..RANK_POINTS)
        .map(|i| {
            let r = libm::pow(unique as f64, i as f64 / (RANK_POINTS - 1) as f64);
            (libm::round(r) as u64).clamp(1, unique as u64)
        })
        .collect();
    ranks.dedup();
    let popularity = ranks
        .into_iter()
        .map(|rank| RankPoint {
            rank,
            requests: frequency[rank as usize - 1],
        })
        .collect();

    let distances = StackDistances::of(trace);
    let mut reuse = Vec::new();
    let mut from = 1u64;
    while from < distances.hist.len() as u64 {
        let to = (from * 2 - 1).min(distances.hist.len() as u64 - 1);
        let count = distances.hist[from as usize..=to as usize].iter().sum();
        reuse.push(Bucket { from, to, count });
        from *= 2;
    }

    let mut seen_in = vec![u32::MAX; unique];
    let mut seen_ever = vec![false; unique];
    let mut so_far = 0u64;
    let mut working_set = Vec::new();
    let n = trace.len();
    let windows = WINDOWS.min(n);
    for w in 0..windows {
        let (start, end) = (n * w / windows, n * (w + 1) / windows);
        let mut window_keys = 0;
        for &id in &trace.ids()[start..end] {
            if seen_in[id as usize] != w as u32 {
                seen_in[id as usize] = w as u32;
                window_keys += 1;
            }
            if !seen_ever[id as usize] {
                seen_ever[id as usize] = true;
                so_far += 1;
            }
        }
        working_set.push(WindowPoint {
            requests: end as u64,
            window_keys,
            keys_so_far: so_far,
        });
    }

    let key_sizes: Vec<u32> = (0..unique as u32).map(|id| trace.key_size(id)).collect();
    let mut histogram: Vec<Bucket> = Vec::new();
    for &size in &key_sizes {
        let from = 1u64 << (63 - u64::from(size).leading_zeros());
        match histogram.iter_mut().find(|b| b.from == from) {
            Some(bucket) => bucket.count += 1,
            None => histogram.push(Bucket {
                from,
                to: from * 2 - 1,
                count: 1,
            }),
        }
    }
    histogram.sort_by_key(|b| b.from);
    let sizes = Sizes {
        min: key_sizes.iter().copied().min().unwrap_or(0),
        max: key_sizes.iter().copied().max().unwrap_or(0),
        mean: stats.unique_bytes as f64 / unique.max(1) as f64,
        histogram,
    };

    Analysis {
        trace: name.to_string(),
        requests: stats.requests,
        unique_keys: stats.unique_keys,
        unique_bytes: stats.unique_bytes,
        total_bytes: stats.total_bytes,
        time_span: trace.time_span(),
        one_hit_wonders,
        one_hit_wonder_share: one_hit_wonders as f64 / unique.max(1) as f64,
        top_key_requests: frequency.first().copied().unwrap_or(0),
        popularity,
        zipf_exponent,
        zipf_r2,
        first_requests: distances.cold,
        reuse_distances: reuse,
        working_set,
        sizes,
    }
}

/// Least squares of `ln f` on `ln rank` over frequencies sorted in decreasing order: returns
/// the exponent (minus the slope) and R². Fewer than two ranks, or all equal, give (0, 0).
fn fit_zipf(sorted: &[u64]) -> (f64, f64) {
    let n = sorted.len() as f64;
    if sorted.len() < 2 {
        return (0.0, 0.0);
    }
    let points = || {
        sorted
            .iter()
            .enumerate()
            .map(|(i, &f)| (libm::log((i + 1) as f64), libm::log(f as f64)))
    };
    let (sx, sy) = points().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in points() {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return (0.0, 0.0);
    }
    let slope = sxy / sxx;
    (-slope, (sxy * sxy) / (sxx * syy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Pattern, Synthetic};

    #[test]
    fn a_zipf_trace_fits_near_its_exponent() {
        let requests = Synthetic::new(
            Pattern::Zipf {
                keys: 1_000,
                skew: 1.0,
            },
            200_000,
            7,
        )
        .unwrap()
        .map(Ok);
        let trace = DecodedTrace::decode(requests, u64::MAX).unwrap().unwrap();
        let a = analyze("z", &trace);
        assert!((a.zipf_exponent - 1.0).abs() < 0.15, "{}", a.zipf_exponent);
        assert_eq!(a.working_set.len(), WINDOWS);
        assert_eq!(a.working_set.last().unwrap().keys_so_far, a.unique_keys);
        let reused: u64 = a.reuse_distances.iter().map(|b| b.count).sum();
        assert_eq!(reused + a.first_requests, a.requests);
        assert_eq!(a.popularity[0].rank, 1);
    }
}
