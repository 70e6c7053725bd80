//! Scenario `penetration`: reads for keys that do not exist, against negative caching and a Bloom
//! filter of the existing keys.

use super::common::{faulty_lab, lab_params, param, secs, zipf};
use super::contract::{variants, Experiment};
use super::lab::LabConfig;
use super::params::{ParamSpec, Params};
use crate::error::Result;

/// Scenario `penetration`.
pub(super) struct Penetration;

variants! {
    /// What stands between a read for a missing key and the database.
    pub(super) enum Screen {
        None = "none": "a miss for a missing key always queries the database",
        NullCache = "null-cache": "'not found' is cached for a short TTL",
        Bloom = "bloom": "a Bloom filter of existing keys screens queries",
    }
}

impl Experiment for Penetration {
    type Variant = Screen;
    const NAME: &'static str = "penetration";
    const ABOUT: &'static str =
        "Requests for keys that do not exist miss every cache and reach the database, \
                unless 'not found' is cached or a Bloom filter of existing keys turns them away.";

    fn params() -> Vec<ParamSpec> {
        lab_params(
            &[
                ("keys", 10_000.0),
                ("skew", 1.0),
                ("ttl_s", 300.0),
                ("duration_s", 30.0),
                ("l1_keys", 1_000.0),
                ("db_p50_ms", 5.0),
                ("db_p99_ms", 30.0),
                ("db_pool", 32.0),
            ],
            &[
                param(
                    "missing_share",
                    "share of reads for keys that do not exist",
                    "",
                    0.2,
                    0.0,
                    1.0,
                    false,
                ),
                param(
                    "missing_keys",
                    "distinct keys that do not exist among those reads",
                    "keys",
                    5_000.0,
                    1.0,
                    1_000_000.0,
                    true,
                ),
                param(
                    "negative_ttl_s",
                    "null-cache: how long 'not found' is cached",
                    "s",
                    5.0,
                    0.01,
                    86_400.0,
                    false,
                ),
                param(
                    "bloom_bits_per_key",
                    "bloom: filter size per existing key",
                    "bits",
                    10.0,
                    1.0,
                    64.0,
                    true,
                ),
            ],
        )
    }

    fn lab_config(p: &Params, variant: Screen) -> Option<Result<LabConfig>> {
        Some(configure(p, variant))
    }
}

/// The lab bench of `variant`.
fn configure(p: &Params, variant: Screen) -> Result<LabConfig> {
    let mut lab = faulty_lab(p, zipf(p)?)?;
    lab.mix.missing_share = p.get("missing_share")?;
    lab.mix.missing_keys = p.get_u64("missing_keys")?;
    match variant {
        Screen::None => {}
        Screen::NullCache => lab.policy.negative_ttl = Some(secs(p, "negative_ttl_s")?),
        Screen::Bloom => lab.bloom_bits_per_key = Some(p.get_u64("bloom_bits_per_key")?),
    }
    Ok(lab)
}
