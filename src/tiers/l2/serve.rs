//! The model answers the shared-cache interface's commands ([`Cmd`]) through the same checks as
//! the console (`processCommand`'s sizes, arity, memory and MULTI queueing: one function,
//! `command::dispatch_with`), so a command touches the model's counters (hits, misses, memory)
//! exactly as its Redis twin does. Each arm names its command's item instead of looking the name
//! up, so a build that only runs strategies links these commands and not the whole table. GET,
//! SET, DEL, PEXPIRE, PTTL and INCRBY run their bodies on typed arguments, which keeps the
//! model's microsecond TTLs; inside MULTI every arm is queued in its text form (TTLs rounded up
//! to whole milliseconds, as a real Redis gets them).

use super::command::{commands as c, dispatch_item, dispatch_with, keyspace, string};
use super::{Reply, L2};
use crate::sim::SimDuration;
use crate::strategy::{Cmd, Server, SetWhen};

impl Server for L2 {
    fn call(&mut self, cmd: Cmd<'_>) -> Reply {
        match cmd {
            Cmd::Get(key) => dispatch_with(self, &c::GET, &[b"GET", key], |l2| {
                string::get_reply(l2, key)
            }),
            Cmd::Set {
                key,
                value,
                ttl,
                when,
            } => {
                let ms = ttl.map(Decimal::ms);
                let mut args: [&[u8]; 6] = [b"SET", key, value, b"", b"", b""];
                let mut n = 3;
                for arg in [
                    ms.as_ref().map(|_| &b"PX"[..]),
                    ms.as_ref().map(Decimal::as_bytes),
                ]
                .into_iter()
                .chain([match when {
                    SetWhen::Always => None,
                    SetWhen::Absent => Some(&b"NX"[..]),
                    SetWhen::Present => Some(&b"XX"[..]),
                }])
                .flatten()
                {
                    args[n] = arg;
                    n += 1;
                }
                dispatch_with(self, &c::SET, &args[..n], |l2| {
                    string::set_for(l2, key, value, ttl, when)
                })
            }
            Cmd::Del(key) => dispatch_with(self, &c::DEL, &[b"DEL", key], |l2| {
                Reply::Int(i64::from(l2.delete_key(key)))
            }),
            Cmd::Exists(key) => dispatch_item(self, &c::EXISTS, &[b"EXISTS", key]),
            Cmd::Expire(key, ttl) => {
                let ms = Decimal::ms(ttl);
                dispatch_with(self, &c::PEXPIRE, &[b"PEXPIRE", key, ms.as_bytes()], |l2| {
                    keyspace::pexpire_for(l2, key, ttl)
                })
            }
            Cmd::Persist(key) => dispatch_item(self, &c::PERSIST, &[b"PERSIST", key]),
            Cmd::Ttl(key) => dispatch_with(self, &c::PTTL, &[b"PTTL", key], |l2| {
                keyspace::pttl_us(l2, key)
            }),
            Cmd::IncrBy(key, by) => {
                let by_text = Decimal::of(by);
                dispatch_with(
                    self,
                    &c::INCRBY,
                    &[b"INCRBY", key, by_text.as_bytes()],
                    |l2| string::incr_by(l2, key, by).map_or_else(|e| e, Reply::Int),
                )
            }
            Cmd::SAdd(key, members) => {
                dispatch_item(self, &c::SADD, &[&[b"SADD", key], members].concat())
            }
            Cmd::SRem(key, members) => {
                dispatch_item(self, &c::SREM, &[&[b"SREM", key], members].concat())
            }
            Cmd::SMembers(key) => dispatch_item(self, &c::SMEMBERS, &[b"SMEMBERS", key]),
            Cmd::SCard(key) => dispatch_item(self, &c::SCARD, &[b"SCARD", key]),
            Cmd::ZAdd { key, score, member } => {
                let score = Decimal::of(score);
                dispatch_item(self, &c::ZADD, &[b"ZADD", key, score.as_bytes(), member])
            }
            Cmd::ZRemUpTo(key, max) => {
                let max = Decimal::of(max);
                let args: [&[u8]; 4] = [b"ZREMRANGEBYSCORE", key, b"-inf", max.as_bytes()];
                dispatch_item(self, &c::ZREMRANGEBYSCORE, &args)
            }
            Cmd::ZCard(key) => dispatch_item(self, &c::ZCARD, &[b"ZCARD", key]),
            // By rank from the end: a full log of thousands is not walked on every request.
            Cmd::ZLast(key) => {
                let args: [&[u8]; 5] = [b"ZRANGE", key, b"-1", b"-1", b"WITHSCORES"];
                dispatch_item(self, &c::ZRANGE, &args)
            }
            Cmd::HSet(key, pairs) => {
                let mut args: Vec<&[u8]> = vec![b"HSET", key];
                for (field, value) in pairs {
                    args.extend([*field, *value]);
                }
                dispatch_item(self, &c::HSET, &args)
            }
            Cmd::HGet(key, field) => dispatch_item(self, &c::HGET, &[b"HGET", key, field]),
            Cmd::Keys(pattern) => dispatch_item(self, &c::KEYS, &[b"KEYS", pattern]),
        }
    }
}

