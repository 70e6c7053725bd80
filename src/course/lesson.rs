//! One lesson as its file holds it (`lessons/<id>.json`, described in `lessons/README.md`), the
//! checks made when it is read, and what a run of it shows: its notice, its claims evaluated and
//! its questions answered.

use super::claim::{check_standalone, Claim, ClaimResult, Operand, Ref, Template};
use super::probe::Probe;
use crate::error::{Error, Result};
use crate::scenario::{self, l1_curve, ParamSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a lesson runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A scenario of the core (`cachelab run NAME`), named by the lesson's `scenario`.
    Scenario,
    /// The L1 capacity curve (`cachelab curve`).
    Curve,
    /// The Redis console (the page; `cachelab console`).
    Console,
    /// Eviction policies replayed over a trace (the page; `cachelab replay`).
    Replay,
    /// A key sequence stepped through small caches (the page; `cachelab step`).
    Inside,
}

impl Kind {
    /// What the claims of an evaluation are headed with, on the page and in `cachelab lesson`:
    /// they describe what was run, which on a page-only lesson is its probe, not the learner.
    pub fn claims_heading(self) -> &'static str {
        match self {
            Kind::Scenario | Kind::Curve => "What this run shows",
            Kind::Console => "What the model shows",
            Kind::Replay => "What the replay of the bundled trace shows",
            Kind::Inside => "What the stepped sequence shows",
        }
    }
}

/// A "try this": parameters to set (over the lesson's defaults) and what to look for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// The button's label.
    pub label: String,
    /// The parameters it sets; the others keep the lesson's defaults.
    pub set: BTreeMap<String, f64>,
    /// What to look for in the result (prose when it only says where to look).
    pub look: String,
    /// The measured facts `look` states, evaluated on the experiment's run (its parameters over
    /// the lesson's defaults) and tested at seeds 1–5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// A sketch of what a variant does, in the chapter's idiom (Python).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sketch {
    /// The variant it sketches (none: the lesson's idea as a whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The code, one string per line.
    pub code: Vec<String>,
}

/// Which end of the choices' values is the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pick {
    /// The largest value.
    Max,
    /// The smallest value.
    Min,
}

/// One labelled choice of a question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What the learner picks.
    pub label: String,
    /// The number of the run that decides it.
    pub value: Operand,
}

/// A question asked before the first run, answered from the run's own numbers: either the
/// variant whose `of` is the largest/smallest, or the labelled choice whose `value` is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question.
    pub ask: String,
    /// Whether the largest or the smallest value answers it.
    pub pick: Pick,
    /// Each variant is a choice, weighed by this path (no `variant@`): `summary.db_queries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<Ref>,
    /// Or labelled choices, each weighed by its operand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// A sentence shown with the answer (references filled in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<Template>,
}

/// A question after a run: every choice's number and the answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// The question.
    pub ask: String,
    /// Every choice with its number in this run (`None`: not in the report).
    pub choices: Vec<(String, Option<f64>)>,
    /// The choice(s) with the largest/smallest number (several on a tie).
    pub answer: Vec<String>,
    /// How the answer was read, with the numbers.
    pub reveal: String,
}

/// One lesson of the course.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Its id (`?lesson=ID`, `cachelab lesson ID`); the file is `lessons/ID.json`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The course part it belongs to (the navigation groups by it).
    pub part: String,
    /// The section of the chapter it illustrates ("In the chapter: …").
    pub chapter: String,
    /// What it runs.
    pub kind: Kind,
    /// The scenario, for `kind: scenario`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// The variants it runs (all of the scenario's if empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Parameter values that differ from the scenario's own defaults.
    #[serde(default)]
    pub defaults: BTreeMap<String, f64>,
    /// The knobs shown first (the rest are folded).
    #[serde(default)]
    pub knobs: Vec<String>,
    /// Its paragraphs.
    pub text: Vec<String>,
    /// How it ends: what to try next (its knobs, its experiments) and where the course goes on.
    pub next: String,
    /// Sentences that sum up a run (references filled in); each is left out when the run lacks
    /// one of its numbers (a run of some variants only).
    #[serde(default)]
    pub notice: Vec<Template>,
    /// What each variant does, as code in the chapter's idiom.
    #[serde(default)]
    pub sketches: Vec<Sketch>,
    /// Where cachelab's version differs from the chapter's code, and why; or that the chapter
    /// has no code for the idea.
    #[serde(default)]
    pub differs: Vec<String>,
    /// "Try this": two to four.
    #[serde(default)]
    pub experiments: Vec<Experiment>,
    /// Questions asked before the first run.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// The measured facts the lesson states.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// Whether failed requests at the defaults are what the lesson teaches.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub teaches_failure: bool,
    /// What a page-only lesson runs to answer its questions and check its claims (its kind's
    /// form: `console`, `replay` or `step`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
}

