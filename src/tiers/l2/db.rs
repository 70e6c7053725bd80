//! The keyspace: a hash index over a dense array of slots, plus a dense array of the slots that
//! have a TTL.
//!
//! Redis samples keys at random for expiry and eviction. Sampling a `HashMap` would depend on its
//! iteration order, which differs between runs and platforms; sampling a dense array by index
//! with [`SimRng`](crate::sim::SimRng) gives the same keys for the same seed everywhere. Removal
//! swaps the last slot into the hole, so both arrays stay dense.

use super::value::Value;
use crate::fxhash::FxHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Marks a slot that is not in the `volatile` array.
const NOT_VOLATILE: u32 = u32::MAX;

/// When a key expires, in microseconds on the simulated timeline, kept as Redis keeps it (a
/// signed 64-bit count of milliseconds) plus the microseconds within that millisecond: a
/// 64-bit count of microseconds would cap TTLs at about 292,000 years, which `EXPIRE k
/// 10000000000000` exceeds. Negative values lie before the timeline's start, as an `EXPIREAT`
/// in the past gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline {
    ms: i64,
    us: u16,
}

impl Deadline {
    /// The deadline `us` microseconds into the timeline (saturating at Redis's range).
    pub fn from_us(us: i128) -> Deadline {
        let ms = us.div_euclid(1_000);
        let clamped = ms.clamp(i64::MIN as i128, i64::MAX as i128);
        Deadline {
            ms: clamped as i64,
            us: if clamped == ms {
                us.rem_euclid(1_000) as u16
            } else {
                0
            },
        }
    }

    /// Microseconds into the timeline.
    pub fn as_us(self) -> i128 {
        self.ms as i128 * 1_000 + self.us as i128
    }

    /// Whole milliseconds into the timeline (rounded down).
    pub fn as_ms(self) -> i64 {
        self.ms
    }
}

/// What the model keeps per key besides its name.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// When the key expires. The key is gone once the clock is strictly past.
    pub expires_at: Option<Deadline>,
    /// Last access, in simulated milliseconds (the approximate-LRU clock).
    pub lru_ms: u64,
    /// Redis's logarithmic access counter (LFU).
    pub lfu_counter: u8,
    /// Simulated minute of the last LFU decrement (Redis's `ldt`).
    pub lfu_minute: u64,
    /// This key's share of `used_memory`.
    pub memory: u64,
}

#[derive(Debug)]
struct Slot {
    key: Box<[u8]>,
    entry: Entry,
    /// Position in `Db::volatile`, or `NOT_VOLATILE`.
    volatile_pos: u32,
}

/// The keyspace (Redis's `db->dict` and `db->expires`).
#[derive(Debug, Default)]
pub struct Db {
    /// FxHash rather than SipHash: the model is not exposed to hash flooding, and hashing was an
    /// eighth of a simulation's time. Its iteration order is never used (see above).
    index: HashMap<Box<[u8]>, u32, BuildHasherDefault<FxHasher>>,
    slots: Vec<Slot>,
    /// Slot numbers of keys that have a TTL.
    volatile: Vec<u32>,
}

