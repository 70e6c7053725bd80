//! The parameters every scenario shares ([`COMMON`], the bucket width, step mode's event log),
//! how a scenario picks and overrides them, and the lab bench they describe ([`base_lab`]).

use super::lab::LabConfig;
use super::params::{ParamSpec, Params};
use crate::error::{Error, Result};
use crate::manager::AlertThresholds;
use crate::sim::{SimDuration, SimTime};
use crate::strategy::{Faults, OnL2Error, Policy, Protection, Window};
use crate::tiers::LatencyModel;
use crate::workload::{Arrivals, Mix, Popularity, Zipf};
use std::num::{NonZeroU64, NonZeroUsize};

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
        "share of requests that update a key: the database row, then the key is deleted from L2 \
         and from the writer's L1",
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
    "step mode: list the events (arrivals, tiers asked, locks, database queries, cache fills, \
     answers) of the requests that arrive from event_log_from_s on, until this many are listed",
    "events",
    0.0,
    0.0,
    10_000.0,
    true,
);

/// Where step mode's log starts, so that it can show a moment deep in a run (the stampede's first
/// expiry) instead of the first milliseconds.
const EVENT_LOG_FROM: ParamSpec = param(
    "event_log_from_s",
    "step mode: list the requests that arrive from this time on",
    "s",
    0.0,
    0.0,
    600.0,
    false,
);

/// The common parameters with some defaults replaced, followed by the scenario's own.
pub(super) fn with_defaults(overrides: &[(&str, f64)], own: &[ParamSpec]) -> Vec<ParamSpec> {
    let mut specs: Vec<ParamSpec> = COMMON
        .iter()
        .copied()
        .chain([BUCKET, EVENT_LOG, EVENT_LOG_FROM])
        .collect();
    specs.extend_from_slice(own);
    // After `own`, so that a scenario can also give shared optional knobs (`FAULTS`) its defaults.
    for (name, default) in overrides {
        if let Some(s) = specs.iter_mut().find(|s| s.name == *name) {
            s.default = *default;
        }
    }
    specs
}

/// The parameters of a scenario on the lab bench: [`with_defaults`] with the fault knobs
/// ([`FAULTS`], nothing fails at their defaults) before the scenario's own, so that every lab
/// scenario can meet a failing cache; [`faulty_lab`] reads them.
pub(super) fn lab_params(overrides: &[(&str, f64)], own: &[ParamSpec]) -> Vec<ParamSpec> {
    let own: Vec<ParamSpec> = FaultKnobs::All.specs().chain(own.iter().copied()).collect();
    with_defaults(overrides, &own)
}

/// [`base_lab`] behind the faults of [`lab_params`]' knobs.
pub(super) fn faulty_lab(p: &Params, popularity: Popularity) -> Result<LabConfig> {
    Ok(LabConfig {
        faults: faults(p)?,
        ..base_lab(p, popularity)?
    })
}

/// Knobs that make the lab's simulated L2 fail (on the lab bench, listed by [`lab_params`]): an
/// outage, a slow window and a client with a timeout and a pool. At these defaults nothing fails.
pub(super) const FAULTS: [ParamSpec; 7] = [
    param(
        "outage_at_s",
        "faults: when the L2 outage starts (connections refused at once)",
        "s",
        0.0,
        0.0,
        600.0,
        false,
    ),
    param(
        "outage_s",
        "faults: how long the L2 outage lasts (0 = no outage)",
        "s",
        0.0,
        0.0,
        600.0,
        false,
    ),
    param(
        "slow_at_s",
        "faults: when the slow window starts (every L2 reply delayed)",
        "s",
        0.0,
        0.0,
        600.0,
        false,
    ),
    param(
        "slow_s",
        "faults: how long the slow window lasts (0 = none)",
        "s",
        0.0,
        0.0,
        600.0,
        false,
    ),
    param(
        "slow_ms",
        "faults: how much later each reply arrives in the slow window",
        "ms",
        0.0,
        0.0,
        60_000.0,
        false,
    ),
    param(
        "l2_timeout_ms",
        "the L2 client's timeout per command (0 = none, redis-py's default)",
        "ms",
        0.0,
        0.0,
        60_000.0,
        false,
    ),
    param(
        "l2_pool",
        "connections in the L2 client's pool; a command that finds all busy fails (0 = no limit)",
        "connections",
        0.0,
        0.0,
        100_000.0,
        true,
    ),
];

