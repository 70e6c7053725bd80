//! The glossary: every term a lesson uses that the caching chapter takes for granted, with a
//! definition in our own words. Both faces read it from here — `cachelab glossary [TERM]` and the
//! page, which turns each term in a lesson's text into a button that opens its definition — so a
//! definition is written once.
//!
//! A term is found in a text by its [`Term::forms`]: the spellings a lesson uses, matched whole
//! and with their case (so "CLOCK" the policy is not "clock" the reader's clock).

use crate::error::{Error, Result};
use serde::Serialize;

/// One entry of the glossary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Term {
    /// A stable identifier (lower case, words joined by `-`), as `cachelab glossary ID` takes it.
    pub id: &'static str,
    /// The term as a heading shows it.
    pub term: &'static str,
    /// The spellings that stand for it in a text, matched whole and case-sensitively.
    pub forms: &'static [&'static str],
    /// What it means, in two or three sentences.
    pub definition: &'static str,
}

const fn term(
    id: &'static str,
    term: &'static str,
    forms: &'static [&'static str],
    definition: &'static str,
) -> Term {
    Term {
        id,
        term,
        forms,
        definition,
    }
}

/// Every term, in alphabetical order of `id`.
pub const GLOSSARY: &[Term] = &[
    term(
        "arc",
        "ARC (Adaptive Replacement Cache)",
        &["ARC"],
        "An eviction policy that keeps two lists, one of keys seen once recently and one of keys \
         seen at least twice, plus the names of keys it recently dropped from each. A hit on a \
         dropped name tells it which list deserved more room, so it tunes the balance between \
         recency and frequency by itself.",
    ),
    term(
        "belady",
        "Belady's optimal policy",
        &["Belady"],
        "Evict the cached object whose next request lies furthest in the future. No real cache \
         can run it, because it needs to know the future; replaying a recorded trace, it gives \
         the fewest misses any policy could have, so it measures how far a real policy is from \
         perfect.",
    ),
    term(
        "birthday-bound",
        "Birthday bound",
        &["birthday bound"],
        "How many distinct keys a hash of b bits can take before two of them are likely to share \
         a digest: about the square root of 2^b. A 16-bit digest collides within a few hundred \
         keys, a 32-bit one near 77,000, a 64-bit one after billions.",
    ),
    term(
        "bloom-filter",
        "Bloom filter",
        &["Bloom filter", "Bloom filters"],
        "A compact set of bits that answers \"certainly not present\" or \"maybe present\" for a \
         key. It never wrongly says a present key is absent; it sometimes lets an absent key \
         through (a false positive), at a rate set by the bits spent per key.",
    ),
    term(
        "circuit-breaker",
        "Circuit breaker",
        &["circuit breaker", "circuit-breaker"],
        "A guard in front of a dependency that counts its failures: after a few in a row it opens \
         and skips the dependency for a while (answering as if it missed), then lets one probe \
         through to see whether it has recovered.",
    ),
    term(
        "clock",
        "CLOCK",
        &["CLOCK"],
        "An eviction policy that keeps objects in a ring with one reference bit each. A hit sets \
         the bit; to evict, a hand walks the ring, clearing set bits and evicting the first \
         object whose bit is already clear. It approximates LRU without moving anything on a \
         hit.",
    ),
    term(
        "cold-start",
        "Cold start",
        &["cold start", "cold-start"],
        "A process or cache that begins empty: its first requests all miss and go to the database \
         at once. Warming it (loading the hot keys before taking traffic) avoids the burst.",
    ),
    term(
        "compare-and-delete",
        "compare-and-delete",
        &["compare-and-delete"],
        "Deleting a key only if it still holds the value you wrote, checked and applied as one \
         step (in Redis a short Lua script, since GET then DEL could interleave with another \
         client). A lock holder releases its lock this way so that it never removes a lock \
         someone else took after its own expired.",
    ),
    term(
        "compare-and-set",
        "compare-and-set",
        &["compare-and-set", "CAS"],
        "An update that succeeds only if the stored value still is what the writer last saw (here, \
         a version number), checked and applied as one atomic step. A slow writer holding an old \
         copy is turned away instead of overwriting a newer one.",
    ),
    term(
        "fail-closed",
        "Fail-closed",
        &["fail-closed", "Fail-closed"],
        "When a dependency (the shared cache) cannot be reached, refuse the request rather than \
         go on without it: safe for a rate limiter that must not let abusers through, costly for \
         honest users.",
    ),
    term(
        "fail-open",
        "Fail-open",
        &["fail-open", "fail open", "Fail-open"],
        "When a dependency (the shared cache) cannot be reached, carry on without it: treat every \
         lookup as a miss and ask the database. The service stays up, but the database takes the \
         whole load.",
    ),
    term(
        "fifo",
        "FIFO",
        &["FIFO"],
        "First in, first out: when the cache is full, the object that entered first leaves first, \
         however often it was used since.",
    ),
    term(
        "hit-ratio",
        "hit ratio",
        &["hit ratio", "Hit ratio", "hit rate"],
        "The share of reads the cache answered, out of all reads. Which reads count matters: here \
         a read that waited for another request's load counts in the whole but not as a hit, and \
         the monitor's L2 hit ratio counts every lookup Redis saw, lock polls included.",
    ),
    term(
        "jitter",
        "TTL jitter",
        &["TTL jitter", "jitter", "Jitter"],
        "A random share added to or taken from each key's time to live, so keys cached at the \
         same moment do not all expire at the same moment.",
    ),
    term(
        "lease",
        "lease",
        &["lease", "leases"],
        "A token the cache hands to the one reader allowed to fill a missing key. A write to the \
         key cancels the token, so a reader that loaded an old row before the write can no longer \
         store it; other readers wait or use what they have instead of all loading.",
    ),
    term(
        "lfu",
        "LFU",
        &["LFU"],
        "Least frequently used: evict the object with the fewest requests. It keeps popular \
         objects through a scan of new ones, but an object popular long ago can stay long after \
         its time.",
    ),
    term(
        "lru",
        "LRU",
        &["LRU"],
        "Least recently used: evict the object whose last request is the oldest. Cheap and \
         usually good; a long scan of keys used once pushes every popular key out.",
    ),
    term(
        "maxmemory",
        "maxmemory and maxmemory-policy",
        &["maxmemory", "maxmemory-policy"],
        "Redis's memory limit and what it does when a write would pass it: noeviction refuses the \
         write with an error; allkeys-lru and allkeys-lfu evict any key; volatile-lru, \
         volatile-lfu and volatile-ttl evict only keys that have a TTL.",
    ),
    term(
        "mrc",
        "miss-ratio curve (MRC)",
        &["miss-ratio curve", "MRC"],
        "The miss ratio of a policy at every cache size, drawn as one curve. It shows where a \
         bigger cache stops paying for itself.",
    ),
    term(
        "negative-caching",
        "negative caching",
        &["Negative caching", "negative caching"],
        "Caching the answer \"this key does not exist\", with a short TTL, so that repeated reads \
         of a missing key stop reaching the database.",
    ),
    term(
        "one-hit-wonder",
        "one-hit wonder",
        &["one-hit wonders", "one-hit wonder"],
        "An object requested once and never again. In real traces they are often most of the \
         keys; a policy that lets them in straight into its main queue wastes room on them.",
    ),
    term(
        "p99",
        "p99 (99th percentile)",
        &["p99", "p50", "p95", "percentile"],
        "The latency that 99 % of requests beat: sort every request's time and take the one 1 % \
         from the top. It shows the slow tail a mean hides. p50 is the median, p95 the 95th \
         percentile.",
    ),
    term(
        "poisson",
        "Poisson arrivals",
        &["Poisson"],
        "Requests that arrive independently at random moments with a fixed mean rate (open-loop \
         traffic): they keep coming whether or not the system keeps up.",
    ),
    term(
        "pub-sub",
        "pub/sub",
        &["pub/sub"],
        "Redis's publish/subscribe: a message published on a channel is delivered to every client \
         subscribed to it at that moment, and to nobody else; it is not stored.",
    ),
    term(
        "put-back",
        "Put-back",
        &["put-back", "put back", "puts back", "Put-backs"],
        "A reader that loaded a row before a write, but stores it in the cache after the write's \
         invalidation: the old row is put back and served until its TTL ends.",
    ),
    term(
        "refresh-ahead",
        "refresh-ahead",
        &["Refresh-ahead", "refresh-ahead"],
        "Reloading a cached entry in the background when it is read shortly before it expires, so \
         that popular keys are rarely found missing.",
    ),
    term(
        "reuse-distance",
        "reuse distance",
        &["reuse distance"],
        "The number of distinct keys requested between two requests of the same key. An LRU cache \
         of that many objects or more hits the second request.",
    ),
    term(
        "rolling-deploy",
        "Rolling deploy",
        &["rolling deploy"],
        "Replacing a service's instances a few at a time, so that old and new code run side by \
         side for a while and read and write the same cache.",
    ),
    term(
        "s3-fifo",
        "S3-FIFO",
        &["S3-FIFO"],
        "An eviction policy of three FIFO queues: new objects enter a small queue, and only those \
         requested again while there move to the main queue; a ghost queue remembers the names \
         of recent leavers so that a quick return goes straight to main.",
    ),
    term(
        "shards",
        "SHARDS",
        &["SHARDS"],
        "A way to estimate a miss-ratio curve from a sample of the keys (those whose hash falls \
         below a threshold), scaled back up: a small share of the work for a close estimate.",
    ),
    term(
        "sieve",
        "SIEVE",
        &["SIEVE"],
        "An eviction policy: a FIFO queue with a visited bit per object and a hand that moves from \
         the oldest end, sparing (and clearing) visited objects and evicting the first unvisited \
         one. The hand stays where it stopped, so new objects are judged quickly.",
    ),
    term(
        "singleflight",
        "singleflight",
        &["Singleflight", "singleflight"],
        "Inside one process, concurrent requests for the same missing key share one load: the \
         first runs it, the others wait for its result. Other processes still load on their own.",
    ),
    term(
        "sliding-log",
        "Sliding log",
        &["sliding log"],
        "A rate limiter that keeps the time of every admitted request (a sorted set in Redis) and \
         admits a new one only if fewer than the limit fall within the last window: exact at any \
         instant, at the cost of one entry per request.",
    ),
    term(
        "stale-read",
        "Stale read",
        &["stale read", "stale reads", "Stale reads"],
        "A read answered with a value older than the database's current one: the cache still held \
         a copy the last write did not reach.",
    ),
    term(
        "stale-while-revalidate",
        "stale-while-revalidate",
        &["Stale-while-revalidate", "stale-while-revalidate"],
        "Keep serving an entry for a grace period after it goes stale, while one background \
         refresh replaces it; readers never wait for the database, at the price of a slightly old \
         answer.",
    ),
    term(
        "w-tinylfu",
        "W-TinyLFU",
        &["W-TinyLFU"],
        "An eviction policy with a small LRU window in front of a main cache; a newcomer enters \
         the main cache only if a compact frequency sketch says it is asked for more often than \
         the object it would push out.",
    ),
    term(
        "working-set",
        "working set",
        &["working set"],
        "The distinct keys a program touches within a window of time or requests. A cache smaller \
         than the working set misses however clever its policy.",
    ),
    term(
        "write-behind",
        "write-behind",
        &["Write-behind", "write-behind"],
        "The write updates the cache at once and queues the database write for later, in batches. \
         Writes are fast and few statements reach the database, but queued writes are lost if \
         the process dies before they are flushed.",
    ),
    term(
        "xfetch",
        "XFetch (probabilistic early expiration)",
        &["XFetch", "xfetch"],
        "Each reader of a cached entry may decide to refresh it before it expires, with a \
         probability that grows as expiry nears and with how long a load takes (scaled by beta). \
         One early refresh usually lands before the key expires, so the burst of misses never \
         happens.",
    ),
    term(
        "zipf",
        "Zipf distribution",
        &["Zipf", "skew", "skewed"],
        "A popularity law: the key of rank k is asked for in proportion to 1/k^s. With exponent s \
         near 1 a few keys take a large share of the requests and most keys are rare; at 0 every \
         key is equally popular.",
    ),
];

