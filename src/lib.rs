//! # cachelab
//!
//! A cache laboratory: an in-process L1, an L2 that behaves like Redis and a slow database, run on
//! simulated time so that the classic caching failures (stampede, avalanche, penetration, stale
//! data) and their fixes show up as exact, reproducible numbers — natively, and in the browser as
//! WebAssembly.
//!
//! ## Layout
//!
//! - [`sim`]: the deterministic kernel — simulated time ([`sim::SimTime`]), the seeded PRNG
//!   ([`sim::SimRng`]) and a single-threaded async executor on simulated time
//!   ([`sim::Executor`]). Nothing in the core reads the wall clock or the OS's randomness;
//!   [`sim::Runtime`] is what the strategies ask of time, so another runtime can stand in.
//! - [`tiers`]: [`tiers::L1`] (an LRU with optional TTLs), [`tiers::L2`] (the Redis model:
//!   Redis 7.0's commands, expiry and eviction on simulated time, a typed API for the strategies,
//!   and [`tiers::l2::Console`], which answers text lines as `redis-cli` prints) and [`tiers::Db`]
//!   (versioned rows, a latency distribution, a connection pool).
//! - [`workload`]: key popularity ([`workload::Popularity`]), arrivals and the read/write mix;
//!   synthetic traces and readers for recorded ones ([`workload::TraceReader`]).
//! - [`strategy`]: cache-aside and the stampede, avalanche and penetration fixes, as `async fn`s;
//!   the write paths (invalidate, versioned set, write-through, write-behind) and refresh-ahead.
//! - [`metrics`]: hits per tier, database load, latency percentiles and time series.
//! - [`policy`]: eviction policies (LRU, FIFO, CLOCK, SIEVE, S3-FIFO, LFU, ARC, W-TinyLFU,
//!   Belady) behind libCacheSim's driver rules, trace replay ([`policy::replay`]), stepping
//!   through a small cache with every structure shown ([`policy::step`]) and each miss's cause
//!   ([`policy::classes`]).
//! - [`scenario`]: named experiments with validated parameters ([`scenario::ParamSpec`]).
//! - [`course`]: the course's lessons as data (`lessons/*.json`), their claims evaluated on a
//!   run's report, in course order.
//! - [`bench`]: benchmark workloads that the faces time (`cachelab bench`, `www/bench.html`).
//! - [`manager`]: the chapter's cache manager: stable keys for cached functions, typed values,
//!   tags kept in L2 sets, and the monitor of L2's counters whose alerts every scenario reports.
//! - [`ratelimit`]: token bucket, fixed window, sliding log and sliding counter limiters whose
//!   state lives in L2; per-user/IP/endpoint rules, headers, fail-open/closed, admin reset.
//! - [`fuzz`]: the bodies of the fuzz targets in `fuzz/`, also run on stable by the tests.
//! - [`glossary`]: the terms the lessons use that the chapter takes for granted, defined once
//!   for the CLI (`cachelab glossary`) and the page.
//! - [`error`]: the core's one error type; every face turns it into its own form.
//! - Faces, which hold no logic: `wasm` (the `#[wasm_bindgen]` exports, wasm32 only),
//!   `src/bin/cachelab.rs` (the command-line tool) and `redis` (feature `redis`, native only:
//!   the same strategies and lab bench on the wall clock against a real Redis — `cachelab live` —
//!   through the [`sim::Runtime`] and [`strategy::Store`] traits).
//!
//! Everything above the tiers reaches the shared cache through [`strategy::Store`] alone (typed
//! commands, pipelines, atomic scripts), implemented by [`tiers::SimL2`] and, under `redis`, by
//! `RedisStore`; [`strategy::Faulty`] injects outages, slow replies and timeouts behind it.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `redis` | off | the `redis` module: talk to a real `redis-server` (native only; pulls `tokio`) |
//!
//! ## Determinism
//!
//! A run is a pure function of its parameters and seed. Randomness comes from [`sim::SimRng`]
//! (xoshiro256++ over fixed-width integers) and transcendental maths from `libm`, so the same seed
//! gives bit-identical reports natively and in wasm.

pub mod bench;
pub mod course;
pub mod error;
pub mod fuzz;
mod fxhash;
pub mod glossary;
pub mod manager;
pub mod metrics;
mod order;
pub mod policy;
pub mod ratelimit;
pub mod scenario;
pub mod sim;
pub mod strategy;
pub mod tiers;
pub mod workload;

#[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
pub mod redis;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
