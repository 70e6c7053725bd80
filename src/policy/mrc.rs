//! Miss-ratio curves without one replay per capacity.
//!
//! - **Exact** (LRU, object mode): LRU is a stack algorithm — a cache of `c` objects holds
//!   exactly the `c` most recently used ones — so a request hits at every capacity of at least
//!   its *stack distance*: the number of distinct keys used since its key's previous request,
//!   itself included. One pass computes every request's distance with a Fenwick tree over
//!   request positions that marks each key's last access (a distance is the number of marks
//!   after the previous access), and the histogram of distances gives the misses at every
//!   capacity at once, equal to a replay's. Byte-mode LRU under libCacheSim's rules is not a
//!   stack algorithm (an object larger than the cache is never inserted and evicts nothing), so
//!   byte capacities are refused here; replay them.
//! - **SHARDS** (Waldspurger et al., FAST '15): the same distances on a spatially hashed sample
//!   of the keys — every request of a key whose hash falls under a threshold ([`Sampler`]) —
//!   scaled by the sampling rate. Fixed rate or fixed size (at most `s_max` keys tracked: the
//!   threshold drops to evict the keys of largest hash, and each request weighs the inverse of
//!   the rate it was sampled at). [`Adjustment`] says how a sample holding more or fewer requests
//!   than its rate promises is corrected: not at all, by the paper's SHARDS-adj (the first
//!   bucket takes the difference), or by popularity strata (ours, fixed rate).
//! - **MiniSim** (Waldspurger et al., ATC '17): any policy, simulated on the same kind of sample
//!   with every capacity scaled by the rate, with the same adjustments.
//!
//! On a sample of a few hundred keys the error is the sample's: which keys, and how many, fell
//! in. [`error_spread`] measures it over seeds (`examples/mrc_error.rs` prints the README's
//! table).

use super::replay::{SizeSpec, MRC_FRACTIONS};
use super::sweep::{sweep, sweep_weighted, Job};
use super::{canonical_name, Capacity, FxMap};
use crate::error::{Error, Result};
use crate::workload::{DecodedTrace, TraceStats};
use serde::Serialize;
use std::collections::BinaryHeap;
use std::num::NonZeroU64;

/// How a curve is computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// LRU stack distances over every request.
    Exact,
    /// LRU stack distances over a spatial sample at a fixed rate.
    ShardsRate(Sampler, Adjustment),
    /// LRU stack distances over a spatial sample of at most `keys` keys.
    ShardsSize {
        keys: NonZeroU64,
        seed: u64,
        adjustment: Adjustment,
    },
    /// Any policy on a spatial sample, capacities scaled by its rate.
    MiniSim(Sampler, Adjustment),
}

/// How SHARDS (and MiniSim) correct for a sample that holds more or fewer requests than its
/// rate promises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Adjustment {
    /// None: the misses over the sampled requests' weight (plain SHARDS).
    None,
    /// SHARDS-adj (the paper's): the first bucket of the histogram takes the difference between
    /// the requests the sample should hold and the ones it holds, so misses are divided by the
    /// trace's requests (for fixed-size SHARDS, each sampled request weighs the inverse of the
    /// rate it was sampled at, which sums to the requests in expectation too).
    Adj,
    /// Ours, fixed rate only: every key's request count (one more pass, 4 bytes a key) says how
    /// many keys of each popularity the sample should hold, and a sampled key weighs the keys of
    /// its popularity over the sampled ones (`strata_weights`).
    Strata,
}

/// The adjustments' names, as `--adjust` takes them.
pub const ADJUSTMENT_NAMES: [&str; 3] = ["none", "adj", "strata"];

impl Adjustment {
    /// Parses `none`, `adj` or `strata`.
    pub fn parse(name: &str) -> Result<Adjustment> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Adjustment::None),
            "adj" => Ok(Adjustment::Adj),
            "strata" => Ok(Adjustment::Strata),
            other => Err(Error::UnknownName {
                kind: "SHARDS adjustment",
                name: other.to_string(),
                known: ADJUSTMENT_NAMES.map(String::from).to_vec(),
            }),
        }
    }

    /// The name `--adjust` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Adjustment::None => "none",
            Adjustment::Adj => "adj",
            Adjustment::Strata => "strata",
        }
    }
}

/// What `--method`, `--rate`, `--sample-keys`, `--adjust` and `--seed` said.
#[derive(Clone, Copy, Debug, Default)]
pub struct MethodArgs<'a> {
    pub name: Option<&'a str>,
    pub rate: Option<f64>,
    pub sample_keys: Option<u64>,
    pub adjust: Option<&'a str>,
    pub seed: u64,
}

/// The methods' names, as `--method` takes them.
pub const METHOD_NAMES: [&str; 3] = ["exact", "shards", "minisim"];

/// The smallest sampling rate SHARDS and MiniSim choose by themselves.
pub const DEFAULT_RATE: f64 = 0.01;

/// Keys a sample should hold when the user gives no rate: below about ten thousand, a hot key
/// falling in or out of the sample moves the curve by several points (measured on the sample
/// traces: at 1 % of 50,000–80,000 keys the mean error is 0.02–0.05, at 10,000 keys under 0.01).
pub const DEFAULT_SAMPLE_KEYS: f64 = 10_000.0;

/// Keys in the sample of LRU's sampled line on the page ([`SizedShards::for_lru_line`]): as
/// many as [`DEFAULT_SAMPLE_KEYS`].
pub const SAMPLED_LRU_KEYS: NonZeroU64 = match NonZeroU64::new(DEFAULT_SAMPLE_KEYS as u64) {
    Some(keys) => keys,
    None => NonZeroU64::MIN,
};

/// The rate used when none is given: [`DEFAULT_RATE`], raised so that the sample holds about
/// [`DEFAULT_SAMPLE_KEYS`] keys.
///
/// ```
/// use cachelab::policy::mrc::default_rate;
/// assert_eq!(default_rate(5_000_000), 0.01);
/// assert_eq!(default_rate(50_000), 0.2);
/// assert_eq!(default_rate(500), 1.0);
/// ```
pub fn default_rate(unique_keys: u64) -> f64 {
    (DEFAULT_SAMPLE_KEYS / unique_keys.max(1) as f64).clamp(DEFAULT_RATE, 1.0)
}

