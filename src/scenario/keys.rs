//! Scenario `keys`: what a caching decorator's key function gets wrong.
//!
//! A small code base caches three functions with a decorator ([`FUNCTIONS`]): the chapter's own
//! `catalog.get_products(category, limit=10)`, and `users.get_by_id(user_id)` and
//! `products.get_by_id(product_id)` — one name in two modules, both decorated without a
//! `key_prefix`. A user that does not exist gives `None`. Requests arrive on seeded Poisson
//! traffic:
//!
//! | share | call | spelled |
//! |---|---|---|
//! | 40 % | `get_products` (Zipf over `categories`; one in five asks `limit=20`) | each of the ways to write it equally often: `('c')`, `('c', 10)`, `('c', limit=10)`, `(category='c')`, `(category='c', limit=10)` |
//! | 30 % | `users.get_by_id` (Zipf over `users`; a share `missing_users` of them do not exist) | `(7)` or `(user_id=7)` |
//! | 30 % | `products.get_by_id` (Zipf over `products`) | `(7)` or `(product_id=7)` |
//!
//! Each variant caches the same calls under its [`KeyScheme`], cache-aside in L2 with `ttl_s`.
//! The decorator of the chapter returns a cached value only if it `is not None`; a `None` result
//! is stored (as JSON `null`), read back as `None` and taken for a miss, so the function runs
//! and writes again on every such call. `bound-args` stores every result in an envelope, so a
//! `None` is a value like any other.
//!
//! Every answer from the cache is checked against the call that asked: a value written by
//! another call is a **wrong value** (the summary's `wrong_values`), because two calls met in
//! one key — either their hashed texts were equal (the same bare name and arguments), or two
//! different texts shared a digest (a hash collision, which a short digest makes likely).

use super::common::{faulty_common, param, SERVICE_PARAMS};
use super::contract::{variants, Experiment, VariantSet};
use super::driver::Driver;
use super::params::{ParamSpec, Params};
use super::report::VariantReport;
use super::service::ServiceBench;
use crate::error::Result;
use crate::manager::{birthday_bound, collision_probability, Call, KeyScheme, PyValue, FUNCTIONS};
use crate::sim::{SimRng, SimTime};
use crate::strategy::Store;
use crate::workload::Zipf;
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

/// The workload's random stream.
const WORKLOAD_STREAM: u64 = 1;
/// Calls listed in the report as they were served.
pub const KEY_SAMPLES: usize = 16;
/// Cumulative shares of `get_products` and `users.get_by_id` among calls (the rest is
/// `products.get_by_id`).
const PRODUCTS_LIST_SHARE: f64 = 0.4;
const USERS_SHARE: f64 = 0.7;
/// Share of `get_products` calls that ask for 20 products instead of the default 10.
const LIMIT_20_SHARE: f64 = 0.2;

/// Scenario `keys`.
pub(super) struct Keys;

variants! {
    /// How a variant makes a cached call's key.
    pub(super) enum Scheme {
        ChapterKey = "chapter-key": "the chapter's key: bare function name, arguments as given, SHA-256 cut to 16 hex digits; None is never a hit",
        BoundArgs = "bound-args": "arguments bound to parameter names with defaults applied, module-qualified name, the full digest; None cached in an envelope",
        ShortDigest = "short-digest": "the chapter's key with the digest cut to short_digest_hex hex digits: different calls collide",
    }
}

impl Experiment for Keys {
    type Variant = Scheme;
    const NAME: &'static str = "keys";
    const ABOUT: &'static str =
        "A caching decorator's key function on calls spelled positionally and by keyword, one \
         function name in two modules, and results that are None: the chapter's key against \
         arguments bound to their parameters, and against a digest too short for the key count.";

