//! LFU in O(1): one queue per frequency, and the lowest non-empty frequency remembered.
//!
//! As in libCacheSim, a frequency lives only while the object is cached (1 on insert, forgotten
//! on eviction, no aging). Among objects of the lowest frequency, the one that reached that
//! frequency first goes first.
//!
//! The bucket vector is indexed by frequency, so it costs 24 bytes per level up to the highest
//! frequency any cached object reaches (82,362 levels, 2 MB, for `zipf.csv`'s most popular key):
//! simple and branch-free, but a trace that requests one key hundreds of millions of times would
//! need a list of non-empty levels instead.

use super::slots::{Queue, Slots};
use super::{Access, Evictor, FromCapacity};

/// Least frequently used, ties broken by time of entering the frequency.
#[derive(Clone, Debug)]
pub struct Lfu {
    /// Node metadata is the object's frequency.
    slots: Slots<u32>,
    /// `buckets[f]` holds the objects of frequency `f` (index 0 is unused).
    buckets: Vec<Queue>,
    /// No bucket below this one holds an object.
    min_freq: usize,
    used: u64,
}

impl FromCapacity for Lfu {
    fn with_capacity(_capacity: u64) -> Self {
        Lfu {
            slots: Slots::new(),
            buckets: vec![Queue::default(); 2],
            min_freq: 1,
            used: 0,
        }
    }
}

impl Evictor for Lfu {
    const NAME: &'static str = "lfu";

    #[inline]
    fn lookup(&mut self, request: &Access) -> bool {
        let Some(slot) = self.slots.find(request.key) else {
            return false;
        };
        let freq = self.slots.node(slot).meta as usize;
        self.buckets[freq].unlink(&mut self.slots, slot);
        if freq + 1 == self.buckets.len() {
            self.buckets.push(Queue::default());
        }
        self.slots.node_mut(slot).meta += 1;
        self.buckets[freq + 1].push_head(&mut self.slots, slot);
        if self.min_freq == freq && self.buckets[freq].is_empty() {
            self.min_freq = freq + 1;
        }
        true
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>) {
        while self.min_freq < self.buckets.len() {
            if let Some(slot) = self.buckets[self.min_freq].pop_tail(&mut self.slots) {
                let node = *self.slots.node(slot);
                self.used -= u64::from(node.size);
                evicted.push(node.key);
                self.slots.remove(slot);
                return;
            }
            self.min_freq += 1;
        }
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        let slot = self.slots.add(request.key, size, 1);
        self.buckets[1].push_head(&mut self.slots, slot);
        self.min_freq = 1;
        self.used += u64::from(size);
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes() + self.buckets.capacity() * std::mem::size_of::<Queue>()
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
}