impl Method {
    /// Parses `exact`, `shards` or `minisim` with an optional `rate` (SHARDS and MiniSim;
    /// [`default_rate`] of `unique_keys` when `None`) or `sample_keys` (SHARDS at a fixed size),
    /// and for SHARDS an adjustment (default: `strata` at a fixed rate, `adj` at a fixed size).
    /// `None` for the name means: exact for LRU, MiniSim for any other policy.
    ///
    /// ```
    /// use cachelab::policy::mrc::{Adjustment, Method, MethodArgs, Sampler};
    /// let args = |name, rate| MethodArgs { name, rate, ..MethodArgs::default() };
    /// assert_eq!(Method::parse(&args(None, None), "lru", 100).unwrap(), Method::Exact);
    /// assert_eq!(
    ///     Method::parse(&args(None, Some(0.1)), "arc", 100).unwrap(),
    ///     Method::MiniSim(Sampler { rate: 0.1, seed: 0 }, Adjustment::Strata)
    /// );
    /// assert_eq!(
    ///     Method::parse(&args(Some("shards"), None), "lru", 100_000).unwrap(),
    ///     Method::ShardsRate(Sampler { rate: 0.1, seed: 0 }, Adjustment::Strata)
    /// );
    /// assert!(Method::parse(&args(Some("exact"), None), "arc", 100).is_err());
    /// assert!(Method::parse(&args(Some("shards"), Some(1.5)), "lru", 100).is_err());
    /// assert!(Method::parse(&args(Some("guess"), None), "lru", 100).is_err());
    /// let sized = MethodArgs { name: Some("shards"), sample_keys: Some(100), adjust: Some("strata"), ..MethodArgs::default() };
    /// assert!(Method::parse(&sized, "lru", 100).is_err());
    /// ```
    pub fn parse(args: &MethodArgs, policy: &str, unique_keys: u64) -> Result<Method> {
        let policy = canonical_name(policy)?;
        let name = match args.name {
            Some(name) => name.trim().to_ascii_lowercase(),
            None if policy == "lru" => "exact".to_string(),
            None => "minisim".to_string(),
        };
        let sampler = || -> Result<Sampler> {
            let r = args.rate.unwrap_or_else(|| default_rate(unique_keys));
            if r > 0.0 && r <= 1.0 {
                Ok(Sampler {
                    rate: r,
                    seed: args.seed,
                })
            } else {
                Err(Error::OutOfRange {
                    name: "rate".into(),
                    value: r,
                    min: 0.0,
                    max: 1.0,
                    unit: "of the keys (above 0)",
                })
            }
        };
        let lru_only = |method: &str| -> Result<()> {
            if policy == "lru" {
                Ok(())
            } else {
                Err(Error::Parse {
                    what: format!("--method {method}"),
                    detail: format!(
                        "stack distances give LRU's curve only; use --method minisim for {policy}"
                    ),
                })
            }
        };
        let adjustment = args.adjust.map(Adjustment::parse).transpose()?;
        if args.adjust.is_some() && name == "exact" {
            return Err(Error::Parse {
                what: "--adjust".into(),
                detail: "an adjustment of a sample; --method exact takes none".into(),
            });
        }
        match name.as_str() {
            "exact" => lru_only("exact").map(|()| Method::Exact),
            "shards" => {
                lru_only("shards")?;
                match args.sample_keys {
                    Some(keys) => {
                        let keys = NonZeroU64::new(keys).ok_or_else(|| Error::OutOfRange {
                            name: "sample-keys".into(),
                            value: 0.0,
                            min: 1.0,
                            max: u64::MAX as f64,
                            unit: "keys",
                        })?;
                        let adjustment = match adjustment {
                            None => Adjustment::Adj,
                            Some(Adjustment::Strata) => {
                                return Err(Error::Parse {
                                    what: "--adjust strata".into(),
                                    detail: "the strata weigh a sample of one fixed rate; with \
                                             --sample-keys use adj or none"
                                        .into(),
                                })
                            }
                            Some(given) => given,
                        };
                        Ok(Method::ShardsSize {
                            keys,
                            seed: args.seed,
                            adjustment,
                        })
                    }
                    None => Ok(Method::ShardsRate(
                        sampler()?,
                        adjustment.unwrap_or(Adjustment::Strata),
                    )),
                }
            }
            "minisim" => Ok(Method::MiniSim(
                sampler()?,
                adjustment.unwrap_or(Adjustment::Strata),
            )),
            _ => Err(Error::UnknownName {
                kind: "miss-ratio-curve method",
                name,
                known: METHOD_NAMES.map(String::from).to_vec(),
            }),
        }
    }

    /// The seed of its sample (0 for exact).
    pub fn seed(self) -> u64 {
        match self {
            Method::Exact => 0,
            Method::ShardsRate(sampler, _) | Method::MiniSim(sampler, _) => sampler.seed,
            Method::ShardsSize { seed, .. } => seed,
        }
    }

    /// The same method on the sample of another seed.
    pub fn with_seed(self, seed: u64) -> Method {
        match self {
            Method::Exact => Method::Exact,
            Method::ShardsRate(sampler, adjustment) => {
                Method::ShardsRate(Sampler { seed, ..sampler }, adjustment)
            }
            Method::ShardsSize {
                keys, adjustment, ..
            } => Method::ShardsSize {
                keys,
                seed,
                adjustment,
            },
            Method::MiniSim(sampler, adjustment) => {
                Method::MiniSim(Sampler { seed, ..sampler }, adjustment)
            }
        }
    }

    /// SHARDS' adjustment.
    pub fn adjustment(self) -> Option<Adjustment> {
        match self {
            Method::ShardsRate(_, adjustment)
            | Method::ShardsSize { adjustment, .. }
            | Method::MiniSim(_, adjustment) => Some(adjustment),
            Method::Exact => None,
        }
    }

    /// The name `--method` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::ShardsRate(..) | Method::ShardsSize { .. } => "shards",
            Method::MiniSim(..) => "minisim",
        }
    }
}

/// Counts of marks over positions `0..n`, with prefix sums in `O(log n)`.
struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Fenwick {
            tree: vec![0; n + 1],
        }
    }

    /// Adds 1 (`up`) or removes 1 at position `i`.
    #[inline]
    fn mark(&mut self, i: usize, up: bool) {
        let mut i = i + 1;
        while i < self.tree.len() {
            self.tree[i] = if up {
                self.tree[i].wrapping_add(1)
            } else {
                self.tree[i].wrapping_sub(1)
            };
            i += i & i.wrapping_neg();
        }
    }

    /// Marks at positions `0..i`.
    #[inline]
    fn prefix(&self, i: usize) -> u32 {
        let mut i = i;
        let mut sum = 0u32;
        while i > 0 {
            sum = sum.wrapping_add(self.tree[i]);
            i &= i - 1;
        }
        sum
    }
}

/// Every request's LRU stack distance, as a histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct StackDistances {
    /// Requests seen.
    pub requests: u64,
    /// First requests of a key (a miss at every capacity).
    pub cold: u64,
    /// `hist[d]`: requests at distance `d` (index 0 unused).
    pub hist: Vec<u64>,
}

impl StackDistances {
    /// One pass over `trace`.
    ///
    /// ```
    /// use cachelab::policy::mrc::StackDistances;
    /// use cachelab::workload::{DecodedTrace, TraceFormat, TraceReader};
    /// let trace = DecodedTrace::decode(TraceReader::new("a\nb\na\nc\nb\n".as_bytes(), TraceFormat::Text), 100).unwrap().unwrap();
    /// let d = StackDistances::of(&trace);
    /// // a, b, c are cold; the second a is at distance 2 (a, b), the second b at 3 (b, a, c).
    /// assert_eq!((d.cold, d.hist[2], d.hist[3]), (3, 1, 1));
    /// assert_eq!(d.misses_at(2), 4);
    /// assert_eq!(d.misses_at(3), 3);
    /// ```
    pub fn of(trace: &DecodedTrace) -> StackDistances {
        let mut distances = StackDistances {
            requests: trace.len() as u64,
            cold: 0,
            hist: vec![0; trace.unique() + 1],
        };
        let mut stack = Stack::new(trace.unique(), trace.len());
        for &id in trace.ids() {
            match stack.access(id) {
                None => distances.cold += 1,
                Some(d) => distances.hist[d as usize] += 1,
            }
        }
        distances
    }

