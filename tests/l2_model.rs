//! The L2 model as the simulation uses it: exact counters at fixed seeds for expiry and
//! eviction, asserted as properties at two seeds.

use cachelab::sim::{SimDuration, SimTime};
use cachelab::tiers::l2::{L2Config, L2Error, MaxmemoryPolicy, L2};

fn l2(seed: u64, maxmemory: u64, policy: MaxmemoryPolicy) -> L2 {
    L2::with_config(L2Config {
        seed,
        maxmemory,
        policy,
        ..L2Config::default()
    })
}

#[test]
fn expired_keys_counts_lazy_and_active_expiry_at_two_seeds() {
    for seed in [3, 4] {
        let mut m = l2(seed, 0, MaxmemoryPolicy::NoEviction);
        for i in 0..200u32 {
            let ttl = SimDuration::from_millis(1 + i as u64 % 50);
            m.set(&i.to_be_bytes(), b"v", Some(ttl)).unwrap();
        }
        // Before the first cycle, reading ten of them expires exactly those ten lazily.
        m.advance_to(SimTime(60_000));
        for i in 0..10u32 {
            assert_eq!(m.get(&i.to_be_bytes()).unwrap(), None);
        }
        assert_eq!(m.stats().expired_keys, 10);
        assert_eq!(m.stats().keyspace_misses, 10);
        // The cycle at 100 ms sees a sample full of expired keys and keeps going to the end.
        m.advance_to(SimTime(100_000));
        let s = m.stats();
        assert_eq!(s.expired_keys, 200);
        assert_eq!(s.expired_by_cycle, 190);
        assert_eq!(m.dbsize(), 0);
        assert_eq!(m.used_memory(), 0);
    }
}

#[test]
fn maxmemory_holds_under_every_evicting_policy_at_two_seeds() {
    for seed in [1, 2] {
        for policy in MaxmemoryPolicy::ALL {
            let mut m = l2(seed, 50_000, policy);
            let mut refused = 0u64;
            for i in 0..5_000u32 {
                m.advance_to(SimTime(i as u64 * 1_000));
                let ttl = (i % 2 == 0).then(|| SimDuration::from_secs(3_600));
                match m.set(format!("key:{i}").as_bytes(), &[b'x'; 64], ttl) {
                    Ok(()) => {}
                    Err(L2Error::OutOfMemory) => refused += 1,
                    Err(e) => panic!("{e}"),
                }
                // Eviction happens before each write, so memory exceeds the limit by at most
                // one key.
                assert!(m.used_memory() <= 50_000 + 200, "{policy:?}");
            }
            let s = m.stats();
            match policy {
                MaxmemoryPolicy::NoEviction => {
                    assert_eq!(s.evicted_keys, 0);
                    assert_eq!(refused + m.dbsize(), 5_000);
                }
                p if p.name().starts_with("volatile") => {
                    // Only keys with a TTL go; once they are gone, writes are refused.
                    assert!(s.evicted_keys > 0 && refused > 0, "{p:?} {s:?}");
                    assert_eq!(s.evicted_keys + refused + m.dbsize(), 5_000);
                }
                p => {
                    assert_eq!(refused, 0, "{p:?}");
                    assert_eq!(s.evicted_keys + m.dbsize(), 5_000);
                }
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed| {
        let mut m = l2(seed, 30_000, MaxmemoryPolicy::AllKeysLfu);
        for i in 0..3_000u64 {
            m.advance_to(SimTime(i * 10_000));
            let key = format!("k{}", (i * 7919) % 1_000);
            if m.get(key.as_bytes()).unwrap().is_none() {
                m.set(
                    key.as_bytes(),
                    b"value",
                    Some(SimDuration::from_millis(i % 700)),
                )
                .unwrap();
            }
        }
        (m.stats(), m.dbsize(), m.used_memory())
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

/// The same run natively and in wasm (this file also runs under Node with
/// `cargo test --target wasm32-unknown-unknown`): LFU increments, eviction sampling and the expiry
/// cycle all draw from the seed, so the exact counters are pinned here on both platforms.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_pinned_run_gives_the_same_counters_on_every_platform() {
    let mut m = l2(9, 5_000, MaxmemoryPolicy::AllKeysLfu);
    for i in 0..20_000u64 {
        m.advance_to(SimTime(i * 5_000));
        let key = format!("k{}", (i * i) % 777);
        if m.get(key.as_bytes()).unwrap().is_none() {
            let ttl = SimDuration::from_millis(50 + i % 900);
            m.set(key.as_bytes(), b"payload", Some(ttl)).unwrap();
        }
    }
    let s = m.stats();
    assert_eq!(
        (
            s.keyspace_hits,
            s.keyspace_misses,
            s.expired_keys,
            s.evicted_keys,
            m.dbsize()
        ),
        (4_670, 15_330, 6_357, 8_916, 57)
    );
}
