//! Scenario `tags`: flushing cached pages by tag when a product changes, and keeping the tag sets
//! from growing for ever.
//!
//! A shop caches rendered pages in L2 for `ttl_s`, each tagged with what it shows:
//!
//! | share | page | key | tags |
//! |---|---|---|---|
//! | 40 % | a product (Zipf over the catalogue) | `page:product:ID` | `product:ID`, `category:C` |
//! | 20 % | a category listing (its first [`LISTING_SIZE`] products) | `page:category:C` | `category:C` and each product shown |
//! | 40 % | a search result (uniform over `queries`) | `page:search:Q` | each of its [`SEARCH_RESULTS`] products and their categories |
//!
//! A read that misses renders the page from the database and caches it with its tags. Product
//! updates arrive at `update_rate` (uniform over the catalogue); each flushes what shows that
//! product. A read that gets a page rendered before the last update of a product it shows is a
//! **stale read**.
//!
//! The variants differ only in how they tag and flush:
//!
//! - `bounded`: [`Tags`] as built — each set's TTL follows its longest-lived member and dead names
//!   are pruned once a set has doubled;
//! - `unbounded`: a plain `SADD` per tag with no TTL and no pruning. Flushes find the same pages,
//!   but search pages expire one by one and their names stay in the category sets, which no update
//!   ever flushes: those sets grow with every distinct search served;
//! - `no-tags`: an update deletes only the product's own page; listings and searches that show it
//!   stay stale until their TTL ends.

use super::common::{
    alert_thresholds, db_latency, faulty_common, ms, param, secs, PRODUCTS, SERVICE_PARAMS,
};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::{fail_open, faulty_store, Driver};
use super::lab::check_request_budget;
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::manager::{Monitor, Tags};
use crate::metrics::{Metrics, Outcome, PeakInFlight, Purpose, Served};
use crate::sim::{SimDuration, SimRng, SimTime};
use crate::strategy::{all_ok, count_of, Cmd, Store};
use crate::workload::{Arrivals, Op, PoissonClock, Zipf};
use serde::Serialize;

/// Random streams: the requests, and the database's response times.
const WORKLOAD_STREAM: u64 = 1;
const DB_STREAM: u64 = 2;

/// Products a category listing shows.
pub const LISTING_SIZE: u64 = 20;
/// Products a search result shows.
pub const SEARCH_RESULTS: u64 = 5;

/// Cumulative shares of product pages and listings among reads (the rest are searches).
const PRODUCT_SHARE: f64 = 0.4;
const LISTING_SHARE: f64 = 0.6;

/// Bytes of a rendered page besides its render time.
const PAGE_BODY: usize = 300;

/// At most this many tag-set sizes read in one variant (every tag at every bucket's end), so
/// that a fine bucket over a large catalogue cannot take minutes.
pub const MAX_TAG_MEASUREMENTS: u64 = 20_000_000;

/// The prefix of the tag sets' keys.
const TAG_PREFIX: &str = "shop";

/// A cacheable page.
#[derive(Clone, Copy, Debug)]
enum Page {
    Product(u64),
    Listing(u64),
    Search(u64),
}

/// The shop's catalogue: product `p` is in category `p % categories`.
struct Catalogue {
    products: u64,
    categories: u64,
}

impl Catalogue {
    fn key(&self, page: Page) -> String {
        match page {
            Page::Product(p) => format!("page:product:{p}"),
            Page::Listing(c) => format!("page:category:{c}"),
            Page::Search(q) => format!("page:search:{q}"),
        }
    }

    /// A number per page for the metrics: products, then listings, then searches.
    fn number(&self, page: Page) -> u64 {
        match page {
            Page::Product(p) => p,
            Page::Listing(c) => self.products + c,
            Page::Search(q) => self.products + self.categories + q,
        }
    }

