//! The JavaScript face: thin `#[wasm_bindgen]` wrappers that validate, call the core and convert
//! results with serde. No logic lives here, and nothing here may panic: every export returns
//! `Result<_, JsError>` with the core's message.

use crate::scenario::{l1_curve, ParamSpec};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Installs a panic hook so that a panic, should one still happen, reaches the console with its
/// message instead of an opaque `unreachable` trap.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a value to a plain JS object (maps become objects, not `Map`s).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Reads `{name: value}` from JS into the core's `(name, text)` pairs.
fn read_params(params: JsValue) -> Result<Vec<(String, String)>, JsError> {
    if params.is_undefined() || params.is_null() {
        return Ok(Vec::new());
    }
    let map: std::collections::BTreeMap<String, serde_json::Value> =
        serde_wasm_bindgen::from_value(params)
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

/// The parameters of the L1 capacity curve: name, meaning, unit, default and range of each.
#[wasm_bindgen(js_name = l1CurveParams)]
pub fn l1_curve_params() -> Result<JsValue, JsError> {
    to_js::<[ParamSpec; 4]>(&l1_curve::PARAMS)
}

/// Runs the L1 capacity curve with `params` (`{keys, skew, requests, points}`, any subset) and
/// `seed`; returns `{seed, params, points: [{capacity, hits, misses, hit_ratio}]}`.
#[wasm_bindgen(js_name = l1Curve)]
pub fn l1_curve(params: JsValue, seed: u64) -> Result<JsValue, JsError> {
    let curve =
        l1_curve::run(&read_params(params)?, seed).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&curve)
}

/// The same curve as JSON text, for comparing byte for byte with the native CLI.
#[wasm_bindgen(js_name = l1CurveJson)]
pub fn l1_curve_json(params: JsValue, seed: u64) -> Result<String, JsError> {
    let curve =
        l1_curve::run(&read_params(params)?, seed).map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&curve).map_err(|e| JsError::new(&e.to_string()))
}

/// The failure scenarios (`stampede`, `avalanche`, `penetration`): for each its name, what it
/// shows, its variants and its parameters (name, meaning, unit, default, range) for the page's form.
#[wasm_bindgen(js_name = scenarios)]
pub fn scenarios() -> Result<JsValue, JsError> {
    to_js(&crate::scenario::scenarios())
}

/// Runs scenario `name` with `params` (`{name: value}`, any subset) and `seed`; returns the
/// report `{scenario, seed, params, variants: [{name, summary, series, ...}]}`.
#[wasm_bindgen(js_name = runScenario)]
pub fn run_scenario(name: &str, params: JsValue, seed: u64) -> Result<JsValue, JsError> {
    let report = crate::scenario::run(name, &read_params(params)?, seed)
        .map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&report)
}

/// The same report as JSON text, byte for byte what `cachelab run NAME --json` prints.
#[wasm_bindgen(js_name = runScenarioJson)]
pub fn run_scenario_json(name: &str, params: JsValue, seed: u64) -> Result<String, JsError> {
    let report = crate::scenario::run(name, &read_params(params)?, seed)
        .map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&report).map_err(|e| JsError::new(&e.to_string()))
}

/// A benchmark case as the bench page lists it.
#[derive(Serialize)]
struct BenchCaseInfo {
    name: &'static str,
    group: &'static str,
    unit: &'static str,
    default_ops: u64,
}

/// The benchmark cases (see `cachelab::bench`), baselines first in each group.
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
