//! L2: an in-memory model of Redis 7.0 on simulated time.
//!
//! The model keeps its own clock, which only moves forward: the simulation moves it with
//! [`L2::advance_to`], and the console moves it with `DEBUG SLEEP`. Rust callers (the strategies)
//! use the typed methods ([`L2::get`], [`L2::set`], ...), which never format or parse text; text
//! callers go through [`L2::exec`], which splits a line as redis-cli does and runs the command.
//!
//! ## Layout
//!
//! - `mod.rs` (this file): [`L2`], its configuration ([`L2Config`]), the keyspace lookups every
//!   command shares, and the typed API.
//! - `db.rs`: the keyspace, arranged so that random sampling is deterministic.
//! - `value.rs`: the value types ([`Value`]) and the per-key memory estimate ([`sds_size`]).
//! - `expire.rs`: lazy expiry on access and the active expiry cycle.
//! - `evict.rs`: `maxmemory` and its eviction policies ([`MaxmemoryPolicy`]).
//! - `command/`: one function per command, grouped by family; one item per command
//!   ([`commands`]), and the table of them that the console looks names up in.
//! - `serve.rs`: the strategies' commands ([`crate::strategy::Cmd`]), through the same checks as
//!   the console's, naming their items (a build that only runs strategies links only those).
//! - `info.rs`: the `INFO` text.
//! - `reply.rs`: [`Reply`] and redis-cli's way of printing it.
//! - `parse.rs`: redis-cli's line quoting ([`split_args`]).
//! - `console.rs`: [`Console`], a redis-cli session (`cachelab console`, the page's console).
//! - `fuzz.rs`: [`fuzz_console`], the body of the fuzz target `fuzz/fuzz_targets/l2_exec.rs`.
//!
//! ## Commands
//!
//! The table in `command/mod.rs` (which `HELP` prints) has every command, with Redis 7.0's
//! arities, replies and error texts, checked against a real `redis-server` by
//! `tests/redis_l2_diff.rs`:
//!
//! - strings: GET SET (EX PX EXAT PXAT NX XX KEEPTTL GET) SETNX SETEX PSETEX GETSET GETDEL GETEX
//!   MGET MSET MSETNX INCR INCRBY DECR DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE;
//! - keys: DEL UNLINK EXISTS EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT) TTL PTTL EXPIRETIME
//!   PEXPIRETIME PERSIST TYPE KEYS SCAN (MATCH COUNT TYPE) RENAME RENAMENX COPY (DB REPLACE)
//!   RANDOMKEY TOUCH OBJECT (ENCODING FREQ IDLETIME);
//! - lists: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP (count) LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
//!   RPOPLPUSH LMOVE BLPOP BRPOP; sets: SADD SREM SMEMBERS SISMEMBER SCARD SPOP SRANDMEMBER SMOVE
//!   SINTER SUNION SDIFF; hashes: HSET HMSET HSETNX HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS
//!   HVALS HGETALL HINCRBY HINCRBYFLOAT; sorted sets: ZADD ZINCRBY ZREM ZCARD ZCOUNT ZSCORE ZRANK
//!   ZREVRANK ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE
//!   ZREMRANGEBYSCORE ZPOPMIN ZPOPMAX;
//! - transactions: MULTI EXEC DISCARD WATCH UNWATCH (with `QUEUED`, EXECABORT and nil on a changed
//!   watched key); connection and server: PING ECHO SELECT (16 databases) CLIENT SETNAME/GETNAME
//!   DBSIZE FLUSHDB FLUSHALL INFO CONFIG (GET SET RESETSTAT) DEBUG SLEEP TIME COMMAND COUNT
//!   MEMORY USAGE.
//!
//! ## Left out, on purpose (each answers with an error that says why)
//!
//! - **Persistence** (SAVE BGSAVE BGREWRITEAOF LASTSAVE; `CONFIG SET save`/`appendonly` other
//!   than `""`/`no`): the model keeps data in memory only.
//! - **Lua and functions** (EVAL EVALSHA SCRIPT FUNCTION FCALL): no interpreter.
//! - **Waits that could never end**: BLPOP/BRPOP with timeout 0 on empty lists (the console is
//!   the only client, so nobody could push; with a timeout the model lets that much simulated
//!   time pass and answers nil), and the other blocking commands (BLMOVE BRPOPLPUSH BZPOPMIN
//!   BZPOPMAX BLMPOP BZMPOP WAIT).
//! - **Other clients and servers**: pub/sub, MONITOR, replication, cluster, SHUTDOWN; CLIENT
//!   subcommands other than SETNAME/GETNAME, MEMORY other than USAGE, COMMAND other than COUNT.
//! - Settings the model runs at one value (`hz 10`, `maxmemory-clients 0`,
//!   `maxmemory-eviction-tenacity 10`) accept that value and refuse others with the reason.
//!
//! ## Where the model differs from Redis (on purpose)
//!
//! - **Time** is simulated and kept in microseconds; Redis keeps milliseconds. Unix times (for
//!   `EXPIREAT`/`PEXPIREAT`/`EXAT`/`PXAT`) are `epoch_ms` (see [`L2Config`]) plus the simulated
//!   clock. `DEBUG SLEEP s` moves the clock by `s` seconds (Redis blocks for that long).
//! - **Memory** is an estimate (below): `used_memory` counts only the data, not the server's
//!   baseline, so eviction starts at different points than in Redis.
//! - **LRU** idle times have millisecond resolution (Redis: seconds); the LFU counter and its decay
//!   are Redis's. Samples are drawn with replacement from a dense array with [`SimRng`]
//!   (Redis's `dictGetSomeKeys` walks hash buckets), at most [`MAX_SAMPLES`] per step.
//! - **Active expiry** repeats while more than 25 % of a sample had expired (Redis 7 lowered this
//!   to 10 %, with an effort knob); a cycle does at most [`MAX_EXPIRE_ROUNDS`] rounds, standing in
//!   for Redis's CPU-time limit, and a jump over many cycles runs only the last
//!   [`MAX_CYCLES_PER_ADVANCE`] of them.
//! - **Order** of `KEYS`, `SMEMBERS`, `SINTER`/`SUNION`/`SDIFF`, `HGETALL`/`HKEYS`/`HVALS`,
//!   `CONFIG GET` and the members `SPOP`/`SRANDMEMBER` pick differs (Redis: hash order; the
//!   model: sorted or array order). `SCAN`'s cursor is a position in a hash order of the model's own
//!   (with Redis's guarantee: a key present for the whole scan is returned), so cursor values and
//!   how keys split over calls differ; a scan to cursor 0 returns the same keys.
//! - `INFO` has only the sections `stats`, `memory` and `keyspace`, and of those only the fields
//!   named in `info.rs`; `avg_ttl` is exact rather than Redis's running estimate.
//! - Error texts for bytes that are not UTF-8 inside *error messages* (say, an unknown command
//!   named with such bytes) are shown lossily; values themselves are binary-safe.
//! - **Random picks** (SPOP, SRANDMEMBER, RANDOMKEY) come from the model's seeded generator:
//!   the same seed picks the same members on every run, unlike Redis.
//! - **Databases**: a model that never runs `SELECT` has one database, as before. After a
//!   `SELECT`, the active expiry cycle and eviction work on the selected database only (Redis
//!   visits all); keys in the others expire when looked up there.
//! - **Long doubles**: INCRBYFLOAT and HINCRBYFLOAT add in `f64` where Redis uses 80-bit long
//!   doubles, so results that need more than 53 bits differ in their last digits.
//! - **OBJECT and MEMORY**: see `command/introspect.rs` (encodings from the current value, idle
//!   time on the simulated clock, the memory estimate below rather than an allocator's count).
//! - **SETRANGE** builds strings of at most 64 MiB (Redis: 512 MiB), to keep the page responsive.
//! - Values and arguments longer than [`L2Config::max_value_len`] (default 512 MiB, Redis's
//!   `proto-max-bulk-len`) are refused with Redis's `string exceeds maximum allowed size` error.
//!
//! ## The memory estimate
//!
//! Redis measures its allocator; the model cannot, so it charges each key a fixed formula that
//! follows Redis's data structures (64-bit build):
//!
//! | part | bytes |
//! |---|---|
//! | every key: dict entry (24) + value object header (16) | 40 |
//! | the key name, an sds string | `sds(len)` |
//! | a TTL: an entry in the `expires` dict | 24 |
//! | a string value | `sds(len)` |
//! | a set member: dict entry + sds | `24 + sds(len)` |
//! | a hash field: dict entry + two sds | `24 + sds(field) + sds(value)` |
//! | a sorted-set member: dict entry + skiplist node + sds | `64 + sds(len)` |
//!
//! where `sds(n)` is `n` plus a header of 1, 3, 5 or 9 bytes (by length) plus the terminating
//! NUL, rounded up to 8 (the allocator's smallest size classes). `used_memory` is the sum over
//! all keys: unlike Redis it leaves out the server's own baseline (about 0.8 MB), so `maxmemory`
//! bounds the data alone. Collections are re-measured after each write command, in time linear
//! in their size; strings in constant time.

