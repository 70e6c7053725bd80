//! Workloads: which keys are requested, and how often — drawn from a distribution ([`Zipf`],
//! [`Synthetic`]) or read from a recorded trace ([`TraceReader`]).

mod synthetic;
mod trace;
mod zipf;

pub use synthetic::{Pattern, Synthetic};
pub use trace::{next_accesses, Request, TraceFormat, TraceReader, TraceStats};
pub use zipf::Zipf;
