//! `maxmemory` and what to evict when the data outgrows it, following Redis's `evict.c`.
//!
//! Before each command (and each typed call) the model checks `used_memory` against
//! `maxmemory`. If it is over, it frees keys until it is under, choosing them by the policy:
//!
//! - LRU, LFU and volatile-ttl policies sample `maxmemory-samples` keys (from all keys, or from
//!   the keys with a TTL for `volatile-*`), score each (idle time; 255 minus the decayed LFU
//!   counter; the inverse of the deadline) and merge them into an **eviction pool** of 16
//!   candidates kept sorted by score, which lives on between evictions. The best candidate that
//!   still exists is evicted. This is Redis's approximation of "least recently used".
//! - random policies evict a uniformly drawn key.
//! - `noeviction` evicts nothing; writes are refused with an `OOM` error.
//!
//! The LFU counter is Redis's 8-bit logarithmic counter: it starts at 5, an access increments it
//! with probability `1 / ((counter - 5) * lfu-log-factor + 1)`, and it loses one for every
//! `lfu-decay-time` minutes without access.

use super::db::Entry;
use super::{L2Error, L2};
use crate::sim::SimRng;

/// The most keys sampled per eviction step. Redis accepts any `maxmemory-samples` up to 2^31 and
/// samples that many; the model stops at 64 (more than enough to approximate LRU closely) so that
/// a large setting cannot stall a page.
pub const MAX_SAMPLES: u32 = 64;
/// Candidates the eviction pool keeps (`EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;
/// A new key's LFU counter, so that new keys are not evicted at once (`LFU_INIT_VAL`).
pub(super) const LFU_INIT_VAL: u8 = 5;

/// Redis's `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    /// Refuse writes when full.
    NoEviction,
    /// Approximate LRU over all keys.
    AllKeysLru,
    /// Approximate LRU over keys with a TTL.
    VolatileLru,
    /// LFU over all keys.
    AllKeysLfu,
    /// LFU over keys with a TTL.
    VolatileLfu,
    /// A random key.
    AllKeysRandom,
    /// A random key with a TTL.
    VolatileRandom,
    /// The key with a TTL that expires soonest (sampled).
    VolatileTtl,
}

impl MaxmemoryPolicy {
    /// Every policy, in the order Redis's error message lists them.
    pub const ALL: [MaxmemoryPolicy; 8] = [
        MaxmemoryPolicy::VolatileLru,
        MaxmemoryPolicy::VolatileLfu,
        MaxmemoryPolicy::VolatileRandom,
        MaxmemoryPolicy::VolatileTtl,
        MaxmemoryPolicy::AllKeysLru,
        MaxmemoryPolicy::AllKeysLfu,
        MaxmemoryPolicy::AllKeysRandom,
        MaxmemoryPolicy::NoEviction,
    ];

    /// The name CONFIG uses.
    pub fn name(self) -> &'static str {
        match self {
            MaxmemoryPolicy::NoEviction => "noeviction",
            MaxmemoryPolicy::AllKeysLru => "allkeys-lru",
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::AllKeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::AllKeysRandom => "allkeys-random",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
        }
    }

    /// The policy called `name` (case-insensitive, as CONFIG SET accepts it).
    ///
    /// ```
    /// use cachelab::tiers::l2::MaxmemoryPolicy;
    /// assert_eq!(MaxmemoryPolicy::from_name("AllKeys-LRU"), Some(MaxmemoryPolicy::AllKeysLru));
    /// assert_eq!(MaxmemoryPolicy::from_name("lru"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// True for the LFU policies, which keep an access counter instead of an access time.
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::AllKeysLfu | MaxmemoryPolicy::VolatileLfu
        )
    }

    fn volatile_only(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        )
    }
}

/// One eviction-pool candidate: a higher score is a better victim.
#[derive(Clone, Debug)]
struct Candidate {
    score: u64,
    key: Box<[u8]>,
}

/// The eviction state: the pool and the sampling stream.
#[derive(Debug)]
pub(super) struct Evictor {
    /// Sorted by score, ascending; at most `POOL_SIZE`.
    pool: Vec<Candidate>,
    rng: SimRng,
}

impl Evictor {
    pub(super) fn new(rng: SimRng) -> Self {
        Evictor {
            pool: Vec::with_capacity(POOL_SIZE),
            rng,
        }
    }

    /// Forgets the pool (its scores mean something else under another policy).
    pub(super) fn clear_pool(&mut self) {
        self.pool.clear();
    }