mod command;
mod console;
mod db;
mod evict;
mod expire;
mod fuzz;
mod info;
mod parse;
mod reply;
mod serve;
mod value;

pub use command::args::{format_double, format_long_double, glob_match, parse_i64};
pub use command::{command_help, command_names, commands, Command, CommandHelp, Group};
pub use console::{help_text, Console, KeyRow, LineOutput, MAX_REPEAT};
pub use evict::{MaxmemoryPolicy, MAX_SAMPLES};
pub use expire::{MAX_CYCLES_PER_ADVANCE, MAX_EXPIRE_ROUNDS};
pub use fuzz::fuzz_console;
pub use parse::{split_args, InvalidArguments};
pub use reply::Reply;
pub use value::{sds_size, Value};

use crate::sim::{SimDuration, SimRng, SimTime};
use db::{Db, Deadline, Entry};

/// Errors the typed API can return (the same conditions Redis reports as error replies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L2Error {
    /// The key holds a value of another type.
    WrongType,
    /// `maxmemory` is reached and the policy (or the lack of candidates) frees nothing.
    OutOfMemory,
    /// A value longer than [`L2Config::max_value_len`].
    ValueTooLarge,
}

impl std::fmt::Display for L2Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            L2Error::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            }
            L2Error::OutOfMemory => "OOM command not allowed when used memory > 'maxmemory'.",
            L2Error::ValueTooLarge => {
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
            }
        })
    }
}

