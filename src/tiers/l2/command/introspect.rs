//! What the eviction and memory lessons look inside a key with: OBJECT ENCODING / FREQ /
//! IDLETIME and MEMORY USAGE, answered from the model's own data (its LRU clock, its LFU
//! counter, its memory estimate).
//!
//! - `OBJECT ENCODING` follows Redis 7.0's rules from the value as it is now (`int` / `embstr` up
//!   to 44 bytes / `raw`; `quicklist`; `intset` / `hashtable`; `listpack` / `hashtable` and
//!   `listpack` / `skiplist` up to 128 entries of at most 64 bytes). Redis never converts back
//!   to the compact form, keeps a string that APPEND or SETRANGE wrote as `raw` and one that MSET
//!   wrote as `embstr` even when it is a number; the model does not remember that history.
//! - `OBJECT IDLETIME` is whole seconds since the last access on the simulated clock (Redis's
//!   LRU clock has one-second ticks, so it can read one second more).
//! - `OBJECT FREQ` is the LFU counter after its decay, as Redis reports it; the counter grows
//!   with the model's seeded draws.
//! - `MEMORY USAGE` is the model's estimate for the key (see the module docs of `tiers::l2`),
//!   not an allocator's count, so it is smaller than Redis's.

use super::args::{int_arg, is, is_name, parse_i64, syntax_error};
use super::{arity_error, for_error};
use crate::tiers::l2::evict;
use crate::tiers::l2::{Lookup, Reply, Value, L2};

/// Redis 7.0's name for how `value` would be stored.
pub fn encoding(value: &Value) -> &'static str {
    let small = |n: usize, longest: usize| n <= 128 && longest <= 64;
    match value {
        Value::Str(s) if s.len() <= 20 && parse_i64(s).is_some() => "int",
        Value::Str(s) if s.len() <= 44 => "embstr",
        Value::Str(_) => "raw",
        Value::List(_) => "quicklist",
        Value::Set(s) if s.len() <= 512 && s.iter().all(|m| parse_i64(m).is_some()) => "intset",
        Value::Set(_) => "hashtable",
        Value::Hash(h) => {
            let longest = h
                .iter()
                .map(|(f, v)| f.len().max(v.len()))
                .max()
                .unwrap_or(0);
            if small(h.len(), longest) {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Value::ZSet(z) => {
            let longest = z.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
            if small(z.len(), longest) {
                "listpack"
            } else {
                "skiplist"
            }
        }
    }
}

const SWITCHING_NOTE: &str = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// `OBJECT ENCODING|FREQ|IDLETIME key`.
pub fn object(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let sub = &args[1];
    let known = ["encoding", "freq", "idletime", "refcount"];
    let Some(name) = known.into_iter().find(|n| is_name(sub, n)) else {
        return Reply::err(format!(
            "unknown subcommand '{}'. Try OBJECT HELP.",
            for_error(sub, 128)
        ));
    };
    if args.len() != 3 {
        return arity_error(&format!("object|{name}"));
    }
    if name == "refcount" {
        return Reply::err(
            "the playground does not model reference counts (Redis shares small integers between keys)",
        );
    }
    // Redis looks the key up without touching it, but counts the hit or miss.
    let Some(i) = l2.lookup(&args[2], Lookup::ReadNoTouch) else {
        return Reply::Nil;
    };
    let lfu = l2.config.policy.is_lfu();
    let entry = l2.db.entry(i);
    match name {
        "encoding" => Reply::bulk(encoding(&entry.value)),
        "freq" if lfu => {
            let minute = l2.now.as_millis() / 60_000;
            Reply::Int(evict::lfu_decayed(entry, minute, l2.config.lfu_decay_time) as i64)
        }
        "freq" => Reply::err(format!(
            "An LFU maxmemory policy is not selected, access frequency not tracked. {SWITCHING_NOTE}"
        )),
        _ if lfu => Reply::err(format!(
            "An LRU maxmemory policy is not selected, access time not tracked. {SWITCHING_NOTE}"
        )),
        _ => Reply::Int((l2.now.as_millis().saturating_sub(entry.lru_ms) / 1_000) as i64),
    }
}

/// `MEMORY USAGE key [SAMPLES count]`: the model's estimate in bytes, or nil. Like Redis it
/// neither counts a hit nor removes an expired key.
pub fn memory(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    let sub = &args[1];
    if !is_name(sub, "usage") {
        return Reply::err(format!(
            "the playground answers only MEMORY USAGE key (not '{}'); INFO memory shows the total",
            for_error(sub, 128)
        ));
    }
    if args.len() < 3 {
        return arity_error("memory|usage");
    }
    match &args[3..] {
        [] => {}
        [opt, n] if is(opt, "samples") => {
            if let Err(e) = int_arg(n) {
                return e;
            }
        }
        _ => return syntax_error(),
    }
    match l2.db.find(&args[2]) {
        Some(i) => Reply::Int(l2.db.entry(i).memory as i64),
        None => Reply::Nil,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_7_0_rules() {
        let mut l2 = L2::new();
        let mut run = |line: &str| l2.exec(line).unwrap().unwrap().to_cli_string();
        run("SET n 12345");
        run("SET s hello");
        run(&format!("SET r {}", "x".repeat(45)));
        run("SADD ints 1 2 3");
        run("RPUSH l a");
        assert_eq!(run("OBJECT ENCODING n"), "\"int\"");
        assert_eq!(run("OBJECT ENCODING s"), "\"embstr\"");
        assert_eq!(run("OBJECT ENCODING r"), "\"raw\"");
        assert_eq!(run("OBJECT ENCODING ints"), "\"intset\"");
        assert_eq!(run("OBJECT ENCODING l"), "\"quicklist\"");
        assert_eq!(run("OBJECT ENCODING none"), "(nil)");
        assert!(run("OBJECT FREQ n").contains("LFU maxmemory policy is not selected"));
        // 40 per key + sds("s") 8 + sds("hello") 8.
        assert_eq!(run("MEMORY USAGE s"), "(integer) 56");
        assert_eq!(run("MEMORY USAGE none"), "(nil)");
    }

    #[test]
    fn freq_and_idletime_come_from_the_models_counters() {
        let mut l2 = L2::new();
        l2.exec("CONFIG SET maxmemory-policy allkeys-lfu").unwrap();
        l2.exec("SET hot v").unwrap();
        for _ in 0..200 {
            l2.exec("GET hot").unwrap();
        }
        let freq = l2.exec("OBJECT FREQ hot").unwrap().unwrap();
        assert!(matches!(freq, Reply::Int(n) if n > 5), "{freq:?}");
        l2.exec("CONFIG SET maxmemory-policy allkeys-lru").unwrap();
        l2.exec("GET hot").unwrap();
        l2.exec("DEBUG SLEEP 3.5").unwrap();
        assert_eq!(l2.exec("OBJECT IDLETIME hot").unwrap(), Some(Reply::Int(3)));
    }
}
