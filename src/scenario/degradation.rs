//! Scenario `degradation`: the shared cache fails — an outage (connections refused) and then a
//! slow window (every reply late) — and the service should not. The variants differ only in what
//! the L2 client does about it: fail open with redis-py's defaults (no timeout, a pool of 20
//! connections), fail open with a short timeout, a circuit breaker in front of the cache, or
//! fail closed. The report says what each window cost: failed requests, the database's load
//! against what its pool can serve, and the worst per-bucket p99.

use super::common::{faulty_lab, lab_params, ms, param, zipf};
use super::contract::{variants, Experiment, VariantSet};
use super::lab::{run_lab, LabConfig};
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::Result;
use crate::metrics::Series;
use crate::sim::{SimDuration, SimTime};
use crate::strategy::{BreakerConfig, BreakerCounts, FaultCounts, OnL2Error, Window};
use serde::Serialize;

/// Scenario `degradation`.
pub(super) struct Degradation;

variants! {
    /// What the L2 client does when the shared cache fails.
    pub(super) enum Client {
        FailOpen = "fail-open": "on an L2 error go to the database; no timeout, so a slow reply is waited for in full, and a full pool is one more error",
        ShortTimeout = "short-timeout": "fail open, with a short timeout per command",
        CircuitBreaker = "circuit-breaker": "fail open with the short timeout; after a run of failures skip L2 for a cool-down, then probe",
        FailClosed = "fail-closed": "an L2 error on the read fails the request",
    }
}

impl Experiment for Degradation {
    type Variant = Client;
    const NAME: &'static str = "degradation";
    const ABOUT: &'static str =
        "The shared cache goes down, then turns slow: a service that treats the cache as an \
         optimisation keeps answering from the database, one that waits on it or lets its \
         errors through does not.";

    fn params() -> Vec<ParamSpec> {
        lab_params(
            &[
                ("duration_s", 40.0),
                ("rate", 1_000.0),
                ("keys", 5_000.0),
                ("skew", 0.9),
                ("ttl_s", 10.0),
                ("db_p50_ms", 20.0),
                ("db_p99_ms", 80.0),
                ("db_pool", 50.0),
                ("outage_at_s", 10.0),
                ("outage_s", 6.0),
                ("slow_at_s", 25.0),
                ("slow_s", 6.0),
                ("slow_ms", 1_000.0),
                ("l2_pool", 20.0),
            ],
            &[
                param(
                    "jitter",
                    "each TTL is scaled by a random factor in [1 - jitter, 1 + jitter]",
                    "",
                    0.2,
                    0.0,
                    0.99,
                    false,
                ),
                param(
                    "short_timeout_ms",
                    "short-timeout and circuit-breaker: the client's timeout per command",
                    "ms",
                    50.0,
                    0.1,
                    60_000.0,
                    false,
                ),
                param(
                    "breaker_failures",
                    "circuit-breaker: failed commands in a row that open it",
                    "commands",
                    5.0,
                    1.0,
                    10_000.0,
                    true,
                ),
                param(
                    "breaker_cooldown_ms",
                    "circuit-breaker: how long it skips L2 before a probe",
                    "ms",
                    1_000.0,
                    1.0,
                    600_000.0,
                    false,
                ),
            ],
        )
    }

    fn lab_config(p: &Params, variant: Client) -> Option<Result<LabConfig>> {
        Some(configure(p, variant))
    }

    fn run(p: &Params, variant: Client, seed: u64) -> Result<VariantReport> {
        let config = configure(p, variant)?;
        let (report, ctx) = run_lab(variant.name(), &config, seed)?;
        let section = DegradationReport::new(
            &report.series,
            &config,
            ctx.l2.inner().counts(),
            config.breaker.map(|_| ctx.l2.counts()),
        );
        Ok(VariantReport {
            section: Some(section.into()),
            ..report
        })
    }
}

/// The lab bench of `variant`.
fn configure(p: &Params, variant: Client) -> Result<LabConfig> {
    let mut lab = faulty_lab(p, zipf(p)?)?;
    lab.policy.jitter = p.get("jitter")?;
    let short = Some(ms(p, "short_timeout_ms")?);
    match variant {
        Client::FailOpen => {}
        Client::ShortTimeout => lab.faults.timeout = short,
        Client::CircuitBreaker => {
            lab.faults.timeout = short;
            lab.breaker = Some(BreakerConfig {
                failures: p.get_u64("breaker_failures")?,
                cool_down: ms(p, "breaker_cooldown_ms")?,
            });
        }
        Client::FailClosed => lab.policy.on_l2_error = OnL2Error::FailClosed,
    }
    Ok(lab)
}

