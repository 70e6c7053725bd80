//! The storage every policy shares: a key → slot map with a fast hasher, an arena of nodes addressed
//! by `u32` index (not pointers), and intrusive doubly-linked queues threaded through the arena.
//!
//! A request costs one hash lookup and a few index writes; nothing is allocated per request once
//! the arena and the map have grown to the cache's size (freed slots are reused through a free list).

use crate::fxhash::FxHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// "No node": the end of a queue, or an empty link.
pub(crate) const NIL: u32 = u32::MAX;

/// A `HashMap` keyed by `u64` with [`FxHasher`]. Its iteration order is never used.
pub type FxMap<V> = HashMap<u64, V, BuildHasherDefault<FxHasher>>;

/// One cached (or ghost) object: its key, its links in whichever queue holds it, its charged size
/// (1 in object mode, bytes in byte mode) and the policy's own metadata `M`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<M> {
    pub key: u64,
    /// Toward the queue's head (newer).
    pub prev: u32,
    /// Toward the queue's tail (older).
    pub next: u32,
    pub size: u32,
    pub meta: M,
}

/// Keys mapped to nodes in an arena, with a free list so that slots are reused.
#[derive(Clone, Debug)]
pub(crate) struct Slots<M> {
    map: FxMap<u32>,
    nodes: Vec<Node<M>>,
    /// Head of the free list, threaded through `next`.
    free: u32,
    live: usize,
}

impl<M: Copy> Slots<M> {
    pub fn new() -> Self {
        Slots {
            map: FxMap::default(),
            nodes: Vec::new(),
            free: NIL,
            live: 0,
        }
    }

    /// The slot holding `key`, if any.
    #[inline]
    pub fn find(&self, key: u64) -> Option<u32> {
        self.map.get(&key).copied()
    }

    /// Stores a new node for `key` (which must not be present) and returns its slot.
    #[inline]
    pub fn add(&mut self, key: u64, size: u32, meta: M) -> u32 {
        let node = Node {
            key,
            prev: NIL,
            next: NIL,
            size,
            meta,
        };
        let slot = if self.free == NIL {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        } else {
            let slot = self.free;
            self.free = self.nodes[slot as usize].next;
            self.nodes[slot as usize] = node;
            slot
        };
        self.map.insert(key, slot);
        self.live += 1;
        slot
    }

    /// Forgets the node in `slot` (already unlinked from its queue) and frees the slot.
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        let key = self.nodes[slot as usize].key;
        self.map.remove(&key);
        self.nodes[slot as usize].next = self.free;
        self.free = slot;
        self.live -= 1;
    }

    #[inline]
    pub fn node(&self, slot: u32) -> &Node<M> {
        &self.nodes[slot as usize]
    }

    #[inline]
    pub fn node_mut(&mut self, slot: u32) -> &mut Node<M> {
        &mut self.nodes[slot as usize]
    }

    /// Every stored node, in no particular order (for snapshots).
    pub fn iter(&self) -> impl Iterator<Item = &Node<M>> {
        self.map.values().map(|&slot| self.node(slot))
    }

    /// Nodes stored, ghosts included.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Bytes allocated: the arena's capacity plus the map's table. hashbrown (std's map) keeps
    /// at most 7/8 of its power-of-two buckets full and reports that as its capacity; each bucket
    /// holds a `(u64, u32)` and one control byte, plus one SIMD group of trailing control bytes.
    pub fn memory_bytes(&self) -> usize {
        let capacity = self.map.capacity();
        let buckets = match capacity {
            0 => 0,
            1..=7 => capacity + 1,
            _ => capacity / 7 * 8,
        };
        let table = if buckets == 0 {
            0
        } else {
            buckets * (std::mem::size_of::<(u64, u32)>() + 1) + 16
        };
        self.nodes.capacity() * std::mem::size_of::<Node<M>>() + table
    }
}

