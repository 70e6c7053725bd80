//! The command table and the dispatcher: one function per command, grouped by family.
//!
//! Dispatch follows Redis's `processCommand`: an unknown name, then a wrong argument count, are
//! refused before anything runs; then, with `maxmemory` set, the model evicts, and if it cannot
//! get under the limit it refuses the commands that may grow memory (Redis's `denyoom` flag).

pub mod args;
mod hash;
mod keyspace;
mod server;
mod set;
pub mod string;
mod zset;

use super::{L2Error, Reply, L2};

/// A command's implementation: `args[0]` is the command name.
type Run = fn(&mut L2, &[Vec<u8>]) -> Reply;

/// One row of the command table.
struct Command {
    /// Lower-case name, as error messages show it.
    name: &'static str,
    /// Redis's arity: `n` means exactly `n` arguments (name included), `-n` at least `n`.
    arity: i32,
    /// May grow memory, so refused when `maxmemory` cannot be honoured.
    deny_oom: bool,
    run: Run,
}

const fn cmd(name: &'static str, arity: i32, deny_oom: bool, run: Run) -> Command {
    Command {
        name,
        arity,
        deny_oom,
        run,
    }
}

/// Every command the model knows, with Redis 7.0's arities.
const COMMANDS: &[Command] = &[
    cmd("ping", -1, false, server::ping),
    cmd("echo", 2, false, server::echo),
    cmd("info", -1, false, server::info),
    cmd("config", -2, false, server::config),
    cmd("debug", -2, false, server::debug),
    cmd("get", 2, false, string::get),
    cmd("set", -3, true, string::set),
    cmd("setnx", 3, true, string::setnx),
    cmd("setex", 4, true, string::setex),
    cmd("psetex", 4, true, string::psetex),
    cmd("getdel", 2, false, string::getdel),
    cmd("getex", -2, false, string::getex),
    cmd("mget", -2, false, string::mget),
    cmd("mset", -3, true, string::mset),
    cmd("incr", 2, true, string::incr),
    cmd("decr", 2, true, string::decr),
    cmd("incrby", 3, true, string::incrby),
    cmd("decrby", 3, true, string::decrby),
    cmd("append", 3, true, string::append),
    cmd("strlen", 2, false, string::strlen),
    cmd("del", -2, false, keyspace::del),
    cmd("unlink", -2, false, keyspace::del),
    cmd("exists", -2, false, keyspace::exists),
    cmd("expire", -3, false, keyspace::expire),
    cmd("pexpire", -3, false, keyspace::pexpire),
    cmd("expireat", -3, false, keyspace::expireat),
    cmd("pexpireat", -3, false, keyspace::pexpireat),
    cmd("ttl", 2, false, keyspace::ttl),
    cmd("pttl", 2, false, keyspace::pttl),
    cmd("persist", 2, false, keyspace::persist),
    cmd("type", 2, false, keyspace::type_of),
    cmd("keys", 2, false, keyspace::keys),
    cmd("scan", -2, false, keyspace::scan),
    cmd("dbsize", 1, false, keyspace::dbsize),
    cmd("flushdb", -1, false, keyspace::flush),
    cmd("flushall", -1, false, keyspace::flush),
    cmd("sadd", -3, true, set::sadd),
    cmd("srem", -3, false, set::srem),
    cmd("smembers", 2, false, set::smembers),
    cmd("sismember", 3, false, set::sismember),
    cmd("scard", 2, false, set::scard),
    cmd("hset", -4, true, hash::hset),
    cmd("hget", 3, false, hash::hget),
    cmd("hdel", -3, false, hash::hdel),
    cmd("hgetall", 2, false, hash::hgetall),
    cmd("hincrby", 4, true, hash::hincrby),
    cmd("zadd", -4, true, zset::zadd),
    cmd("zrem", -3, false, zset::zrem),
    cmd("zcard", 2, false, zset::zcard),
    cmd("zcount", 4, false, zset::zcount),
    cmd("zrange", -4, false, zset::zrange),
    cmd("zrangebyscore", -4, false, zset::zrangebyscore),
    cmd("zremrangebyscore", 4, false, zset::zremrangebyscore),
];

/// The names of every command the model implements, lower-case.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
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

/// Runs one command.
pub(super) fn dispatch(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let Some(name) = args.first() else {
        return Reply::err("empty command");
    };
    if args
        .iter()
        .any(|a| a.len() as u64 > l2.config.max_value_len)
    {
        return L2Error::ValueTooLarge.into();
    }
    let Some(command) = COMMANDS.iter().find(|c| args::is(name, c.name)) else {
        return unknown_command(args);
    };
    if !arity_ok(command.arity, args.len()) {
        return arity_error(command.name);
    }
    if l2.make_room().is_err() && command.deny_oom {
        return L2Error::OutOfMemory.into();
    }
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
    let Some(collection) = view(&mut l2.db.entry_mut(i).value) else {
        return args::wrong_type();
    };
    let reply = f(collection);
    if how == super::Lookup::Write {
        let empty = match &l2.db.entry(i).value {
            super::Value::Set(s) => s.is_empty(),
            super::Value::Hash(h) => h.is_empty(),
            super::Value::ZSet(z) => z.is_empty(),
            super::Value::Str(_) => false,
        };
        if empty {
            l2.delete_slot(i);
        } else {
            l2.remeasure(i);
        }
    }
    reply
}
