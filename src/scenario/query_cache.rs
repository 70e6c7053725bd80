//! Scenario `query-cache`: the chapter's Exercise 3 — database query results cached in L2,
//! invalidated by what they read.
//!
//! A shop's code sends four queries (each in two spellings that differ in case and spacing,
//! which the cache normalises away) over two tables, `products` (each product in category
//! `id mod categories`) and `reviews` (grouped by product):
//!
//! | share | query | reads |
//! |---|---|---|
//! | 35 % | a product by id (Zipf) | its `products` row |
//! | 25 % | a category's products by price (Zipf over categories) | every `products` row of the category |
//! | 20 % | a product with its reviews (Zipf) | its `products` row and its `reviews` |
//! | 20 % | the per-category summary of the home page: the hottest query, one key, [`SUMMARY_COST`] times slower | every `products` row |
//!
//! A result is cached under the normalised text and its parameters
//! ([`crate::manager::function_key`]), stamped with when the database read it, and tagged with
//! [`Tags`] (through the [`crate::strategy::Store`] trait, as the `tags` scenario tags pages). Writes
//! arrive at `update_rate`: 60 % change a product, 40 % add a review to one. The variants differ
//! only in tags and flushes:
//!
//! - `ttl-only`: no tags; a result lives until `ttl_s` ends, whatever changes;
//! - `table-invalidation`: each result is tagged with the tables it read, and a write flushes
//!   its table's tag;
//! - `row-invalidation`: each result is tagged with the rows it read, and a write flushes its
//!   row's tag.
//!
//! A query's result is written to the cache when the query *ends*; a write that flushes one of
//! its tags while it runs would otherwise be undone by the fill, so a flushing variant skips such
//! a fill (in Redis: a version counter per tag, read before the query and compared when
//! filling). At start the application warms the cache with the summary and every category page.
//! The summary is protected from stampedes: a miss takes a lock (`SET NX`, tagged like the result
//! so that a flush frees it too) and loads; the misses that find the lock taken wait for that
//! load. A read is **stale** when a row it depends on was written after the database read it
//! and before the read arrived.

use super::common::{faulty_common, param, SERVICE_PARAMS};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::Driver;
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use super::service::ServiceBench;
use crate::error::{Error, Result};
use crate::manager::{function_key, Tags};
use crate::metrics::Purpose;
use crate::sim::{SimDuration, SimRng, SimTime};
use crate::strategy::Store;
use crate::workload::Zipf;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// The workload's random stream.
const WORKLOAD_STREAM: u64 = 1;
/// The summary query takes this many ordinary queries' time.
pub const SUMMARY_COST: u32 = 5;
/// How long the summary's load lock lives at most.
const LOCK_TTL: SimDuration = SimDuration::from_secs(10);
/// Cumulative shares of the reads: by id, by category, with reviews (the rest: the summary).
const BY_ID: f64 = 0.35;
const BY_CATEGORY: f64 = 0.60;
const WITH_REVIEWS: f64 = 0.80;
/// Share of writes that change a product (the rest add a review).
const PRODUCT_WRITES: f64 = 0.6;
/// Prefix of the cache's keys and tag sets.
const PREFIX: &str = "qc";

/// The queries, each as two spellings the code base sends.
const QUERIES: [[&str; 2]; 4] = [
    [
        "SELECT * FROM products WHERE id = $1",
        "select *\n  from products\n  where id = $1",
    ],
    [
        "SELECT * FROM products WHERE category = $1 ORDER BY price",
        "SELECT *  FROM products WHERE category = $1  ORDER BY price",
    ],
    [
        "SELECT p.*, r.* FROM products p JOIN reviews r ON r.product_id = p.id WHERE p.id = $1",
        "select p.*, r.* from products p join reviews r on r.product_id = p.id where p.id = $1",
    ],
    [
        "SELECT category, COUNT(*), MIN(price) FROM products GROUP BY category",
        "SELECT category, count(*), min(price)\nFROM products\nGROUP BY category",
    ],
];

