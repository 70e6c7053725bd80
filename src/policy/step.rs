//! Stepping through a small cache one request at a time: for each request, hit or miss, what was
//! inserted and evicted, the rule behind it in words, and the policy's complete state after it.
//!
//! The steps come from the same [`Cache`](super::Cache) and evictors the replay runs, through
//! [`Policy::access_explained`] and [`Policy::snapshot`], which the replay never calls (see
//! [`inspect`](super::inspect)). Caches are limited to [`MAX_STEP_CAPACITY`] objects and
//! sequences to [`MAX_STEP_REQUESTS`] keys, since every step holds a copy of the whole state.

use super::inspect::{Rule, Snapshot};
use super::{build, Access, Capacity, Policy};
use crate::error::{Error, Result};
use crate::workload::{Pattern, Request, Synthetic};
use serde::Serialize;
use std::num::NonZeroU64;

/// The largest cache one can step through, in objects.
pub const MAX_STEP_CAPACITY: u64 = 64;
/// The longest key sequence one can step through.
pub const MAX_STEP_REQUESTS: usize = 2_000;
/// The largest key in a typed sequence (keys are shown in boxes, so they stay short).
pub const MAX_STEP_KEY: u64 = 999_999;

/// What one request did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Position of the request in the sequence, from 0.
    pub index: usize,
    /// The requested key.
    pub key: u64,
    /// Whether it was cached.
    pub hit: bool,
    /// The key inserted (the request's, on a miss), if any.
    pub inserted: Option<u64>,
    /// The keys evicted, in order.
    pub evicted: Vec<u64>,
    /// What happened and the rule that chose each victim, one sentence each.
    pub reason: String,
    /// The same as data.
    pub rules: Vec<Rule>,
    /// The policy's state after the request.
    pub state: Snapshot,
}

/// A whole sequence stepped through one policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Steps {
    /// The policy's canonical name.
    pub policy: &'static str,
    /// The capacity in objects.
    pub capacity: u64,
    /// The empty cache's state, before the first request.
    pub initial: Snapshot,
    /// One entry per request.
    pub steps: Vec<Step>,
}

impl Steps {
    /// The misses that evicted something.
    pub fn evicting_misses(&self) -> usize {
        self.steps.iter().filter(|s| !s.evicted.is_empty()).count()
    }
}

/// Checks a cache size for stepping: 1 to [`MAX_STEP_CAPACITY`] objects.
pub fn check_capacity(size: u64) -> Result<Capacity> {
    NonZeroU64::new(size)
        .filter(|n| n.get() <= MAX_STEP_CAPACITY)
        .map(Capacity::Objects)
        .ok_or_else(|| Error::OutOfRange {
            name: "size".into(),
            value: size as f64,
            min: 1.0,
            max: MAX_STEP_CAPACITY as f64,
            unit: "objects",
        })
}

/// Checks a sequence's length: 1 to [`MAX_STEP_REQUESTS`] keys.
fn check_length(keys: usize) -> Result<()> {
    if (1..=MAX_STEP_REQUESTS).contains(&keys) {
        return Ok(());
    }
    Err(Error::OutOfRange {
        name: "keys".into(),
        value: keys as f64,
        min: 1.0,
        max: MAX_STEP_REQUESTS as f64,
        unit: "keys in the sequence",
    })
}

/// Keys as requests of size 1, one per time unit (what the stepper replays).
pub fn requests_of(keys: &[u64]) -> Vec<Request> {
    keys.iter()
        .enumerate()
        .map(|(i, &key)| Request {
            time: i as u64,
            key,
            size: 1,
        })
        .collect()
}

/// Parses a typed key sequence: numbers from 0 to [`MAX_STEP_KEY`] separated by spaces or
/// commas, 1 to [`MAX_STEP_REQUESTS`] of them.
///
/// ```
/// use cachelab::policy::step::parse_keys;
/// assert_eq!(parse_keys("1 2, 3\n1").unwrap(), [1, 2, 3, 1]);
/// assert!(parse_keys("1 two").unwrap_err().to_string().contains("two"));
/// assert!(parse_keys(" ").is_err());
/// ```
pub fn parse_keys(text: &str) -> Result<Vec<u64>> {
    let words: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    check_length(words.len())?;
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            word.parse::<u64>()
                .ok()
                .filter(|&k| k <= MAX_STEP_KEY)
                .ok_or_else(|| Error::Parse {
                    what: format!("keys, item {}", i + 1),
                    detail: format!("{word:?} is not a whole number from 0 to {MAX_STEP_KEY}"),
                })
        })
        .collect()
}

