//! The policies and the `replayTrace` export under wasm (in Node): the same miss counts as
//! natively. Run by `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

#[path = "support/policy_cases.rs"]
mod policy_cases;

use cachelab::wasm;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn miss_counts_are_the_native_ones() {
    policy_cases::assert_pinned();
}

#[wasm_bindgen_test]
fn replay_trace_reads_text_and_bytes_and_reports_errors() {
    let csv = "time,key,size\n1,1,10\n2,2,10\n3,1,10\n4,3,10\n5,1,10\n";
    let get = |value: &JsValue, path: &[&str]| {
        path.iter().fold(value.clone(), |v, key| {
            js_sys::Reflect::get(&v, &JsValue::from_str(key)).unwrap()
        })
    };
    let calls = js_sys::Array::new();
    let record =
        js_sys::Function::new_with_args("done, total", "this.push([done, total])").bind0(&calls);
    let from_text = wasm::replay_trace(
        csv.into(),
        "lru,fifo".into(),
        "2".into(),
        None,
        None,
        Some(record),
    )
    .unwrap();
    assert_eq!(
        calls.length(),
        1,
        "one progress report at the end of a 5-request trace"
    );
    let bytes = js_sys::Uint8Array::from(csv.as_bytes());
    let from_bytes = wasm::replay_trace(
        bytes.into(),
        "lru,fifo".into(),
        "2".into(),
        None,
        None,
        None,
    )
    .unwrap();
    for report in [&from_text, &from_bytes] {
        assert_eq!(get(report, &["unique_keys"]).as_f64(), Some(3.0));
        let rows = js_sys::Array::from(&get(report, &["rows"]));
        assert_eq!(get(&rows.get(0), &["misses"]).as_f64(), Some(3.0));
        assert_eq!(get(&rows.get(1), &["misses"]).as_f64(), Some(4.0));
    }
    let names = js_sys::Array::from(&wasm::policies().unwrap());
    assert_eq!(names.length(), 9);
    assert!(wasm::replay_trace("".into(), "lru".into(), "2".into(), None, None, None).is_err());
    assert!(wasm::replay_trace(JsValue::NULL, "lru".into(), "2".into(), None, None, None).is_err());
    assert!(wasm::replay_trace(csv.into(), "nope".into(), "2".into(), None, None, None).is_err());
}
