//! Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZCOUNT ZSCORE ZRANK ZREVRANK ZRANGE (BYSCORE BYLEX REV
//! LIMIT WITHSCORES) ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZREMRANGEBYSCORE ZPOPMIN ZPOPMAX.

use super::args::{c_str, float_arg, format_double, int_arg, is, strtod, syntax_error};
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
    /// Redis's `zslParseRange`, or `ERR min or max is not a float`. Unlike scores, bounds are
    /// read by a bare `strtod` up to the first NUL: blanks before the number, an empty bound
    /// (0), `-1e400` (-inf) and hexadecimal are accepted; only trailing text and NaN are not.
    fn parse(min: &[u8], max: &[u8]) -> Result<Range, Reply> {
        let number = |arg: &[u8]| {
            let arg = c_str(arg);
            let (x, read, _) = strtod(arg);
            (read == arg.len() && !x.is_nan()).then_some(x)
        };
        let bound = |arg: &[u8]| match arg.strip_prefix(b"(") {
            Some(rest) => number(rest).map(|x| (x, true)),
            None => number(arg).map(|x| (x, false)),
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

    /// Whether `score` lies in the range.
    fn contains(&self, score: f64) -> bool {
        let above = if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        };
        let below = if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        };
        above && below
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

/// How ZRANGE selects members.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RangeBy {
    Rank,
    Score,
    Lex,
}

/// A lexicographic bound (`-`, `+`, `[x`, `(x`), Redis's `zslParseLexRangeItem`.
#[derive(Clone, Debug)]
enum LexBound {
    MinusInf,
    PlusInf,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

impl LexBound {
    fn parse(arg: &[u8]) -> Option<LexBound> {
        match arg {
            b"+" => Some(LexBound::PlusInf),
            b"-" => Some(LexBound::MinusInf),
            [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.to_vec())),
            [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.to_vec())),
            _ => None,
        }
    }

    /// `m` is at or above this bound taken as a minimum.
    fn below(&self, m: &[u8]) -> bool {
        match self {
            LexBound::MinusInf => true,
            LexBound::PlusInf => false,
            LexBound::Inclusive(b) => m >= &b[..],
            LexBound::Exclusive(b) => m > &b[..],
        }
    }

    /// `m` is at or below this bound taken as a maximum.
    fn above(&self, m: &[u8]) -> bool {
        match self {
            LexBound::MinusInf => false,
            LexBound::PlusInf => true,
            LexBound::Inclusive(b) => m <= &b[..],
            LexBound::Exclusive(b) => m < &b[..],
        }
    }
}

