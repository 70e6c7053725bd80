//! The core's one error type. Every face turns it into its own form (a CLI message, a `JsError`),
//! so a message is written once and reads the same everywhere.

use std::fmt;

/// What went wrong, with enough detail for the user to fix it.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A parameter name that the experiment does not have.
    UnknownParam {
        name: String,
        known: Vec<&'static str>,
    },
    /// A parameter value that is not a number.
    NotANumber { name: String, value: String },
    /// A parameter outside its allowed range.
    OutOfRange {
        name: String,
        value: f64,
        min: f64,
        max: f64,
        unit: &'static str,
    },
    /// A parameter that must be a whole number.
    NotAnInteger { name: String, value: f64 },
    /// A scenario, policy or other named thing that does not exist.
    UnknownName {
        kind: &'static str,
        name: String,
        known: Vec<String>,
    },
    /// Input that could not be read (a trace line, a JSON document), with where and why.
    Parse { what: String, detail: String },
    /// A run that would exceed a safety limit (so that no input can exhaust memory or time).
    LimitExceeded { what: String, limit: u64, got: u64 },
    /// A load that other requests were waiting for was abandoned (its request timed out).
    LoadAbandoned,
    /// The shared cache answered with an error.
    Store { detail: String },
    /// A live run stopped by the user (Ctrl-C) before its end; its keys were removed.
    Interrupted,
}

impl Error {
    /// `Ok(())` if `value` is within `[min, max]`, else [`Error::OutOfRange`] naming `name`.
    ///
    /// ```
    /// use cachelab::Error;
    /// assert!(Error::check_range("limit", 5.0, 1.0, 10.0, "keys").is_ok());
    /// let e = Error::check_range("limit", 0.0, 1.0, 10.0, "keys").unwrap_err();
    /// assert!(e.to_string().contains("`limit` must be between 1 and 10 keys"));
    /// ```
    pub fn check_range(
        name: &str,
        value: f64,
        min: f64,
        max: f64,
        unit: &'static str,
    ) -> Result<()> {
        if (min..=max).contains(&value) {
            return Ok(());
        }
        Err(Error::OutOfRange {
            name: name.to_owned(),
            value,
            min,
            max,
            unit,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownParam { name, known } => {
                write!(f, "unknown parameter `{name}`; known: {}", known.join(", "))
            }
            Error::NotANumber { name, value } => {
                write!(f, "parameter `{name}` must be a number (got {value:?})")
            }
            Error::OutOfRange {
                name,
                value,
                min,
                max,
                unit,
            } => {
                let unit = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" {unit}")
                };
                write!(
                    f,
                    "parameter `{name}` must be between {min} and {max}{unit} (got {value})"
                )
            }
            Error::NotAnInteger { name, value } => {
                write!(f, "parameter `{name}` must be a whole number (got {value})")
            }
            Error::UnknownName { kind, name, known } => {
                write!(f, "unknown {kind} `{name}`; known: {}", known.join(", "))
            }
            Error::Parse { what, detail } => write!(f, "{what}: {detail}"),
            Error::LimitExceeded { what, limit, got } => {
                write!(f, "{what} would be {got}, above the limit of {limit}")
            }
            Error::LoadAbandoned => f.write_str("the load this request waited for was abandoned"),
            Error::Interrupted => f.write_str("interrupted (Ctrl-C) before the end of the run"),
            Error::Store { detail } => write!(f, "shared cache error: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;
