//! The `policy` benchmark group, timed robustly: every case runs `--rounds` times (default 7),
//! interleaved, and each keeps its best time, so that a busy shared machine (whose load shifts
//! from one second to the next) distorts the ratios far less than one run of `cachelab bench`.
//!
//! ```sh
//! cargo run --release --example policy_bench            # all policy cases
//! cargo run --release --example policy_bench -- sieve   # the baseline and cases containing "sieve"
//! cargo run --release --example policy_bench -- '' ../shared/traces/zipf.csv   # on a trace file
//! ```
//!
//! Without a trace file the cases replay the synthetic Zipf stand-in (see `cachelab::bench`).
//!
//! Wall-clock time is read here, in a face, never in the library.

use cachelab::bench;
use std::time::Instant;

/// Requests per timed run: three passes over the benchmark's million-request trace.
const OPS: u64 = 3_000_000;
const ROUNDS: usize = 7;

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    if let Some(path) = std::env::args().nth(2) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| exit(&format!("{path}: {e}")));
        bench::use_policy_trace(&path, &bytes).unwrap_or_else(|e| exit(&format!("{path}: {e}")));
    }
    println!("trace: {}", bench::policy_trace_name());
    let cases: Vec<_> = bench::cases()
        .into_iter()
        .filter(|c| c.group == "policy")
        .enumerate()
        .filter(|(i, c)| *i == 0 || c.name.contains(&filter))
        .map(|(_, c)| c)
        .collect();
    for case in &cases {
        (case.run)(OPS / 30); // warm-up: builds the trace once and touches the code
    }
    let mut best = vec![f64::MAX; cases.len()];
    for _ in 0..ROUNDS {
        for (case, best) in cases.iter().zip(best.iter_mut()) {
            let start = Instant::now();
            std::hint::black_box((case.run)(OPS));
            *best = best.min(start.elapsed().as_secs_f64());
        }
    }
    let baseline = best[0];
    for (case, seconds) in cases.iter().zip(&best) {
        println!(
            "{:<20} {:>7.1} M requests/s {:>6.2}x baseline",
            case.name,
            OPS as f64 / seconds / 1e6,
            baseline / seconds
        );
    }
}

fn exit(message: &str) -> ! {
    eprintln!("policy_bench: {message}");
    std::process::exit(2)
}
