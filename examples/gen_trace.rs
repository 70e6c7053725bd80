//! Writes a synthetic Zipf trace in libCacheSim's oracleGeneral format, for measuring the trace
//! tools at scale (a real-sized trace is too large to keep in the repository).
//!
//! ```sh
//! cargo run --release --example gen_trace -- 20000000 10000000 0.8 /tmp/big.oracleGeneral
//! ```
//! Arguments: requests, keys, Zipf skew, output path. Every request has size 4000 and its index
//! as time; the seed is fixed (1), so the same arguments write the same bytes.

use cachelab::workload::{write_oracle, Pattern, Request, Synthetic};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [requests, keys, skew, out] = args.as_slice() else {
        eprintln!("usage: gen_trace REQUESTS KEYS SKEW OUT");
        std::process::exit(2);
    };
    let number = |s: &str| {
        s.parse::<u64>()
            .unwrap_or_else(|_| panic!("{s} is not a count"))
    };
    let pattern = Pattern::Zipf {
        keys: number(keys),
        skew: skew.parse().expect("a skew"),
    };
    let trace: Vec<Request> = Synthetic::new(pattern, number(requests), 1)
        .expect("a valid pattern")
        .enumerate()
        .map(|(i, r)| Request {
            time: i as u64,
            size: 4000,
            ..r
        })
        .collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).expect("create the output"));
    write_oracle(&mut file, &trace).expect("write the trace");
}