/// Steps `keys` through the policy `policy` (any name [`build`] knows) with room for `size`
/// objects.
///
/// ```
/// use cachelab::policy::step::step_through;
/// let steps = step_through("lru", 2, &[1, 2, 1, 3]).unwrap();
/// assert_eq!(steps.steps[3].evicted, [2]);
/// assert_eq!(steps.steps[3].state.lists[0].keys(), [1, 3]);
/// assert!(steps.steps[3].reason.contains("least recently used"));
/// ```
pub fn step_through(policy: &str, size: u64, keys: &[u64]) -> Result<Steps> {
    let capacity = check_capacity(size)?;
    check_length(keys.len())?;
    let mut cache = build(policy, capacity)?;
    let requests = requests_of(keys);
    let initial = cache.snapshot();
    let mut steps = Vec::with_capacity(keys.len());
    for (index, access) in Access::from_trace(&requests).iter().enumerate() {
        steps.push(step_one(cache.as_mut(), index, access));
    }
    Ok(Steps {
        policy: cache.name(),
        capacity: size,
        initial,
        steps,
    })
}

/// Serves one request through `cache` and describes it.
pub fn step_one(cache: &mut dyn Policy, index: usize, access: &Access) -> Step {
    let (mut evicted, mut rules) = (Vec::new(), Vec::new());
    let outcome = cache.access_explained(access, &mut evicted, &mut rules);
    // What happened to the request first (hit, ghost hit, where it goes), then why each victim.
    let (victims, request): (Vec<&Rule>, Vec<&Rule>) =
        rules.iter().partition(|r| r.evicts().is_some());
    let reason = request
        .into_iter()
        .chain(victims)
        .map(Rule::sentence)
        .collect::<Vec<_>>()
        .join(" ");
    Step {
        index,
        key: access.key,
        hit: outcome.is_hit(),
        inserted: (outcome == super::Outcome::Inserted).then_some(access.key),
        evicted,
        reason,
        rules,
        state: cache.snapshot(),
    }
}

/// A size given as a JavaScript number: a whole number of objects from 1 to
/// [`MAX_STEP_CAPACITY`].
pub fn size_from_number(value: f64) -> Result<u64> {
    if value.fract() != 0.0 || !(1.0..=MAX_STEP_CAPACITY as f64).contains(&value) {
        return Err(Error::OutOfRange {
            name: "size".into(),
            value,
            min: 1.0,
            max: MAX_STEP_CAPACITY as f64,
            unit: "objects (a whole number)",
        });
    }
    Ok(value as u64)
}

/// The first requests of a trace as keys: at most [`MAX_STEP_REQUESTS`] of them (a longer
/// trace is refused, naming the limit).
pub fn keys_from_trace(
    reader: impl Iterator<Item = Result<crate::workload::Request>>,
) -> Result<Vec<u64>> {
    let mut keys = Vec::new();
    for request in reader {
        if keys.len() == MAX_STEP_REQUESTS {
            return Err(Error::LimitExceeded {
                what: "requests in a trace to step through (cut it with `head`)".into(),
                limit: MAX_STEP_REQUESTS as u64,
                got: MAX_STEP_REQUESTS as u64 + 1,
            });
        }
        keys.push(request?.key);
    }
    Ok(keys)
}

/// A key sequence as typed: a ready-made [`Preset`] by name, or keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sequence {
    Preset(Preset),
    Keys(Vec<u64>),
}

impl Sequence {
    /// A preset's name, or keys as [`parse_keys`] reads them.
    ///
    /// ```
    /// use cachelab::policy::step::{Preset, Sequence};
    /// assert_eq!(Sequence::parse("loop").unwrap(), Sequence::Preset(Preset::Loop));
    /// assert_eq!(Sequence::parse("4 5").unwrap(), Sequence::Keys(vec![4, 5]));
    /// ```
    pub fn parse(text: &str) -> Result<Sequence> {
        match Preset::parse(text) {
            Ok(preset) => Ok(Sequence::Preset(preset)),
            Err(_) => parse_keys(text).map(Sequence::Keys),
        }
    }

    /// The keys, for a cache of `size` objects where the sequence is a preset.
    pub fn keys(self, size: u64, seed: u64) -> Result<Vec<u64>> {
        match self {
            Sequence::Preset(preset) => preset.keys(size, seed),
            Sequence::Keys(keys) => Ok(keys),
        }
    }
}

