//! Keyspace commands: DEL UNLINK EXISTS EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST TYPE
//! KEYS SCAN DBSIZE FLUSHDB FLUSHALL.

use super::args::{glob_match, int_arg, is, syntax_error};
use crate::sim::SimDuration;
use crate::tiers::l2::db::Deadline;
use crate::tiers::l2::{Lookup, Reply, L2};

/// `DEL key...` and `UNLINK key...`: how many live keys were removed.
pub fn del(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::Int(args[1..].iter().filter(|k| l2.delete_key(k)).count() as i64)
}

/// `EXISTS key...`: how many of the arguments exist (a repeated key counts each time).
pub fn exists(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    count_found(l2, &args[1..], Lookup::ReadNoTouch)
}

/// How many of `keys` a lookup of kind `how` finds (a repeated key counts each time).
fn count_found(l2: &mut L2, keys: &[Vec<u8>], how: Lookup) -> Reply {
    Reply::Int(keys.iter().filter(|k| l2.lookup(k, how).is_some()).count() as i64)
}

/// The NX/XX/GT/LT flags of the EXPIRE family.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(args: &[Vec<u8>]) -> Result<ExpireFlags, Reply> {
    let mut f = ExpireFlags::default();
    for opt in args {
        match () {
            _ if is(opt, "nx") => f.nx = true,
            _ if is(opt, "xx") => f.xx = true,
            _ if is(opt, "gt") => f.gt = true,
            _ if is(opt, "lt") => f.lt = true,
            _ => {
                return Err(Reply::err(format!(
                    "Unsupported option {}",
                    super::for_error(opt, usize::MAX)
                )))
            }
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(Reply::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(Reply::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// Redis's `expireGenericCommand`: `base_ms` is added to the argument (now for relative forms,
/// 0 for absolute ones); `seconds` says the argument's unit.
fn expire_generic(l2: &mut L2, args: &[Vec<u8>], relative: bool, seconds: bool) -> Reply {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let invalid = || Reply::err(format!("invalid expire time in '{name}' command"));
    let flags = match parse_expire_flags(&args[3..]) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let mut when = match int_arg(&args[2]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    if seconds {
        match when.checked_mul(1_000) {
            Some(ms) => when = ms,
            None => return invalid(),
        }
    }
    if relative {
        match when.checked_add(l2.unix_ms()) {
            Some(ms) => when = ms,
            None => return invalid(),
        }
    }
    let Some(i) = l2.lookup(&args[1], Lookup::Write) else {
        return Reply::Int(0);
    };
    let current = l2.db.entry(i).expires_at.map(|d| l2.unix_ms_of_deadline(d));
    let refused = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|c| when <= c))
        || (flags.lt && current.is_some_and(|c| when >= c));
    if refused {
        return Reply::Int(0);
    }
    let at = (when > l2.unix_ms()).then(|| l2.deadline_of_unix_ms(when));
    expire_slot(l2, i, at)
}

/// Gives slot `i` the TTL ending at `at`; `None`: a time already past, for which Redis deletes
/// the key at once (not counted as expired).
fn expire_slot(l2: &mut L2, i: usize, at: Option<Deadline>) -> Reply {
    match at {
        Some(deadline) => l2.set_expiry(i, Some(deadline)),
        None => l2.delete_slot(i),
    }
    Reply::Int(1)
}

/// `PEXPIRE key ttl` for the typed path, with the TTL in microseconds: 1, or 0 without the key.
/// Unlike PEXPIRE it leaves the key's LRU/LFU data alone (see `serve.rs`).
pub(in crate::tiers::l2) fn pexpire_for(l2: &mut L2, key: &[u8], ttl: SimDuration) -> Reply {
    let Some(i) = l2.live_slot(key) else {
        return Reply::Int(0);
    };
    // A zero TTL too ends after the current instant, not at once (a real Redis is sent at
    // least `PEXPIRE key 1`, see `serve.rs`).
    let at = l2.deadline_after(ttl);
    expire_slot(l2, i, Some(at))
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`.
pub fn expire(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    expire_generic(l2, args, true, true)
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`.
pub fn pexpire(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    expire_generic(l2, args, true, false)
}

/// `EXPIREAT key unix-seconds [NX|XX|GT|LT]`.
pub fn expireat(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    expire_generic(l2, args, false, true)
}

/// `PEXPIREAT key unix-milliseconds [NX|XX|GT|LT]`.
pub fn pexpireat(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    expire_generic(l2, args, false, false)
}

/// TTL in milliseconds for TTL/PTTL: -2 missing, -1 no TTL.
fn ttl_ms(l2: &mut L2, key: &[u8]) -> Result<i64, i64> {
    let i = l2.lookup(key, Lookup::ReadNoTouch).ok_or(-2)?;
    let deadline = l2.db.entry(i).expires_at.ok_or(-1)?;
    // In whole milliseconds on both sides, as Redis computes it.
    Ok((l2.unix_ms_of_deadline(deadline) - l2.unix_ms()).max(0))
}

/// `PTTL key` for the typed path, in microseconds (the model's resolution): -2 missing, -1 no
/// TTL. Unlike PTTL it counts no keyspace hit or miss (an observer's look; see `serve.rs`).
pub(in crate::tiers::l2) fn pttl_us(l2: &mut L2, key: &[u8]) -> Reply {
    Reply::Int(match l2.live_slot(key) {
        None => -2,
        Some(i) => match l2.db.entry(i).expires_at {
            None => -1,
            Some(t) => i64::try_from(l2.remaining_us(t)).unwrap_or(i64::MAX),
        },
    })
}

/// `TTL key`: seconds left, rounded to nearest (Redis adds 500 ms before dividing).
pub fn ttl(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::Int(ttl_ms(l2, &args[1]).map_or_else(|code| code, |ms| (ms + 500) / 1_000))
}

/// `PTTL key`: milliseconds left.
pub fn pttl(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::Int(ttl_ms(l2, &args[1]).unwrap_or_else(|code| code))
}

/// `PERSIST key`: 1 if a TTL was removed.
pub fn persist(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match l2.lookup(&args[1], Lookup::Write) {
        Some(i) if l2.db.entry(i).expires_at.is_some() => {
            l2.set_expiry(i, None);
            Reply::Int(1)
        }
        _ => Reply::Int(0),
    }
}

/// `TYPE key`.
pub fn type_of(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    Reply::Status(match l2.lookup(&args[1], Lookup::ReadNoTouch) {
        Some(i) => l2.db.entry(i).value.type_name(),
        None => "none",
    })
}

/// `KEYS pattern`: live keys matching (expired keys are skipped, not removed, as in Redis).
pub fn keys(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let all = args[1][..] == *b"*";
    let mut found: Vec<&[u8]> = l2
        .db
        .slots()
        .filter(|&i| !l2.is_expired(i) && (all || glob_match(&args[1], l2.db.key(i))))
        .map(|i| l2.db.key(i))
        .collect();
    found.sort_unstable();
    Reply::bulks(found)
}

/// The model's scan order: FNV-1a over the key, never 0 (0 is the cursor that starts and ends).
fn scan_hash(key: &[u8]) -> u64 {
    let h = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    h.max(1)
}

/// C's `strtoul` as SCAN reads its cursor: optional sign (a minus wraps), decimal digits. An
/// empty argument is cursor 0 (`strtoul` reads nothing and stops at the end).
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(if negative { n.wrapping_neg() } else { n })
}

/// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`.
///
/// Keys are visited in the order of a hash of their names, and the cursor is the hash to resume
/// from: a key present for the whole scan is returned exactly once (Redis's guarantee), though
/// cursors and how keys are spread over calls differ from Redis's. As in Redis, COUNT is how many
/// keys to visit, and MATCH and TYPE filter what was visited, in that order. Only a key that passes
/// MATCH is looked at further: TYPE reads it as `TYPE` would (a keyspace hit, or a miss that
/// removes it if expired), and an expired key that passed both filters is removed.
pub fn scan(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let Some(cursor) = parse_cursor(&args[1]) else {
        return Reply::err("invalid cursor");
    };
    let (mut count, mut pattern, mut type_name) = (10i64, None, None);
    let mut rest = &args[2..];
    while let [opt, value, tail @ ..] = rest {
        if is(opt, "count") {
            count = match int_arg(value) {
                Ok(n) if n >= 1 => n,
                Ok(_) => return syntax_error(),
                Err(e) => return e,
            };
        } else if is(opt, "match") {
            pattern = (value[..] != *b"*").then_some(value);
        } else if is(opt, "type") {
            type_name = Some(value);
        } else {
            return syntax_error();
        }
        rest = tail;
    }
    if !rest.is_empty() {
        return syntax_error();
    }
    let mut order: Vec<(u64, usize)> = l2
        .db
        .slots()
        .map(|i| (scan_hash(l2.db.key(i)), i))
        .filter(|&(h, _)| h >= cursor.max(1))
        .collect();
    order.sort_unstable_by(|a, b| (a.0, l2.db.key(a.1)).cmp(&(b.0, l2.db.key(b.1))));
    // Keys with equal hashes go together, so that the cursor can resume between hashes.
    let mut take = (count as u64).min(order.len() as u64) as usize;
    while take < order.len() && take > 0 && order[take].0 == order[take - 1].0 {
        take += 1;
    }
    let next = if cursor == 0 && l2.db.len() == 0 {
        0
    } else {
        order.get(take).map_or(0, |&(h, _)| h)
    };
    let visited: Vec<Box<[u8]>> = order[..take]
        .iter()
        .map(|&(_, i)| l2.db.key(i).into())
        .collect();
    let mut found = Vec::new();
    for key in visited {
        if pattern.is_some_and(|p| !glob_match(p, &key)) {
            continue;
        }
        if let Some(wanted) = type_name {
            // A key this read removed has type "none", which `TYPE none` then lets through
            // (Redis's `getObjectTypeName(NULL)`).
            let actual = l2
                .lookup(&key, Lookup::ReadNoTouch)
                .map_or("none", |i| l2.db.entry(i).value.type_name());
            if !is(wanted, actual) {
                continue;
            }
        }
        if l2.db.find(&key).is_some() && l2.live_slot(&key).is_none() {
            continue;
        }
        found.push(key);
    }
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::bulks(found)])
}

/// `DBSIZE`: keys held, including expired keys not yet removed.
pub fn dbsize(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    Reply::Int(l2.dbsize() as i64)
}

/// The optional `ASYNC|SYNC` of FLUSHDB and FLUSHALL.
fn flush_mode(args: &[Vec<u8>]) -> Result<(), Reply> {
    match &args[1..] {
        [] => Ok(()),
        [mode] if is(mode, "async") || is(mode, "sync") => Ok(()),
        _ => Err(syntax_error()),
    }
}

/// `FLUSHDB [ASYNC|SYNC]`: empties the selected database.
pub fn flush(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if let Err(e) = flush_mode(args) {
        return e;
    }
    l2.flush_selected();
    Reply::OK
}

/// `FLUSHALL [ASYNC|SYNC]`: empties every database.
pub fn flush_all(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if let Err(e) = flush_mode(args) {
        return e;
    }
    let selected = l2.selected;
    for n in 0..l2.parked.len() {
        l2.select_db(n);
        l2.flush_selected();
    }
    l2.select_db(selected);
    l2.flush_selected();
    l2.used_memory = 0;
    Reply::OK
}

/// EXPIRETIME and PEXPIRETIME: the deadline as a Unix time (-1 no TTL, -2 no key).
fn expire_time(l2: &mut L2, key: &[u8], millis: bool) -> Reply {
    let Some(i) = l2.lookup(key, Lookup::ReadNoTouch) else {
        return Reply::Int(-2);
    };
    match l2.db.entry(i).expires_at {
        None => Reply::Int(-1),
        Some(d) => {
            let ms = l2.unix_ms_of_deadline(d).max(0);
            Reply::Int(if millis { ms } else { (ms + 500) / 1_000 })
        }
    }
}

/// `EXPIRETIME key`: Unix seconds.
pub fn expiretime(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    expire_time(l2, &args[1], false)
}

/// `PEXPIRETIME key`: Unix milliseconds.
pub fn pexpiretime(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    expire_time(l2, &args[1], true)
}

/// RENAME and RENAMENX (Redis's `renameGenericCommand`): the value keeps its TTL and its
/// LRU/LFU data; whatever `dst` held is deleted.
fn rename_generic(l2: &mut L2, src: &[u8], dst: &[u8], nx: bool) -> Reply {
    let Some(i) = l2.lookup(src, Lookup::Write) else {
        return Reply::err("no such key");
    };
    if src == dst {
        return if nx { Reply::Int(0) } else { Reply::OK };
    }
    if l2.lookup(dst, Lookup::Write).is_some() {
        if nx {
            return Reply::Int(0);
        }
        l2.delete_key(dst);
    }
    let i = l2.db.find(src).unwrap_or(i);
    let entry = l2.db.entry(i).clone();
    l2.delete_slot(i);
    let j = l2.store(dst, entry.value.clone(), false);
    let moved = l2.db.entry_mut(j);
    (moved.lru_ms, moved.lfu_counter, moved.lfu_minute) =
        (entry.lru_ms, entry.lfu_counter, entry.lfu_minute);
    if entry.expires_at.is_some() {
        l2.set_expiry(j, entry.expires_at);
    }
    if nx {
        Reply::Int(1)
    } else {
        Reply::OK
    }
}

/// `RENAME key newkey`.
pub fn rename(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    rename_generic(l2, &args[1], &args[2], false)
}

/// `RENAMENX key newkey`: 0 if `newkey` exists.
pub fn renamenx(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    rename_generic(l2, &args[1], &args[2], true)
}

/// `COPY source destination [DB index] [REPLACE]`: 1 if copied (with its TTL, as a new key).
pub fn copy(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let (mut replace, mut target) = (false, l2.selected);
    let mut j = 3;
    while j < args.len() {
        if is(&args[j], "replace") {
            replace = true;
        } else if is(&args[j], "db") && j + 1 < args.len() {
            let n = match int_arg(&args[j + 1]) {
                Ok(n) if i32::try_from(n).is_ok() => n,
                _ => return crate::tiers::l2::command::args::not_an_integer(),
            };
            match usize::try_from(n) {
                Ok(n) if n < crate::tiers::l2::DATABASES => target = n,
                _ => return Reply::err("DB index is out of range"),
            }
            j += 1;
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let (src, dst) = (&args[1], &args[2]);
    if target == l2.selected && src == dst {
        return Reply::err("source and destination objects are the same");
    }
    let Some(i) = l2.lookup(src, Lookup::Read) else {
        return Reply::Int(0);
    };
    let (value, expires_at) = {
        let e = l2.db.entry(i);
        (e.value.clone(), e.expires_at)
    };
    let home = l2.selected;
    l2.select_db(target);
    let reply = if l2.lookup(dst, Lookup::Write).is_some() && !replace {
        Reply::Int(0)
    } else {
        l2.delete_key(dst);
        let k = l2.store(dst, value, false);
        if expires_at.is_some() {
            l2.set_expiry(k, expires_at);
        }
        Reply::Int(1)
    };
    l2.select_db(home);
    reply
}

/// `RANDOMKEY`: a key drawn with the model's seeded generator; an expired key drawn is removed
/// and another drawn, as in Redis.
pub fn randomkey(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    while l2.db.len() > 0 {
        let i = l2.command_rng.below(l2.db.len() as u64) as usize;
        let key = l2.db.key(i).to_vec();
        if l2.live_slot(&key).is_some() {
            return Reply::Bulk(key);
        }
    }
    Reply::Nil
}

/// `TOUCH key...`: how many exist (each read updates its LRU/LFU data).
pub fn touch(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    count_found(l2, &args[1..], Lookup::Read)
}
