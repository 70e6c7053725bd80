//! Step mode's log follows requests: every event of a listed request carries its number, the
//! request's arrival comes first and its answer after its own steps, no step is listed without its
//! request, and the log can start deep in a run — at the stampede's first expiry.

use cachelab::metrics::{Event, EventKind};
use cachelab::scenario::{run, Report};
use std::collections::BTreeMap;

fn run_with(params: &[(&str, &str)], seed: u64) -> Report {
    let given: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run("stampede", &given, seed).unwrap()
}

/// The stampede lesson's step log: from 50 ms before the hot key's first expiry (at 5 s).
const AT_THE_EXPIRY: [(&str, &str); 4] = [
    ("duration_s", "6"),
    ("event_log", "2000"),
    ("event_log_from_s", "4.95"),
    ("bucket_ms", "100"),
];

/// Events by request number, in the log's order.
fn by_request(events: &[Event]) -> BTreeMap<u64, Vec<&Event>> {
    let mut groups: BTreeMap<u64, Vec<&Event>> = BTreeMap::new();
    for e in events {
        groups
            .entry(
                e.req
                    .unwrap_or_else(|| panic!("lab requests are numbered: {e:?}")),
            )
            .or_default()
            .push(e);
    }
    groups
}

fn is_end(e: &Event) -> bool {
    matches!(
        e.what,
        EventKind::Read { .. } | EventKind::Write | EventKind::Failed
    )
}

#[test]
fn the_log_starts_where_asked_and_reaches_the_first_expiry() {
    for seed in [1, 2] {
        let r = run_with(&AT_THE_EXPIRY, seed);
        let none = r.variant("none").unwrap();
        let expiry_ms = none.hot_key.as_ref().unwrap().expiries_s[0] * 1e3;
        assert!(none.events.iter().all(|e| e.t_ms >= 4_950.0));
        // The expiry is inside the log: misses of the hot key, and the loads they cause.
        let after: Vec<&Event> = none.events.iter().filter(|e| e.t_ms >= expiry_ms).collect();
        assert!(
            after.iter().filter(|e| e.what == EventKind::L2Miss).count() > 10,
            "seed {seed}"
        );
        assert!(after
            .iter()
            .any(|e| matches!(e.what, EventKind::DbQuery { .. })));
    }
}

#[test]
fn every_listed_request_is_whole_arrival_first_answer_after_its_steps() {
    let r = run_with(&AT_THE_EXPIRY, 1);
    for v in &r.variants {
        let groups = by_request(&v.events);
        assert!(groups.len() > 100, "{}", v.name);
        for (id, events) in &groups {
            assert!(
                matches!(events[0].what, EventKind::Arrived { write: false }),
                "{} request {id} starts with its arrival: {:?}",
                v.name,
                events[0]
            );
            let ends: Vec<usize> = (0..events.len()).filter(|&i| is_end(events[i])).collect();
            assert_eq!(
                ends.len(),
                1,
                "{} request {id} ends once: {events:?}",
                v.name
            );
            // Steps before the answer; after it only a background refresh it started (swr).
            for e in &events[ends[0] + 1..] {
                assert!(
                    matches!(e.what, EventKind::DbQuery { .. } | EventKind::Fill { .. }),
                    "{} request {id}: {e:?} after the answer",
                    v.name
                );
            }
            let took = events[ends[0]].latency_ms.unwrap();
            let span = events[ends[0]].t_ms - events[0].t_ms;
            assert!((took - span).abs() < 1e-6, "{} request {id}", v.name);
        }
    }
}

#[test]
fn the_lock_and_xfetch_steps_are_named() {
    let r = run_with(&AT_THE_EXPIRY, 1);
    let kinds = |name: &str| -> Vec<EventKind> {
        r.variant(name)
            .unwrap()
            .events
            .iter()
            .map(|e| e.what)
            .collect()
    };
    let lock = kinds("lock");
    assert_eq!(
        lock.iter().filter(|k| **k == EventKind::LockTaken).count(),
        1
    );
    assert!(
        lock.iter()
            .filter(|k| **k == EventKind::LockRefused)
            .count()
            > 10
    );
    // XFetch refreshes before the expiry: the log, from a wider window, names it.
    let early = run_with(
        &[
            ("duration_s", "6"),
            ("event_log", "10000"),
            ("event_log_from_s", "4.5"),
            ("rate", "2000"),
        ],
        1,
    );
    let xfetch = &early.variant("xfetch").unwrap().events;
    let refresh = xfetch
        .iter()
        .find(|e| e.what == EventKind::EarlyRefresh)
        .expect("an early refresh in the log");
    // Its request goes on to load the key and answer from the database.
    let own: Vec<&Event> = xfetch.iter().filter(|e| e.req == refresh.req).collect();
    assert!(own.iter().any(|e| matches!(e.what, EventKind::Fill { .. })));
}

#[test]
fn logging_observes_the_run_without_changing_it() {
    let quiet = run_with(&[("duration_s", "6"), ("bucket_ms", "100")], 1);
    let logged = run_with(&AT_THE_EXPIRY, 1);
    for (a, b) in quiet.variants.iter().zip(&logged.variants) {
        assert_eq!(a.summary, b.summary, "{}", a.name);
        assert_eq!(a.series, b.series, "{}", a.name);
    }
}

#[test]
fn the_writes_and_several_instances_lessons_number_their_requests_too() {
    for scenario in ["consistency", "multilayer"] {
        let given: Vec<(String, String)> = [("duration_s", "3"), ("event_log", "300")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let r = run(scenario, &given, 1).unwrap();
        for v in &r.variants {
            // Only a background worker's statements (write-behind's flushes) belong to no request.
            let (numbered, worker): (Vec<Event>, Vec<Event>) =
                v.events.iter().cloned().partition(|e| e.req.is_some());
            assert!(
                worker.iter().all(|e| e.what
                    == EventKind::DbQuery {
                        purpose: cachelab::metrics::Purpose::Write
                    }),
                "{scenario} {}: {worker:?}",
                v.name
            );
            let groups = by_request(&numbered);
            assert!(groups.len() >= 30, "{scenario} {}", v.name);
            for (id, events) in &groups {
                assert!(
                    matches!(events[0].what, EventKind::Arrived { .. }),
                    "{scenario} {} request {id}: {events:?}",
                    v.name
                );
                assert!(
                    events.iter().any(|e| is_end(e)),
                    "{scenario} {} {id}",
                    v.name
                );
            }
        }
    }
}
