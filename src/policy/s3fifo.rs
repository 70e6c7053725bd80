//! S3-FIFO (libCacheSim's `S3FIFO-0.1000-2`): a small FIFO that filters one-hit wonders, a main
//! FIFO with reinsertion, and a ghost FIFO of recently filtered keys.
//!
//! Most objects in real traces are requested once. They enter the small queue (10 % of the
//! capacity) and leave it quickly, leaving only their key in the ghost. Objects requested again
//! while in small, or whose key is still in the ghost, earn a place in main, which evicts like
//! CLOCK with a 2-bit counter.

use super::inspect::{items, Explain, List, Rule, Snapshot};
use super::slots::NIL;
use super::{Access, Evictor, FromCapacity};
use crate::fxhash::FxHasher;
use hashbrown::HashTable;
use std::collections::VecDeque;
use std::hash::{BuildHasher, BuildHasherDefault};

/// Small-queue objects with at least this many hits move to main.
const MOVE_TO_MAIN_THRESHOLD: u32 = 2;
/// Hits beyond three are never told apart: main takes one off per pass and looks at
/// `min(hits, 3)`, small only asks for two.
const MAX_FREQ: u32 = 3;
/// An entry's `word` with this bit set is a ghost, numbered by the low 31 bits.
const GHOST: u32 = 1 << 31;

/// The table's hash of a key (the same multiplicative hash as the other policies' maps).
#[inline]
fn hash(key: u64) -> u64 {
    BuildHasherDefault::<FxHasher>::default().hash_one(key)
}

/// One object, cached or ghost: all S3-FIFO knows of it, in one 16-byte table bucket.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    size: u32,
    /// A cached object's hits since insertion or its last pass through main (at most
    /// [`MAX_FREQ`]); a ghost's sequence number with [`GHOST`] set.
    word: u32,
}

/// S3-FIFO with a 10 % small queue and a ghost of 90 % of the capacity.
///
/// Why its own storage and not the other policies' index-plus-linked-arena: nothing ever
/// leaves small or main from the middle (a hit only bumps a counter), so both are plain FIFOs,
/// and so is the ghost, except that a ghost hit takes a key out of it. So the objects live in
/// the hash table's buckets themselves and the three queues hold bucket numbers. A hit then
/// reads and writes one bucket and nothing else; an eviction reads the bucket its queue names,
/// with no probing; a ghost hit blanks its queue entry in place (the entry knows its position)
/// and the front skips blanks. Bucket numbers stay put until the table reorganises itself,
/// which only happens on an insert that finds no free room (`make_room` does that
/// itself, then renumbers the queues).
#[derive(Clone, Debug)]
pub struct S3Fifo {
    table: HashTable<Entry>,
    small: Fifo,
    main: Fifo,
    ghost: Ghost,
    main_share: u64,
    /// The bucket of the ghost the last lookup hit (`NIL` if none): already out of the ghost's
    /// queue, still in the table, so that the insert that follows turns it into a main entry.
    ghost_hit: u32,
}

/// A FIFO of buckets that knows the total size of its objects.
#[derive(Clone, Debug, Default)]
struct Fifo {
    buckets: VecDeque<u32>,
    units: u64,
}

/// The ghost's FIFO: buckets of keys recently dropped from small, oldest first. `NIL` marks an
/// entry a ghost hit took back; entries are numbered `front_seq + position`.
#[derive(Clone, Debug, Default)]
struct Ghost {
    buckets: VecDeque<u32>,
    front_seq: u32,
    units: u64,
    capacity: u64,
    /// `NIL` entries in `buckets`.
    blanks: usize,
}

impl Ghost {
    fn word(&self, position: usize) -> u32 {
        GHOST | (self.front_seq.wrapping_add(position as u32) & !GHOST)
    }

    fn position(&self, word: u32) -> usize {
        (word.wrapping_sub(self.front_seq) & !GHOST) as usize
    }
}

impl FromCapacity for S3Fifo {
    fn with_capacity(capacity: u64) -> Self {
        // libCacheSim truncates both products to integers.
        let small_share = (capacity as f64 * 0.1) as u64;
        S3Fifo {
            table: HashTable::new(),
            small: Fifo::default(),
            main: Fifo::default(),
            ghost: Ghost {
                capacity: (capacity as f64 * 0.9) as u64,
                ..Ghost::default()
            },
            main_share: capacity - small_share,
            ghost_hit: NIL,
        }
    }
}

impl S3Fifo {
    /// The entry in `bucket`, which a queue names (so it is occupied).
    #[inline]
    fn entry(&mut self, bucket: u32) -> &mut Entry {
        self.table
            .get_bucket_mut(bucket as usize)
            .expect("queues name occupied buckets")
    }

