//! The real-Redis face (feature `redis`, native only): connects the same strategies to a live
//! `redis-server` or Redis Cluster.
//!
//! - [`target`]: the `--redis-url` value ([`Target`], one node or a cluster's seed nodes, plain or
//!   TLS, password always redacted) and [`connect`], which opens a [`Connection`].
//! - [`runtime`]: [`RealTime`], the wall clock as a [`crate::sim::Runtime`] (tokio, one thread).
//! - [`store`]: [`RedisStore`], the strategies' store over Redis (per-run key prefix, hash tags,
//!   cleanup with `SCAN`).
//! - [`live`]: `cachelab live` — a scenario's lab bench in real time against Redis, and its
//!   comparison with the simulation.

pub mod live;
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
