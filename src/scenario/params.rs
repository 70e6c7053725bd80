//! Parameter metadata and validation, shared by every experiment and every face.
//!
//! An experiment declares its knobs once as [`ParamSpec`]s; the CLI's `--set`, the page's form and
//! a shared URL all go through [`resolve`], so the allowed ranges live in one place (the page reads
//! them from here rather than repeating them in JavaScript).

use crate::error::{Error, Result};
use serde::Serialize;

/// The plain label of every parameter, by name, sorted: what the page shows beside the
/// identifier ("database p99 latency" beside `db_p99_ms`). A parameter shared by several
/// scenarios has one label; a test fails for any declared parameter without one.
pub const LABELS: &[(&str, &str)] = &[
    ("abuser_rate", "an abuser's request rate"),
    ("abusers", "abusive users"),
    ("alert_hit_ratio", "alert below this L2 hit ratio"),
    ("alert_memory_mb", "alert above this L2 memory"),
    ("batch_size", "rows per write-behind flush"),
    ("beta", "XFetch eagerness"),
    ("bloom_bits_per_key", "Bloom filter bits per key"),
    ("breaker_cooldown_ms", "circuit-breaker cool-down"),
    (
        "breaker_failures",
        "failures in a row that open the breaker",
    ),
    (
        "broadcast_delay_ms",
        "extra delay of an invalidation message",
    ),
    ("bucket_ms", "chart bucket width"),
    ("burst_at_s", "when the burst comes"),
    ("burst_requests", "requests in the burst"),
    ("burst_span_ms", "how long the burst lasts"),
    ("categories", "product categories"),
    ("clients", "closed-loop clients"),
    ("crash_at_s", "when the process crashes"),
    ("db_p50_ms", "database median latency"),
    ("db_p99_ms", "database p99 latency"),
    ("db_pool", "database connections"),
    ("deploy_at_s", "when the new code starts"),
    ("duration_s", "how long the run lasts"),
    ("early_beta", "early refresh eagerness"),
    ("error_share", "share of backend errors"),
    ("event_log", "events in the step log"),
    ("event_log_from_s", "step log starts at"),
    ("flush_ms", "pause between write-behind flushes"),
    ("grace_s", "stale grace period"),
    ("hot_share", "share of requests for the hot key"),
    ("instances", "app instances"),
    ("ip_limit", "requests per window for an anonymous IP"),
    ("jitter", "TTL jitter"),
    ("keys", "keys"),
    ("l1_keys", "L1 capacity"),
    ("l1_ttl_ms", "L1 time to live"),
    ("l2_pool", "L2 client's connection pool"),
    ("l2_rtt_ms", "round trip to Redis (L2)"),
    ("l2_timeout_ms", "L2 client's timeout per command"),
    ("lock_poll_ms", "pause between lock polls"),
    ("lock_polls", "lock polls before giving up"),
    ("lock_ttl_ms", "lock expiry"),
    ("maxmemory_mb", "L2 maxmemory"),
    ("missing_keys", "distinct missing keys"),
    ("missing_share", "share of reads for missing keys"),
    ("missing_users", "share of user ids with no user"),
    ("negative_ttl_s", "how long \"not found\" is cached"),
    ("outage_at_s", "when the L2 outage starts"),
    ("outage_from_s", "when Redis becomes unreachable"),
    ("outage_s", "how long Redis is unreachable"),
    ("points", "points on the curve"),
    ("products", "products"),
    ("queries", "distinct search queries"),
    ("rate", "requests per second"),
    ("read_limit", "reads per window for a user"),
    ("refresh_ahead_s", "refresh-ahead window"),
    ("requests", "requests per capacity"),
    ("reset_at_s", "when the admin resets a1"),
    ("rollout_s", "rollout length"),
    ("scrapers", "scrapers"),
    ("session_bytes", "size of a session"),
    ("short_digest_hex", "hex digits the short digest keeps"),
    ("short_timeout_ms", "the short timeout per command"),
    ("skew", "popularity skew (Zipf exponent)"),
    ("slow_at_s", "when L2 turns slow"),
    ("slow_ms", "extra delay of each L2 reply"),
    ("slow_s", "how long L2 stays slow"),
    ("think_ms", "a client's pause between requests"),
    ("timeout_ms", "request timeout"),
    ("tracking_share", "share of links with tracking tags"),
    ("ttl_s", "cache time to live (TTL)"),
    ("update_rate", "product updates per second"),
    ("user_read_rate", "a user's read rate"),
    ("user_write_rate", "a user's write rate"),
    ("users", "signed-in users"),
    ("warm_keys", "keys warmed at start-up"),
    ("window_s", "rate-limit window"),
    ("write_limit", "writes per window for a user"),
    ("write_share", "share of requests that write"),
];

