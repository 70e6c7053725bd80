//! The command table and the dispatcher: one function per command, grouped by family.
//!
//! Dispatch follows Redis's `processCommand`: an unknown name, then a wrong argument count, are
//! refused before anything runs; then, with `maxmemory` set, the model evicts, and if it cannot
//! get under the limit it refuses the commands that may grow memory (Redis's `denyoom` flag).

pub mod args;
mod hash;
mod introspect;
pub(super) mod keyspace;
mod list;
mod server;
mod set;
pub mod string;
mod tx;
mod zset;

use super::{L2Error, Reply, L2};

/// A command's implementation: `args[0]` is the command name.
type Run = fn(&mut L2, &[Vec<u8>]) -> Reply;

/// The families `HELP` groups commands by (Redis's command groups).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// GET, SET, INCR, ...
    String,
    /// Commands on any key: DEL, EXPIRE, SCAN, ...
    Keyspace,
    /// LPUSH, RPOP, ...
    List,
    /// SADD, SMEMBERS, ...
    Set,
    /// HSET, HGET, ...
    Hash,
    /// ZADD, ZRANGE, ...
    SortedSet,
    /// MULTI, EXEC, WATCH, ...
    Transactions,
    /// PING, SELECT, CLIENT, ...
    Connection,
    /// INFO, CONFIG, DEBUG, ...
    Server,
}

impl Group {
    /// Every group, in `HELP`'s order.
    pub const ALL: [Group; 9] = [
        Group::String,
        Group::Keyspace,
        Group::List,
        Group::Set,
        Group::Hash,
        Group::SortedSet,
        Group::Transactions,
        Group::Connection,
        Group::Server,
    ];

    /// The group's name as redis-cli's `help @group` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Group::String => "string",
            Group::Keyspace => "generic",
            Group::List => "list",
            Group::Set => "set",
            Group::Hash => "hash",
            Group::SortedSet => "sorted-set",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
        }
    }
}

