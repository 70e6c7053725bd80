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
//! A rate limiter's keys (`rl:SCOPE:ID:…`, see [`crate::ratelimit::Rule::key`]) become
//! `prefix + "rl:{SCOPE:ID}:…"`: every key of one subject hashes by its subject, so the sliding
//! counter's two windows meet in one script and the admin reset finds all of a subject's keys on
//! one master.
//!
//! # Pipelines and scripts on a cluster
//!
//! A Redis Cluster runs a pipeline on one node and a script on one slot. Scripts name their keys,
//! which share a hash tag where they must meet (above). A pipeline may span slots — a tag's
//! pruning checks members that live anywhere — so on a cluster ([`RedisStore::on_cluster`]) it is
//! split by slot, the parts sent one after the other, and the replies put back in order: one
//! round trip per slot instead of one per command.
//!
//! # Errors
//!
//! Every failure — refused connection, timeout, an error reply — becomes [`Error::Store`], which
//! the strategies count and fail open on (see the strategy module).

use crate::error::{Error, Result};
use crate::sim::SimDuration;
use crate::strategy::{Cmd, Script, SetWhen, Store};
use crate::tiers::l2::Reply;
use redis::aio::ConnectionLike;
use redis::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A [`Store`] over a Redis connection `C`, with every key under one prefix.
#[derive(Clone)]
pub struct RedisStore<C> {
    conn: C,
    prefix: String,
    /// Split pipelines by slot (a Redis Cluster).
    cluster: bool,
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
        Ok(RedisStore {
            conn,
            prefix,
            cluster: false,
        })
    }

    /// The same store on a Redis Cluster: pipelines are split by slot.
    pub fn on_cluster(mut self, cluster: bool) -> Self {
        self.cluster = cluster;
        self
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
            _ => match rate_limit_subject(key) {
                Some((subject, rest)) => {
                    out.extend_from_slice(b"rl:{");
                    out.extend_from_slice(subject);
                    out.push(b'}');
                    out.extend_from_slice(rest);
                }
                None => out.extend_from_slice(key),
            },
        }
        out
    }

    /// The Redis command for `cmd`, on this store's keys.
    fn command(&self, cmd: Cmd<'_>) -> redis::Cmd {
        let (name, key) = (cmd.name(), self.redis_key(cmd_key(&cmd)));
        let mut out = redis::cmd(name);
        out.arg(key);
        match cmd {
            Cmd::Get(_)
            | Cmd::Del(_)
            | Cmd::Exists(_)
            | Cmd::Persist(_)
            | Cmd::Ttl(_)
            | Cmd::SMembers(_)
            | Cmd::SCard(_)
            | Cmd::ZCard(_)
            | Cmd::Keys(_) => {}
            Cmd::Set {
                value, ttl, when, ..
            } => {
                out.arg(value);
                if let Some(ttl) = ttl {
                    out.arg("PX").arg(px(ttl));
                }
                match when {
                    SetWhen::Always => {}
                    SetWhen::Absent => {
                        out.arg("NX");
                    }
                    SetWhen::Present => {
                        out.arg("XX");
                    }
                }
            }
            Cmd::Expire(_, ttl) => {
                out.arg(px(ttl));
            }
            Cmd::IncrBy(_, by) => {
                out.arg(by);
            }
            Cmd::SAdd(_, members) | Cmd::SRem(_, members) => {
                out.arg(members);
            }
            Cmd::ZAdd { score, member, .. } => {
                out.arg(score).arg(member);
            }
            Cmd::ZRemUpTo(_, max) => {
                out.arg("-inf").arg(max);
            }
            Cmd::ZLast(_) => {
                out.arg(-1).arg(-1).arg("WITHSCORES");
            }
            Cmd::HSet(_, pairs) => {
                for (field, value) in pairs {
                    out.arg(*field).arg(*value);
                }
            }
            Cmd::HGet(_, field) => {
                out.arg(field);
            }
        }
        out
    }

    /// Redis's reply to `cmd` as the interface answers it (see [`Cmd`]).
    fn reply(&self, cmd: &Cmd<'_>, value: Value) -> Reply {
        match (cmd, reply_of(value)) {
            // PTTL's milliseconds as microseconds.
            (Cmd::Ttl(_), Reply::Int(ms)) if ms >= 0 => Reply::Int(ms.saturating_mul(1_000)),
            (Cmd::SMembers(_), Reply::Array(mut members)) => {
                members.sort_by(|a, b| bulk_bytes(a).cmp(bulk_bytes(b)));
                Reply::Array(members)
            }
            (Cmd::Keys(_), Reply::Array(keys)) => Reply::Array(
                keys.into_iter()
                    .map(|k| match k {
                        Reply::Bulk(k) => {
                            let own = k.strip_prefix(self.prefix.as_bytes()).unwrap_or(&k);
                            Reply::Bulk(own.to_vec())
                        }
                        other => other,
                    })
                    .collect(),
            ),
            (_, reply) => reply,
        }
    }

    /// Sends `cmds` as one pipeline and returns one reply each (error replies inline).
    async fn send(&self, cmds: &[Cmd<'_>]) -> Result<Vec<Reply>> {
        let mut pipe = redis::pipe();
        for &cmd in cmds {
            pipe.add_command(self.command(cmd));
        }
        pipe.ignore_errors();
        let mut conn = self.conn.clone();
        let values: Vec<redis::RedisResult<Value>> = pipe
            .query_async(&mut conn)
            .await
            .map_err(|e| store_error(&e))?;
        Ok(cmds
            .iter()
            .zip(values)
            .map(|(cmd, value)| match value {
                Ok(value) => self.reply(cmd, value),
                Err(e) => Reply::Error(e.to_string()),
            })
            .collect())
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

/// The key a command is about (a pattern for `KEYS`).
fn cmd_key<'a>(cmd: &Cmd<'a>) -> &'a [u8] {
    match *cmd {
        Cmd::Get(k)
        | Cmd::Del(k)
        | Cmd::Exists(k)
        | Cmd::Expire(k, _)
        | Cmd::Persist(k)
        | Cmd::Ttl(k)
        | Cmd::IncrBy(k, _)
        | Cmd::SAdd(k, _)
        | Cmd::SRem(k, _)
        | Cmd::SMembers(k)
        | Cmd::SCard(k)
        | Cmd::ZRemUpTo(k, _)
        | Cmd::ZCard(k)
        | Cmd::ZLast(k)
        | Cmd::HSet(k, _)
        | Cmd::HGet(k, _)
        | Cmd::Keys(k) => k,
        Cmd::Set { key, .. } | Cmd::ZAdd { key, .. } => key,
    }
}