/// A query text as the cache keys it: runs of white space become one space, and everything
/// outside quotes is lower case (SQL keywords and unquoted names are case-insensitive).
///
/// ```
/// use cachelab::scenario::normalise_sql;
/// assert_eq!(normalise_sql("SELECT *\n  FROM t WHERE name = 'Ada  B'"), "select * from t where name = 'Ada  B'");
/// ```
pub fn normalise_sql(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut space = false;
    for c in text.trim().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => space = true,
            None => {
                if space {
                    out.push(' ');
                    space = false;
                }
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

/// Scenario `query-cache`.
pub(super) struct QueryCache;

variants! {
    /// How a variant keeps cached query results current.
    pub(super) enum Invalidation {
        TtlOnly = "ttl-only": "results live until their TTL; writes flush nothing",
        ByTable = "table-invalidation": "results tagged with the tables they read; a write flushes its table",
        ByRow = "row-invalidation": "results tagged with the rows they read; a write flushes its row",
    }
}

impl Experiment for QueryCache {
    type Variant = Invalidation;
    const NAME: &'static str = "query-cache";
    const ABOUT: &'static str =
        "Exercise 3: query results cached by normalised text and parameters, tagged with the \
         tables or rows they read and flushed when a write touches them, warmed at start, the \
         hottest query behind a lock; against a TTL alone.";

    fn params() -> Vec<ParamSpec> {
        faulty_common(
            &SERVICE_PARAMS,
            &[
                ("duration_s", 60.0),
                ("rate", 300.0),
                ("skew", 0.9),
                ("ttl_s", 60.0),
                ("db_p50_ms", 10.0),
                ("db_p99_ms", 50.0),
                ("bucket_ms", 5_000.0),
            ],
            &[
                param(
                    "products",
                    "rows of the products table (each with its reviews)",
                    "products",
                    400.0,
                    1.0,
                    10_000.0,
                    true,
                ),
                param(
                    "categories",
                    "categories the products fall into (product p is in p mod categories)",
                    "categories",
                    20.0,
                    1.0,
                    1_000.0,
                    true,
                ),
                param(
                    "update_rate",
                    "writes per second: product changes (60 %) and new reviews (40 %)",
                    "writes/s",
                    5.0,
                    0.0,
                    10_000.0,
                    false,
                ),
            ],
        )
    }

    const LIVE: &'static str = "Results, tag sets, the summary's lock and the flushes live in \
        the real server (on a cluster a result and its tags sit in different slots, and tagging \
        and flushing go key by key, as in the tags scenario); the shop's database stays the model: \
        its response times are drawn and counted, and a result is written when its query ends on \
        the wall clock.";

    fn run_on<D: Driver>(
        p: &Params,
        variant: Invalidation,
        seed: u64,
        d: &D,
    ) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

/// What the query cache did in one variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueryCacheReport {
    /// Results cached at start, before traffic.
    pub warmed: u64,
    /// Writes (product changes and new reviews).
    pub writes: u64,
    /// Cached results the writes' flushes deleted.
    pub flushed: u64,
    /// Fills skipped because a flush of one of their tags came while their query ran.
    pub skipped_fills: u64,
    /// Reads served data older than a write that came before them.
    pub stale_reads: u64,
    /// Database loads of the summary (the hottest query).
    pub summary_loads: u64,
    /// Summary reads that waited for another request's load behind the lock.
    pub summary_waits: u64,
    /// Summary loads started while another load of the same, unchanged data ran: what the lock
    /// prevents (a load that a flush made out of date does not count).
    pub summary_duplicate_loads: u64,
    /// Distinct keys the cache used (spellings of one query share one).
    pub distinct_keys: u64,
}

impl QueryCacheReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        format!(
            "warmed {}; {} writes flushed {} results ({} fills skipped); stale reads {}; summary loads {} ({} duplicates), waits {}",
            self.warmed,
            self.writes,
            self.flushed,
            self.skipped_fills,
            self.stale_reads,
            self.summary_loads,
            self.summary_duplicate_loads,
            self.summary_waits
        )
    }
}

/// A query with its parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Query {
    ById(u64),
    ByCategory(u64),
    WithReviews(u64),
    Summary,
}

/// A row group a query reads and a write changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Row {
    Product(u64),
    /// The reviews of a product.
    Reviews(u64),
}

impl Row {
    fn table(self) -> &'static str {
        match self {
            Row::Product(_) => "products",
            Row::Reviews(_) => "reviews",
        }
    }

    fn tag(self) -> String {
        match self {
            Row::Product(p) => format!("row:products:{p}"),
            Row::Reviews(p) => format!("row:reviews:{p}"),
        }
    }
}

struct Shop {
    products: u64,
    categories: u64,
}

impl Shop {
    fn template(query: Query) -> usize {
        match query {
            Query::ById(_) => 0,
            Query::ByCategory(_) => 1,
            Query::WithReviews(_) => 2,
            Query::Summary => 3,
        }
    }

