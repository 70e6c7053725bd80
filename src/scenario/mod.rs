//! Named, parameterised experiments that produce reports.
//!
//! - `params`: [`ParamSpec`] and its validation, shared by every experiment and face.
//! - [`l1_curve`]: the L1 capacity curve.
//! - `catalog`: the failure scenarios — `stampede`, `avalanche`, `penetration` — and [`run`].
//! - `lab`: the bench every scenario variant runs on ([`LabConfig`] → [`VariantReport`]), on the
//!   simulator or (through [`LabRun`]) on any other runtime.

mod catalog;
pub mod l1_curve;
mod lab;
mod link;
mod params;

pub use catalog::{find, run, scenarios, Report, Runner, Scenario, ScenarioRun, Variant, COMMON};
pub use lab::{
    run_variant, BloomReport, KeyQueries, LabConfig, LabRun, VariantReport, MAX_REQUESTS,
};
pub use link::{decode_link, LinkKnob, LinkState};
pub use params::{check, resolve, split_assignment, ParamSpec, Params};
