//! The deterministic kernel: simulated time, a seeded PRNG and a single-threaded async executor
//! on simulated time. Nothing here reads the wall clock or the operating system's randomness, so
//! a run is a pure function of its configuration and seed.
//!
//! - `time`: [`SimTime`] and [`SimDuration`], integer microseconds.
//! - `rng`: [`SimRng`], xoshiro256++ with platform-independent draws.
//! - `executor`: [`Executor`] and its handle [`Sim`] — spawn, sleep, join, timeout.
//! - `sync`: [`Semaphore`] (a FIFO pool) and [`Flight`] (wait for another task's load).
//! - `runtime`: [`Runtime`], what the strategies need from time, implemented by [`Sim`] here and
//!   by a tokio runtime on the wall clock under the `redis` feature.

mod executor;
mod rng;
mod runtime;
mod sync;
mod time;

pub use executor::{join, Elapsed, Executor, JoinHandle, Sim, Sleep, Timeout};
pub use rng::SimRng;
pub use runtime::Runtime;
pub use sync::{Acquire, Flight, OwnedPermit, Permit, Semaphore};
pub use time::{SimDuration, SimTime};
