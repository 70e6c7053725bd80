//! The JavaScript face: thin `#[wasm_bindgen]` wrappers that validate, call the core and convert
//! results with serde. No logic lives here, and nothing here may panic: every export returns
//! `Result<_, JsError>` with the core's message.
//!
//! The page loads the core as several wasm modules, one build of this crate per cargo feature
//! (scripts/wasm.sh; the worker imports a module the first time a call needs one of its names):
//! `wasm-basics` (the first lesson, and the lists and checks the page asks for at start; keep it
//! small), `wasm-scenarios1`, `wasm-scenarios2`, … (scenario runs: each of these modules has the
//! `wasm-scenarios` exports and runs the scenarios whose registry line names it, see
//! `catalogue!` in src/scenario/catalog.rs), `wasm-console` (the Redis console), `wasm-traces`
//! (trace replay, curves, analysis, stepping) and `wasm-bench` (the benchmark page only). Every
//! export carries `#[cfg(feature = "wasm-…")]` for the module it belongs in: the one its lesson
//! opens with (a helper shared by several takes `cfg(any(…))`). An export without one lands in
//! every module, which is only right for the panic plumbing below. `cargo test` builds them all
//! (the default features).

#[cfg(feature = "wasm-basics")]
use crate::policy::POLICY_NAMES;
#[cfg(feature = "wasm-traces")]
use crate::policy::{mrc, replay, sweep};
#[cfg(feature = "wasm-basics")]
use crate::scenario::{l1_curve, ParamSpec};
#[cfg(feature = "wasm-traces")]
use crate::workload::{CsvOptions, ReadOptions, TraceFormat};
use wasm_bindgen::prelude::*;

thread_local! {
    /// The message of the last panic, kept for the page: after a panic the module traps, and the
    /// worker asks for this message before it replaces the broken instance.
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs a panic hook so that a panic, should one still happen, reaches the page with its
/// message (see `lastPanic`) and the console with its stack, instead of an opaque `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some(info.to_string());
            }
        });
        console_error_panic_hook::hook(info);
    }));
}

/// The message of the last panic, if any (and forgets it).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|last| last.try_borrow_mut().ok().and_then(|mut l| l.take()))
}

/// Panics on purpose. It exists only so the browser tests can prove that a panic in the core is
/// reported on the page and the page keeps working; nothing in the page calls it.
#[wasm_bindgen(js_name = crashForTesting)]
pub fn crash_for_testing() {
    std::panic::panic_any("crashForTesting was called");
}

/// How values cross between the core and JavaScript: `to_js` turns a report into a plain JS
/// object, `from_js` reads what the page passed (a plain object, list, string or number).
///
/// One converter per module, the one it carries anyway, so that no `Serialize` or `Deserialize`
/// impl is instantiated twice: `basics` (the lessons, `lessonEvaluate`) and `scenarios`
/// (`runScenarioJson`, byte for byte the CLI's JSON) hold serde_json, so they go through JSON
/// text and the engine's `JSON.parse`/`JSON.stringify` (serde-wasm-bindgen on top took 17 KB
/// off `scenarios`' gzipped size when it left); `console` and `traces` hold no JSON code, and
/// serde-wasm-bindgen is smaller there than serde_json's writer and parser (8 and 11 KB gzipped).
/// Both give the page the same object: maps are objects, `None` is null, integers are numbers
/// (serde-wasm-bindgen refuses one above 2^53, `JSON.parse` rounds it); only a non-finite float
/// differs (null in JSON, as the CLI prints it; `NaN` or `Infinity` otherwise), and no report
/// holds one.
#[cfg(any(feature = "wasm-basics", feature = "wasm-scenarios"))]
mod convert {
    use serde::{de::DeserializeOwned, Serialize};
    use wasm_bindgen::{JsError, JsValue};

    pub(super) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
        let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
        js_sys::JSON::parse(&text).map_err(|_| JsError::new("JSON.parse refused serde_json's text"))
    }

    /// A value JSON has no text for (`undefined`, a function, a `BigInt`, a cycle) is an error;
    /// an object's field whose value is `undefined` counts as absent (`JSON.stringify` drops it).
    pub(super) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
        let text = js_sys::JSON::stringify(&value)
            .ok()
            .and_then(|text| text.as_string())
            .ok_or("it has no JSON form (undefined, a function, a BigInt or a cycle)")?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
}

