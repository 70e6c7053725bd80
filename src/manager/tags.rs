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
//! ## Synchronous, on the model
//!
//! Tags run their commands directly on the [`L2`] model (as the rate limiters do), because the
//! [`Store`](crate::strategy::Store) trait that [`remember`](super::remember) uses speaks only
//! strings. Each call's commands therefore run at one instant with nothing in between, as a
//! `MULTI`/`EXEC` block or a Lua script would run them on a real Redis. The caller moves the
//! model's clock ([`L2::advance_to`]) as the rest of the simulation does.

use crate::error::{Error, Result};
use crate::sim::SimDuration;
use crate::tiers::l2::Reply;
use crate::tiers::L2;

/// Tag sets up to this size are never pruned: pruning tiny sets would cost more than it saves.
pub const PRUNE_FLOOR: u64 = 32;

/// Tags under one key prefix.
///
/// ```
/// use cachelab::manager::Tags;
/// use cachelab::sim::SimDuration;
/// use cachelab::tiers::L2;
///
/// let mut l2 = L2::new();
/// let tags = Tags::new("app");
/// let ttl = Some(SimDuration::from_secs(60));
/// tags.set(&mut l2, b"product:7", b"{..}", ttl, &["product:7", "catalog"]).unwrap();
/// tags.set(&mut l2, b"price:7", b"250", ttl, &["product:7"]).unwrap();
/// tags.set(&mut l2, b"product:8", b"{..}", ttl, &["catalog"]).unwrap();
/// // Product 7 changed: drop everything cached about it, whatever the keys are called.
/// assert_eq!(tags.invalidate_tag(&mut l2, "product:7").unwrap(), 2);
/// assert_eq!(l2.get(b"price:7").unwrap(), None);
/// assert!(l2.get(b"product:8").unwrap().is_some());
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
    pub fn set(
        &self,
        l2: &mut L2,
        key: &[u8],
        value: &[u8],
        ttl: Option<SimDuration>,
        tags: &[&str],
    ) -> Result<()> {
        l2.set(key, value, ttl)
            .map_err(|e| store_error(e.to_string()))?;
        tags.iter().try_for_each(|tag| self.tag(l2, key, ttl, tag))
    }

    /// Adds `key`, cached for `ttl` (`None`: no TTL), to `tag`'s set: extends the set's TTL to
    /// cover the key and prunes dead members when the set has doubled since the last pruning.
    pub fn tag(&self, l2: &mut L2, key: &[u8], ttl: Option<SimDuration>, tag: &str) -> Result<()> {
        let set = self.set_key(tag);
        let existed = int_of(run(l2, &[b"EXISTS", set.as_bytes()]))? == 1;
        let before = l2.ttl(set.as_bytes());
        int_of(run(l2, &[b"SADD", set.as_bytes(), key]))?;
        match ttl {
            None => {
                run(l2, &[b"PERSIST", set.as_bytes()]);
            }
            // A new set, or one whose TTL is shorter than the key's: raise it. A persistent set
            // (`before` is `None` although it existed) stays persistent.
            Some(ttl) if !existed || before.is_some_and(|b| b < ttl) => {
                l2.expire(set.as_bytes(), ttl);
            }
            Some(_) => {}
        }
        let size = int_of(run(l2, &[b"SCARD", set.as_bytes()]))? as u64;
        let pruned_key = self.pruned_key(tag);
        let last = l2
            .get(pruned_key.as_bytes())
            .map_err(|e| store_error(e.to_string()))?
            .and_then(|b| std::str::from_utf8(&b).ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        if size > (2 * last).max(PRUNE_FLOOR) {
            self.prune(l2, tag)?;
        }
        Ok(())
    }

    /// The keys tagged `tag` (dead ones included until the next pruning), sorted.
    pub fn members(&self, l2: &mut L2, tag: &str) -> Result<Vec<Vec<u8>>> {
        match run(l2, &[b"SMEMBERS", self.set_key(tag).as_bytes()]) {
            Reply::Array(items) => Ok(items
                .into_iter()
                .filter_map(|r| match r {
                    Reply::Bulk(b) => Some(b),
                    _ => None,
                })
                .collect()),
            other => Err(store_error(other.to_cli_string())),
        }
    }

    /// Removes the members of `tag`'s set whose keys no longer exist, and records the size left
    /// for the next add's pruning rule. Returns how many were removed.
    pub fn prune(&self, l2: &mut L2, tag: &str) -> Result<u64> {
        let set = self.set_key(tag);
        let members = self.members(l2, tag)?;
        let mut srem: Vec<&[u8]> = vec![b"SREM", set.as_bytes()];
        for m in &members {
            if int_of(run(l2, &[b"EXISTS", m]))? == 0 {
                srem.push(m);
            }
        }
        let removed = (srem.len() - 2) as u64;
        if removed > 0 {
            int_of(run(l2, &srem))?;
        }
        let live = members.len() as u64 - removed;
        let pruned_key = self.pruned_key(tag);
        if live == 0 {
            // The last SREM removed the set itself.
            l2.del(pruned_key.as_bytes());
        } else {
            let ttl = l2.ttl(set.as_bytes());
            l2.set(pruned_key.as_bytes(), live.to_string().as_bytes(), ttl)
                .map_err(|e| store_error(e.to_string()))?;
        }
        Ok(removed)
    }

    /// Deletes every key tagged `tag`, then the tag's set. Returns how many keys were deleted
    /// (members that had already expired do not count).
    pub fn invalidate_tag(&self, l2: &mut L2, tag: &str) -> Result<u64> {
        let members = self.members(l2, tag)?;
        let deleted = members.iter().filter(|m| l2.del(m)).count() as u64;
        l2.del(self.set_key(tag).as_bytes());
        l2.del(self.pruned_key(tag).as_bytes());
        Ok(deleted)
    }
}