/// One row of the command table: a command's name, checks and implementation. Each command is
/// an item of its own in [`commands`](crate::tiers::l2::commands); run one with
/// [`L2::exec_command`](crate::tiers::L2::exec_command).
pub struct Command {
    /// Lower-case name, as error messages show it.
    name: &'static str,
    /// Redis's arity: `n` means exactly `n` arguments (name included), `-n` at least `n`.
    arity: i32,
    /// May grow memory, so refused when `maxmemory` cannot be honoured.
    deny_oom: bool,
    /// What it does inside MULTI.
    in_multi: InMulti,
    run: Run,
    group: Group,
    /// The arguments, in Redis's documentation syntax.
    syntax: &'static str,
    /// One line on what it does (in the model).
    summary: &'static str,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// What a command does after MULTI (Redis's `processCommand` special-cases these by name; a
/// field, so that the check links no other command).
#[derive(Clone, Copy, PartialEq, Eq)]
enum InMulti {
    /// Queued with the reply QUEUED (every data command).
    Queue,
    /// Runs at once (MULTI and WATCH, which then refuse themselves).
    Run,
    /// EXEC: runs the queue; may grow memory only if a queued command may.
    Exec,
    /// DISCARD: drops the queue; never refused for memory.
    Discard,
}

/// The command items and [`COMMANDS`], the table of them that only the name lookup (the
/// console's path) uses: a caller naming an item links that command and no other.
macro_rules! command_table {
    ($($item:ident = $row:expr;)*) => {
        /// One item per command of the model, named after it: pass one to
        /// [`L2::exec_command`](crate::tiers::L2::exec_command).
        pub mod commands {
            use super::*;
            $(
                #[doc = concat!("`", stringify!($item), "`.")]
                pub static $item: Command = $row;
            )*
        }
        /// Every command, in `HELP`'s order.
        static COMMANDS: &[&Command] = &[$(&commands::$item),*];
    };
}

// Every command the model knows, with Redis 7.0's arities: one item per command, so that a
// caller that names its commands (the strategies' typed path) links only those.
command_table! {
    PING = cmd("ping", -1, false, server::ping, Group::Connection, "[message]", "Answers PONG, or the message");
    ECHO = cmd("echo", 2, false, server::echo, Group::Connection, "message", "Answers the message");
    SELECT = cmd("select", 2, false, server::select, Group::Connection, "index", "Switches to database 0-15 (the prompt shows [index])");
    CLIENT = cmd("client", -2, false, server::client, Group::Connection, "SETNAME name | GETNAME", "Names this connection, or reads the name back");
    INFO = cmd("info", -1, false, server::info, Group::Server, "[section ...]", "The memory, stats and keyspace sections");
    CONFIG = cmd("config", -2, false, server::config, Group::Server, "GET pattern ... | SET name value ... | RESETSTAT", "Reads or changes the eviction settings; RESETSTAT zeroes INFO stats");
    DEBUG = cmd("debug", -2, false, server::debug, Group::Server, "SLEEP seconds", "Lets simulated time pass (real Redis blocks the whole server, and 7.0 disables DEBUG unless enable-debug-command is set)");
    TIME = cmd("time", 1, false, server::time, Group::Server, "", "The simulated clock as Unix seconds and microseconds");
    COMMAND = cmd("command", -1, false, server::command, Group::Server, "COUNT", "How many commands the playground knows");
    DBSIZE = cmd("dbsize", 1, false, keyspace::dbsize, Group::Server, "", "Keys in the selected database (expired ones not yet removed included)");
    FLUSHDB = cmd("flushdb", -1, false, keyspace::flush, Group::Server, "[ASYNC|SYNC]", "Deletes every key of the selected database");
    FLUSHALL = cmd("flushall", -1, false, keyspace::flush_all, Group::Server, "[ASYNC|SYNC]", "Deletes every key of every database");
    GET = cmd("get", 2, false, string::get, Group::String, "key", "The string under key, or nil");
    SET = cmd("set", -3, true, string::set, Group::String, "key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]", "Stores a string, with options for a TTL and conditions");
    SETNX = cmd("setnx", 3, true, string::setnx, Group::String, "key value", "Stores only if the key is absent");
    SETEX = cmd("setex", 4, true, string::setex, Group::String, "key seconds value", "Stores with a TTL in seconds");
    PSETEX = cmd("psetex", 4, true, string::psetex, Group::String, "key milliseconds value", "Stores with a TTL in milliseconds");
    GETDEL = cmd("getdel", 2, false, string::getdel, Group::String, "key", "Reads and deletes");
    GETEX = cmd("getex", -2, false, string::getex, Group::String, "key [EX s|PX ms|EXAT t|PXAT t|PERSIST]", "Reads and changes the TTL");
    MGET = cmd("mget", -2, false, string::mget, Group::String, "key [key ...]", "Several GETs in one round trip");
    MSET = cmd("mset", -3, true, string::mset, Group::String, "key value [key value ...]", "Several SETs in one round trip");
    INCR = cmd("incr", 2, true, string::incr, Group::String, "key", "Adds 1 to an integer string");
    DECR = cmd("decr", 2, true, string::decr, Group::String, "key", "Subtracts 1");
    INCRBY = cmd("incrby", 3, true, string::incrby, Group::String, "key increment", "Adds an integer");
    DECRBY = cmd("decrby", 3, true, string::decrby, Group::String, "key decrement", "Subtracts an integer");
    APPEND = cmd("append", 3, true, string::append, Group::String, "key value", "Appends to a string");
    STRLEN = cmd("strlen", 2, false, string::strlen, Group::String, "key", "Length of a string");
    GETSET = cmd("getset", 3, true, string::getset, Group::String, "key value", "Stores and answers the old value");
    MSETNX = cmd("msetnx", -3, true, string::msetnx, Group::String, "key value [key value ...]", "Sets all only if none exists");
    INCRBYFLOAT = cmd("incrbyfloat", 3, true, string::incrbyfloat, Group::String, "key increment", "Adds a float (the model computes in 64-bit floats, Redis in long double)");
    GETRANGE = cmd("getrange", 4, false, string::getrange, Group::String, "key start end", "A substring by byte positions");
    SETRANGE = cmd("setrange", 4, true, string::setrange, Group::String, "key offset value", "Overwrites part of a string");
    DEL = cmd("del", -2, false, keyspace::del, Group::Keyspace, "key [key ...]", "Deletes keys");
    UNLINK = cmd("unlink", -2, false, keyspace::del, Group::Keyspace, "key [key ...]", "Deletes keys (Redis frees them in the background)");
    EXISTS = cmd("exists", -2, false, keyspace::exists, Group::Keyspace, "key [key ...]", "How many of the keys exist");
    EXPIRE = cmd("expire", -3, false, keyspace::expire, Group::Keyspace, "key seconds [NX|XX|GT|LT]", "Sets a TTL in seconds");
    PEXPIRE = cmd("pexpire", -3, false, keyspace::pexpire, Group::Keyspace, "key milliseconds [NX|XX|GT|LT]", "Sets a TTL in milliseconds");
    EXPIREAT = cmd("expireat", -3, false, keyspace::expireat, Group::Keyspace, "key unix-seconds [NX|XX|GT|LT]", "Sets an expiry time");
    PEXPIREAT = cmd("pexpireat", -3, false, keyspace::pexpireat, Group::Keyspace, "key unix-milliseconds [NX|XX|GT|LT]", "Sets an expiry time in milliseconds");
    TTL = cmd("ttl", 2, false, keyspace::ttl, Group::Keyspace, "key", "Seconds left (-1 no TTL, -2 no key)");
    PTTL = cmd("pttl", 2, false, keyspace::pttl, Group::Keyspace, "key", "Milliseconds left");
    PERSIST = cmd("persist", 2, false, keyspace::persist, Group::Keyspace, "key", "Removes the TTL");
    TYPE = cmd("type", 2, false, keyspace::type_of, Group::Keyspace, "key", "The value's type");
    KEYS = cmd("keys", 2, false, keyspace::keys, Group::Keyspace, "pattern", "Every key matching a glob pattern (blocks real Redis on big databases: prefer SCAN)");
    SCAN = cmd("scan", -2, false, keyspace::scan, Group::Keyspace, "cursor [MATCH pattern] [COUNT n] [TYPE type]", "Walks the keyspace a few keys per call");
    EXPIRETIME = cmd("expiretime", 2, false, keyspace::expiretime, Group::Keyspace, "key", "The expiry as Unix seconds (-1 no TTL, -2 no key)");
    PEXPIRETIME = cmd("pexpiretime", 2, false, keyspace::pexpiretime, Group::Keyspace, "key", "The expiry as Unix milliseconds");
    RENAME = cmd("rename", 3, false, keyspace::rename, Group::Keyspace, "key newkey", "Renames a key, keeping its TTL");
    RENAMENX = cmd("renamenx", 3, false, keyspace::renamenx, Group::Keyspace, "key newkey", "Renames only if newkey is absent");
    COPY = cmd("copy", -3, true, keyspace::copy, Group::Keyspace, "source destination [DB index] [REPLACE]", "Copies a value (and its TTL)");
    RANDOMKEY = cmd("randomkey", 1, false, keyspace::randomkey, Group::Keyspace, "", "A random key (from the model's seeded generator)");
    TOUCH = cmd("touch", -2, false, keyspace::touch, Group::Keyspace, "key [key ...]", "Counts existing keys, marking them as used");
    OBJECT = cmd("object", -2, false, introspect::object, Group::Keyspace, "ENCODING|FREQ|IDLETIME key", "How a key is stored, its LFU counter, its seconds since last use");
    MEMORY = cmd("memory", -2, false, introspect::memory, Group::Server, "USAGE key", "The model's memory estimate for one key, in bytes");
    LPUSH = cmd("lpush", -3, true, list::lpush, Group::List, "key element [element ...]", "Pushes onto the head of a list");
    RPUSH = cmd("rpush", -3, true, list::rpush, Group::List, "key element [element ...]", "Pushes onto the tail");
    LPUSHX = cmd("lpushx", -3, true, list::lpushx, Group::List, "key element [element ...]", "Pushes onto the head of an existing list only");
    RPUSHX = cmd("rpushx", -3, true, list::rpushx, Group::List, "key element [element ...]", "Pushes onto the tail of an existing list only");
    LPOP = cmd("lpop", -2, false, list::lpop, Group::List, "key [count]", "Pops from the head");
    RPOP = cmd("rpop", -2, false, list::rpop, Group::List, "key [count]", "Pops from the tail (with LPUSH: a queue)");
    LLEN = cmd("llen", 2, false, list::llen, Group::List, "key", "Length of a list");
    LRANGE = cmd("lrange", 4, false, list::lrange, Group::List, "key start stop", "Elements by position (0 -1: all)");
    LINDEX = cmd("lindex", 3, false, list::lindex, Group::List, "key index", "One element by position");
    LSET = cmd("lset", 4, true, list::lset, Group::List, "key index element", "Replaces one element");
    LINSERT = cmd("linsert", 5, true, list::linsert, Group::List, "key BEFORE|AFTER pivot element", "Inserts next to the first pivot");
    LREM = cmd("lrem", 4, false, list::lrem, Group::List, "key count element", "Removes matching elements");
    LTRIM = cmd("ltrim", 4, false, list::ltrim, Group::List, "key start stop", "Keeps only a range (a capped list)");
    RPOPLPUSH = cmd("rpoplpush", 3, true, list::rpoplpush, Group::List, "source destination", "Moves the tail of one list to the head of another");
    LMOVE = cmd("lmove", 5, true, list::lmove, Group::List, "source destination LEFT|RIGHT LEFT|RIGHT", "Moves an element between lists (a reliable queue)");
    BLPOP = cmd("blpop", -3, false, list::blpop, Group::List, "key [key ...] timeout", "Pops from the first non-empty list; an empty wait lets the timeout pass in simulated time");
    BRPOP = cmd("brpop", -3, false, list::brpop, Group::List, "key [key ...] timeout", "BLPOP from the tail");
    SADD = cmd("sadd", -3, true, set::sadd, Group::Set, "key member [member ...]", "Adds members");
    SREM = cmd("srem", -3, false, set::srem, Group::Set, "key member [member ...]", "Removes members");
    SMEMBERS = cmd("smembers", 2, false, set::smembers, Group::Set, "key", "Every member");
    SISMEMBER = cmd("sismember", 3, false, set::sismember, Group::Set, "key member", "1 if a member");
    SCARD = cmd("scard", 2, false, set::scard, Group::Set, "key", "Number of members");
    SPOP = cmd("spop", -2, false, set::spop, Group::Set, "key [count]", "Removes and answers random members (seeded)");
    SRANDMEMBER = cmd("srandmember", -2, false, set::srandmember, Group::Set, "key [count]", "Random members without removing them (seeded; a negative count may repeat)");
    SMOVE = cmd("smove", 4, false, set::smove, Group::Set, "source destination member", "Moves a member between sets");
    SINTER = cmd("sinter", -2, false, set::sinter, Group::Set, "key [key ...]", "Members in every set");
    SUNION = cmd("sunion", -2, false, set::sunion, Group::Set, "key [key ...]", "Members in any set");
    SDIFF = cmd("sdiff", -2, false, set::sdiff, Group::Set, "key [key ...]", "Members of the first set in none of the others");
    HSET = cmd("hset", -4, true, hash::hset, Group::Hash, "key field value [field value ...]", "Sets fields");
    HGET = cmd("hget", 3, false, hash::hget, Group::Hash, "key field", "One field");
    HDEL = cmd("hdel", -3, false, hash::hdel, Group::Hash, "key field [field ...]", "Removes fields");
    HGETALL = cmd("hgetall", 2, false, hash::hgetall, Group::Hash, "key", "Every field and value");
    HINCRBY = cmd("hincrby", 4, true, hash::hincrby, Group::Hash, "key field increment", "Adds an integer to a field");
    HINCRBYFLOAT = cmd("hincrbyfloat", 4, true, hash::hincrbyfloat, Group::Hash, "key field increment", "Adds a float to a field");
    HMSET = cmd("hmset", -4, true, hash::hmset, Group::Hash, "key field value [field value ...]", "HSET answering OK (the older name)");
    HSETNX = cmd("hsetnx", 4, true, hash::hsetnx, Group::Hash, "key field value", "Sets a field only if it is absent");
    HMGET = cmd("hmget", -3, false, hash::hmget, Group::Hash, "key field [field ...]", "Several fields");
    HEXISTS = cmd("hexists", 3, false, hash::hexists, Group::Hash, "key field", "1 if the field exists");
    HLEN = cmd("hlen", 2, false, hash::hlen, Group::Hash, "key", "Number of fields");
    HSTRLEN = cmd("hstrlen", 3, false, hash::hstrlen, Group::Hash, "key field", "Length of a field's value");
    HKEYS = cmd("hkeys", 2, false, hash::hkeys, Group::Hash, "key", "Every field");
    HVALS = cmd("hvals", 2, false, hash::hvals, Group::Hash, "key", "Every value");
    ZADD = cmd("zadd", -4, true, zset::zadd, Group::SortedSet, "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]", "Adds members with scores");
    ZREM = cmd("zrem", -3, false, zset::zrem, Group::SortedSet, "key member [member ...]", "Removes members");
    ZCARD = cmd("zcard", 2, false, zset::zcard, Group::SortedSet, "key", "Number of members");
    ZCOUNT = cmd("zcount", 4, false, zset::zcount, Group::SortedSet, "key min max", "Members with a score in the range");
    ZRANGEBYSCORE = cmd("zrangebyscore", -4, false, zset::zrangebyscore, Group::SortedSet, "key min max [WITHSCORES] [LIMIT offset count]", "Members by score");
    ZREMRANGEBYSCORE = cmd("zremrangebyscore", 4, false, zset::zremrangebyscore, Group::SortedSet, "key min max", "Removes members by score");
    ZREVRANGEBYSCORE = cmd("zrevrangebyscore", -4, false, zset::zrevrangebyscore, Group::SortedSet, "key max min [WITHSCORES] [LIMIT offset count]", "Members by score, highest first");
    ZRANGE = cmd("zrange", -4, false, zset::zrange, Group::SortedSet, "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", "Members by rank, score or name (a leaderboard's top N: 0 9 REV)");
    ZREVRANGE = cmd("zrevrange", -4, false, zset::zrevrange, Group::SortedSet, "key start stop [WITHSCORES]", "Members by rank, highest first");
    ZSCORE = cmd("zscore", 3, false, zset::zscore, Group::SortedSet, "key member", "One member's score");
    ZRANK = cmd("zrank", 3, false, zset::zrank, Group::SortedSet, "key member", "Position by ascending score");
    ZREVRANK = cmd("zrevrank", 3, false, zset::zrevrank, Group::SortedSet, "key member", "Position by descending score");
    ZINCRBY = cmd("zincrby", 4, true, zset::zincrby, Group::SortedSet, "key increment member", "Adds to a member's score");
    ZPOPMIN = cmd("zpopmin", -2, false, zset::zpopmin, Group::SortedSet, "key [count]", "Removes and answers the lowest-scored members");
    ZPOPMAX = cmd("zpopmax", -2, false, zset::zpopmax, Group::SortedSet, "key [count]", "Removes and answers the highest-scored members");
    MULTI = cmd("multi", 1, false, tx::multi, Group::Transactions, "", "Starts a transaction: later commands are QUEUED").in_multi(InMulti::Run);
    EXEC = cmd("exec", 1, false, tx::exec, Group::Transactions, "", "Runs the queued commands, or nil if a WATCHed key changed").in_multi(InMulti::Exec);
    DISCARD = cmd("discard", 1, false, tx::discard, Group::Transactions, "", "Drops the queued commands").in_multi(InMulti::Discard);
    WATCH = cmd("watch", -2, false, tx::watch, Group::Transactions, "key [key ...]", "EXEC will run only if these keys stay unchanged").in_multi(InMulti::Run);
    UNWATCH = cmd("unwatch", 1, false, tx::unwatch, Group::Transactions, "", "Forgets the WATCHed keys");
}

/// A table row (a function so that the table stays one line per command).
#[allow(clippy::too_many_arguments)]
const fn cmd(
    name: &'static str,
    arity: i32,
    deny_oom: bool,
    run: Run,
    group: Group,
    syntax: &'static str,
    summary: &'static str,
) -> Command {
    Command {
        name,
        arity,
        deny_oom,
        in_multi: InMulti::Queue,
        run,
        group,
        syntax,
        summary,
    }
}

impl Command {
    /// The row with another behaviour inside MULTI.
    const fn in_multi(self, in_multi: InMulti) -> Command {
        Command { in_multi, ..self }
    }
}

/// The names of every command the model implements, lower-case.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

/// What `HELP` shows of one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandHelp {
    /// Lower-case name.
    pub name: &'static str,
    /// Its family.
    pub group: Group,
    /// Its arguments.
    pub syntax: &'static str,
    /// What it does in the model.
    pub summary: &'static str,
}

