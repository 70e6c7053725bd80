//! Scenario `response-cache`: an HTTP response cache in L2 in front of an application, right and
//! wrong.
//!
//! Simulated clients call a small shop API on seeded Poisson traffic:
//!
//! | share | request | answer |
//! |---|---|---|
//! | 35 % | `GET /products?category=&page=&sort=` (parameters in any order) | the listing, `200` |
//! | 25 % | `GET /products/{id}` (Zipf over the catalogue; some ids do not exist) | `200`, or `404` |
//! | 15 % | `GET /search?q=` (Zipf over terms) | the results, `200` |
//! | 20 % | `GET /me/orders` (per user: the answer depends on who asks) | the user's orders, `200` |
//! | 5 % | `POST /orders` (per user) | places an order, `200` with its number |
//!
//! Links carry tracking parameters (`utm_*`, `fbclid`) at a given share, and every `GET` the
//! backend serves fails with `500` at a given share (a transient fault: the next call may work).
//!
//! Each variant runs one [`CacheRules`] over the same requests and the same backend luck, and
//! every answer is checked against what a working backend would give *this* request now. An
//! answer from the cache that differs is a **wrong response**, of one of four kinds: a skipped
//! `POST` (the order was never placed), a stale error (a stored `500` for a resource that is up),
//! another user's data, or other stale data. The correct rules give none, so any count above zero
//! is the pitfall's doing.
//!
//! When a user places an order, the application deletes that user's cached `/me/orders` — the key
//! its rules give the plain address. With normalised keys that is the only entry there is; with raw
//! query strings, a spelling with a tracking parameter is an entry of its own that the deletion
//! misses, and it goes on serving the old order list (counted as stale data).
//!
//! The shared report fields mean: `summary.db_queries` is backend calls, `summary.stale_reads`
//! wrong responses, `summary.errors` `500`s served fresh from the backend, `summary.hit_ratio` the
//! share of successful answers that came from the cache.

use super::common::{alert_thresholds, db_latency, faulty_common, param, PRODUCTS, SERVICE_PARAMS};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::{fail_open, faulty_store, Driver};
use super::lab::check_request_budget;
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use crate::error::Result;
use crate::manager::Monitor;
use crate::metrics::{Metrics, Outcome, Purpose, Served};
use crate::sim::{SimDuration, SimRng, SimTime};
use crate::strategy::http::{CacheRules, Method};
use crate::strategy::Store;
use crate::tiers::LatencyModel;
use crate::workload::{Arrivals, Op, PoissonClock, Zipf};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Random streams: the clients' requests, and the backend's faults and response times.
const WORKLOAD_STREAM: u64 = 1;
const BACKEND_STREAM: u64 = 2;

/// Listing categories, sort orders, listing pages and search terms the clients ask for.
const CATEGORIES: u64 = 20;
const SORTS: [&str; 2] = ["price", "new"];
const PAGES: u64 = 5;
const SEARCH_TERMS: u64 = 200;

/// Values of tracking parameters that campaigns put on links.
const CAMPAIGN_SOURCES: [&str; 3] = ["mail", "ads", "social"];

/// How many of the first requests the report lists, with their keys.
const SAMPLES: usize = 8;

/// The shop API's endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Listing,
    Product,
    Search,
    MyOrders,
    PlaceOrder,
}

impl Endpoint {
    const ALL: [Endpoint; 5] = [
        Endpoint::Listing,
        Endpoint::Product,
        Endpoint::Search,
        Endpoint::MyOrders,
        Endpoint::PlaceOrder,
    ];
    /// Cumulative shares of the traffic, in the order of [`Endpoint::ALL`].
    const CUMULATIVE_SHARE: [f64; 5] = [0.35, 0.60, 0.75, 0.95, 1.0];

    /// Its position in [`Endpoint::ALL`] (the declaration order).
    fn index(self) -> u64 {
        self as u64
    }

    fn method(self) -> Method {
        match self {
            Endpoint::Listing | Endpoint::Product | Endpoint::Search | Endpoint::MyOrders => {
                Method::Get
            }
            Endpoint::PlaceOrder => Method::Post,
        }
    }

