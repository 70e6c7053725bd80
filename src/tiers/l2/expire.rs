//! Expiry as Redis does it: lazily, when a command touches an expired key (see
//! `L2::live_slot`), and actively, in a background cycle that runs `hz` = 10 times a second of
//! simulated time. A cycle samples up to 20 keys that have a TTL, removes those whose TTL has
//! passed, and samples again while more than 25 % of the sample had expired.

use super::L2;
use crate::sim::{SimRng, SimTime};

/// The cycle's period: Redis's default `hz 10`.
const CYCLE_PERIOD_US: u64 = 100_000;
/// Keys with a TTL sampled per round (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
const KEYS_PER_ROUND: usize = 20;
/// Another round follows while more than this share (in percent) of a sample had expired.
const REPEAT_ABOVE_PERCENT: usize = 25;
/// Rounds per cycle at most: stands in for Redis's limit of 25 % of the CPU per cycle.
pub const MAX_EXPIRE_ROUNDS: u32 = 1_000;
/// When the clock jumps over more cycles than this, only the last this-many run (each finds what
/// expired up to its own instant, so the result is close; the work stays bounded).
pub const MAX_CYCLES_PER_ADVANCE: u64 = 600;

/// The active cycle's state: its own random stream, so that expiry sampling never shifts the
/// eviction sampling (or the reverse).
#[derive(Debug)]
pub(super) struct ActiveExpiry {
    rng: SimRng,
}

impl ActiveExpiry {
    pub(super) fn new(rng: SimRng) -> Self {
        ActiveExpiry { rng }
    }
}

/// Moves `l2`'s clock to `t`, running a cycle at every 100 ms boundary on the way.
pub(super) fn advance(l2: &mut L2, t: SimTime) {
    if t <= l2.now {
        return;
    }
    let first = l2.now.as_micros() / CYCLE_PERIOD_US + 1;
    let last = t.as_micros() / CYCLE_PERIOD_US;
    if first <= last && l2.db.volatile_len() > 0 {
        let skipped_to = last.saturating_sub(MAX_CYCLES_PER_ADVANCE - 1).max(first);
        for tick in skipped_to..=last {
            l2.now = SimTime(tick * CYCLE_PERIOD_US);
            run_cycle(l2);
            if l2.db.volatile_len() == 0 {
                break;
            }
        }
    }
    l2.now = t;
}

/// One active expiry cycle at the current instant.
fn run_cycle(l2: &mut L2) {
    l2.stats.expire_cycles += 1;
    for _ in 0..MAX_EXPIRE_ROUNDS {
        let sampled = KEYS_PER_ROUND.min(l2.db.volatile_len());
        if sampled == 0 {
            return;
        }
        let mut expired = 0;
        for _ in 0..sampled {
            let n = l2.db.volatile_len() as u64;
            if n == 0 {
                break;
            }
            let slot = l2.db.volatile_slot(l2.expire.rng.below(n) as usize);
            if l2.is_expired(slot) {
                l2.delete_slot(slot);
                l2.stats.expired_keys += 1;
                l2.stats.expired_by_cycle += 1;
                expired += 1;
            }
        }
        if expired * 100 <= sampled * REPEAT_ABOVE_PERCENT {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::{SimDuration, SimTime};
    use crate::tiers::l2::{L2Config, L2};

    fn with_ttls(seed: u64, n: u32, ttl_ms: u64) -> L2 {
        let mut l2 = L2::with_config(L2Config {
            seed,
            ..L2Config::default()
        });
        for i in 0..n {
            l2.set(
                &i.to_be_bytes(),
                b"v",
                Some(SimDuration::from_millis(ttl_ms)),
            )
            .unwrap();
        }
        l2
    }

    #[test]
    fn the_cycle_runs_ten_times_a_second() {
        let mut l2 = with_ttls(1, 1, 10_000);
        l2.advance_to(SimTime(1_050_000));
        assert_eq!(l2.stats().expire_cycles, 10);
        l2.advance_to(SimTime(1_099_999));
        assert_eq!(l2.stats().expire_cycles, 10);
    }

    #[test]
    fn a_cycle_removes_expired_keys_without_access_at_two_seeds() {
        for seed in [1, 2] {
            let mut l2 = with_ttls(seed, 1_000, 50);
            l2.advance_to(SimTime(100_000));
            let s = l2.stats();
            // Everything in the sample had expired, so the cycle kept going until the share of
            // expired keys in a sample dropped: here, until they were all gone.
            assert_eq!(s.expire_cycles, 1);
            assert_eq!(s.expired_by_cycle, 1_000);
            assert_eq!(l2.dbsize(), 0);
        }
    }

    #[test]
    fn a_cycle_stops_when_few_sampled_keys_have_expired() {
        for seed in [1, 2] {
            // 10 short-lived keys among 990 long-lived: a sample of 20 holds about 0.2 expired
            // keys, far below 25 %, so one round per cycle, and some keys wait for later cycles.
            let mut l2 = with_ttls(seed, 990, 100_000);
            for i in 0..10u32 {
                let key = [b"short".as_slice(), &i.to_be_bytes()].concat();
                l2.set(&key, b"v", Some(SimDuration::from_millis(50)))
                    .unwrap();
            }
            l2.advance_to(SimTime(100_000));
            let s = l2.stats();
            assert_eq!(s.expire_cycles, 1);
            assert!(s.expired_by_cycle < 10, "seed {seed}: {s:?}");
            assert_eq!(l2.dbsize(), 1_000 - s.expired_by_cycle);
        }
    }

    #[test]
    fn long_jumps_run_a_bounded_number_of_cycles() {
        let mut l2 = with_ttls(1, 1, 10_000_000_000);
        l2.advance_to(SimTime(3_600_000_000));
        assert_eq!(l2.stats().expire_cycles, super::MAX_CYCLES_PER_ADVANCE);
        assert_eq!(l2.now(), SimTime(3_600_000_000));
    }
}
