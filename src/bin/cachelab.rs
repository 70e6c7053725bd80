//! `cachelab`: the command-line face. It parses flags, calls the library and prints; nothing more.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    stop_quietly_on_closed_pipe();
    cli::main()
}

/// Rust starts programs with SIGPIPE ignored, so printing into a closed pipe (`cachelab run
/// stampede --json | head -c 100`) makes `println!` panic. A command-line tool should stop there
/// without a word, as `cat` or `grep` do: restore the default action.
#[cfg(all(unix, not(target_arch = "wasm32")))]
fn stop_quietly_on_closed_pipe() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13; // the same number on Linux and macOS
    const SIG_DFL: usize = 0;
    // SAFETY: installing the default disposition for one signal at start-up, before any thread
    // exists, is what the C runtime itself does for every program it starts.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[cfg(all(not(unix), not(target_arch = "wasm32")))]
fn stop_quietly_on_closed_pipe() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use cachelab::bench;
    use cachelab::course;
    use cachelab::policy::replay::Experiment;
    use cachelab::policy::{classes, mrc, step, sweep, Access};
    use cachelab::scenario::{self, l1_curve, split_assignment};
    use cachelab::workload::{analyze, CsvOptions, DecodedTrace, ReadOptions};
    use cachelab::workload::{TraceFormat, TraceReader};
    use clap::{Args, Parser, Subcommand};
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

    /// What every experiment takes: parameters, a seed and the output form.
    #[derive(Args)]
    struct RunArgs {
        /// A parameter, as NAME=VALUE (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// The seed of the run.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the result as JSON instead of a table.
        #[arg(long)]
        json: bool,
    }

    /// `cachelab live`'s flags.
    #[derive(Args)]
    struct LiveArgs {
        /// The scenario: any of `cachelab scenarios` (each says how it maps what only the
        /// simulator has — the database, a crash, a deploy — onto the real server).
        /// Ctrl-C stops the run and removes its keys.
        scenario: String,
        /// The server: redis[s]://[user[:password]@]host[:port][/db], or several such URLs,
        /// comma-separated, for the nodes of a Redis Cluster. A password is never printed.
        #[arg(long, value_name = "URL")]
        redis_url: String,
        /// Connections to open to the server (1 to 64).
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Also run the simulation with the same parameters and print both, with the relative
        /// differences of database queries, hit ratio and p99.
        #[arg(long)]
        compare: bool,
        /// Run only these variants (comma-separated or repeated; default: all).
        #[arg(long = "variant", value_name = "NAME", value_delimiter = ',')]
        variants: Vec<String>,
        #[command(flatten)]
        args: RunArgs,
    }

    /// Which trace, and how to read it.
    #[derive(Args)]
    struct TraceArgs {
        /// The trace file: CSV, libCacheSim oracleGeneral, or one key a line, each possibly
        /// zstd-compressed (`.oracleGeneral.zst`, `.bin.zst`).
        trace: std::path::PathBuf,
        /// The trace's format: csv, oracle or text (default: from the file's name, else its
        /// first bytes; zstd compression is always recognised by its first bytes).
        #[arg(long)]
        format: Option<String>,
        /// CSV columns and options, as libCacheSim's `-t` takes them: "time-col=1,
        /// obj-id-col=2, obj-size-col=3, has-header=true, delimiter=,, obj-id-is-num=true".
        #[arg(long, value_name = "PARAMS")]
        trace_params: Option<String>,
    }

    impl TraceArgs {
        fn name(&self) -> String {
            self.trace.display().to_string()
        }

        fn options(&self) -> Result<ReadOptions, String> {
            let format = self
                .format
                .as_deref()
                .map(TraceFormat::parse)
                .transpose()
                .map_err(|e| e.to_string())?;
            let csv = match &self.trace_params {
                Some(text) => CsvOptions::parse(text).map_err(|e| e.to_string())?,
                None => CsvOptions::default(),
            };
            Ok(ReadOptions { format, csv })
        }

        fn open(&self) -> Result<std::io::BufReader<std::fs::File>, cachelab::Error> {
            std::fs::File::open(&self.trace)
                .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
                .map_err(|e| cachelab::Error::Parse {
                    what: self.name(),
                    detail: e.to_string(),
                })
        }

        fn decode(&self) -> Result<DecodedTrace, String> {
            let input = self.open().map_err(|e| e.to_string())?;
            sweep::decode_file(&self.name(), self.options()?, input).map_err(|e| e.to_string())
        }
    }

    fn threads(given: Option<usize>) -> Result<usize, String> {
        given.map_or(Ok(sweep::default_threads()), |n| {
            sweep::check_threads(n).map_err(|e| e.to_string())
        })
    }

    #[derive(Subcommand)]
    enum Command {
        /// Hit ratio of an LRU L1 against its capacity, for a seeded Zipf workload
        /// (parameters: keys, skew, requests, points).
        Curve(RunArgs),
        /// Define a term the lessons use (p99, Belady, lease, Bloom filter, …), or list them all.
        Glossary {
            /// The term (an id such as `bloom-filter`, or a spelling such as `Bloom filter`).
            term: Option<String>,
            /// Print the entries as JSON.
            #[arg(long)]
            json: bool,
        },
        /// List the failure scenarios with their parameters and variants.
        Scenarios {
            /// Print the list as JSON.
            #[arg(long)]
            json: bool,
        },
        /// Replay a request trace through eviction policies and print their misses.
        Replay {
            #[command(flatten)]
            input: TraceArgs,
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
            /// Threads for the caches of the sweep (default: every core).
            #[arg(long)]
            threads: Option<usize>,
            /// Stream the trace from the file twice instead of parsing it once into memory
            /// (one thread; for traces larger than memory, which are streamed anyway).
            #[arg(long)]
            stream: bool,
            /// Also split each row's misses into compulsory (first request of a key), capacity
            /// (Belady at the same size misses too) and policy (Belady hits); holds the trace in
            /// memory and replays it again per row.
            #[arg(long)]
            classes: bool,
            /// Print the report as JSON instead of a table.
            #[arg(long)]
            json: bool,
        },
        /// Step through a small cache one request at a time: hit or miss, what was inserted and
        /// evicted, the rule that chose each victim, and the policy's whole state after it.
        Step {
            /// The keys: a trace file (its first requests, at most 2000), keys typed inline
            /// ("1 2 3 1 4" or "1,2,3"), or a ready-made sequence: loop, scan, zipf,
            /// one-hit-wonders.
            trace: String,
            /// The policy (lru, fifo, clock, sieve, s3fifo, lfu, arc, wtinylfu, belady).
            #[arg(long)]
            policy: String,
            /// The cache size in objects (1 to 64).
            #[arg(long)]
            size: u64,
            /// The seed of a random ready-made sequence (zipf).
            #[arg(long, default_value_t = 1)]
            seed: u64,
            /// Print the steps as JSON (one entry per request) instead of text.
            #[arg(long)]
            json: bool,
        },
        /// A miss-ratio curve in one pass: exact LRU stack distances, SHARDS sampling, or
        /// MiniSim's scaled-down simulations for any policy.
        Mrc {
            #[command(flatten)]
            input: TraceArgs,
            /// The policy (exact and shards are for lru).
            #[arg(long, default_value = "lru")]
            policy: String,
            /// exact (LRU), shards (LRU, sampled) or minisim (any policy, sampled); default:
            /// exact for lru, minisim otherwise.
            #[arg(long)]
            method: Option<String>,
            /// The sampling rate of shards and minisim, above 0 and at most 1 (default: 0.01,
            /// raised to sample about 10,000 keys).
            #[arg(long)]
            rate: Option<f64>,
            /// SHARDS at a fixed size: track at most this many keys (instead of --rate).
            #[arg(long, conflicts_with = "rate")]
            sample_keys: Option<u64>,
            /// SHARDS' adjustment: none, adj (the paper's SHARDS-adj) or strata (fixed rate
            /// only: each sampled key weighs the keys of its popularity); default: strata at a
            /// fixed rate, adj at a fixed size.
            #[arg(long)]
            adjust: Option<String>,
            /// Which spatial sample shards and minisim take (the hash's seed); another seed is
            /// another sample, and the spread of the curves over seeds is the sampling error.
            #[arg(long, default_value_t = 0)]
            seed: u64,
            /// Sizes, as `replay --size` takes them (default: the 16 sizes of `replay --mrc`).
            #[arg(long)]
            size: Option<String>,
            /// Fractions are of the unique bytes (minisim only).
            #[arg(long)]
            bytes: bool,
            /// Threads for minisim's caches (default: every core).
            #[arg(long)]
            threads: Option<usize>,
            /// Print the report as JSON (with a 200-point curve) instead of a table.
            #[arg(long)]
            json: bool,
        },
        /// What a trace is made of: keys, bytes, one-hit wonders, popularity and its Zipf
        /// exponent, reuse distances, the working set over time, object sizes.
        Analyze {
            #[command(flatten)]
            input: TraceArgs,
            /// Print the analysis as JSON instead of a summary.
            #[arg(long)]
            json: bool,
        },
        /// Convert a trace (any format the readers take) to libCacheSim's oracleGeneral binary
        /// format, next-access fields included; compress it with `zstd` for a `.zst` file.
        Convert {
            #[command(flatten)]
            input: TraceArgs,
            /// Where to write the oracleGeneral file.
            #[arg(long, short)]
            output: std::path::PathBuf,
        },
        /// List the course's lessons in course order: part, chapter section, scenario, defaults,
        /// experiments and questions.
        Lessons {
            /// Print the lessons as JSON (their whole definitions).
            #[arg(long)]
            json: bool,
        },
        /// Run a lesson at its defaults and print its text, its report and its claims (whether
        /// each held).
        Lesson {
            /// The lesson (`cachelab lessons` lists them).
            id: String,
            /// Run its "try this" number N (from 1, as `cachelab lessons` lists them) and print
            /// that experiment's claims too; `--set` goes on top.
            #[arg(long = "try", value_name = "N")]
            experiment: Option<usize>,
            #[command(flatten)]
            args: RunArgs,
        },
        /// Run a scenario's variants on the same traffic and compare them.
        Run {
            /// The scenario: stampede, avalanche, penetration, schema-deploy, consistency,
            /// multilayer, response-cache, ratelimit, tags or keys (`cachelab scenarios` lists their
            /// parameters).
            scenario: String,
            /// Run only these variants (comma-separated or repeated; default: all).
            #[arg(long = "variant", value_name = "NAME", value_delimiter = ',')]
            variants: Vec<String>,
            #[command(flatten)]
            args: RunArgs,
        },
        /// Run a scenario's variants in real time against a real Redis (and a simulated
        /// database that really sleeps), printing the same report as `run` (needs the `redis`
        /// feature).
        Live(LiveArgs),
        /// The cache key of a call of the `keys` lesson's functions under each key scheme
        /// (catalog.get_products(category, limit=10), users.get_by_id(user_id),
        /// products.get_by_id(product_id)), with the text each hashes.
        Key {
            /// The function: module.name, or a name only one module has (get_products).
            function: String,
            /// Positional arguments: 10, 2.5, None, True, 'text' or "text" (a bare word is a
            /// string too).
            #[arg(allow_negative_numbers = true)]
            args: Vec<String>,
            /// A keyword argument, as NAME=VALUE (repeatable).
            #[arg(long = "kw", value_name = "NAME=VALUE")]
            kw: Vec<String>,
            /// Only this scheme's key: chapter-key, bound-args or short-digest.
            #[arg(long)]
            scheme: Option<String>,
            /// Hex digits the short-digest scheme keeps (1 to 16).
            #[arg(long, default_value_t = 4)]
            short_hex: u64,
            /// Print the keys as JSON.
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
            /// Replay this trace in the policy cases (e.g. the shared `zipf.csv`) instead of
            /// the synthetic Zipf stand-in.
            #[arg(long, value_name = "FILE")]
            policy_trace: Option<std::path::PathBuf>,
        },
        /// A real Redis's counters (INFO stats and memory) and its keys under a pattern, listed
        /// with SCAN (never KEYS) with each key's type and TTL. Needs the `redis` feature.
        RedisStats {
            /// The server: redis[s]://[user:password@]host:port[/db], or several node URLs
            /// separated by commas for a Redis Cluster (every master is asked).
            #[arg(long = "redis-url", value_name = "URL")]
            redis_url: String,
            /// List only the keys matching this glob pattern.
            #[arg(long = "match", value_name = "PATTERN", default_value = "*")]
            pattern: String,
            /// List at most this many keys (1 to 100000).
            #[arg(long, default_value_t = 100)]
            limit: u64,
            /// Print the counters and keys as JSON.
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
            Command::Curve(RunArgs { set, seed, json }) => {
                let given = assignments(&set)?;
                let curve = l1_curve::run(&given, seed).map_err(|e| e.to_string())?;
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&curve).map_err(|e| e.to_string())?
                    );
                } else {
                    print_curve(&curve);
                }
                Ok(())
            }
            Command::Glossary { term, json } => {
                let entries = match term {
                    Some(q) => vec![*cachelab::glossary::lookup(&q).map_err(|e| e.to_string())?],
                    None => cachelab::glossary::GLOSSARY.to_vec(),
                };
                if json {
                    println!("{}", to_json(&entries)?);
                } else {
                    for t in &entries {
                        println!("{} ({})\n  {}\n", t.term, t.id, t.definition);
                    }
                }
                Ok(())
            }
            Command::Scenarios { json } => {
                let all = scenario::scenarios();
                if json {
                    println!("{}", to_json(&all)?);
                } else {
                    for s in &all {
                        print_scenario(s);
                    }
                }
                Ok(())
            }
            Command::Lessons { json } => {
                let all = course::lessons().map_err(|e| e.to_string())?;
                if json {
                    println!("{}", to_json(&all)?);
                } else {
                    print_lessons(&all);
                }
                Ok(())
            }
            Command::Lesson {
                id,
                experiment,
                args: RunArgs { set, seed, json },
            } => {
                let mut given = match experiment {
                    Some(n) => course::find(&id)
                        .and_then(|l| l.experiment_set(n))
                        .map_err(|e| e.to_string())?,
                    None => Vec::new(),
                };
                given.extend(assignments(&set)?);
                let run = course::run(&id, &given, seed).map_err(|e| e.to_string())?;
                if json {
                    println!("{}", to_json(&run)?);
                } else {
                    let lesson = course::find(&id).map_err(|e| e.to_string())?;
                    print_lesson(&lesson, &run);
                }
                Ok(())
            }
            Command::Key {
                function,
                args,
                kw,
                scheme,
                short_hex,
                json,
            } => {
                let keys = cachelab::manager::call_keys(
                    &function,
                    &args,
                    &kw,
                    scheme.as_deref(),
                    short_hex,
                )
                .map_err(|e| e.to_string())?;
                if json {
                    println!("{}", to_json(&keys)?);
                } else if scheme.is_some() {
                    // One scheme asked for: the key alone, for scripts.
                    for k in &keys.keys {
                        println!("{}", k.key);
                    }
                } else {
                    println!("{}  # {}", keys.call, keys.signature);
                    for k in &keys.keys {
                        println!("{:<13} {}", k.scheme, k.key);
                        println!("{:<13} sha256 of {}", "", k.hashed);
                    }
                }
                Ok(())
            }
            Command::Run {
                scenario: name,
                variants,
                args: RunArgs { set, seed, json },
            } => {
                let report = scenario::run_only(&name, &assignments(&set)?, seed, &variants)
                    .map_err(|e| e.to_string())?;
                if json {
                    println!("{}", to_json(&report)?);
                } else {
                    print_report(&report);
                }
                Ok(())
            }
            Command::Bench {
                filter,
                scale,
                json,
                policy_trace,
            } => {
                if let Some(path) = policy_trace {
                    use_policy_trace(&path)?;
                }
                run_benchmarks(&filter, scale, json)
            }
            Command::Console { seed } => run_console(seed),
            Command::Live(args) => run_live(args),
            Command::RedisStats {
                redis_url,
                pattern,
                limit,
                json,
            } => redis_stats(&redis_url, &pattern, limit, json),
            Command::Replay {
                input,
                policy,
                size,
                mrc,
                bytes,
                threads: given_threads,
                stream,
                classes,
                json,
            } => {
                let sizes = if mrc { "mrc" } else { size.as_str() };
                let experiment =
                    Experiment::parse(&policy, sizes, bytes).map_err(|e| e.to_string())?;
                let in_memory = if stream { 0 } else { sweep::IN_MEMORY_REQUESTS };
                let mut report = sweep::run_file(
                    &input.name(),
                    input.options()?,
                    || input.open(),
                    &experiment,
                    threads(given_threads)?,
                    in_memory,
                )
                .map_err(|e| e.to_string())?;
                if classes {
                    let requests = cachelab::workload::open(
                        input.open().map_err(|e| e.to_string())?,
                        &input.name(),
                        input.options()?,
                    )
                    .map_err(|e| e.to_string())?
                    .collect::<cachelab::Result<Vec<_>>>()
                    .map_err(|e| e.to_string())?;
                    let trace = Access::from_trace(&requests);
                    classes::add_to_report(&mut report, &trace).map_err(|e| e.to_string())?;
                }
                if json {
                    println!("{}", to_json(&report)?);
                } else {
                    println!(
                        "{}: {} requests, {} unique keys",
                        report.trace, report.requests, report.unique_keys
                    );
                    println!(
                        "{:<10} {:>14} {:>8} {:>10} {:>10} {:>10}{}",
                        "policy",
                        "capacity",
                        "unit",
                        "misses",
                        "miss ratio",
                        "byte miss",
                        if classes {
                            "  compulsory   capacity     policy"
                        } else {
                            ""
                        }
                    );
                    for r in &report.rows {
                        let split = r.classes.map_or(String::new(), |c| {
                            format!(
                                " {:>11} {:>10} {:>10}",
                                c.compulsory_misses, c.capacity_misses, c.policy_misses
                            )
                        });
                        println!(
                            "{:<10} {:>14} {:>8} {:>10} {:>10.4} {:>10.4}{split}",
                            r.policy, r.capacity, r.unit, r.misses, r.miss_ratio, r.byte_miss_ratio
                        );
                    }
                }
                Ok(())
            }
            Command::Step {
                trace,
                policy,
                size,
                seed,
                json,
            } => {
                let path = std::path::Path::new(&trace);
                let keys = if path.is_file() {
                    let file = std::fs::File::open(path).map_err(|e| format!("{trace}: {e}"))?;
                    let format = TraceFormat::from_file_name(&trace);
                    step::keys_from_trace(TraceReader::new(std::io::BufReader::new(file), format))
                } else {
                    step::Sequence::parse(&trace).and_then(|s| s.keys(size, seed))
                }
                .map_err(|e| e.to_string())?;
                let steps = step::step_through(&policy, size, &keys).map_err(|e| e.to_string())?;
                if json {
                    println!("{}", to_json(&steps.steps)?);
                } else {
                    println!(
                        "{} with room for {} objects, {} requests",
                        steps.policy,
                        steps.capacity,
                        steps.steps.len()
                    );
                    for s in &steps.steps {
                        println!("{s}");
                    }
                }
                Ok(())
            }
            Command::Mrc {
                input,
                policy,
                method,
                rate,
                sample_keys,
                adjust,
                seed,
                size,
                bytes,
                threads: given_threads,
                json,
            } => {
                let sizes = match size {
                    Some(list) => Some(
                        Experiment::parse(&policy, &list, bytes)
                            .map_err(|e| e.to_string())?
                            .sizes,
                    ),
                    None => None,
                };
                let args = mrc::MethodArgs {
                    name: method.as_deref(),
                    rate,
                    sample_keys,
                    adjust: adjust.as_deref(),
                    seed,
                };
                // Checked before the trace is read (the rate's default needs its keys).
                mrc::Method::parse(&args, &policy, 1).map_err(|e| e.to_string())?;
                let trace = input.decode()?;
                let method = mrc::Method::parse(&args, &policy, trace.stats().unique_keys)
                    .map_err(|e| e.to_string())?;
                let report = mrc::curve(
                    &input.name(),
                    &trace,
                    &policy,
                    method,
                    &mrc::sizes_or_default(sizes),
                    bytes,
                    threads(given_threads)?,
                )
                .map_err(|e| e.to_string())?;
                if json {
                    println!("{}", to_json(&report)?);
                } else {
                    println!("{}", report.summary());
                    println!(
                        "{:>14} {:>8} {:>10} {:>10}",
                        "capacity", "unit", "misses", "miss ratio"
                    );
                    for p in &report.points {
                        let misses = p.misses.map_or_else(|| "-".to_string(), |m| m.to_string());
                        println!(
                            "{:>14} {:>8} {:>10} {:>10.4}",
                            p.capacity, p.unit, misses, p.miss_ratio
                        );
                    }
                }
                Ok(())
            }
            Command::Convert { input, output } => {
                let reader = cachelab::workload::open(
                    input.open().map_err(|e| e.to_string())?,
                    &input.name(),
                    input.options()?,
                )
                .map_err(|e| e.to_string())?;
                let requests = reader
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let file = std::fs::File::create(&output)
                    .map_err(|e| format!("{}: {e}", output.display()))?;
                let mut out = std::io::BufWriter::new(file);
                cachelab::workload::write_oracle(&mut out, &requests).map_err(|e| e.to_string())?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| format!("{}: {e}", output.display()))?;
                Ok(())
            }
            Command::Analyze { input, json } => {
                let trace = input.decode()?;
                let a = analyze::analyze(&input.name(), &trace);
                if json {
                    println!("{}", to_json(&a)?);
                } else {
                    print_analysis(&a);
                }
                Ok(())
            }
        }
    }

    fn print_analysis(a: &analyze::Analysis) {
        println!("{}", a.trace);
        println!(
            "  requests {}  unique keys {}  unique bytes {}  requested bytes {}",
            a.requests, a.unique_keys, a.unique_bytes, a.total_bytes
        );
        println!("  time {} .. {}", a.time_span[0], a.time_span[1]);
        println!(
            "  one-hit wonders {} ({:.1} % of the keys)  most requested key {} requests",
            a.one_hit_wonders,
            a.one_hit_wonder_share * 100.0,
            a.top_key_requests
        );
        println!(
            "  Zipf exponent {:.3} (R² {:.3}, least squares over every rank)",
            a.zipf_exponent, a.zipf_r2
        );
        println!("  popularity (rank: requests):");
        for p in a.popularity.iter().step_by(10) {
            println!("    {:>10}: {}", p.rank, p.requests);
        }
        println!("  reuse distance (distinct keys since the last request of the key):");
        println!("    {:>23}: {}", "first request", a.first_requests);
        for b in &a.reuse_distances {
            println!("    {:>10} .. {:>10}: {}", b.from, b.to, b.count);
        }
        println!("  working set (distinct keys per window of requests, and so far):");
        for w in a.working_set.iter().step_by(5) {
            println!(
                "    {:>12}: {:>10} {:>10}",
                w.requests, w.window_keys, w.keys_so_far
            );
        }
        println!(
            "  object sizes: {} .. {} bytes, mean {:.1}",
            a.sizes.min, a.sizes.max, a.sizes.mean
        );
        for b in &a.sizes.histogram {
            println!("    {:>10} .. {:>10}: {}", b.from, b.to, b.count);
        }
    }

    /// `cachelab redis-stats`: connects, asks the server, prints.
    #[cfg(feature = "redis")]
    fn redis_stats(url: &str, pattern: &str, limit: u64, json: bool) -> Result<(), String> {
        use cachelab::redis::{connect, monitor, Target};
        let target = Target::parse(url).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (stats, listing) = runtime
            .block_on(async {
                let mut conn = connect(&target, 1).await?;
                let stats = monitor::server_stats(&mut conn).await?;
                let listing = monitor::list_keys(&mut conn, pattern, limit).await?;
                Ok::<_, cachelab::Error>((stats, listing))
            })
            .map_err(|e| target.redact(&e.to_string()))?;
        if json {
            let report = serde_json::json!({
                "target": target.to_string(),
                "stats": stats,
                "keys": listing,
            });
            println!("{}", to_json(&report)?);
            return Ok(());
        }
        println!(
            "{target} ({} node{})",
            stats.nodes,
            if stats.nodes == 1 { "" } else { "s" }
        );
        let ratio = stats
            .hit_ratio
            .map_or_else(|| "-".to_owned(), |r| format!("{r:.4}"));
        println!(
            "hits {}  misses {}  hit ratio {ratio}  evicted {}  expired {}",
            stats.hits, stats.misses, stats.evicted_keys, stats.expired_keys
        );
        let max_memory = match stats.max_memory {
            0 => "unlimited".to_owned(),
            bytes => format!("{bytes} bytes"),
        };
        println!(
            "used memory {} bytes (max {max_memory})  keys {}",
            stats.used_memory, stats.keys
        );
        println!();
        println!("{:<8} {:>12}  key (matching {pattern:?})", "type", "ttl ms");
        for key in &listing.keys {
            let ttl = key
                .ttl_ms
                .map_or_else(|| "none".to_owned(), |ms| ms.to_string());
            println!("{:<8} {ttl:>12}  {}", key.kind, key.key);
        }
        if listing.truncated {
            println!("... stopped at --limit {limit}; more keys may match");
        }
        Ok(())
    }

    #[cfg(not(feature = "redis"))]
    fn redis_stats(_url: &str, _pattern: &str, _limit: u64, _json: bool) -> Result<(), String> {
        Err(
            "redis-stats talks to a real Redis, which this build leaves out: rebuild with \
             `--features redis` (cargo run --features redis -- redis-stats ...)"
                .to_owned(),
        )
    }

    fn assignments(set: &[String]) -> Result<Vec<(String, String)>, String> {
        set.iter()
            .map(|s| split_assignment(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    }

    fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
        serde_json::to_string(value).map_err(|e| e.to_string())
    }

    fn print_scenario(s: &scenario::Scenario) {
        println!("{}: {}", s.name, s.about);
        println!("  variants:");
        for v in &s.variants {
            println!("    {:<14} {}", v.name, v.about);
        }
        println!("  parameters:");
        for p in &s.params {
            println!(
                "    {:<20} {:>10} {:<12} [{} .. {}]  {}: {}",
                p.name,
                p.default,
                p.unit,
                p.min,
                p.max,
                scenario::label(p.name).unwrap_or(p.name),
                p.meaning
            );
        }
        println!();
    }

    fn print_lessons(all: &[course::Lesson]) {
        let mut part = "";
        for (n, l) in all.iter().enumerate() {
            if l.part != part {
                part = &l.part;
                println!("{part}");
            }
            let runs = l.scenario.as_deref().map_or_else(
                || format!("{:?}", l.kind).to_lowercase(),
                |s| format!("scenario {s}"),
            );
            println!("  {:>2}. {:<18} {} ({runs})", n + 1, l.id, l.title);
            println!("      In the chapter: {}", l.chapter);
            if !l.defaults.is_empty() {
                let d: Vec<String> = l.defaults.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!("      defaults: {}", d.join(" "));
            }
            for (i, e) in l.experiments.iter().enumerate() {
                let set: Vec<String> = e.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!(
                    "      try {}: {} ({}): {}",
                    i + 1,
                    e.label,
                    set.join(" "),
                    e.look
                );
            }
            for q in &l.questions {
                println!("      question: {}", q.ask);
            }
        }
    }

    fn print_lesson(lesson: &course::Lesson, run: &course::LessonRun) {
        println!("{} — In the chapter: {}", lesson.title, lesson.chapter);
        println!();
        for p in &lesson.text {
            println!("{p}");
            println!();
        }
        match &run.report {
            course::LessonReport::Scenario(r) => print_table(r),
            course::LessonReport::Curve(c) => print_curve(c),
            // A page-only lesson's probe: its report as the claims read it.
            course::LessonReport::Probe(v) => {
                println!("{}", serde_json::to_string_pretty(v).unwrap_or_default())
            }
        }
        println!();
        for n in &run.evaluation.notice {
            println!("{n}");
        }
        println!("{}:", run.evaluation.claims_heading);
        print_claims(&run.evaluation.claims);
        if let Some(e) = &run.evaluation.experiment {
            println!("Try this {}: {}", e.index + 1, e.label);
            print_claims(&e.claims);
        }
        for a in &run.evaluation.answers {
            println!("Question: {}", a.ask);
            println!("  answer: {} — {}", a.answer.join(", "), a.reveal);
        }
        println!();
        println!("{}", lesson.next);
    }

    fn print_claims(claims: &[course::ClaimResult]) {
        for c in claims {
            let mark = if c.holds { "holds" } else { "DOES NOT HOLD" };
            let note = match c.expect {
                course::Expect::Always => "",
                course::Expect::Often => " (does not hold at every seed)",
            };
            println!("  [{mark}] {}{note}", c.text);
            if let Some(problem) = &c.problem {
                println!("          {problem}");
            }
        }
    }

    fn print_curve(curve: &l1_curve::Curve) {
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

    /// A scenario's table and the sentences its course lesson sums a run up with (the core's).
    fn print_report(r: &scenario::Report) {
        print_table(r);
        for line in course::notice_for(r).unwrap_or_default() {
            println!("{line}");
        }
    }

    fn print_table(r: &scenario::Report) {
        println!("{} (seed {})", r.scenario, r.seed);
        let rows: Vec<[String; 16]> = r
            .variants
            .iter()
            .map(|v| {
                let s = &v.summary;
                [
                    v.name.clone(),
                    s.requests.to_string(),
                    s.l1_hits.to_string(),
                    s.l2_hits.to_string(),
                    s.waited.to_string(),
                    s.misses.to_string(),
                    s.db_queries.to_string(),
                    s.max_db_in_flight.to_string(),
                    format!("{:.2} %", 100.0 * s.hit_ratio),
                    format!("{:.2}", s.latency_ms.p50),
                    format!("{:.2}", s.latency_ms.p99),
                    format!("{:.2}", s.latency_ms.max),
                    s.errors.to_string(),
                    s.stale_reads.to_string(),
                    s.fallbacks.to_string(),
                    s.coalesced.to_string(),
                ]
            })
            .collect();
        // Each column as wide as its head or its widest cell; the variant's name left-aligned.
        let heads = cachelab::metrics::SUMMARY_COLUMNS;
        let widths: Vec<usize> = (0..heads.len())
            .map(|i| {
                rows.iter()
                    .map(|row| row[i].chars().count())
                    .chain([heads[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let text: Vec<String> = cells
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &w))| {
                    if i == 0 {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect();
            println!("{}", text.join("  "));
        };
        line(&mut heads.iter().copied());
        for row in &rows {
            line(&mut row.iter().map(String::as_str));
        }
        println!("  {}", r.hit_ratio_definition);
        for v in &r.variants {
            print!("  {:<14} peak db {:.0}/s", v.name, v.summary.peak_db_qps);
            if let Some(h) = &v.hot_key {
                print!(
                    "; hot key loads per expiry {:?}, fallbacks {:?}, {:.2} loads per TTL",
                    h.loads_per_expiry, h.fallbacks_per_expiry, h.loads_per_ttl_period
                );
            }
            if let Some(m) = &v.missing_keys {
                print!("; missing-key reads {} -> db {}", m.requests, m.db_queries);
            }
            if v.summary.wrong_values > 0 {
                print!("; {} wrong values served", v.summary.wrong_values);
            }
            if v.summary.l2_errors > 0 {
                print!("; {} shared-cache errors", v.summary.l2_errors);
            }
            if let Some(b) = &v.bloom {
                print!(
                    "; bloom fpr {:.4} measured, {:.4} expected",
                    b.measured_fpr, b.expected_fpr
                );
            }
            // The scenario's own numbers, in the line its report type writes.
            if let Some(section) = &v.section {
                print!("; {}", section.headline());
            }
            if let Some(m) = &v.monitoring {
                print!(
                    "; L2 peak {} keys, {} bytes",
                    m.peak_keys, m.peak_used_memory_bytes
                );
                for a in &m.alerts {
                    let what = match a.kind {
                        cachelab::manager::AlertKind::HitRatioLow => "L2 hit ratio",
                        cachelab::manager::AlertKind::MemoryHigh => "L2 memory MB",
                    };
                    print!(
                        "; ALERT at {} s: {what} {:.3} past {}",
                        a.time_s, a.value, a.threshold
                    );
                }
            }
            println!();
        }
    }

    #[cfg(feature = "redis")]
    fn run_live(live_args: LiveArgs) -> Result<(), String> {
        use cachelab::redis::{live, live::Live, Target};
        let LiveArgs {
            scenario,
            redis_url,
            connections,
            compare,
            variants,
            args: RunArgs { set, seed, json },
        } = live_args;
        let variants: Vec<&str> = variants.iter().map(String::as_str).collect();
        let target: Target = redis_url
            .parse()
            .map_err(|e: cachelab::Error| e.to_string())?;
        let given = assignments(&set)?;
        let live = Live::new(target, connections);
        live::catch_ctrl_c();
        if !json {
            let found = cachelab::scenario::find(&scenario).map_err(|e| e.to_string())?;
            println!("live: {}\n", found.live);
        }
        if !compare {
            let report = live
                .run_only(&scenario, &given, seed, &variants)
                .map_err(|e| e.to_string())?;
            if json {
                println!("{}", to_json(&report)?);
            } else {
                print_report(&report);
            }
            return Ok(());
        }
        let c = live
            .compare_only(&scenario, &given, seed, &variants)
            .map_err(|e| e.to_string())?;
        if json {
            println!("{}", to_json(&c)?);
            return Ok(());
        }
        println!("== live (Redis)");
        print_report(&c.live);
        println!("\n== simulated");
        print_report(&c.sim);
        println!("\n== live against simulated (relative difference)");
        println!(
            "{:<14} {:>8} {:>8} {:>8}   {:>7} {:>7} {:>8}   {:>9} {:>9} {:>8}",
            "variant",
            "db sim",
            "db live",
            "diff",
            "hit sim",
            "hit liv",
            "diff",
            "p99 sim",
            "p99 live",
            "diff"
        );
        let pct = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{:+.1}%", 100.0 * r));
        for d in &c.differences {
            println!(
                "{:<14} {:>8} {:>8} {:>8}   {:>6.2}% {:>6.2}% {:>8}   {:>9.2} {:>9.2} {:>8}",
                d.variant,
                d.db_queries.sim,
                d.db_queries.live,
                pct(d.db_queries.relative),
                100.0 * d.hit_ratio.sim,
                100.0 * d.hit_ratio.live,
                pct(d.hit_ratio.relative),
                d.p99_ms.sim,
                d.p99_ms.live,
                pct(d.p99_ms.relative)
            );
        }
        println!("\n{}", c.why_they_differ);
        Ok(())
    }

    #[cfg(not(feature = "redis"))]
    fn run_live(_: LiveArgs) -> Result<(), String> {
        Err(
            "`cachelab live` talks to a real Redis and needs the `redis` feature: \
             cargo run --features redis -- live SCENARIO --redis-url URL"
                .to_string(),
        )
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

    /// Loads `path` as the policy cases' trace and says so on standard error.
    fn use_policy_trace(path: &std::path::Path) -> Result<(), String> {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| format!("--policy-trace {shown}: {e}"))?;
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let (requests, unique) = bench::use_policy_trace(&name, &bytes)
            .map_err(|e| format!("--policy-trace {shown}: {e}"))?;
        eprintln!(
            "policy cases replay {shown}: {requests} requests, {unique} unique keys, capacity 10 %"
        );
        Ok(())
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