/// The label of parameter `name` (see [`LABELS`]), or `None` if it has none.
pub fn label(name: &str) -> Option<&'static str> {
    LABELS
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| LABELS[i].1)
}

/// One knob of an experiment. Its JSON adds `label`, the plain words of [`label`] (the name
/// itself for a parameter without one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// The name used in `--set name=value`, URLs and JSON.
    pub name: &'static str,
    /// What it means, in a sentence.
    pub meaning: &'static str,
    /// Its unit (`"ms"`, `"s"`, `"keys"`, …), or `""` for a pure number.
    pub unit: &'static str,
    /// The value used when the caller gives none.
    pub default: f64,
    /// The smallest allowed value.
    pub min: f64,
    /// The largest allowed value.
    pub max: f64,
    /// Whether only whole numbers are allowed.
    pub integer: bool,
}

impl Serialize for ParamSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ParamSpec", 8)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("label", label(self.name).unwrap_or(self.name))?;
        st.serialize_field("meaning", self.meaning)?;
        st.serialize_field("unit", self.unit)?;
        st.serialize_field("default", &self.default)?;
        st.serialize_field("min", &self.min)?;
        st.serialize_field("max", &self.max)?;
        st.serialize_field("integer", &self.integer)?;
        st.end()
    }
}

/// Resolved parameter values: every spec's name, with the caller's value or its default; in a
/// report, an object by name. A `Vec` sorted by name, each name once, rather than a `BTreeMap`:
/// a scenario has a dozen parameters, and the map's code would be compiled for this key and
/// value type alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(Vec<(&'static str, f64)>);

impl Params {
    /// The value of a parameter that `resolve` filled in. A name the scenario does not declare
    /// is an error that lists the ones it does (never a NaN that later reads as 0).
    pub fn get(&self, name: &str) -> Result<f64> {
        match self.position(name) {
            Ok(i) => Ok(self.0[i].1),
            Err(_) => Err(Error::UnknownParam {
                name: name.to_string(),
                known: self.0.iter().map(|(k, _)| *k).collect(),
            }),
        }
    }

    /// Where `name` is, or would go to keep the names sorted.
    fn position(&self, name: &str) -> std::result::Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (*k).cmp(name))
    }

    /// Sets `name` to `value`, adding it in its place if it is not there yet.
    fn set(&mut self, name: &'static str, value: f64) {
        match self.position(name) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    /// The value as an unsigned integer (the spec guaranteed it is whole and in range).
    pub fn get_u64(&self, name: &str) -> Result<u64> {
        Ok(self.get(name)? as u64)
    }

    /// All values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(k, v)| (*k, *v))
    }
}