    /// Misses of an LRU cache of `capacity` objects.
    pub fn misses_at(&self, capacity: u64) -> u64 {
        let upto = (capacity as usize).min(self.hist.len() - 1);
        self.requests - self.hist[1..=upto].iter().sum::<u64>()
    }

    /// Misses at each of `capacities` (any order), in one pass over the histogram.
    pub fn misses_at_each(&self, capacities: &[u64]) -> Vec<u64> {
        let cumulative = self.cumulative_hits();
        capacities
            .iter()
            .map(|&c| self.requests - cumulative[(c as usize).min(cumulative.len() - 1)])
            .collect()
    }

    /// `hits[c]`: hits of a cache of `c` objects.
    fn cumulative_hits(&self) -> Vec<u64> {
        let mut sum = 0;
        self.hist
            .iter()
            .map(|&n| {
                sum += n;
                sum
            })
            .collect()
    }
}

/// The hash that decides which keys a spatial sample keeps: SplitMix64's finaliser (the same
/// construction as MurmurHash3's 64-bit finaliser, which the SHARDS paper hashes with, with
/// better-mixing constants) of the key offset by a multiple of the golden ratio per `seed`.
/// Every bit of the key moves every bit of the hash, so "hash below a threshold" is a uniform
/// sample of the keys whatever their ids look like, and another seed is another sample.
#[inline]
pub fn sample_hash(key: u64, seed: u64) -> u64 {
    const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut z = key.wrapping_add(GOLDEN.wrapping_mul(seed.wrapping_mul(2).wrapping_add(1)));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A spatial sample: the keys whose [`sample_hash`] falls under `rate · 2^64` (the paper
/// compares `hash mod 2^24` with `rate · 2^24`; the whole 64 bits give any rate, however small,
/// without rounding it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampler {
    /// The share of the keys kept, in `(0, 1]`.
    pub rate: f64,
    /// Which sample: each seed keeps other keys.
    pub seed: u64,
}

impl Sampler {
    /// Whether `key` is in the sample.
    #[inline]
    pub fn keeps(self, key: u64) -> bool {
        self.rate >= 1.0 || sample_hash(key, self.seed) < (self.rate * 2f64.powi(64)) as u64
    }
}

/// The marks of the tracked keys' last accesses over request positions: a request's stack
/// distance is the number of marks from its key's previous access on.
struct LastAccesses {
    marks: Fenwick,
    marked: u32,
}

impl LastAccesses {
    fn new(positions: usize) -> LastAccesses {
        LastAccesses {
            marks: Fenwick::new(positions),
            marked: 0,
        }
    }

    /// Moves a key's last access from `previous` (`None`: its first tracked request) to `next`:
    /// its stack distance, or `None`.
    #[inline]
    fn moved(&mut self, previous: Option<u32>, next: usize) -> Option<u32> {
        let distance = previous.map(|p| {
            let d = self.marked - self.marks.prefix(p as usize + 1) + 1;
            self.unmark(p);
            d
        });
        self.marks.mark(next, true);
        self.marked += 1;
        distance
    }

    fn unmark(&mut self, position: u32) {
        self.marks.mark(position as usize, false);
        self.marked -= 1;
    }
}

/// LRU stack distances among a fixed set of keys (all, or a fixed-rate sample's), by dense id.
struct Stack {
    marks: LastAccesses,
    /// Each key's last position, `u32::MAX` while it has none.
    last: Vec<u32>,
    next: usize,
}

impl Stack {
    /// A stack over keys `0..unique` for at most `positions` requests.
    fn new(unique: usize, positions: usize) -> Stack {
        Stack {
            marks: LastAccesses::new(positions),
            last: vec![u32::MAX; unique],
            next: 0,
        }
    }

    /// A request for `id`: its stack distance, or `None` on the key's first tracked request.
    #[inline]
    fn access(&mut self, id: u32) -> Option<u32> {
        let previous = self.last[id as usize];
        let distance = self
            .marks
            .moved((previous != u32::MAX).then_some(previous), self.next);
        self.last[id as usize] = self.next as u32;
        self.next += 1;
        distance
    }
}

/// LRU stack distances among a bounded set of tracked keys, in memory bounded by them whatever
/// the trace's length or keys (fixed-size SHARDS over a streamed file): each tracked key's last
/// position in a map, and a Fenwick tree over a window of positions that, once used up, is
/// renumbered — the tracked keys' last accesses, in order, take positions `0..n` again (a
/// distance counts marks, which renumbering keeps in order, so no distance changes).
struct KeyStack {
    marks: LastAccesses,
    last: FxMap<u32>,
    room: usize,
    next: usize,
}

impl KeyStack {
    /// The smallest window of positions.
    const MIN_ROOM: usize = 1 << 10;

    fn new() -> KeyStack {
        KeyStack {
            marks: LastAccesses::new(Self::MIN_ROOM),
            last: FxMap::default(),
            room: Self::MIN_ROOM,
            next: 0,
        }
    }

    /// A request for `key`: its stack distance, or `None` on the key's first tracked request.
    #[inline]
    fn access(&mut self, key: u64) -> Option<u32> {
        if self.next == self.room {
            self.renumber();
        }
        let previous = self.last.insert(key, self.next as u32);
        let distance = self.marks.moved(previous, self.next);
        self.next += 1;
        distance
    }

    /// Stops tracking `key` (it left the sample).
    fn forget(&mut self, key: u64) {
        if let Some(previous) = self.last.remove(&key) {
            self.marks.unmark(previous);
        }
    }

    /// Gives the tracked keys positions `0..n` in the order of their last accesses, in a window
    /// four times as large (so renumbering costs `O(log n)` a request, amortised).
    fn renumber(&mut self) {
        let mut order: Vec<(u32, u64)> = self.last.iter().map(|(&k, &p)| (p, k)).collect();
        order.sort_unstable();
        self.room = (4 * order.len()).max(Self::MIN_ROOM);
        self.marks = LastAccesses::new(self.room);
        for (position, &(_, key)) in order.iter().enumerate() {
            self.marks.moved(None, position);
            self.last.insert(key, position as u32);
        }
        self.next = order.len();
    }
}

/// Fixed-size SHARDS fed one request at a time, in memory bounded by the sample (at most `keys`
/// keys tracked, a few hundred buckets): `cachelab mrc --method shards --sample-keys` over a
/// decoded trace, and LRU's sampled curve of a file streamed through the page
/// ([`crate::policy::chunked::ChunkedReplay`]), which reads each request once and never holds
/// the trace. When one key more than `keys` is tracked, the threshold drops to the largest
/// tracked hash and every key at or above it is forgotten. A request weighs the inverse of the
/// rate in force when it was sampled (the paper instead rescales the histogram by the new rate
/// over the old each time the threshold drops: relative to the total, the same).
pub struct SizedShards {
    report: MrcReport,
    keys: u64,
    seed: u64,
    adjustment: Adjustment,
    /// Keys hashing at or above it are out of the sample (`u64::MAX`: none yet).
    below: u64,
    rate: f64,
    tracked: BinaryHeap<(u64, u64)>,
    stack: KeyStack,
    curve: ShardsCurve,
    points: Vec<u64>,
    dense: Vec<u64>,
}

impl SizedShards {
    /// A sample of at most `keys` keys (seed `seed`) of a trace of `stats` named `name`, whose
    /// curve is asked at `points` objects and on the dense log scale of
    /// [`MrcReport::curve`].
    pub fn new(
        name: &str,
        stats: TraceStats,
        keys: NonZeroU64,
        seed: u64,
        adjustment: Adjustment,
        points: &[u64],
    ) -> SizedShards {
        let method = Method::ShardsSize {
            keys,
            seed,
            adjustment,
        };
        let dense = log_capacities(stats.unique_keys);
        SizedShards {
            report: MrcReport::of(name, &stats, "lru", method),
            keys: keys.get(),
            seed,
            adjustment,
            below: u64::MAX,
            rate: 1.0,
            tracked: BinaryHeap::new(),
            stack: KeyStack::new(),
            curve: ShardsCurve::new(&[points, &dense].concat()),
            points: points.to_vec(),
            dense,
        }
    }

    /// The sample LRU's curve of a streamed file is drawn from ([`SAMPLED_LRU_KEYS`] keys,
    /// seed 0, SHARDS-adj), over its dense capacities.
    pub fn for_lru_line(name: &str, stats: TraceStats) -> SizedShards {
        SizedShards::new(name, stats, SAMPLED_LRU_KEYS, 0, Adjustment::Adj, &[])
    }

    /// The next request of the trace.
    #[inline]
    pub fn access(&mut self, key: u64) {
        let hash = sample_hash(key, self.seed);
        if hash >= self.below && self.below != u64::MAX {
            return;
        }
        let distance = self.stack.access(key);
        if distance.is_none() {
            self.tracked.push((hash, key));
        }
        self.curve.record(distance, 1.0 / self.rate, self.rate);
        while self.tracked.len() as u64 > self.keys {
            let Some(&(top, _)) = self.tracked.peek() else {
                break;
            };
            self.below = top;
            self.rate = top as f64 / 2f64.powi(64);
            while let Some(&(hash, gone)) = self.tracked.peek() {
                if hash < self.below {
                    break;
                }
                self.tracked.pop();
                self.stack.forget(gone);
            }
        }
    }

    /// The curve of the requests seen so far, over the trace's requests.
    pub fn report(&self) -> MrcReport {
        let mut curve = self.curve.clone();
        curve.rate = self.rate;
        curve.sampled_keys = self.tracked.len() as u64;
        let curve = curve.finish(self.report.requests, self.adjustment);
        curve.fill(self.report.clone(), &self.points, &self.dense)
    }
}

impl SizedShards {
    /// LRU's sampled line of a streamed file, as the page draws it: the curve so far, its label
    /// and the sentence that says what was sampled.
    pub fn lru_line(&self) -> SampledLru {
        let report = self.report();
        let note = format!(
            "LRU's line is sampled: while the file streamed, fixed-size SHARDS tracked at most {} \
             of its {} keys ({} in the end, a rate of {:.2} %), in memory bounded by that sample \
             rather than by the keys; the run over the bundled sample shows how far such a \
             sample is from the exact curve.",
            self.keys,
            report.unique_keys,
            report.sampled_keys,
            100.0 * report.rate,
        );
        SampledLru::new(report, self.keys, note, None)
    }
}

/// LRU's curve from a sample of at most `sample_keys` keys (fixed-size SHARDS), as the page draws
/// it beside the policies: a label that says it is sampled and from how many keys, the sentence
/// that says how it was sampled and, over a trace read whole, its error against the exact curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampledLru {
    /// The line's label.
    pub label: String,
    /// The keys the sample holds at most.
    pub sample_keys: u64,
    /// Mean absolute error against the exact curve at the same capacities, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_absolute_error: Option<f64>,
    /// What was sampled (and, with the error, how far to trust it).
    pub note: String,
    /// The curve (`curve`: the dense capacities).
    pub report: MrcReport,
}

