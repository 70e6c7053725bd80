//! The policies and the `replayTrace` export under wasm (in Node): the same miss counts as
//! natively. Run by `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

#[path = "support/policy_cases.rs"]
mod policy_cases;

use cachelab::wasm;
use wasm_bindgen::{JsCast, JsValue};
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
        None,
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
    let refused = |data: JsValue, policies: &str| {
        wasm::replay_trace(data, policies.into(), "2".into(), None, None, None, None).is_err()
    };
    assert!(refused("".into(), "lru"));
    assert!(refused(JsValue::NULL, "lru"));
    assert!(refused(csv.into(), "nope"));
}

#[wasm_bindgen_test]
fn replay_trace_splits_the_misses_by_cause_when_asked() {
    let csv = "time,key,size\n1,1,10\n2,2,10\n3,3,10\n4,1,10\n5,2,10\n6,3,10\n";
    let report = wasm::replay_trace(
        csv.into(),
        "lru,belady".into(),
        "2".into(),
        None,
        None,
        None,
        Some(true),
    )
    .unwrap();
    let rows = js_sys::Array::from(&js_sys::Reflect::get(&report, &"rows".into()).unwrap());
    let field = |row: usize, name: &str| {
        js_sys::Reflect::get(&rows.get(row as u32), &name.into())
            .unwrap()
            .as_f64()
    };
    // A loop of 3 keys through 2 slots: LRU misses all 6 (3 compulsory, then 1 that Belady also
    // misses and 2 it hits); Belady misses 4.
    assert_eq!(field(0, "compulsory_misses"), Some(3.0));
    assert_eq!(field(0, "capacity_misses"), Some(1.0));
    assert_eq!(field(0, "policy_misses"), Some(2.0));
    assert_eq!(field(1, "policy_misses"), Some(0.0));
}

#[wasm_bindgen_test]
fn the_stepper_keeps_the_steps_and_hands_out_one_at_a_time() {
    let stepper = wasm::Stepper::new("lru", 2.0, "1 2 1 3", 1).unwrap();
    assert_eq!(stepper.keys(), [1.0, 2.0, 1.0, 3.0]);
    let step = stepper.at(3).unwrap();
    let evicted = js_sys::Array::from(&js_sys::Reflect::get(&step, &"evicted".into()).unwrap());
    assert_eq!(evicted.get(0).as_f64(), Some(2.0));
    assert!(stepper.at(4).is_err(), "past the last step");
    assert!(stepper.initial().is_ok());
    let presets = js_sys::Array::from(&wasm::step_presets().unwrap());
    assert_eq!(presets.length(), 4);
    assert_eq!(
        wasm::Stepper::new("sieve", 5.0, "loop", 1)
            .unwrap()
            .keys()
            .len(),
        18
    );
    for (size, keys) in [
        (0.0, "1"),
        (65.0, "1"),
        (2.5, "1"),
        (f64::NAN, "1"),
        (2.0, "x"),
    ] {
        assert!(
            wasm::Stepper::new("lru", size, keys, 1).is_err(),
            "{size} {keys}"
        );
    }
}

/// The bundled sample twice: as CSV text and as zstd-compressed oracleGeneral bytes.
const SAMPLE_CSV: &str = include_str!("../www/traces/cloudphysics.csv");
const SAMPLE_ZST: &[u8] = include_bytes!("../www/traces/cloudphysics.oracleGeneral.zst");

