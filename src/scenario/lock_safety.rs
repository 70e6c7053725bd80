//! Scenario `lock-safety`: the stampede lock when the load behind it outlasts the lock's TTL. The
//! lock expires, a second request takes it and loads too, and the first holder's release then
//! meets the second holder's lock: the chapter's `DEL` deletes it, a compare-and-delete leaves
//! it, and a lock renewed while its holder loads never expires under a slow load at all.

use super::common::{hot_key_lab, lab_params, ms, param, HOT_SHARE};
use super::contract::{variants, Experiment, VariantSet};
use super::lab::{run_lab, LabConfig};
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::Result;
use crate::strategy::{LockStats, Protection, Release, TokenLock};
use serde::Serialize;

/// Scenario `lock-safety`.
pub(super) struct LockSafety;

variants! {
    /// How the lock holder releases its lock, and whether it keeps it alive.
    pub(super) enum Lock {
        Chapter = "chapter-lock": "SET NX EX, then an unconditional DEL: may delete a lock another request took after ours expired",
        Token = "token-lock": "a token in the lock, released by an atomic compare-and-delete (a Lua script on Redis)",
        Renewed = "renewed-lock": "the token lock, extended every third of its TTL while the load runs",
    }
}

impl Experiment for LockSafety {
    type Variant = Lock;
    const NAME: &'static str = "lock-safety";
    const ABOUT: &'static str =
        "A stampede lock whose load sometimes outlasts the lock's TTL: a second request takes \
         the expired lock and loads too, and the first holder's release may delete the \
         second's lock.";

    fn params() -> Vec<ParamSpec> {
        lab_params(
            &[
                ("duration_s", 20.0),
                ("rate", 500.0),
                ("ttl_s", 1.0),
                // Waiters and refills of the one hot key keep L2's hit ratio low by design.
                ("alert_hit_ratio", 0.0),
                ("db_p50_ms", 400.0),
                ("db_p99_ms", 3_000.0),
                ("timeout_ms", 10_000.0),
            ],
            &[
                HOT_SHARE,
                param(
                    "lock_ttl_ms",
                    "expiry of the lock key (a load slower than this outlives its lock)",
                    "ms",
                    500.0,
                    1.0,
                    600_000.0,
                    false,
                ),
                param(
                    "lock_poll_ms",
                    "pause between a waiter's polls of the cache",
                    "ms",
                    50.0,
                    0.1,
                    60_000.0,
                    false,
                ),
                param(
                    "lock_polls",
                    "polls before a waiter queries the database itself",
                    "polls",
                    100.0,
                    0.0,
                    10_000.0,
                    true,
                ),
            ],
        )
    }

    fn lab_config(p: &Params, variant: Lock) -> Option<Result<LabConfig>> {
        Some(configure(p, variant))
    }

    fn run(p: &Params, variant: Lock, seed: u64) -> Result<VariantReport> {
        let config = configure(p, variant)?;
        let (report, ctx) = run_lab(variant.name(), &config, seed)?;
        let section = LockSafetyReport {
            locks: ctx.lock_stats(),
        };
        Ok(VariantReport {
            section: Some(section.into()),
            ..report
        })
    }
}

/// The lab bench of `variant`.
fn configure(p: &Params, variant: Lock) -> Result<LabConfig> {
    let mut lab = hot_key_lab(p)?;
    let (release, renew) = match variant {
        Lock::Chapter => (Release::Unconditional, false),
        Lock::Token => (Release::CompareAndDelete, false),
        Lock::Renewed => (Release::CompareAndDelete, true),
    };
    lab.policy.protection = Protection::TokenLock(TokenLock {
        ttl: ms(p, "lock_ttl_ms")?,
        poll: ms(p, "lock_poll_ms")?,
        polls: p.get_u64("lock_polls")?,
        release,
        renew,
    });
    Ok(lab)
}

/// What the lock holders did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LockSafetyReport {
    /// Locks taken, concurrent loads and what each release deleted.
    pub locks: LockStats,
}

impl LockSafetyReport {
    /// One line: concurrent loads and whose locks the releases deleted.
    pub fn headline(&self) -> String {
        let l = &self.locks;
        format!(
            "{} locks taken, at most {} loads at once ({} overlapped another); releases deleted \
             {} own and {} foreign locks, spared {} foreign, found {} expired; {} renewals",
            l.acquired,
            l.max_concurrent_loads,
            l.overlapping_loads,
            l.released_own,
            l.deleted_foreign,
            l.spared_foreign,
            l.found_expired,
            l.renewals
        )
    }
}
