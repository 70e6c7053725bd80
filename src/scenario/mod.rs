//! Named, parameterised experiments that produce reports.

pub mod l1_curve;
mod params;

pub use params::{check, resolve, split_assignment, ParamSpec, Params};