/// Runs one command given as byte strings.
fn run(l2: &mut L2, args: &[&[u8]]) -> Reply {
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    l2.exec_args(&args)
}

/// The integer in an integer reply; anything else (an error reply, say `WRONGTYPE` when the tag's
/// key holds a string) is a store error.
fn int_of(reply: Reply) -> Result<i64> {
    match reply {
        Reply::Int(n) => Ok(n),
        other => Err(store_error(other.to_cli_string())),
    }
}

fn store_error(detail: String) -> Error {
    Error::Store { detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimTime;

    fn secs(s: u64) -> Option<SimDuration> {
        Some(SimDuration::from_secs(s))
    }

    fn exists(l2: &mut L2, key: &str) -> bool {
        int_of(run(l2, &[b"EXISTS", key.as_bytes()])).unwrap() == 1
    }

    #[test]
    fn flushing_a_tag_removes_exactly_its_keys() {
        let mut l2 = L2::new();
        let tags = Tags::new("t");
        tags.set(&mut l2, b"a", b"1", secs(60), &["x"]).unwrap();
        tags.set(&mut l2, b"b", b"2", secs(60), &["x", "y"])
            .unwrap();
        tags.set(&mut l2, b"c", b"3", secs(60), &["y"]).unwrap();
        l2.set(b"d", b"4", None).unwrap();
        assert_eq!(tags.invalidate_tag(&mut l2, "x").unwrap(), 2);
        let left: Vec<bool> = ["a", "b", "c", "d", "t:tag:x", "t:tag:y"]
            .iter()
            .map(|k| exists(&mut l2, k))
            .collect();
        assert_eq!(left, [false, false, true, true, false, true]);
        // y still names b until it is pruned; flushing it deletes only what is there.
        assert_eq!(tags.invalidate_tag(&mut l2, "y").unwrap(), 1);
        assert_eq!(l2.dbsize(), 1);
        // An unknown tag flushes nothing.
        assert_eq!(tags.invalidate_tag(&mut l2, "nope").unwrap(), 0);
    }

    #[test]
    fn a_tag_set_lives_as_long_as_its_longest_member_and_no_longer() {
        let mut l2 = L2::new();
        let tags = Tags::new("t");
        tags.set(&mut l2, b"a", b"1", secs(5), &["x"]).unwrap();
        tags.set(&mut l2, b"b", b"2", secs(10), &["x"]).unwrap();
        // A shorter-lived member never shortens the set's TTL.
        tags.set(&mut l2, b"c", b"3", secs(2), &["x"]).unwrap();
        assert_eq!(l2.ttl(b"t:tag:x"), secs(10));
        l2.advance_to(SimTime(9_900_000));
        assert!(exists(&mut l2, "t:tag:x"));
        l2.advance_to(SimTime(10_000_001));
        assert!(!exists(&mut l2, "t:tag:x"));
        assert!(!exists(&mut l2, "b"));
    }

    #[test]
    fn a_member_without_ttl_makes_the_set_persistent() {
        let mut l2 = L2::new();
        let tags = Tags::new("t");
        tags.set(&mut l2, b"a", b"1", secs(5), &["x"]).unwrap();
        tags.set(&mut l2, b"b", b"2", None, &["x"]).unwrap();
        tags.set(&mut l2, b"c", b"3", secs(50), &["x"]).unwrap();
        assert_eq!(l2.ttl(b"t:tag:x"), None);
        l2.advance_to(SimTime(100_000_000));
        assert_eq!(tags.members(&mut l2, "x").unwrap(), [b"a", b"b", b"c"]);
        assert_eq!(tags.prune(&mut l2, "x").unwrap(), 2);
        assert_eq!(tags.members(&mut l2, "x").unwrap(), [b"b"]);
    }

    #[test]
    fn many_short_lived_keys_keep_the_tag_set_bounded() {
        let mut l2 = L2::new();
        let tags = Tags::new("t");
        let adds = 10_000u64;
        let mut largest = 0;
        for i in 0..adds {
            // A key every 10 ms, each living 100 ms: eleven are alive after each add (the
            // deadline instant itself still counts as alive).
            l2.advance_to(SimTime(i * 10_000));
            let key = format!("k{i}");
            let ttl = Some(SimDuration::from_millis(100));
            tags.set(&mut l2, key.as_bytes(), b"v", ttl, &["hot"])
                .unwrap();
            let size = int_of(run(&mut l2, &[b"SCARD", b"t:tag:hot"])).unwrap() as u64;
            largest = largest.max(size);
        }
        let live = 11;
        assert!(exists(&mut l2, &format!("k{}", adds - live)));
        assert!(!exists(&mut l2, &format!("k{}", adds - live - 1)));
        // Without pruning the set would name all 10,000 keys.
        assert!(largest <= (2 * live).max(PRUNE_FLOOR), "{largest}");
        assert!(largest > live, "pruning is lazy: {largest}");
        // Every add looks up four keys (EXISTS and SCARD on the set, GET of its size record, the
        // test's SCARD) and the checks above two more; pruning (an SMEMBERS and one EXISTS per
        // member) adds at most two per add on top.
        let stats = l2.stats();
        let pruning = stats.keyspace_hits + stats.keyspace_misses - 4 * adds - 2;
        assert!(pruning <= 2 * adds, "{pruning}");
    }

    #[test]
    fn a_tag_key_holding_another_type_is_an_error_not_a_panic() {
        let mut l2 = L2::new();
        l2.set(b"t:tag:x", b"oops", None).unwrap();
        let err = Tags::new("t")
            .set(&mut l2, b"a", b"1", secs(5), &["x"])
            .unwrap_err();
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    }
}