/// What a run of a lesson shows: the notice, every claim, every question's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// What `claims` are headed with ([`Kind::claims_heading`]).
    pub claims_heading: &'static str,
    /// The notice's sentences that this run has every number of.
    pub notice: Vec<String>,
    /// Every claim, held or not.
    pub claims: Vec<ClaimResult>,
    /// Every question, answered.
    pub answers: Vec<Answer>,
    /// The "try this" whose parameters this run has (all of them: the lesson's defaults with
    /// the experiment's settings on top), with its claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<ExperimentEvaluation>,
}

/// A "try this" recognised in a run, and its claims evaluated on that run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentEvaluation {
    /// Its position in the lesson's `experiments`.
    pub index: usize,
    /// Its button's label.
    pub label: String,
    /// Its claims, held or not.
    pub claims: Vec<ClaimResult>,
}

impl Lesson {
    /// Reads a lesson file and checks it against the core: the parameters it sets exist (and
    /// are in range), the variants it names exist, the shape of each part is right. Numbers of
    /// the report are checked by running it (the course's tests do, at seeds 1–5).
    pub fn from_json(text: &str) -> Result<Lesson> {
        let lesson: Lesson = serde_json::from_str(text).map_err(|e| Error::Parse {
            what: "lesson file".to_string(),
            detail: e.to_string(),
        })?;
        lesson.check()?;
        Ok(lesson)
    }

    fn error(&self, detail: String) -> Error {
        Error::Parse {
            what: format!("lesson `{}`", self.id),
            detail,
        }
    }

    /// The knobs of what it runs (empty for the page-only kinds).
    pub fn params(&self) -> Result<Vec<ParamSpec>> {
        Ok(match self.kind {
            Kind::Scenario => self.scenario_meta()?.params,
            Kind::Curve => l1_curve::PARAMS.to_vec(),
            Kind::Console | Kind::Replay | Kind::Inside => Vec::new(),
        })
    }

    fn scenario_meta(&self) -> Result<scenario::Scenario<()>> {
        let name = self
            .scenario
            .as_deref()
            .ok_or_else(|| self.error("`kind: scenario` needs `scenario`".to_string()))?;
        scenario::find_listed(name)
    }

    /// The names of the variants it may refer to.
    fn variants(&self) -> Result<Vec<String>> {
        Ok(match self.kind {
            Kind::Scenario => self
                .scenario_meta()?
                .variants
                .iter()
                .map(|v| v.name.to_string())
                .collect(),
            Kind::Curve | Kind::Console | Kind::Replay | Kind::Inside => Vec::new(),
        })
    }