#[cfg(not(any(feature = "wasm-basics", feature = "wasm-scenarios")))]
mod convert {
    use serde::Serialize;
    use wasm_bindgen::{JsError, JsValue};

    pub(super) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
        value
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    #[cfg(any(feature = "wasm-console", feature = "wasm-traces"))]
    pub(super) fn from_js<T: serde::de::DeserializeOwned>(
        value: JsValue,
    ) -> Result<T, serde_wasm_bindgen::Error> {
        serde_wasm_bindgen::from_value(value)
    }
}

#[cfg(any(
    feature = "wasm-basics",
    feature = "wasm-scenarios",
    feature = "wasm-console",
    feature = "wasm-traces"
))]
use convert::from_js;
use convert::to_js;

/// The core's error as a JS error with the same message.
#[cfg(any(
    feature = "wasm-basics",
    feature = "wasm-scenarios",
    feature = "wasm-traces",
    feature = "wasm-bench"
))]
fn core_error(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

#[cfg(any(feature = "wasm-basics", feature = "wasm-scenarios"))]
/// Reads `{name: value}` from JS into the core's `(name, text)` pairs.
fn read_params(params: JsValue) -> Result<Vec<(String, String)>, JsError> {
    if params.is_undefined() || params.is_null() {
        return Ok(Vec::new());
    }
    let map: std::collections::BTreeMap<String, serde_json::Value> = from_js(params)
        .map_err(|e| JsError::new(&format!("parameters must be an object of numbers: {e}")))?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect())
}

#[cfg(feature = "wasm-basics")]
/// The parameters of the L1 capacity curve: name, meaning, unit, default and range of each.
#[wasm_bindgen(js_name = l1CurveParams)]
pub fn l1_curve_params() -> Result<JsValue, JsError> {
    to_js::<[ParamSpec; 4]>(&l1_curve::PARAMS)
}

#[cfg(feature = "wasm-basics")]
/// Runs the L1 capacity curve with `params` (`{keys, skew, requests, points}`, any subset) and
/// `seed`; returns `{seed, params, points: [{capacity, hits, misses, hit_ratio}]}`.
#[wasm_bindgen(js_name = l1Curve)]
pub fn l1_curve(params: JsValue, seed: u64) -> Result<JsValue, JsError> {
    let curve = l1_curve::run(&read_params(params)?, seed).map_err(core_error)?;
    to_js(&curve)
}

#[cfg(feature = "wasm-basics")]
/// The capacity curve as a stepped run: the page's worker calls `step()` until it returns 1,
/// posting the progress after each step, then `finish()` for the same object `l1Curve` returns.
#[wasm_bindgen]
pub struct L1CurveRun(Option<l1_curve::CurveRun>);

#[cfg(feature = "wasm-basics")]
/// Starts a stepped capacity curve (see [`L1CurveRun`]).
#[wasm_bindgen(js_name = l1CurveStart)]
pub fn l1_curve_start(params: JsValue, seed: u64) -> Result<L1CurveRun, JsError> {
    let run = l1_curve::CurveRun::new(&read_params(params)?, seed)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(L1CurveRun(Some(run)))
}

#[cfg(feature = "wasm-basics")]
#[wasm_bindgen]
impl L1CurveRun {
    /// Computes the next capacity; returns the share done, 1 when complete.
    pub fn step(&mut self) -> f64 {
        self.0.as_mut().map_or(1.0, |run| run.step())
    }

    /// The report; the run is spent afterwards.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let run = self
            .0
            .take()
            .ok_or_else(|| JsError::new("this run has already finished"))?;
        to_js(&run.finish())
    }
}

#[cfg(feature = "wasm-basics")]
/// The same curve as JSON text, for comparing byte for byte with the native CLI.
#[wasm_bindgen(js_name = l1CurveJson)]
pub fn l1_curve_json(params: JsValue, seed: u64) -> Result<String, JsError> {
    let curve =
        l1_curve::run(&read_params(params)?, seed).map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&curve).map_err(|e| JsError::new(&e.to_string()))
}

