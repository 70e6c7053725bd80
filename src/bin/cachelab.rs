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
    use cachelab::scenario::{l1_curve, split_assignment};
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
        /// A Redis console on the L2 model: reads commands from standard input, one per line,
        /// and prints each reply exactly as `redis-cli --no-raw` would.
        Console {
            /// Seed of the model's randomness (expiry and eviction sampling).
            #[arg(long, default_value_t = 0)]
            seed: u64,
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
            Command::Console { seed } => run_console(seed),
        }
    }

    /// Feeds standard input to a console line by line; raw bytes in and out, as redis-cli.
    fn run_console(seed: u64) -> Result<(), String> {
        use std::io::{BufRead, Write};
        let config = cachelab::tiers::l2::L2Config {
            seed,
            ..Default::default()
        };
        let mut console =
            cachelab::tiers::l2::Console::with_l2(cachelab::tiers::L2::with_config(config));
        let mut input = std::io::stdin().lock();
        let mut output = std::io::stdout().lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            if input
                .read_until(b'\n', &mut line)
                .map_err(|e| e.to_string())?
                == 0
            {
                return Ok(());
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let out = console.line(text);
            output.write_all(&out.text).map_err(|e| e.to_string())?;
            if out.quit {
                return Ok(());
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
