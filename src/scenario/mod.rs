//! Named, parameterised experiments that produce reports.
//!
//! - `params`: [`ParamSpec`] and its validation, shared by every experiment and face.
//! - [`l1_curve`]: the L1 capacity curve.
//! - `catalog`: the failure scenarios — `stampede`, `avalanche`, `penetration` — and [`run`].
//! - `lab`: the bench every scenario variant runs on ([`LabConfig`] → [`VariantReport`]).
//! - `response_cache`: scenario `response-cache`, an HTTP response cache and its pitfalls.
//! - `ratelimit`: scenario `ratelimit`, the four rate limiters on shared traffic, an L2 outage
//!   and an admin reset.

mod catalog;
pub mod l1_curve;
mod lab;
mod link;
mod params;
mod ratelimit;
mod response_cache;

pub use catalog::{find, run, scenarios, Report, Runner, Scenario, ScenarioRun, Variant, COMMON};
pub use lab::{run_variant, BloomReport, KeyQueries, LabConfig, VariantReport, MAX_REQUESTS};
pub use link::{decode_link, LinkKnob, LinkState};
pub use params::{check, resolve, split_assignment, ParamSpec, Params};
pub use ratelimit::{HeaderSample, OutageReport, RateLimitReport, ResetReport, SubjectCounts};
pub use response_cache::{EndpointReport, RequestSample, ResponseCacheReport};