    /// Forgets the object in `bucket` entirely.
    #[inline]
    fn remove(&mut self, bucket: u32) {
        if let Ok(entry) = self.table.get_bucket_entry(bucket as usize) {
            entry.remove();
        }
    }

    /// Lets the table reorganise (grow, or rehash in place to clear deleted buckets) before an
    /// insert would do it behind our back.
    fn make_room(&mut self) {
        self.reorganise(|table| table.reserve(1, |e| hash(e.key)));
    }

    /// Runs `change`, which may move any entry to another bucket, and renumbers the queues.
    /// Called between requests only (never with a ghost hit pending).
    fn reorganise(&mut self, change: impl FnOnce(&mut HashTable<Entry>)) {
        let keys = |table: &HashTable<Entry>, buckets: &VecDeque<u32>| -> Vec<u64> {
            buckets
                .iter()
                .map(|&b| table.get_bucket(b as usize).map_or(u64::MAX, |e| e.key))
                .collect()
        };
        let small = keys(&self.table, &self.small.buckets);
        let main = keys(&self.table, &self.main.buckets);
        let ghost = keys(&self.table, &self.ghost.buckets);
        change(&mut self.table);
        let table = &self.table;
        let renumber = |buckets: &mut VecDeque<u32>, keys: Vec<u64>| {
            for (bucket, key) in buckets.iter_mut().zip(keys) {
                if *bucket != NIL {
                    *bucket = table
                        .find_bucket_index(hash(key), |e| e.key == key)
                        .map_or(NIL, |b| b as u32);
                }
            }
        };
        renumber(&mut self.small.buckets, small);
        renumber(&mut self.main.buckets, main);
        renumber(&mut self.ghost.buckets, ghost);
    }

    /// Pops small's oldest objects, promoting those hit often enough, until one is dropped (its
    /// key goes to the ghost) or small is empty.
    fn evict_small(&mut self, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        let mut promoted = 0;
        while let Some(bucket) = self.small.buckets.pop_front() {
            let entry = self.entry(bucket);
            let (key, size) = (entry.key, entry.size);
            let promote = entry.word >= MOVE_TO_MAIN_THRESHOLD;
            // Main starts a promoted object with no hits; a dropped one's word becomes its ghost
            // number in `remember`.
            entry.word = 0;
            self.small.units -= u64::from(size);
            if promote {
                self.main.buckets.push_back(bucket);
                self.main.units += u64::from(size);
                promoted += 1;
                continue;
            }
            evicted.push(key);
            why.note(|| Rule::SmallOut {
                victim: key,
                promoted,
            });
            self.remember(bucket, size);
            return;
        }
    }

    /// Moves the object in `bucket` (just dropped from small) into the ghost, dropping the
    /// ghost's oldest keys until it fits; an object larger than the whole ghost is forgotten.
    fn remember(&mut self, bucket: u32, size: u32) {
        let size = u64::from(size);
        if size > self.ghost.capacity {
            self.remove(bucket);
            return;
        }
        while self.ghost.units + size > self.ghost.capacity {
            let Some(oldest) = self.ghost.buckets.pop_front() else {
                break;
            };
            self.ghost.front_seq = self.ghost.front_seq.wrapping_add(1);
            if oldest == NIL {
                self.ghost.blanks -= 1;
            } else {
                self.ghost.units -= u64::from(self.entry(oldest).size);
                self.remove(oldest);
            }
        }
        let word = self.ghost.word(self.ghost.buckets.len());
        self.entry(bucket).word = word;
        self.ghost.buckets.push_back(bucket);
        self.ghost.units += size;
    }

    /// Takes the ghost entry in `bucket` out of the ghost's queue (a ghost hit).
    fn unghost(&mut self, bucket: u32) {
        let Entry { size, word, .. } = *self.entry(bucket);
        let position = self.ghost.position(word);
        self.ghost.buckets[position] = NIL;
        self.ghost.units -= u64::from(size);
        self.ghost.blanks += 1;
        if self.ghost.blanks > self.ghost.buckets.len() / 2 + 64 {
            self.compact_ghost();
        }
    }

    /// Drops the blanks from the ghost's queue and renumbers the rest, so that a trace whose
    /// ghost keys keep coming back cannot grow the queue without bound.
    fn compact_ghost(&mut self) {
        self.ghost.buckets.retain(|&bucket| bucket != NIL);
        self.ghost.blanks = 0;
        for position in 0..self.ghost.buckets.len() {
            let word = self.ghost.word(position);
            let bucket = self.ghost.buckets[position];
            self.entry(bucket).word = word;
        }
    }

