//! Workloads: which keys are requested, how often, and whether to read or write.
//!
//! - `zipf`: the [`Zipf`] sampler.
//! - `popularity`: [`Popularity`] — uniform, Zipf, hot-spot, one hot key.
//! - `mix`: [`Arrivals`] (Poisson or closed-loop clients) and [`Mix`] (reads, writes and keys
//!   that do not exist).

mod mix;
mod popularity;
mod zipf;

pub use mix::{Arrivals, Mix, Op};
pub use popularity::Popularity;
pub use zipf::Zipf;