impl Serialize for Params {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Checks one value against its spec.
pub fn check(spec: &ParamSpec, value: f64) -> Result<f64> {
    if !(spec.min..=spec.max).contains(&value) {
        return Err(Error::OutOfRange {
            name: spec.name.to_string(),
            value,
            min: spec.min,
            max: spec.max,
            unit: spec.unit,
        });
    }
    if spec.integer && value.fract() != 0.0 {
        return Err(Error::NotAnInteger {
            name: spec.name.to_string(),
            value,
        });
    }
    Ok(value)
}

/// Fills in defaults and validates `given` (name → value as text) against `specs`.
///
/// ```
/// use cachelab::scenario::{resolve, ParamSpec};
/// let specs = [ParamSpec { name: "keys", meaning: "distinct keys", unit: "keys",
///                          default: 100.0, min: 1.0, max: 1e6, integer: true }];
/// let p = resolve(&specs, &[("keys".into(), "250".into())]).unwrap();
/// assert_eq!(p.get("keys").unwrap(), 250.0);
/// assert!(p.get("kyes").is_err());
/// let err = resolve(&specs, &[("keys".into(), "0".into())]).unwrap_err();
/// assert_eq!(err.to_string(), "parameter `keys` must be between 1 and 1000000 keys (got 0)");
/// ```
pub fn resolve(specs: &[ParamSpec], given: &[(String, String)]) -> Result<Params> {
    let mut values = Params::default();
    for spec in specs {
        values.set(spec.name, spec.default);
    }
    for (name, text) in given {
        let spec = specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::UnknownParam {
                name: name.clone(),
                known: specs.iter().map(|s| s.name).collect(),
            })?;
        let value: f64 = text.trim().parse().map_err(|_| Error::NotANumber {
            name: name.clone(),
            value: text.clone(),
        })?;
        values.set(spec.name, check(spec, value)?);
    }
    Ok(values)
}

/// Splits `name=value` (the CLI's `--set` form) into its two halves.
pub fn split_assignment(pair: &str) -> Result<(String, String)> {
    match pair.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(Error::Parse {
            what: format!("`{pair}`"),
            detail: "expected NAME=VALUE".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: [ParamSpec; 2] = [
        ParamSpec {
            name: "a",
            meaning: "",
            unit: "",
            default: 1.0,
            min: 0.0,
            max: 2.0,
            integer: false,
        },
        ParamSpec {
            name: "n",
            meaning: "",
            unit: "keys",
            default: 5.0,
            min: 1.0,
            max: 9.0,
            integer: true,
        },
    ];

    #[test]
    fn defaults_fill_the_gaps() {
        let p = resolve(&SPECS, &[]).unwrap();
        assert_eq!((p.get("a").unwrap(), p.get("n").unwrap()), (1.0, 5.0));
        let e = p.get("zz").unwrap_err();
        assert_eq!(e.to_string(), "unknown parameter `zz`; known: a, n");
    }

    #[test]
    fn errors_name_the_parameter_and_range() {
        let e = resolve(&SPECS, &[("zz".into(), "1".into())]).unwrap_err();
        assert_eq!(e.to_string(), "unknown parameter `zz`; known: a, n");
        let e = resolve(&SPECS, &[("a".into(), "x".into())]).unwrap_err();
        assert!(e.to_string().contains("`a` must be a number"));
        let e = resolve(&SPECS, &[("n".into(), "2.5".into())]).unwrap_err();
        assert!(e.to_string().contains("whole number"));
        let e = resolve(&SPECS, &[("a".into(), "NaN".into())]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { .. }));
    }

    #[test]
    fn every_declared_parameter_has_a_label() {
        let sorted = LABELS.windows(2).all(|w| w[0].0 < w[1].0);
        assert!(sorted, "LABELS sorted by name, each name once");
        let declared = crate::scenario::scenarios()
            .into_iter()
            .flat_map(|s| s.params)
            .chain(crate::scenario::l1_curve::PARAMS);
        for p in declared {
            assert!(
                label(p.name).is_some(),
                "parameter `{}` has no label",
                p.name
            );
        }
        assert_eq!(label("db_p99_ms"), Some("database p99 latency"));
        let json = serde_json::to_string(&crate::scenario::l1_curve::PARAMS[0]).unwrap();
        assert!(
            json.starts_with(r#"{"name":"keys","label":"keys","meaning""#),
            "{json}"
        );
    }

    #[test]
    fn assignments_split_on_the_first_equals() {
        assert_eq!(
            split_assignment("x=1=2").unwrap(),
            ("x".into(), "1=2".into())
        );
        assert!(split_assignment("=3").is_err());
        assert!(split_assignment("novalue").is_err());
    }
}
