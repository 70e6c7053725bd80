//! Sorted-set commands: ZADD ZREM ZCARD ZCOUNT ZRANGE (by index) ZRANGEBYSCORE ZREMRANGEBYSCORE.

use super::args::{float_arg, format_double, int_arg, is, parse_f64, syntax_error};
use super::{on_collection, Access};
use crate::tiers::l2::value::{Score, SortedSet};
use crate::tiers::l2::{Reply, Value, L2};

/// Runs `f` on the sorted set under `key` (see `on_collection`).
fn on_zset(
    l2: &mut L2,
    key: &[u8],
    access: Access,
    f: impl FnOnce(&mut SortedSet) -> Reply,
) -> Reply {
    on_collection(l2, key, "zset", access, Value::as_zset_mut, f)
}

/// ZADD's options.
#[derive(Default)]
struct ZaddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What one ZADD pair did.
enum Outcome {
    Added(f64),
    Updated(f64),
    Unchanged(f64),
    Skipped,
    NaN,
}

/// Redis's `zsetAdd` for one pair.
fn zadd_one(z: &mut SortedSet, f: &ZaddFlags, score: f64, member: &[u8]) -> Outcome {
    match z.score(member) {
        Some(current) => {
            if f.nx {
                return Outcome::Skipped;
            }
            let current = current.get();
            let new = if f.incr { score + current } else { score };
            let Some(new_score) = Score::new(new) else {
                return Outcome::NaN;
            };
            if (f.lt && new >= current) || (f.gt && new <= current) {
                return Outcome::Skipped;
            }
            if new == current {
                return Outcome::Unchanged(new);
            }
            z.insert(member, new_score);
            Outcome::Updated(new)
        }
        None if f.xx => Outcome::Skipped,
        None => match Score::new(score) {
            Some(s) => {
                z.insert(member, s);
                Outcome::Added(score)
            }
            None => Outcome::NaN,
        },
    }
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member...]`.
pub fn zadd(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let mut f = ZaddFlags::default();
    let mut first = 2;
    while let Some(opt) = args.get(first) {
        let flag = match () {
            _ if is(opt, "nx") => &mut f.nx,
            _ if is(opt, "xx") => &mut f.xx,
            _ if is(opt, "gt") => &mut f.gt,
            _ if is(opt, "lt") => &mut f.lt,
            _ if is(opt, "ch") => &mut f.ch,
            _ if is(opt, "incr") => &mut f.incr,
            _ => break,
        };
        *flag = true;
        first += 1;
    }
    let pairs = &args[first..];
    if pairs.is_empty() || pairs.len() % 2 == 1 {
        return syntax_error();
    }
    if f.nx && f.xx {
        return Reply::err("XX and NX options at the same time are not compatible");
    }
    if (f.gt || f.lt) && f.nx || (f.gt && f.lt) {
        return Reply::err("GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && pairs.len() > 2 {
        return Reply::err("INCR option supports a single increment-element pair");
    }
    let scores = match pairs
        .iter()
        .step_by(2)
        .map(|s| float_arg(s))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(e) => return e,
    };
    let nothing = if f.incr { Reply::Nil } else { Reply::Int(0) };
    let access = if f.xx {
        Access::Write { missing: nothing }
    } else {
        Access::Create(Value::ZSet(SortedSet::default()))
    };
    on_zset(l2, &args[1], access, |z| {
        let (mut changed, mut added, mut last) = (0, 0, None);
        for (score, member) in scores.iter().zip(pairs.iter().skip(1).step_by(2)) {
            match zadd_one(z, &f, *score, member) {
                Outcome::Added(s) => {
                    added += 1;
                    last = Some(s);
                }
                Outcome::Updated(s) => {
                    changed += 1;
                    last = Some(s);
                }
                Outcome::Unchanged(s) => last = Some(s),
                Outcome::Skipped => {}
                Outcome::NaN => return Reply::err("resulting score is not a number (NaN)"),
            }
        }
        match (f.incr, last) {
            (true, Some(s)) => Reply::bulk(format_double(s)),
            (true, None) => Reply::Nil,
            (false, _) => Reply::Int(if f.ch { added + changed } else { added }),
        }
    })
}

/// `ZREM key member...`: how many were removed.
pub fn zrem(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Write {
        missing: Reply::Int(0),
    };
    on_zset(l2, &args[1], access, |z| {
        Reply::Int(args[2..].iter().filter(|m| z.remove(m)).count() as i64)
    })
}

/// `ZCARD key`.
pub fn zcard(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Int(0),
    };
    on_zset(l2, &args[1], access, |z| Reply::Int(z.len() as i64))
}

/// A score interval such as `(1 +inf` (Redis's `zrangespec`).
#[derive(Clone, Copy, Debug)]
struct Range {
    min: f64,
    min_exclusive: bool,
    max: f64,
    max_exclusive: bool,
}

impl Range {
    /// Redis's `zslParseRange`, or `ERR min or max is not a float`.
    fn parse(min: &[u8], max: &[u8]) -> Result<Range, Reply> {
        let bound = |arg: &[u8]| match arg.strip_prefix(b"(") {
            Some(rest) => parse_f64(rest).map(|x| (x, true)),
            None => parse_f64(arg).map(|x| (x, false)),
        };
        match (bound(min), bound(max)) {
            (Some((min, min_exclusive)), Some((max, max_exclusive))) => Ok(Range {
                min,
                min_exclusive,
                max,
                max_exclusive,
            }),
            _ => Err(Reply::err("min or max is not a float")),
        }
    }

    /// The members of `z` in the range, in order: starts at `min` in logarithmic time and stops
    /// past `max`, so a short range costs its length, not the set's.
    fn scan<'a>(&self, z: &'a SortedSet) -> impl Iterator<Item = (f64, &'a [u8])> + 'a {
        let range = *self;
        z.iter_from(range.min)
            .skip_while(move |(s, _)| range.min_exclusive && *s <= range.min)
            .take_while(move |(s, _)| {
                if range.max_exclusive {
                    *s < range.max
                } else {
                    *s <= range.max
                }
            })
    }
}

/// `ZCOUNT key min max`.
pub fn zcount(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let range = match Range::parse(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let access = Access::Read {
        missing: Reply::Int(0),
    };
    on_zset(l2, &args[1], access, |z| {
        Reply::Int(range.scan(z).count() as i64)
    })
}

/// `ZRANGE key start stop [WITHSCORES]`: members by rank, negative ranks counting from the end
/// (the model has only this, the index form, of Redis 7's ZRANGE). A range at either end costs
/// its length, not the set's.
pub fn zrange(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let with_scores = match &args[4..] {
        [] => false,
        [w] if is(w, "withscores") => true,
        _ => return syntax_error(),
    };
    let (start, stop) = match (int_arg(&args[2]), int_arg(&args[3])) {
        (Ok(start), Ok(stop)) => (start, stop),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let access = Access::Read {
        missing: Reply::Array(vec![]),
    };
    on_zset(l2, &args[1], access, |z| {
        // Redis's zrangeGenericCommand: negative ranks from the end, then clamped.
        let len = z.len() as i64;
        let start = if start < 0 {
            (len + start).max(0)
        } else {
            start
        };
        let stop = if stop < 0 {
            len + stop
        } else {
            stop.min(len - 1)
        };
        if start > stop || start >= len {
            return Reply::Array(vec![]);
        }
        let count = (stop - start + 1) as usize;
        let picked: Vec<(f64, &[u8])> = if start > len / 2 {
            let mut from_end: Vec<_> = z
                .iter()
                .rev()
                .skip((len - 1 - stop) as usize)
                .take(count)
                .collect();
            from_end.reverse();
            from_end
        } else {
            z.iter().skip(start as usize).take(count).collect()
        };
        let mut out = Vec::with_capacity(picked.len() * (1 + usize::from(with_scores)));
        for (score, member) in picked {
            out.push(Reply::bulk(member));
            if with_scores {
                out.push(Reply::bulk(format_double(score)));
            }
        }
        Reply::Array(out)
    })
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`.
pub fn zrangebyscore(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let (mut with_scores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = 4;
    while j < args.len() {
        if is(&args[j], "withscores") {
            with_scores = true;
        } else if is(&args[j], "limit") && args.len() - j > 2 {
            match (int_arg(&args[j + 1]), int_arg(&args[j + 2])) {
                (Ok(o), Ok(l)) => (offset, limit) = (o, l),
                (Err(e), _) | (_, Err(e)) => return e,
            }
            j += 2;
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let range = match Range::parse(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let access = Access::Read {
        missing: Reply::Array(vec![]),
    };
    on_zset(l2, &args[1], access, |z| {
        // A negative offset yields nothing and a negative count means "all", as in Redis.
        if offset < 0 {
            return Reply::Array(vec![]);
        }
        // usize is 32 bits on wasm32: saturate rather than truncate.
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for (score, member) in range.scan(z).skip(offset).take(limit) {
            out.push(Reply::bulk(member));
            if with_scores {
                out.push(Reply::bulk(format_double(score)));
            }
        }
        Reply::Array(out)
    })
}

/// `ZREMRANGEBYSCORE key min max`: how many were removed.
pub fn zremrangebyscore(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let range = match Range::parse(&args[2], &args[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let access = Access::Write {
        missing: Reply::Int(0),
    };
    on_zset(l2, &args[1], access, |z| {
        let doomed: Vec<Vec<u8>> = range.scan(z).map(|(_, m)| m.to_vec()).collect();
        for m in &doomed {
            z.remove(m);
        }
        Reply::Int(doomed.len() as i64)
    })
}
