//! The named experiments that compare strategies: `stampede`, `avalanche` and `penetration` on
//! the lab bench, and the ones with a bench of their own in sibling modules (`schema-deploy`,
//! `consistency`, `multilayer`, `response-cache`, `ratelimit`, `tags`).
//!
//! A [`Scenario`] declares its parameters as [`ParamSpec`]s (most are shared — see [`COMMON`] —
//! with defaults that suit the experiment) and its variants; [`run`] validates the caller's
//! values and runs every variant on the same traffic.

use super::lab::{run_variant, LabConfig, VariantReport};
use super::params::{resolve, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::manager::AlertThresholds;
use crate::sim::SimDuration;
use crate::strategy::{Policy, Protection};
use crate::tiers::LatencyModel;
use crate::workload::{Arrivals, Mix, Popularity, Zipf};
use serde::Serialize;
use std::num::{NonZeroU64, NonZeroUsize};

/// One variant of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// Its name in reports.
    pub name: &'static str,
    /// What it does, in a sentence.
    pub about: &'static str,
}

/// A named experiment: parameters, variants, and how a variant's lab is set up.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// Its name (`cachelab run NAME`).
    pub name: &'static str,
    /// What it shows, in a sentence or two.
    pub about: &'static str,
    /// Its knobs.
    pub params: Vec<ParamSpec>,
    /// The strategies it compares.
    pub variants: Vec<Variant>,
    #[serde(skip)]
    pub(super) runner: Runner,
}

/// How a scenario runs one variant.
#[derive(Clone, Copy, Debug)]
pub enum Runner {
    /// On the shared lab bench ([`run_variant`]): the scenario only sets up its [`LabConfig`].
    Lab(fn(&Params, &str) -> Result<LabConfig>),
    /// Its own bench, for experiments the lab cannot express (writers and readers racing,
    /// several app instances, rate limits): parameters, variant name and seed in, report out.
    Custom(fn(&Params, &str, u64) -> Result<VariantReport>),
}

impl Scenario {
    /// The lab bench of `variant` with `params` (already resolved), or `None` if the scenario
    /// runs on a bench of its own ([`Runner::Custom`]): how other runtimes (the `redis`
    /// feature's live mode) reuse a scenario's setup.
    pub fn lab_config(&self, params: &Params, variant: &str) -> Option<Result<LabConfig>> {
        match self.runner {
            Runner::Lab(configure) => Some(configure(params, variant)),
            Runner::Custom(_) => None,
        }
    }
}

/// A scenario run: every variant on the same traffic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The scenario.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The resolved parameters.
    pub params: Params,
    /// One report per variant, in the scenario's order.
    pub variants: Vec<VariantReport>,
}

impl Report {
    /// The variant called `name`, if the scenario has one.
    ///
    /// ```
    /// let quick = [("duration_s".to_string(), "2".to_string())];
    /// let report = cachelab::scenario::run("stampede", &quick, 1).unwrap();
    /// assert_eq!(report.variant("lock").unwrap().name, "lock");
    /// assert!(report.variant("no such variant").is_none());
    /// ```
    pub fn variant(&self, name: &str) -> Option<&VariantReport> {
        self.variants.iter().find(|v| v.name == name)
    }
}

pub(super) const fn variant(name: &'static str, about: &'static str) -> Variant {
    Variant { name, about }
}

pub(super) const fn param(
    name: &'static str,
    meaning: &'static str,
    unit: &'static str,
    default: f64,
    min: f64,
    max: f64,
    integer: bool,
) -> ParamSpec {
    ParamSpec {
        name,
        meaning,
        unit,
        default,
        min,
        max,
        integer,
    }
}