impl Db {
    /// Number of keys (including expired keys not yet removed, as Redis's DBSIZE counts them).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The slot of `key`.
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        self.index.get(key).map(|&i| i as usize)
    }

    /// The name of the key in slot `i`.
    pub fn key(&self, i: usize) -> &[u8] {
        &self.slots[i].key
    }

    /// The entry in slot `i`.
    pub fn entry(&self, i: usize) -> &Entry {
        &self.slots[i].entry
    }

    /// The entry in slot `i`, to change. Use [`Db::set_expiry`] for the TTL.
    pub fn entry_mut(&mut self, i: usize) -> &mut Entry {
        &mut self.slots[i].entry
    }

    /// The slot of the `j`th key with a TTL.
    pub fn volatile_slot(&self, j: usize) -> usize {
        self.volatile[j] as usize
    }

    /// Adds a key that is not present; returns its slot.
    pub fn insert(&mut self, key: &[u8], entry: Entry) -> usize {
        let i = self.slots.len();
        let expires = entry.expires_at;
        self.index.insert(key.into(), i as u32);
        self.slots.push(Slot {
            key: key.into(),
            entry,
            volatile_pos: NOT_VOLATILE,
        });
        self.set_expiry(i, expires);
        i
    }

    /// Sets or clears the TTL of slot `i`, keeping the `volatile` array in step.
    pub fn set_expiry(&mut self, i: usize, at: Option<Deadline>) {
        self.slots[i].entry.expires_at = at;
        let pos = self.slots[i].volatile_pos;
        match (at.is_some(), pos == NOT_VOLATILE) {
            (true, true) => {
                self.slots[i].volatile_pos = self.volatile.len() as u32;
                self.volatile.push(i as u32);
            }
            (false, false) => {
                let pos = pos as usize;
                self.volatile.swap_remove(pos);
                if let Some(&moved) = self.volatile.get(pos) {
                    self.slots[moved as usize].volatile_pos = pos as u32;
                }
                self.slots[i].volatile_pos = NOT_VOLATILE;
            }
            _ => {}
        }
    }

    /// Removes slot `i`, returning its key and entry. The last slot moves into `i`.
    pub fn remove(&mut self, i: usize) -> (Box<[u8]>, Entry) {
        self.set_expiry(i, None);
        let slot = self.slots.swap_remove(i);
        self.index.remove(&slot.key);
        if let Some(moved) = self.slots.get(i) {
            if let Some(n) = self.index.get_mut(&moved.key) {
                *n = i as u32;
            }
            if moved.volatile_pos != NOT_VOLATILE {
                self.volatile[moved.volatile_pos as usize] = i as u32;
            }
        }
        (slot.key, slot.entry)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        *self = Db::default();
    }

    /// Every slot number, in array order.
    pub fn slots(&self) -> std::ops::Range<usize> {
        0..self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ttl: Option<i128>) -> Entry {
        Entry {
            value: Value::Str(Vec::new()),
            expires_at: ttl.map(Deadline::from_us),
            lru_ms: 0,
            lfu_counter: 0,
            lfu_minute: 0,
            memory: 0,
        }
    }

    #[test]
    fn removal_keeps_index_and_volatile_array_consistent() {
        let mut db = Db::default();
        for (k, ttl) in [
            (b"a", Some(1)),
            (b"b", None),
            (b"c", Some(3)),
            (b"d", Some(4)),
        ] {
            db.insert(k, entry(ttl));
        }
        let a = db.find(b"a").unwrap();
        db.remove(a);
        assert_eq!(db.len(), 3);
        assert_eq!(db.volatile_len(), 2);
        for k in [&b"b"[..], b"c", b"d"] {
            let i = db.find(k).unwrap();
            assert_eq!(db.key(i), k);
        }
        for j in 0..db.volatile_len() {
            let i = db.volatile_slot(j);
            assert!(db.entry(i).expires_at.is_some());
        }
        let c = db.find(b"c").unwrap();
        db.set_expiry(c, None);
        assert_eq!(db.volatile_len(), 1);
        assert_eq!(
            db.entry(db.volatile_slot(0)).expires_at,
            Some(Deadline::from_us(4))
        );
    }

    #[test]
    fn deadlines_keep_microseconds_over_redis_range() {
        let far = 10_000_000_000_000_000i128 * 1_000 + 7;
        assert_eq!(Deadline::from_us(far).as_us(), far);
        assert_eq!(Deadline::from_us(-1).as_us(), -1);
        assert_eq!(Deadline::from_us(-1).as_ms(), -1);
        assert_eq!(Deadline::from_us(i128::MAX).as_ms(), i64::MAX);
    }
}