    /// The products `page` shows, sorted, without repeats.
    fn shown(&self, page: Page) -> Vec<u64> {
        let mut shown: Vec<u64> = match page {
            Page::Product(p) => vec![p],
            Page::Listing(c) => (0..LISTING_SIZE)
                .map(|i| c + i * self.categories)
                .take_while(|&p| p < self.products)
                .collect(),
            Page::Search(q) => {
                // The search engine's answer depends only on the query.
                let mut engine = SimRng::new(q);
                (0..SEARCH_RESULTS)
                    .map(|_| engine.below(self.products))
                    .collect()
            }
        };
        shown.sort_unstable();
        shown.dedup();
        shown
    }

    /// The tags of `page`: each product it shows and their categories.
    fn tags(&self, page: Page) -> Vec<String> {
        let shown = self.shown(page);
        let mut categories: Vec<u64> = match page {
            Page::Listing(c) => vec![c],
            Page::Product(_) | Page::Search(_) => {
                shown.iter().map(|p| p % self.categories).collect()
            }
        };
        categories.sort_unstable();
        categories.dedup();
        let products = shown.iter().map(|p| format!("product:{p}"));
        products
            .chain(categories.iter().map(|c| format!("category:{c}")))
            .collect()
    }

    /// Every tag any page can carry.
    fn all_tags(&self) -> impl Iterator<Item = String> + '_ {
        let products = (0..self.products).map(|p| format!("product:{p}"));
        products.chain((0..self.categories).map(|c| format!("category:{c}")))
    }
}

/// What tagging did in one variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TagsReport {
    /// `bounded`, `unbounded` or `none`.
    pub tagging: &'static str,
    /// Names in all tag sets together at the end of each time-series bucket (dead ones included).
    pub tag_members: Vec<u64>,
    /// L2's used memory at the end of each bucket, in bytes.
    pub used_memory_bytes: Vec<u64>,
    /// The most names one tag set held at a bucket's end.
    pub largest_tag_set: u64,
    /// Pages rendered and cached (after a miss).
    pub pages_cached: u64,
    /// Product updates.
    pub updates: u64,
    /// Cached pages the updates deleted.
    pub flushed_pages: u64,
    /// Reads served a page rendered before the last update of a product it shows.
    pub stale_reads: u64,
}

impl TagsReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        format!(
            "tag sets {} names at the end, largest {}; {} updates flushed {} pages; stale reads {}",
            self.tag_members.last().copied().unwrap_or(0),
            self.largest_tag_set,
            self.updates,
            self.flushed_pages,
            self.stale_reads
        )
    }
}

/// Scenario `tags`.
pub(super) struct TaggedPages;

variants! {
    /// How a variant tags pages and flushes them.
    pub(super) enum Tagging {
        Bounded = "bounded": "tag sets with a TTL that follows their members, pruned when they double",
        Unbounded = "unbounded": "a plain SADD per tag: no TTL, no pruning, dead names pile up",
        NoTags = "no-tags": "an update deletes only the product's own page; listings stay stale",
    }
}

impl Experiment for TaggedPages {
    type Variant = Tagging;
    const NAME: &'static str = "tags";
    const ABOUT: &'static str =
        "Cached pages tagged with the products and categories they show, flushed by tag \
                when a product changes: tag sets bounded by a TTL and pruning, against plain \
                SADD (sets that grow for ever) and against no tags (stale listings).";

    fn params() -> Vec<ParamSpec> {
        faulty_common(
            &SERVICE_PARAMS,
            &[
                ("duration_s", 120.0),
                ("rate", 200.0),
                ("skew", 1.0),
                ("ttl_s", 30.0),
                ("db_p50_ms", 20.0),
                ("db_p99_ms", 100.0),
                ("bucket_ms", 5_000.0),
            ],
            &[
                // Every product is a tag whose set is measured at each bucket's end.
                ParamSpec {
                    max: 10_000.0,
                    ..PRODUCTS
                },
                param(
                    "categories",
                    "categories the products fall into (product p is in p mod categories)",
                    "categories",
                    10.0,
                    1.0,
                    1_000.0,
                    true,
                ),
                param(
                    "queries",
                    "distinct search queries the clients send (uniformly)",
                    "queries",
                    100_000.0,
                    1.0,
                    10_000_000.0,
                    true,
                ),
                param(
                    "update_rate",
                    "product updates per second, each flushing what shows the product",
                    "updates/s",
                    2.0,
                    0.0,
                    10_000.0,
                    false,
                ),
            ],
        )
    }

