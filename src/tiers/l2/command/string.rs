//! String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR
//! INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE.

use super::args::{
    float_arg, format_long_double, int_arg, is, not_an_integer, parse_f64, parse_i64, syntax_error,
    wrong_type,
};
use crate::sim::SimDuration;
use crate::strategy::SetWhen;
use crate::tiers::l2::{L2Error, Lookup, Reply, Value, L2};

/// Which command is parsing the SET-style options (they accept different sets).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Set,
    GetEx,
}

/// The unit of an expiry argument, and whether it counts from now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExpiryUnit {
    /// `EX`: seconds from now.
    Ex,
    /// `PX`: milliseconds from now.
    Px,
    /// `EXAT`: a Unix time in seconds.
    ExAt,
    /// `PXAT`: a Unix time in milliseconds.
    PxAt,
}

/// What SET's or GETEX's options asked for (Redis's `parseExtendedStringArgumentsOrReply`).
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expiry: Option<(ExpiryUnit, &'a [u8])>,
}

fn parse_options(args: &[Vec<u8>], caller: Caller) -> Result<StringOptions<'_>, Reply> {
    let mut o = StringOptions::default();
    let mut j = 0;
    while j < args.len() {
        let opt = &args[j][..];
        let next = args.get(j + 1);
        let set = caller == Caller::Set;
        let no_expiry = o.expiry.is_none();
        if is(opt, "nx") && !o.xx && set {
            o.nx = true;
        } else if is(opt, "xx") && !o.nx && set {
            o.xx = true;
        } else if is(opt, "get") && set {
            o.get = true;
        } else if is(opt, "keepttl") && !o.persist && no_expiry && set {
            o.keep_ttl = true;
        } else if is(opt, "persist") && !set && no_expiry && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(unit), Some(value)) = (expiry_option(opt), next) {
            // The same unit may repeat (the last wins), another unit may not.
            if o.keep_ttl || o.persist || o.expiry.is_some_and(|(u, _)| u != unit) {
                return Err(syntax_error());
            }
            o.expiry = Some((unit, value));
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

fn expiry_option(opt: &[u8]) -> Option<ExpiryUnit> {
    [
        ("ex", ExpiryUnit::Ex),
        ("px", ExpiryUnit::Px),
        ("exat", ExpiryUnit::ExAt),
        ("pxat", ExpiryUnit::PxAt),
    ]
    .into_iter()
    .find(|(name, _)| is(opt, name))
    .map(|(_, unit)| unit)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute Unix time in milliseconds that an expiry
/// argument stands for, or `invalid expire time in '<command>' command`.
pub fn expiry_unix_ms(l2: &L2, unit: ExpiryUnit, arg: &[u8], command: &str) -> Result<i64, Reply> {
    let invalid = || Reply::err(format!("invalid expire time in '{command}' command"));
    let n = int_arg(arg)?;
    let seconds = matches!(unit, ExpiryUnit::Ex | ExpiryUnit::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1_000) {
        return Err(invalid());
    }
    let ms = if seconds { n * 1_000 } else { n };
    let ms = match unit {
        ExpiryUnit::Ex | ExpiryUnit::Px => ms.checked_add(l2.unix_ms()).ok_or_else(invalid)?,
        _ => ms,
    };
    Ok(ms)
}

/// The string under slot `i`, or WRONGTYPE.
fn string_at(l2: &L2, i: usize) -> Result<&[u8], Reply> {
    match &l2.db.entry(i).value {
        Value::Str(s) => Ok(s),
        _ => Err(wrong_type()),
    }
}

/// GET's reply for `key`: the value, nil, or WRONGTYPE.
pub(in crate::tiers::l2) fn get_reply(l2: &mut L2, key: &[u8]) -> Reply {
    match l2.lookup(key, Lookup::Read) {
        None => Reply::Nil,
        Some(i) => string_at(l2, i).map_or_else(|e| e, Reply::bulk),
    }
}

/// `GET key`.
pub fn get(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    get_reply(l2, &args[1])
}

/// The shared body of SET, SETNX, SETEX and PSETEX (Redis's `setGenericCommand`).
fn set_generic(l2: &mut L2, key: &[u8], value: &[u8], o: &StringOptions, cmd: &str) -> Reply {
    let deadline = match o.expiry {
        Some((unit, arg)) => match expiry_unix_ms(l2, unit, arg, cmd) {
            Ok(ms) => Some(l2.deadline_of_unix_ms(ms)),
            Err(e) => return e,
        },
        None => None,
    };
    let old = if o.get {
        let old = get_reply(l2, key);
        if old.is_error() {
            return old;
        }
        Some(old)
    } else {
        None
    };
    let found = l2.lookup(key, Lookup::Write).is_some();
    if (o.nx && found) || (o.xx && !found) {
        return old.unwrap_or(Reply::Nil);
    }
    let i = l2.store(key, Value::Str(value.to_vec()), o.keep_ttl);
    if deadline.is_some() {
        l2.set_expiry(i, deadline);
    }
    old.unwrap_or(Reply::OK)
}

/// `SET key value [PX ttl] [NX|XX]` for the typed path: the TTL in microseconds, which the
/// text form (milliseconds) cannot say. Unlike SET it leaves an existing key's LRU/LFU data
/// alone (see `serve.rs`).
pub(in crate::tiers::l2) fn set_for(
    l2: &mut L2,
    key: &[u8],
    value: &[u8],
    ttl: Option<SimDuration>,
    when: SetWhen,
) -> Reply {
    let found = l2.live_slot(key).is_some();
    match (when, found) {
        (SetWhen::Absent, true) | (SetWhen::Present, false) => return Reply::Nil,
        (SetWhen::Always, _) | (SetWhen::Absent, false) | (SetWhen::Present, true) => {}
    }
    let i = l2.store(key, Value::Str(value.to_vec()), false);
    if let Some(ttl) = ttl {
        l2.set_expiry(i, Some(l2.deadline_after(ttl)));
    }
    Reply::OK
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]`.
pub fn set(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match parse_options(&args[3..], Caller::Set) {
        Ok(o) => set_generic(l2, &args[1], &args[2], &o, "set"),
        Err(e) => e,
    }
}

/// `SETNX key value`: 1 if it stored.
pub fn setnx(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if l2.lookup(&args[1], Lookup::Write).is_some() {
        return Reply::Int(0);
    }
    l2.store(&args[1], Value::Str(args[2].clone()), false);
    Reply::Int(1)
}

fn set_with_ttl(l2: &mut L2, args: &[Vec<u8>], unit: ExpiryUnit, cmd: &str) -> Reply {
    let o = StringOptions {
        expiry: Some((unit, &args[2])),
        ..StringOptions::default()
    };
    set_generic(l2, &args[1], &args[3], &o, cmd)
}

/// `SETEX key seconds value`.
pub fn setex(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    set_with_ttl(l2, args, ExpiryUnit::Ex, "setex")
}

/// `PSETEX key milliseconds value`.
pub fn psetex(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    set_with_ttl(l2, args, ExpiryUnit::Px, "psetex")
}

/// `GETDEL key`.
pub fn getdel(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let reply = get_reply(l2, &args[1]);
    if let Reply::Bulk(_) = reply {
        l2.delete_key(&args[1]);
    }
    reply
}

/// `GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]`.
pub fn getex(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let o = match parse_options(&args[2..], Caller::GetEx) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let Some(i) = l2.lookup(&args[1], Lookup::Read) else {
        return Reply::Nil;
    };
    let value = match string_at(l2, i) {
        Ok(v) => v.to_vec(),
        Err(e) => return e,
    };
    if let Some((unit, arg)) = o.expiry {
        let when = match expiry_unix_ms(l2, unit, arg, "getex") {
            Ok(ms) => ms,
            Err(e) => return e,
        };
        let absolute = matches!(unit, ExpiryUnit::ExAt | ExpiryUnit::PxAt);
        if absolute && when <= l2.unix_ms() {
            l2.delete_slot(i);
        } else {
            l2.set_expiry(i, Some(l2.deadline_of_unix_ms(when)));
        }
    } else if o.persist {
        l2.set_expiry(i, None);
    }
    Reply::Bulk(value)
}

/// `MGET key...`: nil for missing keys and for keys of other types.
pub fn mget(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let replies = args[1..]
        .iter()
        .map(|key| match l2.lookup(key, Lookup::Read) {
            Some(i) => string_at(l2, i).map_or(Reply::Nil, Reply::bulk),
            None => Reply::Nil,
        })
        .collect();
    Reply::Array(replies)
}

/// `MSET key value [key value...]`.
pub fn mset(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if args.len() % 2 == 0 {
        return super::arity_error("mset");
    }
    for pair in args[1..].chunks_exact(2) {
        l2.store(&pair[0], Value::Str(pair[1].clone()), false);
    }
    Reply::OK
}

/// Adds `by` to the integer under `key` (creating it at 0), keeping its TTL: Redis's
/// `incrDecrCommand`.
pub fn incr_by(l2: &mut L2, key: &[u8], by: i64) -> Result<i64, Reply> {
    let slot = l2.lookup(key, Lookup::Write);
    let current = match slot {
        Some(i) => parse_i64(string_at(l2, i)?).ok_or_else(not_an_integer)?,
        None => 0,
    };
    let new = current
        .checked_add(by)
        .ok_or_else(|| Reply::err("increment or decrement would overflow"))?;
    l2.store(key, Value::Str(new.to_string().into_bytes()), true);
    Ok(new)
}

fn incr_reply(l2: &mut L2, key: &[u8], by: i64) -> Reply {
    incr_by(l2, key, by).map_or_else(|e| e, Reply::Int)
}

/// `INCR key`.
pub fn incr(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    incr_reply(l2, &args[1], 1)
}

/// `DECR key`.
pub fn decr(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    incr_reply(l2, &args[1], -1)
}

/// `INCRBY key increment`.
pub fn incrby(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match int_arg(&args[2]) {
        Ok(by) => incr_reply(l2, &args[1], by),
        Err(e) => e,
    }
}

/// `DECRBY key decrement`.
pub fn decrby(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match int_arg(&args[2]) {
        Ok(i64::MIN) => Reply::err("decrement would overflow"),
        Ok(by) => incr_reply(l2, &args[1], -by),
        Err(e) => e,
    }
}

/// `APPEND key value`: the new length.
pub fn append(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let mut value = match l2.lookup(key, Lookup::Write) {
        Some(i) => match string_at(l2, i) {
            Ok(v) => v.to_vec(),
            Err(e) => return e,
        },
        None => Vec::new(),
    };
    if (value.len() + args[2].len()) as u64 > l2.config.max_value_len {
        return L2Error::ValueTooLarge.into();
    }
    value.extend_from_slice(&args[2]);
    let len = value.len() as i64;
    l2.store(key, Value::Str(value), true);
    Reply::Int(len)
}

/// `STRLEN key`.
pub fn strlen(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match l2.lookup(&args[1], Lookup::Read) {
        None => Reply::Int(0),
        Some(i) => string_at(l2, i).map_or_else(|e| e, |v| Reply::Int(v.len() as i64)),
    }
}

/// `GETSET key value`: SET with GET, dropping any TTL.
pub fn getset(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let o = StringOptions {
        get: true,
        ..StringOptions::default()
    };
    set_generic(l2, &args[1], &args[2], &o, "getset")
}

/// `MSETNX key value [key value...]`: sets all (1) only if none exists (else 0).
pub fn msetnx(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if args.len() % 2 == 0 {
        return super::arity_error("msetnx");
    }
    let pairs = args[1..].chunks_exact(2);
    if pairs
        .clone()
        .any(|p| l2.lookup(&p[0], Lookup::Write).is_some())
    {
        return Reply::Int(0);
    }
    for pair in pairs {
        l2.store(&pair[0], Value::Str(pair[1].clone()), false);
    }
    Reply::Int(1)
}

/// `INCRBYFLOAT key increment`: the new value as text (see `format_long_double` for the
/// precision), keeping the TTL.
pub fn incrbyfloat(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let current = match l2.lookup(key, Lookup::Write) {
        Some(i) => match string_at(l2, i) {
            Ok(v) => match parse_f64(v) {
                Some(x) => x,
                None => return Reply::err("value is not a valid float"),
            },
            Err(e) => return e,
        },
        None => 0.0,
    };
    let by = match float_arg(&args[2]) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let new = current + by;
    if !new.is_finite() {
        return Reply::err("increment would produce NaN or Infinity");
    }
    let text = format_long_double(new);
    l2.store(key, Value::Str(text.clone().into_bytes()), true);
    Reply::bulk(text)
}

/// `GETRANGE key start end`: the bytes in that inclusive range (negative from the end).
pub fn getrange(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let (start, end) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let value = match l2.lookup(&args[1], Lookup::Read) {
        None => return Reply::bulk(""),
        Some(i) => match string_at(l2, i) {
            Ok(v) => v,
            Err(e) => return e,
        },
    };
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::bulk("");
    }
    let start = if start < 0 { start + len } else { start }.max(0);
    let end = if end < 0 { end + len } else { end }.max(0).min(len - 1);
    if start > end || len == 0 {
        return Reply::bulk("");
    }
    Reply::bulk(&value[start as usize..=end as usize])
}

/// The longest string SETRANGE may build: a few bytes of input can ask for up to 512 MiB, which
/// the page cannot spare.
pub const MAX_SETRANGE_LEN: u64 = 64 << 20;

/// `SETRANGE key offset value`: overwrites from `offset` (padding with zero bytes); the new
/// length.
pub fn setrange(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let offset = match int_arg(&args[2]) {
        Ok(n) if n < 0 => return Reply::err("offset is out of range"),
        Ok(n) => n as u64,
        Err(e) => return e,
    };
    let patch = &args[3];
    let key = &args[1];
    let (mut value, exists) = match l2.lookup(key, Lookup::Write) {
        Some(i) => match string_at(l2, i) {
            Ok(v) => (v.to_vec(), true),
            Err(e) => return e,
        },
        None => (Vec::new(), false),
    };
    if patch.is_empty() {
        return Reply::Int(value.len() as i64);
    }
    let total = offset.saturating_add(patch.len() as u64);
    if total > l2.config.max_value_len {
        return L2Error::ValueTooLarge.into();
    }
    if total > MAX_SETRANGE_LEN {
        return Reply::err(format!(
            "the playground limits SETRANGE to strings of {MAX_SETRANGE_LEN} bytes, to keep the page responsive"
        ));
    }
    let offset = offset as usize;
    if value.len() < offset + patch.len() {
        value.resize(offset + patch.len(), 0);
    }
    value[offset..offset + patch.len()].copy_from_slice(patch);
    let len = value.len() as i64;
    l2.store(key, Value::Str(value), exists);
    Reply::Int(len)
}