    /// Pops main's oldest objects, reinserting those hit since their last pass with a lower
    /// count, until one with no hits is dropped.
    fn evict_main(&mut self, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        let mut reinserted = 0;
        while let Some(bucket) = self.main.buckets.pop_front() {
            let entry = self.entry(bucket);
            if entry.word >= 1 {
                entry.word -= 1;
                self.main.buckets.push_back(bucket);
                reinserted += 1;
                continue;
            }
            let (key, size) = (entry.key, entry.size);
            evicted.push(key);
            why.note(|| Rule::MainOut {
                victim: key,
                reinserted,
            });
            self.main.units -= u64::from(size);
            self.remove(bucket);
            return;
        }
    }
}

impl Evictor for S3Fifo {
    const NAME: &'static str = "s3fifo";
    const ON_HIT: &'static str =
        "S3-FIFO adds one to the object's frequency (counted up to 3) and moves nothing";
    const ON_INSERT: &'static str =
        "the object enters small (or main, after a ghost hit) with frequency 0";

    #[inline]
    fn lookup(&mut self, request: &Access, why: &mut impl Explain) -> bool {
        if self.ghost_hit != NIL {
            // The previous ghost hit was too large to insert: forget it now.
            let bucket = std::mem::replace(&mut self.ghost_hit, NIL);
            self.remove(bucket);
        }
        let key = request.key;
        let Ok(mut found) = self.table.find_entry(hash(key), |e| e.key == key) else {
            return false;
        };
        let word = &mut found.get_mut().word;
        if *word & GHOST == 0 {
            *word = (*word + 1).min(MAX_FREQ);
            return true;
        }
        let bucket = found.bucket_index() as u32;
        self.unghost(bucket);
        self.ghost_hit = bucket;
        why.note(|| Rule::GhostToMain { key });
        false
    }

    fn evict(&mut self, _size: u32, evicted: &mut Vec<u64>, why: &mut impl Explain) {
        if self.main.units > self.main_share || self.small.buckets.is_empty() {
            self.evict_main(evicted, why);
        } else {
            self.evict_small(evicted, why);
        }
    }

    #[inline]
    fn insert(&mut self, request: &Access, size: u32) {
        let fresh = Entry {
            key: request.key,
            size,
            word: 0,
        };
        if self.ghost_hit != NIL {
            let bucket = std::mem::replace(&mut self.ghost_hit, NIL);
            *self.entry(bucket) = fresh;
            self.main.buckets.push_back(bucket);
            self.main.units += u64::from(size);
            return;
        }
        if self.table.len() == self.table.capacity() {
            self.make_room();
        }
        let bucket = self
            .table
            .insert_unique(hash(request.key), fresh, |e| hash(e.key))
            .bucket_index() as u32;
        self.small.buckets.push_back(bucket);
        self.small.units += u64::from(size);
    }

    fn used(&self) -> u64 {
        self.small.units + self.main.units
    }

    fn memory_bytes(&self) -> usize {
        let queued = self.small.buckets.capacity()
            + self.main.buckets.capacity()
            + self.ghost.buckets.capacity();
        self.table.allocation_size() + queued * std::mem::size_of::<u32>()
    }

    fn snapshot(&self) -> Snapshot {
        let entries = |buckets: &VecDeque<u32>| -> Vec<Entry> {
            buckets
                .iter()
                .filter_map(|&b| self.table.get_bucket(b as usize).copied())
                .collect()
        };
        let counted = |buckets| {
            items(
                entries(buckets)
                    .iter()
                    .map(|e| (e.key, Some(u64::from(e.word)))),
            )
        };
        let ghost = entries(&self.ghost.buckets)
            .iter()
            .map(|e| (e.key, None))
            .collect::<Vec<_>>();
        Snapshot {
            lists: vec![
                List::row("small", counted(&self.small.buckets)).marked("freq"),
                List::row("main", counted(&self.main.buckets))
                    .marked("freq")
                    .share(self.main_share),
                List::row("ghost", items(ghost))
                    .ghost()
                    .share(self.ghost.capacity),
            ],
            values: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cache: &mut S3Fifo, capacity: u64, keys: &[u64]) -> Vec<u64> {
        let mut evicted = Vec::new();
        for &key in keys {
            let a = Access::new(key, 1);
            if !cache.lookup(&a, &mut ()) {
                while cache.used() + 1 > capacity {
                    cache.evict(1, &mut evicted, &mut ());
                }
                cache.insert(&a, 1);
            }
        }
        evicted
    }

    /// `count` keys drawn uniformly from `0..distinct`.
    fn random_keys(seed: u64, count: usize, distinct: u64) -> Vec<u64> {
        let mut rng = crate::sim::SimRng::new(seed);
        (0..count).map(|_| rng.below(distinct)).collect()
    }

    /// The queue `key` is in, read from the storage.
    fn place(cache: &mut S3Fifo, key: u64) -> &'static str {
        let Some(bucket) = cache.table.find_bucket_index(hash(key), |e| e.key == key) else {
            return "none";
        };
        let bucket = bucket as u32;
        if cache.entry(bucket).word & GHOST != 0 {
            "ghost"
        } else if cache.main.buckets.contains(&bucket) {
            "main"
        } else {
            "small"
        }
    }