    const LIVE: &'static str = "Pages, tag sets and flushes live in the real server (on a \
        cluster a tag's set and its pages sit in different slots: pruning and flushing go slot by \
        slot); the database's render time stays the model's, counted but not slept, as in the \
        simulation; tag-set sizes are read with SCARD at each bucket's end, and L2's used memory \
        is not measured live.";

    fn run_on<D: Driver>(p: &Params, variant: Tagging, seed: u64, d: &D) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

/// A cached page: when it was rendered, then a body.
fn render(at: SimTime) -> Vec<u8> {
    let mut page = format!("{} ", at.as_micros()).into_bytes();
    page.resize(page.len() + PAGE_BODY, b'.');
    page
}

/// When a cached page was rendered.
fn rendered_at(page: &[u8]) -> Option<SimTime> {
    let text = std::str::from_utf8(page.split(|&b| b == b' ').next()?).ok()?;
    text.parse().ok().map(SimTime)
}

/// Runs variant `tagging` on `d`.
fn run<D: Driver>(p: &Params, tagging: Tagging, seed: u64, d: &D) -> Result<VariantReport> {
    let rate = p.get("rate")?;
    let update_rate = p.get("update_rate")?;
    let duration = secs(p, "duration_s")?;
    check_request_budget(
        Arrivals::Poisson {
            per_sec: rate + update_rate,
        },
        duration,
    )?;
    let catalogue = Catalogue {
        products: p.get_u64("products")?,
        categories: p.get_u64("categories")?,
    };
    let popularity = Zipf::new(catalogue.products, p.get("skew")?);
    let queries = p.get_u64("queries")?;
    let database = db_latency(p)?;
    let ttl = secs(p, "ttl_s")?;
    let rtt = ms(p, "l2_rtt_ms")?;
    let bucket = ms(p, "bucket_ms")?;
    let end = SimTime::ZERO + duration;
    let mut metrics = Metrics::new(bucket, end, u64::MAX, 0, None);
    // The shared cache at zero round trip on a clock this loop moves (the simulator's round trip
    // is added to each request's time below; live, the trip is real), behind the fault knobs.
    let store = faulty_store(d, SimDuration::ZERO, p)?;
    let model = d.model(store.inner());
    let mut monitor = match model {
        Some(l2) => Some(Monitor::new(bucket, alert_thresholds(p)?, &l2.borrow())),
        None => None,
    };
    let tags = Tags::new(TAG_PREFIX);
    let tag_keys: Vec<String> = catalogue.all_tags().map(|t| tags.set_key(&t)).collect();
    let mut report = TagsReport {
        tagging: match tagging {
            Tagging::Bounded => "bounded",
            Tagging::Unbounded => "unbounded",
            Tagging::NoTags => "none",
        },
        ..TagsReport::default()
    };
    // The end of the next bucket whose tag sets have not been measured.
    let buckets = duration.as_micros().div_ceil(bucket.as_micros());
    let measurements = buckets * tag_keys.len() as u64;
    if measurements > MAX_TAG_MEASUREMENTS {
        return Err(Error::LimitExceeded {
            what: "tag-set measurements (tags × buckets; raise bucket_ms or lower products)"
                .to_string(),
            limit: MAX_TAG_MEASUREMENTS,
            got: measurements,
        });
    }
    let mut measured = 0u64;
    let mut last_sizes: Vec<u64> = vec![0; tag_keys.len()];
    // Every bucket that ended by `now` gets its tag sets' sizes: read from the model at the
    // bucket's end, or (live, no model) counted with SCARD now.
    let mut measure_until = |report: &mut TagsReport,
                             metrics: &mut Metrics,
                             now: SimTime|
     -> Result<()> {
        while measured < buckets && SimTime((measured + 1) * bucket.as_micros()).min(end) <= now {
            let sizes = match model {
                Some(l2) => {
                    let mut l2 = l2.borrow_mut();
                    l2.advance_to(SimTime((measured + 1) * bucket.as_micros()).min(end));
                    report.used_memory_bytes.push(l2.used_memory());
                    tag_keys.iter().map(|k| l2.set_len(k.as_bytes())).collect()
                }
                // A count the server cannot give (it is down) is counted as an L2 error, and
                // the bucket repeats the last sizes known.
                None => match fail_open(metrics, now, d.block_on(set_sizes(&store, &tag_keys)))? {
                    Some(sizes) => sizes,
                    None => last_sizes.clone(),
                },
            };
            last_sizes.clone_from(&sizes);
            let (total, largest) = sizes.iter().fold((0, 0), |(t, m), &n| (t + n, m.max(n)));
            report.tag_members.push(total);
            report.largest_tag_set = report.largest_tag_set.max(largest);
            measured += 1;
        }
        Ok(())
    };
    let mut last_update = vec![SimTime::ZERO; catalogue.products as usize];
    let mut rng = SimRng::fork(seed, WORKLOAD_STREAM);
    let mut db_rng = SimRng::fork(seed, DB_STREAM);
    let update_share = update_rate / (rate + update_rate);
    let mut in_flight = PeakInFlight::default();
    let mut clock = PoissonClock::new(rate + update_rate);
    loop {
        let at = clock.next(&mut rng);
        if at >= end {
            break;
        }
        if let (Some(monitor), Some(l2)) = (&mut monitor, model) {
            monitor.catch_up(&l2.borrow(), at);
        }
        measure_until(&mut report, &mut metrics, at)?;
        d.advance_to(at)?;
        if rng.chance(update_share) {
            let product = rng.below(catalogue.products);
            last_update[product as usize] = at;
            report.updates += 1;
            metrics.record_db_query(at, product, Purpose::Write);
            let flushed = match tagging {
                Tagging::NoTags => {
                    let key = catalogue.key(Page::Product(product));
                    d.block_on(store.del(key.as_bytes())).map(u64::from)
                }
                Tagging::Bounded | Tagging::Unbounded => {
                    let tag = format!("product:{product}");
                    d.block_on(tags.invalidate_tag(&store, &tag))
                }
            };
            let done = d.replied(at, rtt);
            metrics.record_request(Op::Write(product), at, done, Outcome::Write);
            // A flush the cache could not run leaves its pages stale until their TTL ends; the
            // update itself is in the database (fail open).
            report.flushed_pages += fail_open(&mut metrics, done, flushed)?.unwrap_or(0);
            continue;
        }
        let draw = rng.unit();
        let page = if draw < PRODUCT_SHARE {
            Page::Product(popularity.sample(&mut rng))
        } else if draw < LISTING_SHARE {
            Page::Listing(rng.below(catalogue.categories))
        } else {
            Page::Search(rng.below(queries))
        };
        let key = catalogue.key(page);
        let number = catalogue.number(page);
        let got = d.block_on(store.get(key.as_bytes()));
        let replied = d.replied(at, rtt);
        // A read the cache cannot answer renders the page, as a miss does.
        let cached = fail_open(&mut metrics, replied, got)?.flatten();
        match cached.as_deref().and_then(rendered_at) {
            Some(rendered) => {
                let stale = catalogue
                    .shown(page)
                    .iter()
                    .any(|&p| last_update[p as usize] > rendered);
                report.stale_reads += u64::from(stale);
                let outcome = Outcome::Read {
                    served: Served::L2,
                    stale,
                };
                metrics.record_request(Op::Read(number), at, replied, outcome);
            }
            None => {
                metrics.record_db_query(replied, number, Purpose::Load);
                let done = replied + database.sample(&mut db_rng);
                in_flight.add(replied, done);
                let outcome = Outcome::Read {
                    served: Served::Db,
                    stale: false,
                };
                metrics.record_request(Op::Read(number), at, done, outcome);
                let page_tags = catalogue.tags(page);
                let fill = cache_page(&store, &tags, tagging, &key, &page_tags, at, ttl);
                let filled = d.block_on(fill);
                let now = d.replied(at, rtt);
                report.pages_cached += u64::from(fail_open(&mut metrics, now, filled)?.is_some());
            }
        }
    }
    d.advance_to(end)?;
    if let (Some(monitor), Some(l2)) = (&mut monitor, model) {
        monitor.catch_up(&l2.borrow(), end);
    }
    measure_until(&mut report, &mut metrics, end)?;
    let monitoring = match (monitor, model) {
        (Some(monitor), Some(l2)) => Some(monitor.finish(&l2.borrow())),
        _ => None,
    };
    // No database pool here: each render runs on its own connection.
    let (summary, series) = metrics.finish(in_flight.peak());
    Ok(VariantReport {
        section: Some(report.into()),
        monitoring,
        ..VariantReport::basic(tagging.name(), summary, series)
    })
}

