//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
//! RPOPLPUSH LMOVE BLPOP BRPOP.
//!
//! A list is a queue a learner builds a write-behind buffer with (`LPUSH` the writes, `RPOP`
//! them in a worker). The blocking pops answer at once when a list has an element; when none
//! has, the console is Redis's only client, so nobody could push: with a timeout the model lets
//! that much simulated time pass and answers nil, as Redis would after the wait; with timeout 0
//! (wait forever) it refuses, naming why.

use super::args::{int_arg, is, strtod, syntax_error};
use super::{on_collection, Access};
use crate::sim::SimDuration;
use crate::tiers::l2::{Lookup, Reply, Value, L2};
use std::collections::VecDeque;

type List = VecDeque<Vec<u8>>;

/// Runs `f` on the list under `key` (see `on_collection`).
fn on_list(l2: &mut L2, key: &[u8], access: Access, f: impl FnOnce(&mut List) -> Reply) -> Reply {
    on_collection(l2, key, "list", access, Value::as_list_mut, f)
}

/// Which end of a list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    Left,
    Right,
}

impl End {
    fn parse(arg: &[u8]) -> Option<End> {
        if is(arg, "left") {
            Some(End::Left)
        } else if is(arg, "right") {
            Some(End::Right)
        } else {
            None
        }
    }

    fn push(self, list: &mut List, element: Vec<u8>) {
        match self {
            End::Left => list.push_front(element),
            End::Right => list.push_back(element),
        }
    }

    fn pop(self, list: &mut List) -> Option<Vec<u8>> {
        match self {
            End::Left => list.pop_front(),
            End::Right => list.pop_back(),
        }
    }
}

/// Redis's index rule for LRANGE, LTRIM and ZRANGE: negative indexes count from the end; the
/// range is clipped to the list; `None` when nothing is left.
pub fn clip_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { stop + len } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

fn push_generic(l2: &mut L2, args: &[Vec<u8>], end: End, only_existing: bool) -> Reply {
    let access = if only_existing {
        Access::Write {
            missing: Reply::Int(0),
        }
    } else {
        Access::Create(Value::List(VecDeque::new()))
    };
    on_list(l2, &args[1], access, |list| {
        for element in &args[2..] {
            end.push(list, element.clone());
        }
        Reply::Int(list.len() as i64)
    })
}

/// `LPUSH key element...`: the new length.
pub fn lpush(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    push_generic(l2, args, End::Left, false)
}

/// `RPUSH key element...`: the new length.
pub fn rpush(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    push_generic(l2, args, End::Right, false)
}

/// `LPUSHX key element...`: pushes only onto an existing list.
pub fn lpushx(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    push_generic(l2, args, End::Left, true)
}

/// `RPUSHX key element...`: pushes only onto an existing list.
pub fn rpushx(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    push_generic(l2, args, End::Right, true)
}

fn pop_generic(l2: &mut L2, args: &[Vec<u8>], end: End) -> Reply {
    let name = if end == End::Left { "lpop" } else { "rpop" };
    let count = match args {
        [_, _] => None,
        [_, _, count] => match int_arg(count) {
            Ok(n) if n >= 0 => Some(n),
            _ => return Reply::err("value is out of range, must be positive"),
        },
        _ => return super::arity_error(name),
    };
    let access = Access::Write {
        missing: Reply::Nil,
    };
    on_list(l2, &args[1], access, |list| match count {
        None => end.pop(list).map_or(Reply::Nil, Reply::Bulk),
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            Reply::Array(
                (0..n)
                    .map_while(|_| end.pop(list))
                    .map(Reply::Bulk)
                    .collect(),
            )
        }
    })
}

/// `LPOP key [count]`.
pub fn lpop(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    pop_generic(l2, args, End::Left)
}

/// `RPOP key [count]`.
pub fn rpop(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    pop_generic(l2, args, End::Right)
}

/// `LLEN key`.
pub fn llen(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Int(0),
    };
    on_list(l2, &args[1], access, |list| Reply::Int(list.len() as i64))
}

/// Two integer arguments, or Redis's error.
fn two_ints(a: &[u8], b: &[u8]) -> Result<(i64, i64), Reply> {
    Ok((int_arg(a)?, int_arg(b)?))
}

