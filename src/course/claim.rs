//! The small language in which a lesson points at the numbers of a report: references
//! (`lock@summary.db_queries`, `series.db_qps|max`), operands built from them, comparisons
//! (claims) and sentence templates with the numbers filled in. Every string is parsed into these
//! types once, when the lesson file is read; evaluation then walks the serialised report
//! (`serde_json::Value`), so a lesson can name any number any report has without the core
//! growing an accessor per number.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// One step of a path into a report.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// A field of an object.
    Field(String),
    /// An element of an array; negative counts from the end (`-1` is the last).
    Index(i64),
}

/// What to make of an array of numbers at the end of a path (`null`s, the empty buckets of a
/// series, are skipped).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Agg {
    Max,
    Min,
    Sum,
    Len,
    Mean,
}

impl Agg {
    fn parse(text: &str) -> Result<Agg> {
        Ok(match text {
            "max" => Agg::Max,
            "min" => Agg::Min,
            "sum" => Agg::Sum,
            "len" => Agg::Len,
            "mean" => Agg::Mean,
            other => {
                return Err(Error::UnknownName {
                    kind: "aggregate",
                    name: other.to_string(),
                    known: ["max", "min", "sum", "len", "mean"]
                        .map(String::from)
                        .to_vec(),
                })
            }
        })
    }

    fn apply(self, items: &[Value]) -> Option<f64> {
        if self == Agg::Len {
            return Some(items.len() as f64);
        }
        let numbers: Vec<f64> = items.iter().filter_map(Value::as_f64).collect();
        match self {
            Agg::Max => numbers.iter().copied().reduce(f64::max),
            Agg::Min => numbers.iter().copied().reduce(f64::min),
            Agg::Sum => Some(numbers.iter().sum()),
            Agg::Mean => {
                (!numbers.is_empty()).then(|| numbers.iter().sum::<f64>() / numbers.len() as f64)
            }
            Agg::Len => None,
        }
    }
}

/// Which variant a reference reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// The report's root (`params.ttl_s`, or `points.3.hit_ratio` in a curve).
    Root,
    /// The variant of that name (`lock@…`), in a scenario report's `variants`.
    Variant(String),
    /// Every variant in turn (`*@…`): only in templates, where it prints `name: value, …`.
    Each,
}

/// A reference to one number of a serialised report: `[VARIANT@]PATH[|AGG]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ref {
    text: String,
    scope: Scope,
    path: Vec<Step>,
    agg: Option<Agg>,
}

