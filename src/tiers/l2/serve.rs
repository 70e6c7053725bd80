//! The model answers the shared-cache interface's commands ([`Cmd`]): the typed commands keep
//! the model's microsecond TTLs, the others run as the console would run them, so a command
//! touches the model's counters (hits, misses, memory) exactly as its Redis twin does.

use super::{Reply, L2};
use crate::strategy::{Cmd, Server, SetWhen};

impl Server for L2 {
    fn call(&mut self, cmd: Cmd<'_>) -> Reply {
        let failed = |e: super::L2Error| Reply::Error(e.to_string());
        match cmd {
            Cmd::Get(key) => match self.get(key) {
                Ok(Some(value)) => Reply::Bulk(value),
                Ok(None) => Reply::Nil,
                Err(e) => failed(e),
            },
            Cmd::Set {
                key,
                value,
                ttl,
                when,
            } => {
                let stored = match when {
                    SetWhen::Always => self.set(key, value, ttl).map(|()| true),
                    SetWhen::Absent => self.set_nx(key, value, ttl),
                    SetWhen::Present => match self.live_slot(key) {
                        Some(_) => self.set(key, value, ttl).map(|()| true),
                        None => Ok(false),
                    },
                };
                match stored {
                    Ok(true) => Reply::OK,
                    Ok(false) => Reply::Nil,
                    Err(e) => failed(e),
                }
            }
            Cmd::Del(key) => Reply::Int(i64::from(self.del(key))),
            Cmd::Exists(key) => self.run(&[b"EXISTS", key]),
            Cmd::Expire(key, ttl) => Reply::Int(i64::from(self.expire(key, ttl))),
            Cmd::Persist(key) => self.run(&[b"PERSIST", key]),
            Cmd::Ttl(key) => Reply::Int(match self.live_slot(key) {
                None => -2,
                Some(i) => match self.db.entry(i).expires_at {
                    None => -1,
                    Some(t) => i64::try_from(self.remaining_us(t)).unwrap_or(i64::MAX),
                },
            }),
            Cmd::IncrBy(key, by) => self.incr_by(key, by).map_or_else(|e| e, Reply::Int),
            Cmd::SAdd(key, members) => self.run_with(b"SADD", key, members),
            Cmd::SRem(key, members) => self.run_with(b"SREM", key, members),
            Cmd::SMembers(key) => self.run(&[b"SMEMBERS", key]),
            Cmd::SCard(key) => self.run(&[b"SCARD", key]),
            Cmd::ZAdd { key, score, member } => {
                self.run(&[b"ZADD", key, score.to_string().as_bytes(), member])
            }
            Cmd::ZRemUpTo(key, max) => self.run(&[
                b"ZREMRANGEBYSCORE",
                key,
                b"-inf",
                max.to_string().as_bytes(),
            ]),
            Cmd::ZCard(key) => self.run(&[b"ZCARD", key]),
            // By rank from the end: a full log of thousands is not walked on every request.
            Cmd::ZLast(key) => self.run(&[b"ZRANGE", key, b"-1", b"-1", b"WITHSCORES"]),
            Cmd::HSet(key, pairs) => {
                let mut args: Vec<&[u8]> = vec![b"HSET", key];
                for (field, value) in pairs {
                    args.extend([*field, *value]);
                }
                self.run(&args)
            }
            Cmd::HGet(key, field) => self.run(&[b"HGET", key, field]),
            Cmd::Keys(pattern) => self.run(&[b"KEYS", pattern]),
        }
    }
}

impl L2 {
    /// Runs one command given as byte strings, as the console does.
    fn run(&mut self, args: &[&[u8]]) -> Reply {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        self.exec_args(&args)
    }

    /// `NAME key member…`.
    fn run_with(&mut self, name: &[u8], key: &[u8], members: &[&[u8]]) -> Reply {
        let mut args: Vec<&[u8]> = vec![name, key];
        args.extend_from_slice(members);
        self.run(&args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, SimTime};

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
