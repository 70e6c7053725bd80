//! W-TinyLFU (Einziger, Friedman and Manes), with libCacheSim's defaults: an LRU window of 1 % of
//! the capacity in front of a segmented-LRU main cache (probation 20 %, protected 80 % of main),
//! and a frequency sketch that decides whether the window's victim may displace main's victim.
//!
//! Not cross-checked against libCacheSim: its sketch (`minimalIncrementCBF`) is sized and hashed
//! differently, so counts can differ slightly. The sketch here is a count-min sketch of 4 rows with
//! 4-bit counters and conservative ("minimal") increment, halved every 10 × (main capacity)
//! requests so that old popularity fades (TinyLFU's reset).

use super::inspect::{items, Explain, List, Rule, Snapshot, LRU_FIRST};
use super::slots::{Queue, Slots};
use super::{Access, Evictor, FromCapacity};

/// Which segment a node is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    Window,
    Probation,
    Protected,
}

/// Approximate request counts in fixed memory: a count-min sketch with 4-bit counters.
///
/// ```
/// use cachelab::policy::FrequencySketch;
/// let mut sketch = FrequencySketch::new(1000);
/// for _ in 0..3 { sketch.increment(42); }
/// assert!(sketch.estimate(42) >= 3);
/// assert_eq!(sketch.estimate(7), 0);
/// ```
#[derive(Clone, Debug)]
pub struct FrequencySketch {
    counters: Vec<u8>,
    /// Width of a row minus one (widths are powers of two).
    mask: u64,
    samples: u64,
    reset_at: u64,
}

const SKETCH_ROWS: usize = 4;
const SKETCH_MAX: u8 = 15;
const ROW_SEEDS: [u64; SKETCH_ROWS] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0xD6E8_FEB8_6659_FD93,
];

impl FrequencySketch {
    /// A sketch for a cache of about `entries` objects: rows of `4 × entries` counters (rounded
    /// up to a power of two, between 64 and 2^22), so 16 counters an entry, close to the 14.4
    /// a counting Bloom filter needs for libCacheSim's 0.1 % error; halved every
    /// `10 × entries` requests, TinyLFU's sample size.
    pub fn new(entries: u64) -> Self {
        let entries = entries.clamp(16, 1 << 20);
        let width = (4 * entries).next_power_of_two();
        FrequencySketch {
            counters: vec![0; width as usize * SKETCH_ROWS],
            mask: width - 1,
            samples: 0,
            reset_at: 10 * entries,
        }
    }

    #[inline]
    fn index(&self, row: usize, key: u64) -> usize {
        let hash = (key ^ ROW_SEEDS[row]).wrapping_mul(ROW_SEEDS[(row + 1) % SKETCH_ROWS]);
        row * (self.mask as usize + 1) + ((hash >> 32) & self.mask) as usize
    }

    /// How often `key` was seen (an overestimate at worst, capped at 15).
    pub fn estimate(&self, key: u64) -> u8 {
        (0..SKETCH_ROWS)
            .map(|row| self.counters[self.index(row, key)])
            .min()
            .unwrap_or(0)
    }

    /// Counts one request for `key`, halving every counter each `10 × entries` requests.
    pub fn increment(&mut self, key: u64) {
        let least = self.estimate(key);
        if least < SKETCH_MAX {
            for row in 0..SKETCH_ROWS {
                let i = self.index(row, key);
                if self.counters[i] == least {
                    self.counters[i] += 1;
                }
            }
        }
        self.samples += 1;
        if self.samples >= self.reset_at {
            self.counters.iter_mut().for_each(|c| *c /= 2);
            self.samples /= 2;
        }
    }

    /// Bytes allocated for the counters.
    pub fn memory_bytes(&self) -> usize {
        self.counters.capacity()
    }
}

/// Window LRU + TinyLFU admission + segmented LRU main.
#[derive(Clone, Debug)]
pub struct WTinyLfu {
    slots: Slots<Segment>,
    window: Queue,
    probation: Queue,
    protected: Queue,
    window_share: u64,
    main_share: u64,
    protected_share: u64,
    sketch: FrequencySketch,
}

impl FromCapacity for WTinyLfu {
    fn with_capacity(capacity: u64) -> Self {
        let window_share = (capacity as f64 * 0.01) as u64;
        let main_share = capacity - window_share;
        WTinyLfu {
            slots: Slots::new(),
            window: Queue::default(),
            probation: Queue::default(),
            protected: Queue::default(),
            window_share,
            main_share,
            protected_share: (main_share as f64 * 0.8) as u64,
            sketch: FrequencySketch::new(main_share),
        }
    }
}

impl WTinyLfu {
    /// A segment's queue and the arena its nodes live in, borrowed together.
    fn parts(&mut self, segment: Segment) -> (&mut Queue, &mut Slots<Segment>) {
        let queue = match segment {
            Segment::Window => &mut self.window,
            Segment::Probation => &mut self.probation,
            Segment::Protected => &mut self.protected,
        };
        (queue, &mut self.slots)
    }

    fn main_units(&self) -> u64 {
        self.probation.units() + self.protected.units()
    }

    /// Moves `slot` from its segment to the head of `to`.
    fn shift(&mut self, slot: u32, to: Segment) {
        let (queue, slots) = self.parts(self.slots.node(slot).meta);
        queue.unlink(slots, slot);
        slots.node_mut(slot).meta = to;
        let (queue, slots) = self.parts(to);
        queue.push_head(slots, slot);
    }

