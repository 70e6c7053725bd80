//! ARC (Megiddo and Modha, FAST '03) as libCacheSim implements it: two LRU lists of cached objects
//! (T1 seen once recently, T2 seen at least twice) and two ghost lists of their recent evictees
//! (B1, B2). A ghost hit in B1 says "T1 was too small" and grows the target `p` for T1; a ghost
//! hit in B2 shrinks it. Sizes are in the cache's units, so the same code runs in byte mode.

use super::inspect::{items, Explain, Item, Rule, Snapshot, Value, LRU_FIRST};
use super::slots::{Queue, Slots};
use super::{Access, Evictor, FromCapacity};

/// Which list a node is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    T1,
    T2,
    B1,
    B2,
}

/// Adaptive Replacement Cache.
#[derive(Clone, Debug)]
pub struct Arc {
    slots: Slots<List>,
    t1: Queue,
    t2: Queue,
    b1: Queue,
    b2: Queue,
    capacity: u64,
    /// Target size of T1 (a double, as in libCacheSim).
    p: f64,
    /// The current request hit a ghost list: evictions call REPLACE and the insert goes to T2.
    ghost_hit_now: bool,
    /// The last ghost hit was in B2. Like libCacheSim's flag it is only cleared by a lookup that
    /// finds its key or by an insert after a ghost hit, and REPLACE's tie rule reads it.
    last_ghost_in_b2: bool,
}

impl FromCapacity for Arc {
    fn with_capacity(capacity: u64) -> Self {
        Arc {
            slots: Slots::new(),
            t1: Queue::default(),
            t2: Queue::default(),
            b1: Queue::default(),
            b2: Queue::default(),
            capacity,
            p: 0.0,
            ghost_hit_now: false,
            last_ghost_in_b2: false,
        }
    }
}

impl Arc {
    /// A list and the arena its nodes live in, borrowed together.
    fn parts(&mut self, list: List) -> (&mut Queue, &mut Slots<List>) {
        let queue = match list {
            List::T1 => &mut self.t1,
            List::T2 => &mut self.t2,
            List::B1 => &mut self.b1,
            List::B2 => &mut self.b2,
        };
        (queue, &mut self.slots)
    }

    /// Moves the LRU object of `from` (a data list) to the MRU end of its ghost list `to`.
    fn demote(&mut self, from: List, to: List, evicted: &mut Vec<u64>) -> Option<u64> {
        let (queue, slots) = self.parts(from);
        let slot = queue.pop_tail(slots)?;
        let node = slots.node_mut(slot);
        node.meta = to;
        let key = node.key;
        evicted.push(key);
        let (queue, slots) = self.parts(to);
        queue.push_head(slots, slot);
        Some(key)
    }

    /// Forgets the LRU entry of a list entirely.
    fn drop_tail(&mut self, list: List) -> Option<u64> {
        let (queue, slots) = self.parts(list);
        let slot = queue.pop_tail(slots)?;
        let key = slots.node(slot).key;
        slots.remove(slot);
        Some(key)
    }

    /// The paper's REPLACE: evict from T1 if it is over its target (or T2 is empty).
    fn replace(&mut self, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        let t1 = self.t1.units();
        let t1_over_target =
            t1 > 0 && ((t1 as f64) > self.p || ((t1 as f64) == self.p && self.last_ghost_in_b2));
        let from_t1 = t1_over_target || self.t2.is_empty();
        let victim = if from_t1 {
            self.demote(List::T1, List::B1, evicted)
        } else {
            self.demote(List::T2, List::B2, evicted)
        };
        if let Some(victim) = victim {
            why.note(|| Rule::ArcReplace {
                victim,
                from_t1,
                t1,
                p: self.p,
            });
        }
    }

    /// A list's keys from the LRU end, for snapshots.
    fn keys(&self, queue: &Queue) -> Vec<Item> {
        items(queue.oldest_first(&self.slots).map(|n| (n.key, None)))
    }
}

impl Evictor for Arc {
    const NAME: &'static str = "arc";
    const ON_HIT: &'static str =
        "ARC moves the object to the MRU end of T2, the list of objects seen at least twice";
    const ON_INSERT: &'static str =
        "the object enters at the MRU end of T1 (of T2 after a ghost hit)";