impl std::error::Error for L2Error {}

impl From<L2Error> for Reply {
    fn from(e: L2Error) -> Reply {
        Reply::Error(e.to_string())
    }
}

/// Counters in the spirit of `INFO stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L2Stats {
    /// Reads that found their key.
    pub keyspace_hits: u64,
    /// Reads that did not.
    pub keyspace_misses: u64,
    /// Keys removed because their TTL passed (lazily on access, or by the active cycle).
    pub expired_keys: u64,
    /// Keys removed to stay under `maxmemory`.
    pub evicted_keys: u64,
    /// Of `expired_keys`, those the active cycle removed.
    pub expired_by_cycle: u64,
    /// Active expiry cycles run.
    pub expire_cycles: u64,
}

/// The model's settings. Start from `L2Config::default()` and change fields.
#[derive(Clone, Debug, PartialEq)]
pub struct L2Config {
    /// Bytes of data (see the memory estimate) above which writes evict; 0 means no limit.
    pub maxmemory: u64,
    /// What to evict.
    pub policy: MaxmemoryPolicy,
    /// Keys sampled per eviction step (Redis's `maxmemory-samples`, default 5).
    pub samples: u32,
    /// How slowly the LFU counter grows (Redis's `lfu-log-factor`, default 10).
    pub lfu_log_factor: u32,
    /// Minutes per LFU counter decrement (Redis's `lfu-decay-time`, default 1; 0 = never).
    pub lfu_decay_time: u32,
    /// Seed of the model's randomness (expiry sampling, eviction sampling, LFU increments).
    pub seed: u64,
    /// The Unix time in milliseconds that simulated time zero stands for (default
    /// 1,700,000,000,000: November 2023, so that `EXPIREAT` with a real timestamp means what it
    /// says; the differential test sets the real server's clock here).
    pub epoch_ms: u64,
    /// The longest value or argument accepted, in bytes.
    pub max_value_len: u64,
}

impl Default for L2Config {
    fn default() -> Self {
        L2Config {
            maxmemory: 0,
            policy: MaxmemoryPolicy::NoEviction,
            samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            seed: 0,
            epoch_ms: 1_700_000_000_000,
            max_value_len: 512 * 1024 * 1024,
        }
    }
}

/// How a command looks a key up (Redis's `lookupKeyRead` / `lookupKeyWrite` and flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookup {
    /// Counts a hit or miss and updates the key's LRU/LFU data.
    Read,
    /// Counts a hit or miss but leaves LRU/LFU alone (`TYPE`, `TTL`, `EXISTS`).
    ReadNoTouch,
    /// Does not count a hit or miss; updates LRU/LFU.
    Write,
}

