//! What the strategies need from time, as a trait: so that the very same request code runs on
//! the simulator's clock ([`Sim`], where a minute costs only its work and every run is exact) and
//! on the wall clock against a real Redis (the `redis` feature's tokio runtime, where the
//! latencies are real and so are the races).
//!
//! The futures need not be `Send`: both runtimes run every task of a run on one thread, which is
//! what lets the strategies share their context through `Rc` and `RefCell`.

use super::executor::{Elapsed, Sim};
use super::time::{SimDuration, SimTime};
use std::future::Future;

/// A clock, timers and a way to start tasks: everything a run does with time.
///
/// Time is always [`SimTime`] since the run started, whether simulated or measured, so that the
/// metrics and reports are the same code in both worlds.
pub trait Runtime: Clone + 'static {
    /// Time since the run started.
    fn now(&self) -> SimTime;

    /// Completes `duration` from now.
    fn sleep(&self, duration: SimDuration) -> impl Future<Output = ()>;

    /// Completes at `deadline` (at once if it has passed).
    fn sleep_until(&self, deadline: SimTime) -> impl Future<Output = ()>;

    /// Runs `future`, giving up (and dropping it) when `duration` has passed first.
    fn timeout<F: Future>(
        &self,
        duration: SimDuration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>>;

    /// Starts `future` as a task of its own and forgets it.
    fn spawn_detached(&self, future: impl Future<Output = ()> + 'static);

    /// Starts `future` as a task at `at` (at once if that has passed), and forgets it.
    fn spawn_at(&self, at: SimTime, future: impl Future<Output = ()> + 'static);
}

/// The simulator: its inherent methods, which keep their exact timer order (so reports stay
/// byte-identical whichever way a strategy reaches them).
///
/// ```
/// use cachelab::sim::{Executor, Runtime, SimDuration, SimTime};
/// // Written once against the trait...
/// async fn nap<R: Runtime>(rt: R) -> SimTime {
///     rt.sleep(SimDuration::from_millis(30)).await;
///     rt.now()
/// }
/// // ...and run here on simulated time: no real time passes.
/// let exec = Executor::new();
/// let woke = exec.sim().spawn(nap(exec.sim().clone()));
/// exec.run();
/// assert_eq!(woke.try_take(), Some(SimTime(30_000)));
/// ```
impl Runtime for Sim {
    fn now(&self) -> SimTime {
        Sim::now(self)
    }

    fn sleep(&self, duration: SimDuration) -> impl Future<Output = ()> {
        Sim::sleep(self, duration)
    }

    fn sleep_until(&self, deadline: SimTime) -> impl Future<Output = ()> {
        Sim::sleep_until(self, deadline)
    }

    fn timeout<F: Future>(
        &self,
        duration: SimDuration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> {
        Sim::timeout(self, duration, future)
    }

    fn spawn_detached(&self, future: impl Future<Output = ()> + 'static) {
        Sim::spawn_detached(self, future)
    }

    fn spawn_at(&self, at: SimTime, future: impl Future<Output = ()> + 'static) {
        Sim::spawn_at(self, at, future)
    }
}