impl Ref {
    /// Parses `[VARIANT@]PATH[|AGG]`: `lock@summary.db_queries`, `none@hot_key.expiries_s.0`,
    /// `fixed-ttl@series.db_qps|max`, `params.ttl_s`, `*@summary.hit_ratio`.
    ///
    /// ```
    /// use cachelab::course::Ref;
    /// assert!(Ref::parse("lock@summary.db_queries").is_ok());
    /// assert!(Ref::parse("series.db_qps|maxx").unwrap_err().to_string().contains("maxx"));
    /// assert!(Ref::parse("lock@").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Ref> {
        let bad = |detail: &str| Error::Parse {
            what: format!("reference `{text}`"),
            detail: detail.to_string(),
        };
        let (scope, rest) = match text.split_once('@') {
            Some(("*", rest)) => (Scope::Each, rest),
            Some((variant, rest)) if !variant.trim().is_empty() => {
                (Scope::Variant(variant.trim().to_string()), rest)
            }
            Some(_) => return Err(bad("the variant before `@` is empty")),
            None => (Scope::Root, text),
        };
        let (path, agg) = match rest.split_once('|') {
            Some((path, agg)) => (path, Some(Agg::parse(agg.trim())?)),
            None => (rest, None),
        };
        if path.trim().is_empty() {
            return Err(bad(
                "the path is empty (expected e.g. `summary.db_queries`)",
            ));
        }
        let path = path
            .trim()
            .split('.')
            .map(|step| match step.parse::<i64>() {
                Ok(i) => Ok(Step::Index(i)),
                Err(_) if !step.is_empty() && !step.contains(char::is_whitespace) => {
                    Ok(Step::Field(step.to_string()))
                }
                Err(_) => Err(bad("a path step is empty or holds a space")),
            })
            .collect::<Result<Vec<Step>>>()?;
        Ok(Ref {
            text: text.to_string(),
            scope,
            path,
            agg,
        })
    }

    /// The variant it names, if any.
    pub fn variant(&self) -> Option<&str> {
        match &self.scope {
            Scope::Variant(v) => Some(v),
            Scope::Root | Scope::Each => None,
        }
    }

    /// Whether it reads every variant (`*@…`).
    pub fn is_each(&self) -> bool {
        self.scope == Scope::Each
    }

    /// The number it names in `report`, or why there is none.
    pub fn resolve(&self, report: &Value) -> Result<f64> {
        match &self.scope {
            Scope::Root => self.walk(report),
            Scope::Variant(name) => self.walk(
                variant(report, name)
                    .ok_or_else(|| self.missing(&format!("the report has no variant `{name}`")))?,
            ),
            Scope::Each => Err(self.missing("`*@` lists every variant and is not one number")),
        }
    }

    /// Every variant's value, as `(name, value)`, for `*@…`.
    fn resolve_each(&self, report: &Value) -> Result<Vec<(String, f64)>> {
        let variants = report
            .get("variants")
            .and_then(Value::as_array)
            .ok_or_else(|| self.missing("the report has no variants"))?;
        variants
            .iter()
            .map(|v| {
                let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
                Ok((name.to_string(), self.walk(v)?))
            })
            .collect()
    }

    /// The path (and the aggregate) from `start`.
    fn walk(&self, start: &Value) -> Result<f64> {
        let mut at = start;
        for step in &self.path {
            at = match (step, at) {
                (Step::Field(name), Value::Object(map)) => map.get(name),
                (Step::Index(i), Value::Array(items)) => {
                    let index = if *i < 0 { items.len() as i64 + i } else { *i };
                    usize::try_from(index).ok().and_then(|i| items.get(i))
                }
                _ => None,
            }
            .ok_or_else(|| self.missing("the path leads nowhere in this report"))?;
        }
        match (self.agg, at) {
            (Some(agg), Value::Array(items)) => agg
                .apply(items)
                .ok_or_else(|| self.missing("the array holds no number")),
            (Some(_), _) => Err(self.missing("an aggregate needs an array")),
            (None, Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
            (None, value) => value
                .as_f64()
                .ok_or_else(|| self.missing("the path ends at something that is not a number")),
        }
    }

    fn missing(&self, detail: &str) -> Error {
        Error::Parse {
            what: format!("reference `{}`", self.text),
            detail: detail.to_string(),
        }
    }
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ref::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// The variant called `name` of a scenario report.
fn variant<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report
        .get("variants")?
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
}

/// A number a claim compares or a question weighs: a constant, a reference, or the difference
/// or ratio of two operands. In a lesson file: `5`, `"lock@summary.db_queries"`,
/// `{"diff": [A, B]}` (A − B), `{"ratio": [A, B]}` (A ÷ B).
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A constant.
    Const(f64),
    /// A number of the report.
    Ref(Ref),
    /// The first minus the second.
    Diff(Box<[Operand; 2]>),
    /// The first divided by the second.
    Ratio(Box<[Operand; 2]>),
}

