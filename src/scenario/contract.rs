//! The contract every scenario follows: a [`Scenario`] declares its parameters, its variants and
//! how one variant runs; [`run`] (or [`ScenarioRun`], one variant a step) validates the caller's
//! values and runs every variant on the same traffic into one [`Report`].

use super::catalog::find;
use super::lab::{run_variant, LabConfig, VariantReport};
use super::params::{resolve, ParamSpec, Params};
use crate::error::Result;
use serde::Serialize;

/// One variant of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// Its name in reports.
    pub name: &'static str,
    /// What it does, in a sentence.
    pub about: &'static str,
}

/// A named experiment: parameters, variants, and how a variant's lab is set up.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// Its name (`cachelab run NAME`).
    pub name: &'static str,
    /// What it shows, in a sentence or two.
    pub about: &'static str,
    /// Its knobs.
    pub params: Vec<ParamSpec>,
    /// The strategies it compares.
    pub variants: Vec<Variant>,
    #[serde(skip)]
    pub(super) runner: Runner,
}

/// How a scenario runs one variant.
#[derive(Clone, Copy, Debug)]
pub enum Runner {
    /// On the shared lab bench ([`run_variant`]): the scenario only sets up its [`LabConfig`].
    Lab(fn(&Params, &str) -> Result<LabConfig>),
    /// Its own bench, for experiments the lab cannot express (writers and readers racing,
    /// several app instances, rate limits): parameters, variant name and seed in, report out.
    Custom(fn(&Params, &str, u64) -> Result<VariantReport>),
}

impl Scenario {
    /// The lab bench of `variant` with `params` (already resolved), or `None` if the scenario
    /// runs on a bench of its own ([`Runner::Custom`]): how other runtimes (the `redis`
    /// feature's live mode) reuse a scenario's setup.
    pub fn lab_config(&self, params: &Params, variant: &str) -> Option<Result<LabConfig>> {
        match self.runner {
            Runner::Lab(configure) => Some(configure(params, variant)),
            Runner::Custom(_) => None,
        }
    }
}

/// A scenario run: every variant on the same traffic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The scenario.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The resolved parameters.
    pub params: Params,
    /// One report per variant, in the scenario's order.
    pub variants: Vec<VariantReport>,
}

impl Report {
    /// The variant called `name`, if the scenario has one.
    ///
    /// ```
    /// let quick = [("duration_s".to_string(), "2".to_string())];
    /// let report = cachelab::scenario::run("stampede", &quick, 1).unwrap();
    /// assert_eq!(report.variant("lock").unwrap().name, "lock");
    /// assert!(report.variant("no such variant").is_none());
    /// ```
    pub fn variant(&self, name: &str) -> Option<&VariantReport> {
        self.variants.iter().find(|v| v.name == name)
    }
}

pub(super) const fn variant(name: &'static str, about: &'static str) -> Variant {
    Variant { name, about }
}

/// Validates `given` (name → value as text) for scenario `name` and runs all its variants.
///
/// ```
/// use cachelab::scenario::run;
/// let quick = [("duration_s".to_string(), "6".to_string()), ("rate".to_string(), "2000".to_string())];
/// let report = run("stampede", &quick, 7).unwrap();
/// let none = &report.variants[0];
/// let lock = &report.variants[1];
/// // Without protection the expiry at 5 s sends a crowd to the database; with the lock, one.
/// assert!(none.hot_key.as_ref().unwrap().loads_per_expiry[0] > 20);
/// assert_eq!(lock.hot_key.as_ref().unwrap().loads_per_expiry, [1]);
/// let err = run("stampede", &[("rate".into(), "0".into())], 7).unwrap_err();
/// assert!(err.to_string().contains("`rate` must be between 1 and 1000000"));
/// ```
pub fn run(name: &str, given: &[(String, String)], seed: u64) -> Result<Report> {
    let mut run = ScenarioRun::new(name, given, seed)?;
    while run.step()? < 1.0 {}
    Ok(run.finish())
}

/// A scenario run one variant at a time, so that a face can report progress between steps (and
/// the page can cancel a long run). [`run`] is this, stepped to the end.
#[derive(Debug)]
pub struct ScenarioRun {
    scenario: Scenario,
    report: Report,
}

impl ScenarioRun {
    /// Validates the parameters; nothing runs yet.
    pub fn new(name: &str, given: &[(String, String)], seed: u64) -> Result<Self> {
        let scenario = find(name)?;
        let params = resolve(&scenario.params, given)?;
        let report = Report {
            scenario: name.to_string(),
            seed,
            params,
            variants: Vec::new(),
        };
        Ok(ScenarioRun { scenario, report })
    }

    /// Runs the next variant, if any; returns the share of variants done (1.0 at the end).
    pub fn step(&mut self) -> Result<f64> {
        let total = self.scenario.variants.len();
        if let Some(v) = self.scenario.variants.get(self.report.variants.len()) {
            let (params, seed) = (&self.report.params, self.report.seed);
            let variant = match self.scenario.runner {
                Runner::Lab(configure) => run_variant(v.name, &configure(params, v.name)?, seed)?,
                Runner::Custom(run) => run(params, v.name, seed)?,
            };
            self.report.variants.push(variant);
        }
        Ok(self.report.variants.len() as f64 / total.max(1) as f64)
    }

    /// The report (complete once `step` has returned 1.0).
    pub fn finish(self) -> Report {
        self.report
    }
}
