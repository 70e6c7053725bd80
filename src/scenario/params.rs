//! Parameter metadata and validation, shared by every experiment and every face.
//!
//! An experiment declares its knobs once as [`ParamSpec`]s; the CLI's `--set`, the page's form and
//! a shared URL all go through [`resolve`], so the allowed ranges live in one place (the page reads
//! them from here rather than repeating them in JavaScript).

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// One knob of an experiment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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

/// Resolved parameter values: every spec's name, with the caller's value or its default.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Params(BTreeMap<&'static str, f64>);

impl Params {
    /// The value of a parameter that `resolve` filled in. A name the scenario does not declare
    /// is an error that lists the ones it does (never a NaN that later reads as 0).
    pub fn get(&self, name: &str) -> Result<f64> {
        self.0
            .get(name)
            .copied()
            .ok_or_else(|| Error::UnknownParam {
                name: name.to_string(),
                known: self.0.keys().copied().collect(),
            })
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
    let mut values: BTreeMap<&'static str, f64> =
        specs.iter().map(|s| (s.name, s.default)).collect();
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
        values.insert(spec.name, check(spec, value)?);
    }
    Ok(Params(values))
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
    fn assignments_split_on_the_first_equals() {
        assert_eq!(
            split_assignment("x=1=2").unwrap(),
            ("x".into(), "1=2".into())
        );
        assert!(split_assignment("=3").is_err());
        assert!(split_assignment("novalue").is_err());
    }
}