/// The entry whose id, heading or one of whose forms is `query` (case-insensitive); an unknown
/// query is an error that lists the ids.
///
/// ```
/// use cachelab::glossary::lookup;
/// assert_eq!(lookup("P99").unwrap().id, "p99");
/// assert_eq!(lookup("Bloom filter").unwrap().id, "bloom-filter");
/// assert!(lookup("flux capacitor").unwrap_err().to_string().contains("known: arc, belady"));
/// ```
pub fn lookup(query: &str) -> Result<&'static Term> {
    let q = query.trim();
    GLOSSARY
        .iter()
        .find(|t| {
            t.id.eq_ignore_ascii_case(q)
                || t.term.eq_ignore_ascii_case(q)
                || t.forms.iter().any(|f| f.eq_ignore_ascii_case(q))
        })
        .ok_or_else(|| Error::Parse {
            what: format!("glossary term `{q}`"),
            detail: format!(
                "not in the glossary; known: {}",
                GLOSSARY.iter().map(|t| t.id).collect::<Vec<_>>().join(", ")
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_and_forms_belong_to_one_term() {
        let ids: Vec<&str> = GLOSSARY.iter().map(|t| t.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "ids sorted and unique");
        let mut forms: Vec<&str> = GLOSSARY
            .iter()
            .flat_map(|t| t.forms.iter().copied())
            .collect();
        let n = forms.len();
        forms.sort_unstable();
        forms.dedup();
        assert_eq!(forms.len(), n, "a form names one term");
        for t in GLOSSARY {
            assert!(!t.forms.is_empty() && t.forms.iter().all(|f| !f.trim().is_empty()));
            assert!(t.definition.len() > 40, "{} has a definition", t.id);
            assert!(
                !t.id.contains(' ') && t.id == t.id.to_lowercase(),
                "{}",
                t.id
            );
        }
    }

    #[test]
    fn the_terms_the_course_relies_on_are_defined() {
        for q in [
            "p99",
            "Belady",
            "lease",
            "compare-and-set",
            "Bloom filter",
            "Zipf",
            "TTL jitter",
            "XFetch",
            "write-behind",
            "hit ratio",
            "SHARDS",
            "MRC",
            "working set",
            "fail-open",
            "circuit breaker",
            "birthday bound",
            "maxmemory",
            "stale read",
        ] {
            assert!(lookup(q).is_ok(), "{q}");
        }
    }
}