/// The help of every command, in table order.
pub fn command_help() -> impl Iterator<Item = CommandHelp> {
    COMMANDS.iter().map(|c| CommandHelp {
        name: c.name,
        group: c.group,
        syntax: c.syntax,
        summary: c.summary,
    })
}

/// `ERR wrong number of arguments for '<name>' command`.
pub fn arity_error(name: &str) -> Reply {
    Reply::err(format!("wrong number of arguments for '{name}' command"))
}

/// True if `n` arguments satisfy Redis's `arity`.
pub fn arity_ok(arity: i32, n: usize) -> bool {
    let n = n as i64;
    let arity = arity as i64;
    if arity >= 0 {
        n == arity
    } else {
        n >= -arity
    }
}

/// Bytes as C's `%.*s` prints them into an error: up to a NUL and at most `max` bytes, with CR
/// and LF turned into spaces (Redis keeps error replies on one line).
pub fn for_error(bytes: &[u8], max: usize) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(bytes.len())
        .min(max);
    String::from_utf8_lossy(&bytes[..end]).replace(['\r', '\n'], " ")
}

fn unknown_command(args: &[Vec<u8>]) -> Reply {
    let mut listed = String::new();
    for arg in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        listed.push_str(&format!("'{}' ", for_error(arg, 128 - listed.len())));
    }
    Reply::err(format!(
        "unknown command '{}', with args beginning with: {listed}",
        for_error(&args[0], 128)
    ))
}

