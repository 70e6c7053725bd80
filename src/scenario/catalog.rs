//! The registry of scenarios: one line per scenario in [`scenarios`], in the order the faces
//! list them, and one line per scenario that has numbers of its own in [`Section`]. Each
//! scenario lives in its own module and follows the contract of `contract.rs`; nothing else
//! names it.

use super::contract::Scenario;
use super::{
    consistency, degradation, keys, lock_safety, memory, multilayer, query_cache, ratelimit,
    response_cache, schema_deploy, tags,
};
use crate::error::{Error, Result};
use serde::Serialize;

/// Declares [`Section`] with one variant per scenario report type, and for each type the
/// conversion into a section, the typed read-back ([`SectionOf`]) and its one-line summary.
macro_rules! sections {
    ($($(#[$meta:meta])* $variant:ident($report:ty),)+) => {
        /// A scenario's own numbers in a variant's report: one tagged section, serialised under
        /// the scenario's key (`"tags": {..}`) beside the numbers every run has.
        // One section exists per variant run, so the size of the largest report costs nothing
        // worth a box.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Section {
            $($(#[$meta])* $variant($report),)+
        }

        impl Section {
            /// What the section says in one line (the CLI prints it after a variant's numbers).
            pub fn headline(&self) -> String {
                match self {
                    $(Section::$variant(report) => report.headline(),)+
                }
            }
        }

        $(
            impl From<$report> for Section {
                fn from(report: $report) -> Section {
                    Section::$variant(report)
                }
            }

            impl SectionOf for $report {
                fn of(section: &Section) -> Option<&Self> {
                    if let Section::$variant(report) = section {
                        Some(report)
                    } else {
                        None
                    }
                }
            }
        )+
    };
}

/// A report type that is one of [`Section`]'s variants: how
/// [`VariantReport::section`](super::VariantReport::section) reads it back.
pub trait SectionOf: Sized {
    /// The report, if `section` holds one of this type.
    fn of(section: &Section) -> Option<&Self>;
}

sections! {
    /// What a schema deploy did to the cache.
    SchemaDeploy(schema_deploy::SchemaDeployReport),
    /// Stale reads, put-backs, write load and lost writes.
    Consistency(consistency::ConsistencyReport),
    /// Several app instances over shared tiers: per-layer and per-instance numbers.
    Multilayer(multilayer::MultiLayerReport),
    /// The HTTP response cache's own numbers.
    ResponseCache(response_cache::ResponseCacheReport),
    /// The rate limiter's own numbers.
    Ratelimit(ratelimit::RateLimitReport),
    /// Tag sets over time, pages flushed by tag and stale reads.
    Tags(tags::TagsReport),
    /// Keys per call, wrong values, spelling misses and the digest's birthday bound.
    Keys(keys::KeysReport),
    /// Query results flushed by the tables or rows they read; stale reads; the summary's lock.
    QueryCache(query_cache::QueryCacheReport),
    /// What a failing shared cache cost: failed requests, database load, p99.
    Degradation(degradation::DegradationReport),
    /// Concurrent loads under a lock, and whose locks the releases deleted.
    LockSafety(lock_safety::LockSafetyReport),
    /// What maxmemory and its policy refused and evicted.
    Memory(memory::MemoryReport),
}

/// Every scenario, in the order the faces list them.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::of::<super::stampede::Stampede>(),
        Scenario::of::<super::avalanche::Avalanche>(),
        Scenario::of::<super::penetration::Penetration>(),
        Scenario::of::<super::schema_deploy::SchemaDeploy>(),
        Scenario::of::<super::consistency::Consistency>(),
        Scenario::of::<super::multilayer::MultiLayer>(),
        Scenario::of::<super::response_cache::ResponseCache>(),
        Scenario::of::<super::ratelimit::RateLimit>(),
        Scenario::of::<super::tags::TaggedPages>(),
        Scenario::of::<super::keys::Keys>(),
        Scenario::of::<super::query_cache::QueryCache>(),
        Scenario::of::<super::degradation::Degradation>(),
        Scenario::of::<super::lock_safety::LockSafety>(),
        Scenario::of::<super::memory::Memory>(),
    ]
}

/// The scenario called `name`.
pub fn find(name: &str) -> Result<Scenario> {
    scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::UnknownName {
            kind: "scenario",
            name: name.to_string(),
            known: scenarios().iter().map(|s| s.name.to_string()).collect(),
        })
}