#[cfg(feature = "wasm-basics")]
/// The scenarios (`stampede`, `avalanche`, `penetration`, `response-cache`, `ratelimit`): for
/// each its name, what it shows, its variants and its parameters (name, meaning, unit, default,
/// range) for the page's form.
#[wasm_bindgen(js_name = scenarios)]
pub fn scenarios() -> Result<JsValue, JsError> {
    to_js(&crate::scenario::listing())
}

/// The glossary: `[{id, term, forms, definition}]`, for the page's term buttons.
#[cfg(feature = "wasm-basics")]
#[wasm_bindgen]
pub fn glossary() -> Result<JsValue, JsError> {
    to_js(&crate::glossary::GLOSSARY)
}

/// The heads of a run's summary table (`cachelab::metrics::SUMMARY_COLUMNS`), as the CLI prints
/// them.
#[cfg(feature = "wasm-basics")]
#[wasm_bindgen(js_name = summaryColumns)]
pub fn summary_columns() -> Result<JsValue, JsError> {
    to_js(&crate::metrics::SUMMARY_COLUMNS)
}

/// The course's lessons in course order, as JSON text, each as its file defines it (see
/// `lessons/README.md`): id, title, part, chapter section, kind, scenario, variants, defaults,
/// knobs, text, notice, sketches, differs, experiments, questions and claims. JSON text rather
/// than a JS object: serde_json's own serialiser is in the module already, so the course adds
/// no converter of its own to the module's size.
#[cfg(feature = "wasm-basics")]
#[wasm_bindgen]
pub fn lessons() -> Result<String, JsError> {
    let all = crate::course::lessons().map_err(core_error)?;
    serde_json::to_string(&all).map_err(|e| JsError::new(&e.to_string()))
}

/// What lesson `id` makes of a run's report (`report`: the report as JSON text), as JSON text:
/// `{notice: [..], claims: [{text, holds, expect, a, b, problem?}], answers: [{ask, choices,
/// answer, reveal}]}`. In the first module with the lessons: the course's parser is there already.
#[cfg(feature = "wasm-basics")]
#[wasm_bindgen(js_name = lessonEvaluate)]
pub fn lesson_evaluate(id: &str, report: &str) -> Result<String, JsError> {
    let lesson = crate::course::find(id).map_err(core_error)?;
    let report: serde_json::Value = serde_json::from_str(report)
        .map_err(|e| JsError::new(&format!("the report could not be read: {e}")))?;
    serde_json::to_string(&lesson.evaluate(&report)).map_err(|e| JsError::new(&e.to_string()))
}

/// A page-only lesson's probe (its `probe` field, as the page has it from `lessons`).
#[cfg(any(feature = "wasm-console", feature = "wasm-traces"))]
fn read_probe(probe: JsValue) -> Result<crate::course::probe::Probe, JsError> {
    from_js(probe).map_err(|e| JsError::new(&format!("the probe could not be read: {e}")))
}

/// Runs the console lesson's probe (`{console: [lines]}`) on a fresh L2 model; returns its
/// report (`{replies: [{command, reply, nil, error}]}`) for `lessonEvaluate`.
#[cfg(feature = "wasm-console")]
#[wasm_bindgen(js_name = consoleProbe)]
pub fn console_probe(probe: JsValue) -> Result<JsValue, JsError> {
    use crate::course::probe::{self, Probe};
    match read_probe(probe)? {
        Probe::Console(lines) => to_js(&probe::console(&lines)),
        Probe::Replay(_) | Probe::Step(_) => Err(JsError::new(
            "consoleProbe runs a console probe; a replay or step probe goes to traceProbe",
        )),
    }
}

/// Runs a replay probe over `data` (the bundled trace the probe names, fetched by the page: a
/// string or a `Uint8Array`) or a step probe (`data` unused); returns its report for
/// `lessonEvaluate`.
#[cfg(feature = "wasm-traces")]
#[wasm_bindgen(js_name = traceProbe)]
pub fn trace_probe(probe: JsValue, data: JsValue) -> Result<JsValue, JsError> {
    use crate::course::probe::{self, Probe};
    match read_probe(probe)? {
        Probe::Replay(r) => to_js(&probe::replay(&r, &trace_bytes(data)?).map_err(core_error)?),
        Probe::Step(s) => to_js(&probe::step(&s).map_err(core_error)?),
        Probe::Console(_) => Err(JsError::new(
            "traceProbe runs a replay or step probe; a console probe goes to consoleProbe",
        )),
    }
}

