//! Hash commands: HSET HGET HDEL HGETALL HINCRBY.

use super::args::{int_arg, parse_i64};
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
