//! The body of the fuzz target (`fuzz/fuzz_targets/l2_exec.rs`) and of its stable-Rust
//! stand-in (`tests/l2_fuzz_corpus.rs`): arbitrary bytes become a model configuration and
//! console lines, and the model's invariants are checked after every line.

use super::{split_args, Console, L2Config, MaxmemoryPolicy, L2};

/// Runs `data` through a console: the first byte picks the eviction policy and a small
/// `maxmemory` (so that eviction and OOM paths run too), the rest is split into lines.
/// Panics if a line panics or an invariant breaks — which is what a fuzzer looks for.
///
/// ```
/// cachelab::tiers::l2::fuzz_console(b"\x03SET a 1 PX 5\nDEBUG SLEEP 1\nGET a\nZADD z 1 \"m\"");
/// ```
pub fn fuzz_console(data: &[u8]) {
    let Some((&setup, script)) = data.split_first() else {
        return;
    };
    let policy = MaxmemoryPolicy::ALL[(setup & 7) as usize];
    let maxmemory = if setup & 8 == 0 { 0 } else { 2_000 };
    let mut console = Console::with_l2(L2::with_config(L2Config {
        policy,
        maxmemory,
        max_value_len: 4_096,
        seed: setup as u64,
        ..L2Config::default()
    }));
    for line in script.split(|&b| b == b'\n') {
        let out = console.line(line);
        let l2 = console.l2();
        assert!(l2.key_rows().len() as u64 <= l2.dbsize());
        // Every line but a blank one prints something; INFO of an unknown section prints "",
        // also when repeated (`3 INFO x`).
        let silent_ok = match split_args(line) {
            Ok(args) => {
                args.is_empty() || args.iter().take(2).any(|a| a.eq_ignore_ascii_case(b"info"))
            }
            Err(_) => false,
        };
        assert!(out.quit || silent_ok || !out.text.is_empty());
        if out.quit {
            break;
        }
    }
}
