//! The contract every scenario follows. A scenario is a type implementing [`Experiment`]: it
//! declares its parameters, its variants as an enum ([`VariantSet`], written with the
//! [`variants!`] macro) and one `run` function for one variant. The registry (`catalog.rs`) turns
//! each into a [`Scenario`], the form the faces list and run by name; [`run`] (or
//! [`ScenarioRun`], one variant a step) validates the caller's values once, at the edge, and runs
//! the variants on the same traffic into one [`Report`].

use super::catalog::find;
use super::driver::{Driver, SimDriver};
use super::lab::LabConfig;
use super::params::{resolve, ParamSpec, Params};
use super::report::VariantReport;
use crate::error::{Error, Result};
use serde::Serialize;

/// A scenario's variants: a closed set, each with a name (as reports, links and the CLI spell
/// it) and a sentence on what it does. Written with [`variants!`], which makes every `match` on
/// the names exhaustive.
pub trait VariantSet: Copy + std::fmt::Debug + 'static {
    /// Every variant, in the order the scenario runs and reports them.
    const ALL: &'static [Self];
    /// Its name.
    fn name(self) -> &'static str;
    /// What it does, in a sentence.
    fn about(self) -> &'static str;

    /// The variant called `name`; an unknown name is an error that lists the known ones.
    fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name() == name)
            .ok_or_else(|| Error::UnknownName {
                kind: "variant",
                name: name.to_string(),
                known: Self::ALL.iter().map(|v| v.name().to_string()).collect(),
            })
    }
}

/// Declares a scenario's variant enum with each variant's name and description, and implements
/// [`VariantSet`] for it:
///
/// ```ignore
/// variants! {
///     /// How the stampede is fought.
///     pub enum Protect {
///         None = "none": "plain cache-aside",
///         Lock = "lock": "SET NX lock",
///     }
/// }
/// ```
macro_rules! variants {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal : $about:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::scenario::VariantSet for $name {
            const ALL: &'static [Self] = &[$(Self::$variant,)+];

            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            fn about(self) -> &'static str {
                match self {
                    $(Self::$variant => $about,)+
                }
            }
        }
    };
}
pub(super) use variants;

/// What a scenario declares: its name, what it shows, its parameters, its variants and how one
/// variant runs. Nothing else in the crate names a scenario's module.
pub trait Experiment {
    /// Its variants.
    type Variant: VariantSet;
    /// Its name (`cachelab run NAME`).
    const NAME: &'static str;
    /// What it shows, in a sentence or two.
    const ABOUT: &'static str;
    /// How a live run (`cachelab live`, feature `redis`) maps what only the simulator has — the
    /// database, a crash, a deploy — onto a real Redis, in a sentence or two.
    const LIVE: &'static str = "L2 is the real server; the database stays the model, whose query \
        times are slept for real; arrivals, keys and the strategy's decisions are the simulator's.";
    /// Its knobs.
    fn params() -> Vec<ParamSpec>;
    /// The lab bench of `variant`, if the scenario runs on it: then this is all the scenario
    /// writes (the default [`Experiment::run_on`] runs that bench on any driver). `None` for a
    /// scenario with a bench of its own.
    fn lab_config(p: &Params, variant: Self::Variant) -> Option<Result<LabConfig>> {
        let _ = (p, variant);
        None
    }
    /// Runs one variant with resolved parameters on driver `d` — the simulator, or a real Redis
    /// on the wall clock: by default on the lab bench of [`Experiment::lab_config`]; a scenario
    /// with a bench of its own implements this, written against [`Driver`], and then runs live
    /// as it runs simulated.
    fn run_on<D: Driver>(
        p: &Params,
        variant: Self::Variant,
        seed: u64,
        d: &D,
    ) -> Result<VariantReport> {
        match Self::lab_config(p, variant) {
            Some(config) => d.run_lab(variant.name(), &config?, seed),
            None => Err(Error::Parse {
                what: format!("scenario `{}`", Self::NAME),
                detail: "it runs on a bench of its own that is not written against a Driver, \
                         so it has no live version yet"
                    .to_string(),
            }),
        }
    }
    /// Runs one variant on the simulator: [`Experiment::run_on`] with a fresh [`SimDriver`].
    fn run(p: &Params, variant: Self::Variant, seed: u64) -> Result<VariantReport> {
        Self::run_on(p, variant, seed, &SimDriver::new())
    }
}

/// One variant of a scenario, as the faces list it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// Its name in reports.
    pub name: &'static str,
    /// What it does, in a sentence.
    pub about: &'static str,
}

