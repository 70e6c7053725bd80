//! The real-Redis face (feature `redis`, native only): connects the same strategies to a live
//! `redis-server` or Redis Cluster.
//!
//! - [`target`]: the `--redis-url` value ([`Target`], one node or a cluster's seed nodes, plain or
//!   TLS, password always redacted) and [`connect`], which opens a [`Connection`].
//! - [`monitor`]: the server's counters (`INFO`) and a key listing (`SCAN`, never `KEYS`), as a
//!   metrics endpoint shows them (`cachelab redis-stats`).
//! - [`ratelimit`]: the sliding-log and token-bucket limiters as atomic Lua scripts, with the
//!   model's fail-open/fail-closed rule for outages.
//! - [`runtime`]: [`RealTime`], the wall clock as a [`crate::sim::Runtime`] (tokio, one thread).
//! - [`store`]: [`RedisStore`], the strategies' store over Redis (per-run key prefix, hash tags,
//!   cleanup with `SCAN`).
//! - [`live`]: `cachelab live` — a scenario's lab bench in real time against Redis, and its
//!   comparison with the simulation.
//!
//! # Redis Cluster and hash tags
//! A cluster spreads keys over 16384 slots by a hash of the key, and one command (or script) may
//! only touch keys of one slot. When two keys must be read or written together — a lock and the
//! value it guards, a counter and its log — put the shared part in braces, `lock:{user:42}` and
//! `value:{user:42}`: only the text inside the first `{…}` is hashed, so both land in the same slot
//! and on the same master. `tests/redis_cluster.rs` checks it with `CLUSTER KEYSLOT`.

pub mod live;
pub mod monitor;
pub mod ratelimit;
pub mod runtime;
pub mod store;
pub mod target;

pub use runtime::RealTime;
pub use store::RedisStore;
pub use target::{connect, Connection, Target};

use redis::aio::ConnectionLike;

/// Sends `PING` and returns the server's answer (`"PONG"`).
///
/// ```no_run
/// # async fn demo() -> cachelab::Result<()> {
/// let target: cachelab::redis::Target = "redis://127.0.0.1:6379".parse()?;
/// let mut conn = cachelab::redis::connect(&target, 1).await?;
/// assert_eq!(cachelab::redis::ping(&mut conn).await.unwrap(), "PONG");
/// # Ok(())
/// # }
/// ```
pub async fn ping<C: ConnectionLike>(conn: &mut C) -> redis::RedisResult<String> {
    redis::cmd("PING").query_async(conn).await
}
