//! The registry of scenarios: one line per scenario in `catalogue!` (which declares [`scenarios`]
//! and [`listing`]), in the order the faces list them, and one line per scenario that has numbers
//! of its own in [`Section`]. Each scenario lives in its own module and follows the contract of
//! `contract.rs`; nothing else names it.

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

/// Declares [`scenarios`] and [`listing`] from one list of the scenario types.
macro_rules! catalogue {
    ($($scenario:ty,)+) => {
        /// Every scenario, in the order the faces list them.
        pub fn scenarios() -> Vec<Scenario> {
            vec![$(Scenario::of::<$scenario>(),)+]
        }

        /// The same list without the means to run a scenario (names, parameters, variants):
        /// what the page needs before its first lesson, without linking every scenario's code.
        pub fn listing() -> Vec<Scenario<()>> {
            vec![$(Scenario::listing::<$scenario>(),)+]
        }
    };
}

catalogue! {
    super::stampede::Stampede,
    super::avalanche::Avalanche,
    super::penetration::Penetration,
    super::schema_deploy::SchemaDeploy,
    super::consistency::Consistency,
    super::multilayer::MultiLayer,
    super::response_cache::ResponseCache,
    super::ratelimit::RateLimit,
    super::tags::TaggedPages,
    super::keys::Keys,
    super::query_cache::QueryCache,
    super::degradation::Degradation,
    super::lock_safety::LockSafety,
    super::memory::Memory,
}

/// The scenario called `name`.
pub fn find(name: &str) -> Result<Scenario> {
    find_in(scenarios(), name)
}

/// The scenario called `name` without the means to run it (what a lesson checks its names
/// against): the page's first module then links no scenario's code.
pub fn find_listed(name: &str) -> Result<Scenario<()>> {
    find_in(listing(), name)
}

fn find_in<R>(all: Vec<Scenario<R>>, name: &str) -> Result<Scenario<R>> {
    let known: Vec<String> = all.iter().map(|s| s.name.to_string()).collect();
    all.into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::UnknownName {
            kind: "scenario",
            name: name.to_string(),
            known,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_is_the_catalogue_without_its_runners() {
        let listed = serde_json::to_string(&listing()).unwrap();
        assert_eq!(listed, serde_json::to_string(&scenarios()).unwrap());
        assert_eq!(listing().len(), scenarios().len());
    }
}
