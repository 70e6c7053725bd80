//! The course's lessons (`lessons/*.json`, read by `cachelab::course`): every file is valid, every
//! lesson that runs has every number it refers to at its defaults, every claim it states as a fact
//! holds at seeds 1–5, and no default run fails a request unless failure is the lesson's subject.

use cachelab::course::{self, Expect, Kind, Lesson};
use std::collections::BTreeSet;

const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

fn lessons() -> Vec<Lesson> {
    course::lessons().unwrap_or_else(|e| panic!("the lesson files: {e}"))
}

#[test]
fn every_lesson_file_is_valid_and_listed_once() {
    let all = lessons();
    let ids: BTreeSet<&str> = all.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "an id is listed twice");
    // Every file in lessons/ is in the registry, and the reverse.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    let listed: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
    assert_eq!(files, listed, "lessons/*.json and the registry differ");
}

/// A run the test makes: a lesson at its defaults (`experiment: None`) or with one "try this"
/// on top, at one seed.
struct Job {
    lesson: Lesson,
    experiment: Option<usize>,
    seed: u64,
}

/// Runs every lesson at its defaults, and every one of its experiments, at every seed, in
/// parallel threads (each thread takes every n-th job, so the slow experiments spread out). A
/// page-only lesson runs its probe once: it takes no seed.
fn runs() -> Vec<(Job, course::LessonRun)> {
    let mut jobs: Vec<Job> = Vec::new();
    for l in lessons() {
        for experiment in std::iter::once(None).chain((0..l.experiments.len()).map(Some)) {
            let seeds = match l.kind {
                Kind::Console | Kind::Replay | Kind::Inside => 1..=1,
                Kind::Scenario | Kind::Curve => SEEDS,
            };
            for seed in seeds {
                jobs.push(Job {
                    lesson: l.clone(),
                    experiment,
                    seed,
                });
            }
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let mut chunks: Vec<Vec<Job>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, job) in jobs.into_iter().enumerate() {
        chunks[i % threads].push(job);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|job| {
                            let given = match job.experiment {
                                Some(i) => job.lesson.experiment_set(i + 1).unwrap(),
                                None => Vec::new(),
                            };
                            let run =
                                course::run(&job.lesson.id, &given, job.seed).unwrap_or_else(|e| {
                                    panic!(
                                        "lesson `{}` try {:?} seed {}: {e}",
                                        job.lesson.id, job.experiment, job.seed
                                    )
                                });
                            (job, run)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// Every claim that names a missing number, and every `always` claim that does not hold.
fn claim_failures(what: &str, claims: &[course::ClaimResult], failures: &mut Vec<String>) {
    for c in claims {
        if let Some(problem) = &c.problem {
            failures.push(format!("{what}: claim `{}`: {problem}", c.text));
        } else if c.expect == Expect::Always && !c.holds {
            failures.push(format!("{what}: does not hold: {}", c.text));
        }
    }
}

/// What keeps an answer from reading as a sentence a learner knows the words of: a report path
/// (`summary.db_queries`) or a choice's bare 0/1 indicator (`the key expired: 1`).
fn unreadable(reveal: &str) -> Option<String> {
    let word = |c: char| c.is_ascii_lowercase() || c == '_';
    for token in reveal.split_whitespace() {
        let token = token.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
        let dotted = token.char_indices().any(|(i, c)| {
            c == '.'
                && token[..i].ends_with(word)
                && token[i + 1..].starts_with(|c: char| word(c) || c.is_ascii_digit())
        });
        if dotted {
            return Some(format!("the report path `{token}`"));
        }
    }
    for indicator in [": 0,", ": 1,", ": 0.", ": 1."] {
        let bare = reveal.match_indices(indicator).any(|(i, _)| {
            // `: 0.5` is a number, `: 0.` ending the sentence an indicator.
            !reveal[i + indicator.len()..].starts_with(|c: char| c.is_ascii_digit())
        });
        if bare {
            return Some(format!("a bare indicator `{indicator}`"));
        }
    }
    None
}

#[test]
fn an_answer_with_a_path_or_an_indicator_is_unreadable() {
    assert!(unreadable("summary.db_queries — chapter: 1, none: 253.").is_some());
    assert!(unreadable("(nil): the key expired: 1, the old value: 0.").is_some());
    assert!(unreadable("DB queries: chapter 1, none 253, lock 0.5.").is_none());
    assert!(unreadable("The gain was 48.0 % − 38.7 %: 0.0922.").is_none());
}

#[test]
fn every_claim_holds_where_expected_and_every_number_exists() {
    let mut failures = Vec::new();
    for (job, run) in runs() {
        let (lesson, seed, e) = (&job.lesson, job.seed, &run.evaluation);
        if let Some(i) = job.experiment {
            // The experiment's run is recognised as its own, and its claims hold.
            let what = format!("{} try {} seed {seed}", lesson.id, i + 1);
            match &e.experiment {
                Some(x) if x.index == i => claim_failures(&what, &x.claims, &mut failures),
                other => failures.push(format!(
                    "{what}: the run is taken for experiment {:?}",
                    other.as_ref().map(|x| x.index + 1)
                )),
            }
            continue;
        }
        if let Some(x) = &e.experiment {
            failures.push(format!(
                "{} seed {seed}: the default run is taken for experiment {}",
                lesson.id,
                x.index + 1
            ));
        }
        claim_failures(
            &format!("{} seed {seed}", lesson.id),
            &e.claims,
            &mut failures,
        );
        if e.notice.len() != lesson.notice.len() {
            failures.push(format!(
                "{} seed {seed}: a notice sentence lacks a number ({} of {} rendered)",
                lesson.id,
                e.notice.len(),
                lesson.notice.len()
            ));
        }
        for a in &e.answers {
            if a.answer.is_empty() || a.choices.iter().any(|(_, v)| v.is_none()) {
                failures.push(format!(
                    "{} seed {seed}: question `{}` unanswered",
                    lesson.id, a.ask
                ));
            }
            if let Some(problem) = unreadable(&a.reveal) {
                failures.push(format!(
                    "{} seed {seed}: question `{}`: the answer shows {problem}: {}",
                    lesson.id, a.ask, a.reveal
                ));
            }
        }
        if let course::LessonReport::Scenario(r) = &run.report {
            if !lesson.teaches_failure {
                for v in &r.variants {
                    if v.summary.errors > 0 {
                        failures.push(format!(
                            "{} seed {seed}: variant {} fails {} requests at the defaults",
                            lesson.id, v.name, v.summary.errors
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_lesson_that_runs_asks_and_offers_experiments() {
    for l in lessons() {
        assert!(!l.questions.is_empty(), "{}: no question", l.id);
        if matches!(l.kind, Kind::Scenario | Kind::Curve) {
            assert!((2..=4).contains(&l.experiments.len()), "{}", l.id);
        }
    }
}

#[test]
fn a_lesson_with_a_typo_is_refused_naming_it() {
    let good = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/stampede.json"),
    )
    .unwrap();
    assert!(Lesson::from_json(&good).is_ok());
    for (from, to, named) in [
        ("\"rate\"", "\"rat\"", "rat"),
        ("none@hot_key", "nobody@hot_key", "nobody"),
        ("\"op\": \">\"", "\"op\": \"=>\"", "=>"),
        ("\"questions\"", "\"question\"", "question"),
        ("\"duration_s\": 8", "\"duration_s\": 0", "duration_s"),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from} is in the file");
        let err = Lesson::from_json(&bad).unwrap_err().to_string();
        assert!(err.contains(named), "{from} → {to}: {err}");
    }
}

fn cli(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_cli_lists_the_course_and_runs_a_lesson_with_its_claims() {
    let listed: serde_json::Value = serde_json::from_str(&cli(&["lessons", "--json"])).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        lessons().iter().map(|l| l.id.as_str()).collect::<Vec<_>>()
    );
    let stampede = &listed[ids.iter().position(|&i| i == "stampede").unwrap()];
    for field in [
        "chapter",
        "part",
        "scenario",
        "defaults",
        "experiments",
        "questions",
    ] {
        assert!(!stampede[field].is_null(), "lessons --json lacks {field}");
    }
    let run: serde_json::Value =
        serde_json::from_str(&cli(&["lesson", "stampede", "--seed", "2", "--json"])).unwrap();
    assert_eq!(run["seed"], 2);
    let claims = run["evaluation"]["claims"].as_array().unwrap();
    assert!(!claims.is_empty() && claims.iter().all(|c| c["holds"].is_boolean()));
    // The chapter's own lock, then none, lock, singleflight, XFetch, stale-while-revalidate.
    assert!(run["report"]["variants"].as_array().unwrap().len() == 6);
    let text = cli(&["lesson", "stampede"]);
    assert!(
        text.contains("In the chapter: 5. Cache Stampede Prevention"),
        "{text}"
    );
    assert!(text.contains("[holds]"), "{text}");
    let next = course::find("stampede").unwrap().next;
    assert!(
        text.trim_end().ends_with(next.trim_end()),
        "the lesson ends with what to try next: {text}"
    );
    // A page-only lesson runs its probe (the console's script on the L2 model) and answers from it.
    let console: serde_json::Value =
        serde_json::from_str(&cli(&["lesson", "console", "--json"])).unwrap();
    assert_eq!(console["report"]["replies"][2]["reply"], "(nil)");
    assert_eq!(
        console["evaluation"]["answers"][0]["answer"][0],
        "(nil): the key expired"
    );
    // Its claims are headed with what ran (the model), not with a run the learner made; a
    // scenario lesson's with this run.
    assert!(text.contains("\nWhat this run shows:\n"), "{text}");
    for (id, heading) in [
        ("console", "What the model shows"),
        ("eviction", "What the replay of the bundled trace shows"),
        ("inside", "What the stepped sequence shows"),
    ] {
        let shown = cli(&["lesson", id]);
        assert!(shown.contains(&format!("\n{heading}:\n")), "{shown}");
        assert!(!shown.contains("this run"), "{id}: {shown}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cachelab"))
        .args(["lesson", "inside", "--set", "size=3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no parameters"));
    // `run` prints the scenario's notice, computed by the core, under the table whose heads are
    // the page's (the core's `SUMMARY_COLUMNS`): "failed requests", not "errors".
    let table = cli(&["run", "penetration", "--set", "duration_s=2"]);
    assert!(table.contains("Database queries caused by reads for missing keys"));
    let head = table.lines().nth(1).unwrap_or_default();
    let words: Vec<&str> = head
        .split("  ")
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(words, cachelab::metrics::SUMMARY_COLUMNS, "{table}");
}