    /// The cache key: the normalised text and the parameters.
    fn key(query: Query, spelling: usize) -> Result<String> {
        let text = normalise_sql(QUERIES[Shop::template(query)][spelling]);
        let param: Option<u64> = match query {
            Query::ById(p) | Query::WithReviews(p) => Some(p),
            Query::ByCategory(c) => Some(c),
            Query::Summary => None,
        };
        function_key(PREFIX, "query", &(text, param)).map_err(|e| Error::Parse {
            what: "a query's parameters".to_string(),
            detail: e.to_string(),
        })
    }

    /// A number per query for the metrics.
    fn number(&self, query: Query) -> u64 {
        match query {
            Query::ById(p) => p,
            Query::ByCategory(c) => self.products + c,
            Query::WithReviews(p) => self.products + self.categories + p,
            Query::Summary => 2 * self.products + self.categories,
        }
    }

    /// The rows `query` reads.
    fn rows(&self, query: Query) -> Vec<Row> {
        match query {
            Query::ById(p) => vec![Row::Product(p)],
            Query::ByCategory(c) => (c..self.products)
                .step_by(self.categories as usize)
                .map(Row::Product)
                .collect(),
            Query::WithReviews(p) => vec![Row::Product(p), Row::Reviews(p)],
            Query::Summary => (0..self.products).map(Row::Product).collect(),
        }
    }

    /// The tags of `query`'s result under `variant`.
    fn tags(&self, query: Query, variant: Invalidation) -> Vec<String> {
        match variant {
            Invalidation::TtlOnly => Vec::new(),
            Invalidation::ByTable => {
                let mut tables: Vec<&str> = self.rows(query).iter().map(|r| r.table()).collect();
                tables.sort_unstable();
                tables.dedup();
                tables.into_iter().map(|t| format!("table:{t}")).collect()
            }
            Invalidation::ByRow => self.rows(query).iter().map(|r| r.tag()).collect(),
        }
    }
}

/// A result on its way from the database to the cache.
struct Fill {
    key: String,
    query: Query,
    /// When the database read it (its rows' state at that moment).
    read_at: SimTime,
    /// The summary's lock token, if this load holds the lock.
    lock: Option<u64>,
}

/// A cached result: when the database read it, then a body.
fn result_bytes(read_at: SimTime) -> Vec<u8> {
    let mut bytes = format!("{} ", read_at.as_micros()).into_bytes();
    bytes.resize(bytes.len() + 200, b'.');
    bytes
}

fn read_at_of(bytes: &[u8]) -> Option<SimTime> {
    let text = std::str::from_utf8(bytes.split(|&b| b == b' ').next()?).ok()?;
    text.parse().ok().map(SimTime)
}

/// The run's state besides the bench.
struct State {
    shop: Shop,
    variant: Invalidation,
    tags: Tags,
    /// When each row was last written.
    written: HashMap<Row, SimTime>,
    /// When each tag was last flushed.
    flushed_at: HashMap<String, SimTime>,
    /// Fills by the time their query ends.
    pending: BinaryHeap<Reverse<(SimTime, u64)>>,
    fills: HashMap<u64, Fill>,
    next_fill: u64,
    /// The summary's loads in flight: (end, read at) by lock token.
    summary_loads: HashMap<u64, (SimTime, SimTime)>,
    keys: HashSet<String>,
    report: QueryCacheReport,
}

impl State {
    fn lock_key() -> String {
        format!("{PREFIX}:lock:summary")
    }

    /// Whether a result read at `read_at` misses a write that came before `now`.
    fn stale(&self, query: Query, read_at: SimTime, now: SimTime) -> bool {
        self.shop.rows(query).iter().any(|r| {
            self.written
                .get(r)
                .is_some_and(|&w| w > read_at && w <= now)
        })
    }

    /// Writes `query`'s result read at `read_at` to the cache with its tags (a write the cache
    /// refuses is counted by the bench and leaves the result uncached).
    fn store<D: Driver>(
        &mut self,
        bench: &ServiceBench<'_, D>,
        key: &str,
        query: Query,
        read_at: SimTime,
    ) -> Result<()> {
        let tags = self.shop.tags(query, self.variant);
        let names: Vec<&str> = tags.iter().map(String::as_str).collect();
        let value = result_bytes(read_at);
        bench.store_call(self.tags.set(
            &bench.store,
            key.as_bytes(),
            &value,
            Some(bench.ttl),
            &names,
        ))?;
        Ok(())
    }

