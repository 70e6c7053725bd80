//! Set commands: SADD SREM SMEMBERS SISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION SDIFF.
//!
//! SPOP and SRANDMEMBER draw from the model's seeded generator, so the same seed picks the same
//! members on every run (Redis draws from its own generator, so its picks differ).

use super::args::{int_arg, syntax_error};
use super::{on_collection, Access};
use crate::sim::SimRng;
use crate::tiers::l2::value::Members;
use crate::tiers::l2::{Lookup, Reply, Value, L2};
use std::collections::BTreeSet;

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

/// Picks `n` distinct members at random (all of them if `n` covers the set), in set order.
fn pick_distinct(set: &Members, n: usize, rng: &mut SimRng) -> Vec<Vec<u8>> {
    let mut members: Vec<&Vec<u8>> = set.sorted();
    if n < members.len() {
        // A partial Fisher-Yates shuffle: the first `n` places end up a uniform sample.
        for i in 0..n {
            let j = i + rng.below((members.len() - i) as u64) as usize;
            members.swap(i, j);
        }
        members.truncate(n);
        members.sort();
    }
    members.into_iter().cloned().collect()
}

/// `SPOP key [count]`: removes and answers random members.
pub fn spop(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let count = match args {
        [_, _] => None,
        [_, _, count] => match int_arg(count) {
            Ok(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return Reply::err("value is out of range, must be positive"),
        },
        _ => return syntax_error(),
    };
    let missing = nothing(count.is_some());
    with_rng(l2, |l2, rng| {
        on_set(l2, &args[1], Access::Write { missing }, |set| {
            spop_from(set, count, rng)
        })
    })
}

fn spop_from(set: &mut Members, count: Option<usize>, rng: &mut SimRng) -> Reply {
    {
        let picked = pick_distinct(set, count.unwrap_or(1), rng);
        for m in &picked {
            set.remove(m);
        }
        match count {
            None => picked.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
            Some(_) => Reply::bulks(picked),
        }
    }
}

/// What a random pick answers for a missing key: an empty array with a count, nil without.
fn nothing(with_count: bool) -> Reply {
    if with_count {
        Reply::Array(vec![])
    } else {
        Reply::Nil
    }
}

/// Runs `f` with the model's command generator lent out (the collection closure cannot borrow
/// it from the model it also changes).
fn with_rng(l2: &mut L2, f: impl FnOnce(&mut L2, &mut SimRng) -> Reply) -> Reply {
    let mut rng = std::mem::replace(&mut l2.command_rng, SimRng::new(0));
    let reply = f(l2, &mut rng);
    l2.command_rng = rng;
    reply
}

/// `SRANDMEMBER key [count]`: random members without removing them; a negative count may
/// repeat members.
pub fn srandmember(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let count = match args {
        [_, _] => None,
        [_, _, count] => match int_arg(count) {
            Ok(i64::MIN) => {
                return Reply::err(format!(
                    "value is out of range, must be between {} and {}",
                    -i64::MAX,
                    i64::MAX
                ))
            }
            Ok(n) => Some(n),
            Err(e) => return e,
        },
        _ => return syntax_error(),
    };
    let missing = nothing(count.is_some());
    with_rng(l2, |l2, rng| {
        on_set(l2, &args[1], Access::Read { missing }, |set| {
            srandmember_from(set, count, rng)
        })
    })
}

fn srandmember_from(set: &Members, count: Option<i64>, rng: &mut SimRng) -> Reply {
    match count {
        None => pick_distinct(set, 1, rng)
            .into_iter()
            .next()
            .map_or(Reply::Nil, Reply::Bulk),
        Some(n) if n >= 0 => Reply::bulks(pick_distinct(
            set,
            usize::try_from(n).unwrap_or(usize::MAX),
            rng,
        )),
        Some(n) if n.unsigned_abs() > MAX_REPEATED_PICKS => Reply::err(format!(
            "the playground answers at most {MAX_REPEATED_PICKS} repeated picks, to keep the page responsive"
        )),
        Some(n) => {
            let members: Vec<&Vec<u8>> = set.sorted();
            Reply::bulks(
                (0..n.unsigned_abs()).map(|_| members[rng.below(members.len() as u64) as usize]),
            )
        }
    }
}

/// The most members a negative SRANDMEMBER count may ask for (Redis has no limit but memory).
pub const MAX_REPEATED_PICKS: u64 = 1_000_000;

/// `SMOVE source destination member`: 1 if moved.
pub fn smove(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let src_slot = l2.lookup(src, Lookup::Write);
    let dst_slot = l2.lookup(dst, Lookup::Write);
    let Some(s) = src_slot else {
        return Reply::Int(0);
    };
    let is_set = |l2: &L2, i: usize| matches!(l2.db.entry(i).value, Value::Set(_));
    if !is_set(l2, s) || dst_slot.is_some_and(|d| !is_set(l2, d)) {
        return super::args::wrong_type();
    }
    if src == dst {
        let present = matches!(&l2.db.entry(s).value, Value::Set(m) if m.contains(member));
        return Reply::Int(present as i64);
    }
    let removed = on_set(
        l2,
        src,
        Access::Write {
            missing: Reply::Int(0),
        },
        |set| Reply::Int(set.remove(member) as i64),
    );
    if removed != Reply::Int(1) {
        return Reply::Int(0);
    }
    on_set(
        l2,
        dst,
        Access::Create(Value::Set(Members::default())),
        |set| {
            set.insert(member.clone());
            Reply::Int(1)
        },
    )
}

/// Which set operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Inter,
    Union,
    Diff,
}

/// SINTER, SUNION, SDIFF: every key is read (a hit or a miss each), WRONGTYPE for any key of
/// another type; a missing key is an empty set.
fn set_op(l2: &mut L2, keys: &[Vec<u8>], op: SetOp) -> Reply {
    let mut sets: Vec<Option<BTreeSet<Vec<u8>>>> = Vec::new();
    for key in keys {
        match super::slot_of_type(l2, key, "set", Lookup::Read) {
            Err(e) => return e,
            Ok(None) => sets.push(None),
            Ok(Some(i)) => match &l2.db.entry(i).value {
                Value::Set(s) => sets.push(Some(s.sorted().into_iter().cloned().collect())),
                _ => return super::args::wrong_type(),
            },
        }
    }
    let empty = BTreeSet::new();
    let mut iter = sets.iter().map(|s| s.as_ref().unwrap_or(&empty));
    let first = iter.next().cloned().unwrap_or_default();
    let result = iter.fold(first, |acc, s| match op {
        SetOp::Inter => acc.intersection(s).cloned().collect(),
        SetOp::Union => acc.union(s).cloned().collect(),
        SetOp::Diff => acc.difference(s).cloned().collect(),
    });
    Reply::bulks(result)
}

/// `SINTER key...`: members in every set.
pub fn sinter(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    set_op(l2, &args[1..], SetOp::Inter)
}

/// `SUNION key...`: members in any set.
pub fn sunion(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    set_op(l2, &args[1..], SetOp::Union)
}

/// `SDIFF key...`: members of the first set in none of the others.
pub fn sdiff(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    set_op(l2, &args[1..], SetOp::Diff)
}
