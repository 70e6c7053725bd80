//! Set commands: SADD SREM SMEMBERS SISMEMBER SCARD.

use super::{on_collection, Access};
use crate::tiers::l2::value::Members;
use crate::tiers::l2::{Reply, Value, L2};

/// Runs `f` on the set under `key` (see `on_collection`).
fn on_set(l2: &mut L2, key: &[u8], access: Access, f: impl FnOnce(&mut Members) -> Reply) -> Reply {
    on_collection(l2, key, "set", access, Value::as_set_mut, f)
}

/// `SADD key member...`: how many were new.
pub fn sadd(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let create = Access::Create(Value::Set(Members::default()));
    on_set(l2, &args[1], create, |set| {
        Reply::Int(args[2..].iter().filter(|m| set.insert(m.to_vec())).count() as i64)
    })
}

/// `SREM key member...`: how many were removed.
pub fn srem(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Write {
        missing: Reply::Int(0),
    };
    on_set(l2, &args[1], access, |set| {
        Reply::Int(args[2..].iter().filter(|m| set.remove(&m[..])).count() as i64)
    })
}

/// `SMEMBERS key` (sorted; Redis's order is its hash order).
pub fn smembers(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Array(vec![]),
    };
    on_set(l2, &args[1], access, |s| Reply::bulks(s.sorted()))
}

/// `SISMEMBER key member`.
pub fn sismember(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Int(0),
    };
    on_set(l2, &args[1], access, |s| {
        Reply::Int(s.contains(&args[2][..]) as i64)
    })
}

/// `SCARD key`.
pub fn scard(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Int(0),
    };
    on_set(l2, &args[1], access, |s| Reply::Int(s.len() as i64))
}
