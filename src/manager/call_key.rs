//! Keys for a Python-style cached function call, under three schemes, so that a learner can see
//! what a caching decorator's key function folds together and what it splits apart.
//!
//! A call is a function of the lesson's small code base ([`FUNCTIONS`]) with positional and
//! keyword arguments written as Python would ([`PyValue`]). The schemes:
//!
//! - [`KeyScheme::ChapterKey`]: the decorator as the chapter writes it — the bare function name,
//!   the positional arguments and the keyword arguments *as given* (keywords sorted by name),
//!   serialised as Python's `json.dumps(..., sort_keys=True)` does, SHA-256, 16 hex digits kept.
//!   `f("a", 10)`, `f("a")` (10 being the default) and `f(category="a")` are one call with three
//!   keys; `users.get_by_id(7)` and `products.get_by_id(7)` are two calls with one key.
//! - [`KeyScheme::BoundArgs`]: the arguments bound to the parameter names with defaults applied
//!   (what `inspect.signature(f).bind(...).apply_defaults()` gives), the module-qualified name,
//!   and the whole digest: one key per call, whatever its spelling.
//! - [`KeyScheme::ShortDigest`]: the chapter's text with the digest cut to a few hex digits, so
//!   that different texts share a key once there are about as many keys as the birthday bound
//!   ([`birthday_bound`]) says.
//!
//! The text hashed by the chapter's scheme is byte for byte what the chapter's Python prints, so
//! a key printed here can be checked against `hashlib` (see the tests).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Hex digits the chapter keeps of its SHA-256 digest.
pub const CHAPTER_DIGEST_HEX: usize = 16;
/// Hex digits of a whole SHA-256 digest.
pub const FULL_DIGEST_HEX: usize = 64;
/// Arguments of one call, at most (positional and keyword together).
pub const MAX_CALL_ARGS: usize = 16;
/// Characters of one argument's text, at most.
pub const MAX_ARG_LEN: usize = 1_000;

/// An argument value, as Python would hold it.
#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An `int` (those that fit 64 bits).
    Int(i64),
    /// A finite `float`.
    Float(f64),
    /// A `str`.
    Str(String),
}

impl PyValue {
    /// Reads an argument as typed: `None`/`null`, `True`/`False` (or lower case), an integer, a
    /// finite decimal number, a string in single or double quotes, or any other bare word as a
    /// string (`books` is `'books'`). `field` names the argument in an error.
    pub fn parse(field: &str, text: &str) -> Result<PyValue> {
        let bad = |detail: &str| Error::Parse {
            what: field.to_string(),
            detail: detail.to_string(),
        };
        if text.chars().count() > MAX_ARG_LEN {
            return Err(bad(&format!("longer than {MAX_ARG_LEN} characters")));
        }
        let t = text.trim();
        if t.is_empty() {
            return Err(bad(
                "empty; write a number, None, True, False or a string ('' for an empty one)",
            ));
        }
        for quote in ['\'', '"'] {
            if let Some(rest) = t.strip_prefix(quote) {
                return match rest.strip_suffix(quote) {
                    Some(inner) if !inner.contains(quote) => Ok(PyValue::Str(inner.to_string())),
                    _ => Err(bad(&format!(
                        "a string must end with the quote it starts with ({quote}) and not contain it"
                    ))),
                };
            }
        }
        Ok(match t {
            "None" | "null" => PyValue::None,
            "True" | "true" => PyValue::Bool(true),
            "False" | "false" => PyValue::Bool(false),
            _ => {
                let numeric = t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
                if let Ok(i) = t.parse::<i64>() {
                    PyValue::Int(i)
                } else if numeric {
                    match t.parse::<f64>() {
                        Ok(f) if f.is_finite() => PyValue::Float(f),
                        _ => return Err(bad("not a number that fits (an integer of 64 bits or a finite decimal); quote it for a string")),
                    }
                } else {
                    PyValue::Str(t.to_string())
                }
            }
        })
    }

    /// The value as `json.dumps` writes it (ASCII only, Python's float format).
    fn write_json(&self, out: &mut String) {
        match self {
            PyValue::None => out.push_str("null"),
            PyValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            PyValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            PyValue::Float(f) => out.push_str(&python_float(*f)),
            PyValue::Str(s) => json_string(s, out),
        }
    }

