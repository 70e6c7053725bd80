//! CLOCK and SIEVE: FIFO queues with one "visited" bit per object, which differ in what happens to
//! a visited object when eviction reaches it.
//!
//! CLOCK (libCacheSim's `Clock` with a 1-bit counter, also called FIFO-reinsertion or second
//! chance) moves a visited tail back to the head, clearing its bit. SIEVE leaves objects where
//! they are and moves a hand instead: new objects keep arriving at the head while survivors stay
//! put, which sorts popular objects away from the eviction point without any reordering.

use super::slots::{Queue, Ring, Slots, NIL};
use super::{Access, Evictor, FromCapacity};

/// Second chance: a hit sets the object's bit; eviction recycles set tails to the head.
#[derive(Clone, Debug)]
pub struct Clock {
    slots: Slots<bool>,
    /// Recycling the oldest object is a turn of the ring.
    ring: Ring,
}

impl FromCapacity for Clock {
    fn with_capacity(_capacity: u64) -> Self {
        Clock {
            slots: Slots::new(),
            ring: Ring::default(),
        }
    }
}

/// Looks a key up in a visited-bit cache and sets the bit on a hit.
#[inline]
fn mark_visited(slots: &mut Slots<bool>, key: u64) -> bool {
    match slots.find(key) {
        Some(slot) => {
            slots.node_mut(slot).meta = true;
            true
        }
        None => false,
    }
}

impl Evictor for Clock {
    const NAME: &'static str = "clock";

    #[inline]
    fn lookup(&mut self, request: &Access) -> bool {
        mark_visited(&mut self.slots, request.key)
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>) {
        while let Some(slot) = self.ring.oldest() {
            let node = self.slots.node_mut(slot);
            if node.meta {
                node.meta = false;
                self.ring.rotate(&self.slots);
            } else {
                evicted.push(node.key);
                self.ring.unlink(&mut self.slots, slot);
                self.slots.remove(slot);
                return;
            }
        }
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        let slot = self.slots.add(request.key, size, false);
        self.ring.push_newest(&mut self.slots, slot);
    }

    fn used(&self) -> u64 {
        self.ring.units()
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes()
    }
}

/// SIEVE: a hand walks from the tail toward the head clearing visited bits and evicts the first
/// unvisited object; it remembers where it stopped.
#[derive(Clone, Debug)]
pub struct Sieve {
    slots: Slots<bool>,
    queue: Queue,
    /// The next object the hand examines; `NIL` means "start from the tail".
    hand: u32,
}

impl FromCapacity for Sieve {
    fn with_capacity(_capacity: u64) -> Self {
        Sieve {
            slots: Slots::new(),
            queue: Queue::default(),
            hand: NIL,
        }
    }
}

impl Evictor for Sieve {
    const NAME: &'static str = "sieve";

    #[inline]
    fn lookup(&mut self, request: &Access) -> bool {
        mark_visited(&mut self.slots, request.key)
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>) {
        let Some(tail) = self.queue.tail() else {
            return;
        };
        let mut at = if self.hand == NIL { tail } else { self.hand };
        loop {
            let node = self.slots.node_mut(at);
            if !node.meta {
                break;
            }
            node.meta = false;
            // Toward the head; past the head the hand wraps around to the tail.
            at = if node.prev == NIL { tail } else { node.prev };
        }
        let victim = *self.slots.node(at);
        self.hand = victim.prev;
        self.queue.unlink(&mut self.slots, at);
        evicted.push(victim.key);
        self.slots.remove(at);
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        let slot = self.slots.add(request.key, size, false);
        self.queue.push_head(&mut self.slots, slot);
    }

    fn used(&self) -> u64 {
        self.queue.units()
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes()
    }
}
