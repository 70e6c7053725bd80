//! `cachelab`: the command-line face. It parses flags, calls the library and prints; nothing more.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use cachelab::bench;
    use cachelab::policy::replay::{self, Experiment};
    use cachelab::scenario::{l1_curve, split_assignment};
    use cachelab::workload::TraceFormat;
    use clap::{Parser, Subcommand};
    use std::process::ExitCode;

    #[derive(Parser)]
    #[command(
        name = "cachelab",
        version,
        about = "A cache laboratory on simulated time"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Hit ratio of an LRU L1 against its capacity, for a seeded Zipf workload.
        Curve {
            /// A parameter, as NAME=VALUE (repeatable): keys, skew, requests, points.
            #[arg(long = "set", value_name = "NAME=VALUE")]
            set: Vec<String>,
            /// The seed of the workload.
            #[arg(long, default_value_t = 1)]
            seed: u64,
            /// Print the result as JSON instead of a table.
            #[arg(long)]
            json: bool,
        },
        /// Replay a request trace through eviction policies and print their misses.
        Replay {
            /// The trace file (CSV `time,key,size`, libCacheSim oracleGeneral, or one key a line).
            trace: std::path::PathBuf,
            /// Policies, comma-separated (lru, fifo, clock, sieve, s3fifo, lfu, arc, wtinylfu,
            /// belady), or `all`.
            #[arg(long, default_value = "lru,fifo,clock,sieve,s3fifo,lfu,arc")]
            policy: String,
            /// Cache sizes, comma-separated: fractions of the unique keys (`0.05`), objects
            /// (`5000`) or bytes (`64MiB`).
            #[arg(long, default_value = "0.01,0.05,0.1,0.2", conflicts_with = "mrc")]
            size: String,
            /// A miss-ratio curve: 16 sizes from 0.1 % to 100 % of the unique keys.
            #[arg(long)]
            mrc: bool,
            /// Fractions are of the unique bytes (byte-mode capacities) instead of unique keys.
            #[arg(long)]
            bytes: bool,
            /// The trace's format: csv, oracle or text (default: from the file's extension).
            #[arg(long)]
            format: Option<String>,
            /// Print the report as JSON instead of a table.
            #[arg(long)]
            json: bool,
        },
        /// Time the benchmark workloads and print each as a ratio to its group's baseline.
        Bench {
            /// Run only cases whose name contains this text.
            #[arg(long, default_value = "")]
            filter: String,
            /// Multiply every case's default amount of work (0.01 to 100).
            #[arg(long, default_value_t = 1.0)]
            scale: f64,
            /// Print the results as JSON.
            #[arg(long)]
            json: bool,
        },
    }

    pub fn main() -> ExitCode {
        match run(Cli::parse()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        }
    }

    fn run(cli: Cli) -> Result<(), String> {
        match cli.command {
            Command::Curve { set, seed, json } => {
                let given = set
                    .iter()
                    .map(|s| split_assignment(s))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let curve = l1_curve::run(&given, seed).map_err(|e| e.to_string())?;
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&curve).map_err(|e| e.to_string())?
                    );
                } else {
                    println!(
                        "{:>10} {:>10} {:>10} {:>9}",
                        "capacity", "hits", "misses", "hit ratio"
                    );
                    for p in &curve.points {
                        println!(
                            "{:>10} {:>10} {:>10} {:>9.4}",
                            p.capacity, p.hits, p.misses, p.hit_ratio
                        );
                    }
                }
                Ok(())
            }
            Command::Bench {
                filter,
                scale,
                json,
            } => run_benchmarks(&filter, scale, json),
            Command::Replay {
                trace,
                policy,
                size,
                mrc,
                bytes,
                format,
                json,
            } => {
                let sizes = if mrc { "mrc" } else { size.as_str() };
                let experiment =
                    Experiment::parse(&policy, sizes, bytes).map_err(|e| e.to_string())?;
                let name = trace.display().to_string();
                let format = match format {
                    Some(f) => TraceFormat::parse(&f).map_err(|e| e.to_string())?,
                    None => TraceFormat::from_file_name(&name),
                };
                let open = || {
                    std::fs::File::open(&trace)
                        .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
                        .map_err(|e| cachelab::Error::Parse {
                            what: name.clone(),
                            detail: e.to_string(),
                        })
                };
                let report =
                    replay::run(&name, format, open, &experiment).map_err(|e| e.to_string())?;
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&report).map_err(|e| e.to_string())?
                    );
                } else {
                    println!(
                        "{}: {} requests, {} unique keys",
                        report.trace, report.requests, report.unique_keys
                    );
                    println!(
                        "{:<10} {:>14} {:>8} {:>10} {:>10} {:>10}",
                        "policy", "capacity", "unit", "misses", "miss ratio", "byte miss"
                    );
                    for r in &report.rows {
                        println!(
                            "{:<10} {:>14} {:>8} {:>10} {:>10.4} {:>10.4}",
                            r.policy, r.capacity, r.unit, r.misses, r.miss_ratio, r.byte_miss_ratio
                        );
                    }
                }
                Ok(())
            }
        }
    }

    /// Times each case once after a short warm-up. Wall-clock time is read here, in the face,
    /// never in the library.
    fn run_benchmarks(filter: &str, scale: f64, json: bool) -> Result<(), String> {
        if !(0.01..=100.0).contains(&scale) {
            return Err(format!(
                "--scale must be between 0.01 and 100 (got {scale})"
            ));
        }
        let mut rows = Vec::new();
        let mut baseline: Option<(&str, f64)> = None;
        for case in bench::cases() {
            let is_baseline = baseline.is_none_or(|(group, _)| group != case.group);
            if !case.name.contains(filter) && !is_baseline {
                continue;
            }
            let ops = ((case.default_ops as f64 * scale) as u64).max(1);
            (case.run)((ops / 10).max(1));
            let start = std::time::Instant::now();
            let checksum = (case.run)(ops);
            let per_sec = ops as f64 / start.elapsed().as_secs_f64().max(1e-9);
            // The group's first case is its baseline, measured in this same run.
            if is_baseline {
                baseline = Some((case.group, per_sec));
            }
            let base = baseline.map_or(per_sec, |(_, rate)| rate);
            if !case.name.contains(filter) {
                continue;
            }
            let ratio = per_sec / base;
            if !json {
                println!(
                    "{:<28} {:>14.0} {}/s  {:>6.2}x baseline  (checksum {checksum})",
                    case.name, per_sec, case.unit, ratio
                );
            }
            rows.push(
                serde_json::json!({"name": case.name, "group": case.group, "unit": case.unit,
                "ops": ops, "per_sec": per_sec, "ratio_to_baseline": ratio, "checksum": checksum}),
            );
        }
        if json {
            println!("{}", serde_json::Value::Array(rows));
        }
        Ok(())
    }
}