    /// The endpoint's name in reports.
    fn label(self) -> &'static str {
        match self {
            Endpoint::Listing => "GET /products",
            Endpoint::Product => "GET /products/{id}",
            Endpoint::Search => "GET /search",
            Endpoint::MyOrders => "GET /me/orders",
            Endpoint::PlaceOrder => "POST /orders",
        }
    }

    /// Whether the answer depends on the signed-in user.
    fn per_user(self) -> bool {
        matches!(self, Endpoint::MyOrders | Endpoint::PlaceOrder)
    }
}

/// One simulated request, and the backend's luck should it be asked.
#[derive(Clone, Debug)]
struct HttpRequest {
    at: SimTime,
    user: u64,
    endpoint: Endpoint,
    path: String,
    query: String,
    /// What the request means to the application: the parameters that change its answer.
    resource: String,
    /// Whether the backend fails (`500`) if this request reaches it.
    backend_fails: bool,
    /// How long the backend takes if this request reaches it.
    backend_time: SimDuration,
}

impl HttpRequest {
    fn line(&self) -> String {
        let method = self.endpoint.method().as_str();
        match self.query.is_empty() {
            true => format!("{method} {}", self.path),
            false => format!("{method} {}?{}", self.path, self.query),
        }
    }
}

/// The workload's knobs.
struct Workload {
    rate: f64,
    duration: SimDuration,
    users: u64,
    products: Zipf,
    terms: Zipf,
    pages: Zipf,
    missing_share: f64,
    tracking_share: f64,
    error_share: f64,
    backend: LatencyModel,
}

impl Workload {
    fn from_params(p: &Params) -> Result<Workload> {
        let skew = p.get("skew")?;
        Ok(Workload {
            rate: p.get("rate")?,
            duration: SimDuration::from_secs_f64(p.get("duration_s")?),
            users: p.get_u64("users")?,
            products: Zipf::new(p.get_u64("products")?, skew),
            terms: Zipf::new(SEARCH_TERMS, skew),
            pages: Zipf::new(PAGES, skew),
            missing_share: p.get("missing_share")?,
            tracking_share: p.get("tracking_share")?,
            error_share: p.get("error_share")?,
            backend: db_latency(p)?,
        })
    }

    /// The requests of a run, in arrival order; the same for every variant. They are drawn as
    /// they are served, so a long run never holds them all.
    fn requests(&self, seed: u64) -> impl Iterator<Item = HttpRequest> + '_ {
        let mut rng = SimRng::fork(seed, WORKLOAD_STREAM);
        let mut luck = SimRng::fork(seed, BACKEND_STREAM);
        let end = SimTime::ZERO + self.duration;
        let mut clock = PoissonClock::new(self.rate);
        std::iter::from_fn(move || {
            let at = clock.next(&mut rng);
            if at >= end {
                return None;
            }
            let mut request = self.request(&mut rng, at);
            request.backend_fails =
                request.endpoint.method() == Method::Get && luck.chance(self.error_share);
            request.backend_time = self.backend.sample(&mut luck);
            Some(request)
        })
    }

    fn request(&self, rng: &mut SimRng, at: SimTime) -> HttpRequest {
        let user = rng.below(self.users);
        let draw = rng.unit();
        let endpoint = Endpoint::ALL
            .into_iter()
            .zip(Endpoint::CUMULATIVE_SHARE)
            .find(|&(_, share)| draw < share)
            .map_or(Endpoint::PlaceOrder, |(e, _)| e);
        let (path, mut params, resource) = match endpoint {
            Endpoint::Listing => {
                let category = rng.below(CATEGORIES);
                let page = self.pages.sample(rng) + 1;
                let sort = SORTS[rng.below(SORTS.len() as u64) as usize];
                let mut params = vec![
                    format!("category={category}"),
                    format!("page={page}"),
                    format!("sort={sort}"),
                ];
                shuffle(&mut params, rng);
                let resource = format!("listing {category}/{page}/{sort}");
                ("/products".to_string(), params, resource)
            }
            Endpoint::Product => {
                let catalogue = self.products.keys();
                let id = if rng.chance(self.missing_share) {
                    catalogue + rng.below(catalogue)
                } else {
                    self.products.sample(rng)
                };
                (
                    format!("/products/{id}"),
                    Vec::new(),
                    format!("product {id}"),
                )
            }
            Endpoint::Search => {
                let term = self.terms.sample(rng);
                let params = vec![format!("q=term{term}")];
                ("/search".to_string(), params, format!("search term{term}"))
            }
            Endpoint::MyOrders => ("/me/orders".to_string(), Vec::new(), String::new()),
            Endpoint::PlaceOrder => ("/orders".to_string(), Vec::new(), String::new()),
        };
        if endpoint.method() == Method::Get && rng.chance(self.tracking_share) {
            let tracking = match rng.below(2) == 0 {
                true => format!(
                    "utm_source={}",
                    CAMPAIGN_SOURCES[rng.below(CAMPAIGN_SOURCES.len() as u64) as usize]
                ),
                false => format!("fbclid={:x}", rng.next_u64()),
            };
            let position = rng.below(params.len() as u64 + 1) as usize;
            params.insert(position, tracking);
        }
        HttpRequest {
            at,
            user,
            endpoint,
            path,
            query: params.join("&"),
            resource,
            backend_fails: false,
            backend_time: SimDuration::ZERO,
        }
    }
}

