//! The page's shared-link decoder: a URL query string in, the lesson and the knob values that are
//! valid for it out — with the names of the invalid and unknown ones, so the page can say that it
//! fell back to the defaults for them. It lives in the core (not in JavaScript) so that it is
//! fuzzed with the rest (`fuzz/fuzz_targets/link_decode.rs`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A numeric knob as the page shows it: a link value for it must be a number in `[min, max]`
/// (whole if `integer`). The page passes the specs it got from the core.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct LinkKnob {
    /// The knob's name in the link.
    pub name: String,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Whether only whole numbers are allowed.
    pub integer: bool,
}

/// What a shared link says.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LinkState {
    /// The `lesson` it names, if any.
    pub lesson: Option<String>,
    /// Valid values by name, as written in the link: the knobs', `seed`, and the pass-through names.
    pub values: BTreeMap<String, String>,
    /// Knobs (or `seed`) whose value is not allowed; the page uses their defaults.
    pub invalid: Vec<String>,
    /// Names the lesson does not know.
    pub unknown: Vec<String>,
}

/// Longest value kept for a pass-through name (such as a list of policies); longer is invalid.
const MAX_TEXT: usize = 1_000;

/// Decodes `query` (`?a=1&b=x`, form-urlencoded) for a lesson with `knobs`; `pass_through` names
/// settings taken as text and checked later by the run (the eviction lesson's `policies`, `sizes`).
/// The first occurrence of a name counts, as `URLSearchParams.get` does.
///
/// ```
/// use cachelab::scenario::{decode_link, LinkKnob};
/// let knobs = [LinkKnob { name: "rate".into(), min: 1.0, max: 1e6, integer: false }];
/// let link = decode_link("?lesson=stampede&rate=250&seed=-1&colour=red", &knobs, &[]);
/// assert_eq!(link.lesson.as_deref(), Some("stampede"));
/// assert_eq!(link.values.get("rate").map(String::as_str), Some("250"));
/// assert_eq!(link.invalid, ["seed"]);
/// assert_eq!(link.unknown, ["colour"]);
/// ```
pub fn decode_link(query: &str, knobs: &[LinkKnob], pass_through: &[String]) -> LinkState {
    let mut state = LinkState::default();
    let mut seen: Vec<String> = Vec::new();
    for pair in query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (form_decode(raw_name), form_decode(raw_value));
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        let valid = if name == "lesson" {
            state.lesson = Some(value);
            continue;
        } else if name == "seed" {
            is_seed(&value)
        } else if let Some(knob) = knobs.iter().find(|k| k.name == name) {
            fits(knob, &value)
        } else if pass_through.contains(&name) {
            value.len() <= MAX_TEXT
        } else {
            state.unknown.push(name);
            continue;
        };
        if valid {
            state.values.insert(name, value);
        } else {
            state.invalid.push(name);
        }
    }
    state
}

/// Whether `text` is a number the knob allows.
fn fits(knob: &LinkKnob, text: &str) -> bool {
    match text.trim().parse::<f64>() {
        Ok(v) => {
            v.is_finite() && v >= knob.min && v <= knob.max && (!knob.integer || v.fract() == 0.0)
        }
        Err(_) => false,
    }
}

/// Whether `text` is a seed: a whole number from 0 to 2^64 - 1, digits only.
fn is_seed(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u64>().is_ok()
}

/// Form-urlencoded decoding: `+` is a space, `%HH` a byte; a `%` not followed by two hex digits
/// stays as it is (as browsers do); the bytes are read as UTF-8, with U+FFFD for invalid ones.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knob(name: &str, min: f64, max: f64, integer: bool) -> LinkKnob {
        LinkKnob {
            name: name.into(),
            min,
            max,
            integer,
        }
    }

    #[test]
    fn percent_and_plus_decode_like_url_search_params() {
        assert_eq!(form_decode("a+b%20c%2Bd"), "a b c+d");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz%4"), "%zz%4");
        assert_eq!(form_decode("%E2%9C%93"), "✓");
        assert_eq!(form_decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn values_outside_the_knobs_are_invalid_and_first_occurrence_wins() {
        let knobs = [knob("keys", 1.0, 1e6, true), knob("skew", 0.0, 3.0, false)];
        let link = decode_link(
            "keys=2.5&skew=NaN&keys=10&seed=18446744073709551616",
            &knobs,
            &[],
        );
        assert_eq!(link.invalid, ["keys", "skew", "seed"]);
        assert!(link.values.is_empty());
        let link = decode_link("skew=%2B1.5&seed=18446744073709551615", &knobs, &[]);
        assert_eq!(link.values.get("skew").map(String::as_str), Some("+1.5"));
        assert!(link.invalid.is_empty());
    }

    #[test]
    fn pass_through_names_keep_their_text_within_a_bound() {
        let names = ["policies".to_string()];
        let link = decode_link("policies=lru%2Csieve", &[], &names);
        assert_eq!(
            link.values.get("policies").map(String::as_str),
            Some("lru,sieve")
        );
        let long = format!("policies={}", "x".repeat(MAX_TEXT + 1));
        assert_eq!(decode_link(&long, &[], &names).invalid, ["policies"]);
    }
}
