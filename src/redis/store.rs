//! [`RedisStore`]: the strategies' [`Store`] over a real Redis, one node or a cluster.
//!
//! # Keys
//!
//! Every key of a run lives under a prefix of its own (`cachelab:<run id>:<variant>:`), so that
//! runs — and the variants of one run — never read each other's entries, even on a shared server,
//! and so that the run can find them all afterwards with `SCAN MATCH prefix*` on every master
//! (never `KEYS`, which blocks the server while it walks every key) and `UNLINK` them.
//!
//! The strategies name a row's entries with nine bytes: a tag (`k` for the cached value, `l` for
//! its lock) and the row id. Here that becomes `prefix + tag + "{" + hex(id) + "}"`, for example
//! `cachelab:r1:lock:k{2a}` and `cachelab:r1:lock:l{2a}`. The braces are a Redis Cluster *hash
//! tag*: only the part inside them is hashed to pick the slot, so a row's value and its lock sit
//! in the same slot, on the same master. The strategies send them as separate commands today, but
//! that placement is what lets a lock be released and a value written in one `MULTI` or Lua
//! script (which a cluster only runs on keys of one slot), and it keeps a row's failure modes
//! together: when that master is down, the lock and the value are unreachable at once, never half.
//! Different rows hash differently, so the rows still spread over the whole cluster. (The prefix
//! has no braces of its own: the first `{…}` in a key is the one that counts.)
//!
//! # Errors
//!
//! Every failure — refused connection, timeout, an error reply — becomes [`Error::Store`], which
//! the strategies count and fail open on (see the strategy module).

use crate::error::{Error, Result};
use crate::sim::SimDuration;
use crate::strategy::Store;
use redis::aio::ConnectionLike;
use std::fmt::Write as _;

/// A [`Store`] over a Redis connection `C`, with every key under one prefix.
#[derive(Clone)]
pub struct RedisStore<C> {
    conn: C,
    prefix: String,
}

/// The prefix of one variant of one run: `cachelab:<run id>:<variant>:`.
///
/// ```
/// assert_eq!(cachelab::redis::store::run_prefix("r7", "lock"), "cachelab:r7:lock:");
/// ```
pub fn run_prefix(run_id: &str, variant: &str) -> String {
    format!("cachelab:{run_id}:{variant}:")
}

fn store_error(error: &redis::RedisError) -> Error {
    Error::Store {
        detail: error.to_string(),
    }
}

/// `PX` takes whole milliseconds, at least one: a TTL is rounded up to the next millisecond.
fn px(ttl: SimDuration) -> u64 {
    ttl.as_micros().div_ceil(1_000).max(1)
}

impl<C: ConnectionLike + Clone> RedisStore<C> {
    /// A store on `conn` whose keys all start with `prefix`. The prefix may hold ASCII letters,
    /// digits and `:-_.` only, so that `prefix*` is a plain glob for `SCAN MATCH` and the prefix
    /// holds no hash tag of its own (for the cluster).
    pub fn new(conn: C, prefix: String) -> Result<Self> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || ":-_.".contains(c);
        if prefix.is_empty() || !prefix.chars().all(allowed) {
            return Err(Error::Parse {
                what: "Redis key prefix".to_string(),
                detail: format!(
                    "{prefix:?} must be non-empty and use only ASCII letters, digits and `:-_.`"
                ),
            });
        }
        Ok(RedisStore { conn, prefix })
    }

    /// The prefix of every key of this store.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key for a strategy's key: `prefix + tag + "{" + hex(id) + "}"` for the
    /// strategies' `[tag][8-byte row id]` keys (see the module docs), `prefix + key` otherwise.
    pub fn redis_key(&self, key: &[u8]) -> Vec<u8> {
        let mut out = self.prefix.clone().into_bytes();
        match key {
            [tag, id @ ..] if id.len() == 8 && tag.is_ascii_alphabetic() => {
                let id = u64::from_be_bytes(id.try_into().unwrap_or([0; 8]));
                let mut tagged = String::new();
                let _ = write!(tagged, "{}{{{id:x}}}", char::from(*tag));
                out.extend_from_slice(tagged.as_bytes());
            }
            _ => out.extend_from_slice(key),
        }
        out
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let mut conn = self.conn.clone();
        cmd.query_async(&mut conn)
            .await
            .map_err(|e| store_error(&e))
    }

    fn set_cmd(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> redis::Cmd {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.redis_key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(px(ttl));
        }
        cmd
    }
}

impl<C: ConnectionLike + Clone> Store for RedisStore<C> {
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.redis_key(key));
        self.query(&cmd).await
    }

    async fn set(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<()> {
        self.query(&self.set_cmd(key, value, ttl)).await
    }

    async fn set_nx(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<bool> {
        let mut cmd = self.set_cmd(key, value, ttl);
        cmd.arg("NX");
        // `OK` when stored, nil when the key was there.
        let reply: Option<String> = self.query(&cmd).await?;
        Ok(reply.is_some())
    }

    async fn del(&self, key: &[u8]) -> Result<bool> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.redis_key(key));
        Ok(self.query::<u64>(&cmd).await? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::{Cmd, ErrorKind, Pipeline, RedisFuture, Value};

    /// A connection to a server that is down: every command fails.
    #[derive(Clone)]
    struct Down;

    impl ConnectionLike for Down {
        fn req_packed_command<'a>(&'a mut self, _: &'a Cmd) -> RedisFuture<'a, Value> {
            Box::pin(async { Err((ErrorKind::Io, "connection refused").into()) })
        }
        fn req_packed_commands<'a>(
            &'a mut self,
            _: &'a Pipeline,
            _: usize,
            _: usize,
        ) -> RedisFuture<'a, Vec<Value>> {
            Box::pin(async { Err((ErrorKind::Io, "connection refused").into()) })
        }
        fn get_db(&self) -> i64 {
            0
        }
    }

    fn store() -> RedisStore<Down> {
        RedisStore::new(Down, run_prefix("r7", "lock")).unwrap()
    }

    #[test]
    fn a_rows_value_and_lock_share_a_hash_tag_under_the_prefix() {
        let id = 42u64.to_be_bytes();
        let key = |tag: u8| [&[tag][..], &id].concat();
        assert_eq!(store().redis_key(&key(b'k')), b"cachelab:r7:lock:k{2a}");
        assert_eq!(store().redis_key(&key(b'l')), b"cachelab:r7:lock:l{2a}");
        // Anything else is kept as it is, under the prefix.
        assert_eq!(store().redis_key(b"rl:alice"), b"cachelab:r7:lock:rl:alice");
    }

    #[test]
    fn prefixes_that_would_glob_or_hash_tag_are_refused() {
        for bad in ["", "a*", "a{b}", "a b", "x?"] {
            let err = RedisStore::new(Down, bad.to_string()).err().unwrap();
            assert!(err.to_string().contains("Redis key prefix"), "{err}");
        }
    }

    #[test]
    fn a_server_that_is_down_gives_store_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt.block_on(store().get(b"k")).unwrap_err();
        assert!(
            matches!(&err, Error::Store { detail } if detail.contains("connection refused")),
            "{err}"
        );
    }

    #[test]
    fn ttls_round_up_to_whole_milliseconds() {
        assert_eq!(px(SimDuration(1)), 1);
        assert_eq!(px(SimDuration(2_000)), 2);
        assert_eq!(px(SimDuration(2_001)), 3);
        assert_eq!(px(SimDuration::ZERO), 1);
    }
}