/// Every tag set's size (`SCARD`, one pipeline).
async fn set_sizes<S: Store>(store: &S, tag_keys: &[String]) -> Result<Vec<u64>> {
    let cmds: Vec<Cmd> = tag_keys.iter().map(|k| Cmd::SCard(k.as_bytes())).collect();
    let replies = all_ok("SCARD", store.pipeline(&cmds).await?)?;
    replies.into_iter().map(|r| count_of("SCARD", r)).collect()
}

/// Caches the page rendered at `at` under `key` for `ttl`, tagged as the variant tags.
async fn cache_page<S: Store>(
    store: &S,
    tags: &Tags,
    tagging: Tagging,
    key: &str,
    page_tags: &[String],
    at: SimTime,
    ttl: SimDuration,
) -> Result<()> {
    let page = render(at);
    match tagging {
        Tagging::Bounded => {
            let names: Vec<&str> = page_tags.iter().map(String::as_str).collect();
            tags.set(store, key.as_bytes(), &page, Some(ttl), &names)
                .await
        }
        Tagging::Unbounded => {
            tags.set(store, key.as_bytes(), &page, Some(ttl), &[])
                .await?;
            for tag in page_tags {
                store
                    .sadd(tags.set_key(tag).as_bytes(), &[key.as_bytes()])
                    .await?;
            }
            Ok(())
        }
        Tagging::NoTags => tags.set(store, key.as_bytes(), &page, Some(ttl), &[]).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_show_and_tag_what_the_catalogue_says() {
        let shop = Catalogue {
            products: 45,
            categories: 10,
        };
        assert_eq!(shop.shown(Page::Listing(3)), [3, 13, 23, 33, 43]);
        assert_eq!(shop.tags(Page::Product(17)), ["product:17", "category:7"]);
        let search = shop.tags(Page::Search(9));
        assert_eq!(
            search,
            shop.tags(Page::Search(9)),
            "a query's answer is fixed"
        );
        assert!(search.iter().any(|t| t.starts_with("category:")));
        assert_eq!(shop.all_tags().count(), 55);
    }

    #[test]
    fn a_page_remembers_when_it_was_rendered() {
        let page = render(SimTime(1_234_567));
        assert_eq!(rendered_at(&page), Some(SimTime(1_234_567)));
        assert_eq!(rendered_at(b"garbage"), None);
    }
}
