//! Seeing inside a policy: its complete state after each request, and the rule behind each
//! eviction, taken from the same evictors the replay runs.
//!
//! Two hooks make this free for the replay:
//! - [`Evictor::snapshot`](super::Evictor::snapshot) reads the structures out; only the stepper
//!   calls it.
//! - The evictors' `lookup` and `evict` tell an [`Explain`] sink which rule they applied, through
//!   a closure. The replay passes `()`, whose `note` is an empty inline function, so the closure
//!   is never built and the compiler removes it; the stepper passes a `Vec<Rule>`.
//!
//! A [`Snapshot`] is a list of [`List`]s (queues drawn as rows of boxes, or rings drawn as a
//! circle) with an optional hand, plus named values (ARC's target `p`); every face draws any
//! policy from it without knowing which policy it is.

use serde::Serialize;

/// How a list is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// A queue: a row of boxes, the end that is evicted from first.
    Row,
    /// A circle whose hand goes round (CLOCK).
    Ring,
}

/// One object in a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The object's key.
    pub key: u64,
    /// The per-object number the list's `mark` names (a visited bit, a frequency, a next use);
    /// `None` where the list has no mark, or for Belady's "never requested again".
    pub mark: Option<u64>,
}

/// One of a policy's structures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct List {
    /// Its name, as the policy's paper calls it (`"T1"`, `"small"`, `"probation"`).
    pub name: &'static str,
    pub shape: Shape,
    /// Holds keys only (evicted objects remembered for their history), not cached objects.
    pub ghost: bool,
    /// What `Item::mark` means here (`"visited"`, `"freq"`, `"next use"`, `"estimate"`).
    pub mark: Option<&'static str>,
    /// Capacity of this list in the cache's units, where the policy gives it a share.
    pub share: Option<u64>,
    /// The objects, the end that is evicted (or examined) first first: oldest, least recently
    /// used, lowest frequency, furthest next use.
    pub items: Vec<Item>,
    /// What the order of `items` is, first to last (`"oldest → newest"`).
    pub order: &'static str,
    /// The key the hand points at, where the next eviction starts looking (CLOCK, SIEVE).
    pub hand: Option<u64>,
}

impl List {
    /// A plain row of objects, oldest first.
    pub fn row(name: &'static str, items: Vec<Item>) -> List {
        List {
            name,
            shape: Shape::Row,
            ghost: false,
            mark: None,
            share: None,
            items,
            order: OLDEST_FIRST,
            hand: None,
        }
    }

    /// The same list with its items in another order than oldest first.
    pub fn ordered(self, order: &'static str) -> List {
        List { order, ..self }
    }

    /// The same list with `mark` naming the items' numbers.
    pub fn marked(self, mark: &'static str) -> List {
        List {
            mark: Some(mark),
            ..self
        }
    }

    /// The same list holding ghost keys.
    pub fn ghost(self) -> List {
        List {
            ghost: true,
            ..self
        }
    }

    /// The same list with a share of the capacity.
    pub fn share(self, share: u64) -> List {
        List {
            share: Some(share),
            ..self
        }
    }

    /// The keys, in order.
    pub fn keys(&self) -> Vec<u64> {
        self.items.iter().map(|i| i.key).collect()
    }
}

/// The order of a queue of insertions.
pub const OLDEST_FIRST: &str = "oldest → newest";
/// The order of an LRU list.
pub const LRU_FIRST: &str = "least → most recently used";

/// A named number of a policy's state (ARC's `p`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Value {
    pub name: &'static str,
    pub value: f64,
}

/// A policy's complete state.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub lists: Vec<List>,
    pub values: Vec<Value>,
}

impl Snapshot {
    /// The list called `name`.
    pub fn list(&self, name: &str) -> Option<&List> {
        self.lists.iter().find(|l| l.name == name)
    }

    /// The ghost list holding `key`, if any.
    pub fn ghost_of(&self, key: u64) -> Option<&'static str> {
        self.lists
            .iter()
            .find(|l| l.ghost && l.items.iter().any(|i| i.key == key))
            .map(|l| l.name)
    }
}

impl std::fmt::Display for Snapshot {
    /// One line a list: `  T1 (share 4): 3 5 7 [hand 5]`, marks as `key:mark`, then the values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for list in &self.lists {
            write!(f, "  {}", list.name)?;
            if let Some(share) = list.share {
                write!(f, " (share {share})")?;
            }
            if let Some(mark) = list.mark {
                write!(f, " [key:{mark}]")?;
            }
            f.write_str(":")?;
            for item in &list.items {
                match (list.mark, item.mark) {
                    (Some(_), Some(mark)) => write!(f, " {}:{mark}", item.key)?,
                    (Some(_), None) => write!(f, " {}:-", item.key)?,
                    (None, _) => write!(f, " {}", item.key)?,
                }
            }
            if let Some(hand) = list.hand {
                write!(f, " (hand at {hand})")?;
            }
            writeln!(f)?;
        }
        for value in &self.values {
            writeln!(f, "  {} = {}", value.name, value.value)?;
        }
        Ok(())
    }
}