impl std::fmt::Display for Step {
    /// `#3 key 7: miss, evicted 2. <reason>` and the state, one list a line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.hit { "hit" } else { "miss" };
        write!(f, "#{} key {}: {what}", self.index, self.key)?;
        if !self.evicted.is_empty() {
            let evicted: Vec<String> = self.evicted.iter().map(u64::to_string).collect();
            write!(f, ", evicted {}", evicted.join(" "))?;
        }
        writeln!(f, ". {}", self.reason)?;
        write!(f, "{}", self.state)
    }
}

/// Ready-made sequences that show the policies apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// A loop over one key more than the cache holds: LRU and FIFO miss every time.
    Loop,
    /// A hot set requested over and over, with a scan of new keys in the middle.
    Scan,
    /// A Zipf sample over three times as many keys as the cache holds.
    Zipf,
    /// Popular keys between bursts of keys requested once each.
    OneHitWonders,
}

impl Preset {
    /// Every preset, in the order the page lists them.
    pub const ALL: [Preset; 4] = [
        Preset::Loop,
        Preset::Scan,
        Preset::Zipf,
        Preset::OneHitWonders,
    ];

    /// The preset's name, as the CLI and the page spell it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Loop => "loop",
            Preset::Scan => "scan",
            Preset::Zipf => "zipf",
            Preset::OneHitWonders => "one-hit-wonders",
        }
    }

    /// The preset called `name`.
    pub fn parse(name: &str) -> Result<Preset> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == name.trim())
            .ok_or_else(|| Error::UnknownName {
                kind: "sequence",
                name: name.to_string(),
                known: Preset::ALL.iter().map(|p| p.name().to_string()).collect(),
            })
    }

    /// The sequence for a cache of `size` objects (1 to [`MAX_STEP_CAPACITY`]), drawn with
    /// `seed` where it is random.
    ///
    /// ```
    /// use cachelab::policy::step::Preset;
    /// assert_eq!(Preset::Loop.keys(3, 1).unwrap()[..6], [1, 2, 3, 4, 1, 2]);
    /// ```
    pub fn keys(self, size: u64, seed: u64) -> Result<Vec<u64>> {
        let size = check_capacity(size)?.units();
        let keys = match self {
            Preset::Loop => (0..3 * (size + 1)).map(|i| 1 + i % (size + 1)).collect(),
            Preset::Scan => {
                let hot = size.div_ceil(2);
                let round = |_| 1..=hot;
                let warm = (0..3).flat_map(round);
                let scan = 100..100 + 2 * size;
                warm.clone().chain(scan).chain(warm).collect()
            }
            Preset::Zipf => Synthetic::new(
                Pattern::Zipf {
                    keys: 3 * size,
                    skew: 1.0,
                },
                6 * size,
                seed,
            )?
            .map(|r| 1 + r.key)
            .collect(),
            Preset::OneHitWonders => {
                // Each round: the popular keys twice, then a burst of as many new keys as the
                // cache holds, each requested once.
                let popular = size.div_ceil(2);
                (0..4)
                    .flat_map(|round| {
                        let burst = (0..size).map(move |i| 100 + round * size + i);
                        (1..=popular).chain(1..=popular).chain(burst)
                    })
                    .collect()
            }
        };
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_sequences_out_of_range_are_refused_by_name() {
        let err = step_through("lru", 65, &[1]).unwrap_err().to_string();
        assert!(err.contains("size") && err.contains("64"), "{err}");
        assert!(step_through("lru", 0, &[1]).is_err());
        let err = step_through("lru", 4, &[]).unwrap_err().to_string();
        assert!(err.contains("keys"), "{err}");
        assert!(step_through("nope", 4, &[1]).is_err());
        assert!(Preset::parse("loops").is_err());
    }

    #[test]
    fn every_preset_fits_the_limits_at_every_size() {
        for preset in Preset::ALL {
            for size in [1, 5, MAX_STEP_CAPACITY] {
                let keys = preset.keys(size, 7).unwrap();
                assert!(!keys.is_empty() && keys.len() <= MAX_STEP_REQUESTS);
                assert!(keys.iter().all(|&k| k <= MAX_STEP_KEY));
            }
        }
    }

    #[test]
    fn a_loop_one_larger_than_the_cache_defeats_lru() {
        let keys = Preset::Loop.keys(4, 1).unwrap();
        let steps = step_through("lru", 4, &keys).unwrap();
        assert!(steps.steps.iter().all(|s| !s.hit));
        assert_eq!(steps.evicting_misses(), keys.len() - 4);
    }
}
