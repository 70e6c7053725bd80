//! Hash commands: HSET HMSET HSETNX HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL
//! HINCRBY HINCRBYFLOAT.

use super::args::{float_arg, format_long_double, int_arg, parse_f64, parse_i64};
use super::{arity_error, on_collection, Access};
use crate::tiers::l2::{Reply, Value, L2};
use std::collections::BTreeMap;

type Fields = BTreeMap<Vec<u8>, Vec<u8>>;

/// Runs `f` on the hash under `key` (see `on_collection`).
fn on_hash(l2: &mut L2, key: &[u8], access: Access, f: impl FnOnce(&mut Fields) -> Reply) -> Reply {
    on_collection(l2, key, "hash", access, Value::as_hash_mut, f)
}

fn create() -> Access {
    Access::Create(Value::Hash(BTreeMap::new()))
}

/// `HSET key field value [field value...]`: how many fields were new.
pub fn hset(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if args.len() % 2 == 1 {
        return arity_error("hset");
    }
    on_hash(l2, &args[1], create(), |h| {
        let new = args[2..]
            .chunks_exact(2)
            .filter(|p| h.insert(p[0].clone(), p[1].clone()).is_none())
            .count();
        Reply::Int(new as i64)
    })
}

/// `HMSET key field value [field value...]`: HSET answering OK.
pub fn hmset(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if args.len() % 2 == 1 {
        return arity_error("hmset");
    }
    match hset(l2, args) {
        Reply::Int(_) => Reply::OK,
        other => other,
    }
}

/// `HSETNX key field value`: 1 if the field was new and set.
pub fn hsetnx(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    on_hash(l2, &args[1], create(), |h| {
        if h.contains_key(&args[2]) {
            return Reply::Int(0);
        }
        h.insert(args[2].clone(), args[3].clone());
        Reply::Int(1)
    })
}

/// Runs a read `f` on the hash under `key`, answering `missing` without one.
fn read_hash(
    l2: &mut L2,
    args: &[Vec<u8>],
    missing: Reply,
    f: impl FnOnce(&mut Fields) -> Reply,
) -> Reply {
    on_hash(l2, &args[1], Access::Read { missing }, f)
}

/// `HMGET key field...`: each value or nil.
pub fn hmget(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let fields = &args[2..];
    let missing = Reply::Array(vec![Reply::Nil; fields.len()]);
    read_hash(l2, args, missing, |h| {
        Reply::Array(
            fields
                .iter()
                .map(|f| h.get(f).map_or(Reply::Nil, Reply::bulk))
                .collect(),
        )
    })
}

/// `HEXISTS key field`.
pub fn hexists(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    read_hash(l2, args, Reply::Int(0), |h| {
        Reply::Int(h.contains_key(&args[2]) as i64)
    })
}

/// `HLEN key`.
pub fn hlen(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    read_hash(l2, args, Reply::Int(0), |h| Reply::Int(h.len() as i64))
}

/// `HSTRLEN key field`.
pub fn hstrlen(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    read_hash(l2, args, Reply::Int(0), |h| {
        Reply::Int(h.get(&args[2]).map_or(0, |v| v.len() as i64))
    })
}

/// `HKEYS key` (sorted by field, as HGETALL).
pub fn hkeys(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    read_hash(l2, args, Reply::Array(vec![]), |h| Reply::bulks(h.keys()))
}

/// `HVALS key` (in field order).
pub fn hvals(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    read_hash(l2, args, Reply::Array(vec![]), |h| Reply::bulks(h.values()))
}

/// `HGET key field`.
pub fn hget(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Nil,
    };
    on_hash(l2, &args[1], access, |h| {
        h.get(&args[2]).map_or(Reply::Nil, Reply::bulk)
    })
}

/// `HDEL key field...`: how many were removed.
pub fn hdel(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Write {
        missing: Reply::Int(0),
    };
    on_hash(l2, &args[1], access, |h| {
        Reply::Int(args[2..].iter().filter(|f| h.remove(*f).is_some()).count() as i64)
    })
}

/// `HGETALL key`: field, value, field, value... (sorted by field; Redis keeps insertion order
/// for small hashes).
pub fn hgetall(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Array(vec![]),
    };
    on_hash(l2, &args[1], access, |h| {
        Reply::bulks(h.iter().flat_map(|(f, v)| [f, v]))
    })
}

/// `HINCRBY key field increment`: the new value.
pub fn hincrby(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let by = match int_arg(&args[3]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    on_hash(l2, &args[1], create(), |h| {
        let current = match h.get(&args[2]) {
            Some(v) => match parse_i64(v) {
                Some(n) => n,
                None => return Reply::err("hash value is not an integer"),
            },
            None => 0,
        };
        match current.checked_add(by) {
            Some(new) => {
                h.insert(args[2].clone(), new.to_string().into_bytes());
                Reply::Int(new)
            }
            None => Reply::err("increment or decrement would overflow"),
        }
    })
}

/// `HINCRBYFLOAT key field increment`: the new value (see `format_long_double` for precision).
pub fn hincrbyfloat(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let by = match float_arg(&args[3]) {
        Ok(x) if !x.is_finite() => return Reply::err("value is NaN or Infinity"),
        Ok(x) => x,
        Err(e) => return e,
    };
    on_hash(l2, &args[1], create(), |h| {
        let current = match h.get(&args[2]) {
            Some(v) => match parse_f64(v) {
                Some(x) => x,
                None => return Reply::err("hash value is not a float"),
            },
            None => 0.0,
        };
        let new = current + by;
        if !new.is_finite() {
            return Reply::err("increment would produce NaN or Infinity");
        }
        let text = format_long_double(new);
        h.insert(args[2].clone(), text.clone().into_bytes());
        Reply::bulk(text)
    })
}