/// Objects an `Item` list is built from: a key and its mark.
pub(crate) fn items(pairs: impl IntoIterator<Item = (u64, Option<u64>)>) -> Vec<Item> {
    pairs
        .into_iter()
        .map(|(key, mark)| Item { key, mark })
        .collect()
}

/// What a policy did on one request and why: the rule that chose each victim.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// A hit, and what the policy does on one.
    Hit { what: &'static str },
    /// A miss inserted, and where.
    Insert { what: &'static str },
    /// A miss for an object larger than the whole cache.
    TooLarge,
    /// FIFO: the oldest insertion goes.
    Oldest { victim: u64 },
    /// LRU: the least recently used goes.
    LeastRecent { victim: u64 },
    /// CLOCK: the hand recycled `second_chances` visited objects, then found `victim` unvisited.
    Clock { victim: u64, second_chances: u32 },
    /// SIEVE: the hand cleared `cleared` visited bits, then found `victim` unvisited.
    Sieve { victim: u64, cleared: u32 },
    /// S3-FIFO: small's oldest had fewer than 2 hits; `promoted` objects went to main first.
    SmallOut { victim: u64, promoted: u32 },
    /// S3-FIFO: main's oldest had no hits left; `reinserted` objects went round again first.
    MainOut { victim: u64, reinserted: u32 },
    /// S3-FIFO: the missed key was in the ghost, so it goes straight into main.
    GhostToMain { key: u64 },
    /// LFU: the lowest frequency, earliest to reach it.
    LeastFrequent { victim: u64, freq: u32 },
    /// ARC: a ghost hit in B1 (`in_b2` false) or B2 moved the target `p` (its new value).
    ArcGhost { key: u64, in_b2: bool, p: f64 },
    /// ARC's REPLACE: T1's LRU to B1 (`from_t1`) or T2's LRU to B2, judged by `|T1|` against `p`.
    ArcReplace {
        victim: u64,
        from_t1: bool,
        t1: u64,
        p: f64,
    },
    /// ARC: T1 and B1 fill the cache and B1 is empty: T1's LRU is dropped, not ghosted.
    ArcDropT1 { victim: u64 },
    /// W-TinyLFU's admission duel between the window's LRU and main's victim.
    Admission {
        candidate: u64,
        victim: u64,
        candidate_estimate: u8,
        victim_estimate: u8,
        /// The candidate won: main's victim is evicted and the candidate enters probation.
        admitted: bool,
    },
    /// W-TinyLFU with the window within its share: main's victim goes without a duel.
    MainVictim { victim: u64 },
    /// W-TinyLFU with an empty main: the window's LRU goes.
    WindowOut { victim: u64 },
    /// Belady: the furthest next use (`None`: never requested again).
    FurthestNext { victim: u64, next: Option<u64> },
}

impl Rule {
    /// The key this rule evicted, if it evicted one.
    pub fn evicts(&self) -> Option<u64> {
        match *self {
            Rule::Hit { .. }
            | Rule::Insert { .. }
            | Rule::TooLarge
            | Rule::GhostToMain { .. }
            | Rule::ArcGhost { .. } => None,
            Rule::Admission {
                candidate,
                victim,
                admitted,
                ..
            } => Some(if admitted { victim } else { candidate }),
            Rule::Oldest { victim }
            | Rule::LeastRecent { victim }
            | Rule::Clock { victim, .. }
            | Rule::Sieve { victim, .. }
            | Rule::SmallOut { victim, .. }
            | Rule::MainOut { victim, .. }
            | Rule::LeastFrequent { victim, .. }
            | Rule::ArcReplace { victim, .. }
            | Rule::ArcDropT1 { victim }
            | Rule::MainVictim { victim }
            | Rule::WindowOut { victim }
            | Rule::FurthestNext { victim, .. } => Some(victim),
        }
    }

    /// The rule in one sentence.
    pub fn sentence(&self) -> String {
        match *self {
            Rule::Hit { what } => format!("Hit: {what}."),
            Rule::Insert { what } => format!("Miss: {what}."),
            Rule::TooLarge => "Miss: the object is larger than the whole cache, so it is not inserted.".into(),
            Rule::Oldest { victim } => format!(
                "Evicted {victim}: FIFO evicts the object inserted longest ago, however often it was hit."
            ),
            Rule::LeastRecent { victim } => format!(
                "Evicted {victim}: LRU evicts the least recently used object, the tail of its queue."
            ),
            Rule::Clock { victim, second_chances: 0 } => format!(
                "Evicted {victim}: the object at CLOCK's hand had its reference bit at 0."
            ),
            Rule::Clock { victim, second_chances } => format!(
                "Evicted {victim}: the hand gave {second_chances} object(s) with their bit at 1 a second chance (bit cleared, moved behind the newest) and evicted the first with its bit at 0."
            ),
            Rule::Sieve { victim, cleared: 0 } => format!(
                "Evicted {victim}: the object at SIEVE's hand was not visited since the hand last passed; survivors stay in place."
            ),
            Rule::Sieve { victim, cleared } => format!(
                "Evicted {victim}: the hand cleared {cleared} visited bit(s) on its way from the tail toward the head and evicted the first unvisited object, leaving every survivor in place."
            ),
            Rule::SmallOut { victim, promoted: 0 } => format!(
                "Evicted {victim}: small's oldest object was hit fewer than 2 times while in small, so it leaves and its key goes to the ghost."
            ),
            Rule::SmallOut { victim, promoted } => format!(
                "Evicted {victim}: small's oldest object was hit fewer than 2 times while in small, so it leaves and its key goes to the ghost ({promoted} object(s) hit twice moved to main first)."
            ),
            Rule::MainOut { victim, reinserted: 0 } => format!(
                "Evicted {victim}: main's oldest object had no hits since it last went round."
            ),
            Rule::MainOut { victim, reinserted } => format!(
                "Evicted {victim}: main's oldest object had no hits left ({reinserted} object(s) with hits went round again, one hit fewer each)."
            ),
            Rule::GhostToMain { key } => format!(
                "Miss, but {key} was in the ghost: it was dropped from small recently and came back, so it goes straight into main."
            ),
            Rule::LeastFrequent { victim, freq } => format!(
                "Evicted {victim}: LFU evicts the lowest frequency ({freq}), and of those the one that reached it first."
            ),
            Rule::ArcGhost { key, in_b2, p } => {
                let (list, way, side) = if in_b2 { ("B2", "shrinks", "T2") } else { ("B1", "grows", "T1") };
                format!(
                    "Ghost hit: {key} was in {list}, so {side} was too small: the target p {way} to {p}, and {key} enters T2."
                )
            }
            Rule::ArcReplace { victim, from_t1: true, t1, p } => format!(
                "Evicted {victim}: REPLACE takes T1's LRU when T1 is over its target or T2 is empty (T1 holds {t1}, p = {p}); its key goes to B1."
            ),
            Rule::ArcReplace { victim, from_t1: false, t1, p } => format!(
                "Evicted {victim}: REPLACE takes T2's LRU when T1 is within its target (T1 holds {t1}, p = {p}); its key goes to B2."
            ),
            Rule::ArcDropT1 { victim } => format!(
                "Evicted {victim}: T1 and B1 together fill the cache and B1 is empty, so T1's LRU is dropped without a ghost."
            ),
            Rule::Admission { candidate, victim, candidate_estimate, victim_estimate, admitted: true } => format!(
                "Evicted {victim}: the window's LRU {candidate} (sketch estimate {candidate_estimate}) beat main's victim {victim} (estimate {victim_estimate}) and enters probation."
            ),
            Rule::Admission { candidate, victim, candidate_estimate, victim_estimate, admitted: false } => format!(
                "Evicted {candidate}: the window's LRU {candidate} (sketch estimate {candidate_estimate}) did not beat main's victim {victim} (estimate {victim_estimate}; ties keep the incumbent), so it is not admitted."
            ),
            Rule::MainVictim { victim } => format!(
                "Evicted {victim}: the window is within its share, so main's victim goes (probation's LRU, else protected's)."
            ),
            Rule::WindowOut { victim } => format!(
                "Evicted {victim}: main is empty, so the window's LRU goes."
            ),
            Rule::FurthestNext { victim, next: Some(next) } => format!(
                "Evicted {victim}: Belady evicts the object needed furthest in the future (next at request {next})."
            ),
            Rule::FurthestNext { victim, next: None } => format!(
                "Evicted {victim}: Belady evicts the object needed furthest in the future (it is never requested again)."
            ),
        }
    }
}

/// Where evictors report the rules they apply. `()` ignores them (the replay); `Vec<Rule>`
/// keeps them (the stepper).
pub trait Explain {
    /// Records the rule `rule` builds; `()` never calls it.
    fn note(&mut self, rule: impl FnOnce() -> Rule);
}

impl Explain for () {
    #[inline(always)]
    fn note(&mut self, _rule: impl FnOnce() -> Rule) {}
}

impl Explain for Vec<Rule> {
    fn note(&mut self, rule: impl FnOnce() -> Rule) {
        self.push(rule());
    }
}
