//! A lock whose value names its holder ([`TokenLock`]), and what releasing it does when the load
//! behind it outlasted the lock's TTL: the lock expired, another request took it, and the first
//! holder's release now meets the second holder's lock.
//!
//! - [`Release::Unconditional`]: the chapter's `DEL` — it deletes whatever lock is there, the
//!   other holder's too, so a third request can take it while two loads still run. The token is
//!   written only so that the release can tell (and the run count) whose lock it removed.
//! - [`Release::CompareAndDelete`]: delete only if the lock still holds our token, in one atomic
//!   step (a Lua script against a real Redis: a `GET` then a `DEL` from the client could let the
//!   lock change hands between the two).
//! - With `renew`, the holder also extends its lock (compare-and-`PEXPIRE`) every third of its
//!   TTL while the load runs, so the lock never lapses under a load that is merely slow.
//!
//! The waiters are the chapter's: poll the cache, and after `polls` polls query the database
//! without filling the cache. [`LockStats`] counts what the holders did.

use super::{bad_reply, from_db, l2_hit, lock_key, Cmd, Ctx, Response, Script, Server, Store};
use crate::error::Result;
use crate::sim::{Runtime, SimDuration};
use crate::tiers::l2::Reply;
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;

/// How a lock holder gives the lock back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// `DEL lock`, whoever holds it now.
    Unconditional,
    /// Delete it only if it still holds our token (one atomic step).
    CompareAndDelete,
}

/// A per-key lock whose value is its holder's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLock {
    /// Expiry of the lock.
    pub ttl: SimDuration,
    /// Pause between a waiter's polls.
    pub poll: SimDuration,
    /// Polls before a waiter queries the database itself.
    pub polls: u64,
    /// How the holder releases it.
    pub release: Release,
    /// Whether the holder extends it every third of its TTL while it loads.
    pub renew: bool,
}

impl TokenLock {
    /// The L2 key of row `key`'s lock.
    pub fn key(key: u64) -> [u8; 9] {
        lock_key(key)
    }
}

/// What lock holders did over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LockStats {
    /// Locks taken (each one a load of the key by its holder).
    pub acquired: u64,
    /// The most holders loading one key at the same time.
    pub max_concurrent_loads: u64,
    /// Loads that started while another holder was still loading the same key.
    pub overlapping_loads: u64,
    /// Releases that deleted the holder's own lock.
    pub released_own: u64,
    /// Releases that deleted another holder's lock.
    pub deleted_foreign: u64,
    /// Releases that found another holder's lock and left it (compare-and-delete).
    pub spared_foreign: u64,
    /// Releases that found no lock at all (it had expired and nobody took it).
    pub found_expired: u64,
    /// Extensions of a lock still held.
    pub renewals: u64,
}

/// Per key, how many holders are loading it now.
#[derive(Default)]
pub(super) struct LockBook {
    stats: Cell<LockStats>,
    loading: std::cell::RefCell<std::collections::BTreeMap<u64, u64>>,
    next_token: Cell<u64>,
}

impl LockBook {
    pub(super) fn stats(&self) -> LockStats {
        self.stats.get()
    }

    fn count(&self, f: impl FnOnce(&mut LockStats)) {
        let mut stats = self.stats.get();
        f(&mut stats);
        self.stats.set(stats);
    }

    /// A token no other holder of this run has (a real client draws a random one).
    fn token(&self) -> [u8; 8] {
        let n = self.next_token.get() + 1;
        self.next_token.set(n);
        n.to_be_bytes()
    }
}

/// One holder's load in progress: counted while it lives (also when its request is dropped
/// half-way), and the signal that stops its renewals.
struct Loading<'a> {
    book: &'a LockBook,
    key: u64,
    done: Rc<Cell<bool>>,
}