    /// The value as Python's `repr` writes it in a call (`'books'`, `10`, `None`).
    pub fn repr(&self) -> String {
        match self {
            PyValue::None => "None".to_string(),
            PyValue::Bool(true) => "True".to_string(),
            PyValue::Bool(false) => "False".to_string(),
            PyValue::Int(i) => i.to_string(),
            PyValue::Float(f) => python_float(*f),
            PyValue::Str(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }
}

/// `repr(float)` in Python: the shortest digits that read back to the same number, in fixed
/// notation for exponents from -4 to 15 and in scientific notation (`1e+16`, `1.5e-05`) outside.
fn python_float(f: f64) -> String {
    // Rust's `{:e}` gives the same shortest digits; only the layout differs.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let text = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let point = exp as usize + 1;
            if digits.len() > point {
                format!("{}.{}", &digits[..point], &digits[point..])
            } else {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            }
        };
        format!("{sign}{text}")
    } else {
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exp.abs())
    }
}

/// A string as `json.dumps` writes it with its default `ensure_ascii=True`.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// A function of the lesson's code base: where it lives, its decorator's `key_prefix`, and its
/// parameters with their defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PyFunction {
    /// The module (`catalog`).
    pub module: &'static str,
    /// The bare name (`get_products`): all the chapter's key sees.
    pub name: &'static str,
    /// The `key_prefix` its `@cached(...)` was given ("" when left out).
    pub prefix: &'static str,
    /// Parameter names, in order, with the default of those that have one.
    pub params: &'static [(&'static str, Option<ParamDefault>)],
    /// What it returns (a sentence for the page).
    pub returns: &'static str,
}

/// A parameter's default value (a constant, so the table can be `static`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamDefault {
    /// An `int` default.
    Int(i64),
}

impl ParamDefault {
    fn value(self) -> PyValue {
        match self {
            ParamDefault::Int(i) => PyValue::Int(i),
        }
    }
}

impl PyFunction {
    /// `module.name`, as `__module__` and `__qualname__` give it.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// The signature as Python prints it: `get_products(category, limit=10)`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(name, default)| match default {
                Some(d) => format!("{name}={}", d.value().repr()),
                None => name.to_string(),
            })
            .collect();
        format!("{}.{}({})", self.module, self.name, params.join(", "))
    }
}

/// The lesson's code base: the chapter's own example, and two functions of the same name in two
/// modules, both decorated without a `key_prefix`; a user that does not exist gives `None`.
pub const FUNCTIONS: [PyFunction; 3] = [
    PyFunction {
        module: "catalog",
        name: "get_products",
        prefix: "products",
        params: &[("category", None), ("limit", Some(ParamDefault::Int(10)))],
        returns: "the first `limit` products of a category",
    },
    PyFunction {
        module: "users",
        name: "get_by_id",
        prefix: "",
        params: &[("user_id", None)],
        returns: "a user, or None if there is no such user",
    },
    PyFunction {
        module: "products",
        name: "get_by_id",
        prefix: "",
        params: &[("product_id", None)],
        returns: "a product",
    },
];

