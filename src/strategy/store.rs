//! The shared cache as everything above the tiers sees it: one async trait, [`Store`], over the
//! commands the strategies, the cache manager and the rate limiters use — strings with TTLs and
//! `NX`/`XX`, counters, sets, sorted sets, hashes, pipelines and atomic scripts.
//!
//! Two stores implement it: [`SimL2`] (the L2 model behind a simulated round trip, in
//! `tiers`) and `RedisStore` (a real Redis, feature `redis`). A third, [`Faulty`](super::Faulty),
//! wraps either and injects outages, slow replies and client timeouts.
//!
//! ## Commands and scripts
//!
//! A command is a [`Cmd`]: typed, so that a TTL keeps the model's microseconds (a real Redis gets
//! `PX`, rounded up to a millisecond). [`Store::pipeline`] sends several in one round trip, as a
//! Redis pipeline does: each gets its own reply, and an error reply for one does not stop the
//! others. A pipeline is not atomic, and on a Redis Cluster its commands may go to different
//! masters — which is what a step over keys of many slots (a tag's pruning) needs.
//!
//! A [`Script`] is one atomic step: a Lua script against a real Redis (`EVALSHA`), and the same
//! step written in Rust for the model, run at one instant with nothing in between. Every key a
//! script touches is passed in [`Script::keys`], and on a Redis Cluster they must share a hash
//! tag (one slot), as Redis requires.

use crate::error::{Error, Result};
use crate::sim::{Executor, SimDuration};
use crate::tiers::l2::Reply;
use std::future::Future;

pub use crate::tiers::SimL2;

/// When a `SET` stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetWhen {
    /// Always (plain `SET`).
    Always,
    /// Only if the key is absent (`NX`).
    Absent,
    /// Only if the key exists (`XX`).
    Present,
}