/// A report as the JSON text `JSON.stringify` makes of it.
fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
fn the_zst_sample_replays_as_its_csv_and_as_natively() {
    let replay = |data: JsValue| {
        let report = wasm::replay_trace(
            data,
            "lru,sieve,s3fifo".into(),
            "0.1".into(),
            None,
            None,
            None,
            None,
        )
        .unwrap();
        json(&report)
    };
    let from_csv = replay(SAMPLE_CSV.into());
    let from_zst = replay(js_sys::Uint8Array::from(SAMPLE_ZST).into());
    assert_eq!(from_csv, from_zst);
    // LRU at 10 % of the 48,974 keys: the native CLI's count (`cachelab replay ... --size 0.1`).
    assert!(
        from_zst.contains(r#""capacity":4897,"unit":"objects","requests":113872,"misses":91657"#),
        "{from_zst}"
    );
    let curves = wasm::lru_curve(js_sys::Uint8Array::from(SAMPLE_ZST).into(), None).unwrap();
    let curve = json(&curves);
    // Beside it, the line a streamed file gets, with its error against the exact curve.
    let sampled = field(&curves, "sampled");
    assert!(json(&sampled).contains(r#""label":"LRU, sampled (SHARDS, 10000 keys)""#));
    assert!(json(&field(&sampled, "note")).contains("(mean absolute error)"));
    // The dense curve from 1 object to every key; at all 48,974 keys only first requests miss.
    assert!(
        curve.contains(r#""curve":[{"capacity":1,"unit":"objects","miss_ratio":"#),
        "{curve}"
    );
    assert!(
        curve.contains(r#"{"capacity":48974,"unit":"objects","miss_ratio":0.430079387382324}"#),
        "{curve}"
    );
    let analysis =
        json(&wasm::analyze_trace(js_sys::Uint8Array::from(SAMPLE_ZST).into(), None).unwrap());
    assert!(
        analysis.contains(r#""one_hit_wonders":21049"#),
        "{analysis}"
    );
}

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &name.into()).unwrap()
}

/// `data` fed to a `TraceStream` in chunks of `chunk` bytes, read twice as the worker reads it:
/// the rows, the note on what was left out, and LRU's sampled line's curve.
fn streamed(data: &[u8], policies: &str, chunk: usize) -> (String, Option<String>, String) {
    let mut stream =
        wasm::TraceStream::new(policies.into(), "0.01,0.1".into(), None, None, Some(true)).unwrap();
    loop {
        for piece in data.chunks(chunk) {
            stream.push(piece).unwrap();
        }
        assert_eq!(stream.bytes(), data.len() as f64);
        if !stream.end_pass().unwrap() {
            break;
        }
    }
    let note = stream.left_out();
    let line = json(&field(&stream.lru_line().unwrap(), "report"));
    (json(&stream.finish().unwrap()), note, line)
}

#[wasm_bindgen_test]
fn a_stream_in_chunks_gives_the_rows_of_the_whole_file() {
    let whole = |data: JsValue, policies: &str| {
        json(
            &wasm::replay_trace(
                data,
                policies.into(),
                "0.01,0.1".into(),
                None,
                None,
                None,
                None,
            )
            .unwrap(),
        )
    };
    let zst_whole = whole(
        js_sys::Uint8Array::from(SAMPLE_ZST).into(),
        "lru,s3fifo,belady",
    );
    let csv_whole = whole(SAMPLE_CSV.into(), "lru,s3fifo");
    // LRU's sampled line, streamed, is the one the whole file's run draws beside the exact curve.
    let curves = wasm::lru_curve(js_sys::Uint8Array::from(SAMPLE_ZST).into(), None).unwrap();
    let sampled = json(&field(&field(&curves, "sampled"), "report"));
    assert!(sampled.contains(r#""sampled_keys":10000"#), "{sampled}");
    for chunk in [7, 4093, 65_537] {
        // The .zst sample records next accesses: Belady streams too.
        let (rows, note, line) = streamed(SAMPLE_ZST, "lru,s3fifo,belady", chunk);
        assert_eq!(rows, zst_whole, "zst in chunks of {chunk}");
        assert_eq!(note, None);
        assert_eq!(line, sampled, "LRU's line in chunks of {chunk}");
        if chunk == 7 {
            continue; // 2.3 MB of CSV seven bytes at a time: slow in Node, and the zst covers it
        }
        // The CSV does not: Belady is left out of its rows, and said so.
        let (rows, note, _) = streamed(SAMPLE_CSV.as_bytes(), "lru,s3fifo,belady", chunk);
        assert_eq!(rows, csv_whole, "csv in chunks of {chunk}");
        assert!(note.unwrap().contains("a CSV trace does not record"));
    }
    // Fields are named; a spent stream says so.
    let err = |e: wasm_bindgen::JsError| {
        JsValue::from(e)
            .unchecked_into::<js_sys::Error>()
            .message()
            .as_string()
            .unwrap()
    };
    let bad = wasm::TraceStream::new("lru".into(), "2x".into(), None, None, None);
    assert!(err(bad.err().unwrap()).contains("size"));
    let bad = wasm::TraceStream::new(
        "lru".into(),
        "0.1".into(),
        Some("parquet".into()),
        None,
        None,
    );
    assert!(err(bad.err().unwrap()).contains("trace format"));
    let mut stream = wasm::TraceStream::new("lru".into(), "0.1".into(), None, None, None).unwrap();
    assert!(err(stream.finish().unwrap_err()).contains("not replayed yet"));
}