/// The function called `name`: `module.name`, or a bare name that only one module has.
pub fn find_function(name: &str) -> Result<&'static PyFunction> {
    let known = || FUNCTIONS.iter().map(PyFunction::qualified).collect();
    if let Some(f) = FUNCTIONS.iter().find(|f| f.qualified() == name) {
        return Ok(f);
    }
    let bare: Vec<&PyFunction> = FUNCTIONS.iter().filter(|f| f.name == name).collect();
    match bare.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::UnknownName {
            kind: "function",
            name: name.to_string(),
            known: known(),
        }),
        several => Err(Error::Parse {
            what: format!("function `{name}`"),
            detail: format!(
                "two modules have it; write one of {}",
                several
                    .iter()
                    .map(|f| f.qualified())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// How a cached function's key is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyScheme {
    /// The chapter's `generate_cache_key`: arguments as given, 16 hex digits.
    ChapterKey,
    /// Arguments bound to parameters with defaults applied, qualified name, full digest.
    BoundArgs,
    /// The chapter's text with only this many hex digits of the digest (1 to 64).
    ShortDigest(usize),
}

impl KeyScheme {
    /// Hex digits of the digest in the key.
    pub fn digest_hex(self) -> usize {
        match self {
            KeyScheme::ChapterKey => CHAPTER_DIGEST_HEX,
            KeyScheme::BoundArgs => FULL_DIGEST_HEX,
            KeyScheme::ShortDigest(hex) => hex.clamp(1, FULL_DIGEST_HEX),
        }
    }

    /// Bits of the digest in the key.
    pub fn digest_bits(self) -> u32 {
        4 * self.digest_hex() as u32
    }
}

/// A call of one of [`FUNCTIONS`], checked against its signature as Python checks it.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The function.
    pub function: &'static PyFunction,
    /// Positional arguments, as given.
    pub args: Vec<PyValue>,
    /// Keyword arguments, as given (in the order written).
    pub kwargs: Vec<(String, PyValue)>,
}

impl Call {
    /// The call, or the error Python's `TypeError` would name, with the argument at fault:
    /// too many positional arguments, an unknown keyword, a parameter given twice, or a missing
    /// one.
    pub fn new(
        function: &'static PyFunction,
        args: Vec<PyValue>,
        kwargs: Vec<(String, PyValue)>,
    ) -> Result<Call> {
        let what = |field: String, detail: String| Error::Parse {
            what: field,
            detail,
        };
        let params = function.params;
        if args.len() + kwargs.len() > MAX_CALL_ARGS {
            return Err(Error::LimitExceeded {
                what: "arguments of one call".to_string(),
                limit: MAX_CALL_ARGS as u64,
                got: (args.len() + kwargs.len()) as u64,
            });
        }
        if args.len() > params.len() {
            return Err(what(
                format!("argument {}", params.len() + 1),
                format!(
                    "{} takes at most {} positional argument(s)",
                    function.signature(),
                    params.len()
                ),
            ));
        }
        for (i, (name, _)) in kwargs.iter().enumerate() {
            let field = format!("--kw {name}");
            let Some(index) = params.iter().position(|(p, _)| p == name) else {
                return Err(Error::UnknownName {
                    kind: "keyword argument",
                    name: name.clone(),
                    known: params.iter().map(|(p, _)| p.to_string()).collect(),
                });
            };
            if index < args.len() {
                return Err(what(
                    field,
                    format!("`{name}` is also given as argument {}", index + 1),
                ));
            }
            if kwargs[..i].iter().any(|(other, _)| other == name) {
                return Err(what(field, format!("`{name}` is given twice")));
            }
        }
        let call = Call {
            function,
            args,
            kwargs,
        };
        if let Some((missing, _)) = call.bound().iter().find(|(_, v)| v.is_none()) {
            return Err(what(
                format!("argument `{missing}`"),
                format!("missing: {} needs it", function.signature()),
            ));
        }
        Ok(call)
    }

    /// Each parameter with its value: the positional or keyword argument, else the default
    /// (`None` where neither is given).
    fn bound(&self) -> Vec<(&'static str, Option<PyValue>)> {
        self.function
            .params
            .iter()
            .enumerate()
            .map(|(i, (name, default))| {
                let given = self.args.get(i).cloned().or_else(|| {
                    let kw = self.kwargs.iter().find(|(k, _)| k == name);
                    kw.map(|(_, v)| v.clone())
                });
                (*name, given.or_else(|| default.map(ParamDefault::value)))
            })
            .collect()
    }

    /// The call as written in Python: `get_products('books', limit=10)`.
    pub fn written(&self) -> String {
        let args = self.args.iter().map(PyValue::repr);
        let kwargs = self.kwargs.iter().map(|(k, v)| format!("{k}={}", v.repr()));
        let all: Vec<String> = args.chain(kwargs).collect();
        format!("{}({})", self.function.name, all.join(", "))
    }

    /// The text a scheme hashes: for the chapter's schemes, exactly what its
    /// `json.dumps(key_parts, sort_keys=True, default=str)` prints.
    pub fn key_text(&self, scheme: KeyScheme) -> String {
        let f = self.function;
        let mut out = String::new();
        match scheme {
            KeyScheme::ChapterKey | KeyScheme::ShortDigest(_) => {
                out.push_str("{\"args\": [");
                for (i, v) in self.args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_json(&mut out);
                }
                out.push_str("], \"function\": ");
                json_string(f.name, &mut out);
                out.push_str(", \"kwargs\": [");
                let mut kwargs: Vec<&(String, PyValue)> = self.kwargs.iter().collect();
                // `sorted(kwargs.items())`: by name (names are unique).
                crate::order::by_str_key(&mut kwargs, |a| &a.0);
                for (i, (k, v)) in kwargs.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push('[');
                    json_string(k, &mut out);
                    out.push_str(", ");
                    v.write_json(&mut out);
                    out.push(']');
                }
                out.push_str("], \"prefix\": ");
                json_string(f.prefix, &mut out);
                out.push('}');
            }
            KeyScheme::BoundArgs => {
                out.push_str("{\"args\": {");
                let mut bound = self.bound();
                crate::order::by_str_key(&mut bound, |a| a.0);
                for (i, (name, value)) in bound.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    json_string(name, &mut out);
                    out.push_str(": ");
                    value.unwrap_or(PyValue::None).write_json(&mut out);
                }
                out.push_str("}, \"function\": ");
                json_string(&f.qualified(), &mut out);
                out.push_str(", \"prefix\": ");
                json_string(f.prefix, &mut out);
                out.push('}');
            }
        }
        out
    }

    /// The call's key under `scheme`: `prefix:name:digest`.
    pub fn key(&self, scheme: KeyScheme) -> String {
        let digest = Sha256::digest(self.key_text(scheme).as_bytes());
        let mut hex = String::with_capacity(FULL_DIGEST_HEX);
        for b in digest {
            let _ = write!(hex, "{b:02x}");
        }
        let name = match scheme {
            KeyScheme::ChapterKey | KeyScheme::ShortDigest(_) => self.function.name.to_string(),
            KeyScheme::BoundArgs => self.function.qualified(),
        };
        hex.truncate(scheme.digest_hex());
        format!("{}:{name}:{hex}", self.function.prefix)
    }
}

