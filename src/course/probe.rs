//! What a page-only lesson (console, replay, inside) runs to answer its questions: a small,
//! fixed run of the core named by the lesson's `probe` — a command script on the Redis model, a
//! replay of the bundled trace, or a key sequence stepped through one policy. Its report is a
//! JSON object like a scenario's, so that the lesson's questions and claims point into it with
//! the same references (`replies.2.nil`, `belady_lowest_at`, `hits`) and are evaluated by
//! [`super::Lesson::evaluate`] like any other.
//!
//! Each kind has its own function ([`console`], [`replay`], [`step`]) so that each wasm module
//! links only the one its lesson needs.

use crate::error::{Error, Result};
use crate::policy::{replay as policy_replay, step as policy_step};
use serde::{Deserialize, Serialize};

/// A lesson's probe, as its file gives it (one of the three forms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Probe {
    /// Lines typed into the console, in order, on an empty model at time 0.
    Console(Vec<String>),
    /// A replay of a bundled trace.
    Replay(ReplayProbe),
    /// A key sequence stepped through one policy.
    Step(StepProbe),
}

/// The traces the page ships (in `www/traces/`), by the path the page fetches them at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundledTrace {
    /// The CloudPhysics sample (`www/traces/README.md`).
    #[serde(rename = "traces/cloudphysics.csv")]
    Cloudphysics,
}

impl BundledTrace {
    /// Its path under `www/`, as the page fetches it.
    pub fn path(self) -> &'static str {
        match self {
            BundledTrace::Cloudphysics => "traces/cloudphysics.csv",
        }
    }

    /// Its bytes, read from the repository's `www/` (the CLI and the tests; the page fetches the
    /// same file and hands it to [`replay`]).
    pub fn read(self) -> Result<Vec<u8>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("www")
            .join(self.path());
        std::fs::read(&path).map_err(|e| Error::Parse {
            what: format!("the bundled trace {}", path.display()),
            detail: e.to_string(),
        })
    }
}

/// A replay of a bundled trace through some policies at some sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayProbe {
    /// The trace.
    pub trace: BundledTrace,
    /// The policies, as `cachelab replay --policy` takes them; `belady` among them.
    pub policies: String,
    /// The sizes, as `cachelab replay --size` takes them.
    pub sizes: String,
}

/// A key sequence stepped through one policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepProbe {
    /// The policy (`lru`, `fifo`, …).
    pub policy: String,
    /// Its room, in objects (1 to 64).
    pub size: u64,
    /// The keys, as `cachelab step` takes them: `1 2 3 4 5 1 2 3 4 5`.
    pub keys: String,
}

/// One line of a console probe and what redis-cli would print for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsoleReply {
    /// The line typed.
    pub command: String,
    /// The reply as printed.
    pub reply: String,
    /// Whether the reply is `(nil)`.
    pub nil: bool,
    /// Whether the reply is an error.
    pub error: bool,
}

/// A console probe's report: `replies.N.nil`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsoleReport {
    /// Every line's reply, in order.
    pub replies: Vec<ConsoleReply>,
}

/// Runs the lines on a fresh model.
///
/// ```
/// let r = cachelab::course::probe::console(&["SET k v EX 10".into(), "DEBUG SLEEP 11".into(), "GET k".into()]);
/// assert!(r.replies[2].nil);
/// ```
pub fn console(lines: &[String]) -> ConsoleReport {
    let mut console = crate::tiers::l2::Console::new();
    ConsoleReport {
        replies: lines
            .iter()
            .map(|line| {
                let reply = console.exec(line);
                ConsoleReply {
                    command: line.clone(),
                    nil: reply == "(nil)",
                    error: reply.starts_with("(error)"),
                    reply,
                }
            })
            .collect(),
    }
}

/// One size of a replay probe: Belady's miss ratio against the best policy that can run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizeRow {
    /// The capacity, in objects.
    pub capacity: u64,
    /// Belady's miss ratio.
    pub belady: f64,
    /// The lowest miss ratio of the other policies.
    pub best_other: f64,
    /// The policy that had it (the first listed on a tie).
    pub best_policy: String,
}

