//! Tags: name a group of cached keys ("everything about product 7", "all price lists") and flush
//! the group in one call, without knowing its keys.
//!
//! Each tag is a Redis set in L2, `PREFIX:tag:NAME`, whose members are the tagged keys. Tagging
//! `SADD`s the key; [`Tags::invalidate_tag`] reads the members, deletes them and deletes the set.
//!
//! ## Tag sets must not grow forever
//!
//! Tagged keys expire or get evicted on their own, and nobody tells the tag set, so a set whose tag
//! is never flushed would collect dead names for ever. Two rules keep it bounded:
//!
//! - **A TTL that follows its members.** Each time a key with a TTL is tagged, the set's TTL is
//!   raised to that key's TTL if it is shorter, and never lowered. So the set lives at least as long
//!   as its longest-lived member and, once every member has expired, expires too. A key tagged
//!   without a TTL makes the set persistent (`PERSIST`), since such a member may live for ever.
//! - **Pruning that pays for itself.** When an add leaves the set larger than twice its size after
//!   the last pruning (and larger than [`PRUNE_FLOOR`]), the set is pruned: every member is checked
//!   with `EXISTS` and the dead ones are removed with one `SREM`. The size after pruning is kept in
//!   a companion key `PREFIX:tag:NAME:pruned` (with the set's TTL at that moment; should it expire
//!   first, the next add merely prunes early). A pruning of `s` members follows at least `s / 2`
//!   adds, so pruning costs at most two `EXISTS` per add on average, and the set never holds more
//!   than `max(2 × live members, PRUNE_FLOOR)` names.
//!
//! The alternative — checking a few members on every add — needs `SRANDMEMBER` or `SSCAN` to pick
//! them cheaply and gives no firm bound on the size; the amortised rule gives both with `SMEMBERS`.
//!
//! ## Through the shared-cache interface, across slots
//!
//! Tags speak to any [`Store`]: the model, or a real Redis. A tag's set and the keys it names
//! live in different slots of a Redis Cluster (a key is tagged by many tags), so no step here is
//! a script over all of them: each call sends its commands as pipelines (one round trip each),
//! and a pipeline's commands may go to different masters. That makes the pruning correct across
//! slots without being atomic — nor does it need to be: a member checked dead while another
//! client re-tags it is merely re-added by that client's `SADD`, and an `invalidate_tag` that
//! races an add leaves the new key in a set that is deleted with it (the key lives until its TTL,
//! as any key whose tag flush came first).

use crate::error::Result;
use crate::sim::SimDuration;
use crate::strategy::{all_ok, bulk_of, count_of, int_of, Cmd, SetWhen, Store};
use crate::tiers::l2::Reply;

/// Tag sets up to this size are never pruned: pruning tiny sets would cost more than it saves.
pub const PRUNE_FLOOR: u64 = 32;

/// Tags under one key prefix.
///
/// ```
/// use cachelab::manager::Tags;
/// use cachelab::sim::{Executor, SimDuration};
/// use cachelab::strategy::{SimL2, Store};
/// use cachelab::tiers::L2;
///
/// let exec = Executor::new();
/// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::from_millis(1));
/// let tags = Tags::new("app");
/// let ttl = Some(SimDuration::from_secs(60));
/// let run = exec.block_on(async {
///     tags.set(&store, b"product:7", b"{..}", ttl, &["product:7", "catalog"]).await?;
///     tags.set(&store, b"price:7", b"250", ttl, &["product:7"]).await?;
///     tags.set(&store, b"product:8", b"{..}", ttl, &["catalog"]).await?;
///     // Product 7 changed: drop everything cached about it, whatever the keys are called.
///     let flushed = tags.invalidate_tag(&store, "product:7").await?;
///     Ok::<_, cachelab::Error>((flushed, store.get(b"price:7").await?, store.get(b"product:8").await?))
/// });
/// let (flushed, price, other) = run.unwrap().unwrap();
/// assert_eq!((flushed, price), (2, None));
/// assert!(other.is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tags {
    prefix: String,
}