/// Subcommands of container commands, with Redis 7.0's arities: Redis looks these up (and
/// checks their arity) before running or queuing anything, as it does for commands.
const SUBCOMMANDS: &[(&str, &str, i32)] = &[
    ("config", "get", -3),
    ("config", "set", -4),
    ("config", "resetstat", 2),
    ("object", "encoding", 3),
    ("object", "freq", 3),
    ("object", "idletime", 3),
    ("object", "refcount", 3),
    ("client", "setname", 3),
    ("client", "getname", 2),
    ("command", "count", 2),
    ("memory", "usage", -3),
];

/// Real Redis subcommands the model leaves out, refused with a sentence rather than as unknown.
const SUBCOMMANDS_NOT_MODELLED: &[(&str, &[&str], &str)] = &[
    (
        "client",
        &["id", "list", "info", "kill", "pause", "unpause", "reply", "tracking", "trackinginfo", "caching", "getredir", "unblock", "no-evict", "help"],
        "the console is the playground's only client; it models CLIENT SETNAME and GETNAME",
    ),
    (
        "memory",
        &["stats", "doctor", "malloc-stats", "purge", "help"],
        "the playground has no allocator to report on; MEMORY USAGE gives its estimate per key and INFO memory the total",
    ),
    (
        "command",
        &["docs", "info", "list", "getkeys", "getkeysandflags", "help"],
        "the playground answers COMMAND COUNT; HELP lists its command table",
    ),
    (
        "config",
        &["rewrite", "help"],
        "the playground has no configuration file; CONFIG GET, SET and RESETSTAT are modelled",
    ),
    (
        "object",
        &["help"],
        "the playground models OBJECT ENCODING, FREQ and IDLETIME",
    ),
];