/// A replay probe's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayReport {
    /// The replay, as `cachelab replay --json` prints it.
    pub replay: policy_replay::Report,
    /// Per size, Belady against the best other policy.
    pub sizes: Vec<SizeRow>,
    /// At how many sizes Belady's miss ratio was at most every other policy's.
    pub belady_lowest_at: u64,
    /// At how many sizes some other policy missed less than Belady.
    pub beaten_at: u64,
}

/// Replays `trace` (the bundled trace's bytes) as `probe` says. Belady must be among the
/// policies, with at least one other.
pub fn replay(probe: &ReplayProbe, trace: &[u8]) -> Result<ReplayReport> {
    let experiment = policy_replay::Experiment::parse(&probe.policies, &probe.sizes, false)?;
    let report = policy_replay::run(
        probe.trace.path(),
        crate::workload::ReadOptions::default(),
        || Ok(trace),
        &experiment,
    )?;
    let mut sizes: Vec<SizeRow> = Vec::new();
    for belady in report.rows.iter().filter(|r| r.policy == "belady") {
        let best = report
            .rows
            .iter()
            .filter(|r| r.policy != "belady" && r.capacity == belady.capacity)
            .reduce(|a, b| if b.miss_ratio < a.miss_ratio { b } else { a })
            .ok_or_else(|| Error::Parse {
                what: format!("replay probe `{}`", probe.policies),
                detail: "name belady and at least one other policy".to_string(),
            })?;
        sizes.push(SizeRow {
            capacity: belady.capacity,
            belady: belady.miss_ratio,
            best_other: best.miss_ratio,
            best_policy: best.policy.clone(),
        });
    }
    if sizes.is_empty() {
        return Err(Error::Parse {
            what: format!("replay probe `{}`", probe.policies),
            detail: "name belady among the policies".to_string(),
        });
    }
    let belady_lowest_at = sizes.iter().filter(|s| s.belady <= s.best_other).count() as u64;
    Ok(ReplayReport {
        beaten_at: sizes.len() as u64 - belady_lowest_at,
        belady_lowest_at,
        sizes,
        replay: report,
    })
}

/// A step probe's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// The policy.
    pub policy: String,
    /// Its room, in objects.
    pub size: u64,
    /// Requests stepped.
    pub requests: u64,
    /// Distinct keys among them (each one's first request is a miss whatever the policy).
    pub distinct_keys: u64,
    /// Requests for a key seen before: those after "the first round" of a loop.
    pub repeats: u64,
    /// Requests that hit.
    pub hits: u64,
    /// Repeats that missed (`repeats − hits`).
    pub repeat_misses: u64,
}

/// Steps the probe's keys through its policy.
///
/// ```
/// use cachelab::course::probe::{step, StepProbe};
/// let r = step(&StepProbe { policy: "lru".into(), size: 4, keys: "1 2 3 4 5 1 2 3 4 5".into() }).unwrap();
/// assert_eq!((r.repeats, r.hits), (5, 0));
/// ```
pub fn step(probe: &StepProbe) -> Result<StepReport> {
    let size = policy_step::size_from_number(probe.size as f64)?;
    let keys = policy_step::parse_keys(&probe.keys)?;
    let steps = policy_step::step_through(&probe.policy, size, &keys)?;
    let distinct = keys.iter().collect::<std::collections::BTreeSet<_>>().len() as u64;
    let hits = steps.steps.iter().filter(|s| s.hit).count() as u64;
    let requests = keys.len() as u64;
    Ok(StepReport {
        policy: probe.policy.clone(),
        size,
        requests,
        distinct_keys: distinct,
        repeats: requests - distinct,
        hits,
        repeat_misses: requests - distinct - hits,
    })
}

/// Runs `probe` and returns its report as the claims read it; `trace` is the bundled trace's
/// bytes for a replay probe (read from `www/` when `None`).
pub fn run(probe: &Probe, trace: Option<&[u8]>) -> Result<serde_json::Value> {
    match probe {
        Probe::Console(lines) => super::to_value(&console(lines)),
        Probe::Replay(r) => match trace {
            Some(bytes) => super::to_value(&replay(r, bytes)?),
            None => super::to_value(&replay(r, &r.trace.read()?)?),
        },
        Probe::Step(s) => super::to_value(&step(s)?),
    }
}
