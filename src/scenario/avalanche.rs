//! Scenario `avalanche`: many keys cached at once with one TTL expire together; jitter or early
//! refresh spreads their reloads.

use super::common::{base_lab, param, with_defaults, zipf};
use super::contract::{variant, Runner, Scenario};
use crate::strategy::Protection;

pub(super) fn scenario() -> Scenario {
    Scenario {
        name: "avalanche",
        about: "Many keys cached at the same moment with the same TTL expire together, and the \
                database takes all their reloads at once; jitter or early refresh spreads them.",
        params: with_defaults(
            &[
                ("keys", 5_000.0),
                ("ttl_s", 20.0),
                ("duration_s", 45.0),
                ("db_p50_ms", 10.0),
                ("db_p99_ms", 50.0),
                ("db_pool", 32.0),
            ],
            &[
                param(
                    "jitter",
                    "jitter: each TTL is scaled by a random factor in [1 - jitter, 1 + jitter]",
                    "",
                    0.25,
                    0.0,
                    0.99,
                    false,
                ),
                param(
                    "early_beta",
                    "early-refresh: XFetch's beta (large values refresh seconds early)",
                    "",
                    100.0,
                    0.0,
                    100_000.0,
                    false,
                ),
            ],
        ),
        variants: vec![
            variant("fixed-ttl", "every key gets the same TTL"),
            variant("jitter", "TTLs spread by a random factor"),
            variant(
                "early-refresh",
                "XFetch refreshes each key a random while before it expires",
            ),
        ],
        runner: Runner::Lab(|p, variant| {
            let mut lab = base_lab(p, zipf(p))?;
            match variant {
                "jitter" => lab.policy.jitter = p.get("jitter"),
                "early-refresh" => {
                    lab.policy.protection = Protection::XFetch {
                        beta: p.get("early_beta"),
                    }
                }
                _ => {}
            }
            Ok(lab)
        }),
    }
}
