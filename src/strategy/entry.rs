//! What the strategies keep in a cache for one key: the row's version (or "not found"), when it
//! stops being fresh, and how long it took to load — the last two for XFetch and
//! stale-while-revalidate, which need them and cannot read a TTL back from every store.

use crate::sim::{SimDuration, SimTime};
use crate::tiers::Row;

/// A cached answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedEntry {
    /// The row's version, or `None` for a cached "not found" (negative caching).
    pub version: Option<u64>,
    /// When it stops being fresh.
    pub fresh_until: SimTime,
    /// How long the database took to produce it (XFetch's delta).
    pub load_time: SimDuration,
}

/// Bytes of an encoded entry: a tag, then three little-endian `u64`s.
const ENCODED_LEN: usize = 25;

impl CachedEntry {
    /// The answer to a query that returned `row` after `load_time`; freshness is set when it is
    /// stored.
    pub fn from_row(row: Option<Row>, load_time: SimDuration) -> Self {
        CachedEntry {
            version: row.map(|r| r.version),
            fresh_until: SimTime::ZERO,
            load_time,
        }
    }

    /// Whether the key exists.
    pub fn found(&self) -> bool {
        self.version.is_some()
    }

    /// The bytes stored in L2.
    ///
    /// ```
    /// use cachelab::{sim::{SimDuration, SimTime}, strategy::CachedEntry};
    /// let e = CachedEntry { version: Some(3), fresh_until: SimTime(9), load_time: SimDuration(4) };
    /// assert_eq!(CachedEntry::decode(&e.encode()), Some(e));
    /// assert_eq!(CachedEntry::decode(b"garbage"), None);
    /// ```
    pub fn encode(&self) -> [u8; ENCODED_LEN] {
        let mut out = [0u8; ENCODED_LEN];
        out[0] = u8::from(self.found());
        out[1..9].copy_from_slice(&self.version.unwrap_or(0).to_le_bytes());
        out[9..17].copy_from_slice(&self.fresh_until.as_micros().to_le_bytes());
        out[17..25].copy_from_slice(&self.load_time.as_micros().to_le_bytes());
        out
    }

    /// Reads bytes written by [`CachedEntry::encode`]; anything else is `None` (treated as a miss).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; ENCODED_LEN] = bytes.try_into().ok()?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let version = match bytes[0] {
            0 => None,
            1 => Some(word(1)),
            _ => return None,
        };
        Some(CachedEntry {
            version,
            fresh_until: SimTime(word(9)),
            load_time: SimDuration(word(17)),
        })
    }
}