impl Operand {
    /// Reads an operand from its JSON form.
    pub fn from_json(value: &Value) -> Result<Operand> {
        let bad = |detail: &str| Error::Parse {
            what: format!("operand `{value}`"),
            detail: detail.to_string(),
        };
        match value {
            Value::Number(n) => n
                .as_f64()
                .map(Operand::Const)
                .ok_or_else(|| bad("not a finite number")),
            Value::String(s) => {
                let r = Ref::parse(s)?;
                if r.is_each() {
                    return Err(bad("`*@` is for templates; an operand is one number"));
                }
                Ok(Operand::Ref(r))
            }
            Value::Object(map) if map.len() == 1 => {
                let (kind, args) = map.iter().next().ok_or_else(|| bad("empty"))?;
                let pair = match args.as_array().map(Vec::as_slice) {
                    Some([a, b]) => Box::new([Operand::from_json(a)?, Operand::from_json(b)?]),
                    _ => return Err(bad("expected a list of two operands")),
                };
                match kind.as_str() {
                    "diff" => Ok(Operand::Diff(pair)),
                    "ratio" => Ok(Operand::Ratio(pair)),
                    _ => Err(bad("expected `diff` or `ratio`")),
                }
            }
            _ => Err(bad(
                "expected a number, a reference string, {\"diff\": [A, B]} or {\"ratio\": [A, B]}",
            )),
        }
    }

    /// The JSON form it was read from.
    fn to_json(&self) -> Value {
        match self {
            Operand::Const(c) => serde_json::json!(c),
            Operand::Ref(r) => Value::String(r.text.clone()),
            Operand::Diff(pair) => {
                serde_json::json!({"diff": [pair[0].to_json(), pair[1].to_json()]})
            }
            Operand::Ratio(pair) => {
                serde_json::json!({"ratio": [pair[0].to_json(), pair[1].to_json()]})
            }
        }
    }

    /// Its value in `report`. A ratio over 0 is an error (a claim about it would say nothing).
    pub fn eval(&self, report: &Value) -> Result<f64> {
        match self {
            Operand::Const(c) => Ok(*c),
            Operand::Ref(r) => r.resolve(report),
            Operand::Diff(pair) => Ok(pair[0].eval(report)? - pair[1].eval(report)?),
            Operand::Ratio(pair) => {
                let (a, b) = (pair[0].eval(report)?, pair[1].eval(report)?);
                if b == 0.0 {
                    Err(Error::Parse {
                        what: format!("ratio {}", self.to_json()),
                        detail: "its divisor is 0 in this run".to_string(),
                    })
                } else {
                    Ok(a / b)
                }
            }
        }
    }