impl Tags {
    /// Tags whose sets are named `PREFIX:tag:NAME`.
    pub fn new(prefix: &str) -> Self {
        Tags {
            prefix: prefix.to_string(),
        }
    }

    /// The key of `tag`'s set.
    pub fn set_key(&self, tag: &str) -> String {
        format!("{}:tag:{tag}", self.prefix)
    }

    fn pruned_key(&self, tag: &str) -> String {
        format!("{}:tag:{tag}:pruned", self.prefix)
    }

    /// `SET key value [PX ttl]`, then tags `key` with every tag in `tags`.
    pub async fn set<S: Store + ?Sized>(
        &self,
        store: &S,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
        tags: &[&str],
    ) -> Result<()> {
        store.set(key, value, ttl).await?;
        for tag in tags {
            self.tag(store, key, ttl, tag).await?;
        }
        Ok(())
    }

    /// Adds `key`, cached for `ttl` (`None`: no TTL), to `tag`'s set: extends the set's TTL to
    /// cover the key and prunes dead members when the set has doubled since the last pruning.
    pub async fn tag<S: Store + ?Sized>(
        &self,
        store: &S,
        key: &[u8],
        ttl: Option<SimDuration>,
        tag: &str,
    ) -> Result<()> {
        let set = self.set_key(tag);
        let set = set.as_bytes();
        let members: &[&[u8]] = &[key];
        let [existed, before, added] = all_ok(
            "SADD",
            store
                .pipeline(&[Cmd::Exists(set), Cmd::Ttl(set), Cmd::SAdd(set, members)])
                .await?,
        )?
        .try_into()
        .map_err(|_| crate::strategy::bad_reply("SADD", &Reply::Nil))?;
        let existed = int_of("EXISTS", existed)? == 1;
        let before = u64::try_from(int_of("PTTL", before)?).ok().map(SimDuration);
        count_of("SADD", added)?;
        let lifetime = match ttl {
            None => Some(Cmd::Persist(set)),
            // A new set, or one whose TTL is shorter than the key's: raise it. A persistent set
            // (`before` is `None` although it existed) stays persistent.
            Some(ttl) if !existed || before.is_some_and(|b| b < ttl) => Some(Cmd::Expire(set, ttl)),
            Some(_) => None,
        };
        let pruned_key = self.pruned_key(tag);
        let mut cmds: Vec<Cmd> = lifetime.into_iter().collect();
        cmds.extend([Cmd::SCard(set), Cmd::Get(pruned_key.as_bytes())]);
        let mut replies = all_ok("SCARD", store.pipeline(&cmds).await?)?;
        let last = bulk_of("GET", replies.pop().unwrap_or(Reply::Nil))?
            .and_then(|b| std::str::from_utf8(&b).ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let size = count_of("SCARD", replies.pop().unwrap_or(Reply::Nil))?;
        if size > (2 * last).max(PRUNE_FLOOR) {
            self.prune(store, tag).await?;
        }
        Ok(())
    }

    /// The keys tagged `tag` (dead ones included until the next pruning), sorted.
    pub async fn members<S: Store + ?Sized>(&self, store: &S, tag: &str) -> Result<Vec<Vec<u8>>> {
        store.smembers(self.set_key(tag).as_bytes()).await
    }

    /// Removes the members of `tag`'s set whose keys no longer exist, and records the size left
    /// for the next add's pruning rule. Returns how many were removed.
    pub async fn prune<S: Store + ?Sized>(&self, store: &S, tag: &str) -> Result<u64> {
        let set = self.set_key(tag);
        let set = set.as_bytes();
        let members = self.members(store, tag).await?;
        // One EXISTS per member, in one pipeline: the members may sit on any master.
        let checks: Vec<Cmd> = members.iter().map(|m| Cmd::Exists(m)).collect();
        let alive = all_ok("EXISTS", store.pipeline(&checks).await?)?;
        let mut dead: Vec<&[u8]> = Vec::new();
        for (member, alive) in members.iter().zip(alive) {
            if int_of("EXISTS", alive)? == 0 {
                dead.push(member);
            }
        }
        let removed = dead.len() as u64;
        let live = members.len() as u64 - removed;
        let pruned_key = self.pruned_key(tag);
        let pruned_key = pruned_key.as_bytes();
        let mut cmds: Vec<Cmd> = Vec::new();
        if removed > 0 {
            cmds.push(Cmd::SRem(set, &dead));
        }
        if live == 0 {
            // The SREM removed the set itself.
            cmds.push(Cmd::Del(pruned_key));
            all_ok("SREM", store.pipeline(&cmds).await?)?;
        } else {
            cmds.push(Cmd::Ttl(set));
            let replies = all_ok("SREM", store.pipeline(&cmds).await?)?;
            let ttl = replies.last().cloned().unwrap_or(Reply::Nil);
            let ttl = u64::try_from(int_of("PTTL", ttl)?).ok().map(SimDuration);
            let size = live.to_string();
            let record = Cmd::Set {
                key: pruned_key,
                value: size.as_bytes(),
                ttl,
                when: SetWhen::Always,
            };
            store.exec(record).await?;
        }
        Ok(removed)
    }

    /// Deletes every key tagged `tag`, then the tag's set. Returns how many keys were deleted
    /// (members that had already expired do not count).
    pub async fn invalidate_tag<S: Store + ?Sized>(&self, store: &S, tag: &str) -> Result<u64> {
        let members = self.members(store, tag).await?;
        let (set, pruned_key) = (self.set_key(tag), self.pruned_key(tag));
        // One DEL per key, not one DEL of all: on a cluster the keys sit in different slots.
        let mut cmds: Vec<Cmd> = members.iter().map(|m| Cmd::Del(m)).collect();
        cmds.extend([Cmd::Del(set.as_bytes()), Cmd::Del(pruned_key.as_bytes())]);
        let replies = all_ok("DEL", store.pipeline(&cmds).await?)?;
        let mut deleted = 0;
        for reply in replies.into_iter().take(members.len()) {
            deleted += count_of("DEL", reply)?;
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Executor, SimTime};
    use crate::strategy::SimL2;
    use crate::tiers::L2;
    use std::future::Future;

    fn secs(s: u64) -> Option<SimDuration> {
        Some(SimDuration::from_secs(s))
    }

    /// The model at zero round trip, on a clock the test moves.
    struct Lab {
        exec: Executor,
        store: SimL2,
        tags: Tags,
    }

    impl Lab {
        fn new() -> Lab {
            let exec = Executor::new();
            let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::ZERO);
            Lab {
                exec,
                store,
                tags: Tags::new("t"),
            }
        }

        fn run<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
            self.exec.block_on(f).expect("the store answers")
        }

        fn set(&self, key: &[u8], ttl: Option<SimDuration>, tags: &[&str]) {
            self.run(self.tags.set(&self.store, key, b"v", ttl, tags))
                .unwrap();
        }

        fn at(&self, t: SimTime) {
            self.exec.advance_to(t);
        }

        fn exists(&self, key: &str) -> bool {
            self.run(self.store.exists(key.as_bytes())).unwrap()
        }

        fn ttl(&self, key: &str) -> Option<SimDuration> {
            self.run(self.store.ttl(key.as_bytes())).unwrap()
        }
    }

