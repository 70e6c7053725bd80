//! The bodies of the fuzz targets under `fuzz/` (run with `cargo +nightly fuzz run NAME`), kept in
//! the library so that `tests/fuzz_bodies.rs` runs the very same code over seeded inputs on stable.
//! Each takes arbitrary bytes and must neither panic nor loop for long: whatever the input, the
//! answer is a report or an error.

use crate::policy::chunked::ChunkedReplay;
use crate::policy::replay::{self, Experiment};
use crate::scenario::{self, split_assignment, ScenarioRun};
use crate::workload::TraceFormat;

/// Trace readers and replay: `data`'s first byte picks the format and the policy set, the rest is
/// the trace. Every policy at two sizes; a report must count every request it read.
///
/// ```
/// cachelab::fuzz::trace_replay(b"\x00time,key,size\n1,1,1\n2,x,1\n");
/// ```
pub fn trace_replay(data: &[u8]) {
    let Some((&pick, trace)) = data.split_first() else {
        return;
    };
    let format = [TraceFormat::Csv, TraceFormat::Oracle, TraceFormat::Text][(pick % 3) as usize];
    let sizes = ["0.5,3", "1KiB,64B", "mrc", "0.01,64"][((pick >> 2) % 4) as usize];
    let Ok(experiment) = Experiment::parse("all", sizes, pick & 0x80 != 0) else {
        return;
    };
    let whole = replay::run("fuzz", format, || Ok(trace), &experiment);
    if let Ok(report) = &whole {
        for row in &report.rows {
            assert_eq!(row.requests, report.requests);
            assert!(row.misses <= row.requests);
        }
    }
    // The same bytes streamed in chunks (the page's path for large files): where both read the
    // trace, the same rows (but Belady's, which a stream of a trace without next accesses leaves
    // out, and which a bad next-access field stops a stream but not a whole read).
    let mut stream = ChunkedReplay::new("fuzz", format.into(), experiment);
    let chunk = 1 + usize::from(pick % 61);
    let streamed = (0..ChunkedReplay::PASSES).try_for_each(|_| {
        trace.chunks(chunk).try_for_each(|c| stream.push(c))?;
        stream.end_pass()
    });
    if let (Ok(whole), Ok(())) = (whole, streamed) {
        let streamed = stream.report().expect("two passes over the same bytes");
        let kept: Vec<_> = whole
            .rows
            .into_iter()
            .filter(|row| streamed.rows.iter().any(|r| r.policy == row.policy))
            .collect();
        assert_eq!(streamed.rows, kept);
    }
}

/// Largest run the parameter fuzzer lets through to the simulation: validation is what it tests,
/// and a long run would only slow it down.
const MAX_FUZZ_REQUESTS: f64 = 2_000.0;

/// Scenario parameters as a user gives them: `data` is text whose first line names the scenario
/// and whose other lines are `--set` pairs (`name=value`), or a JSON object of them as the page
/// sends. Invalid input must be an error that names a parameter or the scenario; small valid runs
/// are run to the end.
///
/// ```
/// cachelab::fuzz::scenario_params(b"stampede\nrate=50\nduration_s=2\nttl_s=0.5");
/// cachelab::fuzz::scenario_params(br#"penetration
/// {"rate": "1e309", "keys": -1}"#);
/// ```
pub fn scenario_params(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let name = lines.next().unwrap_or("").trim();
    let rest: Vec<&str> = lines.collect();
    let given: Vec<(String, String)> = match serde_json::from_str::<
        serde_json::Map<String, serde_json::Value>,
    >(&rest.join("\n"))
    {
        Ok(object) => object
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect(),
        Err(_) => match rest.iter().map(|l| split_assignment(l)).collect() {
            Ok(pairs) => pairs,
            Err(e) => {
                assert!(e.to_string().contains("NAME=VALUE"));
                return;
            }
        },
    };
    let mut run = match ScenarioRun::new(name, &given, 1) {
        Ok(run) => run,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains('`'),
                "an error must name what is wrong: {message}"
            );
            return;
        }
    };
    let Ok(scenario) = scenario::find(name) else {
        return;
    };
    let value = |param: &str| {
        given
            .iter()
            .rev()
            .find(|(k, _)| k == param)
            .and_then(|(_, v)| v.trim().parse::<f64>().ok())
            .or_else(|| {
                scenario
                    .params
                    .iter()
                    .find(|p| p.name == param)
                    .map(|p| p.default)
            })
            .unwrap_or(f64::INFINITY)
    };
    let closed_loop = value("clients") > 0.0;
    if closed_loop || value("rate") * value("duration_s") > MAX_FUZZ_REQUESTS {
        return;
    }
    while let Ok(done) = run.step() {
        if done >= 1.0 {
            return;
        }
    }
}

/// The page's shared-link decoder: `data` as a query string, decoded against the stampede
/// lesson's knobs and the eviction lesson's text settings. Every value it accepts must pass the
/// core's own validation.
///
/// ```
/// cachelab::fuzz::link_decode(b"?lesson=stampede&rate=1e3&seed=%31&policies=lru");
/// ```
pub fn link_decode(data: &[u8]) {
    let Ok(stampede) = scenario::find("stampede") else {
        return;
    };
    let knobs: Vec<scenario::LinkKnob> = stampede
        .params
        .iter()
        .map(|p| scenario::LinkKnob {
            name: p.name.to_string(),
            min: p.min,
            max: p.max,
            integer: p.integer,
        })
        .collect();
    let pass_through = ["policies".to_string(), "sizes".to_string()];
    let link = scenario::decode_link(&String::from_utf8_lossy(data), &knobs, &pass_through);
    let given: Vec<(String, String)> = link
        .values
        .iter()
        .filter(|(k, _)| knobs.iter().any(|knob| &knob.name == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Err(e) = scenario::resolve(&stampede.params, &given) {
        panic!("the link decoder accepted values the core refuses: {e}");
    }
    if let Some(seed) = link.values.get("seed") {
        assert!(seed.parse::<u64>().is_ok(), "accepted seed {seed:?}");
    }
}