/// Keys at which two distinct texts share a digest of `bits` bits with even odds:
/// `sqrt(2 ln 2 · 2^bits)`, about `1.18 · 2^(bits/2)`.
pub fn birthday_bound(bits: u32) -> f64 {
    libm::sqrt(2.0 * core::f64::consts::LN_2 * libm::exp2(f64::from(bits)))
}

/// The chance that some two of `keys` distinct texts share a digest of `bits` bits:
/// `1 - exp(-n(n-1) / 2^(bits+1))` (kept accurate when tiny).
pub fn collision_probability(keys: u64, bits: u32) -> f64 {
    let n = keys as f64;
    let pairs_over_space = n * (n - 1.0) / libm::exp2(f64::from(bits) + 1.0);
    -libm::expm1(-pairs_over_space)
}

/// One call's key under one scheme, with the text hashed (what `cachelab key` prints).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SchemeKey {
    /// The scheme: `chapter-key`, `bound-args` or `short-digest`.
    pub scheme: &'static str,
    /// The key.
    pub key: String,
    /// The text whose SHA-256 the key ends with.
    pub hashed: String,
    /// Bits of the digest kept.
    pub digest_bits: u32,
    /// Keys at which a digest this long is shared with even odds.
    pub birthday_bound: f64,
}

/// A typed call (`name`, positional argument texts, `NAME=VALUE` keyword texts) read and checked
/// against the lesson's functions: what the CLI's `key` and the page's widget take.
pub fn parse_call(name: &str, args: &[String], kwargs: &[String]) -> Result<Call> {
    let function = find_function(name.trim())?;
    let args = args
        .iter()
        .enumerate()
        .map(|(i, a)| PyValue::parse(&format!("argument {}", i + 1), a))
        .collect::<Result<Vec<_>>>()?;
    let kwargs = kwargs
        .iter()
        .map(|kw| {
            let (k, v) = kw.split_once('=').ok_or_else(|| Error::Parse {
                what: format!("--kw {kw}"),
                detail: "expected NAME=VALUE".to_string(),
            })?;
            let k = k.trim();
            Ok((k.to_string(), PyValue::parse(&format!("--kw {k}"), v)?))
        })
        .collect::<Result<Vec<_>>>()?;
    Call::new(function, args, kwargs)
}