    #[test]
    fn flushing_a_tag_removes_exactly_its_keys() {
        let lab = Lab::new();
        lab.set(b"a", secs(60), &["x"]);
        lab.set(b"b", secs(60), &["x", "y"]);
        lab.set(b"c", secs(60), &["y"]);
        lab.run(lab.store.set(b"d", b"4", None)).unwrap();
        let flush = |tag| lab.run(lab.tags.invalidate_tag(&lab.store, tag)).unwrap();
        assert_eq!(flush("x"), 2);
        let left: Vec<bool> = ["a", "b", "c", "d", "t:tag:x", "t:tag:y"]
            .iter()
            .map(|k| lab.exists(k))
            .collect();
        assert_eq!(left, [false, false, true, true, false, true]);
        // y still names b until it is pruned; flushing it deletes only what is there.
        assert_eq!(flush("y"), 1);
        assert_eq!(lab.store.model().borrow().dbsize(), 1);
        // An unknown tag flushes nothing.
        assert_eq!(flush("nope"), 0);
    }

    #[test]
    fn a_tag_set_lives_as_long_as_its_longest_member_and_no_longer() {
        let lab = Lab::new();
        lab.set(b"a", secs(5), &["x"]);
        lab.set(b"b", secs(10), &["x"]);
        // A shorter-lived member never shortens the set's TTL.
        lab.set(b"c", secs(2), &["x"]);
        assert_eq!(lab.ttl("t:tag:x"), secs(10));
        lab.at(SimTime(9_900_000));
        assert!(lab.exists("t:tag:x"));
        lab.at(SimTime(10_000_001));
        assert!(!lab.exists("t:tag:x"));
        assert!(!lab.exists("b"));
    }