impl SampledLru {
    fn new(report: MrcReport, sample_keys: u64, note: String, error: Option<f64>) -> SampledLru {
        SampledLru {
            label: format!("LRU, sampled (SHARDS, {sample_keys} keys)"),
            sample_keys,
            mean_absolute_error: error,
            note,
            report,
        }
    }
}

/// LRU's exact curve over a trace read whole, and beside it the line the same trace would get
/// streamed ([`SizedShards::for_lru_line`]) with its error against the exact one: what the page's
/// eviction lesson draws for the bundled trace, so that the sampled line of a large file comes
/// with a measured error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LruCurves {
    /// The exact curve (stack distances).
    #[serde(flatten)]
    pub exact: MrcReport,
    /// The sampled one.
    pub sampled: SampledLru,
}

/// [`LruCurves`] of `trace`, on the dense capacities.
pub fn lru_curves(name: &str, trace: &DecodedTrace) -> Result<LruCurves> {
    let exact = curve(name, trace, "lru", Method::Exact, &[], false, 1)?;
    let mut shards = SizedShards::for_lru_line(name, trace.stats());
    for &id in trace.ids() {
        shards.access(trace.key(id));
    }
    let report = shards.report();
    let error = mean_absolute_error(&report.curve, &exact.curve);
    let keys = SAMPLED_LRU_KEYS.get();
    let note = if report.sampled_keys == report.unique_keys {
        format!(
            "The sampled LRU line (fixed-size SHARDS, at most {keys} keys, as a streamed file \
             gets) holds all {} keys of this trace, so it is the exact curve.",
            report.unique_keys
        )
    } else {
        format!(
            "Sampled as a streamed file is (fixed-size SHARDS: {} of these {} keys, a rate of \
             {:.1} %), LRU's curve is off the exact one by {error:.4} of miss ratio on average \
             over its {} sizes (mean absolute error): about how far to trust the sampled line of \
             a file too large to read whole, which holds as many keys.",
            report.sampled_keys,
            report.unique_keys,
            100.0 * report.rate,
            report.curve.len(),
        )
    };
    let sampled = SampledLru::new(report, keys, note, Some(error));
    Ok(LruCurves { exact, sampled })
}

/// A curve's value at one capacity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MrcPoint {
    /// The capacity, in `unit`s.
    pub capacity: u64,
    /// `"objects"` or `"bytes"`.
    pub unit: &'static str,
    /// Misses over requests (an estimate for SHARDS and MiniSim).
    pub miss_ratio: f64,
    /// The misses themselves, for the exact method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub misses: Option<u64>,
}

