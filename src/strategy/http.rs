//! An HTTP response cache: which responses may be stored, and under which key.
//!
//! A response cache sits in front of an application and answers repeated requests with a stored
//! response. Two questions decide whether it helps or harms:
//!
//! - **What may be stored.** Only a `GET` that came back `200`: a `POST` has a side effect that
//!   must happen every time (replaying an old answer skips it); an error (`500`) is usually
//!   transient, and replaying it keeps a recovered backend looking broken. A response that depends
//!   on who asks (a per-user page) may be stored only under a key that names the user.
//! - **Which requests are the same.** The key is the method, the path and the *normalised* query,
//!   hashed to a fixed length by the cache manager's [`function_key`]. Normalising makes requests
//!   that the application answers alike share one entry, so the hit ratio does not depend on how a
//!   client happened to spell the address.
//!
//! ## Normalisation rules
//!
//! - The method is a [`Method`], parsed once from its text without regard to case (`get` and
//!   `GET` are one method; a name that is no HTTP method is an error), and spelt upper-case.
//! - The path is kept as given: paths are case-sensitive (`/Users` and `/users` may be different
//!   resources), so folding them could mix two resources' answers.
//! - Query parameters are split on `&`; empty segments (`a=1&&b=2`) are dropped; a parameter
//!   without `=` has the empty value.
//! - Tracking parameters are dropped: names starting with `utm_`, and `fbclid`, `gclid`,
//!   `msclkid`, `mc_cid`, `mc_eid`, matched without regard to case (`UTM_Source` goes too). They
//!   tell analytics where a click came from and never change the answer.
//! - The remaining parameters are sorted by name; a repeated name keeps its values in their
//!   original order (`tag=a&tag=b` may mean a list in that order). Names and values keep their
//!   case: `q=Rust` and `q=rust` may be different searches.
//! - No percent-decoding: `%41` and `A` stay different (decoding is the application's job, and a
//!   key must never merge two requests the application would tell apart).

use crate::error::{Error, Result};
use crate::manager::function_key;

/// An HTTP request method: a request's text becomes one of these once, where it enters, so that
/// no rule below compares method names as strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
}

impl Method {
    /// Every method, in the order of their names' listing in errors.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    /// Its name as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    /// The method called `text`, in any case; anything else is an error that lists the methods.
    ///
    /// ```
    /// use cachelab::strategy::http::Method;
    /// assert_eq!(Method::parse("get").unwrap(), Method::Get);
    /// assert_eq!(Method::parse("POST").unwrap().as_str(), "POST");
    /// assert!(Method::parse("FETCH").unwrap_err().to_string().contains("GET, HEAD, POST"));
    /// ```
    pub fn parse(text: &str) -> Result<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| Error::UnknownName {
                kind: "HTTP method",
                name: text.to_string(),
                known: Method::ALL.iter().map(|m| m.as_str().to_string()).collect(),
            })
    }

    /// Whether the method only reads (it changes nothing on the server): `GET`, `HEAD`, `OPTIONS`.
    pub fn is_safe(self) -> bool {
        match self {
            Method::Get | Method::Head | Method::Options => true,
            Method::Post | Method::Put | Method::Patch | Method::Delete => false,
        }
    }
}

/// Query parameter names that only carry analytics (besides every name starting with `utm_`).
const TRACKING_PARAMS: [&str; 5] = ["fbclid", "gclid", "msclkid", "mc_cid", "mc_eid"];

/// Whether a query parameter only tracks where a click came from (its name, any case).
///
/// ```
/// use cachelab::strategy::http::is_tracking_param;
/// assert!(is_tracking_param("utm_source") && is_tracking_param("UTM_Campaign"));
/// assert!(is_tracking_param("fbclid"));
/// assert!(!is_tracking_param("page") && !is_tracking_param("utm")); // no `utm_` prefix
/// ```
pub fn is_tracking_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_PARAMS.contains(&lower.as_str())
}

/// The query's parameters as `(name, value)` pairs after the rules in the module docs: tracking
/// parameters dropped, the rest sorted by name (stable, so repeated names keep their order).
///
/// ```
/// use cachelab::strategy::http::normalise_query;
/// let pairs = normalise_query("page=2&utm_source=mail&category=7");
/// assert_eq!(pairs, [("category".to_string(), "7".to_string()), ("page".to_string(), "2".to_string())]);
/// ```
pub fn normalise_query(query: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => (segment.to_string(), String::new()),
        })
        .filter(|(name, _)| !is_tracking_param(name))
        .collect();
    crate::order::by_str_key(&mut pairs, |p| &p.0);
    pairs
}

/// How a response cache builds keys and decides what to store. The correct rules are
/// [`CacheRules::CORRECT`]; each flag away from them is one of the classic pitfalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheRules {
    /// Normalise the query (module docs); otherwise the raw query text is the key.
    pub normalise: bool,
    /// Store answers to any method, `POST` included (a pitfall: side effects get skipped).
    pub cache_any_method: bool,
    /// Store answers of any status, errors included (a pitfall: errors outlive their cause).
    pub cache_errors: bool,
    /// Key per-user responses by their user; otherwise under the shared key (a pitfall: users
    /// are served each other's data).
    pub key_by_user: bool,
}