/// A doubly-linked queue through a [`Slots`] arena: head = newest, tail = oldest. It also keeps
/// its length and the sum of its nodes' sizes, which policies compare with their shares.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queue {
    head: u32,
    tail: u32,
    len: u32,
    units: u64,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            head: NIL,
            tail: NIL,
            len: 0,
            units: 0,
        }
    }
}

impl Queue {
    /// The oldest node.
    #[inline]
    pub fn tail(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sum of the sizes of the nodes in the queue.
    #[inline]
    pub fn units(&self) -> u64 {
        self.units
    }

    /// Links `slot` in as the newest node.
    #[inline]
    pub fn push_head<M: Copy>(&mut self, slots: &mut Slots<M>, slot: u32) {
        let old_head = self.head;
        let node = slots.node_mut(slot);
        node.prev = NIL;
        node.next = old_head;
        let size = node.size;
        if old_head == NIL {
            self.tail = slot;
        } else {
            slots.node_mut(old_head).prev = slot;
        }
        self.head = slot;
        self.len += 1;
        self.units += u64::from(size);
    }

    /// Unlinks `slot`, which must be in this queue.
    #[inline]
    pub fn unlink<M: Copy>(&mut self, slots: &mut Slots<M>, slot: u32) {
        let Node {
            prev, next, size, ..
        } = *slots.node(slot);
        if prev == NIL {
            self.head = next;
        } else {
            slots.node_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slots.node_mut(next).prev = prev;
        }
        self.len -= 1;
        self.units -= u64::from(size);
    }

    /// Unlinks and returns the oldest node.
    #[inline]
    pub fn pop_tail<M: Copy>(&mut self, slots: &mut Slots<M>) -> Option<u32> {
        let slot = self.tail()?;
        self.unlink(slots, slot);
        Some(slot)
    }

    /// The nodes from the oldest to the newest (for snapshots).
    pub fn oldest_first<'a, M: Copy>(
        &self,
        slots: &'a Slots<M>,
    ) -> impl Iterator<Item = &'a Node<M>> + 'a {
        let mut at = self.tail;
        std::iter::from_fn(move || {
            (at != NIL).then(|| {
                let node = slots.node(at);
                at = node.prev;
                node
            })
        })
    }

    /// Makes `slot` (in this queue) the newest.
    #[inline]
    pub fn move_to_head<M: Copy>(&mut self, slots: &mut Slots<M>, slot: u32) {
        if self.head != slot {
            self.unlink(slots, slot);
            self.push_head(slots, slot);
        }
    }
}

/// A FIFO with reinsertion kept as a circle: `hand` is the oldest node, and following `next`
/// (toward older) from the oldest wraps around to the newest.
///
/// Policies that give a recently used object another round (CLOCK, S3-FIFO's main queue) move
/// their oldest node to the newest position over and over. In a circle that move is the same
/// cyclic order with the hand one step further, so [`Ring::rotate`] is a single pointer write
/// instead of an unlink and a relink (six writes to nodes scattered over the arena).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ring {
    hand: u32,
    len: u32,
    units: u64,
}

impl Default for Ring {
    fn default() -> Self {
        Ring {
            hand: NIL,
            len: 0,
            units: 0,
        }
    }
}

impl Ring {
    /// The oldest node.
    #[inline]
    pub fn oldest(&self) -> Option<u32> {
        (self.hand != NIL).then_some(self.hand)
    }

    /// Sum of the sizes of the nodes in the ring.
    #[inline]
    pub fn units(&self) -> u64 {
        self.units
    }

