//! CLOCK and SIEVE: FIFO queues with one "visited" bit per object, which differ in what happens to
//! a visited object when eviction reaches it.
//!
//! CLOCK (libCacheSim's `Clock` with a 1-bit counter, also called FIFO-reinsertion or second
//! chance) moves a visited tail back to the head, clearing its bit. SIEVE leaves objects where
//! they are and moves a hand instead: new objects keep arriving at the head while survivors stay
//! put, which sorts popular objects away from the eviction point without any reordering.

use super::inspect::{items, Explain, List, Rule, Shape, Snapshot};
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
    const ON_HIT: &'static str = "CLOCK sets the object's reference bit to 1 and moves nothing";
    const ON_INSERT: &'static str =
        "the object enters the ring just behind the hand with its bit at 0";

    #[inline]
    fn lookup(&mut self, request: &Access, _why: &mut impl Explain) -> bool {
        mark_visited(&mut self.slots, request.key)
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        let mut second_chances = 0;
        while let Some(slot) = self.ring.oldest() {
            let node = self.slots.node_mut(slot);
            if node.meta {
                node.meta = false;
                second_chances += 1;
                self.ring.rotate(&self.slots);
            } else {
                let victim = node.key;
                evicted.push(victim);
                why.note(|| Rule::Clock {
                    victim,
                    second_chances,
                });
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

    fn snapshot(&self) -> Snapshot {
        let ring = self.ring.oldest_first(&self.slots);
        let ring = List {
            shape: Shape::Ring,
            hand: self.ring.oldest().map(|slot| self.slots.node(slot).key),
            ..List::row(
                "ring",
                items(ring.map(|n| (n.key, Some(u64::from(n.meta))))),
            )
        };
        Snapshot {
            lists: vec![ring.marked("bit")],
            values: Vec::new(),
        }
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
    const ON_HIT: &'static str = "SIEVE sets the object's visited bit to 1 and moves nothing";
    const ON_INSERT: &'static str = "the object enters at the head with its visited bit at 0";

    #[inline]
    fn lookup(&mut self, request: &Access, _why: &mut impl Explain) -> bool {
        mark_visited(&mut self.slots, request.key)
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        let Some(tail) = self.queue.tail() else {
            return;
        };
        let mut at = if self.hand == NIL { tail } else { self.hand };
        let mut cleared = 0;
        loop {
            let node = self.slots.node_mut(at);
            if !node.meta {
                break;
            }
            node.meta = false;
            cleared += 1;
            // Toward the head; past the head the hand wraps around to the tail.
            at = if node.prev == NIL { tail } else { node.prev };
        }
        let victim = *self.slots.node(at);
        self.hand = victim.prev;
        self.queue.unlink(&mut self.slots, at);
        evicted.push(victim.key);
        why.note(|| Rule::Sieve {
            victim: victim.key,
            cleared,
        });
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

    fn snapshot(&self) -> Snapshot {
        let queue = self.queue.oldest_first(&self.slots);
        let queue = List {
            // Where the next eviction starts looking: the hand, or the tail when it has none.
            hand: match self.hand {
                NIL => self.queue.tail().map(|slot| self.slots.node(slot).key),
                slot => Some(self.slots.node(slot).key),
            },
            ..List::row(
                "queue",
                items(queue.map(|n| (n.key, Some(u64::from(n.meta))))),
            )
        };
        Snapshot {
            lists: vec![queue.marked("visited")],
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::{build, Access, Capacity, Policy};
    use std::num::NonZeroU64;

    fn cache(name: &str, capacity: u64) -> Box<dyn Policy> {
        build(name, Capacity::Objects(NonZeroU64::new(capacity).unwrap())).unwrap()
    }

    fn evictions(cache: &mut dyn Policy, keys: &[u64]) -> Vec<u64> {
        let mut evicted = Vec::new();
        for &k in keys {
            cache.access(&Access::new(k, 1), &mut evicted);
        }
        evicted
    }

    #[test]
    fn clock_gives_a_visited_object_a_second_chance() {
        // 1 is visited, so the first eviction recycles it and takes 2; the next takes 3, then
        // 1 (its bit was cleared on the way).
        let mut clock = cache("clock", 3);
        assert_eq!(evictions(clock.as_mut(), &[1, 2, 3, 1, 4, 5, 6]), [2, 3, 1]);
    }

    #[test]
    fn sieve_leaves_survivors_in_place_and_remembers_its_hand() {
        // Queue (oldest first) 1 2 3 with 1 and 3 visited. The hand clears 1, evicts 2 and stops
        // at 3. On the next eviction it clears 3, then finds 4, the newest, unvisited.
        let mut sieve = cache("sieve", 3);
        assert_eq!(evictions(sieve.as_mut(), &[1, 2, 3, 1, 3, 4]), [2]);
        assert_eq!(evictions(sieve.as_mut(), &[5]), [4]);
        // The hand passed the head and is back at the tail: 1 (cleared earlier) goes next.
        assert_eq!(evictions(sieve.as_mut(), &[6]), [1]);
    }
}
