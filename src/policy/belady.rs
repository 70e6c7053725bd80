//! Belady's MIN: evict the object whose next request lies furthest in the future. It needs the
//! whole trace in advance (each request's `next_access`), so it is the lower bound an online
//! policy is measured against, not a policy one can deploy.

use super::inspect::{items, Explain, List, Rule, Snapshot};
use super::slots::Slots;
use super::{Access, Evictor, FromCapacity};
use std::collections::BinaryHeap;

/// The order of Belady's snapshot.
pub const FURTHEST_FIRST: &str = "furthest → soonest next use";

/// The offline optimum (in object-count mode; with sizes it is the classic heuristic).
#[derive(Clone, Debug)]
pub struct Belady {
    /// Node metadata is the object's next access.
    slots: Slots<u64>,
    /// `(next access, slot)`, largest first. Entries go stale when a hit moves the object's next
    /// access or the slot is freed; they are skipped when popped and pruned when too many pile up.
    heap: BinaryHeap<(u64, u32)>,
    used: u64,
}

impl FromCapacity for Belady {
    fn with_capacity(_capacity: u64) -> Self {
        Belady {
            slots: Slots::new(),
            heap: BinaryHeap::new(),
            used: 0,
        }
    }
}

impl Belady {
    /// Does the heap entry still describe a cached object?
    fn is_current(slots: &Slots<u64>, next: u64, slot: u32) -> bool {
        let node = slots.node(slot);
        node.meta == next && slots.find(node.key) == Some(slot)
    }

    fn push(&mut self, next: u64, slot: u32) {
        self.heap.push((next, slot));
        if self.heap.len() > 2 * self.slots.live() + 1024 {
            let slots = &self.slots;
            self.heap
                .retain(|&(next, slot)| Belady::is_current(slots, next, slot));
        }
    }
}

impl Evictor for Belady {
    const NAME: &'static str = "belady";
    const ON_HIT: &'static str = "Belady notes when the object is requested next";
    const ON_INSERT: &'static str = "the object enters with the time of its next request";

    fn lookup(&mut self, request: &Access, _why: &mut impl Explain) -> bool {
        let Some(slot) = self.slots.find(request.key) else {
            return false;
        };
        // An unchanged next access keeps its heap entry: pushing a twin would make the pair
        // look current forever, and a heap of twins (a trace whose next-access fields all say
        // "never") would be re-pruned on every push.
        if self.slots.node(slot).meta != request.next_access {
            self.slots.node_mut(slot).meta = request.next_access;
            self.push(request.next_access, slot);
        }
        true
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        while let Some((next, slot)) = self.heap.pop() {
            if Belady::is_current(&self.slots, next, slot) {
                let node = *self.slots.node(slot);
                self.used -= u64::from(node.size);
                evicted.push(node.key);
                why.note(|| Rule::FurthestNext {
                    victim: node.key,
                    next: (next != Access::NEVER).then_some(next),
                });
                self.slots.remove(slot);
                return;
            }
        }
    }

    fn insert(&mut self, request: &Access, size: u32) {
        let slot = self.slots.add(request.key, size, request.next_access);
        self.used += u64::from(size);
        self.push(request.next_access, slot);
    }

    fn used(&self) -> u64 {
        self.used
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes() + self.heap.capacity() * std::mem::size_of::<(u64, u32)>()
    }

    /// The cached objects, the furthest next use first (never-again ones first, by key).
    fn snapshot(&self) -> Snapshot {
        let mut order: Vec<(u64, u64)> = self.slots.iter().map(|n| (n.meta, n.key)).collect();
        order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let order = order
            .into_iter()
            .map(|(next, key)| (key, (next != Access::NEVER).then_some(next)));
        Snapshot {
            lists: vec![List::row("cached", items(order))
                .marked("next use")
                .ordered(FURTHEST_FIRST)],
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::replay::replay;
    use crate::policy::{build, Access, Capacity};
    use crate::workload::Request;
    use std::num::NonZeroU64;

    #[test]
    fn belady_keeps_what_is_needed_soonest() {
        // A loop of 3 keys through 2 slots: LRU misses every time; the optimum, after the 2
        // cold misses, one request in two.
        let requests: Vec<Request> = (0..12)
            .map(|i| Request {
                time: i,
                key: i % 3,
                size: 1,
            })
            .collect();
        let trace = Access::from_trace(&requests);
        let capacity = Capacity::Objects(NonZeroU64::new(2).unwrap());
        let misses = |name| {
            let mut cache = build(name, capacity).unwrap();
            replay(cache.as_mut(), trace.iter().copied()).misses
        };
        assert_eq!(misses("lru"), 12);
        assert_eq!(misses("belady"), 7);
    }
}
