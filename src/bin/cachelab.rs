//! `cachelab`: the command-line face. It parses flags, calls the library and prints; nothing more.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
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
        }
    }
}