impl<'a> Loading<'a> {
    fn start(book: &'a LockBook, key: u64) -> Self {
        let now = {
            let mut loading = book.loading.borrow_mut();
            let n = loading.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        book.count(|s| {
            s.acquired += 1;
            s.max_concurrent_loads = s.max_concurrent_loads.max(now);
            s.overlapping_loads += u64::from(now > 1);
        });
        Loading {
            book,
            key,
            done: Rc::new(Cell::new(false)),
        }
    }
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.done.set(true);
        let mut loading = self.book.loading.borrow_mut();
        if let Some(n) = loading.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                loading.remove(&self.key);
            }
        }
    }
}

/// Reads `key` under `lock`: the holder loads and fills; the others poll for its fill.
pub(super) async fn get_with_token_lock<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    key: u64,
    lock: TokenLock,
) -> Result<Response> {
    if let Some(entry) = ctx.l2_get(key).await? {
        return Ok(l2_hit(entry));
    }
    let token = ctx.locks.token();
    let Ok(won) = ctx.l2.set_nx(&lock_key(key), &token, Some(lock.ttl)).await else {
        // No lock service, so no one to coordinate with: load as plain cache-aside would.
        ctx.count_l2_error();
        return Ok(from_db(ctx.load_and_fill(key).await?));
    };
    if !won {
        return super::wait_for_holder(ctx, key, lock.poll, lock.polls).await;
    }
    let loading = Loading::start(&ctx.locks, key);
    if lock.renew {
        renew_while_loading(ctx, key, token, lock.ttl, loading.done.clone());
    }
    let loaded = match ctx.l2_get(key).await {
        Ok(Some(entry)) => Ok(l2_hit(entry)),
        Ok(None) => ctx.load_and_fill(key).await.map(from_db),
        Err(e) => Err(e),
    };
    drop(loading);
    let released = match lock.release {
        Release::Unconditional => ReleaseAny::new(key, token).eval_on(&ctx.l2).await,
        Release::CompareAndDelete => ReleaseIfOwner::new(key, token).eval_on(&ctx.l2).await,
    };
    match released {
        Ok(Released::Own) => ctx.locks.count(|s| s.released_own += 1),
        Ok(Released::Foreign) => ctx.locks.count(|s| s.deleted_foreign += 1),
        Ok(Released::Spared) => ctx.locks.count(|s| s.spared_foreign += 1),
        Ok(Released::Absent) => ctx.locks.count(|s| s.found_expired += 1),
        // A release that fails leaves the lock to its TTL.
        Err(_) => ctx.count_l2_error(),
    }
    loaded
}

/// Extends the holder's lock every third of its TTL until `done`; stops if the lock is no
/// longer its own (or the cache fails: the lock then ends with its TTL).
fn renew_while_loading<S: Store + 'static, R: Runtime>(
    ctx: &Rc<Ctx<S, R>>,
    key: u64,
    token: [u8; 8],
    ttl: SimDuration,
    done: Rc<Cell<bool>>,
) {
    let ctx = ctx.clone();
    let every = SimDuration((ttl.as_micros() / 3).max(1));
    ctx.sim.clone().spawn_detached(async move {
        loop {
            ctx.sim.sleep(every).await;
            if done.get() {
                return;
            }
            let extend = ExtendIfOwner::new(key, token, ttl);
            match ctx.l2.eval(&extend).await {
                Ok(Reply::Int(1)) => ctx.locks.count(|s| s.renewals += 1),
                Ok(_) => return,
                Err(_) => {
                    ctx.count_l2_error();
                    return;
                }
            }
        }
    });
}

/// The answer of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Released {
    /// Our lock was there and is gone.
    Own,
    /// Another holder's lock was there and is gone.
    Foreign,
    /// Another holder's lock was there and was left.
    Spared,
    /// No lock was there.
    Absent,
}

impl Released {
    fn of(reply: Reply, script: &'static str) -> Result<Released> {
        match reply {
            Reply::Int(0) => Ok(Released::Absent),
            Reply::Int(1) => Ok(Released::Own),
            Reply::Int(2) => Ok(Released::Foreign),
            Reply::Int(3) => Ok(Released::Spared),
            other => Err(bad_reply(script, &other)),
        }
    }
}