    /// Applies the fills due by `t`, each at its own time.
    fn fill_until<D: Driver>(&mut self, bench: &mut ServiceBench<'_, D>, t: SimTime) -> Result<()> {
        while let Some(&Reverse((due, id))) = self.pending.peek() {
            if due > t {
                break;
            }
            self.pending.pop();
            bench.advance_to(due)?;
            let Some(fill) = self.fills.remove(&id) else {
                continue;
            };
            let tags = self.shop.tags(fill.query, self.variant);
            let flushed_meanwhile = tags
                .iter()
                .any(|tag| self.flushed_at.get(tag).is_some_and(|&f| f >= fill.read_at));
            if flushed_meanwhile {
                self.report.skipped_fills += 1;
            } else {
                self.store(bench, &fill.key, fill.query, fill.read_at)?;
            }
            if let Some(token) = fill.lock {
                self.summary_loads.remove(&token);
                // Compare-and-delete: a flush may have freed the lock and another load taken it.
                let lock = State::lock_key();
                let held = bench
                    .store_call(bench.store.get(lock.as_bytes()))?
                    .flatten();
                if held.as_deref() == Some(token.to_string().as_bytes()) {
                    bench.store_call(bench.store.del(lock.as_bytes()))?;
                }
            }
        }
        Ok(())
    }

    fn schedule(&mut self, due: SimTime, fill: Fill) {
        let id = self.next_fill;
        self.next_fill += 1;
        self.fills.insert(id, fill);
        self.pending.push(Reverse((due, id)));
    }
}