    /// The nodes from the oldest (the hand) round to the newest (for snapshots).
    pub fn oldest_first<'a, M: Copy>(
        &self,
        slots: &'a Slots<M>,
    ) -> impl Iterator<Item = &'a Node<M>> + 'a {
        let mut at = self.hand;
        (0..self.len).map(move |_| {
            let node = slots.node(at);
            at = node.prev;
            node
        })
    }

    /// Links `slot` in as the newest node (just behind the hand).
    #[inline]
    pub fn push_newest<M: Copy>(&mut self, slots: &mut Slots<M>, slot: u32) {
        let size = slots.node(slot).size;
        if self.hand == NIL {
            let node = slots.node_mut(slot);
            node.prev = slot;
            node.next = slot;
            self.hand = slot;
        } else {
            let oldest = self.hand;
            let newest = slots.node(oldest).next;
            let node = slots.node_mut(slot);
            node.next = newest;
            node.prev = oldest;
            slots.node_mut(newest).prev = slot;
            slots.node_mut(oldest).next = slot;
        }
        self.len += 1;
        self.units += u64::from(size);
    }

    /// The oldest node becomes the newest: the hand moves one step toward the newer nodes.
    #[inline]
    pub fn rotate<M: Copy>(&mut self, slots: &Slots<M>) {
        if self.hand != NIL {
            self.hand = slots.node(self.hand).prev;
        }
    }

    /// Unlinks `slot`, which must be in this ring.
    #[inline]
    pub fn unlink<M: Copy>(&mut self, slots: &mut Slots<M>, slot: u32) {
        let Node {
            prev, next, size, ..
        } = *slots.node(slot);
        self.len -= 1;
        self.units -= u64::from(size);
        if self.len == 0 {
            self.hand = NIL;
            return;
        }
        slots.node_mut(prev).next = next;
        slots.node_mut(next).prev = prev;
        if self.hand == slot {
            self.hand = prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_oldest_first(q: &Queue, slots: &Slots<()>) -> Vec<u64> {
        let mut out = Vec::new();
        let mut at = q.tail;
        while at != NIL {
            out.push(slots.node(at).key);
            at = slots.node(at).prev;
        }
        out
    }

    #[test]
    fn queue_keeps_order_and_units_and_slots_are_reused() {
        let mut slots = Slots::new();
        let mut q = Queue::default();
        for key in 1..=3 {
            let s = slots.add(key, key as u32, ());
            q.push_head(&mut slots, s);
        }
        assert_eq!(keys_oldest_first(&q, &slots), [1, 2, 3]);
        assert_eq!(q.units(), 6);
        let two = slots.find(2).unwrap();
        q.move_to_head(&mut slots, two);
        assert_eq!(keys_oldest_first(&q, &slots), [1, 3, 2]);
        let oldest = q.pop_tail(&mut slots).unwrap();
        slots.remove(oldest);
        assert_eq!(slots.find(1), None);
        let reused = slots.add(9, 1, ());
        assert_eq!(
            reused, oldest,
            "a freed slot is reused before the arena grows"
        );
        assert_eq!(slots.live(), 3);
        assert_eq!(q.units(), 5);
    }

    #[test]
    fn ring_rotation_is_reinsertion_at_the_newest_end() {
        let mut slots = Slots::new();
        let mut ring = Ring::default();
        for key in 1..=3 {
            let s = slots.add(key, 1, ());
            ring.push_newest(&mut slots, s);
        }
        let oldest = |ring: &Ring, slots: &Slots<()>| slots.node(ring.oldest().unwrap()).key;
        assert_eq!(oldest(&ring, &slots), 1);
        ring.rotate(&slots); // 1 goes behind 3: order 2, 3, 1
        let four = slots.add(4, 1, ());
        ring.push_newest(&mut slots, four); // order 2, 3, 1, 4
        let mut order = Vec::new();
        while let Some(s) = ring.oldest() {
            order.push(slots.node(s).key);
            ring.unlink(&mut slots, s);
        }
        assert_eq!(order, [2, 3, 1, 4]);
        assert_eq!(ring.units(), 0);
    }

    #[test]
    fn aligned_keys_spread_over_the_low_bits() {
        use std::hash::BuildHasher;
        let build = BuildHasherDefault::<FxHasher>::default();
        let mut low: Vec<u64> = (0..64u64).map(|k| build.hash_one(k << 12) & 63).collect();
        low.sort_unstable();
        low.dedup();
        assert!(low.len() > 32, "only {} distinct buckets", low.len());
    }
}
