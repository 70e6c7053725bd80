//! Named, parameterised experiments that produce reports.
//!
//! - `params`: [`ParamSpec`] and its validation, shared by every experiment and face.
//! - [`l1_curve`]: the L1 capacity curve.
//! - `contract`: what every scenario declares ([`Scenario`]), its [`Report`], and [`run`].
//! - `common`: the parameters every scenario shares and the lab bench they describe.
//! - `catalog`: the registry, one line per scenario ([`scenarios`], [`find`]).
//! - `stampede`, `avalanche`, `penetration`: the lab bench's scenarios, one module each.
//! - `schema_deploy`: the `schema-deploy` scenario, on its own bench ([`SchemaDeployReport`]).
//! - `driver`: where a variant runs ([`Driver`]): the simulator ([`SimDriver`]) or, with the
//!   `redis` feature, a real Redis on the wall clock.
//! - `lab`: the bench every scenario variant runs on ([`LabConfig`] → [`VariantReport`]), on the
//!   simulator or (through [`LabRun`]) on any other runtime.
//! - `report`: one variant's [`VariantReport`], whose scenario-specific part is one [`Section`].
//! - `multilayer`: several app instances with their own L1s over one L2 ([`MultiLayerReport`]).
//! - `response_cache`: scenario `response-cache`, an HTTP response cache and its pitfalls.
//! - `ratelimit`: scenario `ratelimit`, the four rate limiters on shared traffic, an L2 outage
//!   and an admin reset.
//! - `consistency`: readers racing writers under each write path ([`ConsistencyReport`]).
//! - `service`: the bench of a service reading through L2 in front of a database, one request at
//!   a time (`keys`, `query-cache`).
//! - `keys`: scenario `keys`, a caching decorator's key schemes ([`KeysReport`]).
//! - `query_cache`: scenario `query-cache`, Exercise 3's query results flushed by table or row
//!   ([`QueryCacheReport`]).
//! - `degradation`: scenario `degradation`, the shared cache down then slow, and what the L2
//!   client does about it ([`DegradationReport`]).
//! - `lock_safety`: scenario `lock-safety`, a stampede lock whose load outlasts its TTL
//!   ([`LockSafetyReport`]).
//! - `memory`: scenario `memory`, L2 under maxmemory with sessions that have no TTL
//!   ([`MemoryReport`]).
//! - `tags`: scenario `tags`, cached pages flushed by tag, and tag sets bounded or not
//!   ([`TagsReport`]).

mod avalanche;
mod catalog;
mod common;
mod consistency;
mod contract;
mod degradation;
mod driver;
mod keys;
pub mod l1_curve;
mod lab;
mod link;
mod lock_safety;
mod memory;
mod multilayer;
mod params;
mod penetration;
mod query_cache;
mod ratelimit;
mod report;
mod response_cache;
mod schema_deploy;
mod service;
mod stampede;
mod tags;

pub use catalog::{find, find_listed, listing, scenarios, Section, SectionOf};
pub use common::COMMON;
pub use consistency::{ConsistencyReport, LostWrite, WriteBehindReport};
pub use contract::{run, run_only, Experiment, Report, Scenario, ScenarioRun, Variant, VariantSet};
pub use degradation::{DegradationReport, WindowReport};
pub use driver::{Driver, LabContext, Preload, SimDriver};
pub use keys::{KeyOutcome, KeySample, KeysReport, KEY_SAMPLES};
pub use lab::{
    request_budget, run_variant, Guarded, LabConfig, LabRun, RequestBudget, MAX_REQUESTS,
};
pub use link::{decode_link, LinkKnob, LinkState};
pub use lock_safety::LockSafetyReport;
pub use memory::{KeyLook, MemoryReport};
pub use multilayer::{BroadcastReport, InstanceReport, LayerReport, MultiLayerReport};
pub use params::{check, label, resolve, split_assignment, ParamSpec, Params, LABELS};
pub use query_cache::{normalise_sql, QueryCacheReport, SUMMARY_COST};
pub use ratelimit::{HeaderSample, OutageReport, RateLimitReport, ResetReport, SubjectCounts};
pub use report::{BloomReport, KeyQueries, VariantReport};
pub use response_cache::{EndpointReport, RequestSample, ResponseCacheReport};
pub use schema_deploy::SchemaDeployReport;
pub use tags::{TagsReport, LISTING_SIZE, MAX_TAG_MEASUREMENTS, SEARCH_RESULTS};