    fn params() -> Vec<ParamSpec> {
        faulty_common(
            &SERVICE_PARAMS,
            &[
                ("duration_s", 60.0),
                ("rate", 200.0),
                ("skew", 0.8),
                ("ttl_s", 300.0),
                ("db_p50_ms", 20.0),
                ("db_p99_ms", 100.0),
                ("bucket_ms", 5_000.0),
            ],
            &[
                param(
                    "categories",
                    "product categories get_products is asked for",
                    "categories",
                    50.0,
                    1.0,
                    100_000.0,
                    true,
                ),
                param(
                    "users",
                    "user ids users.get_by_id is asked for",
                    "users",
                    2_000.0,
                    1.0,
                    1_000_000.0,
                    true,
                ),
                param(
                    "products",
                    "product ids products.get_by_id is asked for",
                    "products",
                    2_000.0,
                    1.0,
                    1_000_000.0,
                    true,
                ),
                param(
                    "missing_users",
                    "share of user ids with no user: get_by_id returns None",
                    "",
                    0.2,
                    0.0,
                    1.0,
                    false,
                ),
                param(
                    "short_digest_hex",
                    "hex digits of the digest that short-digest keeps (4 bits each)",
                    "hex digits",
                    4.0,
                    1.0,
                    16.0,
                    true,
                ),
            ],
        )
    }

    const LIVE: &'static str = "The decorator's keys and values live in the real server (plain \
        GET and SET, so on a cluster they spread over the masters); the functions' database stays \
        the model, its response times counted but not slept.";

    fn run_on<D: Driver>(p: &Params, variant: Scheme, seed: u64, d: &D) -> Result<VariantReport> {
        run(p, variant, seed, d)
    }
}

/// How a cached call was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOutcome {
    /// Its own value, from the cache.
    Hit,
    /// A value another call wrote, from the cache.
    WrongValue,
    /// Nothing under the key: the function ran.
    Miss,
    /// Its result is cached, under the key of another spelling of the same call.
    SpellingMiss,
    /// Its `None` was stored but reads back as a miss: the function ran again.
    NoneReload,
}

/// One call as the cache served it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeySample {
    /// Arrival, in simulated seconds.
    pub t_s: f64,
    /// The call as the code wrote it, with its module.
    pub call: String,
    /// Its key under the variant's scheme.
    pub key: String,
    /// How it was answered.
    pub outcome: KeyOutcome,
}

/// What the key scheme did in one variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeysReport {
    /// Bits of the digest in a key.
    pub digest_bits: u32,
    /// Keys at which some two texts share a digest this long with even odds (the birthday
    /// bound, `sqrt(2 ln 2 · 2^bits)`).
    pub birthday_bound: f64,
    /// Distinct calls (functions with their bound arguments) made.
    pub distinct_calls: u64,
    /// Distinct texts hashed: the `n` of the birthday bound.
    pub distinct_texts: u64,
    /// Distinct keys used.
    pub distinct_keys: u64,
    /// The chance that some two of `distinct_texts` share a digest of `digest_bits`.
    pub collision_probability: f64,
    /// Keys that two or more different calls used.
    pub shared_keys: u64,
    /// Of those, keys that two or more different texts hashed to (digest collisions).
    pub digest_collisions: u64,
    /// Reads served a value another call wrote (the summary's `wrong_values`).
    pub wrong_values: u64,
    /// Of those, through a digest collision (the rest: equal texts, one name in two modules).
    pub wrong_from_digest: u64,
    /// Misses whose result was cached under another spelling's key.
    pub spelling_misses: u64,
    /// Calls whose stored `None` was taken for a miss, so the function ran again.
    pub none_reloads: u64,
    /// The first calls with their keys and outcomes.
    pub samples: Vec<KeySample>,
}

impl KeysReport {
    /// What the section says in one line (after a variant's numbers in `cachelab run`).
    pub fn headline(&self) -> String {
        format!(
            "{} keys for {} calls; wrong values {} ({} from digest collisions); spelling misses {}; None reloads {}; {}-bit digest: even odds of a collision at {:.3e} keys",
            self.distinct_keys,
            self.distinct_calls,
            self.wrong_values,
            self.wrong_from_digest,
            self.spelling_misses,
            self.none_reloads,
            self.digest_bits,
            self.birthday_bound
        )
    }
}

/// The workload's draws: which call, spelled how.
struct Workload {
    categories: Zipf,
    users: Zipf,
    products: Zipf,
    missing_users: f64,
}