    fn check(&self) -> Result<()> {
        let id_ok = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(self.error("the id must be lowercase letters, digits and `-`".into()));
        }
        if (self.kind == Kind::Scenario) != self.scenario.is_some() {
            return Err(self.error("`scenario` is given exactly when `kind` is `scenario`".into()));
        }
        for (what, empty) in [
            ("title", self.title.trim().is_empty()),
            ("part", self.part.trim().is_empty()),
            ("chapter", self.chapter.trim().is_empty()),
            ("text", self.text.is_empty()),
            ("next", self.next.trim().is_empty()),
            ("questions", self.questions.is_empty()),
        ] {
            if empty {
                return Err(self.error(format!("`{what}` is empty")));
            }
        }
        let params = self.params()?;
        let runs = matches!(self.kind, Kind::Scenario | Kind::Curve);
        if runs && !(2..=4).contains(&self.experiments.len()) {
            return Err(self.error(format!(
                "a lesson that runs has 2 to 4 experiments (has {})",
                self.experiments.len()
            )));
        }
        if runs {
            scenario::resolve(&params, &pairs(&self.defaults))
                .map_err(|e| self.error(format!("defaults: {e}")))?;
            for e in &self.experiments {
                let mut set = self.defaults.clone();
                set.extend(e.set.clone());
                scenario::resolve(&params, &pairs(&set))
                    .map_err(|err| self.error(format!("experiment `{}`: {err}", e.label)))?;
                if e.set.is_empty() {
                    return Err(self.error(format!("experiment `{}` sets nothing", e.label)));
                }
                for claim in &e.claims {
                    claim
                        .check()
                        .map_err(|err| self.error(format!("experiment `{}`: {err}", e.label)))?;
                }
            }
        } else if !self.defaults.is_empty() || !self.experiments.is_empty() {
            return Err(self.error(
                "a page-only lesson (console, replay, inside) has no defaults or experiments"
                    .into(),
            ));
        }
        for k in &self.knobs {
            if !params.iter().any(|p| p.name == k) {
                return Err(self.error(format!("knob `{k}` is not a parameter of its run")));
            }
        }
        let variants = self.variants()?;
        let known_variant = |name: &str| -> Result<()> {
            if variants.iter().any(|v| v == name) {
                Ok(())
            } else {
                Err(self.error(format!(
                    "variant `{name}` is not one of {}",
                    if variants.is_empty() {
                        "(this kind has no variants)".to_string()
                    } else {
                        variants.join(", ")
                    }
                )))
            }
        };
        let mut refs: Vec<&Ref> = Vec::new();
        for claim in &self.claims {
            claim.check().map_err(|e| self.error(e.to_string()))?;
            refs.extend(claim.refs());
        }
        for e in &self.experiments {
            refs.extend(e.claims.iter().flat_map(Claim::refs));
        }
        for t in &self.notice {
            check_standalone(t, "notice").map_err(|e| self.error(e.to_string()))?;
            refs.extend(t.refs());
        }
        for q in &self.questions {
            match (&q.of, q.choices.len()) {
                (Some(of), 0) if self.kind == Kind::Scenario => {
                    if of.variant().is_some() || of.is_each() {
                        return Err(self.error(format!(
                            "question `{}`: `of` is a path within a variant, without `@`",
                            q.ask
                        )));
                    }
                }
                (None, n) if n >= 2 && q.reveal.is_some() => {}
                _ => {
                    return Err(self.error(format!(
                        "question `{}`: give `of` (scenario lessons: each variant is a choice) \
                         or at least two `choices` and a `reveal` that says what their numbers \
                         count",
                        q.ask
                    )))
                }
            }
            if let Some(of) = &q.of {
                if of_label(of).is_none() {
                    return Err(self.error(format!(
                        "question `{}`: `of` `{of}` has no label in the core's `OF_LABELS`, \
                         which the answer shows instead of the path",
                        q.ask
                    )));
                }
            }
            for c in &q.choices {
                refs.extend(c.value.refs());
            }
            if let Some(t) = &q.reveal {
                check_standalone(t, "reveal").map_err(|e| self.error(e.to_string()))?;
                refs.extend(t.refs());
            }
        }
        let probe_fits = match (self.kind, &self.probe) {
            (Kind::Scenario | Kind::Curve, probe) => probe.is_none(),
            (Kind::Console, Some(Probe::Console(lines))) => !lines.is_empty(),
            (Kind::Replay, Some(Probe::Replay(_))) | (Kind::Inside, Some(Probe::Step(_))) => true,
            (Kind::Console | Kind::Replay | Kind::Inside, _) => false,
        };
        if !probe_fits {
            return Err(self.error(
                "a page-only lesson answers from its `probe` (console: the lines to type; \
                 replay: {trace, policies, sizes}; inside: {policy, size, keys}); a lesson that \
                 runs has none"
                    .into(),
            ));
        }
        for r in refs {
            if let Some(v) = r.variant() {
                known_variant(v)?;
            }
        }
        for s in &self.sketches {
            if let Some(v) = &s.variant {
                known_variant(v)?;
            }
        }
        for v in &self.variants {
            known_variant(v)?;
        }
        Ok(())
    }

    /// The parameters of a run at the lesson's defaults with `overrides` on top, as the core's
    /// `(name, value)` pairs.
    pub fn given(&self, overrides: &[(String, String)]) -> Vec<(String, String)> {
        let mut given: Vec<(String, String)> = pairs(&self.defaults)
            .into_iter()
            .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
            .collect();
        given.extend(overrides.iter().cloned());
        given
    }

    /// The settings of "try this" number `n` (from 1), as the core's `(name, value)` pairs, for
    /// [`Lesson::given`]; an error names the lesson's range.
    pub fn experiment_set(&self, n: usize) -> Result<Vec<(String, String)>> {
        let e = n
            .checked_sub(1)
            .and_then(|i| self.experiments.get(i))
            .ok_or_else(|| {
                self.error(match self.experiments.len() {
                    0 => format!("--try {n}: this lesson has no experiments"),
                    k => format!("--try must be between 1 and {k} (got {n})"),
                })
            })?;
        Ok(pairs(&e.set))
    }

    /// The parameters of experiment `e`'s run, every one of them (the scenario's defaults, the
    /// lesson's on top, the experiment's on top of those).
    fn experiment_params(&self, e: &Experiment) -> Result<scenario::Params> {
        scenario::resolve(&self.params()?, &self.given(&pairs(&e.set)))
    }

    /// The experiment whose run `report` is: the first whose every parameter the report's
    /// `params` has with the same value. A run the learner changed after pressing "try this"
    /// is no experiment's, so its claims are shown only on the run they were tested on.
    fn experiment_of(&self, report: &Value) -> Option<usize> {
        let ran = report.get("params")?;
        self.experiments.iter().position(|e| {
            self.experiment_params(e).is_ok_and(|params| {
                params
                    .iter()
                    .all(|(name, value)| ran.get(name).and_then(Value::as_f64) == Some(value))
            })
        })
    }

    /// What a run whose serialised report is `report` shows.
    pub fn evaluate(&self, report: &Value) -> Evaluation {
        Evaluation {
            claims_heading: self.kind.claims_heading(),
            experiment: self.experiment_of(report).map(|index| {
                let e = &self.experiments[index];
                ExperimentEvaluation {
                    index,
                    label: e.label.clone(),
                    claims: e.claims.iter().map(|c| c.evaluate(report)).collect(),
                }
            }),
            notice: self
                .notice
                .iter()
                .filter_map(|t| t.render(report, None).ok())
                .collect(),
            claims: self.claims.iter().map(|c| c.evaluate(report)).collect(),
            answers: self.questions.iter().map(|q| q.answer(report)).collect(),
        }
    }
}