    /// Every reference in it.
    pub fn refs(&self) -> Vec<&Ref> {
        match self {
            Operand::Const(_) => Vec::new(),
            Operand::Ref(r) => vec![r],
            Operand::Diff(pair) | Operand::Ratio(pair) => {
                pair.iter().flat_map(Operand::refs).collect()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Operand {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Operand::from_json(&value).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Operand {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// How a claim compares its two numbers: `a OP factor × b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Less than.
    #[serde(rename = "<")]
    Lt,
    /// At most.
    #[serde(rename = "<=")]
    Le,
    /// More than.
    #[serde(rename = ">")]
    Gt,
    /// At least.
    #[serde(rename = ">=")]
    Ge,
    /// Equal.
    #[serde(rename = "==")]
    Eq,
    /// Not equal.
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// Whether `a OP b`.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// How a number is printed in a sentence: `{ref:pct}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fmt {
    /// A whole number as is, else two decimals (trailing zeros dropped).
    Plain,
    /// Rounded to a whole number.
    Int,
    /// A share as a percentage with one decimal: `0.423` → `42.3 %`.
    Pct,
    /// One decimal.
    F1,
    /// Two decimals.
    F2,
    /// A factor with one decimal: `3.2×`.
    Times,
}

impl Fmt {
    fn parse(text: &str) -> Result<Fmt> {
        Ok(match text {
            "int" => Fmt::Int,
            "pct" => Fmt::Pct,
            "f1" => Fmt::F1,
            "f2" => Fmt::F2,
            "x" => Fmt::Times,
            other => {
                return Err(Error::UnknownName {
                    kind: "number format",
                    name: other.to_string(),
                    known: ["int", "pct", "f1", "f2", "x"].map(String::from).to_vec(),
                })
            }
        })
    }

    fn show(self, x: f64) -> String {
        match self {
            Fmt::Plain if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
            Fmt::Plain => {
                let s = format!("{x:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            Fmt::Int => format!("{:.0}", x.round()),
            Fmt::Pct => format!("{:.1} %", 100.0 * x),
            Fmt::F1 => format!("{x:.1}"),
            Fmt::F2 => format!("{x:.2}"),
            Fmt::Times => format!("{x:.1}×"),
        }
    }
}

/// What a `{…}` of a template names.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    /// A claim's first number.
    A,
    /// A claim's second number (without its factor).
    B,
    /// A claim's `a ÷ b`.
    AOverB,
    /// A number of the report, or every variant's (`*@`).
    Ref(Ref),
}

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Text(String),
    Slot(Slot, Fmt),
}

/// A sentence with numbers of the run filled in: `{a}`, `{b}`, `{a/b}` (in a claim), any
/// reference (`{lock@summary.db_queries}`, `{*@summary.db_queries}` for `name: value, …`), each
/// optionally with a format (`{a:pct}`; formats `int`, `pct`, `f1`, `f2`, `x`). `{{` and `}}` are
/// literal braces.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    text: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses a template.
    ///
    /// ```
    /// use cachelab::course::Template;
    /// assert!(Template::parse("{a} queries, {b:pct} hits").is_ok());
    /// assert!(Template::parse("{a:percent}").is_err());
    /// assert!(Template::parse("unclosed {a").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Template> {
        let bad = |detail: &str| Error::Parse {
            what: format!("template `{text}`"),
            detail: detail.to_string(),
        };
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(bad("a `}` without its `{` (write `}}` for a brace)")),
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => inner.push(c),
                            None => return Err(bad("a `{` is never closed")),
                        }
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    // A variant name never holds `:`; a format follows the last one.
                    let (name, fmt) = match inner.rsplit_once(':') {
                        Some((name, fmt)) => (name.trim(), Fmt::parse(fmt.trim())?),
                        None => (inner.trim(), Fmt::Plain),
                    };
                    let slot = match name {
                        "a" => Slot::A,
                        "b" => Slot::B,
                        "a/b" => Slot::AOverB,
                        other => Slot::Ref(Ref::parse(other)?),
                    };
                    pieces.push(Piece::Slot(slot, fmt));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template {
            text: text.to_string(),
            pieces,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.text
    }

    /// Whether it uses a claim's `{a}`, `{b}` or `{a/b}`.
    fn uses_operands(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Slot(Slot::A | Slot::B | Slot::AOverB, _)))
    }

    /// Every reference in it.
    pub fn refs(&self) -> Vec<&Ref> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Slot(Slot::Ref(r), _) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// The sentence for `report`, with a claim's numbers `(a, b)` if it is a claim's.
    pub fn render(&self, report: &Value, ab: Option<(f64, f64)>) -> Result<String> {
        let mut out = String::new();
        let no_claim = || Error::Parse {
            what: format!("template `{}`", self.text),
            detail: "`{a}` and `{b}` belong in a claim's sentence".to_string(),
        };
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Slot(Slot::A, fmt) => out.push_str(&fmt.show(ab.ok_or_else(no_claim)?.0)),
                Piece::Slot(Slot::B, fmt) => out.push_str(&fmt.show(ab.ok_or_else(no_claim)?.1)),
                Piece::Slot(Slot::AOverB, fmt) => {
                    let (a, b) = ab.ok_or_else(no_claim)?;
                    out.push_str(&fmt.show(a / b));
                }
                Piece::Slot(Slot::Ref(r), fmt) if r.is_each() => {
                    let each = r.resolve_each(report)?;
                    let list: Vec<String> = each
                        .iter()
                        .map(|(name, x)| format!("{name}: {}", fmt.show(*x)))
                        .collect();
                    out.push_str(&list.join(", "));
                }
                Piece::Slot(Slot::Ref(r), fmt) => out.push_str(&fmt.show(r.resolve(report)?)),
            }
        }
        Ok(out)
    }
}