    #[test]
    fn one_hit_wonders_leave_through_small_and_ghost_hits_enter_main() {
        let mut cache = S3Fifo::with_capacity(10);
        assert_eq!((cache.main_share, cache.ghost.capacity), (9, 9));
        // 0..10 fill the cache (all in small, since nothing was seen before); 10 evicts 0,
        // whose key moves to the ghost.
        assert_eq!(run(&mut cache, 10, &(0..11).collect::<Vec<_>>()), [0]);
        assert_eq!(place(&mut cache, 0), "ghost");
        // 0 again: a ghost hit, so it is inserted straight into main (and 1 goes to the ghost
        // to make room).
        run(&mut cache, 10, &[0]);
        assert_eq!(place(&mut cache, 0), "main");
        assert_eq!(place(&mut cache, 1), "ghost");
        assert_eq!(cache.ghost.units, 1, "0 left the ghost, 1 entered it");
    }

    #[test]
    fn objects_hit_twice_in_small_are_promoted_with_a_fresh_count() {
        let mut cache = S3Fifo::with_capacity(10);
        run(&mut cache, 10, &[0, 0, 0]);
        run(&mut cache, 10, &(1..11).collect::<Vec<_>>());
        assert_eq!(place(&mut cache, 0), "main");
        let zero = cache.table.find(hash(0), |e| e.key == 0).unwrap();
        assert_eq!(zero.word, 0);
    }

    #[test]
    fn moving_every_entry_to_another_bucket_changes_nothing() {
        let keys = random_keys(7, 50_000, 3_000);
        let mut steady = S3Fifo::with_capacity(300);
        let mut moved = S3Fifo::with_capacity(300);
        for (round, chunk) in keys.chunks(1_000).enumerate() {
            assert_eq!(run(&mut steady, 300, chunk), run(&mut moved, 300, chunk));
            let buckets_before = moved.table.num_buckets();
            // Grow the table, then shrink it back: every entry is rehashed twice.
            moved.reorganise(|t| t.reserve(t.len() * 4, |e| hash(e.key)));
            moved.reorganise(|t| t.shrink_to_fit(|e| hash(e.key)));
            assert_eq!(moved.table.num_buckets(), buckets_before, "round {round}");
        }
        assert_eq!(steady.used(), moved.used());
    }

    #[test]
    fn keys_that_keep_coming_back_from_the_ghost_do_not_grow_it() {
        // Thirty keys asked three times fill main, which leaves small one object. Then every
        // fresh key comes back three requests later, by which time it has left small for the
        // ghost: a ghost hit. The ghost never fills, so its front never moves, and every entry
        // behind the newest few is a blank.
        let mut cache = S3Fifo::with_capacity(10);
        let warm = (0..30u64).flat_map(|k| [1_000_000 + k; 3]);
        let keys: Vec<u64> = warm
            .chain((3..100_000u64).flat_map(|k| [k, k - 3]))
            .collect();
        let mut longest = 0;
        for chunk in keys.chunks(100) {
            run(&mut cache, 10, chunk);
            longest = longest.max(cache.ghost.buckets.len());
        }
        // Compaction keeps the blanks within the live entries (at most 9 here) plus 128.
        assert!(
            longest <= 9 + (9 + 129),
            "the ghost's queue reached {longest} entries"
        );
        let ghosts = cache.ghost.buckets.iter().filter(|&&b| b != NIL).count();
        assert_eq!(ghosts as u64, cache.ghost.units);
        assert_eq!(cache.table.len(), 10 + ghosts, "cached + ghost keys");
        for (position, bucket) in cache.ghost.buckets.clone().into_iter().enumerate() {
            if bucket != NIL {
                let word = cache.ghost.word(position);
                assert_eq!(cache.entry(bucket).word, word);
            }
        }
    }
}