/// `LRANGE key start stop`.
pub fn lrange(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let (start, stop) = match two_ints(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let access = Access::Read {
        missing: Reply::Array(vec![]),
    };
    on_list(l2, &args[1], access, |list| {
        match clip_range(start, stop, list.len()) {
            Some((a, b)) => Reply::bulks(list.range(a..=b)),
            None => Reply::Array(vec![]),
        }
    })
}

/// A list index (negative from the end) as a position, if inside the list.
fn position(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { index + len as i64 } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// `LINDEX key index`.
/// (Redis reads the key before the index here, unlike LRANGE.)
pub fn lindex(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Nil,
    };
    on_list(l2, &args[1], access, |list| match int_arg(&args[2]) {
        Ok(index) => position(index, list.len()).map_or(Reply::Nil, |i| Reply::bulk(&list[i])),
        Err(e) => e,
    })
}

/// `LSET key index element`.
pub fn lset(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Write {
        missing: Reply::err("no such key"),
    };
    on_list(l2, &args[1], access, |list| {
        let index = match int_arg(&args[2]) {
            Ok(i) => i,
            Err(e) => return e,
        };
        match position(index, list.len()) {
            Some(i) => {
                list[i] = args[3].clone();
                Reply::OK
            }
            None => Reply::err("index out of range"),
        }
    })
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 without the pivot.
pub fn linsert(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let after = if is(&args[2], "after") {
        true
    } else if is(&args[2], "before") {
        false
    } else {
        return syntax_error();
    };
    let access = Access::Write {
        missing: Reply::Int(0),
    };
    on_list(l2, &args[1], access, |list| {
        match list.iter().position(|e| *e == args[3]) {
            Some(i) => {
                list.insert(i + after as usize, args[4].clone());
                Reply::Int(list.len() as i64)
            }
            None => Reply::Int(-1),
        }
    })
}

/// `LREM key count element`: removes up to |count| matches (from the tail when negative, all
/// when 0).
pub fn lrem(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let count = match int_arg(&args[2]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let access = Access::Write {
        missing: Reply::Int(0),
    };
    on_list(l2, &args[1], access, |list| {
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let mut positions: Vec<usize> = (0..list.len()).filter(|&i| list[i] == args[3]).collect();
        if count < 0 {
            positions.reverse();
        }
        positions.truncate(limit);
        positions.sort_unstable();
        for &i in positions.iter().rev() {
            list.remove(i);
        }
        Reply::Int(positions.len() as i64)
    })
}

/// `LTRIM key start stop`: keeps only that range (an empty range deletes the key).
pub fn ltrim(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let (start, stop) = match two_ints(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let access = Access::Write { missing: Reply::OK };
    on_list(l2, &args[1], access, |list| {
        match clip_range(start, stop, list.len()) {
            Some((a, b)) => {
                list.truncate(b + 1);
                list.drain(..a);
            }
            None => list.clear(),
        }
        Reply::OK
    })
}

/// The shared body of RPOPLPUSH and LMOVE (Redis's `lmoveGenericCommand`).
fn lmove_generic(l2: &mut L2, src: &[u8], dst: &[u8], from: End, to: End) -> Reply {
    match super::slot_of_type(l2, src, "list", Lookup::Write) {
        Err(e) => return e,
        Ok(None) => return Reply::Nil,
        Ok(Some(_)) => {}
    }
    if src == dst {
        let access = Access::Write {
            missing: Reply::Nil,
        };
        return on_list(l2, src, access, |list| match from.pop(list) {
            Some(v) => {
                to.push(list, v.clone());
                Reply::Bulk(v)
            }
            None => Reply::Nil,
        });
    }
    if let Err(e) = super::slot_of_type(l2, dst, "list", Lookup::Write) {
        return e;
    }
    let access = Access::Write {
        missing: Reply::Nil,
    };
    let popped = on_list(l2, src, access, |list| {
        from.pop(list).map_or(Reply::Nil, Reply::Bulk)
    });
    let Reply::Bulk(value) = popped else {
        return popped;
    };
    let create = Access::Create(Value::List(VecDeque::new()));
    on_list(l2, dst, create, |list| {
        to.push(list, value.clone());
        Reply::Nil
    });
    Reply::Bulk(value)
}

/// `RPOPLPUSH source destination`.
pub fn rpoplpush(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    lmove_generic(l2, &args[1], &args[2], End::Right, End::Left)
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`.
pub fn lmove(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    match (End::parse(&args[3]), End::parse(&args[4])) {
        (Some(from), Some(to)) => lmove_generic(l2, &args[1], &args[2], from, to),
        _ => syntax_error(),
    }
}

/// Redis 7.0's `getTimeoutFromObjectOrReply` for seconds: read as a long double, times 1,000,
/// rounded up to whole milliseconds. A value too large for a 64-bit count (`1e400`, `inf`)
/// converts to its most negative value on x86-64, so Redis calls it negative, and so does the
/// model.
fn timeout_arg(arg: &[u8]) -> Result<SimDuration, Reply> {
    let (seconds, read, _) = strtod(arg);
    let blank = arg
        .first()
        .is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0b);
    if arg.is_empty() || blank || read != arg.len() || seconds.is_nan() {
        return Err(Reply::err("timeout is not a float or out of range"));
    }
    let ms = (seconds * 1e3).ceil();
    if !(0.0..i64::MAX as f64).contains(&ms) {
        return Err(Reply::err("timeout is negative"));
    }
    Ok(SimDuration::from_millis(ms as u64))
}

fn bpop_generic(l2: &mut L2, args: &[Vec<u8>], end: End) -> Reply {
    let (keys, timeout) = args[1..].split_at(args.len() - 2);
    let timeout = match timeout_arg(&timeout[0]) {
        Ok(t) => t,
        Err(e) => return e,
    };
    for key in keys {
        match super::slot_of_type(l2, key, "list", Lookup::Write) {
            Err(e) => return e,
            Ok(None) => continue,
            Ok(Some(_)) => {}
        }
        let access = Access::Write {
            missing: Reply::Nil,
        };
        let popped = on_list(l2, key, access, |list| {
            end.pop(list).map_or(Reply::Nil, Reply::Bulk)
        });
        return Reply::Array(vec![Reply::bulk(key), popped]);
    }
    if l2.client.executing {
        // Inside EXEC Redis never blocks: the pop answers nil at once.
        return Reply::Nil;
    }
    if timeout == SimDuration::ZERO {
        return Reply::err(
            "the playground does not model blocking waits: this console is the server's only \
             client, so nothing could ever push to these lists and the wait (timeout 0) would \
             never end; give a timeout to let that much simulated time pass",
        );
    }
    l2.sleep(timeout);
    Reply::Nil
}

/// `BLPOP key... timeout` (see the module docs for the wait).
pub fn blpop(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    bpop_generic(l2, args, End::Left)
}

/// `BRPOP key... timeout`.
pub fn brpop(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    bpop_generic(l2, args, End::Right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clip_like_redis() {
        assert_eq!(clip_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clip_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clip_range(2, 1, 3), None);
        assert_eq!(clip_range(3, 5, 3), None);
        assert_eq!(clip_range(0, -4, 3), None);
    }

    #[test]
    fn a_write_behind_queue() {
        let mut l2 = L2::new();
        let run = |l2: &mut L2, line: &str| l2.exec(line).unwrap().unwrap().to_cli_string();
        assert_eq!(run(&mut l2, "LPUSH q w1 w2 w3"), "(integer) 3");
        assert_eq!(run(&mut l2, "RPOP q"), "\"w1\"");
        assert_eq!(run(&mut l2, "LRANGE q 0 -1"), "1) \"w3\"\n2) \"w2\"");
        assert_eq!(run(&mut l2, "RPOP q 5"), "1) \"w2\"\n2) \"w3\"");
        assert_eq!(run(&mut l2, "EXISTS q"), "(integer) 0");
        assert_eq!(run(&mut l2, "BLPOP q 0.6"), "(nil)");
        assert_eq!(l2.now().as_micros(), 600_000);
        assert!(run(&mut l2, "BLPOP q 0").contains("does not model blocking"));
    }
}
