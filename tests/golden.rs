//! Golden reports: the exact JSON the core produces for fixed parameters and seeds.
//!
//! The wasm suites (`tests/node.rs`, `tests/web.rs`) check the same files, so a pass on both sides
//! proves that native and WebAssembly builds give identical numbers for the same seed. After an
//! intended change of the numbers, rewrite them with `CACHELAB_BLESS=1 cargo test --test golden`
//! and review the diff.

#[path = "support/golden_cases.rs"]
mod golden_cases;

#[test]
fn every_report_matches_its_golden_file() {
    let bless = std::env::var_os("CACHELAB_BLESS").is_some();
    for case in golden_cases::cases() {
        let actual = case.actual();
        if bless {
            let path = format!("{}/tests/golden/{}", env!("CARGO_MANIFEST_DIR"), case.file);
            std::fs::write(path, &actual).expect("write golden file");
        } else {
            assert_eq!(
                actual, case.expected,
                "{} differs from its golden file",
                case.file
            );
        }
    }
}
