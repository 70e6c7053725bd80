//! The wasm build in a real browser (headless Chromium or Firefox), through the same exported
//! functions the page calls. Run by `cargo test --target wasm32-unknown-unknown` with
//! CHROMEDRIVER or GECKODRIVER set, or `wasm-pack test --headless --chrome` (or `--firefox`).
#![cfg(target_arch = "wasm32")]

#[path = "support/golden_cases.rs"]
mod golden_cases;

use cachelab::wasm;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Builds the `{name: value}` object the page passes.
fn js_params(pairs: &[(&str, &str)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v)).unwrap();
    }
    obj.into()
}

#[wasm_bindgen_test]
fn the_page_functions_give_the_native_golden_numbers() {
    let case = golden_cases::case("l1_curve.json");
    let json = wasm::l1_curve_json(js_params(case.params), case.seed).unwrap();
    assert_eq!(json, golden_cases::compact(case.expected));
}

#[wasm_bindgen_test]
fn bad_parameters_are_errors_not_panics() {
    assert!(wasm::l1_curve(js_params(&[("keys", "0")]), 1).is_err());
    assert!(wasm::l1_curve(js_params(&[("nope", "1")]), 1).is_err());
    assert!(wasm::l1_curve(JsValue::from_str("not an object"), 1).is_err());
    assert!(wasm::l1_curve(JsValue::UNDEFINED, 1).is_ok());
}

#[wasm_bindgen_test]
fn scenario_reports_from_the_page_functions_match_the_native_golden_json() {
    // Every golden scenario report (the L1 curve's files have no `scenario`).
    for case in golden_cases::cases() {
        let stored: serde_json::Value = serde_json::from_str(case.expected).unwrap();
        let Some(name) = stored["scenario"].as_str() else {
            continue;
        };
        let json = wasm::run_scenario_json(name, js_params(case.params), case.seed, None).unwrap();
        assert_eq!(json, golden_cases::compact(case.expected), "{}", case.file);
    }
}

#[wasm_bindgen_test]
fn scenario_exports_list_parameters_and_refuse_bad_input() {
    let list = wasm::scenarios().unwrap();
    let native = cachelab::scenario::scenarios().len();
    assert_eq!(js_sys::Array::from(&list).length() as usize, native);
    let quick = js_params(&[("duration_s", "1"), ("rate", "200")]);
    assert!(wasm::run_scenario("stampede", quick.clone(), 1, None)
        .unwrap()
        .is_object());
    let one = wasm::run_scenario("stampede", quick.clone(), 1, Some("lock".into())).unwrap();
    let variants = js_sys::Reflect::get(&one, &JsValue::from_str("variants")).unwrap();
    assert_eq!(js_sys::Array::from(&variants).length(), 1);
    assert!(wasm::run_scenario("stampede", js_params(&[("rate", "0")]), 1, None).is_err());
    assert!(wasm::run_scenario("nope", JsValue::UNDEFINED, 1, None).is_err());
    assert!(wasm::run_scenario("avalanche", JsValue::from_str("x"), 1, None).is_err());
    // Unknown names are errors that list what is allowed (a JsError's message is its `message`).
    for (params, variants, allowed) in [
        (js_params(&[("rtae", "5")]), None, "known: "),
        (
            quick,
            Some("lcok".to_string()),
            "known: chapter, none, lock, singleflight, xfetch, swr",
        ),
    ] {
        let err = wasm::scenario_start("stampede", params, 1, variants)
            .err()
            .unwrap();
        let message = js_sys::Reflect::get(&JsValue::from(err), &JsValue::from_str("message"))
            .unwrap()
            .as_string()
            .unwrap();
        assert!(message.contains(allowed), "{message}");
    }
}