impl Workload {
    /// The next call and whether its result is `None`.
    fn draw(&self, rng: &mut SimRng) -> Result<(Call, bool)> {
        let draw = rng.unit();
        let spelled = rng.unit();
        if draw < PRODUCTS_LIST_SHARE {
            let category = PyValue::Str(format!("c{}", self.categories.sample(rng)));
            let kw = |v: PyValue| ("category".to_string(), v);
            let limit = |n| ("limit".to_string(), PyValue::Int(n));
            let (args, kwargs) = if rng.chance(LIMIT_20_SHARE) {
                match (spelled * 3.0) as u32 {
                    0 => (vec![category, PyValue::Int(20)], vec![]),
                    1 => (vec![category], vec![limit(20)]),
                    _ => (vec![], vec![kw(category), limit(20)]),
                }
            } else {
                match (spelled * 5.0) as u32 {
                    0 => (vec![category], vec![]),
                    1 => (vec![category, PyValue::Int(10)], vec![]),
                    2 => (vec![category], vec![limit(10)]),
                    3 => (vec![], vec![kw(category)]),
                    _ => (vec![], vec![kw(category), limit(10)]),
                }
            };
            return Ok((Call::new(&FUNCTIONS[0], args, kwargs)?, false));
        }
        let (function, id, none) = if draw < USERS_SHARE {
            let user = self.users.sample(rng);
            // Whether a user exists is a property of the id, the same in every variant.
            let missing = SimRng::new(user).chance(self.missing_users);
            (&FUNCTIONS[1], user, missing)
        } else {
            (&FUNCTIONS[2], self.products.sample(rng), false)
        };
        let id = PyValue::Int(id as i64);
        let call = if spelled < 0.5 {
            Call::new(function, vec![id], vec![])?
        } else {
            let name = function.params[0].0.to_string();
            Call::new(function, vec![], vec![(name, id)])?
        };
        Ok((call, none))
    }
}

/// What a variant stores: the chapter's decorator stores the result as JSON (`null` for
/// `None`), `bound-args` an envelope around it. The value is the call that produced it.
fn encode(scheme: Scheme, identity: &str, none: bool) -> Vec<u8> {
    let result = (!none).then_some(identity);
    let json = match scheme {
        Scheme::ChapterKey | Scheme::ShortDigest => serde_json::to_vec(&result),
        Scheme::BoundArgs => serde_json::to_vec(&(identity, result)),
    };
    json.unwrap_or_default()
}

/// What a read found: `Some(writer)` for a value (the call that produced it), `None` for what the
/// decorator takes as a miss.
fn decode(scheme: Scheme, bytes: &[u8]) -> Option<String> {
    match scheme {
        // `if cached_result is not None`: a stored null is a miss.
        Scheme::ChapterKey | Scheme::ShortDigest => {
            serde_json::from_slice::<Option<String>>(bytes).ok()?
        }
        Scheme::BoundArgs => serde_json::from_slice::<(String, Option<String>)>(bytes)
            .ok()
            .map(|(writer, _)| writer),
    }
}