/// Databases `SELECT` can choose from (Redis's default `databases 16`).
pub const DATABASES: usize = 16;

/// The connection's own state: Redis keeps it per client; the model has one client, the console.
#[derive(Debug, Default)]
struct Client {
    /// Commands queued since `MULTI`; `None` outside a transaction.
    queued: Option<Vec<command::Queued>>,
    /// A command was refused while queuing (unknown, wrong arity), so `EXEC` will abort.
    queue_failed: bool,
    /// `EXEC` is running its queue (blocking pops answer at once).
    executing: bool,
    /// Simulated time slept (DEBUG SLEEP) inside the running EXEC: Redis freezes the clock
    /// that decides expiry for the whole transaction, so the model lets it pass afterwards.
    slept_in_exec: SimDuration,
    /// `WATCH`ed keys: database, key, and whether it had already expired when watched.
    watched: Vec<(usize, Vec<u8>, bool)>,
    /// A watched key was changed, so `EXEC` will answer nil.
    dirty: bool,
    /// `CLIENT SETNAME`.
    name: Option<Vec<u8>>,
}

/// The Redis model.
#[derive(Debug)]
pub struct L2 {
    config: L2Config,
    now: SimTime,
    /// The selected database (`SELECT`); the others wait in `parked`.
    db: Db,
    /// The selected database's number.
    selected: usize,
    /// The other databases, by number (the selected one's place holds an empty stand-in). Empty
    /// until the first `SELECT`, so a model that never selects carries nothing extra.
    parked: Vec<Db>,
    client: Client,
    stats: L2Stats,
    used_memory: u64,
    expire: expire::ActiveExpiry,
    evict: evict::Evictor,
    /// Draws for the LFU counter's probabilistic increment.
    lfu_rng: SimRng,
    /// Draws for the commands that pick at random (SPOP, SRANDMEMBER, RANDOMKEY).
    command_rng: SimRng,
}

impl Default for L2 {
    fn default() -> Self {
        L2::with_config(L2Config::default())
    }
}

impl L2 {
    /// An empty database at time zero, with Redis's default settings (no memory limit).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty database with the given settings.
    ///
    /// ```
    /// use cachelab::tiers::l2::{L2, L2Config, MaxmemoryPolicy};
    /// let mut l2 = L2::with_config(L2Config {
    ///     maxmemory: 1_000,
    ///     policy: MaxmemoryPolicy::AllKeysLru,
    ///     ..L2Config::default()
    /// });
    /// for i in 0..100u32 {
    ///     l2.set(&i.to_be_bytes(), b"some value", None).unwrap();
    /// }
    /// // Each write first evicted keys to get back under the limit.
    /// assert!(l2.stats().evicted_keys > 80);
    /// assert!(l2.used_memory() <= 1_000 + 100);
    /// ```
    pub fn with_config(config: L2Config) -> Self {
        L2 {
            expire: expire::ActiveExpiry::new(SimRng::fork(config.seed, 1)),
            evict: evict::Evictor::new(SimRng::fork(config.seed, 2)),
            lfu_rng: SimRng::fork(config.seed, 3),
            command_rng: SimRng::fork(config.seed, 4),
            config,
            now: SimTime::ZERO,
            db: Db::default(),
            selected: 0,
            parked: Vec::new(),
            client: Client::default(),
            stats: L2Stats::default(),
            used_memory: 0,
        }
    }

    /// The settings in force (CONFIG SET changes them).
    pub fn config(&self) -> &L2Config {
        &self.config
    }

    /// The model's current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Moves the clock forward to `t` (never back), running the active expiry cycle at every
    /// 100 ms boundary passed on the way (Redis's `hz 10`).
    ///
    /// ```
    /// use cachelab::{sim::{SimTime, SimDuration}, tiers::L2};
    /// let mut l2 = L2::new();
    /// for i in 0..50u32 {
    ///     l2.set(&i.to_be_bytes(), b"v", Some(SimDuration::from_millis(50))).unwrap();
    /// }
    /// l2.advance_to(SimTime(1_000_000));
    /// // Nobody touched the keys, yet the background cycle removed them all.
    /// assert_eq!(l2.stats().expired_keys, 50);
    /// assert_eq!(l2.dbsize(), 0);
    /// ```
    pub fn advance_to(&mut self, t: SimTime) {
        expire::advance(self, t);
    }

