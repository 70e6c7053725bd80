//! S3-FIFO (libCacheSim's `S3FIFO-0.1000-2`): a small FIFO that filters one-hit wonders, a main
//! FIFO with reinsertion, and a ghost FIFO of recently filtered keys.
//!
//! Most objects in real traces are requested once. They enter the small queue (10 % of the
//! capacity) and leave it quickly, leaving only their key in the ghost. Objects requested again
//! while in small, or whose key is still in the ghost, earn a place in main, which evicts like
//! CLOCK with a 2-bit counter.

use super::slots::{Queue, Ring, Slots, NIL};
use super::{Access, Evictor, FromCapacity};

/// Which queue a node is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Small,
    Main,
    Ghost,
}

#[derive(Clone, Copy, Debug)]
struct Meta {
    /// Hits since insertion or the last reinsertion. Only `min(freq, 3)` and `freq >= 2` matter,
    /// so saturating at 255 changes nothing.
    freq: u8,
    place: Place,
}

/// Small-queue objects with at least this many hits move to main.
const MOVE_TO_MAIN_THRESHOLD: u8 = 2;

/// S3-FIFO with a 10 % small queue and a ghost of 90 % of the capacity.
#[derive(Clone, Debug)]
pub struct S3Fifo {
    slots: Slots<Meta>,
    small: Queue,
    /// A circle, so that giving an object another round is one pointer move.
    main: Ring,
    ghost: Queue,
    main_share: u64,
    ghost_capacity: u64,
    /// The node of a key the last lookup found in the ghost (`NIL` if none): already unlinked
    /// from the ghost, kept in the index so that the insert that follows can reuse it as a main
    /// entry without another hash-table update.
    ghost_hit: u32,
}

impl FromCapacity for S3Fifo {
    fn with_capacity(capacity: u64) -> Self {
        // libCacheSim truncates both products to integers.
        let small_share = (capacity as f64 * 0.1) as u64;
        S3Fifo {
            slots: Slots::new(),
            small: Queue::default(),
            main: Ring::default(),
            ghost: Queue::default(),
            main_share: capacity - small_share,
            ghost_capacity: (capacity as f64 * 0.9) as u64,
            ghost_hit: NIL,
        }
    }
}

impl S3Fifo {
    /// Pops small's oldest objects, promoting those hit often enough, until one is dropped (its
    /// key goes to the ghost) or small is empty.
    fn evict_small(&mut self, evicted: &mut Vec<u64>) {
        while let Some(slot) = self.small.pop_tail(&mut self.slots) {
            let node = self.slots.node_mut(slot);
            if node.meta.freq >= MOVE_TO_MAIN_THRESHOLD {
                node.meta = Meta {
                    freq: 0,
                    place: Place::Main,
                };
                self.main.push_newest(&mut self.slots, slot);
                continue;
            }
            evicted.push(node.key);
            node.meta = Meta {
                freq: 0,
                place: Place::Ghost,
            };
            let size = u64::from(node.size);
            if size > self.ghost_capacity {
                self.slots.remove(slot);
                return;
            }
            while self.ghost.units() + size > self.ghost_capacity {
                match self.ghost.pop_tail(&mut self.slots) {
                    Some(old) => self.slots.remove(old),
                    None => break,
                }
            }
            self.ghost.push_head(&mut self.slots, slot);
            return;
        }
    }

    /// Pops main's oldest objects, reinserting those hit since their last pass with a lower
    /// count, until one with no hits is dropped.
    fn evict_main(&mut self, evicted: &mut Vec<u64>) {
        while let Some(slot) = self.main.oldest() {
            let node = self.slots.node_mut(slot);
            if node.meta.freq >= 1 {
                node.meta.freq = node.meta.freq.min(3) - 1;
                self.main.rotate(&self.slots);
                continue;
            }
            evicted.push(node.key);
            self.main.unlink(&mut self.slots, slot);
            self.slots.remove(slot);
            return;
        }
    }
}

impl Evictor for S3Fifo {
    const NAME: &'static str = "s3fifo";

    #[inline]
    fn lookup(&mut self, request: &Access) -> bool {
        if self.ghost_hit != NIL {
            // The previous ghost hit was too large to insert: forget it now.
            self.slots.remove(self.ghost_hit);
            self.ghost_hit = NIL;
        }
        let Some(slot) = self.slots.find(request.key) else {
            return false;
        };
        let node = self.slots.node_mut(slot);
        if node.meta.place == Place::Ghost {
            self.ghost.unlink(&mut self.slots, slot);
            self.ghost_hit = slot;
            return false;
        }
        node.meta.freq = node.meta.freq.saturating_add(1);
        true
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>) {
        if self.main.units() > self.main_share || self.small.is_empty() {
            self.evict_main(evicted);
        } else {
            self.evict_small(evicted);
        }
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        if self.ghost_hit == NIL {
            let small = Meta {
                freq: 0,
                place: Place::Small,
            };
            let slot = self.slots.add(request.key, size, small);
            self.small.push_head(&mut self.slots, slot);
        } else {
            let slot = std::mem::replace(&mut self.ghost_hit, NIL);
            let node = self.slots.node_mut(slot);
            node.size = size;
            node.meta = Meta {
                freq: 0,
                place: Place::Main,
            };
            self.main.push_newest(&mut self.slots, slot);
        }
    }

    fn used(&self) -> u64 {
        self.small.units() + self.main.units()
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cache: &mut S3Fifo, capacity: u64, keys: &[u64]) -> Vec<u64> {
        let mut evicted = Vec::new();
        for &key in keys {
            let a = Access::new(key, 1);
            if !cache.lookup(&a) {
                while cache.used() + 1 > capacity {
                    cache.evict(1, &mut evicted);
                }
                cache.insert(&a, 1);
            }
        }
        evicted
    }

    #[test]
    fn one_hit_wonders_leave_through_small_and_ghost_hits_enter_main() {
        let mut cache = S3Fifo::with_capacity(10);
        assert_eq!((cache.main_share, cache.ghost_capacity), (9, 9));
        // 0..10 fill the cache (all in small, since nothing was seen before); 10 evicts 0,
        // whose key moves to the ghost.
        assert_eq!(run(&mut cache, 10, &(0..11).collect::<Vec<_>>()), [0]);
        let zero = cache.slots.find(0).unwrap();
        assert_eq!(cache.slots.node(zero).meta.place, Place::Ghost);
        // 0 again: a ghost hit, so it is inserted straight into main.
        run(&mut cache, 10, &[0]);
        let zero = cache.slots.find(0).unwrap();
        assert_eq!(cache.slots.node(zero).meta.place, Place::Main);
        assert_eq!(cache.ghost.units(), 1, "1 went to the ghost to make room");
    }

    #[test]
    fn objects_hit_twice_in_small_are_promoted_with_a_fresh_count() {
        let mut cache = S3Fifo::with_capacity(10);
        run(&mut cache, 10, &[0, 0, 0]);
        run(&mut cache, 10, &(1..11).collect::<Vec<_>>());
        let zero = cache.slots.find(0).unwrap();
        let meta = cache.slots.node(zero).meta;
        assert_eq!((meta.place, meta.freq), (Place::Main, 0));
    }
}