/// What `cachelab mrc` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MrcReport {
    /// The trace's name.
    pub trace: String,
    /// Requests in the trace.
    pub requests: u64,
    /// Distinct keys.
    pub unique_keys: u64,
    /// The policy.
    pub policy: &'static str,
    /// `exact`, `shards` or `minisim`.
    pub method: &'static str,
    /// The sampling rate (the final one for fixed-size SHARDS), 1 for exact.
    pub rate: f64,
    /// The sample's seed ([`sample_hash`]).
    pub seed: u64,
    /// SHARDS' adjustment (`none`, `adj` or `strata`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<&'static str>,
    /// Requests the method looked at (all for exact, the sample's otherwise).
    pub sampled_requests: u64,
    /// Keys in the sample (for fixed-size SHARDS, at the end).
    pub sampled_keys: u64,
    /// The curve at the sizes asked for.
    pub points: Vec<MrcPoint>,
    /// The curve at up to [`CURVE_POINTS`] capacities spread evenly on a log scale from 1 to
    /// the unique keys (for LRU's methods; MiniSim's is `points`).
    pub curve: Vec<MrcPoint>,
}

impl MrcReport {
    /// The report of `method` over a trace of `stats`, before any point is computed: every
    /// request and key counted as sampled, at rate 1.
    fn of(name: &str, stats: &TraceStats, policy: &'static str, method: Method) -> MrcReport {
        MrcReport {
            trace: name.to_string(),
            requests: stats.requests,
            unique_keys: stats.unique_keys,
            policy,
            method: method.name(),
            rate: 1.0,
            seed: method.seed(),
            adjustment: method.adjustment().map(Adjustment::name),
            sampled_requests: stats.requests,
            sampled_keys: stats.unique_keys,
            points: Vec::new(),
            curve: Vec::new(),
        }
    }

    /// One line saying what was computed and from how much of the trace.
    pub fn summary(&self) -> String {
        let head = format!(
            "{}: {} requests, {} unique keys; {} by {}",
            self.trace, self.requests, self.unique_keys, self.policy, self.method
        );
        if self.method == Method::Exact.name() {
            return format!("{head} (every request)");
        }
        let adjustment = self
            .adjustment
            .map_or_else(String::new, |a| format!(", adjustment {a}"));
        format!(
            "{head} (rate {}, seed {}{adjustment}: {} keys and {} requests sampled)",
            self.rate, self.seed, self.sampled_keys, self.sampled_requests
        )
    }
}

/// Points of the dense curve.
pub const CURVE_POINTS: usize = 200;

/// Capacities spread on a log scale over `1..=unique`, without repeats.
fn log_capacities(unique: u64) -> Vec<u64> {
    let top = (unique.max(1)) as f64;
    let mut all: Vec<u64> = (0..CURVE_POINTS)
        .map(|i| libm::round(libm::pow(top, i as f64 / (CURVE_POINTS - 1) as f64)) as u64)
        .map(|c| c.clamp(1, unique.max(1)))
        .collect();
    all.dedup();
    all
}

/// The sizes `--size` gives, or the 16 fractions of a replay's `--mrc`.
pub fn sizes_or_default(sizes: Option<Vec<SizeSpec>>) -> Vec<SizeSpec> {
    sizes.unwrap_or_else(|| {
        MRC_FRACTIONS
            .iter()
            .map(|&f| SizeSpec::Fraction(f))
            .collect()
    })
}

/// Computes a curve of `policy` over `trace` at `sizes` (fractions of unique keys, or of unique
/// bytes with `fractions_of_bytes`), using up to `threads` threads for MiniSim.
pub fn curve(
    name: &str,
    trace: &DecodedTrace,
    policy: &str,
    method: Method,
    sizes: &[SizeSpec],
    fractions_of_bytes: bool,
    threads: usize,
) -> Result<MrcReport> {
    let policy = canonical_name(policy)?;
    let stats = trace.stats();
    let capacities = sizes
        .iter()
        .map(|s| s.capacity(&stats, fractions_of_bytes))
        .collect::<Result<Vec<_>>>()?;
    let objects = || -> Result<Vec<u64>> {
        capacities
            .iter()
            .map(|c| match c {
                Capacity::Objects(n) => Ok(n.get()),
                Capacity::Bytes(_) => Err(Error::Parse {
                    what: format!("--method {}", method.name()),
                    detail: "LRU stack distances count objects; under libCacheSim's rules a \
                             byte-mode LRU is not a stack algorithm (an object larger than the \
                             cache is never inserted): use object sizes, or --method minisim"
                        .into(),
                }),
            })
            .collect()
    };
    let dense = log_capacities(stats.unique_keys);
    let report = MrcReport::of(name, &stats, policy, method);
    match method {
        Method::Exact => {
            let at = objects()?;
            let distances = StackDistances::of(trace);
            let ratio = |m: u64| m as f64 / distances.requests as f64;
            let point = |(&capacity, misses): (&u64, u64), counted: bool| MrcPoint {
                capacity,
                unit: "objects",
                miss_ratio: ratio(misses),
                misses: counted.then_some(misses),
            };
            let misses = distances.misses_at_each(&at);
            let points = at.iter().zip(misses).map(|p| point(p, true)).collect();
            let misses = distances.misses_at_each(&dense);
            let curve = dense.iter().zip(misses).map(|p| point(p, false)).collect();
            Ok(MrcReport {
                points,
                curve,
                ..report
            })
        }
        Method::ShardsRate(sampler, adjustment) => {
            let at = objects()?;
            let buckets = [at.as_slice(), &dense].concat();
            let shards = ShardsCurve::fixed_rate(trace, sampler, adjustment, &buckets);
            Ok(shards.fill(report, &at, &dense))
        }
        Method::ShardsSize {
            keys,
            seed,
            adjustment,
        } => {
            let mut shards = SizedShards::new(name, stats, keys, seed, adjustment, &objects()?);
            for &id in trace.ids() {
                shards.access(trace.key(id));
            }
            Ok(shards.report())
        }
        Method::MiniSim(sampler, adjustment) => {
            minisim(report, trace, sampler, adjustment, &capacities, threads)
        }
    }
}