/// Parameters every scenario has (each scenario picks its own defaults).
///
/// The two monitoring thresholds default to an L2 hit ratio of 0.5 and 100 MB: at every scenario's
/// defaults the data stays far below 100 MB, and the only bucket whose hit ratio falls below one
/// half is the avalanche's mass expiry with a fixed TTL — the one moment worth paging someone for.
pub const COMMON: [ParamSpec; 17] = [
    param(
        "duration_s",
        "how long requests keep arriving",
        "s",
        20.0,
        1.0,
        600.0,
        false,
    ),
    param(
        "rate",
        "mean arrival rate of the open-loop (Poisson) traffic",
        "requests/s",
        10_000.0,
        1.0,
        1_000_000.0,
        false,
    ),
    param(
        "clients",
        "closed-loop clients instead of Poisson arrivals (0 = Poisson at `rate`)",
        "clients",
        0.0,
        0.0,
        100_000.0,
        true,
    ),
    param(
        "think_ms",
        "a closed-loop client's pause between an answer and its next request",
        "ms",
        10.0,
        0.0,
        60_000.0,
        false,
    ),
    param(
        "keys",
        "keys that exist",
        "keys",
        1_000.0,
        1.0,
        1_000_000.0,
        true,
    ),
    param(
        "skew",
        "Zipf exponent of key popularity (0 = uniform)",
        "",
        0.0,
        0.0,
        3.0,
        false,
    ),
    param(
        "write_share",
        "share of requests that update a key (then invalidate it)",
        "",
        0.0,
        0.0,
        1.0,
        false,
    ),
    param(
        "ttl_s",
        "how long a cached row stays fresh",
        "s",
        5.0,
        0.01,
        86_400.0,
        false,
    ),
    param(
        "l1_keys",
        "capacity of the in-process L1 (0 = no L1)",
        "keys",
        0.0,
        0.0,
        1_000_000.0,
        true,
    ),
    param(
        "l1_ttl_ms",
        "the longest an L1 entry lives",
        "ms",
        1_000.0,
        1.0,
        3_600_000.0,
        false,
    ),
    param(
        "l2_rtt_ms",
        "network round trip to the shared cache (L2)",
        "ms",
        1.0,
        0.01,
        1_000.0,
        false,
    ),
    param(
        "db_p50_ms",
        "median database query time",
        "ms",
        50.0,
        0.01,
        60_000.0,
        false,
    ),
    param(
        "db_p99_ms",
        "99th-percentile database query time (at least the median)",
        "ms",
        200.0,
        0.01,
        60_000.0,
        false,
    ),
    param(
        "db_pool",
        "database connections; further queries queue",
        "connections",
        16.0,
        1.0,
        10_000.0,
        true,
    ),
    param(
        "timeout_ms",
        "a request that takes longer fails",
        "ms",
        3_000.0,
        1.0,
        600_000.0,
        false,
    ),
    param(
        "alert_hit_ratio",
        "monitoring: alert when a bucket's L2 hit ratio falls below this (0 = off)",
        "",
        0.5,
        0.0,
        1.0,
        false,
    ),
    param(
        "alert_memory_mb",
        "monitoring: alert when L2's used memory passes this (0 = off)",
        "MB",
        100.0,
        0.0,
        1_000_000.0,
        false,
    ),
];

/// The bucket width of the time series, a parameter of every scenario too.
const BUCKET: ParamSpec = param(
    "bucket_ms",
    "width of a time-series bucket",
    "ms",
    1_000.0,
    10.0,
    60_000.0,
    false,
);

const EVENT_LOG: ParamSpec = param(
    "event_log",
    "step mode: list this many of the first events (requests, database queries, cache fills) in the report",
    "events",
    0.0,
    0.0,
    1_000.0,
    true,
);

/// The common parameters with some defaults replaced, followed by the scenario's own.
pub(super) fn with_defaults(overrides: &[(&str, f64)], own: &[ParamSpec]) -> Vec<ParamSpec> {
    let mut specs: Vec<ParamSpec> = COMMON.iter().copied().chain([BUCKET, EVENT_LOG]).collect();
    for (name, default) in overrides {
        if let Some(s) = specs.iter_mut().find(|s| s.name == *name) {
            s.default = *default;
        }
    }
    specs.extend_from_slice(own);
    specs
}

/// The common parameters of a bench that serves pages from L2 in front of a database (the
/// response cache, the tagged pages): traffic, skew, TTL, tiers' latencies, buckets and alerts.
pub(super) const SERVICE_PARAMS: [&str; 10] = [
    "alert_hit_ratio",
    "alert_memory_mb",
    "duration_s",
    "rate",
    "skew",
    "ttl_s",
    "l2_rtt_ms",
    "db_p50_ms",
    "db_p99_ms",
    "bucket_ms",
];