#[cfg(feature = "wasm-scenarios")]
/// The variant names of a comma-separated list (`"lock,none"`); none or empty means all.
fn read_variants(variants: Option<String>) -> Vec<String> {
    variants
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(feature = "wasm-scenarios")]
/// Runs scenario `name` with `params` (`{name: value}`, any subset) and `seed`, and only the
/// `variants` named (`"lock,none"`; all if omitted); returns the report `{scenario, seed,
/// params, variants: [{name, summary, series, ...}]}`. An unknown variant is an error that
/// lists the scenario's variants.
#[wasm_bindgen(js_name = runScenario)]
pub fn run_scenario(
    name: &str,
    params: JsValue,
    seed: u64,
    variants: Option<String>,
) -> Result<JsValue, JsError> {
    let report =
        crate::scenario::run_only(name, &read_params(params)?, seed, &read_variants(variants))
            .map_err(core_error)?;
    to_js(&report)
}

/// The scenarios this module runs (its registry: a scenario module runs those of a run of
/// lessons, see `catalogue!`), for scripts/wasm.sh to list in www/pkg/modules.js.
#[cfg(feature = "wasm-scenarios")]
#[wasm_bindgen(js_name = scenarioNames)]
pub fn scenario_names() -> Vec<String> {
    crate::scenario::scenarios()
        .iter()
        .map(|s| s.name.to_string())
        .collect()
}

#[cfg(feature = "wasm-scenarios")]
/// The same report as JSON text, byte for byte what `cachelab run NAME --json` prints.
#[wasm_bindgen(js_name = runScenarioJson)]
pub fn run_scenario_json(
    name: &str,
    params: JsValue,
    seed: u64,
    variants: Option<String>,
) -> Result<String, JsError> {
    let report =
        crate::scenario::run_only(name, &read_params(params)?, seed, &read_variants(variants))
            .map_err(core_error)?;
    serde_json::to_string(&report).map_err(|e| JsError::new(&e.to_string()))
}

#[cfg(feature = "wasm-bench")]
/// A benchmark case as the bench page lists it.
#[derive(serde::Serialize)]
struct BenchCaseInfo {
    name: &'static str,
    group: &'static str,
    unit: &'static str,
    default_ops: u64,
}

/// The functions of the `keys` lesson: `[{name, signature, returns}]`. In the module that runs
/// scenario `keys` (its feature is the one `keys`' line in src/scenario/catalog.rs names;
/// tests/e2e/site.test.mjs checks that they agree).
#[cfg(feature = "wasm-scenarios1")]
#[wasm_bindgen(js_name = keyFunctions)]
pub fn key_functions() -> Result<JsValue, JsError> {
    to_js(&crate::manager::function_list())
}

/// The cache keys of a call typed as Python writes it (`get_products('books', limit=10)`) under
/// each scheme, the short digest keeping `short_hex` hex digits: `{signature, call, keys:
/// [{scheme, key, hashed, digest_bits, birthday_bound}]}` (what `cachelab key` prints).
#[cfg(feature = "wasm-scenarios1")]
#[wasm_bindgen(js_name = callKeysText)]
pub fn call_keys_text(text: &str, short_hex: f64) -> Result<JsValue, JsError> {
    to_js(&crate::manager::call_keys_text(text, short_hex).map_err(core_error)?)
}

/// The benchmark cases (see `cachelab::bench`), baselines first in each group.
#[cfg(feature = "wasm-bench")]
#[wasm_bindgen(js_name = benchCases)]
pub fn bench_cases() -> Result<JsValue, JsError> {
    let cases: Vec<BenchCaseInfo> = crate::bench::cases()
        .into_iter()
        .map(|c| BenchCaseInfo {
            name: c.name,
            group: c.group,
            unit: c.unit,
            default_ops: c.default_ops,
        })
        .collect();
    to_js(&cases)
}

#[cfg(feature = "wasm-bench")]
/// Makes the policy cases replay the trace in `bytes` (named `name`, whose extension tells the
/// format) instead of the synthetic stand-in; returns `[requests, unique keys]`. Call it before
/// the first policy case runs, as the native bench does with `--policy-trace`.
#[wasm_bindgen(js_name = benchUseTrace)]
pub fn bench_use_trace(name: &str, bytes: &[u8]) -> Result<Vec<u64>, JsError> {
    let (requests, unique) = crate::bench::use_policy_trace(name, bytes).map_err(core_error)?;
    Ok(vec![requests, unique])
}