/// MiniSim (ATC '17): `policy` on the sampled requests with every capacity scaled by the rate.
/// The misses are divided by the sampled requests ([`Adjustment::None`]), by the requests a
/// sample of that rate should hold ([`Adjustment::Adj`], SHARDS-adj carried over: the difference
/// is mostly a few hot keys, which hit), or weighted by [`strata_weights`] and divided by the
/// trace's requests, capacities then scaled by the sample's actual share of the keys
/// ([`Adjustment::Strata`]).
fn minisim(
    mut report: MrcReport,
    trace: &DecodedTrace,
    sampler: Sampler,
    adjustment: Adjustment,
    capacities: &[Capacity],
    threads: usize,
) -> Result<MrcReport> {
    let unique = trace.unique();
    let kept: Vec<bool> = (0..unique as u32)
        .map(|id| sampler.keeps(trace.key(id)))
        .collect();
    let sample = trace
        .sample(|key| sampler.keeps(key))
        .ok_or_else(|| Error::Parse {
            what: format!("--rate {}", sampler.rate),
            detail: format!(
                "a sample at this rate holds none of the {} keys: use a higher rate",
                report.unique_keys
            ),
        })?;
    let rate = match adjustment {
        Adjustment::None | Adjustment::Adj => sampler.rate,
        Adjustment::Strata => sample.unique() as f64 / unique as f64,
    };
    let scale = |n: NonZeroU64| {
        NonZeroU64::new(libm::round(n.get() as f64 * rate) as u64).unwrap_or(NonZeroU64::MIN)
    };
    let jobs: Vec<Job> = capacities
        .iter()
        .map(|&c| Job {
            policy: report.policy,
            capacity: match c {
                Capacity::Objects(n) => Capacity::Objects(scale(n)),
                Capacity::Bytes(n) => Capacity::Bytes(scale(n)),
            },
        })
        .collect();
    let misses: Vec<f64> = match adjustment {
        Adjustment::None | Adjustment::Adj => sweep(&sample, &jobs, threads)?
            .iter()
            .map(|c| c.misses as f64)
            .collect(),
        Adjustment::Strata => {
            let by_key = strata_weights(trace, &kept);
            let by_request: Vec<f64> = trace
                .ids()
                .iter()
                .filter(|&&id| kept[id as usize])
                .map(|&id| by_key[id as usize])
                .collect();
            sweep_weighted(&sample, &jobs, threads, &by_request)?
        }
    };
    let denominator = match adjustment {
        Adjustment::None => sample.len() as f64,
        Adjustment::Adj => (report.requests as f64 * sampler.rate).max(1.0),
        Adjustment::Strata => report.requests as f64,
    };
    report.rate = sampler.rate;
    report.sampled_requests = sample.len() as u64;
    report.sampled_keys = sample.unique() as u64;
    report.points = capacities
        .iter()
        .zip(&misses)
        .map(|(c, &m)| MrcPoint {
            capacity: c.units(),
            unit: c.unit_name(),
            miss_ratio: (m / denominator).min(1.0),
            misses: None,
        })
        .collect();
    report.curve = report.points.clone();
    Ok(report)
}

/// What SHARDS measured: sampled reuses, each weighing the keys it stands for, bucketed by the
/// distance they estimate in the whole trace. The buckets are the capacities the curve is asked
/// at (a few hundred), not every distance, so its memory does not grow with the trace's keys: a
/// streamed file's curve ([`SizedShards`]) is bounded by its sample.
#[derive(Clone)]
struct ShardsCurve {
    /// The capacities the curve answers at, ascending, without repeats.
    capacities: Vec<u64>,
    /// `hits[i]`: weight of the sampled reuses at an estimated distance of at most
    /// `capacities[i]` (after [`ShardsCurve::finish`]; before, above `capacities[i - 1]` too);
    /// the last bucket gathers every distance beyond the largest capacity.
    hits: Vec<f64>,
    /// Weight of every sampled request, first requests included.
    total: f64,
    /// What misses are divided by.
    denominator: f64,
    /// Requests and keys sampled.
    sampled: u64,
    sampled_keys: u64,
    /// The final rate.
    rate: f64,
}

impl ShardsCurve {
    fn new(capacities: &[u64]) -> ShardsCurve {
        let mut capacities = capacities.to_vec();
        capacities.sort_unstable();
        capacities.dedup();
        ShardsCurve {
            hits: vec![0.0; capacities.len() + 1],
            capacities,
            total: 0.0,
            denominator: 0.0,
            sampled: 0,
            sampled_keys: 0,
            rate: 1.0,
        }
    }

    /// One sampled request at `distance` in the sample (`None`: its key's first), weighing
    /// `weight` requests of the trace, from a sample of `rate`: a distance `d` among the sampled
    /// keys estimates `d / rate` among all of them, as the paper scales it. (Scaling only the
    /// other keys, `1 + (d − 1) / rate`, since a request's own key is always sampled, changed the
    /// mean error over 20 seeds by under 0.002 on every trace measured.)
    #[inline]
    fn record(&mut self, distance: Option<u32>, weight: f64, rate: f64) {
        self.sampled += 1;
        self.total += weight;
        match distance {
            None => self.sampled_keys += 1,
            Some(d) => {
                let estimate = libm::ceil(f64::from(d) / rate);
                let bucket = self.capacities.partition_point(|&c| (c as f64) < estimate);
                self.hits[bucket] += weight;
            }
        }
    }

    /// Turns the histogram into cumulative hits and sets the denominator.
    fn finish(mut self, requests: u64, adjustment: Adjustment) -> ShardsCurve {
        let mut sum = 0.0;
        for w in self.hits.iter_mut() {
            sum += *w;
            *w = sum;
        }
        self.denominator = match adjustment {
            Adjustment::None => self.total,
            // SHARDS-adj adds `requests − total` to the first bucket (hits at every capacity),
            // which makes the total the trace's requests; the strata's weights sum to it already.
            Adjustment::Adj | Adjustment::Strata => requests as f64,
        };
        self
    }

    /// The miss ratio at `capacity`, one of those the curve was built for (at another, that of
    /// the largest of them below it).
    fn miss_ratio(&self, capacity: u64) -> f64 {
        if self.denominator == 0.0 {
            return 0.0;
        }
        let hits = match self.capacities.partition_point(|&c| c <= capacity) {
            0 => 0.0,
            n => self.hits[n - 1],
        };
        ((self.total - hits) / self.denominator).clamp(0.0, 1.0)
    }

    /// `report` with this curve at `points` and at the dense capacities `dense`.
    fn fill(&self, mut report: MrcReport, points: &[u64], dense: &[u64]) -> MrcReport {
        let at = |&c: &u64| MrcPoint {
            capacity: c,
            unit: "objects",
            miss_ratio: self.miss_ratio(c),
            misses: None,
        };
        report.rate = self.rate;
        report.sampled_requests = self.sampled;
        report.sampled_keys = self.sampled_keys;
        report.points = points.iter().map(at).collect();
        report.curve = dense.iter().map(at).collect();
        report
    }

    /// Fixed-rate SHARDS: every request of a sampled key, weighing `1 / rate` (or its stratum's
    /// weight with [`Adjustment::Strata`], distances then scaled by the sample's actual share of
    /// the keys).
    fn fixed_rate(
        trace: &DecodedTrace,
        sampler: Sampler,
        adjustment: Adjustment,
        capacities: &[u64],
    ) -> ShardsCurve {
        let unique = trace.unique();
        let kept: Vec<bool> = (0..unique as u32)
            .map(|id| sampler.keeps(trace.key(id)))
            .collect();
        let (weights, rate) = match adjustment {
            Adjustment::None | Adjustment::Adj => (
                kept.iter()
                    .map(|&k| if k { 1.0 / sampler.rate } else { 0.0 })
                    .collect(),
                sampler.rate,
            ),
            Adjustment::Strata => {
                let sampled = kept.iter().filter(|&&k| k).count().max(1);
                (strata_weights(trace, &kept), sampled as f64 / unique as f64)
            }
        };
        let positions = trace.ids().iter().filter(|&&id| kept[id as usize]).count();
        let mut stack = Stack::new(unique, positions);
        let mut out = ShardsCurve::new(capacities);
        for &id in trace.ids() {
            if kept[id as usize] {
                out.record(stack.access(id), weights[id as usize], rate);
            }
        }
        out.rate = sampler.rate;
        out.finish(trace.len() as u64, adjustment)
    }
}