/// Only the named common parameters (`bucket_ms` among them), some defaults replaced, followed by
/// the scenario's own: for scenarios on their own bench, which use few of the lab's knobs.
pub(super) fn with_common(
    names: &[&str],
    overrides: &[(&str, f64)],
    own: &[ParamSpec],
) -> Vec<ParamSpec> {
    let mut specs: Vec<ParamSpec> = with_defaults(overrides, &[])
        .into_iter()
        .filter(|s| names.contains(&s.name))
        .collect();
    specs.extend_from_slice(own);
    specs
}

pub(super) fn ms(p: &Params, name: &str) -> SimDuration {
    SimDuration::from_secs_f64(p.get(name) / 1e3)
}

pub(super) fn secs(p: &Params, name: &str) -> SimDuration {
    SimDuration::from_secs_f64(p.get(name))
}

/// The lab every scenario starts from: the common parameters, the given key popularity, plain
/// cache-aside with a fixed TTL, everything warmed at time zero.
pub(super) fn base_lab(p: &Params, popularity: Popularity) -> Result<LabConfig> {
    let db_latency = db_latency(p)?;
    let arrivals = match p.get_u64("clients") {
        0 => Arrivals::Poisson {
            per_sec: p.get("rate"),
        },
        clients => Arrivals::ClosedLoop {
            clients,
            think: ms(p, "think_ms"),
        },
    };
    Ok(LabConfig {
        duration: secs(p, "duration_s"),
        bucket: ms(p, "bucket_ms"),
        arrivals,
        mix: Mix {
            popularity,
            write_share: p.get("write_share"),
            missing_share: 0.0,
            missing_keys: 0,
        },
        // The parameter caps it at a million, which fits any usize.
        l1: NonZeroUsize::new(p.get_u64("l1_keys") as usize),
        l2_rtt: ms(p, "l2_rtt_ms"),
        db_latency,
        db_pool: NonZeroU64::new(p.get_u64("db_pool")).unwrap_or(NonZeroU64::MIN),
        policy: Policy {
            ttl: secs(p, "ttl_s"),
            jitter: 0.0,
            negative_ttl: None,
            l1_ttl: ms(p, "l1_ttl_ms"),
            protection: Protection::None,
            request_timeout: ms(p, "timeout_ms"),
        },
        bloom_bits_per_key: None,
        warm: true,
        hot_key: None,
        event_log: p.get_u64("event_log") as usize,
        alerts: alert_thresholds(p),
    })
}

/// The database's query times from `db_p50_ms` and `db_p99_ms`, which must not be below the
/// median.
pub(super) fn db_latency(p: &Params) -> Result<LatencyModel> {
    if p.get("db_p99_ms") < p.get("db_p50_ms") {
        return Err(Error::OutOfRange {
            name: "db_p99_ms".to_string(),
            value: p.get("db_p99_ms"),
            min: p.get("db_p50_ms"),
            max: 60_000.0,
            unit: "ms",
        });
    }
    Ok(LatencyModel::from_percentiles(
        ms(p, "db_p50_ms"),
        ms(p, "db_p99_ms"),
    ))
}

/// The monitor's thresholds from the common parameters `alert_hit_ratio` and `alert_memory_mb`.
pub(super) fn alert_thresholds(p: &Params) -> AlertThresholds {
    AlertThresholds {
        hit_ratio: p.get("alert_hit_ratio"),
        memory_mb: p.get("alert_memory_mb"),
    }
}

pub(super) fn zipf(p: &Params) -> Popularity {
    Popularity::Zipf(Zipf::new(p.get_u64("keys"), p.get("skew")))
}