impl Template {
    /// The sentence with every number this report has filled in and `?` for the others (a
    /// claim's `{a}` and `{b}` included): how a claim that could not be evaluated still reads.
    fn render_lenient(&self, report: &Value) -> String {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(t) => t.clone(),
                Piece::Slot(Slot::Ref(r), fmt) if !r.is_each() => r
                    .resolve(report)
                    .map_or_else(|_| "?".to_string(), |x| fmt.show(x)),
                Piece::Slot(_, _) => "?".to_string(),
            })
            .collect()
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Template::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Whether a claim is expected to hold at every seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// It holds at every seed the test tries (1–5): a run where it does not is a bug.
    Always,
    /// It holds at the lesson's defaults for some seeds only; shown with a note that says so.
    Often,
}

/// A sentence about the run that is true or false: `a OP factor × b`, with its numbers filled
/// in (`says`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The sentence, with `{a}`, `{b}` and any reference filled in.
    pub says: Template,
    /// The first number.
    pub a: Operand,
    /// The comparison.
    pub op: Op,
    /// What `b` is multiplied by before the comparison (1 if absent).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub factor: f64,
    /// The second number.
    pub b: Operand,
    /// Whether it holds at every seed.
    pub expect: Expect,
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// A claim after a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClaimResult {
    /// The sentence with the numbers filled in (or, if a number was missing, the template).
    pub text: String,
    /// Whether `a OP factor × b` held in this run.
    pub holds: bool,
    /// Whether the lesson expects it at every seed.
    pub expect: Expect,
    /// The first number.
    pub a: Option<f64>,
    /// The second number (before the factor).
    pub b: Option<f64>,
    /// Why it could not be evaluated (a number missing from this run's report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Claim {
    /// Evaluates the claim on `report`; a missing number gives a result that does not hold and
    /// says why, never an error, so that one bad claim hides nothing else.
    pub fn evaluate(&self, report: &Value) -> ClaimResult {
        let numbers = self
            .a
            .eval(report)
            .and_then(|a| Ok((a, self.b.eval(report)?)));
        let rendered =
            numbers.and_then(|(a, b)| Ok((a, b, self.says.render(report, Some((a, b)))?)));
        match rendered {
            Ok((a, b, text)) => ClaimResult {
                text,
                holds: self.op.holds(a, self.factor * b),
                expect: self.expect,
                a: Some(a),
                b: Some(b),
                problem: None,
            },
            Err(e) => ClaimResult {
                text: self.says.render_lenient(report),
                holds: false,
                expect: self.expect,
                a: None,
                b: None,
                problem: Some(e.to_string()),
            },
        }
    }

    /// Every reference it reads.
    pub fn refs(&self) -> Vec<&Ref> {
        let mut refs = self.a.refs();
        refs.extend(self.b.refs());
        refs.extend(self.says.refs());
        refs
    }

    /// Checks what can be checked without a run.
    pub(super) fn check(&self) -> Result<()> {
        if !self.factor.is_finite() || self.factor <= 0.0 {
            return Err(Error::Parse {
                what: format!("claim `{}`", self.says.source()),
                detail: format!("factor must be a positive number (got {})", self.factor),
            });
        }
        Ok(())
    }
}