/// The schemes' names, as the scenario's variants and `cachelab key --scheme` spell them.
pub const SCHEMES: [&str; 3] = ["chapter-key", "bound-args", "short-digest"];

/// A typed call and its keys: what `cachelab key` prints and the page's widget shows.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CallKeys {
    /// The function's signature (`catalog.get_products(category, limit=10)`).
    pub signature: String,
    /// The call as Python would write it.
    pub call: String,
    /// Its key under each scheme asked for.
    pub keys: Vec<SchemeKey>,
}

/// The keys of the call `name(args…, kwargs…)` (texts as typed, see [`parse_call`]) under
/// `scheme` (one of [`SCHEMES`]), or under every scheme if `None`; the short digest keeps
/// `short_hex` hex digits (1 to 16, the scenario's `short_digest_hex`).
///
/// ```
/// let keys = cachelab::manager::call_keys("get_products", &["'books'".into()], &["limit=10".into()], None, 4).unwrap();
/// assert_eq!(keys.keys[0].key, "products:get_products:49c8eb0e96cda722");
/// assert_eq!(keys.keys[2].key, "products:get_products:49c8");
/// ```
pub fn call_keys(
    name: &str,
    args: &[String],
    kwargs: &[String],
    scheme: Option<&str>,
    short_hex: u64,
) -> Result<CallKeys> {
    Error::check_range(
        "short_digest_hex",
        short_hex as f64,
        1.0,
        16.0,
        "hex digits",
    )?;
    if let Some(wanted) = scheme {
        if !SCHEMES.contains(&wanted) {
            return Err(Error::UnknownName {
                kind: "scheme",
                name: wanted.to_string(),
                known: SCHEMES.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
    let call = parse_call(name, args, kwargs)?;
    let schemes = [
        KeyScheme::ChapterKey,
        KeyScheme::BoundArgs,
        KeyScheme::ShortDigest(short_hex as usize),
    ];
    let keys = SCHEMES
        .into_iter()
        .zip(schemes)
        .filter(|(name, _)| scheme.is_none_or(|wanted| wanted == *name))
        .map(|(name, scheme)| SchemeKey {
            scheme: name,
            key: call.key(scheme),
            hashed: call.key_text(scheme),
            digest_bits: scheme.digest_bits(),
            birthday_bound: birthday_bound(scheme.digest_bits()),
        })
        .collect();
    Ok(CallKeys {
        signature: call.function.signature(),
        call: format!("{}.{}", call.function.module, call.written()),
        keys,
    })
}

/// One of the lesson's functions, as the page lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FunctionInfo {
    /// `module.name`.
    pub name: String,
    /// Its signature with defaults.
    pub signature: String,
    /// What it returns.
    pub returns: &'static str,
}

/// The lesson's functions, for a face to list.
pub fn function_list() -> Vec<FunctionInfo> {
    FUNCTIONS
        .iter()
        .map(|f| FunctionInfo {
            name: f.qualified(),
            signature: f.signature(),
            returns: f.returns,
        })
        .collect()
}

/// Characters of a typed call, at most.
pub const MAX_CALL_TEXT: usize = 4_000;

/// Splits a call typed as Python writes it (`get_products('books', limit=10)`) into the
/// function's name, the positional argument texts and the `NAME=VALUE` keyword texts that
/// [`parse_call`] reads. Commas inside quotes do not split.
pub fn split_call(text: &str) -> Result<(String, Vec<String>, Vec<String>)> {
    let bad = |detail: String| Error::Parse {
        what: "the call".to_string(),
        detail,
    };
    if text.chars().count() > MAX_CALL_TEXT {
        return Err(bad(format!("longer than {MAX_CALL_TEXT} characters")));
    }
    let t = text.trim();
    let (name, rest) = t.split_once('(').ok_or_else(|| {
        bad("expected NAME(arguments), such as get_products('books', limit=10)".into())
    })?;
    let inner = rest
        .trim_end()
        .strip_suffix(')')
        .ok_or_else(|| bad("the arguments must end with `)`".into()))?;
    let mut pieces = Vec::new();
    let (mut piece, mut quote) = (String::new(), None);
    for c in inner.chars() {
        match (quote, c) {
            (None, ',') => pieces.push(std::mem::take(&mut piece)),
            (None, '\'' | '"') => {
                quote = Some(c);
                piece.push(c);
            }
            (Some(q), _) if c == q => {
                quote = None;
                piece.push(c);
            }
            _ => piece.push(c),
        }
    }
    pieces.push(piece);
    // `f()` has no argument, and Python allows one trailing comma.
    if pieces.last().is_some_and(|p| p.trim().is_empty())
        && (pieces.len() > 1 || inner.trim().is_empty())
    {
        pieces.pop();
    }
    let (mut args, mut kwargs) = (Vec::new(), Vec::new());
    for (i, piece) in pieces.into_iter().enumerate() {
        let p = piece.trim();
        if p.is_empty() {
            return Err(bad(format!("argument {} is empty", i + 1)));
        }
        let keyword = p.split_once('=').filter(|(k, v)| {
            let k = k.trim();
            !v.starts_with('=')
                && k.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        match keyword {
            Some(_) => kwargs.push(p.to_string()),
            None if !kwargs.is_empty() => {
                return Err(bad(format!(
                    "argument {}: a positional argument cannot follow a keyword argument",
                    i + 1
                )))
            }
            None => args.push(p.to_string()),
        }
    }
    Ok((name.trim().to_string(), args, kwargs))
}

/// [`call_keys`] for a call typed as Python writes it, under every scheme (what the page's
/// widget shows).
pub fn call_keys_text(text: &str, short_hex: f64) -> Result<CallKeys> {
    if short_hex.fract() != 0.0 || !short_hex.is_finite() {
        return Err(Error::NotAnInteger {
            name: "short_digest_hex".to_string(),
            value: short_hex,
        });
    }
    Error::check_range("short_digest_hex", short_hex, 1.0, 16.0, "hex digits")?;
    let (name, args, kwargs) = split_call(text)?;
    call_keys(&name, &args, &kwargs, None, short_hex as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[&str], kwargs: &[&str]) -> Result<Call> {
        let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        parse_call(name, &s(args), &s(kwargs))
    }

    #[test]
    fn the_chapter_key_is_what_its_python_prints() {
        // Checked with CPython 3: generate_cache_key("products", "get_products", "books",
        // limit=10) as the chapter defines it.
        let c = call("get_products", &["books"], &["limit=10"]).unwrap();
        assert_eq!(
            c.key_text(KeyScheme::ChapterKey),
            r#"{"args": ["books"], "function": "get_products", "kwargs": [["limit", 10]], "prefix": "products"}"#
        );
        assert_eq!(
            c.key(KeyScheme::ChapterKey),
            "products:get_products:49c8eb0e96cda722"
        );
    }

    #[test]
    fn spellings_of_one_call_split_under_the_chapter_and_meet_when_bound() {
        let spellings = [
            call("get_products", &["books"], &[]),
            call("get_products", &["books", "10"], &[]),
            call("get_products", &["books"], &["limit=10"]),
            call("get_products", &[], &["category=books"]),
            call("get_products", &[], &["limit=10", "category=books"]),
        ]
        .map(Result::unwrap);
        let keys = |s: KeyScheme| {
            let mut k: Vec<String> = spellings.iter().map(|c| c.key(s)).collect();
            k.sort();
            k.dedup();
            k.len()
        };
        assert_eq!(keys(KeyScheme::ChapterKey), 5);
        assert_eq!(keys(KeyScheme::BoundArgs), 1);
    }

    #[test]
    fn same_named_functions_share_the_chapter_key_not_the_bound_one() {
        let user = call("users.get_by_id", &["7"], &[]).unwrap();
        let product = call("products.get_by_id", &["7"], &[]).unwrap();
        assert_eq!(
            user.key(KeyScheme::ChapterKey),
            product.key(KeyScheme::ChapterKey)
        );
        assert_ne!(
            user.key(KeyScheme::BoundArgs),
            product.key(KeyScheme::BoundArgs)
        );
        assert!(user
            .key(KeyScheme::BoundArgs)
            .starts_with(":users.get_by_id:"));
        assert_eq!(
            user.key(KeyScheme::BoundArgs)
                .rsplit(':')
                .next()
                .unwrap()
                .len(),
            64
        );
        assert_eq!(
            user.key(KeyScheme::ShortDigest(4))
                .rsplit(':')
                .next()
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn values_are_written_as_python_writes_them() {
        let json = |v: PyValue| {
            let mut s = String::new();
            v.write_json(&mut s);
            s
        };
        assert_eq!(json(PyValue::Float(2.5)), "2.5");
        assert_eq!(json(PyValue::Float(10.0)), "10.0");
        assert_eq!(json(PyValue::Float(1e16)), "1e+16");
        assert_eq!(json(PyValue::Float(1.5e-5)), "1.5e-05");
        assert_eq!(json(PyValue::Float(0.0001)), "0.0001");
        assert_eq!(json(PyValue::Float(-123456.75)), "-123456.75");
        assert_eq!(
            json(PyValue::Str("é\"\n😀".into())),
            r#""\u00e9\"\n\ud83d\ude00""#
        );
        assert_eq!(PyValue::parse("a", "'it'").unwrap().repr(), "'it'");
        assert_eq!(PyValue::parse("a", "None").unwrap(), PyValue::None);
        assert_eq!(
            PyValue::parse("a", "\"10\"").unwrap(),
            PyValue::Str("10".into())
        );
        assert_eq!(PyValue::parse("a", "10").unwrap(), PyValue::Int(10));
    }

    #[test]
    fn bad_calls_name_the_argument_at_fault() {
        let err = |name: &str, args: &[&str], kwargs: &[&str]| {
            call(name, args, kwargs).unwrap_err().to_string()
        };
        assert!(err("get_by_id", &["7"], &[]).contains("users.get_by_id, products.get_by_id"));
        assert!(err("nope", &[], &[]).contains("unknown function `nope`"));
        assert!(err("get_products", &["a", "1", "2"], &[]).contains("argument 3"));
        assert!(err("get_products", &["a"], &["colour=red"]).contains("`colour`"));
        assert!(err("get_products", &["a"], &["category=b"]).contains("--kw category"));
        assert!(err("get_products", &[], &["limit=3"]).contains("argument `category`"));
        assert!(err("get_products", &["'open"], &[]).contains("argument 1"));
        assert!(err("get_products", &["a"], &["limit"]).contains("NAME=VALUE"));
        assert!(err("get_products", &["1e999"], &[]).contains("argument 1"));
    }

    #[test]
    fn a_typed_call_splits_as_python_reads_it() {
        let (name, args, kwargs) = split_call(" get_products( 'a, b' , limit=10, ) ").unwrap();
        assert_eq!(name, "get_products");
        assert_eq!(args, ["'a, b'"]);
        assert_eq!(kwargs, ["limit=10"]);
        assert_eq!(split_call("f()").unwrap().1.len(), 0);
        let keys = call_keys_text("get_products('books', limit=10)", 4.0).unwrap();
        assert_eq!(keys.keys[0].key, "products:get_products:49c8eb0e96cda722");
        for (text, expected) in [
            ("get_products", "NAME(arguments)"),
            ("get_products('a'", "end with `)`"),
            ("get_products(limit=1, 'a')", "cannot follow a keyword"),
            ("get_products('a',,)", "argument 2 is empty"),
        ] {
            let err = split_call(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
        assert!(call_keys_text("get_products('a')", 2.5).is_err());
        assert!(call_keys_text("get_products('a')", 17.0).is_err());
    }

    #[test]
    fn the_birthday_bound_follows_the_digest_length() {
        assert!((birthday_bound(16) - 301.4).abs() < 0.1);
        assert!((birthday_bound(64) / 5.06e9 - 1.0).abs() < 0.01);
        assert!(collision_probability(10_000, 16) > 0.99);
        let tiny = collision_probability(10_000, 256);
        assert!(tiny > 0.0 && tiny < 1e-60);
        assert!((collision_probability(302, 16) - 0.5).abs() < 0.01);
    }
}