#[cfg(feature = "wasm-bench")]
/// Runs benchmark case `name` for `ops` units of work and returns its checksum; the page times
/// the call with `performance.now()`.
#[wasm_bindgen(js_name = benchRun)]
pub fn bench_run(name: &str, ops: u64) -> Result<u64, JsError> {
    const MAX_OPS: u64 = 1_000_000_000;
    if !(1..=MAX_OPS).contains(&ops) {
        return Err(JsError::new(&format!(
            "ops must be between 1 and {MAX_OPS} (got {ops})"
        )));
    }
    let case = crate::bench::find(name)
        .ok_or_else(|| JsError::new(&format!("unknown benchmark `{name}`")))?;
    Ok((case.run)(ops))
}

#[cfg(feature = "wasm-scenarios")]
/// A scenario as a stepped run (one variant per step): the page's worker calls `step()` until it
/// returns 1, then `finish()` for the report.
#[wasm_bindgen]
pub struct ScenarioRunHandle(Option<crate::scenario::ScenarioRun>);

#[cfg(feature = "wasm-scenarios")]
/// Starts scenario `name` with `params` (`{name: value}`, any subset) and `seed`, for the
/// `variants` named (`"lock,none"`; all if omitted).
#[wasm_bindgen(js_name = scenarioStart)]
pub fn scenario_start(
    name: &str,
    params: JsValue,
    seed: u64,
    variants: Option<String>,
) -> Result<ScenarioRunHandle, JsError> {
    let run = crate::scenario::ScenarioRun::only(
        name,
        &read_params(params)?,
        seed,
        &read_variants(variants),
    )
    .map_err(core_error)?;
    Ok(ScenarioRunHandle(Some(run)))
}

#[cfg(feature = "wasm-scenarios")]
#[wasm_bindgen]
impl ScenarioRunHandle {
    /// Runs the next variant; returns the share done, 1 when complete.
    pub fn step(&mut self) -> Result<f64, JsError> {
        match self.0.as_mut() {
            Some(run) => run.step().map_err(core_error),
            None => Ok(1.0),
        }
    }

    /// The report; the run is spent afterwards.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let run = self
            .0
            .take()
            .ok_or_else(|| JsError::new("this run has already finished"))?;
        to_js(&run.finish())
    }
}

#[cfg(feature = "wasm-traces")]
/// A trace handed over by the page: CSV or text as a string, any format as a `Uint8Array`, at most
/// [`replay::MAX_IN_MEMORY_TRACE_BYTES`].
fn trace_bytes(data: JsValue) -> Result<Vec<u8>, JsError> {
    if let Some(text) = data.as_string() {
        replay::check_in_memory_trace(text.len() as u64).map_err(core_error)?;
        Ok(text.into_bytes())
    } else if data.is_instance_of::<js_sys::Uint8Array>() {
        let array = js_sys::Uint8Array::new(&data);
        replay::check_in_memory_trace(u64::from(array.length())).map_err(core_error)?;
        Ok(array.to_vec())
    } else {
        Err(JsError::new(
            "the trace must be a string (CSV or text) or a Uint8Array (any format)",
        ))
    }
}

#[cfg(feature = "wasm-traces")]
/// `format` as the page names it (`csv`, `oracle`, `text`), or `None`/`"auto"`: from the first
/// bytes (zstd compression is always recognised by them).
fn trace_options(format: Option<String>) -> Result<ReadOptions, JsError> {
    let format = match format.as_deref().map(str::trim) {
        None | Some("auto") | Some("") => None,
        Some(name) => Some(TraceFormat::parse(name).map_err(core_error)?),
    };
    Ok(ReadOptions {
        format,
        csv: CsvOptions::default(),
    })
}

