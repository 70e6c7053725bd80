#![cfg(not(target_arch = "wasm32"))]
//! Property: simulated time never goes backwards, and nothing wakes before its time.
//!
//! Random trees of tasks (started at random times) sleep random durations, zero included, race
//! sleeps against timeouts, and spawn children, some detached and some awaited. Every wake-up
//! appends `(now, earliest allowed time)` to one shared log in the order wake-ups happen; the
//! clock read there must never decrease, and each wake must be exactly at its deadline (the
//! executor jumps the clock from timer to timer, so being late is a bug too), or for a join at
//! or after the child finished.

use cachelab::sim::{Executor, Sim, SimDuration, SimTime};
use proptest::prelude::*;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

#[derive(Clone, Debug)]
enum Step {
    /// Sleep this many microseconds.
    Sleep(u64),
    /// Sleep `sleep` microseconds under a timeout of `limit`.
    Timeout { limit: u64, sleep: u64 },
    /// Spawn a child and go on without it.
    Detach(Vec<Step>),
    /// Spawn a child and wait for it.
    Join(Vec<Step>),
}

/// What a wake-up saw.
#[derive(Clone, Copy, Debug)]
struct Wake {
    at: SimTime,
    /// The time it should wake at.
    due: SimTime,
    /// True when waking later than `due` is allowed (a join waits for its child's last step).
    may_be_later: bool,
}

#[derive(Default)]
struct Log {
    wakes: Vec<Wake>,
    /// Timeouts that gave the wrong result.
    wrong: Vec<String>,
}

type Shared = Rc<RefCell<Log>>;

fn duration() -> impl Strategy<Value = u64> {
    // Zero often, and small ranges so that deadlines collide.
    prop_oneof![Just(0u64), 0u64..50, 0u64..5_000]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let leaf = prop_oneof![
        3 => duration().prop_map(Step::Sleep),
        1 => (duration(), duration()).prop_map(|(limit, sleep)| Step::Timeout { limit, sleep }),
    ];
    let step = leaf.prop_recursive(3, 40, 4, |inner| {
        let body = prop::collection::vec(inner, 0..4);
        prop_oneof![
            2 => body.clone().prop_map(Step::Detach),
            1 => body.prop_map(Step::Join),
        ]
    });
    prop::collection::vec(step, 0..5)
}

/// Wake-ups a task's steps should log.
fn expected_wakes(steps: &[Step]) -> usize {
    steps
        .iter()
        .map(|s| match s {
            Step::Sleep(_) | Step::Timeout { .. } => 1,
            Step::Detach(child) => expected_wakes(child),
            Step::Join(child) => 1 + expected_wakes(child),
        })
        .sum()
}

/// Runs `steps`, logging each wake-up; resolves to the time the task finished.
fn task(sim: Sim, steps: Vec<Step>, log: Shared) -> Pin<Box<dyn Future<Output = SimTime>>> {
    Box::pin(async move {
        for step in steps {
            let start = sim.now();
            let wake = match step {
                Step::Sleep(us) => {
                    sim.sleep(SimDuration(us)).await;
                    Wake {
                        at: sim.now(),
                        due: start + SimDuration(us),
                        may_be_later: false,
                    }
                }
                Step::Timeout { limit, sleep } => {
                    let result = sim
                        .timeout(SimDuration(limit), sim.sleep(SimDuration(sleep)))
                        .await;
                    // On a tie either may win; otherwise the earlier deadline must.
                    if (sleep < limit && result.is_err()) || (limit < sleep && result.is_ok()) {
                        log.borrow_mut()
                            .wrong
                            .push(format!("sleep {sleep} under limit {limit}: {result:?}"));
                    }
                    Wake {
                        at: sim.now(),
                        due: start + SimDuration(limit.min(sleep)),
                        may_be_later: false,
                    }
                }
                Step::Detach(child) => {
                    sim.spawn_detached({
                        let child = task(sim.clone(), child, log.clone());
                        async move {
                            child.await;
                        }
                    });
                    continue;
                }
                Step::Join(child) => {
                    let finished = sim.spawn(task(sim.clone(), child, log.clone())).await;
                    Wake {
                        at: sim.now(),
                        due: finished,
                        may_be_later: true,
                    }
                }
            };
            log.borrow_mut().wakes.push(wake);
        }
        sim.now()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn time_never_goes_backwards(roots in prop::collection::vec((duration(), steps()), 1..6)) {
        let exec = Executor::new();
        let log = Shared::default();
        for (start, steps) in &roots {
            let root = task(exec.sim().clone(), steps.clone(), log.clone());
            exec.sim().spawn_at(SimTime(*start), async move {
                root.await;
            });
        }
        exec.run();

        let log = log.borrow();
        prop_assert!(log.wrong.is_empty(), "{:?}", log.wrong);
        prop_assert_eq!(exec.sim().live_tasks(), 0);
        let total: usize = roots.iter().map(|(_, s)| expected_wakes(s)).sum();
        prop_assert_eq!(log.wakes.len(), total);
        for pair in log.wakes.windows(2) {
            prop_assert!(pair[0].at <= pair[1].at, "time went back: {:?} then {:?}", pair[0], pair[1]);
        }
        for wake in &log.wakes {
            if wake.may_be_later {
                prop_assert!(wake.at >= wake.due, "woke early: {:?}", wake);
            } else {
                prop_assert_eq!(wake.at, wake.due, "woke off its deadline: {:?}", wake);
            }
        }
        let last = log.wakes.last().map_or(SimTime::ZERO, |w| w.at);
        prop_assert!(exec.sim().now() >= last);
    }
}
