//! The JavaScript face: thin `#[wasm_bindgen]` wrappers that validate, call the core and convert
//! results with serde. No logic lives here, and nothing here may panic: every export returns
//! `Result<_, JsError>` with the core's message.

use crate::policy::{replay, POLICY_NAMES};
use crate::scenario::{l1_curve, ParamSpec};
use crate::workload::TraceFormat;
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

/// The eviction policies `replayTrace` knows, by name.
#[wasm_bindgen]
pub fn policies() -> Result<JsValue, JsError> {
    to_js(&POLICY_NAMES)
}

/// Replays a trace (CSV text as a string, or the file's bytes as a `Uint8Array`) through
/// `policies` (`"lru,sieve"`, or `"all"`) at `sizes` (`"0.01,0.05"`, `"5000"`, `"64MiB"`, or
/// `"mrc"`); `format` is `csv` (the default), `oracle` or `text`, and `bytes` makes fractions
/// count bytes. `onProgress(done, total)`, if given, is called every 65,536 requests and at the
/// end (errors it throws are ignored). Returns `{trace, requests, unique_keys, rows: [{policy,
/// capacity, unit, requests, misses, miss_ratio, byte_miss_ratio}]}`.
#[wasm_bindgen(js_name = replayTrace)]
pub fn replay_trace(
    data: JsValue,
    policies: String,
    sizes: String,
    format: Option<String>,
    bytes: Option<bool>,
    on_progress: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    let data: Vec<u8> = if let Some(text) = data.as_string() {
        text.into_bytes()
    } else if data.is_instance_of::<js_sys::Uint8Array>() {
        js_sys::Uint8Array::new(&data).to_vec()
    } else {
        return Err(JsError::new(
            "the trace must be a string (CSV or text) or a Uint8Array (any format)",
        ));
    };
    let core = |e: crate::Error| JsError::new(&e.to_string());
    let format = match format {
        Some(name) => TraceFormat::parse(&name).map_err(core)?,
        None => TraceFormat::Csv,
    };
    let experiment =
        replay::Experiment::parse(&policies, &sizes, bytes.unwrap_or(false)).map_err(core)?;
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
    let report = replay::run_with_progress("local trace", format, open, &experiment, &mut progress)
        .map_err(core)?;
    to_js(&report)
}

/// Runs the benchmark case `name` (see `bench::cases`) for `ops` units of work and returns its
/// checksum; the caller times it with `performance.now()` (the core never reads a clock).
#[wasm_bindgen(js_name = runBenchCase)]
pub fn run_bench_case(name: String, ops: u64) -> Result<u64, JsError> {
    let case = crate::bench::find(&name)
        .ok_or_else(|| JsError::new(&format!("unknown benchmark case `{name}`")))?;
    Ok((case.run)(ops))
}
