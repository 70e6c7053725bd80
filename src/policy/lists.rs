//! FIFO and LRU: one queue each. They differ only in what a hit does, so one type with a
//! compile-time switch serves both (the branch disappears from the hot loop).

use super::inspect::{items, Explain, List, Rule, Snapshot, LRU_FIRST, OLDEST_FIRST};
use super::slots::{Queue, Slots};
use super::{Access, Evictor, FromCapacity};

/// One queue, newest at the head; evicts the tail. `PROMOTE_ON_HIT` moves a hit to the head.
#[derive(Clone, Debug)]
pub struct OneQueue<const PROMOTE_ON_HIT: bool> {
    slots: Slots<()>,
    queue: Queue,
}

/// First in, first out: a hit changes nothing, the oldest insertion goes first.
pub type Fifo = OneQueue<false>;
/// Least recently used: a hit moves the object to the head; the tail goes first.
pub type Lru = OneQueue<true>;

impl<const P: bool> FromCapacity for OneQueue<P> {
    fn with_capacity(_capacity: u64) -> Self {
        OneQueue {
            slots: Slots::new(),
            queue: Queue::default(),
        }
    }
}

impl<const PROMOTE_ON_HIT: bool> Evictor for OneQueue<PROMOTE_ON_HIT> {
    const NAME: &'static str = if PROMOTE_ON_HIT { "lru" } else { "fifo" };
    const ON_HIT: &'static str = if PROMOTE_ON_HIT {
        "LRU moves the object to the head, the most recently used end"
    } else {
        "FIFO changes nothing, the object keeps its place in the queue"
    };
    const ON_INSERT: &'static str = "the object enters at the head of the queue";

    #[inline]
    fn lookup(&mut self, request: &Access, _why: &mut impl Explain) -> bool {
        match self.slots.find(request.key) {
            Some(slot) => {
                if PROMOTE_ON_HIT {
                    self.queue.move_to_head(&mut self.slots, slot);
                }
                true
            }
            None => false,
        }
    }

    #[inline]
    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        if let Some(slot) = self.queue.pop_tail(&mut self.slots) {
            let victim = self.slots.node(slot).key;
            evicted.push(victim);
            why.note(|| match PROMOTE_ON_HIT {
                true => Rule::LeastRecent { victim },
                false => Rule::Oldest { victim },
            });
            self.slots.remove(slot);
        }
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        let slot = self.slots.add(request.key, size, ());
        self.queue.push_head(&mut self.slots, slot);
    }

    fn used(&self) -> u64 {
        self.queue.units()
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes()
    }

    fn snapshot(&self) -> Snapshot {
        let order = self.queue.oldest_first(&self.slots).map(|n| (n.key, None));
        Snapshot {
            lists: vec![List::row("queue", items(order)).ordered(if PROMOTE_ON_HIT {
                LRU_FIRST
            } else {
                OLDEST_FIRST
            })],
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::replay::replay;
    use crate::policy::{build, Access, Capacity};
    use std::num::NonZeroU64;

    fn misses(policy: &str, capacity: u64, keys: &[u64]) -> u64 {
        let mut cache = build(
            policy,
            Capacity::Objects(NonZeroU64::new(capacity).unwrap()),
        )
        .unwrap();
        replay(cache.as_mut(), keys.iter().map(|&k| Access::new(k, 1))).misses
    }

    #[test]
    fn a_hit_protects_an_object_in_lru_but_not_in_fifo() {
        // 1 is touched before 3 arrives: LRU evicts 2 and keeps 1; FIFO evicts 1, the oldest.
        let keys = [1, 2, 1, 3, 1];
        assert_eq!(misses("lru", 2, &keys), 3);
        assert_eq!(misses("fifo", 2, &keys), 4);
    }

    #[test]
    fn byte_mode_evicts_until_the_object_fits_and_skips_objects_too_large() {
        let mut lru = build("lru", Capacity::Bytes(NonZeroU64::new(10).unwrap())).unwrap();
        let mut evicted = Vec::new();
        for (key, size) in [(1, 4), (2, 4), (3, 9)] {
            lru.access(&Access::new(key, size), &mut evicted);
        }
        assert_eq!(evicted, [1, 2], "9 bytes need both 4-byte objects gone");
        let outcome = lru.access(&Access::new(4, 11), &mut evicted);
        assert_eq!(outcome, crate::policy::Outcome::TooLarge);
        assert_eq!(lru.used(), 9, "a too-large object evicts nothing");
    }
}