/// Fisher–Yates, drawing `u64`s so that native and wasm shuffle alike.
fn shuffle<T>(items: &mut [T], rng: &mut SimRng) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// An HTTP answer: status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Response {
    status: u16,
    body: String,
}

impl Response {
    fn encode(&self) -> Vec<u8> {
        format!("{} {}", self.status, self.body).into_bytes()
    }

    fn decode(bytes: &[u8]) -> Option<Response> {
        let text = std::str::from_utf8(bytes).ok()?;
        let (status, body) = text.split_once(' ')?;
        Some(Response {
            status: status.parse().ok()?,
            body: body.to_string(),
        })
    }
}

/// The application behind the cache: the catalogue is fixed; users' orders change.
struct Backend {
    products: u64,
    orders: Vec<u64>,
}

impl Backend {
    /// What a working backend answers `request` now (without placing any order).
    fn answer(&self, request: &HttpRequest) -> Response {
        let user = request.user;
        let ok = |body: String| Response { status: 200, body };
        match request.endpoint {
            Endpoint::Product => {
                let id = request.path.strip_prefix("/products/");
                let id = id.and_then(|id| id.parse::<u64>().ok());
                if id.is_some_and(|id| id < self.products) {
                    ok(request.resource.clone())
                } else {
                    Response {
                        status: 404,
                        body: format!("no {}", request.resource),
                    }
                }
            }
            Endpoint::Listing | Endpoint::Search => ok(request.resource.clone()),
            Endpoint::MyOrders => ok(format!("user {user}: {} orders", self.orders_of(user))),
            Endpoint::PlaceOrder => ok(format!(
                "user {user}: order {} placed",
                self.orders_of(user) + 1
            )),
        }
    }

    fn orders_of(&self, user: u64) -> u64 {
        self.orders.get(user as usize).copied().unwrap_or(0)
    }

    /// Serves `request` for real: a `GET` may fail; a `POST` places the order.
    fn serve(&mut self, request: &HttpRequest) -> Response {
        if request.backend_fails {
            return Response {
                status: 500,
                body: "internal error".to_string(),
            };
        }
        let answer = self.answer(request);
        if request.endpoint == Endpoint::PlaceOrder {
            if let Some(n) = self.orders.get_mut(request.user as usize) {
                *n += 1;
            }
        }
        answer
    }
}

/// Counters for one endpoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointReport {
    /// The endpoint, as `METHOD /path`.
    pub endpoint: &'static str,
    /// Requests to it.
    pub requests: u64,
    /// Answered from the cache.
    pub cache_hits: u64,
    /// Answered by the backend.
    pub backend_calls: u64,
    /// Answers that differ from what a working backend would have given.
    pub wrong_responses: u64,
}

/// One of the first requests, as the cache saw it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestSample {
    /// Arrival, in simulated seconds.
    pub t_s: f64,
    /// The request line as the client sent it.
    pub request: String,
    /// The signed-in user.
    pub user: u64,
    /// The cache key the variant's rules give it.
    pub key: String,
    /// `"cache"` or `"backend"`.
    pub served_by: &'static str,
    /// The status of the answer.
    pub status: u16,
    /// Whether the answer was wrong.
    pub wrong: bool,
}