/// Runs variant `variant` on `d`.
fn run<D: Driver>(p: &Params, variant: Invalidation, seed: u64, d: &D) -> Result<VariantReport> {
    let shop = Shop {
        products: p.get_u64("products")?,
        categories: p.get_u64("categories")?,
    };
    let popularity = Zipf::new(shop.products, p.get("skew")?);
    let categories = Zipf::new(shop.categories, p.get("skew")?);
    let rate = p.get("rate")?;
    let update_rate = p.get("update_rate")?;
    let write_share = update_rate / (rate + update_rate);
    // The bench draws arrivals of reads and writes together.
    let mut bench = ServiceBench::new(p, seed, update_rate, d)?;
    let mut rng = SimRng::fork(seed, WORKLOAD_STREAM);
    let mut state = State {
        shop,
        variant,
        tags: Tags::new(PREFIX),
        written: HashMap::new(),
        flushed_at: HashMap::new(),
        pending: BinaryHeap::new(),
        fills: HashMap::new(),
        next_fill: 0,
        summary_loads: HashMap::new(),
        keys: HashSet::new(),
        report: QueryCacheReport::default(),
    };
    // Warming: the home page's summary and every category page, before traffic.
    let warm: Vec<Query> = std::iter::once(Query::Summary)
        .chain((0..state.shop.categories).map(Query::ByCategory))
        .collect();
    for query in warm {
        let key = Shop::key(query, 0)?;
        bench.query(state.shop.number(query), SimTime::ZERO, Purpose::Load);
        state.store(&bench, &key, query, SimTime::ZERO)?;
        state.keys.insert(key);
        state.report.warmed += 1;
    }
    let mut lock_tokens = 0u64;
    while let Some(at) = bench.next_time(&mut rng) {
        state.fill_until(&mut bench, at)?;
        bench.advance_to(at)?;
        if rng.chance(write_share) {
            let product = rng.below(state.shop.products);
            let row = if rng.chance(PRODUCT_WRITES) {
                Row::Product(product)
            } else {
                Row::Reviews(product)
            };
            state.written.insert(row, at);
            state.report.writes += 1;
            let tag = match variant {
                Invalidation::TtlOnly => None,
                Invalidation::ByTable => Some(format!("table:{}", row.table())),
                Invalidation::ByRow => Some(row.tag()),
            };
            let trips = match tag {
                Some(tag) => {
                    let flushed =
                        bench.store_call(state.tags.invalidate_tag(&bench.store, &tag))?;
                    state.report.flushed += flushed.unwrap_or(0);
                    state.flushed_at.insert(tag, at);
                    2
                }
                None => 0,
            };
            bench.write(state.shop.number(Query::ById(product)), at, trips);
            continue;
        }
        let draw = rng.unit();
        let query = if draw < BY_ID {
            Query::ById(popularity.sample(&mut rng))
        } else if draw < BY_CATEGORY {
            Query::ByCategory(categories.sample(&mut rng))
        } else if draw < WITH_REVIEWS {
            Query::WithReviews(popularity.sample(&mut rng))
        } else {
            Query::Summary
        };
        let spelling = rng.below(2) as usize;
        let key = Shop::key(query, spelling)?;
        let number = state.shop.number(query);
        state.keys.insert(key.clone());
        // A lookup the cache cannot answer is a miss (the bench counts the error).
        let cached = bench.store_call(bench.store.get(key.as_bytes()))?.flatten();
        if let Some(read_at) = cached.as_deref().and_then(read_at_of) {
            let stale = state.stale(query, read_at, at);
            state.report.stale_reads += u64::from(stale);
            bench.hit(number, at, 1, stale);
            continue;
        }
        if query != Query::Summary {
            let done = bench.miss(number, at, 1);
            let read_at = at + bench.rtt;
            state.schedule(
                done,
                Fill {
                    key,
                    query,
                    read_at,
                    lock: None,
                },
            );
            continue;
        }
        // The summary: one load at a time behind a lock that its tags flush too.
        lock_tokens += 1;
        let token = lock_tokens;
        let lock = State::lock_key();
        let taken = bench.store_call(bench.store.set_nx(
            lock.as_bytes(),
            token.to_string().as_bytes(),
            Some(LOCK_TTL),
        ))?;
        // A lock taken by another: wait for the load that holds it (the lock's value names it).
        // A cache that cannot answer leaves no lock: the request loads (fails open).
        let holder = if taken == Some(false) {
            let held = bench
                .store_call(bench.store.get(lock.as_bytes()))?
                .flatten();
            held.and_then(|t| std::str::from_utf8(&t).ok()?.parse::<u64>().ok())
                .and_then(|t| state.summary_loads.get(&t).copied())
        } else {
            None
        };
        match holder {
            Some((end, read_at)) => {
                let stale = state.stale(query, read_at, at);
                state.report.stale_reads += u64::from(stale);
                state.report.summary_waits += 1;
                bench.waited(number, at, end, stale);
            }
            // The lock is ours (or its holder has ended): load.
            None => {
                let tags = state.shop.tags(query, variant);
                for tag in &tags {
                    let tagging =
                        state
                            .tags
                            .tag(&bench.store, lock.as_bytes(), Some(LOCK_TTL), tag);
                    bench.store_call(tagging)?;
                }
                let done = bench.costly_miss(number, at, 2, SUMMARY_COST);
                // Counted from when the lock was taken (the model answers commands as they are
                // sent): a flush after that frees the lock, so this load's result must not be
                // stored, even if the query itself began later.
                let read_at = at;
                // Another load of data no write has changed since it began: the lock failed.
                let last_flush = tags
                    .iter()
                    .filter_map(|t| state.flushed_at.get(t).copied())
                    .max()
                    .unwrap_or(SimTime::ZERO);
                let duplicate = state
                    .summary_loads
                    .values()
                    .any(|&(end, start)| end > read_at && start > last_flush);
                state.report.summary_duplicate_loads += u64::from(duplicate);
                state.summary_loads.insert(token, (done, read_at));
                state.report.summary_loads += 1;
                let lock = (taken == Some(true)).then_some(token);
                state.schedule(
                    done,
                    Fill {
                        key,
                        query,
                        read_at,
                        lock,
                    },
                );
            }
        }
    }
    state.fill_until(&mut bench, SimTime(u64::MAX))?;
    state.report.distinct_keys = state.keys.len() as u64;
    let report = state.report;
    Ok(bench.finish(variant.name(), 0, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_a_query_share_its_key() {
        for q in [
            Query::ById(3),
            Query::ByCategory(1),
            Query::WithReviews(3),
            Query::Summary,
        ] {
            assert_eq!(Shop::key(q, 0).unwrap(), Shop::key(q, 1).unwrap(), "{q:?}");
        }
        assert_ne!(
            Shop::key(Query::ById(3), 0).unwrap(),
            Shop::key(Query::ById(4), 0).unwrap()
        );
        assert_ne!(
            Shop::key(Query::ById(3), 0).unwrap(),
            Shop::key(Query::WithReviews(3), 0).unwrap()
        );
    }

    #[test]
    fn results_are_tagged_with_what_they_read() {
        let shop = Shop {
            products: 10,
            categories: 4,
        };
        assert_eq!(
            shop.rows(Query::ByCategory(1)),
            [Row::Product(1), Row::Product(5), Row::Product(9)]
        );
        assert_eq!(
            shop.tags(Query::WithReviews(2), Invalidation::ByTable),
            ["table:products", "table:reviews"]
        );
        assert_eq!(
            shop.tags(Query::WithReviews(2), Invalidation::ByRow),
            ["row:products:2", "row:reviews:2"]
        );
        assert!(shop.tags(Query::Summary, Invalidation::TtlOnly).is_empty());
        assert_eq!(read_at_of(&result_bytes(SimTime(42))), Some(SimTime(42)));
    }
}