    fn lookup(&mut self, request: &Access, why: &mut impl Explain) -> bool {
        self.ghost_hit_now = false;
        let Some(slot) = self.slots.find(request.key) else {
            return false;
        };
        self.last_ghost_in_b2 = false;
        let list = self.slots.node(slot).meta;
        let (b1, b2) = (self.b1.units() as f64, self.b2.units() as f64);
        match list {
            List::T1 => {
                self.t1.unlink(&mut self.slots, slot);
                self.slots.node_mut(slot).meta = List::T2;
                self.t2.push_head(&mut self.slots, slot);
                return true;
            }
            List::T2 => {
                self.t2.move_to_head(&mut self.slots, slot);
                return true;
            }
            List::B1 => {
                // Measured before the key leaves B1.
                self.p = (self.p + (b2 / b1).max(1.0)).min(self.capacity as f64);
            }
            List::B2 => {
                self.p = (self.p - (b1 / b2).max(1.0)).max(0.0);
                self.last_ghost_in_b2 = true;
            }
        }
        let (queue, slots) = self.parts(list);
        queue.unlink(slots, slot);
        slots.remove(slot);
        self.ghost_hit_now = true;
        why.note(|| Rule::ArcGhost {
            key: request.key,
            in_b2: list == List::B2,
            p: self.p,
        });
        false
    }

    fn evict(&mut self, size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        if self.ghost_hit_now {
            return self.replace(evicted, why);
        }
        let size = u64::from(size);
        let (t1, b1) = (self.t1.units(), self.b1.units());
        if t1 + b1 + size > self.capacity {
            if b1 > 0 {
                self.drop_tail(List::B1);
                self.replace(evicted, why);
            } else if let Some(victim) = self.drop_tail(List::T1) {
                evicted.push(victim);
                why.note(|| Rule::ArcDropT1 { victim });
            }
        } else {
            let all = t1 + b1 + self.t2.units() + self.b2.units();
            if all >= 2 * self.capacity && !self.b2.is_empty() {
                self.drop_tail(List::B2);
            }
            self.replace(evicted, why);
        }
    }

    fn insert(&mut self, request: &Access, size: u32) {
        let list = if self.ghost_hit_now {
            self.last_ghost_in_b2 = false;
            List::T2
        } else {
            List::T1
        };
        let (queue, slots) = self.parts(list);
        let slot = slots.add(request.key, size, list);
        queue.push_head(slots, slot);
    }

    fn used(&self) -> u64 {
        self.t1.units() + self.t2.units()
    }

    fn memory_bytes(&self) -> usize {
        self.slots.memory_bytes()
    }

    fn snapshot(&self) -> Snapshot {
        use super::inspect::List as Drawn;
        Snapshot {
            lists: vec![
                Drawn::row("T1", self.keys(&self.t1)).ordered(LRU_FIRST),
                Drawn::row("T2", self.keys(&self.t2)).ordered(LRU_FIRST),
                Drawn::row("B1", self.keys(&self.b1))
                    .ghost()
                    .ordered(LRU_FIRST),
                Drawn::row("B2", self.keys(&self.b2))
                    .ghost()
                    .ordered(LRU_FIRST),
            ],
            values: vec![Value {
                name: "p",
                value: self.p,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(arc: &mut Arc, key: u64, evicted: &mut Vec<u64>) -> bool {
        let a = Access::new(key, 1);
        if arc.lookup(&a, &mut ()) {
            return true;
        }
        while arc.used() + 1 > arc.capacity {
            arc.evict(1, evicted, &mut ());
        }
        arc.insert(&a, 1);
        false
    }

    #[test]
    fn a_ghost_hit_in_b1_grows_t1s_target_and_lands_in_t2() {
        let mut arc = Arc::with_capacity(2);
        let mut evicted = Vec::new();
        // 1 twice (T2 = [1]), then 2 (T1 = [2]); 3 finds the cache full with T1 over its target
        // p = 0, so REPLACE demotes 2 to B1.
        for key in [1, 1, 2, 3] {
            request(&mut arc, key, &mut evicted);
        }
        assert_eq!(evicted, [2]);
        assert_eq!(arc.b1.units(), 1);
        // 2 again: a ghost hit. p grows by max(|B2| / |B1|, 1) = 1; now T1 (= [3]) is not over
        // the target, so REPLACE demotes T2's LRU (1) to B2, and 2 comes back into T2.
        assert!(!request(&mut arc, 2, &mut evicted));
        assert_eq!(arc.p, 1.0);
        assert_eq!(evicted, [2, 1]);
        let two = arc.slots.find(2).unwrap();
        assert_eq!(arc.slots.node(two).meta, List::T2);
        assert_eq!(arc.b2.units(), 1);
    }
}