    /// Redis's `evictionPoolPopulate` insertion: keep the best `POOL_SIZE` scores.
    fn offer(&mut self, score: u64, key: &[u8]) {
        if self.pool.iter().any(|c| &*c.key == key) {
            return;
        }
        let k = self.pool.partition_point(|c| c.score < score);
        if self.pool.len() == POOL_SIZE {
            if k == 0 {
                return; // worse than everything in a full pool
            }
            self.pool.remove(0);
            self.pool.insert(
                k - 1,
                Candidate {
                    score,
                    key: key.into(),
                },
            );
        } else {
            self.pool.insert(
                k,
                Candidate {
                    score,
                    key: key.into(),
                },
            );
        }
    }
}

/// The LFU counter of `e` after decay up to `minute` (Redis's `LFUDecrAndReturn`).
pub(super) fn lfu_decayed(e: &Entry, minute: u64, decay_time: u32) -> u8 {
    if decay_time == 0 {
        return e.lfu_counter;
    }
    let periods = minute.saturating_sub(e.lfu_minute) / decay_time as u64;
    e.lfu_counter.saturating_sub(periods.min(255) as u8)
}

/// One access's probabilistic increment of the LFU counter (Redis's `LFULogIncr`).
pub(super) fn lfu_log_incr(counter: u8, log_factor: u32, rng: &mut SimRng) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if rng.unit() < p {
        counter + 1
    } else {
        counter
    }
}

/// A random candidate slot for `policy`, or `None` when there is nothing to draw from.
fn random_slot(l2: &mut L2, volatile: bool) -> Option<usize> {
    let n = if volatile {
        l2.db.volatile_len()
    } else {
        l2.db.len()
    } as u64;
    if n == 0 {
        return None;
    }
    let j = l2.evict.rng.below(n) as usize;
    Some(if volatile { l2.db.volatile_slot(j) } else { j })
}

/// How good a victim slot `i` is under `policy` (higher is better).
fn victim_score(l2: &L2, i: usize) -> u64 {
    let e = l2.db.entry(i);
    let now_ms = l2.now.as_millis();
    match l2.config.policy {
        // Sooner deadlines score higher; i64 to u64 keeps the order when shifted by 2^63.
        MaxmemoryPolicy::VolatileTtl => {
            u64::MAX
                - e.expires_at.map_or(u64::MAX, |t| {
                    (t.as_us().clamp(i64::MIN as i128, i64::MAX as i128) as i64 as u64) ^ (1 << 63)
                })
        }
        p if p.is_lfu() => 255 - lfu_decayed(e, now_ms / 60_000, l2.config.lfu_decay_time) as u64,
        _ => now_ms.saturating_sub(e.lru_ms),
    }
}

/// Picks the next victim with the pool, or `None` if there are no candidates at all.
fn pool_victim(l2: &mut L2, volatile: bool) -> Option<usize> {
    loop {
        for _ in 0..l2.config.samples.clamp(1, MAX_SAMPLES) {
            let i = random_slot(l2, volatile)?;
            let score = victim_score(l2, i);
            let key: Box<[u8]> = l2.db.key(i).into();
            l2.evict.offer(score, &key);
        }
        // Best first; skip ghosts (keys deleted, or no longer volatile, since they were pooled).
        while let Some(c) = l2.evict.pool.pop() {
            if let Some(i) = l2.db.find(&c.key) {
                if !volatile || l2.db.entry(i).expires_at.is_some() {
                    return Some(i);
                }
            }
        }
    }
}