/// A whole number as a command argument, formatted on the stack (the hot path allocates
/// nothing for it).
struct Decimal {
    digits: [u8; 20],
    len: usize,
}

impl Decimal {
    /// `n` in decimal (an `i64` or `u64` takes at most 20 bytes).
    fn of(n: impl std::fmt::Display) -> Decimal {
        use std::io::Write;
        let mut digits = [0; 20];
        let mut rest = &mut digits[..];
        // Cannot fail: 20 bytes hold any i64 or u64.
        write!(rest, "{n}").ok();
        let len = 20 - rest.len();
        Decimal { digits, len }
    }

    /// A TTL as PX/PEXPIRE milliseconds, as a real Redis is sent it: rounded up, at least 1.
    fn ms(ttl: SimDuration) -> Decimal {
        Decimal::of(ttl.as_micros().div_ceil(1_000).max(1))
    }

    fn as_bytes(&self) -> &[u8] {
        &self.digits[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, SimTime};
    use crate::tiers::l2::{info, L2Config, L2Error, MaxmemoryPolicy};

    /// A model with one key of each type, a string with a TTL, a number, and a key whose TTL
    /// has passed but that nothing has removed yet (for lazy expiry), at a clock in whole
    /// milliseconds (so PTTL's milliseconds are the typed path's microseconds / 1000).
    fn model(config: &L2Config) -> L2 {
        let mut l2 = L2::with_config(config.clone());
        for line in [
            "SET s v PX 5000",
            "SET n 5",
            "SET gone x PX 10",
            "SADD set a b",
            "ZADD z 1 a 2 b",
            "HSET h f v",
        ] {
            l2.exec(line).unwrap();
        }
        l2.advance_to(SimTime(20_000));
        l2
    }

    /// Everything a user of the model sees besides replies: INFO, the counters, memory, each
    /// key with its value and TTL, and whether a transaction is open.
    fn observed(l2: &L2) -> String {
        let mut keys: Vec<String> = l2
            .db
            .slots()
            .map(|i| {
                let e = l2.db.entry(i);
                format!("{:?}={:?}@{:?}", l2.db.key(i), e.value, e.expires_at)
            })
            .collect();
        keys.sort();
        format!(
            "{}\n{:?} {} {keys:?} {}",
            info::info_text(l2, &[]),
            l2.stats(),
            l2.used_memory(),
            l2.in_transaction()
        )
    }

    /// Each `Cmd` arm (and its error and edge cases), with the line a console user types for it.
    fn cases() -> Vec<(Cmd<'static>, &'static str)> {
        let set = |key, ttl, when| Cmd::Set {
            key,
            value: b"w",
            ttl,
            when,
        };
        let secs = |s| Some(SimDuration::from_secs(s));
        vec![
            (Cmd::Get(b"s"), "GET s"),
            (Cmd::Get(b"gone"), "GET gone"),
            (Cmd::Get(b"set"), "GET set"),
            (set(b"s", None, SetWhen::Always), "SET s w"),
            (set(b"new", secs(3), SetWhen::Always), "SET new w PX 3000"),
            (set(b"s", None, SetWhen::Absent), "SET s w NX"),
            (
                set(b"gone", secs(3), SetWhen::Absent),
                "SET gone w PX 3000 NX",
            ),
            (set(b"new", None, SetWhen::Present), "SET new w XX"),
            (set(b"n", secs(1), SetWhen::Present), "SET n w PX 1000 XX"),
            (Cmd::Del(b"n"), "DEL n"),
            (Cmd::Del(b"gone"), "DEL gone"),
            (Cmd::Exists(b"s"), "EXISTS s"),
            (Cmd::Exists(b"gone"), "EXISTS gone"),
            (
                Cmd::Expire(b"n", SimDuration::from_secs(2)),
                "PEXPIRE n 2000",
            ),
            (
                Cmd::Expire(b"gone", SimDuration::from_secs(2)),
                "PEXPIRE gone 2000",
            ),
            (Cmd::Persist(b"s"), "PERSIST s"),
            (Cmd::Persist(b"n"), "PERSIST n"),
            (Cmd::Ttl(b"s"), "PTTL s"),
            (Cmd::Ttl(b"n"), "PTTL n"),
            (Cmd::Ttl(b"gone"), "PTTL gone"),
            (Cmd::IncrBy(b"n", 3), "INCRBY n 3"),
            (Cmd::IncrBy(b"new", -3), "INCRBY new -3"),
            (Cmd::IncrBy(b"s", 1), "INCRBY s 1"),
            (Cmd::IncrBy(b"n", i64::MAX), "INCRBY n 9223372036854775807"),
            (Cmd::SAdd(b"set", &[b"c", b"a"]), "SADD set c a"),
            (Cmd::SAdd(b"s", &[b"c"]), "SADD s c"),
            (Cmd::SRem(b"set", &[b"a", b"x"]), "SREM set a x"),
            (Cmd::SMembers(b"set"), "SMEMBERS set"),
            (Cmd::SCard(b"set"), "SCARD set"),
            (Cmd::SCard(b"gone"), "SCARD gone"),
            (
                Cmd::ZAdd {
                    key: b"z",
                    score: -7,
                    member: b"c",
                },
                "ZADD z -7 c",
            ),
            (Cmd::ZRemUpTo(b"z", 1), "ZREMRANGEBYSCORE z -inf 1"),
            (Cmd::ZCard(b"z"), "ZCARD z"),
            (Cmd::ZLast(b"z"), "ZRANGE z -1 -1 WITHSCORES"),
            (Cmd::ZLast(b"none"), "ZRANGE none -1 -1 WITHSCORES"),
            (
                Cmd::HSet(b"h", &[(b"f", b"w"), (b"g", b"x")]),
                "HSET h f w g x",
            ),
            (Cmd::HGet(b"h", b"f"), "HGET h f"),
            (Cmd::HGet(b"set", b"f"), "HGET set f"),
            (Cmd::Keys(b"*"), "KEYS *"),
        ]
    }

    /// Runs every case on two equal models, typed on one and as a console line on the other,
    /// after `before` (console lines run on both), and compares replies and what is observed;
    /// `after` (console lines on both) then runs and its replies are compared too.
    fn typed_equals_console(config: &L2Config, before: &[&str], after: &[&str]) {
        for (cmd, line) in cases() {
            let (mut typed, mut console) = (model(config), model(config));
            for l2 in [&mut typed, &mut console] {
                for line in before {
                    l2.exec(line).unwrap();
                }
            }
            let got = typed.call(cmd);
            let mut want = console.exec(line).unwrap().unwrap();
            if let (Cmd::Ttl(_), Reply::Int(ms @ 0..)) = (cmd, &want) {
                want = Reply::Int(ms * 1_000);
            }
            // The typed PTTL is an observer's look: it counts no keyspace hit or miss, which
            // the recorded runs (tests/golden) depend on.
            if matches!(cmd, Cmd::Ttl(_)) && !console.in_transaction() {
                console.stats = typed.stats;
            }
            assert_eq!(got, want, "{line} after {before:?}");
            assert_eq!(
                observed(&typed),
                observed(&console),
                "{line} after {before:?}"
            );
            for line in after {
                let replies = [&mut typed, &mut console].map(|l2| l2.exec(line).unwrap());
                assert_eq!(replies[0], replies[1], "{line} after {before:?}");
                assert_eq!(
                    observed(&typed),
                    observed(&console),
                    "{line} after {before:?}"
                );
            }
        }
    }

    #[test]
    fn each_command_answers_as_the_console_does() {
        typed_equals_console(&L2Config::default(), &[], &[]);
    }

    #[test]
    fn inside_multi_each_command_is_queued_and_exec_runs_it_as_the_console_does() {
        typed_equals_console(&L2Config::default(), &["MULTI"], &["EXEC"]);
    }

    #[test]
    fn without_memory_and_with_noeviction_writes_are_refused_with_oom() {
        let full = [
            "CONFIG SET maxmemory 1",
            "CONFIG SET maxmemory-policy noeviction",
        ];
        typed_equals_console(&L2Config::default(), &full, &[]);
        typed_equals_console(
            &L2Config::default(),
            &[full[0], full[1], "MULTI"],
            &["EXEC"],
        );
        let mut l2 = model(&L2Config::default());
        l2.exec(full[0]).unwrap();
        assert_eq!(l2.config().policy, MaxmemoryPolicy::NoEviction);
        let oom = Reply::Error(L2Error::OutOfMemory.to_string());
        assert_eq!(l2.call(Cmd::IncrBy(b"n", 1)), oom);
    }

    #[test]
    fn too_long_arguments_are_refused_as_the_console_refuses_them() {
        // Four bytes: the setup fits; PEXPIRE, ZREMRANGEBYSCORE, WITHSCORES and a long number
        // do not, and the name counts too.
        let short = L2Config {
            max_value_len: 4,
            ..L2Config::default()
        };
        typed_equals_console(&short, &[], &[]);
        typed_equals_console(&short, &["MULTI"], &["EXEC"]);
        let mut l2 = model(&short);
        let long = Reply::Error(L2Error::ValueTooLarge.to_string());
        assert_eq!(l2.call(Cmd::Get(b"longer")), long);
        assert_eq!(l2.exec("GET longer").unwrap(), Some(long));
    }

    #[test]
    fn ttls_keep_microseconds_and_say_minus_one_or_two() {
        let mut l2 = L2::new();
        let ttl = Some(SimDuration(1_500));
        let set = |key| Cmd::Set {
            key,
            value: b"v",
            ttl,
            when: SetWhen::Always,
        };
        assert_eq!(l2.call(set(b"a")), Reply::OK);
        l2.advance_to(SimTime(1));
        assert_eq!(l2.call(Cmd::Ttl(b"a")), Reply::Int(1_499));
        l2.call(Cmd::Persist(b"a"));
        assert_eq!(l2.call(Cmd::Ttl(b"a")), Reply::Int(-1));
        assert_eq!(l2.call(Cmd::Ttl(b"b")), Reply::Int(-2));
        let xx = Cmd::Set {
            key: b"b",
            value: b"v",
            ttl: None,
            when: SetWhen::Present,
        };
        assert_eq!(l2.call(xx), Reply::Nil);
    }

    #[test]
    fn the_last_of_a_sorted_set_is_its_highest_score() {
        let mut l2 = L2::new();
        for (score, member) in [(5, "a"), (9, "b"), (7, "c")] {
            let member = member.as_bytes();
            l2.call(Cmd::ZAdd {
                key: b"z",
                score,
                member,
            });
        }
        assert_eq!(l2.call(Cmd::ZLast(b"z")), Reply::bulks(["b", "9"]));
        assert_eq!(l2.call(Cmd::ZRemUpTo(b"z", 7)), Reply::Int(2));
        assert_eq!(l2.call(Cmd::ZLast(b"nope")), Reply::Array(vec![]));
    }
}
