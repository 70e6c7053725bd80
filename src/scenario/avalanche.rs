//! Scenario `avalanche`: many keys cached at once with one TTL expire together; jitter or early
//! refresh spreads their reloads.

use super::common::{faulty_lab, lab_params, param, zipf};
use super::contract::{variants, Experiment};
use super::lab::LabConfig;
use super::params::{ParamSpec, Params};
use crate::error::Result;
use crate::strategy::Protection;

/// Scenario `avalanche`.
pub(super) struct Avalanche;

variants! {
    /// How the keys' expiries are spread, or not.
    pub(super) enum Spread {
        FixedTtl = "fixed-ttl": "every key gets the same TTL",
        Jitter = "jitter": "TTLs spread by a random factor",
        EarlyRefresh = "early-refresh": "XFetch refreshes each key a random while before it expires",
    }
}

impl Experiment for Avalanche {
    type Variant = Spread;
    const NAME: &'static str = "avalanche";
    const ABOUT: &'static str =
        "Many keys cached at the same moment with the same TTL expire together, and the \
                database takes all their reloads at once; jitter or early refresh spreads them.";

    fn params() -> Vec<ParamSpec> {
        lab_params(
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
        )
    }

    fn lab_config(p: &Params, variant: Spread) -> Option<Result<LabConfig>> {
        Some(configure(p, variant))
    }
}

/// The lab bench of `variant`.
fn configure(p: &Params, variant: Spread) -> Result<LabConfig> {
    let mut lab = faulty_lab(p, zipf(p)?)?;
    match variant {
        Spread::FixedTtl => {}
        Spread::Jitter => lab.policy.jitter = p.get("jitter")?,
        Spread::EarlyRefresh => {
            lab.policy.protection = Protection::XFetch {
                beta: p.get("early_beta")?,
            }
        }
    }
    Ok(lab)
}