#[cfg(feature = "wasm-traces")]
/// LRU's exact miss-ratio curve of a trace (stack distances, object mode): `{requests,
/// unique_keys, curve: [{capacity, unit, miss_ratio}] at up to 200 capacities from 1 object to
/// all the keys, sampled}`, where `sampled` is the line a streamed file gets (`TraceStream`'s
/// `lruLine`) with `mean_absolute_error` against the exact curve and the `note` that says it.
/// `data` and `format` as for `replayTrace`.
#[wasm_bindgen(js_name = lruCurve)]
pub fn lru_curve(data: JsValue, format: Option<String>) -> Result<JsValue, JsError> {
    let data = trace_bytes(data)?;
    let trace = sweep::decode_file("local trace", trace_options(format)?, data.as_slice())
        .map_err(core_error)?;
    to_js(&mrc::lru_curves("local trace", &trace).map_err(core_error)?)
}

#[cfg(feature = "wasm-traces")]
/// What a trace is made of (`cachelab analyze`'s JSON). `data` and `format` as for
/// `replayTrace`.
#[wasm_bindgen(js_name = analyzeTrace)]
pub fn analyze_trace(data: JsValue, format: Option<String>) -> Result<JsValue, JsError> {
    let data = trace_bytes(data)?;
    let trace = sweep::decode_file("local trace", trace_options(format)?, data.as_slice())
        .map_err(core_error)?;
    to_js(&crate::workload::analyze::analyze("local trace", &trace))
}

#[cfg(feature = "wasm-basics")]
/// The eviction policies `replayTrace` knows, by name.
#[wasm_bindgen]
pub fn policies() -> Result<JsValue, JsError> {
    to_js(&POLICY_NAMES)
}

#[cfg(feature = "wasm-traces")]
/// Replays a trace (CSV text as a string, or the file's bytes as a `Uint8Array`) through
/// `policies` (`"lru,sieve"`, or `"all"`) at `sizes` (`"0.01,0.05"`, `"5000"`, `"64MiB"`, or
/// `"mrc"`); `format` is `csv`, `oracle` or `text` (default: from the first bytes; zstd-compressed
/// traces are recognised by them), and `bytes` makes fractions
/// count bytes. `onProgress(done, total)`, if given, is called every 65,536 requests and at the
/// end (errors it throws are ignored). Returns `{trace, requests, unique_keys, rows: [{policy,
/// capacity, unit, requests, misses, miss_ratio, byte_miss_ratio}]}`; with `classes`, each row
/// also has `compulsory_misses`, `capacity_misses` and `policy_misses` (see
/// `cachelab::policy::classes`).
#[wasm_bindgen(js_name = replayTrace)]
pub fn replay_trace(
    data: JsValue,
    policies: String,
    sizes: String,
    format: Option<String>,
    bytes: Option<bool>,
    on_progress: Option<js_sys::Function>,
    classes: Option<bool>,
) -> Result<JsValue, JsError> {
    let data = trace_bytes(data)?;
    let format = trace_options(format)?;
    let experiment =
        replay::Experiment::parse(&policies, &sizes, bytes.unwrap_or(false)).map_err(core_error)?;
    let mut progress = |done: u64, total: u64| {
        if let Some(callback) = &on_progress {
            // A failing progress callback must not abort the replay.
            let _ = callback.call2(
                &JsValue::NULL,
                &(done as f64).into(),
                &(total as f64).into(),
            );
        }
    };
    let open = || Ok(data.as_slice());
    let mut report =
        replay::run_with_progress("local trace", format, open, &experiment, &mut progress)
            .map_err(core_error)?;
    if classes.unwrap_or(false) {
        let requests = crate::workload::open(data.as_slice(), "local trace", format)
            .map_err(core_error)?
            .collect::<crate::Result<Vec<_>>>()
            .map_err(core_error)?;
        let trace = crate::policy::Access::from_trace(&requests);
        crate::policy::classes::add_to_report(&mut report, &trace).map_err(core_error)?;
    }
    to_js(&report)
}

#[cfg(feature = "wasm-traces")]
/// A replay of a trace file of any size, fed chunk by chunk as the page's worker reads it
/// (`File.stream()`): memory holds the caches and the trace's keys, never the file. The file is
/// read twice: `push(chunk)` every chunk, then `endPass()`, which answers whether the file must
/// be read again from its start (after the first pass, which counts the requests and keys that
/// the sizes are fractions of); then `finish()` gives what `replayTrace` gives for the whole file.
#[wasm_bindgen]
pub struct TraceStream(Option<crate::policy::chunked::ChunkedReplay>);