    #[test]
    fn a_member_without_ttl_makes_the_set_persistent() {
        let lab = Lab::new();
        lab.set(b"a", secs(5), &["x"]);
        lab.set(b"b", None, &["x"]);
        lab.set(b"c", secs(50), &["x"]);
        assert_eq!(lab.ttl("t:tag:x"), None);
        lab.at(SimTime(100_000_000));
        let members = || lab.run(lab.tags.members(&lab.store, "x")).unwrap();
        assert_eq!(members(), [b"a", b"b", b"c"]);
        assert_eq!(lab.run(lab.tags.prune(&lab.store, "x")).unwrap(), 2);
        assert_eq!(members(), [b"b"]);
    }

    #[test]
    fn many_short_lived_keys_keep_the_tag_set_bounded() {
        let lab = Lab::new();
        let adds = 10_000u64;
        let mut largest = 0;
        for i in 0..adds {
            // A key every 10 ms, each living 100 ms: eleven are alive after each add (the
            // deadline instant itself still counts as alive).
            lab.at(SimTime(i * 10_000));
            let key = format!("k{i}");
            lab.set(
                key.as_bytes(),
                Some(SimDuration::from_millis(100)),
                &["hot"],
            );
            let size = lab.run(lab.store.scard(b"t:tag:hot")).unwrap();
            largest = largest.max(size);
        }
        let live = 11;
        assert!(lab.exists(&format!("k{}", adds - live)));
        assert!(!lab.exists(&format!("k{}", adds - live - 1)));
        // Without pruning the set would name all 10,000 keys.
        assert!(largest <= (2 * live).max(PRUNE_FLOOR), "{largest}");
        assert!(largest > live, "pruning is lazy: {largest}");
        // Every add looks up four keys (EXISTS and SCARD on the set, GET of its size record, the
        // test's SCARD) and the checks above two more; pruning (an SMEMBERS and one EXISTS per
        // member) adds at most two per add on top.
        let stats = lab.store.model().borrow().stats();
        let pruning = stats.keyspace_hits + stats.keyspace_misses - 4 * adds - 2;
        assert!(pruning <= 2 * adds, "{pruning}");
    }

    #[test]
    fn a_tag_key_holding_another_type_is_an_error_not_a_panic() {
        let lab = Lab::new();
        lab.run(lab.store.set(b"t:tag:x", b"oops", None)).unwrap();
        let err = lab
            .run(lab.tags.set(&lab.store, b"a", b"1", secs(5), &["x"]))
            .unwrap_err();
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    }
}