/// Runs variant `scheme` on `d`.
fn run<D: Driver>(p: &Params, scheme: Scheme, seed: u64, d: &D) -> Result<VariantReport> {
    let key_scheme = match scheme {
        Scheme::ChapterKey => KeyScheme::ChapterKey,
        Scheme::BoundArgs => KeyScheme::BoundArgs,
        Scheme::ShortDigest => KeyScheme::ShortDigest(p.get_u64("short_digest_hex")? as usize),
    };
    let skew = p.get("skew")?;
    let workload = Workload {
        categories: Zipf::new(p.get_u64("categories")?, skew),
        users: Zipf::new(p.get_u64("users")?, skew),
        products: Zipf::new(p.get_u64("products")?, skew),
        missing_users: p.get("missing_users")?,
    };
    let mut bench = ServiceBench::new(p, seed, 0.0, d)?;
    let mut rng = SimRng::fork(seed, WORKLOAD_STREAM);
    let bits = key_scheme.digest_bits();
    let mut report = KeysReport {
        digest_bits: bits,
        birthday_bound: birthday_bound(bits),
        distinct_calls: 0,
        distinct_texts: 0,
        distinct_keys: 0,
        collision_probability: 0.0,
        shared_keys: 0,
        digest_collisions: 0,
        wrong_values: 0,
        wrong_from_digest: 0,
        spelling_misses: 0,
        none_reloads: 0,
        samples: Vec::new(),
    };
    // Numbers for the metrics, one per call; the texts hashed; per key, the first call and text
    // that used it and whether others did; per call, the key and expiry of its last fill.
    // (Maps only looked up, never walked: their order cannot reach the report.)
    let mut calls: HashMap<String, u64> = HashMap::new();
    let mut texts: HashSet<String> = HashSet::new();
    let mut keys: HashMap<String, KeyUse> = HashMap::new();
    let mut filled: HashMap<u64, (String, SimTime)> = HashMap::new();
    while let Some(at) = bench.next_arrival(&mut rng)? {
        let (call, none) = workload.draw(&mut rng)?;
        let identity = call.key_text(KeyScheme::BoundArgs);
        let text = call.key_text(key_scheme);
        let key = call.key(key_scheme);
        let next = calls.len() as u64;
        let number = *calls.entry(identity.clone()).or_insert(next);
        if !texts.contains(&text) {
            texts.insert(text.clone());
        }
        let used = keys.entry(key.clone());
        let key_use = match used {
            Entry::Occupied(e) => {
                let u = e.into_mut();
                if !u.shared_by_calls && u.first_call != number {
                    u.shared_by_calls = true;
                    report.shared_keys += 1;
                }
                if !u.shared_by_texts && u.first_text != text {
                    u.shared_by_texts = true;
                    report.digest_collisions += 1;
                }
                u
            }
            Entry::Vacant(e) => e.insert(KeyUse {
                first_call: number,
                first_text: text.clone(),
                writer_text: String::new(),
                shared_by_calls: false,
                shared_by_texts: false,
            }),
        };
        // A lookup the cache cannot answer is a miss (the bench counts the error).
        let stored = bench.store_call(bench.store.get(key.as_bytes()))?.flatten();
        let found = stored.as_deref().map(|bytes| decode(scheme, bytes));
        let outcome = match found {
            Some(Some(writer)) => {
                if writer == identity {
                    KeyOutcome::Hit
                } else {
                    report.wrong_values += 1;
                    if key_use.writer_text != text {
                        report.wrong_from_digest += 1;
                    }
                    KeyOutcome::WrongValue
                }
            }
            Some(None) => KeyOutcome::NoneReload,
            None => match filled.get(&number) {
                Some((other, until)) if *other != key && *until > at => KeyOutcome::SpellingMiss,
                _ => KeyOutcome::Miss,
            },
        };
        match outcome {
            KeyOutcome::Hit | KeyOutcome::WrongValue => bench.hit(number, at, 1, false),
            KeyOutcome::Miss | KeyOutcome::SpellingMiss | KeyOutcome::NoneReload => {
                report.spelling_misses += u64::from(outcome == KeyOutcome::SpellingMiss);
                report.none_reloads += u64::from(outcome == KeyOutcome::NoneReload);
                bench.miss(number, at, 1);
                let value = encode(scheme, &identity, none);
                let ttl = Some(bench.ttl);
                // A fill the cache refused (counted by the bench) leaves the key as it was.
                let stored = bench.store_call(bench.store.set(key.as_bytes(), &value, ttl))?;
                if stored.is_some() {
                    key_use.writer_text = text;
                    filled.insert(number, (key.clone(), at + bench.ttl));
                }
            }
        }
        if report.samples.len() < KEY_SAMPLES {
            report.samples.push(KeySample {
                t_s: at.as_secs_f64(),
                call: format!("{}.{}", call.function.module, call.written()),
                key,
                outcome,
            });
        }
    }
    report.distinct_calls = calls.len() as u64;
    report.distinct_texts = texts.len() as u64;
    report.distinct_keys = keys.len() as u64;
    report.collision_probability = collision_probability(report.distinct_texts, bits);
    Ok(bench.finish(scheme.name(), report.wrong_values, report))
}

/// Who used a key.
struct KeyUse {
    first_call: u64,
    first_text: String,
    /// The text of the call whose value the key holds.
    writer_text: String,
    shared_by_calls: bool,
    shared_by_texts: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chapters_decorator_cannot_read_back_a_none() {
        let none = encode(Scheme::ChapterKey, "x", true);
        assert_eq!(none, b"null");
        assert_eq!(decode(Scheme::ChapterKey, &none), None);
        let value = encode(Scheme::ChapterKey, "x", false);
        assert_eq!(decode(Scheme::ChapterKey, &value).as_deref(), Some("x"));
        let enveloped = encode(Scheme::BoundArgs, "x", true);
        assert_eq!(decode(Scheme::BoundArgs, &enveloped).as_deref(), Some("x"));
    }
}