#[cfg(feature = "wasm-traces")]
#[wasm_bindgen]
impl TraceStream {
    /// A replay of `policies` at `sizes` (as for `replayTrace`); `format` is `csv`, `oracle`,
    /// `text` or `auto` (from the first bytes, after zstd decompression), and `bytes` makes
    /// fractions count bytes. Belady runs on an oracleGeneral trace (its records hold each
    /// request's next access) and is left out of any other (see `leftOut`). `lruLine` also
    /// samples LRU's curve while the file is replayed (see `lruLine`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        policies: String,
        sizes: String,
        format: Option<String>,
        bytes: Option<bool>,
        lru_line: Option<bool>,
    ) -> Result<TraceStream, JsError> {
        let experiment = replay::Experiment::parse(&policies, &sizes, bytes.unwrap_or(false))
            .map_err(core_error)?;
        let replay = crate::policy::chunked::ChunkedReplay::new(
            "local trace",
            trace_options(format)?,
            experiment,
        );
        Ok(TraceStream(Some(if lru_line.unwrap_or(false) {
            replay.with_lru_line()
        } else {
            replay
        })))
    }

    fn replay(&mut self) -> Result<&mut crate::policy::chunked::ChunkedReplay, JsError> {
        self.0
            .as_mut()
            .ok_or_else(|| JsError::new("this stream has already finished"))
    }

    /// Reads the next chunk of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        self.replay()?.push(chunk).map_err(core_error)
    }

    /// Ends a pass over the file; true if the file must now be read again from its start.
    #[wasm_bindgen(js_name = endPass)]
    pub fn end_pass(&mut self) -> Result<bool, JsError> {
        let replay = self.replay()?;
        let counting = !replay.replaying();
        replay.end_pass().map_err(core_error)?;
        Ok(counting)
    }

    /// How many times the file is read (for a progress bar over the whole run).
    #[wasm_bindgen(getter)]
    pub fn passes(&self) -> u32 {
        crate::policy::chunked::ChunkedReplay::PASSES
    }

    /// Bytes of the file read in the current pass.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> f64 {
        self.0.as_ref().map_or(0.0, |r| r.bytes() as f64)
    }

    /// The sentence that says which policy asked for is not in the rows and why, if one is not.
    #[wasm_bindgen(js_name = leftOut)]
    pub fn left_out(&self) -> Option<String> {
        self.0.as_ref().and_then(|r| r.left_out())
    }

    /// LRU's sampled line (`{label, sample_keys, note, report: {curve, rate, sampled_keys, ..}}`,
    /// fixed-size SHARDS fed by the replaying pass), if asked for in a run whose capacities
    /// count objects; else null. Read it before `finish`.
    #[wasm_bindgen(js_name = lruLine)]
    pub fn lru_line(&self) -> Result<JsValue, JsError> {
        match self.0.as_ref().and_then(|r| r.lru_line()) {
            Some(line) => to_js(&line),
            None => Ok(JsValue::NULL),
        }
    }

    /// The report, once both passes are over; the stream is spent afterwards.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let report = self.replay()?.report().map_err(core_error)?;
        self.0 = None;
        to_js(&report)
    }
}

#[cfg(feature = "wasm-traces")]
/// One key sequence stepped through one small cache, kept in the worker: the page asks for one
/// step at a time (`at(i)`), so only that step's state crosses to JavaScript.
#[wasm_bindgen]
pub struct Stepper(crate::policy::step::Steps);

#[cfg(feature = "wasm-traces")]
#[wasm_bindgen]
impl Stepper {
    /// Steps `keys` (typed keys, `"1 2 3"`, or a ready-made sequence's name, see `stepPresets`)
    /// through `policy` with room for `size` objects (1 to 64); `seed` draws a random preset.
    #[wasm_bindgen(constructor)]
    pub fn new(policy: &str, size: f64, keys: &str, seed: u64) -> Result<Stepper, JsError> {
        use crate::policy::step;
        let size = step::size_from_number(size).map_err(core_error)?;
        let keys = step::Sequence::parse(keys)
            .and_then(|s| s.keys(size, seed))
            .map_err(core_error)?;
        let steps = step::step_through(policy, size, &keys).map_err(core_error)?;
        Ok(Stepper(steps))
    }