/// What the response cache did in one variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResponseCacheReport {
    /// `GET` requests.
    pub gets: u64,
    /// `POST` requests.
    pub posts: u64,
    /// Answers served from the cache.
    pub cache_hits: u64,
    /// Requests the backend served (its load).
    pub backend_calls: u64,
    /// Of those, `500`s.
    pub backend_errors: u64,
    /// The most entries the cache held at once (counted as `DBSIZE` counts them).
    pub max_entries: u64,
    /// Answers from the cache that a working backend would not have given: the sum of the four
    /// kinds below.
    pub wrong_responses: u64,
    /// `POST`s answered from the cache: the order was never placed.
    pub skipped_posts: u64,
    /// Stored errors served for a resource that was up.
    pub stale_errors: u64,
    /// Per-user answers that belonged to another user.
    pub other_users_data: u64,
    /// Any other out-of-date answer.
    pub stale_data: u64,
    /// Lookups that missed although the same answer was stored under another spelling of the
    /// request (its parameters in another order, or a tracking parameter more or less): misses
    /// that keying by the normalised query would have saved. Always 0 with normalised keys.
    pub spelling_misses: u64,
    /// Per endpoint, in the order of the module docs' table.
    pub endpoints: Vec<EndpointReport>,
    /// The first requests with their keys, for following single requests.
    pub samples: Vec<RequestSample>,
}

impl ResponseCacheReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        format!(
            "wrong answers {} (orders skipped {}, stored errors {}, other users' data {}, stale {}); \
             misses on another spelling {}",
            self.wrong_responses,
            self.skipped_posts,
            self.stale_errors,
            self.other_users_data,
            self.stale_data,
            self.spelling_misses
        )
    }
}

/// Scenario `response-cache`.
pub(super) struct ResponseCache;

variants! {
    /// Which caching rule the variant gets wrong, if any.
    pub(super) enum Rules {
        Chapter = "chapter": "the chapter's middleware: GET and 200 only, keyed by the raw path and query with no user, so it breaks two rules at once",
        Correct = "correct": "GET and 200 only, normalised query, per-user answers keyed by user",
        NoNormalise = "no-normalise": "the raw query string is the key: parameter order and tracking split entries",
        CachePost = "cache-post": "POST answers are stored and replayed too",
        CacheErrors = "cache-errors": "404 and 500 answers are stored too",
        IgnoreUser = "ignore-user": "per-user answers are stored under the shared key",
    }
}

impl Experiment for ResponseCache {
    type Variant = Rules;
    const NAME: &'static str = "response-cache";
    const ABOUT: &'static str =
        "An HTTP response cache in L2 keyed by method, path and normalised query: the right \
                rules (GET and 200 only, per-user answers keyed by user) against caching POSTs, \
                errors or per-user pages under a shared key, and against raw query strings.";

    fn params() -> Vec<ParamSpec> {
        faulty_common(
            &SERVICE_PARAMS,
            &[
                ("duration_s", 30.0),
                ("rate", 200.0),
                ("skew", 1.0),
                ("ttl_s", 60.0),
                ("db_p50_ms", 20.0),
                ("db_p99_ms", 100.0),
            ],
            &[
                param(
                    "users",
                    "signed-in users sending the requests",
                    "users",
                    50.0,
                    1.0,
                    100_000.0,
                    true,
                ),
                PRODUCTS,
                param(
                    "missing_share",
                    "share of product-page requests for ids that do not exist (404)",
                    "",
                    0.05,
                    0.0,
                    1.0,
                    false,
                ),
                param(
                    "tracking_share",
                    "share of GET links that carry a tracking parameter (utm_source, fbclid)",
                    "",
                    0.3,
                    0.0,
                    1.0,
                    false,
                ),
                param(
                    "error_share",
                    "share of backend GET answers that fail with 500 (transient)",
                    "",
                    0.05,
                    0.0,
                    1.0,
                    false,
                ),
            ],
        )
    }

    const LIVE: &'static str = "Responses are cached in the real server under the variant's \
        keys; the backend (its orders, its 500s, its response times) stays the model, counted but \
        not slept; the most entries cached at once (max_entries) is measured on the simulator \
        only (a shared server's DBSIZE counts other clients' keys).";