    /// Number of keys, counting expired keys not yet removed (as Redis's `DBSIZE` does).
    pub fn dbsize(&self) -> u64 {
        self.db.len() as u64
    }

    /// Members of the set at `key` as an observer sees them, like [`L2::dbsize`]: no keyspace
    /// hit or miss counted, no access recorded, nothing expired (0 when no live set is there).
    /// A bench charts a set's size with it without changing the hit ratio the monitor reports.
    ///
    /// ```
    /// use cachelab::tiers::L2;
    /// let mut l2 = L2::new();
    /// l2.exec("SADD s a b").unwrap();
    /// assert_eq!((l2.set_len(b"s"), l2.set_len(b"none")), (2, 0));
    /// assert_eq!(l2.stats().keyspace_hits + l2.stats().keyspace_misses, 0);
    /// ```
    pub fn set_len(&self, key: &[u8]) -> u64 {
        match self.db.find(key) {
            Some(i) if !self.is_expired(i) => match &self.db.entry(i).value {
                Value::Set(members) => members.len() as u64,
                _ => 0,
            },
            _ => 0,
        }
    }

    /// The database `SELECT` chose (0 until then).
    pub fn selected_db(&self) -> usize {
        self.selected
    }

    /// True between `MULTI` and `EXEC`/`DISCARD` (redis-cli's `(TX)` prompt).
    pub fn in_transaction(&self) -> bool {
        self.client.queued.is_some()
    }

    /// The memory estimate of all keys, in bytes (see the module docs).
    pub fn used_memory(&self) -> u64 {
        self.used_memory
    }

    /// The counters so far.
    pub fn stats(&self) -> L2Stats {
        self.stats
    }

    /// Runs one command line, split as redis-cli splits it. An empty line runs nothing and gives
    /// `Ok(None)`.
    ///
    /// ```
    /// use cachelab::tiers::l2::{L2, Reply};
    /// let mut l2 = L2::new();
    /// assert_eq!(l2.exec("SET greeting 'hello world'"), Ok(Some(Reply::OK)));
    /// let reply = l2.exec("get greeting").unwrap().unwrap();
    /// assert_eq!(reply.to_cli_string(), "\"hello world\"");
    /// assert!(l2.exec("GET \"unclosed").is_err());
    /// ```
    pub fn exec(&mut self, line: &str) -> Result<Option<Reply>, InvalidArguments> {
        let args = split_args(line.as_bytes())?;
        Ok((!args.is_empty()).then(|| self.exec_args(&args)))
    }

    /// Runs one command given as arguments (the command name first).
    pub fn exec_args(&mut self, args: &[Vec<u8>]) -> Reply {
        command::dispatch(self, args)
    }

    /// Runs `command` (one of [`commands`]) with `args` (its name first), exactly as
    /// [`L2::exec_args`] would, without looking the name up: a caller that names its commands
    /// links only those, not the whole table.
    ///
    /// ```
    /// use cachelab::tiers::l2::{commands, Reply, L2};
    /// let mut l2 = L2::new();
    /// l2.exec("SET k v").unwrap();
    /// let args = [b"EXISTS".to_vec(), b"k".to_vec()];
    /// assert_eq!(l2.exec_command(&commands::EXISTS, &args), Reply::Int(1));
    /// assert_eq!(l2.exec_command(&commands::EXISTS, &args[..1]), l2.exec_args(&args[..1]));
    /// ```
    pub fn exec_command(&mut self, command: &'static Command, args: &[Vec<u8>]) -> Reply {
        command::dispatch_to(self, command, args)
    }

    // ----- the keyspace lookups every command shares -----

    /// The current Unix time in milliseconds, as Redis's `mstime()` would read it.
    fn unix_ms(&self) -> i64 {
        (self.config.epoch_ms as i64).saturating_add(self.now.as_millis() as i64)
    }

    /// A Unix time in milliseconds as a deadline on the simulated timeline.
    fn deadline_of_unix_ms(&self, unix_ms: i64) -> Deadline {
        Deadline::from_us((unix_ms as i128 - self.config.epoch_ms as i128) * 1_000)
    }

    /// A deadline as a Unix time in milliseconds.
    fn unix_ms_of_deadline(&self, deadline: Deadline) -> i64 {
        (self.config.epoch_ms as i64).saturating_add(deadline.as_ms())
    }

