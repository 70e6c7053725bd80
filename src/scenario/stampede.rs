//! Scenario `stampede`: one hot key expires under heavy concurrency, and the strategies that make
//! the requests that miss at once share one load.

use super::common::{base_lab, ms, param, secs, with_defaults};
use super::contract::{variant, Runner, Scenario};
use crate::strategy::Protection;
use crate::workload::Popularity;

pub(super) fn scenario() -> Scenario {
    Scenario {
        name: "stampede",
        about: "One hot key expires under heavy concurrency: every request that misses at once \
                goes to the database, unless the strategy makes them share one load.",
        params: with_defaults(
            &[("duration_s", 24.0)],
            &[
                param(
                    "hot_share",
                    "share of requests for the hot key (the rest are uniform)",
                    "",
                    1.0,
                    0.0,
                    1.0,
                    false,
                ),
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
        ),
        variants: vec![
            variant("none", "plain cache-aside: every miss queries the database"),
            variant(
                "lock",
                "SET NX lock: one loads, the others poll, then fall back",
            ),
            variant(
                "singleflight",
                "in-process coalescing: concurrent misses share one load",
            ),
            variant("xfetch", "probabilistic early expiration with beta"),
            variant("swr", "serve stale within the grace while one refresh runs"),
        ],
        runner: Runner::Lab(|p, variant| {
            let mut lab = base_lab(
                p,
                Popularity::OneHot {
                    keys: p.get_u64("keys"),
                    hot_share: p.get("hot_share"),
                },
            )?;
            lab.hot_key = Some(0);
            lab.policy.protection = match variant {
                "lock" => Protection::Lock {
                    lock_ttl: ms(p, "lock_ttl_ms"),
                    poll: ms(p, "lock_poll_ms"),
                    polls: p.get_u64("lock_polls"),
                },
                "singleflight" => Protection::Singleflight,
                "xfetch" => Protection::XFetch {
                    beta: p.get("beta"),
                },
                "swr" => Protection::StaleWhileRevalidate {
                    grace: secs(p, "grace_s"),
                },
                _ => Protection::None,
            };
            Ok(lab)
        }),
    }
}
