//! Named, parameterised experiments that produce reports.
//!
//! - `params`: [`ParamSpec`] and its validation, shared by every experiment and face.
//! - [`l1_curve`]: the L1 capacity curve.
//! - `contract`: what every scenario declares ([`Scenario`]), its [`Report`], and [`run`].
//! - `common`: the parameters every scenario shares and the lab bench they describe.
//! - `catalog`: the registry, one line per scenario ([`scenarios`], [`find`]).
//! - `stampede`, `avalanche`, `penetration`: the lab bench's scenarios, one module each.
//! - `schema_deploy`: the `schema-deploy` scenario, on its own bench ([`SchemaDeployReport`]).
//! - `lab`: the bench every scenario variant runs on ([`LabConfig`] → [`VariantReport`]), on the
//!   simulator or (through [`LabRun`]) on any other runtime.
//! - `report`: one variant's [`VariantReport`], whose scenario-specific part is one [`Section`].
//! - `multilayer`: several app instances with their own L1s over one L2 ([`MultiLayerReport`]).
//! - `response_cache`: scenario `response-cache`, an HTTP response cache and its pitfalls.
//! - `ratelimit`: scenario `ratelimit`, the four rate limiters on shared traffic, an L2 outage
//!   and an admin reset.
//! - `consistency`: readers racing writers under each write path ([`ConsistencyReport`]).
//! - `tags`: scenario `tags`, cached pages flushed by tag, and tag sets bounded or not
//!   ([`TagsReport`]).

mod avalanche;
mod catalog;
mod common;
mod consistency;
mod contract;
pub mod l1_curve;
mod lab;
mod link;
mod multilayer;
mod params;
mod penetration;
mod ratelimit;
mod report;
mod response_cache;
mod schema_deploy;
mod stampede;
mod tags;

pub use catalog::{find, listing, scenarios, Section, SectionOf};
pub use common::COMMON;
pub use consistency::{ConsistencyReport, LostWrite, WriteBehindReport};
pub use contract::{run, run_only, Experiment, Report, Scenario, ScenarioRun, Variant, VariantSet};
pub use lab::{request_budget, run_variant, LabConfig, LabRun, RequestBudget, MAX_REQUESTS};
pub use link::{decode_link, LinkKnob, LinkState};
pub use multilayer::{BroadcastReport, InstanceReport, LayerReport, MultiLayerReport};
pub use params::{check, resolve, split_assignment, ParamSpec, Params};
pub use ratelimit::{HeaderSample, OutageReport, RateLimitReport, ResetReport, SubjectCounts};
pub use report::{BloomReport, KeyQueries, VariantReport};
pub use response_cache::{EndpointReport, RequestSample, ResponseCacheReport};
pub use schema_deploy::SchemaDeployReport;
pub use tags::{TagsReport, LISTING_SIZE, MAX_TAG_MEASUREMENTS, SEARCH_RESULTS};
