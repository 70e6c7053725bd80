//! Scenario `lock-safety`: the claims of its lesson, as relations that hold at seeds 1–5 at the
//! scenario's defaults (loads with a 400 ms median and a 3 s p99 under a 500 ms lock).

use cachelab::scenario::{run, LockSafetyReport, Report};
use cachelab::strategy::LockStats;

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn locks(r: &Report, name: &str) -> LockStats {
    r.variant(name)
        .unwrap()
        .section::<LockSafetyReport>()
        .unwrap()
        .locks
}

#[test]
fn an_expired_lock_lets_a_second_load_in_and_only_the_chapters_release_deletes_its_lock() {
    for seed in SEEDS {
        let r = run("lock-safety", &[], seed).unwrap();
        let (chapter, token, renewed) = (
            locks(&r, "chapter-lock"),
            locks(&r, "token-lock"),
            locks(&r, "renewed-lock"),
        );
        println!("seed {seed}: chapter {chapter:?}\n  token {token:?}\n  renewed {renewed:?}");
        // The load outlasted the lock: another request took it and loaded the hot key too.
        assert!(chapter.max_concurrent_loads > 1, "seed {seed}");
        assert!(chapter.overlapping_loads > 0, "seed {seed}");
        // ... and the first holder's DEL removed the second holder's lock.
        assert!(chapter.deleted_foreign > 0, "seed {seed}");
        // The token lock still overlaps (the token fixes the release, not the expiry), but its
        // compare-and-delete leaves the other holder's lock where the chapter's DEL deleted it.
        assert_eq!(token.deleted_foreign, 0, "seed {seed}");
        assert!(token.spared_foreign > 0, "seed {seed}");
        assert!(token.max_concurrent_loads > 1, "seed {seed}");
        // Renewed while the load runs, the lock never lapses: one load at a time.
        assert_eq!(renewed.max_concurrent_loads, 1, "seed {seed}");
        assert_eq!(renewed.overlapping_loads, 0, "seed {seed}");
        assert_eq!(renewed.deleted_foreign + renewed.spared_foreign, 0);
        assert!(renewed.renewals > 0, "seed {seed}");
        // No variant fails a request: the waiters outwait the slow loads.
        for v in &r.variants {
            assert_eq!(v.summary.errors, 0, "seed {seed}: {}", v.name);
        }
        // Every release found something or nothing: the counts add up to the locks taken.
        for l in [chapter, token, renewed] {
            assert_eq!(
                l.released_own + l.deleted_foreign + l.spared_foreign + l.found_expired,
                l.acquired,
                "seed {seed}"
            );
        }
    }
}

#[test]
fn with_a_lock_longer_than_every_load_the_variants_agree() {
    let long = [
        ("lock_ttl_ms".to_string(), "60000".to_string()),
        ("duration_s".to_string(), "6".to_string()),
    ];
    let r = run("lock-safety", &long, 1).unwrap();
    for v in &r.variants {
        let l = v.section::<LockSafetyReport>().unwrap().locks;
        assert_eq!(l.max_concurrent_loads, 1, "{}", v.name);
        assert_eq!(l.released_own, l.acquired, "{}", v.name);
    }
}