/// `rl:SCOPE:ID:REST` as `(SCOPE:ID, :REST)`: a rate-limit subject's keys (see the module docs).
fn rate_limit_subject(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = key.strip_prefix(b"rl:")?;
    let scope_end = rest.iter().position(|&b| b == b':')?;
    let id_end = scope_end + 1 + rest[scope_end + 1..].iter().position(|&b| b == b':')?;
    Some((&rest[..id_end], &rest[id_end..]))
}

fn bulk_bytes(reply: &Reply) -> &[u8] {
    match reply {
        Reply::Bulk(b) => b,
        _ => &[],
    }
}

/// A Redis value as the interface's reply.
fn reply_of(value: Value) -> Reply {
    match value {
        Value::Nil => Reply::Nil,
        Value::Int(n) => Reply::Int(n),
        Value::BulkString(bytes) => Reply::Bulk(bytes),
        Value::Array(items) | Value::Set(items) => {
            Reply::Array(items.into_iter().map(reply_of).collect())
        }
        Value::SimpleString(s) => Reply::Bulk(s.into_bytes()),
        Value::Okay => Reply::OK,
        Value::Double(x) => Reply::Bulk(x.to_string().into_bytes()),
        Value::Boolean(b) => Reply::Int(i64::from(b)),
        Value::Map(pairs) => Reply::Array(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [reply_of(k), reply_of(v)])
                .collect(),
        ),
        Value::ServerError(e) => Reply::Error(e.to_string()),
        // RESP3's other types (verbatim strings, big numbers, pushes, attributes) are not
        // answers to any command the interface sends; `Value` is non-exhaustive.
        other => Reply::Error(format!("unexpected reply {other:?}")),
    }
}

/// The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag, or of the whole key.
pub fn slot(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let inner = &key[open + 1..];
            let close = inner.iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &inner[..close])
        })
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for &byte in hashed {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16_384
}

impl<C: ConnectionLike + Clone> Store for RedisStore<C> {
    async fn pipeline(&self, cmds: &[Cmd<'_>]) -> Result<Vec<Reply>> {
        if !self.cluster {
            return self.send(cmds).await;
        }
        // One pipeline per slot, in slot order; replies go back to their commands' places.
        let mut by_slot: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
        for (i, cmd) in cmds.iter().enumerate() {
            let key = self.redis_key(cmd_key(cmd));
            by_slot.entry(slot(&key)).or_default().push(i);
        }
        let mut replies = vec![Reply::Nil; cmds.len()];
        for places in by_slot.values() {
            let part: Vec<Cmd> = places.iter().map(|&i| cmds[i]).collect();
            for (&i, reply) in places.iter().zip(self.send(&part).await?) {
                replies[i] = reply;
            }
        }
        Ok(replies)
    }

    async fn eval(&self, script: &dyn Script) -> Result<Reply> {
        let lua = redis::Script::new(script.lua());
        let mut call = lua.prepare_invoke();
        for key in script.keys() {
            call.key(self.redis_key(key));
        }
        for arg in script.args() {
            call.arg(arg);
        }
        let mut conn = self.conn.clone();
        let value: Value = call
            .invoke_async(&mut conn)
            .await
            .map_err(|e| Error::Store {
                detail: format!("script {}: {e}", script.name()),
            })?;
        match reply_of(value) {
            Reply::Error(detail) => Err(Error::Store { detail }),
            reply => Ok(reply),
        }
    }

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
    fn a_rate_limit_subjects_keys_share_its_hash_tag() {
        let s = store();
        let current = s.redis_key(b"rl:user:42:writes:7");
        let previous = s.redis_key(b"rl:user:42:writes:6");
        assert_eq!(current, b"cachelab:r7:lock:rl:{user:42}:writes:7");
        assert_eq!(slot(&current), slot(&previous));
        assert_eq!(slot(&current), slot(&s.redis_key(b"rl:user:42:")));
        assert_ne!(slot(&current), slot(&s.redis_key(b"rl:user:43:writes:7")));
        // Not a subject's key: unchanged.
        assert_eq!(s.redis_key(b"rl:x"), b"cachelab:r7:lock:rl:x");
    }

    #[test]
    fn slots_are_crc16_of_the_hash_tag() {
        // Redis Cluster's specification: CRC16("123456789") = 0x31C3.
        assert_eq!(slot(b"123456789"), 0x31C3);
        assert_eq!(slot(b"{user1000}.following"), slot(b"{user1000}.followers"));
        // An empty tag hashes the whole key.
        assert_eq!(slot(b"foo{}{bar}"), slot(b"foo{}{bar}"));
        assert_ne!(slot(b"foo{}{bar}"), slot(b"bar"));
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
