//! The course: lessons kept as data (`lessons/<id>.json`, described in `lessons/README.md`),
//! read and checked by the core and served to both faces, so that the CLI and the page show the
//! same text, run the same defaults and compute the same claims.
//!
//! - `claim`: references into a serialised report ([`Ref`]), [`Operand`]s, [`Claim`]s and
//!   sentence [`Template`]s, each parsed once when a lesson is read.
//! - `lesson`: a [`Lesson`], its checks, and what a run shows ([`Evaluation`]).
//! - `catalog`: the registry, one line per lesson in course order ([`lessons`], [`find`]).
//!
//! [`run`] runs a lesson at its defaults (with overrides) and evaluates it.

mod catalog;
mod claim;
mod lesson;
pub mod probe;

pub use catalog::{find, lessons};
pub use claim::{Claim, ClaimResult, Expect, Op, Operand, Ref, Template};
pub use lesson::{
    Answer, Choice, Evaluation, Experiment, ExperimentEvaluation, Kind, Lesson, Pick, Question,
    Sketch,
};

use crate::error::{Error, Result};
use crate::scenario::{self, l1_curve};
use serde::Serialize;
use serde_json::Value;

/// The report of a lesson's run: a scenario's or the curve's.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LessonReport {
    /// A scenario's variants.
    Scenario(scenario::Report),
    /// The L1 capacity curve.
    Curve(l1_curve::Curve),
    /// A page-only lesson's probe (`probe::run`).
    Probe(Value),
}

/// A lesson run: its report and what the lesson makes of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LessonRun {
    /// The lesson.
    pub lesson: String,
    /// The seed.
    pub seed: u64,
    /// The report of its scenario or curve, as `cachelab run` / `curve` print it.
    pub report: LessonReport,
    /// Its notice, claims and answers.
    pub evaluation: Evaluation,
}

/// The report as the claims read it: serialised, as the faces receive it.
pub fn to_value<T: Serialize>(report: &T) -> Result<Value> {
    serde_json::to_value(report).map_err(|e| Error::Parse {
        what: "a report".to_string(),
        detail: e.to_string(),
    })
}

/// The report of `lesson` run with `given` (already merged with its defaults).
pub fn report(lesson: &Lesson, given: &[(String, String)], seed: u64) -> Result<LessonReport> {
    match (lesson.kind, lesson.scenario.as_deref()) {
        (Kind::Scenario, Some(name)) => Ok(LessonReport::Scenario(scenario::run_only(
            name,
            given,
            seed,
            &lesson.variants,
        )?)),
        (Kind::Curve, _) => Ok(LessonReport::Curve(l1_curve::run(given, seed)?)),
        (Kind::Console | Kind::Replay | Kind::Inside, _) if !given.is_empty() => {
            Err(Error::Parse {
                what: format!("lesson `{}`", lesson.id),
                detail: "a page-only lesson has no parameters to set".to_string(),
            })
        }
        (kind, _) => match &lesson.probe {
            Some(probe) => Ok(LessonReport::Probe(probe::run(probe, None)?)),
            None => Err(Error::Parse {
                what: format!("lesson `{}`", lesson.id),
                detail: format!("its kind `{kind:?}` runs nothing of its own"),
            }),
        },
    }
}

/// Runs lesson `id` at its defaults with `overrides` on top, and evaluates it.
///
/// ```
/// use cachelab::course::{run, Expect};
/// let run = run("stampede", &[], 1).unwrap();
/// assert!(run.evaluation.claims.iter().all(|c| c.holds || c.expect == Expect::Often));
/// assert!(cachelab::course::run("stampedes", &[], 1).is_err());
/// ```
pub fn run(id: &str, overrides: &[(String, String)], seed: u64) -> Result<LessonRun> {
    let lesson = find(id)?;
    let report = report(&lesson, &lesson.given(overrides), seed)?;
    let evaluation = lesson.evaluate(&to_value(&report)?);
    Ok(LessonRun {
        lesson: lesson.id,
        seed,
        report,
        evaluation,
    })
}

/// What to notice in a run of a scenario: the notice of the lesson named after it (else of the
/// first lesson in course order that runs it), with this run's numbers (each sentence whose numbers the run lacks left out). The
/// CLI prints it under `cachelab run`'s table; the page shows the same sentences of its lesson.
///
/// ```
/// let report = cachelab::scenario::run("avalanche", &[("duration_s".into(), "14".into()),
///     ("ttl_s".into(), "10".into()), ("rate".into(), "2000".into())], 1).unwrap();
/// let notice = cachelab::course::notice_for(&report).unwrap();
/// assert!(notice[0].starts_with("Peak database load"), "{notice:?}");
/// ```
pub fn notice_for(report: &scenario::Report) -> Result<Vec<String>> {
    let runs_it: Vec<Lesson> = lessons()?
        .into_iter()
        .filter(|l| l.scenario.as_deref() == Some(report.scenario.as_str()))
        .collect();
    // The lesson named after the scenario, else the first that runs it.
    let Some(lesson) = runs_it
        .iter()
        .find(|l| l.id == report.scenario)
        .or(runs_it.first())
    else {
        return Ok(Vec::new());
    };
    let value = to_value(report)?;
    Ok(lesson
        .notice
        .iter()
        .filter_map(|t| t.render(&value, None).ok())
        .collect())
}