    /// The number of steps (requests).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.steps.len()
    }

    /// The keys requested, in order.
    pub fn keys(&self) -> Vec<f64> {
        self.0.steps.iter().map(|s| s.key as f64).collect()
    }

    /// Step `index` (from 0): `{index, key, hit, inserted, evicted, reason, rules, state}`.
    pub fn at(&self, index: usize) -> Result<JsValue, JsError> {
        let step = self.0.steps.get(index).ok_or_else(|| {
            JsError::new(&format!(
                "step must be between 0 and {} (got {index})",
                self.0.steps.len().saturating_sub(1)
            ))
        })?;
        to_js(step)
    }

    /// The empty cache's state, before the first request.
    pub fn initial(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.initial)
    }
}

#[cfg(feature = "wasm-basics")]
/// The ready-made key sequences `Stepper` accepts by name.
#[wasm_bindgen(js_name = stepPresets)]
pub fn step_presets() -> Result<JsValue, JsError> {
    to_js(&crate::policy::step::Preset::ALL.map(|p| p.name()))
}

#[cfg(feature = "wasm-console")]
/// The Redis console over the L2 model, for the page: `exec(line)` answers as `redis-cli
/// --no-raw` prints, `advance(ms)` moves simulated time, `keys()` lists `{key, type, ttl_ms}`.
#[wasm_bindgen]
pub struct Console(crate::tiers::l2::Console);

#[cfg(feature = "wasm-console")]
#[wasm_bindgen]
impl Console {
    /// A console over an empty model.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Console {
        Console(crate::tiers::l2::Console::new())
    }

    /// Runs one line; returns what redis-cli would print (without the final newline).
    pub fn exec(&mut self, line: &str) -> String {
        self.0.exec(line)
    }

    /// Moves simulated time forward by `ms` milliseconds (0 to one year).
    pub fn advance(&mut self, ms: f64) -> Result<(), JsError> {
        const MAX_MS: f64 = 365.0 * 86_400_000.0;
        if !(0.0..=MAX_MS).contains(&ms) {
            return Err(JsError::new(&format!(
                "ms must be between 0 and {MAX_MS} (got {ms})"
            )));
        }
        self.0.advance_ms(ms);
        Ok(())
    }

    /// The live keys, sorted: `[{key, type, ttl_ms}]` (`ttl_ms` is -1 without a TTL).
    pub fn keys(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.keys())
    }

    /// The simulated clock in milliseconds.
    pub fn now_ms(&self) -> f64 {
        self.0.l2().now().as_micros() as f64 / 1e3
    }

    /// redis-cli's prompt for the next line: `127.0.0.1:6379[db](TX)> `.
    pub fn prompt(&self) -> String {
        self.0.prompt()
    }
}

#[cfg(feature = "wasm-basics")]
/// Decodes a shared link's query string for a lesson whose numeric knobs are `knobs`
/// (`[{name, min, max, integer}]`) and whose text settings are `pass_through` (`["policies"]`);
/// returns `{lesson, values, invalid, unknown}` (see `cachelab::scenario::decode_link`).
#[wasm_bindgen(js_name = decodeLink)]
pub fn decode_link(query: &str, knobs: JsValue, pass_through: JsValue) -> Result<JsValue, JsError> {
    let knobs: Vec<crate::scenario::LinkKnob> = from_js(knobs)
        .map_err(|e| JsError::new(&format!("knobs must be [{{name, min, max, integer}}]: {e}")))?;
    let pass_through: Vec<String> = from_js(pass_through)
        .map_err(|e| JsError::new(&format!("pass_through must be a list of names: {e}")))?;
    to_js(&crate::scenario::decode_link(query, &knobs, &pass_through))
}

#[cfg(feature = "wasm-basics")]
/// The request budget of a run at `rate` requests per second for `duration_s` seconds:
/// `{most, limit}` (see `cachelab::scenario::request_budget`), so the page can name both fields
/// and show the budget before a run that the core would refuse.
#[wasm_bindgen(js_name = requestBudget)]
pub fn request_budget(rate: f64, duration_s: f64) -> Result<JsValue, JsError> {
    let duration = crate::sim::SimDuration::from_secs_f64(duration_s);
    to_js(&crate::scenario::request_budget(rate, duration))
}