/// Redis's subcommand lookup for a container command (any other command passes): the
/// subcommand must exist and have a valid arity.
fn check_subcommand<A: AsRef<[u8]>>(command: &Command, args: &[A]) -> Result<(), Reply> {
    if args.len() < 2 || !SUBCOMMANDS.iter().any(|(c, ..)| *c == command.name) {
        return Ok(());
    }
    let sub = args[1].as_ref();
    let found = SUBCOMMANDS
        .iter()
        .find(|(c, s, _)| *c == command.name && args::is_name(sub, s));
    match found {
        Some((_, _, arity)) if arity_ok(*arity, args.len()) => Ok(()),
        Some((c, s, _)) => Err(arity_error(&format!("{c}|{s}"))),
        None => {
            let refusal = SUBCOMMANDS_NOT_MODELLED
                .iter()
                .filter(|(c, ..)| *c == command.name)
                .find(|(_, subs, _)| subs.iter().any(|s| args::is_name(sub, s)));
            Err(match refusal {
                Some((_, _, why)) => Reply::err(format!(
                    "{} {} is not available here: {why}",
                    command.name.to_ascii_uppercase(),
                    for_error(sub, 128).to_ascii_uppercase()
                )),
                None => Reply::err(format!(
                    "unknown subcommand '{}'. Try {} HELP.",
                    for_error(sub, 128),
                    String::from_utf8_lossy(args[0].as_ref()).to_ascii_uppercase()
                )),
            })
        }
    }
}

