//! Workloads: which keys are requested, how often, and whether to read or write — drawn from a
//! distribution or read from a recorded trace.
//!
//! - `zipf`: the [`Zipf`] sampler.
//! - `popularity`: [`Popularity`] — uniform, Zipf, hot-spot, one hot key.
//! - `mix`: [`Arrivals`] (Poisson or closed-loop clients) and [`Mix`] (reads, writes and keys
//!   that do not exist).
//! - `synthetic`: seeded request sequences for trace replay ([`Synthetic`]: Zipf, uniform, scan,
//!   loop).
//! - `trace`: readers for recorded traces ([`TraceReader`]: CSV, libCacheSim's oracleGeneral, text,
//!   each possibly zstd-compressed; [`open`] tells them apart).
//! - `chunks`: the same readers fed chunk by chunk ([`ChunkedReader`], for `File.stream()`).
//! - `decoded`: a whole trace parsed once into a compact in-memory form ([`DecodedTrace`]).
//! - `analyze`: what a trace is made of ([`analyze::Analysis`]).

pub mod analyze;
mod chunks;
mod decoded;
mod mix;
mod popularity;
mod synthetic;
mod trace;
mod zipf;

pub use chunks::ChunkedReader;
pub use decoded::{DecodedTrace, MAX_DECODED_REQUESTS};
pub use mix::{Arrivals, Mix, Op, PoissonClock};
pub use popularity::Popularity;
pub use synthetic::{Pattern, Synthetic};
pub use trace::{
    next_accesses, open, write_oracle, Compression, CsvOptions, ReadOptions, Request, TraceFormat,
    TraceReader, TraceStats, FORMAT_NAMES,
};
pub use zipf::Zipf;
