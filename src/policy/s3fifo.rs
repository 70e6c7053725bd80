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
