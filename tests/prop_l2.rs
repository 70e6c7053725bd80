#![cfg(not(target_arch = "wasm32"))]
//! Property: without TTLs, the L2 model behaves like a plain `BTreeMap` of strings.
//!
//! Random sequences of SET/GET/DEL/EXISTS/APPEND/STRLEN/INCRBY over a few keys (so that commands
//! collide) run against both, through the typed API, `exec_args` and `exec` text; every reply,
//! the key count after every command, and the whole contents at the end must agree. Values mix
//! integers (so INCRBY succeeds, overflows at the i64 edges, and APPEND can glue digits into new
//! numbers) with arbitrary bytes (so INCRBY must refuse them).

use cachelab::tiers::l2::Reply;
use cachelab::tiers::L2;
use proptest::prelude::*;
use std::collections::BTreeMap;

const KEYS: [&[u8]; 4] = [b"a", b"b", b"user:1", b"k\x00\xff"];

#[derive(Clone, Debug)]
enum Op {
    Set(usize, Vec<u8>),
    Get(usize),
    Del(Vec<usize>),
    Exists(Vec<usize>),
    Append(usize, Vec<u8>),
    Strlen(usize),
    IncrBy(usize, i64),
}

/// How a command reaches the model.
#[derive(Clone, Copy, Debug)]
enum Path {
    Typed,
    Args,
    Text,
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| n.to_string().into_bytes()),
        prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(i64::MAX - 1)]
            .prop_map(|n| n.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..8),
        prop::sample::select(vec!["", "0", "-0", "007", "+1", " 1", "1 ", "-", "12a"])
            .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let keys = prop::collection::vec(key.clone(), 1..4);
    prop_oneof![
        3 => (key.clone(), value()).prop_map(|(k, v)| Op::Set(k, v)),
        2 => key.clone().prop_map(Op::Get),
        1 => keys.clone().prop_map(Op::Del),
        1 => keys.prop_map(Op::Exists),
        2 => (key.clone(), value()).prop_map(|(k, v)| Op::Append(k, v)),
        1 => key.clone().prop_map(Op::Strlen),
        2 => (key, prop_oneof![-100i64..100, Just(i64::MAX), Just(i64::MIN)]).prop_map(|(k, by)| Op::IncrBy(k, by)),
    ]
}

fn path() -> impl Strategy<Value = Path> {
    prop_oneof![Just(Path::Typed), Just(Path::Args), Just(Path::Text)]
}

/// Redis's rule for an integer string: `0`, or an optional `-` then digits without a leading
/// zero, within i64. Written out again here rather than borrowed from the model under test.
fn as_integer(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = text == "0"
        || (digits.starts_with(|c: char| ('1'..='9').contains(&c))
            && digits.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| text.parse().ok()).flatten()
}

/// The reference: what each command should reply, on a plain map.
fn expected(map: &mut BTreeMap<Vec<u8>, Vec<u8>>, op: &Op) -> Reply {
    let key = |i: &usize| KEYS[*i].to_vec();
    match op {
        Op::Set(k, v) => {
            map.insert(key(k), v.clone());
            Reply::OK
        }
        Op::Get(k) => map.get(&key(k)).map_or(Reply::Nil, Reply::bulk),
        Op::Del(ks) => {
            Reply::Int(ks.iter().filter(|k| map.remove(&key(k)).is_some()).count() as i64)
        }
        Op::Exists(ks) => {
            Reply::Int(ks.iter().filter(|k| map.contains_key(&key(k))).count() as i64)
        }
        Op::Append(k, v) => {
            let stored = map.entry(key(k)).or_default();
            stored.extend_from_slice(v);
            Reply::Int(stored.len() as i64)
        }
        Op::Strlen(k) => Reply::Int(map.get(&key(k)).map_or(0, Vec::len) as i64),
        Op::IncrBy(k, by) => {
            let current = match map.get(&key(k)) {
                None => 0,
                Some(v) => match as_integer(v) {
                    Some(n) => n,
                    None => return Reply::err("value is not an integer or out of range"),
                },
            };
            match current.checked_add(*by) {
                Some(n) => {
                    map.insert(key(k), n.to_string().into_bytes());
                    Reply::Int(n)
                }
                None => Reply::err("increment or decrement would overflow"),
            }
        }
    }
}

/// The command as arguments.
fn args(op: &Op) -> Vec<Vec<u8>> {
    let key = |i: &usize| KEYS[*i].to_vec();
    let command = |name: &str, rest: Vec<Vec<u8>>| {
        let mut all = vec![name.as_bytes().to_vec()];
        all.extend(rest);
        all
    };
    match op {
        Op::Set(k, v) => command("SET", vec![key(k), v.clone()]),
        Op::Get(k) => command("GET", vec![key(k)]),
        Op::Del(ks) => command("DEL", ks.iter().map(key).collect()),
        Op::Exists(ks) => command("EXISTS", ks.iter().map(key).collect()),
        Op::Append(k, v) => command("APPEND", vec![key(k), v.clone()]),
        Op::Strlen(k) => command("STRLEN", vec![key(k)]),
        Op::IncrBy(k, by) => command("INCRBY", vec![key(k), by.to_string().into_bytes()]),
    }
}

/// The command as a console line: every argument double-quoted with `\xHH` escapes, which
/// `split_args` (redis-cli's `sdssplitargs`) turns back into the same bytes.
fn text(op: &Op) -> String {
    args(op)
        .iter()
        .map(|arg| {
            let escaped: String = arg.iter().map(|b| format!("\\x{b:02x}")).collect();
            format!("\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `op` on the model through `path`; the typed API's results are turned into the reply
/// the same command would give.
fn actual(l2: &mut L2, op: &Op, path: Path) -> Reply {
    match (path, op) {
        (Path::Typed, Op::Set(k, v)) => l2
            .set(KEYS[*k], v, None)
            .map_or_else(|e| Reply::err(format!("{e:?}")), |()| Reply::OK),
        (Path::Typed, Op::Get(k)) => match l2.get(KEYS[*k]) {
            Ok(v) => v.map_or(Reply::Nil, Reply::Bulk),
            Err(e) => Reply::err(format!("{e:?}")),
        },
        (Path::Typed, Op::Del(ks)) => {
            Reply::Int(ks.iter().filter(|k| l2.del(KEYS[**k])).count() as i64)
        }
        (Path::Typed, Op::IncrBy(k, by)) => {
            l2.incr_by(KEYS[*k], *by).map_or_else(|e| e, Reply::Int)
        }
        (Path::Text, _) => l2
            .exec(&text(op))
            .expect("quoted line parses")
            .expect("line is not empty"),
        _ => l2.exec_args(&args(op)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn l2_matches_a_map_without_ttls(ops in prop::collection::vec((op(), path()), 1..120)) {
        let mut l2 = L2::new();
        let mut map = BTreeMap::new();
        for (i, (op, path)) in ops.iter().enumerate() {
            let want = expected(&mut map, op);
            let got = actual(&mut l2, op, *path);
            prop_assert_eq!(&got, &want, "command {}: {:?} via {:?}", i, op, path);
            prop_assert_eq!(l2.dbsize(), map.len() as u64, "command {}: {:?}", i, op);
        }
        for key in KEYS {
            prop_assert_eq!(l2.get(key).unwrap(), map.get(key).cloned());
        }
    }
}