fn stampede() -> Scenario {
    Scenario {
        name: "stampede",
        about: "One hot key expires under heavy concurrency: every request that misses at once \
                goes to the database, unless the strategy makes them share one load.",
        params: with_defaults(
            &[("duration_s", 24.0)],
            &[
                param(
                    "hot_share",
                    "share of requests for the hot key (the rest follow `skew`)",
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
                    hot_share: p.get("hot_share"),
                    others: Box::new(Popularity::zipf_or_uniform(
                        p.get_u64("keys"),
                        p.get("skew"),
                    )),
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

fn avalanche() -> Scenario {
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

fn penetration() -> Scenario {
    Scenario {
        name: "penetration",
        about: "Requests for keys that do not exist miss every cache and reach the database, \
                unless 'not found' is cached or a Bloom filter of existing keys turns them away.",
        params: with_defaults(
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
        ),
        variants: vec![
            variant(
                "none",
                "a miss for a missing key always queries the database",
            ),
            variant("null-cache", "'not found' is cached for a short TTL"),
            variant("bloom", "a Bloom filter of existing keys screens queries"),
        ],
        runner: Runner::Lab(|p, variant| {
            let mut lab = base_lab(p, zipf(p))?;
            lab.mix.missing_share = p.get("missing_share");
            lab.mix.missing_keys = p.get_u64("missing_keys");
            match variant {
                "null-cache" => lab.policy.negative_ttl = Some(secs(p, "negative_ttl_s")),
                "bloom" => lab.bloom_bits_per_key = Some(p.get_u64("bloom_bits_per_key")),
                _ => {}
            }
            Ok(lab)
        }),
    }
}

/// Every scenario, in the order the faces list them.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        stampede(),
        avalanche(),
        penetration(),
        super::schema_deploy::scenario(),
        super::consistency::scenario(),
        super::multilayer::scenario(),
        super::response_cache::scenario(),
        super::ratelimit::scenario(),
        super::tags::scenario(),
    ]
}

/// The scenario called `name`.
pub fn find(name: &str) -> Result<Scenario> {
    scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::UnknownName {
            kind: "scenario",
            name: name.to_string(),
            known: scenarios().iter().map(|s| s.name.to_string()).collect(),
        })
}

/// Validates `given` (name → value as text) for scenario `name` and runs all its variants.
///
/// ```
/// use cachelab::scenario::run;
/// let quick = [("duration_s".to_string(), "6".to_string()), ("rate".to_string(), "2000".to_string())];
/// let report = run("stampede", &quick, 7).unwrap();
/// let none = &report.variants[0];
/// let lock = &report.variants[1];
/// // Without protection the expiry at 5 s sends a crowd to the database; with the lock, one.
/// assert!(none.hot_key.as_ref().unwrap().loads_per_expiry[0] > 20);
/// assert_eq!(lock.hot_key.as_ref().unwrap().loads_per_expiry, [1]);
/// let err = run("stampede", &[("rate".into(), "0".into())], 7).unwrap_err();
/// assert!(err.to_string().contains("`rate` must be between 1 and 1000000"));
/// ```
pub fn run(name: &str, given: &[(String, String)], seed: u64) -> Result<Report> {
    let mut run = ScenarioRun::new(name, given, seed)?;
    while run.step()? < 1.0 {}
    Ok(run.finish())
}

/// A scenario run one variant at a time, so that a face can report progress between steps (and
/// the page can cancel a long run). [`run`] is this, stepped to the end.
#[derive(Debug)]
pub struct ScenarioRun {
    scenario: Scenario,
    report: Report,
}

impl ScenarioRun {
    /// Validates the parameters; nothing runs yet.
    pub fn new(name: &str, given: &[(String, String)], seed: u64) -> Result<Self> {
        let scenario = find(name)?;
        let params = resolve(&scenario.params, given)?;
        let report = Report {
            scenario: name.to_string(),
            seed,
            params,
            variants: Vec::new(),
        };
        Ok(ScenarioRun { scenario, report })
    }

    /// Runs the next variant, if any; returns the share of variants done (1.0 at the end).
    pub fn step(&mut self) -> Result<f64> {
        let total = self.scenario.variants.len();
        if let Some(v) = self.scenario.variants.get(self.report.variants.len()) {
            let (params, seed) = (&self.report.params, self.report.seed);
            let variant = match self.scenario.runner {
                Runner::Lab(configure) => run_variant(v.name, &configure(params, v.name)?, seed)?,
                Runner::Custom(run) => run(params, v.name, seed)?,
            };
            self.report.variants.push(variant);
        }
        Ok(self.report.variants.len() as f64 / total.max(1) as f64)
    }

    /// The report (complete once `step` has returned 1.0).
    pub fn finish(self) -> Report {
        self.report
    }
}