    /// Microseconds from now until `deadline`, at least zero.
    fn remaining_us(&self, deadline: Deadline) -> u64 {
        (deadline.as_us() - self.now.as_micros() as i128).clamp(0, u64::MAX as i128) as u64
    }

    /// The deadline `ttl` from now.
    fn deadline_after(&self, ttl: SimDuration) -> Deadline {
        Deadline::from_us((self.now + ttl).as_micros() as i128)
    }

    /// True when slot `i`'s TTL has passed.
    fn is_expired(&self, i: usize) -> bool {
        self.passed(self.db.entry(i))
    }

    /// Whether `key` holds a value that has not expired, without touching it: no lazy expiry, no
    /// hit or miss counted (an observer's look, not a command).
    pub fn is_live(&self, key: &[u8]) -> bool {
        self.db.find(key).is_some_and(|i| !self.is_expired(i))
    }

    /// The slot of `key`, after removing it if its TTL has passed (lazy expiry).
    fn live_slot(&mut self, key: &[u8]) -> Option<usize> {
        let i = self.db.find(key)?;
        if self.is_expired(i) {
            self.delete_slot(i);
            self.stats.expired_keys += 1;
            return None;
        }
        Some(i)
    }

    /// Database `n`, if it exists and holds anything (the selected one always exists).
    fn db_at(&self, n: usize) -> Option<&Db> {
        if n == self.selected {
            Some(&self.db)
        } else {
            self.parked.get(n)
        }
    }

    /// True once the clock is strictly past `entry`'s TTL (the instant itself still counts as
    /// alive, as in Redis, whose check is `now > when`).
    fn passed(&self, entry: &Entry) -> bool {
        entry
            .expires_at
            .is_some_and(|t| self.now.as_micros() as i128 > t.as_us())
    }

    /// True if `key` is in database `db` with a TTL that has passed (not yet removed).
    fn key_expired_in(&self, db: usize, key: &[u8]) -> bool {
        self.db_at(db)
            .and_then(|d| d.find(key).map(|i| self.passed(d.entry(i))))
            .unwrap_or(false)
    }

    /// Makes database `n` (below [`DATABASES`]) the selected one. The eviction pool is cleared:
    /// its candidates name keys of the database it sampled.
    fn select_db(&mut self, n: usize) {
        if n == self.selected {
            return;
        }
        if self.parked.is_empty() {
            self.parked.resize_with(DATABASES, Db::default);
        }
        std::mem::swap(&mut self.db, &mut self.parked[self.selected]);
        std::mem::swap(&mut self.db, &mut self.parked[n]);
        self.selected = n;
        self.evict.clear_pool();
    }