/// Whether a template may stand alone (no `{a}`/`{b}`): notices and reveals.
pub(super) fn check_standalone(t: &Template, what: &str) -> Result<()> {
    if t.uses_operands() {
        return Err(Error::Parse {
            what: format!("{what} `{}`", t.source()),
            detail: "`{a}`, `{b}` and `{a/b}` belong in a claim's sentence".to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "params": {"ttl_s": 5.0},
            "variants": [
                {"name": "none", "summary": {"db_queries": 40, "hit_ratio": 0.5},
                 "series": {"db_qps": [1.0, null, 9.0, 3.0]}, "ok": true},
                {"name": "lock", "summary": {"db_queries": 4, "hit_ratio": 0.75},
                 "series": {"db_qps": [1.0, 2.0]}, "ok": false},
            ]
        })
    }

    #[test]
    fn references_walk_fields_indices_and_aggregates() {
        let r = report();
        let at = |s: &str| Ref::parse(s).unwrap().resolve(&r);
        assert_eq!(at("params.ttl_s").unwrap(), 5.0);
        assert_eq!(at("lock@summary.db_queries").unwrap(), 4.0);
        assert_eq!(at("none@series.db_qps|max").unwrap(), 9.0);
        assert_eq!(at("none@series.db_qps|sum").unwrap(), 13.0);
        assert_eq!(at("none@series.db_qps|len").unwrap(), 4.0);
        assert_eq!(at("none@series.db_qps.-1").unwrap(), 3.0);
        assert_eq!(at("none@ok").unwrap(), 1.0);
        assert_eq!(at("variants.1.summary.db_queries").unwrap(), 4.0);
        let err = at("swr@summary.db_queries").unwrap_err().to_string();
        assert!(err.contains("no variant `swr`"), "{err}");
        assert!(at("none@summary.db_querys").is_err());
        assert!(at("none@series.db_qps.1").is_err(), "null is no number");
        assert!(at("none@summary").is_err());
    }

    #[test]
    fn claims_compare_with_a_factor_and_fill_in_their_numbers() {
        let claim: Claim = serde_json::from_value(json!({
            "says": "{a} queries without a lock, {b} with it ({a/b:x}); {lock@summary.hit_ratio:pct} hits",
            "a": "none@summary.db_queries", "op": ">=", "factor": 10, "b": "lock@summary.db_queries",
            "expect": "always"
        }))
        .unwrap();
        let result = claim.evaluate(&report());
        assert!(result.holds);
        assert_eq!(
            result.text,
            "40 queries without a lock, 4 with it (10.0×); 75.0 % hits"
        );
        let strict: Claim = serde_json::from_value(json!({
            "says": "{a}", "a": {"diff": ["none@summary.hit_ratio", 0.5]}, "op": ">",
            "b": 0, "expect": "often"
        }))
        .unwrap();
        assert!(!strict.evaluate(&report()).holds, "0 > 0 does not hold");
        let missing: Claim = serde_json::from_value(json!({
            "says": "{a}", "a": "swr@summary.db_queries", "op": ">", "b": 0, "expect": "always"
        }))
        .unwrap();
        let result = missing.evaluate(&report());
        assert!(!result.holds && result.problem.is_some());
        assert_eq!(result.text, "?");
    }

    #[test]
    fn bad_strings_are_refused_when_read() {
        let op: std::result::Result<Claim, _> = serde_json::from_value(json!({
            "says": "x", "a": 1, "op": "=>", "b": 0, "expect": "always"
        }));
        assert!(op.unwrap_err().to_string().contains("=>"));
        assert!(Template::parse("{lock@summary.db_queries:pcnt}").is_err());
        assert!(Template::parse("a } b").is_err());
        assert_eq!(
            Template::parse("{{x}}")
                .unwrap()
                .render(&report(), None)
                .unwrap(),
            "{x}"
        );
        assert!(Operand::from_json(&json!({"times": [1, 2]})).is_err());
        assert!(Operand::from_json(&json!("*@summary.db_queries")).is_err());
        assert!(Operand::from_json(&json!([1])).is_err());
    }

    #[test]
    fn each_lists_every_variant() {
        let t = Template::parse("DB queries — {*@summary.db_queries}.").unwrap();
        assert_eq!(
            t.render(&report(), None).unwrap(),
            "DB queries — none: 40, lock: 4."
        );
    }
}