/// The knobs of [`FAULTS`] that an L2 outage needs: all a loop that serves one request at a time
/// can honour (see [`FaultKnobs::Outage`]).
const OUTAGE_FAULTS: [&str; 2] = ["outage_at_s", "outage_s"];

/// Which of the fault knobs ([`FAULTS`]) a scenario lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FaultKnobs {
    /// All of them: the lab bench, and the scenarios that serve requests at once on one clock
    /// each ([`lab_params`]).
    All,
    /// The outage only ([`OUTAGE_FAULTS`]): a loop that serves one request at a time cannot honour
    /// the others. A slow reply or a timeout would move its one clock (every later request's)
    /// instead of delaying one request, and its single caller never finds a pool busy; so the
    /// page shows no knob that cannot move, and `--set slow_s=1` is an unknown parameter there.
    Outage,
}

impl FaultKnobs {
    /// The knobs of this set, in [`FAULTS`]' order.
    pub(super) fn specs(self) -> impl Iterator<Item = ParamSpec> {
        FAULTS.iter().copied().filter(move |s| match self {
            FaultKnobs::All => true,
            FaultKnobs::Outage => OUTAGE_FAULTS.contains(&s.name),
        })
    }

    /// The set `p` was resolved with: every scenario lists the outage, only [`FaultKnobs::All`]
    /// the slow window.
    fn of(p: &Params) -> FaultKnobs {
        if p.iter().any(|(name, _)| name == "slow_s") {
            FaultKnobs::All
        } else {
            FaultKnobs::Outage
        }
    }
}

/// The faults of the fault knobs `p` has (see [`FaultKnobs`]).
pub(super) fn faults(p: &Params) -> Result<Faults> {
    let window = |at: &str, length: &str| -> Result<Option<Window>> {
        let (from, length) = (SimTime::ZERO + secs(p, at)?, secs(p, length)?);
        Ok((length > SimDuration::ZERO).then(|| Window::new(from, length)))
    };
    let outages = window("outage_at_s", "outage_s")?.into_iter().collect();
    if FaultKnobs::of(p) == FaultKnobs::Outage {
        return Ok(Faults {
            outages,
            ..Faults::default()
        });
    }
    let slow_ms = ms(p, "slow_ms")?;
    let timeout = ms(p, "l2_timeout_ms")?;
    Ok(Faults {
        outages,
        slow: window("slow_at_s", "slow_s")?
            .map(|w| (w, slow_ms))
            .into_iter()
            .collect(),
        timeout: (timeout > SimDuration::ZERO).then_some(timeout),
        pool: Some(p.get_u64("l2_pool")?).filter(|&n| n > 0),
    })
}

