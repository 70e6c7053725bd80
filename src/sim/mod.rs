//! The deterministic kernel: simulated time and a seeded PRNG. Nothing here reads the wall clock
//! or the operating system's randomness, so a run is a pure function of its configuration and seed.

mod rng;
mod time;

pub use rng::SimRng;
pub use time::{SimDuration, SimTime};
