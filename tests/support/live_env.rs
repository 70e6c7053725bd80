//! What the live suites (`tests/redis_live.rs`, `redis_scenarios.rs`, `redis_faults.rs`) share:
//! turns at measuring in real time, parameters, and the keys a run left behind.
#![allow(dead_code)] // each suite uses the part it needs

use cachelab::redis::{connect, monitor, Target};
use cachelab::scenario::{Report, VariantReport};
use std::sync::{Mutex, MutexGuard};

static TURN: Mutex<()> = Mutex::new(());

/// This test's turn to measure in real time: the suite's tests take turns, so that one's
/// measurements do not share the machine's cores with another's.
pub fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// `--set` pairs as `Live::run` takes them.
pub fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The variant called `name` of `report`.
pub fn variant<'a>(report: &'a Report, name: &str) -> &'a VariantReport {
    report.variants.iter().find(|v| v.name == name).unwrap()
}

/// Keys matching the glob `pattern` on the server (or every master of the cluster) at `url`.
pub fn keys_left(url: &str, pattern: &str) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = connect(&url.parse::<Target>().unwrap(), 1).await.unwrap();
        let listing = monitor::list_keys(&mut conn, pattern, 1_000).await.unwrap();
        listing.keys.len()
    })
}
