//! Workloads: which keys are requested, and how often.

mod zipf;

pub use zipf::Zipf;
