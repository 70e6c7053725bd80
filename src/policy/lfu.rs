//! LFU in O(1): a list of frequency levels in increasing order, each with a queue of the objects
//! at that frequency (the O(1) LFU of Shah, Mitra and Matani).
//!
//! As in libCacheSim, a frequency lives only while the object is cached (1 on insert, forgotten
//! on eviction, no aging). Among objects of the lowest frequency, the one that reached that
//! frequency first goes first.
//!
//! Only frequencies that some cached object has get a level, so memory stays proportional to the
//! cache, however often a key is requested.

use super::inspect::{items, Explain, List, Rule, Snapshot};
use super::slots::{Queue, Slots, NIL};
use super::{Access, Evictor, FromCapacity};

/// The order of LFU's snapshot.
pub const LOWEST_FIRST: &str = "lowest → highest frequency (ties: earliest to reach it first)";

/// One frequency that at least one cached object has.
#[derive(Clone, Copy, Debug)]
struct Level {
    freq: u32,
    objects: Queue,
    /// The next lower and higher levels (`NIL` at the ends); a freed level's `higher` links the
    /// free list.
    lower: u32,
    higher: u32,
}

/// Least frequently used, ties broken by time of entering the frequency.
#[derive(Clone, Debug)]
pub struct Lfu {
    /// Node metadata is the index of the object's level.
    slots: Slots<u32>,
    levels: Vec<Level>,
    /// The lowest level (`NIL` when empty).
    lowest: u32,
    free_levels: u32,
    used: u64,
}

impl FromCapacity for Lfu {
    fn with_capacity(_capacity: u64) -> Self {
        Lfu {
            slots: Slots::new(),
            levels: Vec::new(),
            lowest: NIL,
            free_levels: NIL,
            used: 0,
        }
    }
}

impl Lfu {
    /// A new, empty level for `freq` linked between `lower` and `higher` (either may be `NIL`).
    fn new_level(&mut self, freq: u32, lower: u32, higher: u32) -> u32 {
        let level = Level {
            freq,
            objects: Queue::default(),
            lower,
            higher,
        };
        let index = if self.free_levels == NIL {
            self.levels.push(level);
            (self.levels.len() - 1) as u32
        } else {
            let index = self.free_levels;
            self.free_levels = self.levels[index as usize].higher;
            self.levels[index as usize] = level;
            index
        };
        match lower {
            NIL => self.lowest = index,
            _ => self.levels[lower as usize].higher = index,
        }
        if higher != NIL {
            self.levels[higher as usize].lower = index;
        }
        index
    }

    /// Unlinks and frees `index` if no object is left at that frequency.
    fn drop_if_empty(&mut self, index: u32) {
        let Level {
            objects,
            lower,
            higher,
            ..
        } = self.levels[index as usize];
        if !objects.is_empty() {
            return;
        }
        match lower {
            NIL => self.lowest = higher,
            _ => self.levels[lower as usize].higher = higher,
        }
        if higher != NIL {
            self.levels[higher as usize].lower = lower;
        }
        self.levels[index as usize].higher = self.free_levels;
        self.free_levels = index;
    }
}

impl Evictor for Lfu {
    const NAME: &'static str = "lfu";
    const ON_HIT: &'static str = "LFU adds one to the object's frequency";
    const ON_INSERT: &'static str = "the object enters with frequency 1";

    #[inline]
    fn lookup(&mut self, request: &Access, _why: &mut impl Explain) -> bool {
        let Some(slot) = self.slots.find(request.key) else {
            return false;
        };
        let from = self.slots.node(slot).meta;
        let Level { freq, higher, .. } = self.levels[from as usize];
        let to = if higher != NIL && self.levels[higher as usize].freq == freq + 1 {
            higher
        } else {
            self.new_level(freq.saturating_add(1), from, higher)
        };
        self.levels[from as usize]
            .objects
            .unlink(&mut self.slots, slot);
        self.levels[to as usize]
            .objects
            .push_head(&mut self.slots, slot);
        self.slots.node_mut(slot).meta = to;
        self.drop_if_empty(from);
        true
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        let lowest = self.lowest;
        if lowest == NIL {
            return;
        }
        if let Some(slot) = self.levels[lowest as usize]
            .objects
            .pop_tail(&mut self.slots)
        {
            let node = *self.slots.node(slot);
            self.used -= u64::from(node.size);
            evicted.push(node.key);
            why.note(|| Rule::LeastFrequent {
                victim: node.key,
                freq: self.levels[lowest as usize].freq,
            });
            self.slots.remove(slot);
        }
        self.drop_if_empty(lowest);
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        let lowest = self.lowest;
        let level = if lowest != NIL && self.levels[lowest as usize].freq == 1 {
            lowest
        } else {
            self.new_level(1, NIL, lowest)
        };
        let slot = self.slots.add(request.key, size, level);
        self.levels[level as usize]
            .objects
            .push_head(&mut self.slots, slot);
        self.used += u64::from(size);
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes() + self.levels.capacity() * std::mem::size_of::<Level>()
    }

    fn snapshot(&self) -> Snapshot {
        let mut order = Vec::new();
        let mut at = self.lowest;
        while at != NIL {
            let level = &self.levels[at as usize];
            let freq = u64::from(level.freq);
            order.extend(
                level
                    .objects
                    .oldest_first(&self.slots)
                    .map(|n| (n.key, Some(freq))),
            );
            at = level.higher;
        }
        Snapshot {
            lists: vec![List::row("by frequency", items(order))
                .marked("freq")
                .ordered(LOWEST_FIRST)],
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::{build, Access, Capacity};
    use std::num::NonZeroU64;

    #[test]
    fn the_least_frequent_goes_first_and_ties_go_to_the_earliest_arrival() {
        let mut lfu = build("lfu", Capacity::Objects(NonZeroU64::new(3).unwrap())).unwrap();
        let mut evicted = Vec::new();
        // 1 twice (freq 2); 2 and 3 once each, 2 arrived first at freq 1.
        for k in [1, 1, 2, 3, 4, 5] {
            lfu.access(&Access::new(k, 1), &mut evicted);
        }
        assert_eq!(evicted, [2, 3]);
    }

    #[test]
    fn levels_follow_the_cached_objects_not_the_request_count() {
        use crate::policy::{Evictor, FromCapacity};
        let mut lfu = super::Lfu::with_capacity(2);
        for _ in 0..100_000 {
            if !lfu.lookup(&Access::new(7, 1), &mut ()) {
                lfu.insert(&Access::new(7, 1), 1);
            }
        }
        assert!(
            lfu.levels.capacity() <= 4,
            "{} levels",
            lfu.levels.capacity()
        );
        let top = lfu.slots.node(lfu.slots.find(7).unwrap()).meta;
        assert_eq!(lfu.levels[top as usize].freq, 100_000);
    }
}