    fn run_on<D: Driver>(p: &Params, variant: Rules, seed: u64, d: &D) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

/// The cache rules of `variant`: the correct ones, or with one of them wrong.
fn rules(variant: Rules) -> CacheRules {
    let correct = CacheRules::CORRECT;
    match variant {
        // The chapter's `CacheMiddleware` stores only a GET's 200, under
        // `response:{path}:{query}` hashed: the query as sent, and no user.
        Rules::Chapter => CacheRules {
            normalise: false,
            key_by_user: false,
            ..correct
        },
        Rules::Correct => correct,
        Rules::NoNormalise => CacheRules {
            normalise: false,
            ..correct
        },
        Rules::CachePost => CacheRules {
            cache_any_method: true,
            ..correct
        },
        Rules::CacheErrors => CacheRules {
            cache_errors: true,
            ..correct
        },
        Rules::IgnoreUser => CacheRules {
            key_by_user: false,
            ..correct
        },
    }
}

/// Runs `variant` on `d`: every request through the cache with the variant's rules.
fn run<D: Driver>(p: &Params, variant: Rules, seed: u64, d: &D) -> Result<VariantReport> {
    let workload = Workload::from_params(p)?;
    let arrivals = Arrivals::Poisson {
        per_sec: workload.rate,
    };
    check_request_budget(arrivals, workload.duration)?;
    let rules = rules(variant);
    let ttl = SimDuration::from_secs_f64(p.get("ttl_s")?);
    let rtt = SimDuration::from_secs_f64(p.get("l2_rtt_ms")? / 1e3);
    let end = SimTime::ZERO + workload.duration;
    let bucket = SimDuration::from_secs_f64(p.get("bucket_ms")? / 1e3);
    let mut metrics = Metrics::new(bucket, end, u64::MAX, 0, None);
    // The shared cache at zero round trip on a clock this loop moves (the simulator's lookup
    // round trip is added to each request's time below; live, the trip is real), behind the fault knobs.
    let store = faulty_store(d, SimDuration::ZERO, p)?;
    let model = d.model(store.inner());
    let mut monitor = match model {
        Some(l2) => Some(Monitor::new(bucket, alert_thresholds(p)?, &l2.borrow())),
        None => None,
    };
    let mut backend = Backend {
        products: workload.products.keys(),
        orders: vec![0; workload.users as usize],
    };
    let mut report = ResponseCacheReport {
        endpoints: Endpoint::ALL
            .iter()
            .map(|e| EndpointReport {
                endpoint: e.label(),
                requests: 0,
                cache_hits: 0,
                backend_calls: 0,
                wrong_responses: 0,
            })
            .collect(),
        ..ResponseCacheReport::default()
    };
    // The keys each answer was stored under, by the key the normalised query would give it:
    // a lookup that misses while another of them is live is a spelling miss.
    let normalised = CacheRules {
        normalise: true,
        ..rules
    };
    // A few keys per answer, so a `Vec` without repeats (no set type's code in the page's module
    // for this alone).
    let mut spellings: HashMap<String, Vec<String>> = HashMap::new();
    // End times of the backend calls in flight, soonest first.
    let mut in_flight: BinaryHeap<Reverse<SimTime>> = BinaryHeap::new();
    let mut max_in_flight = 0u64;
    for request in workload.requests(seed) {
        if let (Some(monitor), Some(l2)) = (&mut monitor, model) {
            monitor.catch_up(&l2.borrow(), request.at);
        }
        d.advance_to(request.at)?;
        if let Some(l2) = model {
            // The model's clock moves when a command arrives or when told: now.
            l2.borrow_mut().advance_to(request.at);
        }
        let endpoint = request.endpoint;
        let method = endpoint.method();
        let key = rules.key(
            method,
            &request.path,
            &request.query,
            endpoint.per_user().then_some(request.user),
        );
        let same_answer = normalised.key(
            method,
            &request.path,
            &request.query,
            endpoint.per_user().then_some(request.user),
        );
        let truth = backend.answer(&request);
        let looks_up = rules.may_store(method, 200);
        let lookup_time = if looks_up { rtt } else { SimDuration::ZERO };
        let cached = if looks_up {
            let got = d.block_on(store.get(key.as_bytes()));
            let replied = d.replied(request.at, lookup_time);
            // A lookup the cache cannot answer goes to the backend, as a miss does.
            fail_open(&mut metrics, replied, got)?
                .flatten()
                .and_then(|bytes| Response::decode(&bytes))
        } else {
            None
        };
        let looked = d.replied(request.at, lookup_time);
        // A method that changes nothing is a read; the others write.
        let op = match method.is_safe() {
            true => Op::Read(endpoint.index()),
            false => Op::Write(endpoint.index()),
        };
        let counts = &mut report.endpoints[endpoint.index() as usize];
        counts.requests += 1;
        let (answer, wrong, served_by) = if let Some(answer) = cached {
            let wrong = answer != truth;
            if wrong {
                let owner = format!("user {}:", request.user);
                match (endpoint, answer.status) {
                    (Endpoint::PlaceOrder, _) => report.skipped_posts += 1,
                    (_, 500) => report.stale_errors += 1,
                    _ if endpoint.per_user() && !answer.body.starts_with(&owner) => {
                        report.other_users_data += 1
                    }
                    _ => report.stale_data += 1,
                }
            }
            report.cache_hits += 1;
            counts.cache_hits += 1;
            counts.wrong_responses += u64::from(wrong);
            let outcome = Outcome::Read {
                served: Served::L2,
                stale: wrong,
            };
            metrics.record_request(op, request.at, looked, outcome);
            (answer, wrong, "cache")
        } else {
            // A miss whose answer is stored under another spelling of the same request: only the
            // model can be asked without sending commands the live run would count.
            let stored_elsewhere = model.is_some_and(|l2| {
                spellings.get(&same_answer).is_some_and(|keys| {
                    let l2 = l2.borrow();
                    keys.iter().any(|k| *k != key && l2.is_live(k.as_bytes()))
                })
            });
            if looks_up && stored_elsewhere {
                report.spelling_misses += 1;
            }
            let called = looked;
            let done = called + request.backend_time;
            while in_flight.peek().is_some_and(|Reverse(t)| *t <= called) {
                in_flight.pop();
            }
            in_flight.push(Reverse(done));
            max_in_flight = max_in_flight.max(in_flight.len() as u64);
            let purpose = match op {
                Op::Read(_) => Purpose::Load,
                Op::Write(_) => Purpose::Write,
            };
            metrics.record_db_query(called, endpoint.index(), purpose);
            let answer = backend.serve(&request);
            report.backend_calls += 1;
            counts.backend_calls += 1;
            if endpoint == Endpoint::PlaceOrder {
                // The application drops the user's cached order list, which has just changed.
                let orders = rules.key(Method::Get, "/me/orders", "", Some(request.user));
                // One that cannot leaves it stale until its TTL ends (fail open).
                let dropped = d.block_on(store.del(orders.as_bytes()));
                fail_open(&mut metrics, called, dropped)?;
            }
            if rules.may_store(method, answer.status) {
                let bytes = answer.encode();
                let stored = d.block_on(store.set(key.as_bytes(), &bytes, Some(ttl)));
                fail_open(&mut metrics, called, stored)?;
                let keys = spellings.entry(same_answer).or_default();
                if !keys.contains(&key) {
                    keys.push(key.clone());
                }
                if let Some(l2) = model {
                    report.max_entries = report.max_entries.max(l2.borrow().dbsize());
                }
            }
            let outcome = match (op, answer.status) {
                (_, 500) => {
                    report.backend_errors += 1;
                    Outcome::Error
                }
                (Op::Read(_), _) => Outcome::Read {
                    served: Served::Db,
                    stale: false,
                },
                (Op::Write(_), _) => Outcome::Write,
            };
            metrics.record_request(op, request.at, done, outcome);
            (answer, false, "backend")
        };
        match method {
            Method::Get => report.gets += 1,
            Method::Post => report.posts += 1,
            // The shop's clients send no other method (`Endpoint::method`).
            Method::Head | Method::Put | Method::Patch | Method::Delete | Method::Options => {}
        }
        report.wrong_responses += u64::from(wrong);
        if report.samples.len() < SAMPLES {
            report.samples.push(RequestSample {
                t_s: request.at.as_secs_f64(),
                request: request.line(),
                user: request.user,
                key,
                served_by,
                status: answer.status,
                wrong,
            });
        }
    }
    let monitoring = match (monitor, model) {
        (Some(mut monitor), Some(l2)) => {
            monitor.catch_up(&l2.borrow(), end);
            Some(monitor.finish(&l2.borrow()))
        }
        _ => None,
    };
    let (mut summary, series) = metrics.finish(max_in_flight);
    // Of the wrong answers, only another user's page is a value that belongs to another call
    // (the others are this request's own answer, out of date).
    summary.wrong_values = report.other_users_data;
    Ok(VariantReport {
        section: Some(report.into()),
        monitoring,
        ..VariantReport::basic(variant.name(), summary, series)
    })
}