/// Gives the parameter `name` of `specs` a scenario's own meaning: a common knob whose effect
/// differs by scenario (what a write does to the caches) must not keep a help that is false for
/// some of its variants.
pub(super) fn explain(
    mut specs: Vec<ParamSpec>,
    name: &str,
    meaning: &'static str,
) -> Vec<ParamSpec> {
    for s in specs.iter_mut().filter(|s| s.name == name) {
        s.meaning = meaning;
    }
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

/// Products in a shop's catalogue: the response cache's shop and the tagged pages' shop have the
/// same knob (a scenario may narrow its range with struct update syntax).
pub(super) const PRODUCTS: ParamSpec = param(
    "products",
    "products in the catalogue",
    "products",
    500.0,
    1.0,
    1_000_000.0,
    true,
);

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

/// [`with_common`] with the outage's knobs ([`FaultKnobs::Outage`]) before the scenario's own,
/// for a scenario whose loop serves one request at a time through
/// [`faulty_store`](super::driver::faulty_store): the outage applies as on the lab bench (its
/// store calls fail and are counted).
pub(super) fn faulty_common(
    names: &[&str],
    overrides: &[(&str, f64)],
    own: &[ParamSpec],
) -> Vec<ParamSpec> {
    let own: Vec<ParamSpec> = FaultKnobs::Outage
        .specs()
        .chain(own.iter().copied())
        .collect();
    with_common(names, overrides, &own)
}

pub(super) fn ms(p: &Params, name: &str) -> Result<SimDuration> {
    Ok(SimDuration::from_secs_f64(p.get(name)? / 1e3))
}

pub(super) fn secs(p: &Params, name: &str) -> Result<SimDuration> {
    Ok(SimDuration::from_secs_f64(p.get(name)?))
}

/// The lab every scenario starts from: the common parameters, the given key popularity, plain
/// cache-aside with a fixed TTL, everything warmed at time zero.
pub(super) fn base_lab(p: &Params, popularity: Popularity) -> Result<LabConfig> {
    let db_latency = db_latency(p)?;
    let arrivals = match p.get_u64("clients")? {
        0 => Arrivals::Poisson {
            per_sec: p.get("rate")?,
        },
        clients => Arrivals::ClosedLoop {
            clients,
            think: ms(p, "think_ms")?,
        },
    };
    Ok(LabConfig {
        duration: secs(p, "duration_s")?,
        bucket: ms(p, "bucket_ms")?,
        arrivals,
        mix: Mix {
            popularity,
            write_share: p.get("write_share")?,
            missing_share: 0.0,
            missing_keys: 0,
        },
        // The parameter caps it at a million, which fits any usize.
        l1: NonZeroUsize::new(p.get_u64("l1_keys")? as usize),
        l2_rtt: ms(p, "l2_rtt_ms")?,
        db_latency,
        db_pool: NonZeroU64::new(p.get_u64("db_pool")?).unwrap_or(NonZeroU64::MIN),
        policy: Policy {
            ttl: secs(p, "ttl_s")?,
            jitter: 0.0,
            negative_ttl: None,
            l1_ttl: ms(p, "l1_ttl_ms")?,
            protection: Protection::None,
            request_timeout: ms(p, "timeout_ms")?,
            on_l2_error: OnL2Error::FailOpen,
        },
        bloom_bits_per_key: None,
        warm: true,
        hot_key: None,
        event_log: p.get_u64("event_log")? as usize,
        event_log_from: SimTime::ZERO + secs(p, "event_log_from_s")?,
        alerts: alert_thresholds(p)?,
        faults: Faults::default(),
        breaker: None,
        l2_config: crate::tiers::l2::L2Config::default(),
    })
}

/// The database's query times from `db_p50_ms` and `db_p99_ms`, which must not be below the
/// median.
pub(super) fn db_latency(p: &Params) -> Result<LatencyModel> {
    if p.get("db_p99_ms")? < p.get("db_p50_ms")? {
        return Err(Error::OutOfRange {
            name: "db_p99_ms".to_string(),
            value: p.get("db_p99_ms")?,
            min: p.get("db_p50_ms")?,
            max: 60_000.0,
            unit: "ms",
        });
    }
    Ok(LatencyModel::from_percentiles(
        ms(p, "db_p50_ms")?,
        ms(p, "db_p99_ms")?,
    ))
}

/// The monitor's thresholds from the common parameters `alert_hit_ratio` and `alert_memory_mb`.
pub(super) fn alert_thresholds(p: &Params) -> Result<AlertThresholds> {
    Ok(AlertThresholds {
        hit_ratio: p.get("alert_hit_ratio")?,
        memory_mb: p.get("alert_memory_mb")?,
    })
}

pub(super) fn zipf(p: &Params) -> Result<Popularity> {
    Ok(Popularity::Zipf(Zipf::new(
        p.get_u64("keys")?,
        p.get("skew")?,
    )))
}

/// The hot-key scenarios' share of requests for the hot key, read by [`hot_key_lab`].
pub(super) const HOT_SHARE: ParamSpec = param(
    "hot_share",
    "share of requests for the hot key (the rest follow `skew`)",
    "",
    1.0,
    0.0,
    1.0,
    false,
);

/// The lab bench of the hot-key scenarios (stampede, lock-safety): one hot key (key 0, traced)
/// taking `hot_share` of the reads, the others following `skew` over `keys`.
pub(super) fn hot_key_lab(p: &Params) -> Result<LabConfig> {
    let mut lab = faulty_lab(
        p,
        Popularity::OneHot {
            hot_share: p.get("hot_share")?,
            others: Box::new(Popularity::zipf_or_uniform(
                p.get_u64("keys")?,
                p.get("skew")?,
            )),
        },
    )?;
    lab.hot_key = Some(0);
    Ok(lab)
}
