//! How far the sampled miss-ratio curves fall from the full ones on a trace, over several
//! samples (the README's SHARDS and MiniSim table comes from this program).
//!
//! ```sh
//! cargo run --release --example mrc_error -- www/traces/cloudphysics.csv 20 0.01 8192
//! ```
//! Arguments: the trace, the number of seeds (samples), the rate, and the fixed sample size.
//! For each method it prints the mean absolute error over the 16 sizes of `replay --mrc` —
//! against the exact LRU curve for SHARDS, against a full replay for MiniSim — at seed 0, and
//! its mean, standard deviation, least and greatest over the seeds, with the keys the samples
//! held.

use cachelab::policy::mrc::{self, Adjustment, Method, Sampler};
use cachelab::workload::ReadOptions;
use std::num::NonZeroU64;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, seeds, rate, keys] = args.as_slice() else {
        eprintln!("usage: mrc_error TRACE SEEDS RATE SAMPLE_KEYS");
        std::process::exit(2);
    };
    let seeds: u64 = seeds.parse().expect("SEEDS: a count");
    let rate: f64 = rate.parse().expect("RATE: a number in (0, 1]");
    let keys = NonZeroU64::new(keys.parse().expect("SAMPLE_KEYS: a count")).expect("at least 1");
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open the trace"));
    let trace = cachelab::policy::sweep::decode_file(path, ReadOptions::default(), file)
        .expect("a readable trace");
    let sizes = mrc::sizes_or_default(None);
    let points = |policy: &str, method: Method| {
        mrc::curve(path, &trace, policy, method, &sizes, false, 2)
            .expect("a curve")
            .points
    };
    println!(
        "{path}: {} requests, {} keys; {seeds} seeds",
        trace.len(),
        trace.unique()
    );
    let at = Sampler { rate, seed: 0 };
    let full = Sampler { rate: 1.0, seed: 0 };
    let exact = points("lru", Method::Exact);
    let mut rows: Vec<(String, &str, Method)> = [Adjustment::Strata, Adjustment::Adj]
        .into_iter()
        .chain([Adjustment::None])
        .map(|a| {
            let label = format!("SHARDS {rate}, {}", a.name());
            (label, "lru", Method::ShardsRate(at, a))
        })
        .collect();
    for adjustment in [Adjustment::Adj, Adjustment::None] {
        let method = Method::ShardsSize {
            keys,
            seed: 0,
            adjustment,
        };
        rows.push((
            format!("SHARDS {keys} keys, {}", adjustment.name()),
            "lru",
            method,
        ));
    }
    for adjustment in [Adjustment::Strata, Adjustment::Adj] {
        for policy in ["sieve", "s3fifo", "arc"] {
            let label = format!("MiniSim {rate}, {}, {policy}", adjustment.name());
            rows.push((label, policy, Method::MiniSim(at, adjustment)));
        }
    }
    for (label, policy, method) in rows {
        let truth = match method {
            Method::MiniSim(..) => points(policy, Method::MiniSim(full, Adjustment::Adj)),
            _ => exact.clone(),
        };
        let s =
            mrc::error_spread(&trace, policy, method, &sizes, &truth, seeds).expect("the curves");
        println!(
            "{label:28} seed 0 {:.4}; over seeds mean {:.4} sd {:.4} min {:.4} max {:.4}; keys {:.0} ± {:.0}",
            s.errors[0], s.mean, s.sd, s.min, s.max, s.sampled_keys, s.sampled_keys_sd
        );
    }
}
