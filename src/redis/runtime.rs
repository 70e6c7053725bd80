//! The wall clock as a [`Runtime`]: the strategies' sleeps, timeouts and tasks run on tokio in
//! real time, so that a live run meets real round trips, real races and real outages.
//!
//! Tasks are `spawn_local`ed, so the futures need not be `Send` (the strategies share their
//! context through `Rc`), and everything a run does happens on one thread — a current-thread
//! runtime with a [`tokio::task::LocalSet`], as [`crate::redis::live`] sets up. `now()` is the
//! time since [`RealTime::start`], as a [`SimTime`], so the metrics and reports of a live run are
//! computed by exactly the code that computes the simulator's.
//!
//! Tokio's timers have a resolution of one millisecond: sleeps shorter than that last about a
//! millisecond, which is one of the reasons live numbers differ from simulated ones.

use crate::sim::{Elapsed, Runtime, SimDuration, SimTime};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// A handle to real time since the run started. Spawning needs a [`tokio::task::LocalSet`]
/// around the caller (it panics otherwise, as `spawn_local` does).
#[derive(Clone, Copy, Debug)]
pub struct RealTime {
    origin: Instant,
}

impl RealTime {
    /// Starts the run's clock: `now()` reads zero at this instant.
    pub fn start() -> Self {
        RealTime {
            origin: Instant::now(),
        }
    }

    fn instant(&self, at: SimTime) -> Instant {
        self.origin + Duration::from_micros(at.as_micros())
    }
}

fn std_duration(d: SimDuration) -> Duration {
    Duration::from_micros(d.as_micros())
}

impl Runtime for RealTime {
    fn now(&self) -> SimTime {
        let micros = self.origin.elapsed().as_micros();
        SimTime(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    fn sleep(&self, duration: SimDuration) -> impl Future<Output = ()> {
        tokio::time::sleep(std_duration(duration))
    }

    fn sleep_until(&self, deadline: SimTime) -> impl Future<Output = ()> {
        tokio::time::sleep_until(self.instant(deadline))
    }

    fn timeout<F: Future>(
        &self,
        duration: SimDuration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> {
        let limited = tokio::time::timeout(std_duration(duration), future);
        async move { limited.await.map_err(|_| Elapsed) }
    }

    fn spawn_detached(&self, future: impl Future<Output = ()> + 'static) {
        tokio::task::spawn_local(future);
    }

    fn spawn_at(&self, at: SimTime, future: impl Future<Output = ()> + 'static) {
        let start = tokio::time::sleep_until(self.instant(at));
        tokio::task::spawn_local(async move {
            start.await;
            future.await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn sleeps_timeouts_and_spawns_take_real_time_in_order() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let clock = RealTime::start();
        let log = Rc::new(RefCell::new(Vec::new()));
        local.block_on(&rt, async {
            for (name, ms) in [("late", 30), ("early", 10)] {
                let log = log.clone();
                clock.spawn_at(SimTime(ms * 1000), async move {
                    log.borrow_mut().push((name, clock.now()));
                });
            }
            let slow = clock.sleep(SimDuration::from_millis(200));
            let cut = clock.timeout(SimDuration::from_millis(20), slow).await;
            assert_eq!(cut, Err(Elapsed));
        });
        rt.block_on(local);
        let log = log.borrow();
        assert_eq!(
            log.iter().map(|e| e.0).collect::<Vec<_>>(),
            ["early", "late"]
        );
        assert!(
            log[0].1 >= SimTime(10_000) && log[1].1 >= SimTime(30_000),
            "{log:?}"
        );
        // Nothing waited for the 200 ms sleep that the timeout dropped.
        assert!(clock.now() < SimTime(150_000), "{:?}", clock.now());
    }
}