/// A registered scenario: what the faces list (parameters, variants) and how to run it by name.
/// `Scenario<()>` is the listing alone (see [`Scenario::listing`]).
#[derive(Clone, Debug, Serialize)]
pub struct Scenario<R = Runner> {
    /// Its name (`cachelab run NAME`).
    pub name: &'static str,
    /// What it shows, in a sentence or two.
    pub about: &'static str,
    /// Its knobs.
    pub params: Vec<ParamSpec>,
    /// The strategies it compares.
    pub variants: Vec<Variant>,
    /// How a live run maps what only the simulator has ([`Experiment::LIVE`]).
    pub live: &'static str,
    #[serde(skip)]
    runner: R,
}

/// The scenario's typed functions behind its variants' positions in [`Scenario::variants`]; only
/// [`Scenario::of`] makes one.
#[derive(Clone, Copy, Debug)]
pub struct Runner {
    run: fn(&Params, usize, u64) -> Result<VariantReport>,
    lab: fn(&Params, usize) -> Option<Result<LabConfig>>,
    #[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
    live: fn(&Params, usize, u64, &crate::redis::live::LiveDriver) -> Result<VariantReport>,
}

/// The variant at `index` of `E`'s list (an index comes from [`Scenario::variant_index`] or a
/// walk over [`Scenario::variants`], both built from `ALL`).
fn nth<E: Experiment>(index: usize) -> Result<E::Variant> {
    E::Variant::ALL
        .get(index)
        .copied()
        .ok_or_else(|| Error::UnknownName {
            kind: "variant",
            name: format!("#{index}"),
            known: E::Variant::ALL
                .iter()
                .map(|v| v.name().to_string())
                .collect(),
        })
}

fn run_nth<E: Experiment>(p: &Params, index: usize, seed: u64) -> Result<VariantReport> {
    E::run(p, nth::<E>(index)?, seed)
}

#[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
fn live_nth<E: Experiment>(
    p: &Params,
    index: usize,
    seed: u64,
    d: &crate::redis::live::LiveDriver,
) -> Result<VariantReport> {
    E::run_on(p, nth::<E>(index)?, seed, d)
}

fn lab_nth<E: Experiment>(p: &Params, index: usize) -> Option<Result<LabConfig>> {
    match nth::<E>(index) {
        Ok(variant) => E::lab_config(p, variant),
        Err(e) => Some(Err(e)),
    }
}

impl Scenario {
    /// The registry's entry for `E`.
    pub fn of<E: Experiment>() -> Scenario {
        Scenario::with::<E>(Runner {
            run: run_nth::<E>,
            lab: lab_nth::<E>,
            #[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
            live: live_nth::<E>,
        })
    }

    /// The lab bench of variant `variant` with `params` (already resolved), or `None` if the
    /// scenario runs on a bench of its own: how other runtimes (the `redis` feature's live
    /// mode) reuse a scenario's setup. An unknown variant is an error.
    pub fn lab_config(&self, params: &Params, variant: &str) -> Option<Result<LabConfig>> {
        match self.variant_index(variant) {
            Ok(index) => (self.runner.lab)(params, index),
            Err(e) => Some(Err(e)),
        }
    }
}

impl Scenario<()> {
    /// `E`'s entry without the means to run it: a face that only lists the scenarios (the page's
    /// first wasm module) then links none of their code, which a function pointer to each
    /// scenario's run would pull in.
    pub fn listing<E: Experiment>() -> Scenario<()> {
        Scenario::with::<E>(())
    }
}

impl<R> Scenario<R> {
    fn with<E: Experiment>(runner: R) -> Scenario<R> {
        Scenario {
            name: E::NAME,
            about: E::ABOUT,
            params: E::params(),
            variants: E::Variant::ALL
                .iter()
                .map(|v| Variant {
                    name: v.name(),
                    about: v.about(),
                })
                .collect(),
            live: E::LIVE,
            runner,
        }
    }

    /// The position of the variant called `name`; an unknown name is an error that lists the
    /// scenario's variants.
    pub fn variant_index(&self, name: &str) -> Result<usize> {
        self.variants
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| Error::UnknownName {
                kind: "variant",
                name: name.to_string(),
                known: self.variants.iter().map(|v| v.name.to_string()).collect(),
            })
    }
}