impl Question {
    /// The question answered from `report`.
    fn answer(&self, report: &Value) -> Answer {
        let choices: Vec<(String, Option<f64>)> = match &self.of {
            Some(of) => report
                .get("variants")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .map(|v| {
                            let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
                            (name.to_string(), of.resolve(v).ok())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => self
                .choices
                .iter()
                .map(|c| (c.label.clone(), c.value.eval(report).ok()))
                .collect(),
        };
        let values = choices.iter().filter_map(|(_, v)| *v);
        let best = match self.pick {
            Pick::Max => values.reduce(f64::max),
            Pick::Min => values.reduce(f64::min),
        };
        let answer = choices
            .iter()
            .filter(|(_, v)| v.is_some() && *v == best)
            .map(|(label, _)| label.clone())
            .collect();
        let template = self
            .reveal
            .as_ref()
            .and_then(|t| t.render(report, None).ok());
        // The evidence in words: a variant's number under the label of what it counts; labelled
        // choices through the question's own sentence, their bare numbers (often 0/1 indicators
        // or counts without a unit) only when that sentence lacks a number of this run.
        let reveal = match (&self.of, template) {
            (Some(of), t) => {
                // The label opens the reveal's sentence.
                let label = of_label(of).unwrap_or("(unlabelled)");
                let mut letters = label.chars();
                let label: String = letters
                    .next()
                    .map(|c| c.to_uppercase().chain(letters).collect())
                    .unwrap_or_default();
                let listed: Vec<String> = choices
                    .iter()
                    .map(|(name, v)| format!("{name} {}", v.map_or("—".to_string(), show)))
                    .collect();
                let listed = listed.join(", ");
                match t {
                    Some(t) => format!("{label}: {listed}. {t}"),
                    None => format!("{label}: {listed}."),
                }
            }
            (None, Some(t)) => t,
            (None, None) => {
                let indicators = choices
                    .iter()
                    .all(|(_, v)| v.is_none_or(|x| x == 0.0 || x == 1.0));
                format!("{}.", listing(&choices, indicators))
            }
        };
        Answer {
            ask: self.ask.clone(),
            choices,
            answer,
            reveal,
        }
    }
}

/// Each choice with its number (`—`: not in the report), or with "yes"/"no" when the numbers are
/// 0/1 indicators.
fn listing(choices: &[(String, Option<f64>)], indicators: bool) -> String {
    choices
        .iter()
        .map(|(label, v)| match v {
            Some(x) if indicators => format!("{label}: {}", if *x == 1.0 { "yes" } else { "no" }),
            Some(x) => format!("{label}: {}", show(*x)),
            None => format!("{label}: —"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a question's `of` counts, in the words of the run's table where it has a column
/// (`metrics::SUMMARY_COLUMNS`), so an answer names no report path. Every `of` of a lesson needs
/// one ([`Lesson::check`] says which is missing).
pub const OF_LABELS: &[(&str, &str)] = &[
    ("consistency.db_writes", "write statements the database ran"),
    ("consistency.stale_reads", "stale reads"),
    (
        "degradation.slow.worst_p99_ms",
        "worst p99 ms while Redis was slow",
    ),
    (
        "lock_safety.locks.deleted_foreign",
        "locks deleted by a request that did not own them",
    ),
    (
        "lock_safety.locks.max_concurrent_loads",
        "most loads of the hot key at once",
    ),
    ("memory.rows_cached_at_end", "rows cached at the end"),
    ("memory.sessions_evicted", "sessions evicted"),
    (
        "missing_keys.db_queries",
        "DB queries for keys that do not exist",
    ),
    ("monitoring.alerts|len", "alerts raised"),
    (
        "ratelimit.burst_max_in_window",
        "most burst requests admitted within one window",
    ),
    ("response_cache.backend_calls", "backend calls"),
    ("response_cache.wrong_responses", "wrong responses served"),
    ("schema_deploy.wrong_values", "wrong values served"),
    (
        "series.db_qps.0",
        "DB queries per second in the chart's first point",
    ),
    ("summary.db_queries", "DB queries"),
    ("summary.errors", "failed requests"),
    ("summary.latency_ms.max", "max ms"),
    ("summary.peak_db_qps", "peak DB queries per second"),
    ("summary.stale_reads", "stale reads"),
    ("summary.wrong_values", "wrong values served"),
    ("tags.tag_members.-1", "names in the tag sets at the end"),
];

/// The label of `of` in [`OF_LABELS`].
pub fn of_label(of: &Ref) -> Option<&'static str> {
    let path = of.to_string();
    OF_LABELS.iter().find(|(p, _)| *p == path).map(|(_, l)| *l)
}

/// Parameter settings as the core's `(name, value)` pairs.
fn pairs(set: &BTreeMap<String, f64>) -> Vec<(String, String)> {
    set.iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

/// A number as a sentence shows it: whole numbers as they are, from 100 up rounded to a whole
/// number (a p99 of 1028.021 ms reads as 1028: the decimals are below what the run resolves),
/// smaller ones (ratios, rates) with up to 4 digits.
fn show(x: f64) -> String {
    if (x.fract() == 0.0 || x.abs() >= 100.0) && x.abs() < 1e15 {
        format!("{:.0}", x.round())
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_shows_large_numbers_whole_and_small_ones_with_their_digits() {
        assert_eq!(show(1028.021), "1028");
        assert_eq!(show(147.5), "148");
        assert_eq!(show(253.0), "253");
        assert_eq!(show(93.83), "93.83");
        assert_eq!(show(0.44321), "0.4432");
        assert_eq!(show(-0.5), "-0.5");
    }

    #[test]
    fn a_summary_label_is_the_head_of_its_column() {
        // The two summary numbers the table has no column for.
        let no_column = ["summary.peak_db_qps", "summary.wrong_values"];
        for (path, label) in OF_LABELS {
            if path.starts_with("summary.") && !no_column.contains(path) {
                let heads = crate::metrics::SUMMARY_COLUMNS;
                assert!(
                    heads.contains(label),
                    "{path}: `{label}` is not one of {heads:?}"
                );
            }
        }
        let sorted = OF_LABELS.windows(2).all(|w| w[0].0 < w[1].0);
        assert!(sorted, "OF_LABELS is sorted by path");
    }
}