/// Reads the lock's value and whether it is `token`: 0 none, 1 ours, 2 another's.
fn owner(server: &mut dyn Server, key: &[u8], token: &[u8]) -> i64 {
    match server.call(Cmd::Get(key)) {
        Reply::Bulk(v) if v == token => 1,
        Reply::Bulk(_) => 2,
        _ => 0,
    }
}

/// The chapter's release, `DEL lock`, answering whose lock it deleted (0 none, 1 ours,
/// 2 another's): the same single step at the server as a plain `DEL`, told apart for the count.
pub struct ReleaseAny {
    key: [u8; 9],
    token: [u8; 8],
}

impl ReleaseAny {
    /// The release of `key`'s lock by the holder of `token`.
    pub fn new(key: u64, token: [u8; 8]) -> Self {
        ReleaseAny {
            key: lock_key(key),
            token,
        }
    }

    /// Runs it on `store`.
    pub async fn eval_on<S: Store + ?Sized>(&self, store: &S) -> Result<Released> {
        Released::of(store.eval(self).await?, "release-any")
    }
}

impl Script for ReleaseAny {
    fn name(&self) -> &'static str {
        "release-any"
    }

    fn lua(&self) -> &'static str {
        r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
redis.call('DEL', KEYS[1])
if v == ARGV[1] then return 1 end
return 2
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![&self.key]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        vec![self.token.to_vec()]
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        let owner = owner(server, &self.key, &self.token);
        if owner != 0 {
            server.call(Cmd::Del(&self.key));
        }
        Reply::Int(owner)
    }
}

/// Compare-and-delete: `DEL lock` only if it holds `token` (0 none, 1 ours and deleted,
/// 3 another's and left).
pub struct ReleaseIfOwner {
    key: [u8; 9],
    token: [u8; 8],
}

impl ReleaseIfOwner {
    /// The release of `key`'s lock by the holder of `token`.
    pub fn new(key: u64, token: [u8; 8]) -> Self {
        ReleaseIfOwner {
            key: lock_key(key),
            token,
        }
    }

    /// Runs it on `store`.
    pub async fn eval_on<S: Store + ?Sized>(&self, store: &S) -> Result<Released> {
        Released::of(store.eval(self).await?, "release-if-owner")
    }
}

impl Script for ReleaseIfOwner {
    fn name(&self) -> &'static str {
        "release-if-owner"
    }

    fn lua(&self) -> &'static str {
        r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v ~= ARGV[1] then return 3 end
redis.call('DEL', KEYS[1])
return 1
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![&self.key]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        vec![self.token.to_vec()]
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        match owner(server, &self.key, &self.token) {
            1 => {
                server.call(Cmd::Del(&self.key));
                Reply::Int(1)
            }
            2 => Reply::Int(3),
            _ => Reply::Int(0),
        }
    }
}

/// Compare-and-`PEXPIRE`: extend the lock to `ttl` only if it holds `token` (1 extended, 0 not).
pub struct ExtendIfOwner {
    key: [u8; 9],
    token: [u8; 8],
    ttl: SimDuration,
}

impl Script for ExtendIfOwner {
    fn name(&self) -> &'static str {
        "extend-if-owner"
    }

    fn lua(&self) -> &'static str {
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"
    }

    fn keys(&self) -> Vec<&[u8]> {
        vec![&self.key]
    }

    fn args(&self) -> Vec<Vec<u8>> {
        let ms = self.ttl.as_micros().div_ceil(1_000).max(1);
        vec![self.token.to_vec(), ms.to_string().into_bytes()]
    }

    fn run(&self, server: &mut dyn Server) -> Reply {
        if owner(server, &self.key, &self.token) != 1 {
            return Reply::Int(0);
        }
        server.call(Cmd::Expire(&self.key, self.ttl))
    }
}

impl ExtendIfOwner {
    /// The extension of `key`'s lock to `ttl` by the holder of `token`.
    pub fn new(key: u64, token: [u8; 8], ttl: SimDuration) -> Self {
        ExtendIfOwner {
            key: lock_key(key),
            token,
            ttl,
        }
    }
}