/// The fewest sampled keys a weighting group of [`strata_weights`] holds: strata with fewer are
/// merged with their neighbours (a group with one sampled key would scale that key's misses by
/// the whole group's key count).
const MIN_GROUP_KEYS: u32 = 4;

/// A key's stratum by its request count: counts 1–16 exactly, then four strata an octave.
fn stratum(requests: u32) -> usize {
    if requests <= 16 {
        requests.saturating_sub(1) as usize
    } else {
        let octave = 31 - requests.leading_zeros(); // 4 and up
        (16 + (octave - 4) * 4 + ((requests >> (octave - 2)) & 3)) as usize
    }
}

/// Strata [`stratum`] can return.
const STRATA: usize = 16 + 28 * 4;

/// Each key's weight under [`Adjustment::Strata`] (0 for keys out of the sample).
///
/// On a trace of tens of thousands of keys a 1 % sample holds a few hundred, and SHARDS' error
/// is then almost all *which* keys fell in: how many (the cold misses alone, a key each, move
/// by the relative spread of the sampled key count) and how popular. Knowing every key's request
/// count (one counting pass over the dense ids, 4 bytes a key) says how many keys of each
/// popularity the sample should hold: keys are grouped by it ([`stratum`]), and a sampled key
/// weighs the keys of its group over the sampled ones rather than `1 / rate`. The cold misses
/// come out exact, and a sample holding too many or too few keys of some popularity is
/// reweighted instead of bending the curve. The weights sum, over the sampled requests, to the
/// trace's requests up to the groups' rounding.
fn strata_weights(trace: &DecodedTrace, kept: &[bool]) -> Vec<f64> {
    let mut counts = vec![0u32; trace.unique()];
    for &id in trace.ids() {
        counts[id as usize] += 1;
    }
    // Keys and sampled keys per stratum, then groups of strata from the most requested down,
    // each closed once it holds MIN_GROUP_KEYS sampled keys.
    let mut keys = [0u32; STRATA];
    let mut sampled_keys = [0u32; STRATA];
    for (id, &n) in counts.iter().enumerate() {
        keys[stratum(n)] += 1;
        sampled_keys[stratum(n)] += u32::from(kept[id]);
    }
    let mut group = [0usize; STRATA];
    let mut groups: Vec<(f64, f64)> = Vec::new(); // (keys, sampled keys)
    let mut open = true;
    for h in (0..STRATA).rev() {
        if open {
            groups.push((0.0, 0.0));
        }
        let last = groups.len() - 1;
        groups[last].0 += f64::from(keys[h]);
        groups[last].1 += f64::from(sampled_keys[h]);
        group[h] = last;
        open = sampled_keys[h] > 0 && groups[last].1 >= f64::from(MIN_GROUP_KEYS);
    }
    // The least requested group may be short of sampled keys: fold it into the one above.
    if groups.len() > 1 && groups[groups.len() - 1].1 < f64::from(MIN_GROUP_KEYS) {
        let (k, s) = groups.pop().unwrap_or_default();
        let last = groups.len() - 1;
        groups[last].0 += k;
        groups[last].1 += s;
        for g in group.iter_mut() {
            *g = (*g).min(last);
        }
    }
    let weight: Vec<f64> = groups
        .iter()
        .map(|&(k, s)| if s > 0.0 { k / s } else { 0.0 })
        .collect();
    counts
        .iter()
        .zip(kept)
        .map(|(&n, &k)| if k { weight[group[stratum(n)]] } else { 0.0 })
        .collect()
}

/// How far a sampled curve is from the full one over several samples (seeds `0..n`): the
/// sampling error, which no estimator removes once the sample holds few keys.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorSpread {
    /// The mean absolute error of each seed's curve.
    pub errors: Vec<f64>,
    /// Their mean, standard deviation, least and greatest.
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
    /// The keys each sample held: mean and standard deviation.
    pub sampled_keys: f64,
    pub sampled_keys_sd: f64,
}

/// Mean and (sample) standard deviation.
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, libm::sqrt(var))
}

/// `method` on the samples of seeds `0..seeds`, each curve's mean absolute error against
/// `truth` (the exact curve, or [`Method::MiniSim`] at rate 1 — a full replay — at the same
/// `sizes`).
pub fn error_spread(
    trace: &DecodedTrace,
    policy: &str,
    method: Method,
    sizes: &[SizeSpec],
    truth: &[MrcPoint],
    seeds: u64,
) -> Result<ErrorSpread> {
    let mut errors = Vec::new();
    let mut keys = Vec::new();
    for seed in 0..seeds.max(1) {
        let report = curve("", trace, policy, method.with_seed(seed), sizes, false, 1)?;
        errors.push(mean_absolute_error(&report.points, truth));
        keys.push(report.sampled_keys as f64);
    }
    let (mean, sd) = mean_sd(&errors);
    let (sampled_keys, sampled_keys_sd) = mean_sd(&keys);
    Ok(ErrorSpread {
        mean,
        sd,
        min: errors.iter().cloned().fold(f64::INFINITY, f64::min),
        max: errors.iter().cloned().fold(0.0, f64::max),
        errors,
        sampled_keys,
        sampled_keys_sd,
    })
}