/// One command of the shared cache. Replies are as Redis gives them, except where noted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmd<'a> {
    /// `GET key`: a bulk string or nil.
    Get(&'a [u8]),
    /// `SET key value [PX ttl] [NX|XX]`: `OK`, or nil when `when` kept it from storing.
    Set {
        /// The key.
        key: &'a [u8],
        /// The value.
        value: &'a [u8],
        /// Its TTL (`None`: none).
        ttl: Option<SimDuration>,
        /// When it stores.
        when: SetWhen,
    },
    /// `DEL key`: 1 if it was there.
    Del(&'a [u8]),
    /// `EXISTS key`: 1 or 0.
    Exists(&'a [u8]),
    /// `PEXPIRE key ttl`: 1, or 0 without such a key.
    Expire(&'a [u8], SimDuration),
    /// `PERSIST key`: 1 if a TTL was removed.
    Persist(&'a [u8]),
    /// `PTTL key`, in **microseconds** (a real Redis's milliseconds × 1000); -1 without a TTL,
    /// -2 without the key.
    Ttl(&'a [u8]),
    /// `INCRBY key by`: the new value.
    IncrBy(&'a [u8], i64),
    /// `SADD key member…`: how many were new.
    SAdd(&'a [u8], &'a [&'a [u8]]),
    /// `SREM key member…`: how many were there.
    SRem(&'a [u8], &'a [&'a [u8]]),
    /// `SMEMBERS key`: the members, **sorted** (a real Redis's order is arbitrary).
    SMembers(&'a [u8]),
    /// `SCARD key`.
    SCard(&'a [u8]),
    /// `ZADD key score member`: 1 if the member is new.
    ZAdd {
        /// The sorted set.
        key: &'a [u8],
        /// The score (whole numbers stay exact up to 2^53, as Redis keeps doubles).
        score: i64,
        /// The member.
        member: &'a [u8],
    },
    /// `ZREMRANGEBYSCORE key -inf max`: how many left.
    ZRemUpTo(&'a [u8], i64),
    /// `ZCARD key`.
    ZCard(&'a [u8]),
    /// The member with the highest score and that score, `[member, score]` (`ZRANGE key -1 -1
    /// WITHSCORES`); an empty array for an empty set.
    ZLast(&'a [u8]),
    /// `HSET key field value …`: how many fields were new.
    HSet(&'a [u8], &'a [(&'a [u8], &'a [u8])]),
    /// `HGET key field`.
    HGet(&'a [u8], &'a [u8]),
    /// `KEYS pattern`: for scripts' model twins only (a real Redis walks its whole keyspace for
    /// it; a Lua script walks `SCAN` instead).
    Keys(&'a [u8]),
}

impl Cmd<'_> {
    /// The command's name, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Cmd::Get(_) => "GET",
            Cmd::Set { .. } => "SET",
            Cmd::Del(_) => "DEL",
            Cmd::Exists(_) => "EXISTS",
            Cmd::Expire(..) => "PEXPIRE",
            Cmd::Persist(_) => "PERSIST",
            Cmd::Ttl(_) => "PTTL",
            Cmd::IncrBy(..) => "INCRBY",
            Cmd::SAdd(..) => "SADD",
            Cmd::SRem(..) => "SREM",
            Cmd::SMembers(_) => "SMEMBERS",
            Cmd::SCard(_) => "SCARD",
            Cmd::ZAdd { .. } => "ZADD",
            Cmd::ZRemUpTo(..) => "ZREMRANGEBYSCORE",
            Cmd::ZCard(_) => "ZCARD",
            Cmd::ZLast(_) => "ZRANGE",
            Cmd::HSet(..) => "HSET",
            Cmd::HGet(..) => "HGET",
            Cmd::Keys(_) => "KEYS",
        }
    }
}

/// What a script's model twin may do: run commands at the server, inside the script's one step.
pub trait Server {
    /// Runs `cmd` (`redis.call` in Lua; an error comes back as an error reply).
    fn call(&mut self, cmd: Cmd<'_>) -> Reply;
}

/// One atomic step at the server: a Lua script for a real Redis, and its twin in Rust for the
/// model, which must answer the same.
pub trait Script {
    /// A short name, for errors and logs.
    fn name(&self) -> &'static str;
    /// The Lua source (`KEYS` are [`Script::keys`], `ARGV` are [`Script::args`]).
    fn lua(&self) -> &'static str;
    /// Every key the script touches (on a Redis Cluster, all in one slot: one hash tag).
    fn keys(&self) -> Vec<&[u8]>;
    /// The arguments, as Lua's `ARGV` gets them.
    fn args(&self) -> Vec<Vec<u8>>;
    /// The same step on the model: what the Lua does, through `server`.
    fn run(&self, server: &mut dyn Server) -> Reply;
}

/// The shared cache: one async trait over every command the code above the tiers uses.
///
/// A store implements [`Store::pipeline`] and [`Store::eval`]; the typed methods are built on
/// them (a store may answer some directly, as the model does on its hot paths). Every failure —
/// a refused connection, a timeout, an error reply — is [`Error::Store`].
// The strategies run on a single-threaded executor, so the futures need not be `Send`, which is
// what the lint would have us promise; callers that need it can add their own bound.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Runs `cmds` in order in one round trip and returns one reply each (an error reply for a
    /// command the server refused). `Err` if the trip itself failed.
    async fn pipeline(&self, cmds: &[Cmd<'_>]) -> Result<Vec<Reply>>;

    /// Runs `script` as one atomic step at the server and returns its reply.
    async fn eval(&self, script: &dyn Script) -> Result<Reply>;

    /// Runs one command; an error reply is `Err`.
    async fn exec(&self, cmd: Cmd<'_>) -> Result<Reply> {
        let reply = self.pipeline(&[cmd]).await?.pop();
        match reply {
            Some(Reply::Error(detail)) => Err(Error::Store { detail }),
            Some(reply) => Ok(reply),
            None => Err(bad_reply(cmd.name(), &Reply::Nil)),
        }
    }

    /// `GET key`.
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        bulk_of("GET", self.exec(Cmd::Get(key)).await?)
    }

    /// `SET key value [PX ttl]`.
    async fn set(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<()> {
        self.set_when(key, value, ttl, SetWhen::Always)
            .await
            .map(|_| ())
    }

    /// `SET key value NX [PX ttl]`: true if it was stored.
    async fn set_nx(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<bool> {
        self.set_when(key, value, ttl, SetWhen::Absent).await
    }

    /// `SET key value [PX ttl] [NX|XX]`: true if it was stored.
    async fn set_when(
        &self,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
        when: SetWhen,
    ) -> Result<bool> {
        let cmd = Cmd::Set {
            key,
            value,
            ttl,
            when,
        };
        match self.exec(cmd).await? {
            Reply::Nil => Ok(false),
            Reply::Status(_) | Reply::Bulk(_) => Ok(true),
            other => Err(bad_reply("SET", &other)),
        }
    }

    /// `DEL key`: true if a key was removed.
    async fn del(&self, key: &[u8]) -> Result<bool> {
        Ok(int_of("DEL", self.exec(Cmd::Del(key)).await?)? > 0)
    }

    /// `EXISTS key`.
    async fn exists(&self, key: &[u8]) -> Result<bool> {
        Ok(int_of("EXISTS", self.exec(Cmd::Exists(key)).await?)? > 0)
    }

    /// `PEXPIRE key ttl`: false without such a key.
    async fn expire(&self, key: &[u8], ttl: SimDuration) -> Result<bool> {
        Ok(int_of("PEXPIRE", self.exec(Cmd::Expire(key, ttl)).await?)? > 0)
    }

    /// `PERSIST key`: true if a TTL was removed.
    async fn persist(&self, key: &[u8]) -> Result<bool> {
        Ok(int_of("PERSIST", self.exec(Cmd::Persist(key)).await?)? > 0)
    }

    /// `PTTL key`: `None` if the key is missing or has no TTL.
    async fn ttl(&self, key: &[u8]) -> Result<Option<SimDuration>> {
        let us = int_of("PTTL", self.exec(Cmd::Ttl(key)).await?)?;
        Ok(u64::try_from(us).ok().map(SimDuration))
    }

    /// `INCRBY key by`: the new value.
    async fn incr_by(&self, key: &[u8], by: i64) -> Result<i64> {
        int_of("INCRBY", self.exec(Cmd::IncrBy(key, by)).await?)
    }

    /// `SADD key member…`: how many were new.
    async fn sadd(&self, key: &[u8], members: &[&[u8]]) -> Result<u64> {
        count_of("SADD", self.exec(Cmd::SAdd(key, members)).await?)
    }

    /// `SREM key member…`: how many were removed.
    async fn srem(&self, key: &[u8], members: &[&[u8]]) -> Result<u64> {
        count_of("SREM", self.exec(Cmd::SRem(key, members)).await?)
    }

    /// `SMEMBERS key`, sorted.
    async fn smembers(&self, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        bulks_of("SMEMBERS", self.exec(Cmd::SMembers(key)).await?)
    }

    /// `SCARD key`.
    async fn scard(&self, key: &[u8]) -> Result<u64> {
        count_of("SCARD", self.exec(Cmd::SCard(key)).await?)
    }
}

/// A reply that is not what `command` answers, as a store error.
pub fn bad_reply(command: &str, reply: &Reply) -> Error {
    Error::Store {
        detail: format!("{command}: {}", reply.to_cli_string()),
    }
}

/// The integer of an integer reply (an error reply, or anything else, is a store error).
pub fn int_of(command: &str, reply: Reply) -> Result<i64> {
    match reply {
        Reply::Int(n) => Ok(n),
        other => Err(bad_reply(command, &other)),
    }
}

/// A count: a non-negative integer reply.
pub fn count_of(command: &str, reply: Reply) -> Result<u64> {
    let n = int_of(command, reply)?;
    u64::try_from(n).map_err(|_| bad_reply(command, &Reply::Int(n)))
}

/// A bulk string or nil.
pub fn bulk_of(command: &str, reply: Reply) -> Result<Option<Vec<u8>>> {
    match reply {
        Reply::Bulk(bytes) => Ok(Some(bytes)),
        Reply::Nil => Ok(None),
        other => Err(bad_reply(command, &other)),
    }
}

/// An array of bulk strings.
pub fn bulks_of(command: &str, reply: Reply) -> Result<Vec<Vec<u8>>> {
    match reply {
        Reply::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Reply::Bulk(bytes) => Ok(bytes),
                other => Err(bad_reply(command, &other)),
            })
            .collect(),
        other => Err(bad_reply(command, &other)),
    }
}

/// Every reply of a pipeline, the first error reply as `Err`.
pub fn all_ok(command: &str, replies: Vec<Reply>) -> Result<Vec<Reply>> {
    match replies.iter().find(|r| r.is_error()) {
        Some(error) => Err(bad_reply(command, error)),
        None => Ok(replies),
    }
}

/// Runs a store call to completion on `exec` from synchronous code — a loop that moves the clock
/// itself ([`Executor::advance_to`]) and calls the store at each instant. A call that could never
/// finish (nothing left to wake it) is a store error.
pub fn block_on_store<T>(exec: &Executor, call: impl Future<Output = Result<T>>) -> Result<T> {
    exec.block_on(call).unwrap_or_else(|| {
        Err(Error::Store {
            detail: "the store never answered".to_string(),
        })
    })
}
