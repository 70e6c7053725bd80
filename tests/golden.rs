//! Golden reports: the exact JSON the core produces for fixed parameters and seeds, one test per
//! case (named after it) and one field a line in the files.
//!
//! The wasm suites (`tests/node.rs`, `tests/web.rs`) check the same files, so a pass on both sides
//! proves that native and WebAssembly builds give identical numbers for the same seed. After an
//! intended change of the numbers, rewrite them with `CACHELAB_BLESS=1 cargo test --test golden`
//! and review the diff (`git diff tests/golden`).

#[macro_use]
#[path = "support/golden_cases.rs"]
mod golden_cases;

/// Compares what the core produces now with the case's file, or rewrites the file under
/// `CACHELAB_BLESS`.
fn check(case: &golden_cases::GoldenCase) {
    let actual = case.actual();
    if std::env::var_os("CACHELAB_BLESS").is_some() {
        let path = format!("{}/tests/golden/{}", env!("CARGO_MANIFEST_DIR"), case.file);
        std::fs::write(path, &actual).expect("write golden file");
        return;
    }
    // Line by line, so that a failure shows the first field that differs rather than two
    // screens of JSON.
    for (n, (got, stored)) in actual.lines().zip(case.expected.lines()).enumerate() {
        assert_eq!(
            got,
            stored,
            "{} differs from its golden file at line {} (re-bless with CACHELAB_BLESS=1 if intended)",
            case.file,
            n + 1
        );
    }
    assert_eq!(actual, case.expected, "{} differs in length", case.file);
}

golden_case_tests!(test, check);