/// What the requests that arrived in one stretch of time met, read from the buckets that start
/// inside it (whole-second windows on one-second buckets are exact).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowReport {
    /// Its start, in seconds.
    pub from_s: f64,
    /// Its end, in seconds.
    pub to_s: f64,
    /// Requests that arrived in it.
    pub requests: u64,
    /// Of those, failed.
    pub failed: u64,
    /// The database's mean load over it, queries per second.
    pub db_qps: f64,
    /// The highest p99 latency of its buckets (0 if no request arrived).
    pub worst_p99_ms: f64,
}

impl WindowReport {
    fn of(series: &Series, window: Window) -> WindowReport {
        let (from_s, to_s) = (window.from.as_secs_f64(), window.to.as_secs_f64());
        let inside: Vec<usize> = (0..series.t_s.len())
            .filter(|&i| (from_s..to_s).contains(&series.t_s[i]))
            .collect();
        WindowReport {
            from_s,
            to_s,
            requests: inside.iter().map(|&i| series.requests[i]).sum(),
            failed: inside.iter().map(|&i| series.errors[i]).sum(),
            db_qps: mean(inside.iter().map(|&i| series.db_qps[i])),
            worst_p99_ms: inside
                .iter()
                .filter_map(|&i| series.p99_ms[i])
                .fold(0.0, f64::max),
        }
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u64), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// What the failing cache cost one variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DegradationReport {
    /// The outage's stretch.
    pub outage: Option<WindowReport>,
    /// The slow window's stretch.
    pub slow: Option<WindowReport>,
    /// The database's mean load over the buckets outside both windows (and after the first,
    /// which starts warm), queries per second.
    pub normal_db_qps: f64,
    /// The outage's database load over the normal one.
    pub outage_load_factor: f64,
    /// What the database's pool can serve: connections / mean query time, queries per second.
    pub db_capacity_qps: f64,
    /// Commands the injected faults failed or delayed, and the pool turned away.
    pub faults: FaultCounts,
    /// What the circuit breaker did (its variant only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<BreakerCounts>,
}

impl DegradationReport {
    fn new(
        series: &Series,
        config: &LabConfig,
        faults: FaultCounts,
        breaker: Option<BreakerCounts>,
    ) -> DegradationReport {
        let outage = config.faults.outages.first().copied();
        let slow = config.faults.slow.first().map(|&(w, _)| w);
        let outside = |t: f64| {
            let at = SimTime::ZERO + SimDuration::from_secs_f64(t);
            t > 0.0
                && !outage.is_some_and(|w| w.contains(at))
                && !slow.is_some_and(|w| w.contains(at))
        };
        let normal_db_qps = mean(
            (0..series.t_s.len())
                .filter(|&i| outside(series.t_s[i]))
                .map(|i| series.db_qps[i]),
        );
        let outage = outage.map(|w| WindowReport::of(series, w));
        let mean_query = config.db_latency.mean().as_secs_f64();
        DegradationReport {
            outage_load_factor: match &outage {
                Some(o) if normal_db_qps > 0.0 => o.db_qps / normal_db_qps,
                _ => 0.0,
            },
            outage,
            slow: slow.map(|w| WindowReport::of(series, w)),
            normal_db_qps,
            db_capacity_qps: config.db_pool.get() as f64 / mean_query.max(1e-6),
            faults,
            breaker,
        }
    }

    /// One line: what the outage and the slow window cost.
    pub fn headline(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.outage {
            parts.push(format!(
                "outage: {} of {} requests failed, database {:.0} queries/s = {:.1}× normal \
                 (its pool serves {:.0}/s)",
                o.failed, o.requests, o.db_qps, self.outage_load_factor, self.db_capacity_qps
            ));
        }
        if let Some(s) = &self.slow {
            parts.push(format!(
                "slow window: {} failed, worst p99 {:.0} ms",
                s.failed, s.worst_p99_ms
            ));
        }
        if let Some(b) = &self.breaker {
            parts.push(format!(
                "breaker opened {} times, skipped {} commands",
                b.opened, b.skipped
            ));
        }
        parts.join("; ")
    }
}