    fn drop_slot(&mut self, slot: u32, evicted: &mut Vec<u64>) -> u64 {
        let (queue, slots) = self.parts(self.slots.node(slot).meta);
        queue.unlink(slots, slot);
        let key = slots.node(slot).key;
        evicted.push(key);
        slots.remove(slot);
        key
    }

    /// A segment's objects from the LRU end with their sketch estimates, for snapshots.
    fn segment(&self, name: &'static str, queue: &Queue, share: u64) -> List {
        let order = queue
            .oldest_first(&self.slots)
            .map(|n| (n.key, Some(u64::from(self.sketch.estimate(n.key)))));
        List::row(name, items(order))
            .marked("estimate")
            .share(share)
            .ordered(LRU_FIRST)
    }

    /// Main's eviction candidate: probation's LRU, else protected's.
    fn main_victim(&self) -> Option<u32> {
        self.probation.tail().or(self.protected.tail())
    }
}

impl Evictor for WTinyLfu {
    const NAME: &'static str = "wtinylfu";
    const ON_HIT: &'static str = "the sketch counts the request; the object moves to the MRU end of its segment (from probation into protected)";
    const ON_INSERT: &'static str =
        "the sketch counts the request; the object enters the window at its MRU end";

    fn lookup(&mut self, request: &Access, _why: &mut impl Explain) -> bool {
        self.sketch.increment(request.key);
        let Some(slot) = self.slots.find(request.key) else {
            return false;
        };
        match self.slots.node(slot).meta {
            Segment::Window => self.window.move_to_head(&mut self.slots, slot),
            Segment::Protected => self.protected.move_to_head(&mut self.slots, slot),
            Segment::Probation => {
                self.shift(slot, Segment::Protected);
                while self.protected.units() > self.protected_share {
                    match self.protected.tail() {
                        Some(demoted) => self.shift(demoted, Segment::Probation),
                        None => break,
                    }
                }
            }
        }
        true
    }

    /// The incoming object will enter the window, so while the window would then exceed its
    /// share, its LRU object (the candidate) leaves: into main's probation segment if main has
    /// room, else through a duel with main's victim that the more frequent one (by the sketch)
    /// wins, ties going to the incumbent. With the window within its share, main's victim goes.
    fn evict(&mut self, size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        while self.window.units() + u64::from(size) > self.window_share {
            let Some(candidate) = self.window.tail() else {
                break;
            };
            let candidate_size = u64::from(self.slots.node(candidate).size);
            if self.main_units() + candidate_size <= self.main_share {
                self.shift(candidate, Segment::Probation);
                continue;
            }
            let Some(victim) = self.main_victim() else {
                let victim = self.drop_slot(candidate, evicted);
                return why.note(|| Rule::WindowOut { victim });
            };
            let (candidate_key, victim_key) =
                (self.slots.node(candidate).key, self.slots.node(victim).key);
            let candidate_freq = self.sketch.estimate(candidate_key);
            let victim_freq = self.sketch.estimate(victim_key);
            let admitted = candidate_freq > victim_freq;
            if admitted {
                self.drop_slot(victim, evicted);
                self.shift(candidate, Segment::Probation);
            } else {
                self.drop_slot(candidate, evicted);
            }
            return why.note(|| Rule::Admission {
                candidate: candidate_key,
                victim: victim_key,
                candidate_estimate: candidate_freq,
                victim_estimate: victim_freq,
                admitted,
            });
        }
        if let Some(victim) = self.main_victim() {
            let victim = self.drop_slot(victim, evicted);
            why.note(|| Rule::MainVictim { victim });
        } else if let Some(victim) = self.window.tail() {
            let victim = self.drop_slot(victim, evicted);
            why.note(|| Rule::WindowOut { victim });
        }
    }

    fn insert(&mut self, request: &Access, size: u32) {
        let slot = self.slots.add(request.key, size, Segment::Window);
        self.window.push_head(&mut self.slots, slot);
    }

    fn used(&self) -> u64 {
        self.window.units() + self.main_units()
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes() + self.sketch.memory_bytes()
    }

    fn snapshot(&self) -> Snapshot {
        let probation_share = self.main_share - self.protected_share;
        Snapshot {
            lists: vec![
                self.segment("window", &self.window, self.window_share),
                self.segment("probation", &self.probation, probation_share),
                self.segment("protected", &self.protected, self.protected_share),
            ],
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::replay::replay;
    use crate::policy::{build, Access, Capacity};
    use std::num::NonZeroU64;

    #[test]
    fn a_scan_does_not_flush_the_popular_keys() {
        // 50 popular keys requested often, then a scan of 500 new keys (five times the cache),
        // then the popular keys again: the sketch refuses the scan's keys admission, so
        // W-TinyLFU keeps most popular keys while LRU has lost them all.
        let popular: Vec<u64> = (0..20).flat_map(|_| 0..50).collect();
        let scan = 1_000..1_500;
        let trace: Vec<Access> = popular
            .iter()
            .copied()
            .chain(scan)
            .chain(0..50)
            .map(|k| Access::new(k, 1))
            .collect();
        let capacity = Capacity::Objects(NonZeroU64::new(100).unwrap());
        let tail_misses = |name| {
            let mut cache = build(name, capacity).unwrap();
            let all = replay(cache.as_mut(), trace[..trace.len() - 50].iter().copied());
            let end = replay(cache.as_mut(), trace[trace.len() - 50..].iter().copied());
            assert!(all.misses >= 550);
            end.misses
        };
        assert_eq!(tail_misses("lru"), 50);
        assert!(tail_misses("wtinylfu") < 10, "{}", tail_misses("wtinylfu"));
    }
}
