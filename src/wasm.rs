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

/// The capacity curve as a stepped run: the page's worker calls `step()` until it returns 1,
/// posting the progress after each step, then `finish()` for the same object `l1Curve` returns.
#[wasm_bindgen]
pub struct L1CurveRun(Option<l1_curve::CurveRun>);

/// Starts a stepped capacity curve (see [`L1CurveRun`]).
#[wasm_bindgen(js_name = l1CurveStart)]
pub fn l1_curve_start(params: JsValue, seed: u64) -> Result<L1CurveRun, JsError> {
    let run = l1_curve::CurveRun::new(&read_params(params)?, seed)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(L1CurveRun(Some(run)))
}

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

/// The same curve as JSON text, for comparing byte for byte with the native CLI.
#[wasm_bindgen(js_name = l1CurveJson)]
pub fn l1_curve_json(params: JsValue, seed: u64) -> Result<String, JsError> {
    let curve =
        l1_curve::run(&read_params(params)?, seed).map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&curve).map_err(|e| JsError::new(&e.to_string()))
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

/// The Redis console over the L2 model, for the page: `exec(line)` answers as `redis-cli
/// --no-raw` prints, `advance(ms)` moves simulated time, `keys()` lists `{key, type, ttl_ms}`.
#[wasm_bindgen]
pub struct Console(crate::tiers::l2::Console);

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
}