/// Mean absolute difference between two curves at the same capacities.
pub fn mean_absolute_error(a: &[MrcPoint], b: &[MrcPoint]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.miss_ratio - y.miss_ratio).abs())
        .sum::<f64>()
        / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::replay::Experiment;
    use crate::policy::sweep::run_decoded;
    use crate::workload::{Pattern, Synthetic};

    fn at(rate: f64) -> Sampler {
        Sampler { rate, seed: 0 }
    }

    fn zipf(requests: u64, keys: u64, seed: u64) -> DecodedTrace {
        let requests = Synthetic::new(Pattern::Zipf { keys, skew: 0.8 }, requests, seed)
            .unwrap()
            .map(Ok);
        DecodedTrace::decode(requests, u64::MAX).unwrap().unwrap()
    }

    #[test]
    fn exact_equals_a_replay_at_every_capacity() {
        let trace = zipf(30_000, 3_000, 5);
        let distances = StackDistances::of(&trace);
        let sizes: Vec<String> = (1..=60).map(|c| (c * 37).to_string()).collect();
        let experiment = Experiment::parse("lru", &sizes.join(","), false).unwrap();
        let report = run_decoded("z", &trace, &experiment, 1).unwrap();
        for row in &report.rows {
            assert_eq!(distances.misses_at(row.capacity), row.misses, "{row:?}");
        }
    }

    const ADJUSTMENTS: [Adjustment; 3] = [Adjustment::None, Adjustment::Adj, Adjustment::Strata];

    #[test]
    fn a_full_sample_is_exact_whatever_the_adjustment() {
        let trace = zipf(60_000, 5_000, 9);
        let sizes = sizes_or_default(None);
        let run = |policy, method| curve("z", &trace, policy, method, &sizes, false, 1).unwrap();
        let exact = run("lru", Method::Exact);
        let replay = run("arc", Method::MiniSim(at(1.0), Adjustment::None));
        for adjustment in ADJUSTMENTS {
            let full = run("lru", Method::ShardsRate(at(1.0), adjustment));
            assert!(mean_absolute_error(&exact.points, &full.points) < 1e-12);
            let full = run("arc", Method::MiniSim(at(1.0), adjustment));
            assert!(mean_absolute_error(&replay.points, &full.points) < 1e-12);
        }
        let sized = run(
            "lru",
            Method::ShardsSize {
                keys: NonZeroU64::new(1_000).unwrap(),
                seed: 0,
                adjustment: Adjustment::Adj,
            },
        );
        assert!(sized.rate < 0.3, "{}", sized.rate);
        // A sample larger than the keys tracks them all: the exact curve, through many
        // renumberings of the key stack's positions.
        let all = run(
            "lru",
            Method::ShardsSize {
                keys: NonZeroU64::new(1 << 20).unwrap(),
                seed: 0,
                adjustment: Adjustment::Adj,
            },
        );
        assert_eq!(all.sampled_keys, exact.unique_keys);
        assert!(mean_absolute_error(&exact.curve, &all.curve) < 1e-12);
        assert!(mean_absolute_error(&exact.points, &all.points) < 1e-12);
        assert_eq!(sized.sampled_keys, 1_000);
        let error = mean_absolute_error(&exact.points, &sized.points);
        assert!(error < 0.03, "{error}");
    }

    /// Fixed-size SHARDS holds its sample, whatever the trace: over 600,000 requests for 300,000
    /// keys, a sample of 1,000 tracks at most 1,000 keys in a window of at most 4,004 positions
    /// and a bucket a capacity of the curve.
    #[test]
    fn sized_shards_memory_is_bounded_by_its_sample() {
        let stats = TraceStats {
            requests: 600_000,
            unique_keys: 300_000,
            ..TraceStats::default()
        };
        let keys = NonZeroU64::new(1_000).unwrap();
        let mut shards = SizedShards::new("s", stats, keys, 0, Adjustment::Adj, &[10, 100]);
        for key in 0..300_000u64 {
            shards.access(key);
            shards.access(key / 3);
            assert!(shards.tracked.len() <= 1_000 && shards.stack.last.len() <= 1_000);
            assert!(shards.stack.room <= 4 * 1_001);
        }
        assert!(shards.curve.hits.len() <= CURVE_POINTS + 3);
        let report = shards.report();
        assert_eq!((report.sampled_keys, report.points.len()), (1_000, 2));
        assert!(report.rate < 0.01 && report.curve.len() > 150);
        // Its curve falls as the cache grows.
        let ratios: Vec<f64> = report.curve.iter().map(|p| p.miss_ratio).collect();
        assert!(ratios.windows(2).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn minisim_at_full_rate_is_a_replay() {
        let trace = zipf(20_000, 2_000, 11);
        let sizes = sizes_or_default(None);
        let method = Method::MiniSim(at(1.0), Adjustment::Adj);
        let report = curve("z", &trace, "arc", method, &sizes, false, 2).unwrap();
        let experiment = Experiment::parse("arc", "mrc", false).unwrap();
        let full = run_decoded("z", &trace, &experiment, 2).unwrap();
        for (p, r) in report.points.iter().zip(&full.rows) {
            assert_eq!(p.miss_ratio, r.miss_ratio);
        }
    }

    /// On a trace of 390,000 keys a 1 % sample holds about 3,900, and SHARDS at 1 % is within
    /// the issue's 0.01: with the strata 0.0066 at seed 0 (over 20 seeds 0.0056 on average, at
    /// most 0.0093); the paper's SHARDS-adj gives 0.0149 (0.019 on average: its error halves as
    /// the sampled keys quadruple, and reaches 0.01 at about 8,000), fixed-size SHARDS with 8,192
    /// keys 0.0153. Each bound is a little above what was measured (README, "Miss-ratio curves").
    #[test]
    fn shards_on_a_large_trace() {
        let trace = zipf(1_000_000, 1_000_000, 3);
        let sizes = sizes_or_default(None);
        let run = |method| curve("z", &trace, "lru", method, &sizes, false, 1).unwrap();
        let exact = run(Method::Exact);
        let sized = Method::ShardsSize {
            keys: NonZeroU64::new(8_192).unwrap(),
            seed: 0,
            adjustment: Adjustment::Adj,
        };
        for (method, bound) in [
            (Method::ShardsRate(at(0.01), Adjustment::Strata), 0.0075),
            (Method::ShardsRate(at(0.01), Adjustment::Adj), 0.016),
            (sized, 0.017),
        ] {
            let sampled = run(method);
            let error = mean_absolute_error(&exact.points, &sampled.points);
            println!(
                "{method:?}: keys {}, sampled {}, MAE {error:.4}",
                exact.unique_keys, sampled.sampled_keys
            );
            assert!(error <= bound, "{method:?}: {error}");
        }
    }

    /// Why 0.01 at 1 % is out of reach on the bundled trace (49,000 keys): a 1 % sample holds
    /// 481 ± 25 keys over 20 seeds (a Poisson count: its spread is about its square root), so
    /// the cold misses alone — 43 % of the requests, one a key — come out within ±5 %, ±0.02 of
    /// miss ratio at every size. Over those 20 samples the paper's SHARDS-adj averages 0.047 and
    /// none is within 0.01 (the best 0.013); the strata, which know how many keys of each
    /// popularity there are, average 0.017; at 10 % (4,900 keys) the two average 0.012 and
    /// 0.004.
    #[test]
    fn the_error_at_one_percent_on_the_bundled_trace_is_the_samples() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/traces/cloudphysics.csv");
        let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let trace = crate::policy::sweep::decode_file(path, Default::default(), file).unwrap();
        let sizes = sizes_or_default(None);
        let exact = curve("c", &trace, "lru", Method::Exact, &sizes, false, 1).unwrap();
        let spread = |rate, adjustment| {
            let method = Method::ShardsRate(at(rate), adjustment);
            error_spread(&trace, "lru", method, &sizes, &exact.points, 20).unwrap()
        };
        let adj = spread(0.01, Adjustment::Adj);
        let strata = spread(0.01, Adjustment::Strata);
        println!("adj {adj:?}\nstrata {strata:?}");
        assert!(
            (adj.sampled_keys - 490.0).abs() < 20.0,
            "{}",
            adj.sampled_keys
        );
        assert!((15.0..35.0).contains(&adj.sampled_keys_sd));
        assert!(adj.min > 0.012 && adj.mean > 0.04, "{adj:?}");
        assert!(
            strata.mean < 0.02 && strata.mean < adj.mean / 2.0,
            "{strata:?}"
        );
        let adj = spread(0.1, Adjustment::Adj);
        let strata = spread(0.1, Adjustment::Strata);
        assert!(
            adj.mean < 0.013 && strata.mean < 0.005,
            "{adj:?} {strata:?}"
        );
    }
}