/// The members a ZRANGE-family command selects, in reply order, before LIMIT.
fn select<'z>(
    z: &'z SortedSet,
    by: RangeBy,
    reverse: bool,
    bounds: &Bounds,
) -> Vec<(f64, &'z [u8])> {
    // Ranks and scores are found without walking the whole set, so a range near either end
    // (the rate limiters' newest entry, an expiry sweep) costs its length, not the set's.
    let ordered = || -> Vec<(f64, &[u8])> {
        if reverse {
            z.iter().rev().collect()
        } else {
            z.iter().collect()
        }
    };
    match (by, bounds) {
        (RangeBy::Rank, Bounds::Rank(start, end)) => {
            let len = z.len();
            match super::list::clip_range(*start, *end, len) {
                Some((a, b)) if reverse => z.iter().rev().skip(a).take(b - a + 1).collect(),
                Some((a, b)) if a > len / 2 => {
                    let mut tail: Vec<_> =
                        z.iter().rev().skip(len - 1 - b).take(b - a + 1).collect();
                    tail.reverse();
                    tail
                }
                Some((a, b)) => z.iter().skip(a).take(b - a + 1).collect(),
                None => Vec::new(),
            }
        }
        (RangeBy::Score, Bounds::Score(range)) if !reverse => range.scan(z).collect(),
        (RangeBy::Score, Bounds::Score(range)) => ordered()
            .into_iter()
            .filter(|(s, _)| range.contains(*s))
            .collect(),
        (RangeBy::Lex, Bounds::Lex(min, max)) => {
            // Redis walks from one end to the first member inside the range, then on while
            // members stay inside: with unequal scores the order is by score, so this is what
            // Redis returns, not a filter.
            let (first, last) = if reverse { (max, min) } else { (min, max) };
            let starts = |m: &[u8]| {
                if reverse {
                    first.above(m)
                } else {
                    first.below(m)
                }
            };
            let stays = |m: &[u8]| {
                if reverse {
                    last.below(m)
                } else {
                    last.above(m)
                }
            };
            ordered()
                .into_iter()
                .skip_while(|(_, m)| !starts(m))
                .take_while(|(_, m)| stays(m))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Parsed bounds of a ZRANGE-family command.
enum Bounds {
    Rank(i64, i64),
    Score(Range),
    Lex(LexBound, LexBound),
}

/// Redis's `zrangeGenericCommand`: `by` and `reverse` are fixed by the command (`None`: chosen
/// by the options, as ZRANGE does).
fn zrange_generic(
    l2: &mut L2,
    args: &[Vec<u8>],
    fixed_by: Option<RangeBy>,
    fixed_reverse: Option<bool>,
) -> Reply {
    let (mut by, mut reverse) = (fixed_by, fixed_reverse);
    let (mut with_scores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = 4;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if is(a, "withscores") {
            with_scores = true;
        } else if is(a, "limit") && left >= 2 {
            match (int_arg(&args[j + 1]), int_arg(&args[j + 2])) {
                (Ok(o), Ok(l)) => (offset, limit) = (o, l),
                (Err(e), _) | (_, Err(e)) => return e,
            }
            j += 2;
        } else if reverse.is_none() && is(a, "rev") {
            reverse = Some(true);
        } else if by.is_none() && is(a, "bylex") {
            by = Some(RangeBy::Lex);
        } else if by.is_none() && is(a, "byscore") {
            by = Some(RangeBy::Score);
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let (by, reverse) = (by.unwrap_or(RangeBy::Rank), reverse.unwrap_or(false));
    if limit != -1 && by == RangeBy::Rank {
        return Reply::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if with_scores && by == RangeBy::Lex {
        return Reply::err("syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    // BYSCORE and BYLEX take the range as max min when reversed.
    let (lo, hi) = if reverse && by != RangeBy::Rank {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let bounds = match by {
        RangeBy::Rank => match (int_arg(lo), int_arg(hi)) {
            (Ok(a), Ok(b)) => Bounds::Rank(a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        },
        RangeBy::Score => match Range::parse(lo, hi) {
            Ok(r) => Bounds::Score(r),
            Err(e) => return e,
        },
        RangeBy::Lex => match (LexBound::parse(lo), LexBound::parse(hi)) {
            (Some(a), Some(b)) => Bounds::Lex(a, b),
            _ => return Reply::err("min or max not valid string range item"),
        },
    };
    let access = Access::Read {
        missing: Reply::Array(vec![]),
    };
    on_zset(l2, &args[1], access, |z| {
        // A negative offset yields nothing and a negative count means "all", as in Redis.
        if offset < 0 && by != RangeBy::Rank {
            return Reply::Array(vec![]);
        }
        // usize is 32 bits on wasm32: saturate rather than truncate.
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for (score, member) in select(z, by, reverse, &bounds)
            .into_iter()
            .skip(offset)
            .take(limit)
        {
            out.push(Reply::bulk(member));
            if with_scores {
                out.push(Reply::bulk(format_double(score)));
            }
        }
        Reply::Array(out)
    })
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`.
pub fn zrange(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    zrange_generic(l2, args, None, None)
}

/// `ZREVRANGE key start stop [WITHSCORES]`.
pub fn zrevrange(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    zrange_generic(l2, args, Some(RangeBy::Rank), Some(true))
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`.
pub fn zrangebyscore(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    zrange_generic(l2, args, Some(RangeBy::Score), Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`.
pub fn zrevrangebyscore(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    zrange_generic(l2, args, Some(RangeBy::Score), Some(true))
}

/// `ZSCORE key member`.
pub fn zscore(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let access = Access::Read {
        missing: Reply::Nil,
    };
    on_zset(l2, &args[1], access, |z| {
        z.score(&args[2])
            .map_or(Reply::Nil, |s| Reply::bulk(format_double(s.get())))
    })
}

fn rank_generic(l2: &mut L2, args: &[Vec<u8>], reverse: bool) -> Reply {
    let access = Access::Read {
        missing: Reply::Nil,
    };
    on_zset(l2, &args[1], access, |z| {
        let rank = z.iter().position(|(_, m)| m == &args[2][..]);
        match rank {
            Some(r) if reverse => Reply::Int((z.len() - 1 - r) as i64),
            Some(r) => Reply::Int(r as i64),
            None => Reply::Nil,
        }
    })
}

/// `ZRANK key member`: 0-based position by ascending score.
pub fn zrank(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    rank_generic(l2, args, false)
}

/// `ZREVRANK key member`.
pub fn zrevrank(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    rank_generic(l2, args, true)
}

/// `ZINCRBY key increment member`: the new score.
pub fn zincrby(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let zadd_args = [
        args[0].clone(),
        args[1].clone(),
        b"INCR".to_vec(),
        args[2].clone(),
        args[3].clone(),
    ];
    zadd(l2, &zadd_args)
}

fn pop_generic(l2: &mut L2, args: &[Vec<u8>], max: bool) -> Reply {
    let count = match args {
        [_, _] => 1,
        [_, _, count] => match int_arg(count) {
            Ok(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Reply::err("value is out of range, must be positive"),
        },
        _ => return syntax_error(),
    };
    let access = Access::Write {
        missing: Reply::Array(vec![]),
    };
    on_zset(l2, &args[1], access, |z| {
        let picked: Vec<(f64, Vec<u8>)> = if max {
            z.iter()
                .rev()
                .take(count)
                .map(|(s, m)| (s, m.to_vec()))
                .collect()
        } else {
            z.iter().take(count).map(|(s, m)| (s, m.to_vec())).collect()
        };
        let mut out = Vec::new();
        for (score, member) in picked {
            z.remove(&member);
            out.push(Reply::Bulk(member));
            out.push(Reply::bulk(format_double(score)));
        }
        Reply::Array(out)
    })
}

/// `ZPOPMIN key [count]`: member, score, ... from the lowest score.
pub fn zpopmin(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    pop_generic(l2, args, false)
}

/// `ZPOPMAX key [count]`: from the highest score.
pub fn zpopmax(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    pop_generic(l2, args, true)
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
