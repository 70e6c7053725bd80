//! Scenario `stampede`: one hot key expires under heavy concurrency, and the strategies that make
//! the requests that miss at once share one load.

use super::common::{hot_key_lab, lab_params, ms, param, secs, HOT_SHARE};
use super::contract::{variants, Experiment};
use super::lab::LabConfig;
use super::params::{ParamSpec, Params};
use crate::error::Result;
use crate::sim::SimDuration;
use crate::strategy::Protection;

/// Scenario `stampede`.
pub(super) struct Stampede;

variants! {
    /// How the requests that find the hot key missing are kept from all loading it.
    pub(super) enum Protect {
        Chapter = "chapter": "the chapter's lock as written: SET NX EX 10, 20 polls 100 ms apart, \
                              then an uncached load",
        None = "none": "plain cache-aside: every miss queries the database",
        Lock = "lock": "SET NX lock: one loads, the others poll, then fall back",
        Singleflight = "singleflight": "in-process coalescing: concurrent misses share one load",
        XFetch = "xfetch": "probabilistic early expiration with beta",
        Swr = "swr": "serve stale within the grace while one refresh runs",
    }
}

impl Experiment for Stampede {
    type Variant = Protect;
    const NAME: &'static str = "stampede";
    const ABOUT: &'static str =
        "One hot key expires under heavy concurrency: every request that misses at once \
                goes to the database, unless the strategy makes them share one load.";

    fn params() -> Vec<ParamSpec> {
        lab_params(
            &[("duration_s", 24.0)],
            &[
                HOT_SHARE,
                param(
                    "lock_ttl_ms",
                    "lock: expiry of the lock key",
                    "ms",
                    2_000.0,
                    1.0,
                    600_000.0,
                    false,
                ),
                param(
                    "lock_poll_ms",
                    "lock: pause between a waiter's polls",
                    "ms",
                    50.0,
                    0.1,
                    60_000.0,
                    false,
                ),
                param(
                    "lock_polls",
                    "lock: polls before falling back to the database",
                    "polls",
                    20.0,
                    0.0,
                    10_000.0,
                    true,
                ),
                param(
                    "beta",
                    "xfetch: eagerness of early recomputation (1 = standard)",
                    "",
                    1.0,
                    0.0,
                    1_000.0,
                    false,
                ),
                param(
                    "grace_s",
                    "swr: how long past freshness an entry may be served",
                    "s",
                    5.0,
                    0.0,
                    86_400.0,
                    false,
                ),
            ],
        )
    }

    fn lab_config(p: &Params, variant: Protect) -> Option<Result<LabConfig>> {
        Some(configure(p, variant))
    }
}

/// The lock of the chapter's `get_with_stampede_protection`, with its constants rather than the
/// `lock_*` knobs: a 10 s lock expiry and 20 polls 100 ms apart (2 s in all) before a waiter loads
/// the row itself without caching it. The `lock` variant keeps the knobs (2 s, 50 ms × 20) so that
/// a learner can see what the chapter's numbers cost.
const CHAPTER_LOCK: Protection = Protection::Lock {
    lock_ttl: SimDuration::from_secs(10),
    poll: SimDuration::from_millis(100),
    polls: 20,
};

/// The lab bench of `variant`.
fn configure(p: &Params, variant: Protect) -> Result<LabConfig> {
    let mut lab = hot_key_lab(p)?;
    lab.policy.protection = match variant {
        Protect::Chapter => CHAPTER_LOCK,
        Protect::None => Protection::None,
        Protect::Lock => Protection::Lock {
            lock_ttl: ms(p, "lock_ttl_ms")?,
            poll: ms(p, "lock_poll_ms")?,
            polls: p.get_u64("lock_polls")?,
        },
        Protect::Singleflight => Protection::Singleflight,
        Protect::XFetch => Protection::XFetch {
            beta: p.get("beta")?,
        },
        Protect::Swr => Protection::StaleWhileRevalidate {
            grace: secs(p, "grace_s")?,
        },
    };
    Ok(lab)
}
