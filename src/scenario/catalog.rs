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

/// Declares [`scenarios`] and [`listing`] from one list of the scenario types, each with the page's
/// wasm module that runs it (its cargo feature, `wasm-NAME` for module `NAME`: see
/// scripts/wasm.sh).
///
/// A wasm build of one module's feature registers only that module's scenarios, so that nothing
/// reaches another module's scenario code (its runs, strategies, texts): the page loads a module
/// per run of lessons instead of one with every scenario. Natively, and in a wasm build with every
/// feature (the tests) or with `wasm-bench` (the benchmark page runs scenarios by name), every
/// scenario is registered. `listing` always lists them all: it links no scenario's code.
/// A module named here that Cargo.toml does not declare is a compile-time warning (`unexpected
/// cfg`), an error under clippy's `-D warnings`.
macro_rules! catalogue {
    ($($scenario:ty => $module:literal,)+) => {
        /// Every scenario this build runs, in the order the faces list them: all of them, except
        /// in a wasm build of one page module (see `catalogue!`).
        // Pushed one by one, each under its module's cfg (a wasm build of a module that runs no
        // scenario, such as `basics`, pushes none): `vec![]` takes no cfg.
        #[allow(clippy::vec_init_then_push)]
        pub fn scenarios() -> Vec<Scenario> {
            #[allow(unused_mut)]
            let mut all = Vec::new();
            $(
                #[cfg(any(not(target_arch = "wasm32"), feature = "wasm-bench", feature = $module))]
                all.push(Scenario::of::<$scenario>());
            )+
            all
        }

        /// Every scenario without the means to run it (names, parameters, variants): what the
        /// page needs before its first lesson, without linking any scenario's code.
        pub fn listing() -> Vec<Scenario<()>> {
            vec![$(Scenario::listing::<$scenario>(),)+]
        }
    };
}

// Each scenario, in the order the faces list them, with the page module that runs it
// (scripts/wasm.sh). A lesson loads the one module that runs its scenario; the modules follow the
// course (src/course/catalog.rs), so that consecutive lessons share one: 1 the Redis basics and
// the caching decorator (the keys lesson's own functions come with `keys`), 2 response caching
// and cache patterns, 3 the stampede, typed values, multi-layer caching, monitoring and the
// anti-patterns (most of them on the lab bench), 4 the exercises. Every module holds a copy of the
// core (the simulator, the L2 model, the strategies, the report), so its size is that copy plus
// its scenarios: README, "Publishing the playground", has the sizes.
catalogue! {
    super::stampede::Stampede => "wasm-scenarios3",
    super::avalanche::Avalanche => "wasm-scenarios3",
    super::penetration::Penetration => "wasm-scenarios3",
    super::schema_deploy::SchemaDeploy => "wasm-scenarios3",
    super::consistency::Consistency => "wasm-scenarios2",
    super::multilayer::MultiLayer => "wasm-scenarios3",
    super::response_cache::ResponseCache => "wasm-scenarios2",
    super::ratelimit::RateLimit => "wasm-scenarios4",
    super::tags::TaggedPages => "wasm-scenarios4",
    super::keys::Keys => "wasm-scenarios1",
    super::query_cache::QueryCache => "wasm-scenarios4",
    super::degradation::Degradation => "wasm-scenarios1",
    super::lock_safety::LockSafety => "wasm-scenarios3",
    super::memory::Memory => "wasm-scenarios3",
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