/// Commands a learner may type that the model deliberately lacks, with the reason it gives.
const NOT_MODELLED: &[(&[&str], &str)] = &[
    (
        &["save", "bgsave", "bgrewriteaof", "lastsave"],
        "the playground keeps its data in memory only and does not model persistence (RDB or AOF)",
    ),
    (
        &["eval", "evalsha", "eval_ro", "evalsha_ro", "script", "function", "fcall", "fcall_ro"],
        "the playground does not model Lua scripting or functions; use MULTI/EXEC for commands that must run together",
    ),
    (
        &["blmove", "brpoplpush", "bzpopmin", "bzpopmax", "blmpop", "bzmpop", "wait", "waitaof"],
        "the playground does not model this blocking wait; BLPOP and BRPOP are modelled",
    ),
    (
        &["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "publish", "spublish", "pubsub", "monitor"],
        "the playground has a single client and does not model pub/sub or MONITOR",
    ),
    (
        &["replicaof", "slaveof", "sync", "psync", "failover", "cluster", "readonly", "readwrite", "shutdown", "migrate"],
        "the playground is one in-memory server and does not model replication, cluster or shutdown",
    ),
];

/// The commands the playground deliberately leaves out, upper-case (for `HELP`).
pub fn not_modelled_names() -> Vec<String> {
    NOT_MODELLED
        .iter()
        .flat_map(|(names, _)| names.iter().map(|n| n.to_ascii_uppercase()))
        .collect()
}

/// The playground's refusal for a command it deliberately leaves out, if `name` is one.
fn not_modelled(name: &[u8]) -> Option<Reply> {
    NOT_MODELLED.iter().find_map(|(names, why)| {
        let found = names.iter().find(|n| args::is_name(name, n))?;
        Some(Reply::err(format!(
            "'{}' is not available here: {why}",
            found.to_ascii_uppercase()
        )))
    })
}

/// Marks the open transaction, if any, as failed (Redis's `flagTransaction`).
fn flag_transaction(l2: &mut L2) {
    if l2.client.queued.is_some() {
        l2.client.queue_failed = true;
    }
}

/// Runs one command, as Redis's `processCommand` does: unknown name, arity, then memory, then
/// either queue it (inside MULTI) or run it.
pub(super) fn dispatch(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let Some(name) = args.first() else {
        return Reply::err("empty command");
    };
    match COMMANDS.iter().find(|c| args::is_name(name, c.name)) {
        Some(command) => dispatch_to(l2, command, args),
        None => {
            // An argument too long is refused before the name is looked up.
            if let Err(e) = check_sizes(l2, args) {
                return e;
            }
            flag_transaction(l2);
            not_modelled(name).unwrap_or_else(|| unknown_command(args))
        }
    }
}

/// [`dispatch`] once the command is found: the typed callers name the command's item, so that
/// only the commands they send are linked.
pub(super) fn dispatch_to(l2: &mut L2, command: &'static Command, args: &[Vec<u8>]) -> Reply {
    dispatch_with(l2, command, args, |l2| (command.run)(l2, args))
}

/// [`dispatch`] for a typed caller that names the command's item and gives the arguments as
/// slices.
pub(super) fn dispatch_item(l2: &mut L2, command: &'static Command, args: &[&[u8]]) -> Reply {
    dispatch_with(l2, command, args, |l2| {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        (command.run)(l2, &args)
    })
}

/// Redis's `proto-max-bulk-len`: every argument, the name included.
fn check_sizes<A: AsRef<[u8]>>(l2: &L2, args: &[A]) -> Result<(), Reply> {
    if args
        .iter()
        .any(|a| a.as_ref().len() as u64 > l2.config.max_value_len)
    {
        return Err(L2Error::ValueTooLarge.into());
    }
    Ok(())
}

/// The checks of `processCommand` for `command` with `args` (its name first): sizes, arity,
/// subcommand, then memory; then, inside MULTI, queue the command, else `run` it. `run` is the
/// command's own function, or for a typed caller its body on typed arguments (which must do what
/// the command's function does with `args`).
pub(super) fn dispatch_with<A: AsRef<[u8]>>(
    l2: &mut L2,
    command: &'static Command,
    args: &[A],
    run: impl FnOnce(&mut L2) -> Reply,
) -> Reply {
    if let Err(e) = check_sizes(l2, args) {
        return e;
    }
    if !arity_ok(command.arity, args.len()) {
        flag_transaction(l2);
        return reject(l2, command, arity_error(command.name));
    }
    if let Err(e) = check_subcommand(command, args) {
        flag_transaction(l2);
        return e;
    }
    let in_multi = l2.client.queued.is_some();
    // Inside MULTI any queued command may grow memory; EXEC only if it would run one that can.
    let may_grow = match command.in_multi {
        InMulti::Exec => l2
            .client
            .queued
            .iter()
            .flatten()
            .any(|(queued, _)| queued.deny_oom),
        InMulti::Discard => false,
        InMulti::Queue | InMulti::Run => command.deny_oom || in_multi,
    };
    if l2.make_room().is_err() && may_grow {
        flag_transaction(l2);
        return reject(l2, command, L2Error::OutOfMemory.into());
    }
    if in_multi && command.in_multi == InMulti::Queue {
        if let Some(queue) = &mut l2.client.queued {
            queue.push((command, args.iter().map(|a| a.as_ref().to_vec()).collect()));
        }
        return Reply::Status("QUEUED");
    }
    run(l2)
}

/// Redis's `rejectCommand`: the error, except that a refused EXEC (even outside MULTI) also
/// drops the transaction and says so.
fn reject(l2: &mut L2, command: &Command, error: Reply) -> Reply {
    if command.in_multi != InMulti::Exec {
        return error;
    }
    tx::discard_transaction(l2);
    let Reply::Error(text) = error else {
        return error;
    };
    let text = text.strip_prefix("ERR ").unwrap_or(&text);
    Reply::Error(format!(
        "EXECABORT Transaction discarded because of: {text}"
    ))
}

/// A command EXEC took from its queue, with its arguments (checked when it was queued; no
/// eviction in between, as in Redis, which evicts before EXEC and not inside it).
pub(super) type Queued = (&'static Command, Vec<Vec<u8>>);

/// Runs a queued command.
fn run_queued(l2: &mut L2, (command, args): &Queued) -> Reply {
    (command.run)(l2, args)
}

/// The slot of `key` if it holds a value of type `type_name`; `Ok(None)` if missing; WRONGTYPE
/// otherwise. `how` is the lookup's kind (read or write).
fn slot_of_type(
    l2: &mut L2,
    key: &[u8],
    type_name: &str,
    how: super::Lookup,
) -> Result<Option<usize>, Reply> {
    match l2.lookup(key, how) {
        Some(i) if l2.db.entry(i).value.type_name() != type_name => Err(args::wrong_type()),
        found => Ok(found),
    }
}

/// How a collection command reaches its collection.
pub(super) enum Access {
    /// Read it; reply `missing` if the key does not exist.
    Read { missing: Reply },
    /// Change it; reply `missing` if the key does not exist.
    Write { missing: Reply },
    /// Change it, creating this empty value if the key does not exist.
    Create(super::Value),
}

/// Runs `f` on the collection under `key` (seen through `view`, which picks the variant), with
/// Redis's lookup rules: WRONGTYPE for another type, and after a write the key is re-measured,
/// or deleted if the collection became empty (Redis never keeps empty collections).
fn on_collection<T>(
    l2: &mut L2,
    key: &[u8],
    type_name: &str,
    access: Access,
    view: fn(&mut super::Value) -> Option<&mut T>,
    f: impl FnOnce(&mut T) -> Reply,
) -> Reply {
    let how = match access {
        Access::Read { .. } => super::Lookup::Read,
        _ => super::Lookup::Write,
    };
    let i = match (slot_of_type(l2, key, type_name, how), access) {
        (Err(e), _) => return e,
        (Ok(Some(i)), _) => i,
        (Ok(None), Access::Create(empty)) => l2.store(key, empty, false),
        (Ok(None), Access::Read { missing } | Access::Write { missing }) => return missing,
    };
    // Only a transaction's WATCH needs to know whether the write changed anything.
    let watching = how == super::Lookup::Write && !l2.client.watched.is_empty();
    let before = watching.then(|| l2.db.entry(i).value.clone());
    let Some(collection) = view(&mut l2.db.entry_mut(i).value) else {
        return args::wrong_type();
    };
    let reply = f(collection);
    if how == super::Lookup::Write {
        if l2.db.entry(i).value.is_empty_collection() {
            l2.delete_slot(i);
        } else {
            l2.remeasure(i);
            if before.is_some_and(|b| b != l2.db.entry(i).value) {
                l2.signal_modified(key);
            }
        }
    }
    reply
}
