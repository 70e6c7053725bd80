//! Running the `cachelab` binary from an integration test, as a user would.
#![allow(dead_code)] // each suite uses the part it needs

use std::process::{Command, Output};

/// Runs `cachelab` with `args` and waits for it.
pub fn cachelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .output()
        .expect("run cachelab")
}

/// Runs `cachelab` with `args`, requires success (showing its stderr otherwise) and parses what
/// it printed as JSON.
pub fn cachelab_json(args: &[&str]) -> serde_json::Value {
    let out = cachelab(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}