    /// Empties the selected database, releasing its memory; watched keys it held count as
    /// changed (Redis's `touchAllWatchedKeysInDb`).
    fn flush_selected(&mut self) {
        let db = self.selected;
        let touched = self
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && self.db.find(k).is_some());
        self.client.dirty |= touched;
        let freed: u64 = self.db.slots().map(|i| self.db.entry(i).memory).sum();
        self.used_memory = self.used_memory.saturating_sub(freed);
        self.db.clear();
        self.evict.clear_pool();
    }

    /// Looks `key` up for a command, with Redis's statistics and access tracking.
    fn lookup(&mut self, key: &[u8], how: Lookup) -> Option<usize> {
        let found = self.live_slot(key);
        if how != Lookup::Write {
            match found {
                Some(_) => self.stats.keyspace_hits += 1,
                None => self.stats.keyspace_misses += 1,
            }
        }
        if let (Some(i), false) = (found, how == Lookup::ReadNoTouch) {
            self.touch(i);
        }
        found
    }

    /// Records an access: the LRU clock, or the LFU counter under an LFU policy.
    fn touch(&mut self, i: usize) {
        let now_ms = self.now.as_millis();
        if self.config.policy.is_lfu() {
            let minute = now_ms / 60_000;
            let counter = evict::lfu_decayed(self.db.entry(i), minute, self.config.lfu_decay_time);
            let counter =
                evict::lfu_log_incr(counter, self.config.lfu_log_factor, &mut self.lfu_rng);
            let e = self.db.entry_mut(i);
            e.lfu_counter = counter;
            e.lfu_minute = minute;
        } else {
            self.db.entry_mut(i).lru_ms = now_ms;
        }
    }

    /// Lets `d` of simulated time pass, as a blocking command does (after the transaction, if
    /// inside EXEC).
    fn sleep(&mut self, d: SimDuration) {
        if self.client.executing {
            self.client.slept_in_exec = self.client.slept_in_exec + d;
        } else {
            self.advance_to(self.now + d);
        }
    }

    /// Notes that `key` of the selected database changed (Redis's `signalModifiedKey`): a
    /// transaction watching it will not run. Free when nothing is watched.
    /// A key that had already expired when watched and is now gone changed nothing (Redis
    /// 7.0's `touchWatchedKey`): its mark is cleared instead.
    fn signal_modified(&mut self, key: &[u8]) {
        let (db, exists) = (self.selected, self.db.find(key).is_some());
        let mut dirty = false;
        for (d, k, expired_when_watched) in &mut self.client.watched {
            if *d != db || k.as_slice() != key {
                continue;
            }
            if *expired_when_watched && !exists {
                *expired_when_watched = false;
            } else {
                dirty = true;
            }
        }
        self.client.dirty |= dirty;
    }

    /// Removes slot `i` and its memory.
    fn delete_slot(&mut self, i: usize) {
        let (key, entry) = self.db.remove(i);
        if !self.client.watched.is_empty() {
            self.signal_modified(&key);
        }
        self.used_memory = self.used_memory.saturating_sub(entry.memory);
    }

    /// Deletes `key` if it is live; true if it was.
    fn delete_key(&mut self, key: &[u8]) -> bool {
        match self.live_slot(key) {
            Some(i) => {
                self.delete_slot(i);
                true
            }
            None => false,
        }
    }

    /// Re-measures slot `i` after a change and updates `used_memory`.
    fn remeasure(&mut self, i: usize) {
        let e = self.db.entry(i);
        let now = value::key_memory(self.db.key(i), &e.value, e.expires_at.is_some());
        let before = e.memory;
        self.db.entry_mut(i).memory = now;
        self.used_memory = self.used_memory.saturating_sub(before) + now;
    }

    /// Stores `value` under `key` (Redis's `setKey`): replaces any value, and drops the TTL unless
    /// `keep_ttl`. Returns the slot.
    fn store(&mut self, key: &[u8], value: Value, keep_ttl: bool) -> usize {
        let i = match self.live_slot(key) {
            Some(i) => {
                self.db.entry_mut(i).value = value;
                if !keep_ttl {
                    self.db.set_expiry(i, None);
                }
                i
            }
            None => self.db.insert(
                key,
                Entry {
                    value,
                    expires_at: None,
                    lru_ms: self.now.as_millis(),
                    lfu_counter: evict::LFU_INIT_VAL,
                    lfu_minute: self.now.as_millis() / 60_000,
                    memory: 0,
                },
            ),
        };
        self.remeasure(i);
        if !self.client.watched.is_empty() {
            self.signal_modified(key);
        }
        i
    }

    /// Sets or clears slot `i`'s TTL.
    fn set_expiry(&mut self, i: usize, at: Option<Deadline>) {
        self.db.set_expiry(i, at);
        self.remeasure(i);
        if !self.client.watched.is_empty() {
            let key = self.db.key(i).to_vec();
            self.signal_modified(&key);
        }
    }

    /// Evicts if over `maxmemory` (Redis does this before every command).
    fn make_room(&mut self) -> Result<(), L2Error> {
        if self.config.maxmemory == 0 || self.used_memory <= self.config.maxmemory {
            return Ok(());
        }
        evict::perform_evictions(self)
    }

    fn check_len(&self, value: &[u8]) -> Result<(), L2Error> {
        if value.len() as u64 > self.config.max_value_len {
            return Err(L2Error::ValueTooLarge);
        }
        Ok(())
    }

    // ----- the typed API -----

    /// `GET key`: the string under `key`, counting a keyspace hit or miss.
    ///
    /// ```
    /// use cachelab::{sim::{SimTime, SimDuration}, tiers::L2};
    /// let mut l2 = L2::new();
    /// l2.set(b"k", b"v", Some(SimDuration::from_secs(1))).unwrap();
    /// assert_eq!(l2.get(b"k").unwrap(), Some(b"v".to_vec()));
    /// l2.advance_to(SimTime(1_000_000));                 // exactly at the deadline: still there
    /// assert_eq!(l2.get(b"k").unwrap(), Some(b"v".to_vec()));
    /// l2.advance_to(SimTime(1_000_001));
    /// assert_eq!(l2.get(b"k").unwrap(), None);          // expired on access
    /// assert_eq!(l2.stats().expired_keys, 1);
    /// ```
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, L2Error> {
        self.make_room().ok();
        match self.lookup(key, Lookup::Read) {
            None => Ok(None),
            Some(i) => match &self.db.entry(i).value {
                Value::Str(v) => Ok(Some(v.clone())),
                _ => Err(L2Error::WrongType),
            },
        }
    }

    /// `SET key value [PX ttl]`: stores a string, replacing any value and TTL. Under `maxmemory`
    /// it first evicts; with nothing to evict it fails with [`L2Error::OutOfMemory`].
    pub fn set(
        &mut self,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
    ) -> Result<(), L2Error> {
        self.check_len(value)?;
        self.make_room()?;
        let i = self.store(key, Value::Str(value.to_vec()), false);
        if let Some(ttl) = ttl {
            self.set_expiry(i, Some(self.deadline_after(ttl)));
        }
        Ok(())
    }

    /// `SET key value NX [PX ttl]`: stores only if the key is absent; true if it stored.
    pub fn set_nx(
        &mut self,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
    ) -> Result<bool, L2Error> {
        self.check_len(value)?;
        self.make_room()?;
        if self.live_slot(key).is_some() {
            return Ok(false);
        }
        self.set(key, value, ttl)?;
        Ok(true)
    }

    /// `DEL key`: true if a (live) key was removed.
    pub fn del(&mut self, key: &[u8]) -> bool {
        self.delete_key(key)
    }

    /// `PEXPIRE key ttl`: gives a live key a TTL; false if there is no such key.
    pub fn expire(&mut self, key: &[u8], ttl: SimDuration) -> bool {
        match self.live_slot(key) {
            Some(i) => {
                self.set_expiry(i, Some(self.deadline_after(ttl)));
                true
            }
            None => false,
        }
    }

    /// `PTTL key` as a duration: `None` if the key is missing or has no TTL.
    pub fn ttl(&mut self, key: &[u8]) -> Option<SimDuration> {
        let i = self.live_slot(key)?;
        self.db
            .entry(i)
            .expires_at
            .map(|t| SimDuration(self.remaining_us(t)))
    }

    /// `INCRBY key by`: the new value.
    pub fn incr_by(&mut self, key: &[u8], by: i64) -> Result<i64, Reply> {
        command::string::incr_by(self, key, by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_value_and_drops_ttl() {
        let mut l2 = L2::new();
        l2.set(b"k", b"a", Some(SimDuration::from_secs(1))).unwrap();
        l2.set(b"k", b"bb", None).unwrap();
        assert_eq!(l2.ttl(b"k"), None);
        assert_eq!(l2.get(b"k").unwrap(), Some(b"bb".to_vec()));
        assert_eq!(l2.dbsize(), 1);
    }

    #[test]
    fn memory_follows_writes_and_deletes() {
        let mut l2 = L2::new();
        l2.set(b"key", b"value", None).unwrap();
        let one = value::key_memory(b"key", &Value::Str(b"value".to_vec()), false);
        assert_eq!(l2.used_memory(), one);
        l2.expire(b"key", SimDuration::from_secs(5));
        assert_eq!(l2.used_memory(), one + value::TTL_OVERHEAD);
        assert!(l2.del(b"key"));
        assert_eq!(l2.used_memory(), 0);
    }

    #[test]
    fn too_large_values_are_refused() {
        let mut l2 = L2::with_config(L2Config {
            max_value_len: 4,
            ..L2Config::default()
        });
        assert_eq!(l2.set(b"k", b"12345", None), Err(L2Error::ValueTooLarge));
        assert_eq!(l2.set(b"k", b"1234", None), Ok(()));
    }

    #[test]
    fn set_nx_respects_live_and_expired_keys() {
        let mut l2 = L2::new();
        assert!(l2
            .set_nx(b"k", b"1", Some(SimDuration::from_millis(10)))
            .unwrap());
        assert!(!l2.set_nx(b"k", b"2", None).unwrap());
        l2.advance_to(SimTime(10_001));
        assert!(l2.set_nx(b"k", b"3", None).unwrap());
        assert_eq!(l2.get(b"k").unwrap(), Some(b"3".to_vec()));
    }
}