/// Redis's `performEvictions`: frees keys until `used_memory <= maxmemory`. Fails with
/// [`L2Error::OutOfMemory`] under `noeviction`, or when no candidate is left.
pub(super) fn perform_evictions(l2: &mut L2) -> Result<(), L2Error> {
    let policy = l2.config.policy;
    while l2.used_memory > l2.config.maxmemory {
        let victim = match policy {
            MaxmemoryPolicy::NoEviction => None,
            MaxmemoryPolicy::AllKeysRandom | MaxmemoryPolicy::VolatileRandom => {
                random_slot(l2, policy.volatile_only())
            }
            _ => pool_victim(l2, policy.volatile_only()),
        };
        let Some(i) = victim else {
            return Err(L2Error::OutOfMemory);
        };
        l2.delete_slot(i);
        l2.stats.evicted_keys += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, SimTime};
    use crate::tiers::l2::L2Config;

    fn full_l2(policy: MaxmemoryPolicy, seed: u64) -> L2 {
        L2::with_config(L2Config {
            maxmemory: 20_000,
            policy,
            seed,
            ..L2Config::default()
        })
    }

    /// Writes 1,000 keys while reading keys 0..100 often; returns how many hot keys survived.
    fn hot_keys_surviving(policy: MaxmemoryPolicy, seed: u64) -> usize {
        let mut l2 = full_l2(policy, seed);
        for i in 0..1_000u32 {
            l2.advance_to(SimTime(i as u64 * 1_000));
            let ttl = Some(SimDuration::from_secs(1_000 + i as u64));
            l2.set(format!("k{i}").as_bytes(), &[b'x'; 50], ttl)
                .unwrap();
            for h in 0..10u32 {
                l2.get(format!("k{}", (i + h) % 100).as_bytes()).unwrap();
            }
        }
        (0..100)
            .filter(|h| l2.db.find(format!("k{h}").as_bytes()).is_some())
            .count()
    }

    #[test]
    fn lru_and_lfu_keep_hot_keys_better_than_random_at_two_seeds() {
        for seed in [1, 2] {
            let random = hot_keys_surviving(MaxmemoryPolicy::AllKeysRandom, seed);
            for p in [
                MaxmemoryPolicy::AllKeysLru,
                MaxmemoryPolicy::VolatileLru,
                MaxmemoryPolicy::AllKeysLfu,
                MaxmemoryPolicy::VolatileLfu,
            ] {
                let kept = hot_keys_surviving(p, seed);
                assert!(
                    kept > random + 20,
                    "{p:?} seed {seed}: {kept} vs random {random}"
                );
            }
        }
    }

    #[test]
    fn volatile_ttl_evicts_the_soonest_deadlines() {
        let mut l2 = full_l2(MaxmemoryPolicy::VolatileTtl, 1);
        for i in 0..1_000u64 {
            let ttl = Some(SimDuration::from_secs(10_000 - i));
            l2.set(format!("k{i}").as_bytes(), &[b'x'; 50], ttl)
                .unwrap();
        }
        let survivors: Vec<u64> = (0..1_000)
            .filter(|i| l2.db.find(format!("k{i}").as_bytes()).is_some())
            .collect();
        // Later keys have sooner deadlines and are the preferred victims.
        let mean = survivors.iter().sum::<u64>() as f64 / survivors.len() as f64;
        assert!(mean < 400.0, "mean survivor {mean}");
    }

    #[test]
    fn noeviction_and_volatile_without_ttls_refuse_writes() {
        for p in [MaxmemoryPolicy::NoEviction, MaxmemoryPolicy::VolatileLru] {
            let mut l2 = full_l2(p, 1);
            let mut refused = 0;
            for i in 0..1_000u32 {
                if l2.set(format!("k{i}").as_bytes(), &[b'x'; 50], None)
                    == Err(L2Error::OutOfMemory)
                {
                    refused += 1;
                }
            }
            assert!(refused > 700, "{p:?}: {refused}");
            assert_eq!(l2.stats().evicted_keys, 0);
            assert!(l2.del(b"k0"));
        }
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let mut rng = SimRng::new(1);
        let mut c = LFU_INIT_VAL;
        for _ in 0..100_000 {
            c = lfu_log_incr(c, 10, &mut rng);
        }
        // With factor 10, about 100k hits reach the mid-100s (Redis's table: 1M hits -> 255).
        assert!((100..=255).contains(&c), "{c}");
        let e = Entry {
            value: crate::tiers::l2::Value::Str(vec![]),
            expires_at: None,
            lru_ms: 0,
            lfu_counter: 10,
            lfu_minute: 0,
            memory: 0,
        };
        assert_eq!(lfu_decayed(&e, 3, 1), 7);
        assert_eq!(lfu_decayed(&e, 3, 2), 9);
        assert_eq!(lfu_decayed(&e, 300, 1), 0);
        assert_eq!(lfu_decayed(&e, 300, 0), 10);
    }

    #[test]
    fn eviction_is_deterministic_for_a_seed() {
        let run = |seed| {
            let mut l2 = full_l2(MaxmemoryPolicy::AllKeysLru, seed);
            for i in 0..500u32 {
                l2.set(format!("k{i}").as_bytes(), b"v", None).unwrap();
            }
            (0..500)
                .filter(|i| l2.db.find(format!("k{i}").as_bytes()).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
    }
}