impl Scenario {
    /// Runs variant `variant` (resolved `params`) live on `d`: what `cachelab live` does for
    /// every scenario of the registry, whichever bench it runs on.
    #[cfg(all(feature = "redis", not(target_arch = "wasm32")))]
    pub fn run_live(
        &self,
        params: &Params,
        variant: &str,
        seed: u64,
        d: &crate::redis::live::LiveDriver,
    ) -> Result<VariantReport> {
        (self.runner.live)(params, self.variant_index(variant)?, seed, d)
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
    /// What every variant's `hit_ratio` counts, for the tables that show it.
    pub hit_ratio_definition: &'static str,
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

/// Validates `given` (name → value as text) for scenario `name` and runs all its variants.
///
/// ```
/// use cachelab::scenario::run;
/// let quick = [("duration_s".to_string(), "6".to_string()), ("rate".to_string(), "2000".to_string())];
/// let report = run("stampede", &quick, 7).unwrap();
/// let none = report.variant("none").unwrap();
/// let lock = report.variant("lock").unwrap();
/// // Without protection the expiry at 5 s sends a crowd to the database; with the lock, one.
/// assert!(none.hot_key.as_ref().unwrap().loads_per_expiry[0] > 20);
/// assert_eq!(lock.hot_key.as_ref().unwrap().loads_per_expiry, [1]);
/// let err = run("stampede", &[("rate".into(), "0".into())], 7).unwrap_err();
/// assert!(err.to_string().contains("`rate` must be between 1 and 1000000"));
/// ```
pub fn run(name: &str, given: &[(String, String)], seed: u64) -> Result<Report> {
    run_only(name, given, seed, &[])
}

/// [`run`] for the named variants only (all of them if `variants` is empty); an unknown
/// variant name is an error that lists the scenario's variants.
pub fn run_only(
    name: &str,
    given: &[(String, String)],
    seed: u64,
    variants: &[String],
) -> Result<Report> {
    let mut run = ScenarioRun::only(name, given, seed, variants)?;
    while run.step()? < 1.0 {}
    Ok(run.finish())
}

/// A scenario run one variant at a time, so that a face can report progress between steps (and
/// the page can cancel a long run). [`run`] is this, stepped to the end.
#[derive(Debug)]
pub struct ScenarioRun {
    scenario: Scenario,
    /// Positions of the variants to run, in the scenario's order.
    chosen: Vec<usize>,
    report: Report,
}

impl ScenarioRun {
    /// Validates the parameters; nothing runs yet.
    pub fn new(name: &str, given: &[(String, String)], seed: u64) -> Result<Self> {
        Self::only(name, given, seed, &[])
    }

    /// [`ScenarioRun::new`] for the named variants only (all of them if `variants` is empty);
    /// an unknown variant name is an error that lists the scenario's variants.
    ///
    /// ```
    /// use cachelab::scenario::ScenarioRun;
    /// let err = ScenarioRun::only("stampede", &[], 1, &["lcok".to_string()]).unwrap_err();
    /// assert_eq!(err.to_string(),
    ///     "unknown variant `lcok`; known: chapter, none, lock, singleflight, xfetch, swr");
    /// ```
    pub fn only(
        name: &str,
        given: &[(String, String)],
        seed: u64,
        variants: &[String],
    ) -> Result<Self> {
        let scenario = find(name)?;
        let params = resolve(&scenario.params, given)?;
        let mut chosen = variants
            .iter()
            .map(|v| scenario.variant_index(v))
            .collect::<Result<Vec<usize>>>()?;
        if chosen.is_empty() {
            chosen = (0..scenario.variants.len()).collect();
        }
        chosen.sort_unstable();
        chosen.dedup();
        let report = Report {
            scenario: name.to_string(),
            seed,
            params,
            variants: Vec::new(),
            hit_ratio_definition: crate::metrics::HIT_RATIO_DEFINITION,
        };
        Ok(ScenarioRun {
            scenario,
            chosen,
            report,
        })
    }

    /// Runs the next variant, if any; returns the share of variants done (1.0 at the end).
    pub fn step(&mut self) -> Result<f64> {
        let total = self.chosen.len();
        if let Some(&index) = self.chosen.get(self.report.variants.len()) {
            let (params, seed) = (&self.report.params, self.report.seed);
            let variant = (self.scenario.runner.run)(params, index, seed)?;
            self.report.variants.push(variant);
        }
        Ok(self.report.variants.len() as f64 / total.max(1) as f64)
    }

    /// The report (complete once `step` has returned 1.0).
    pub fn finish(self) -> Report {
        self.report
    }
}