impl CacheRules {
    /// `GET` and `200` only, per-user responses keyed by user, queries normalised.
    pub const CORRECT: CacheRules = CacheRules {
        normalise: true,
        cache_any_method: false,
        cache_errors: false,
        key_by_user: true,
    };

    /// Whether a response of `status` to `method` may be stored under these rules.
    ///
    /// ```
    /// use cachelab::strategy::http::{CacheRules, Method};
    /// let rules = CacheRules::CORRECT;
    /// assert!(rules.may_store(Method::Get, 200));
    /// assert!(!rules.may_store(Method::Post, 200) && !rules.may_store(Method::Get, 500));
    /// ```
    pub fn may_store(&self, method: Method, status: u16) -> bool {
        (self.cache_any_method || method == Method::Get) && (self.cache_errors || status == 200)
    }

    /// The cache key of a request: `resp:{METHOD}:{digest}`, the digest over the path, the query
    /// (normalised or raw, by the rules) and — for a per-user response when the rules key by user
    /// — the user. `user` is the signed-in user of a per-user endpoint, `None` for public ones.
    ///
    /// ```
    /// use cachelab::strategy::http::{CacheRules, Method};
    /// let rules = CacheRules::CORRECT;
    /// let get = Method::parse("get").unwrap();
    /// let a = rules.key(get, "/products", "page=2&category=7&utm_source=mail", None);
    /// let b = rules.key(Method::Get, "/products", "category=7&page=2", None);
    /// assert_eq!(a, b);
    /// assert!(a.starts_with("resp:GET:"));
    /// // Per-user answers get one key per user.
    /// assert_ne!(rules.key(get, "/me/orders", "", Some(1)), rules.key(get, "/me/orders", "", Some(2)));
    /// ```
    pub fn key(&self, method: Method, path: &str, query: &str, user: Option<u64>) -> String {
        let method = method.as_str();
        let user = user.filter(|_| self.key_by_user);
        // Serialising strings, pairs and integers cannot fail.
        let key = if self.normalise {
            function_key("resp", method, &(path, normalise_query(query), user))
        } else {
            function_key("resp", method, &(path, query, user))
        };
        key.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_tracking_params_give_one_key() {
        let rules = CacheRules::CORRECT;
        let spellings = [
            "category=7&page=2",
            "page=2&category=7",
            "utm_source=mail&page=2&category=7",
            "category=7&fbclid=abc&page=2&UTM_Campaign=spring",
            "category=7&&page=2&",
        ];
        let keys: Vec<String> = spellings
            .iter()
            .map(|q| rules.key(Method::Get, "/products", q, None))
            .collect();
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        // Without normalisation each spelling is its own entry.
        let raw = CacheRules {
            normalise: false,
            ..rules
        };
        let mut raw_keys: Vec<String> = spellings
            .iter()
            .map(|q| raw.key(Method::Get, "/products", q, None))
            .collect();
        raw_keys.dedup();
        assert_eq!(raw_keys.len(), spellings.len());
    }

    #[test]
    fn what_the_application_tells_apart_stays_apart() {
        let rules = CacheRules::CORRECT;
        let key = |method: &str, path: &str, query: &str| {
            rules.key(Method::parse(method).unwrap(), path, query, None)
        };
        let distinct = [
            key("GET", "/products", "category=7&page=2"),
            key("GET", "/products", "category=7&page=3"),
            key("GET", "/Products", "category=7&page=2"),
            key("POST", "/products", "category=7&page=2"),
            key("GET", "/search", "q=Rust"),
            key("GET", "/search", "q=rust"),
            key("GET", "/search", "q=%41"),
            key("GET", "/search", "q=A"),
            key("GET", "/list", "tag=a&tag=b"),
            key("GET", "/list", "tag=b&tag=a"),
            key("GET", "/list", "utm=1"),
            key("GET", "/list", ""),
        ];
        let mut unique = distinct.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), distinct.len());
    }

    #[test]
    fn a_method_is_parsed_once_in_any_case_and_an_unknown_one_is_refused() {
        for m in Method::ALL {
            assert_eq!(Method::parse(&m.as_str().to_ascii_lowercase()).unwrap(), m);
        }
        let err = Method::parse("GETS").unwrap_err().to_string();
        assert!(err.contains("GETS") && err.contains("OPTIONS"), "{err}");
        assert!(Method::Get.is_safe() && !Method::Post.is_safe());
    }

    #[test]
    fn per_user_keys_only_when_the_rules_say_so() {
        let shared = CacheRules {
            key_by_user: false,
            ..CacheRules::CORRECT
        };
        assert_eq!(
            shared.key(Method::Get, "/me/orders", "", Some(1)),
            shared.key(Method::Get, "/me/orders", "", Some(2))
        );
        let correct = CacheRules::CORRECT;
        assert_ne!(
            correct.key(Method::Get, "/me/orders", "", Some(1)),
            correct.key(Method::Get, "/me/orders", "", None)
        );
    }

    #[test]
    fn only_the_pitfall_flags_store_posts_and_errors() {
        let correct = CacheRules::CORRECT;
        assert!(!correct.may_store(Method::Post, 200));
        assert!(!correct.may_store(Method::Get, 404));
        let loose = CacheRules {
            cache_any_method: true,
            cache_errors: true,
            ..correct
        };
        assert!(loose.may_store(Method::Post, 200) && loose.may_store(Method::Get, 500));
    }
}
