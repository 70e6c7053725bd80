//! A circuit breaker in front of the shared cache: [`Breaker`] wraps any [`Store`] and, after
//! `failures` commands in a row have failed, stops sending commands for a `cool_down` (each one
//! fails at once, so the caller goes to the database without waiting for a dead or slow server).
//! When the cool-down is over, one command goes through as a probe: if it succeeds the breaker
//! closes again, if it fails the breaker opens for another cool-down. Commands that arrive while
//! the probe is out are skipped too, so a server that is still slow costs one waiting request
//! per cool-down, not every request.

use super::{Cmd, Script, Store};
use crate::error::{Error, Result};
use crate::sim::{Runtime, SimDuration, SimTime};
use crate::tiers::l2::Reply;
use serde::Serialize;
use std::cell::Cell;
use std::future::Future;

/// When the breaker opens and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Commands failed in a row that open it.
    pub failures: u64,
    /// How long it stays open before a probe.
    pub cool_down: SimDuration,
}

/// What the breaker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BreakerCounts {
    /// Times it opened (after `failures` in a row, or after a failed probe).
    pub opened: u64,
    /// Commands it failed at once without sending them.
    pub skipped: u64,
    /// Probes sent after a cool-down.
    pub probes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Commands go through; this many have failed in a row.
    Closed(u64),
    /// Commands are skipped until then.
    Open(SimTime),
    /// One probe is out; the others are skipped.
    Probing,
}

/// A store behind a circuit breaker on the runtime `R`'s clock (or passed through unchanged when
/// it has no [`BreakerConfig`]).
pub struct Breaker<S, R> {
    inner: S,
    rt: R,
    config: Option<BreakerConfig>,
    state: Cell<State>,
    counts: Cell<BreakerCounts>,
}

/// The probe's outcome if it never comes back (the request that sent it was dropped): treated
/// as a failure, so that the breaker does not wait for it forever.
struct Probe<'a, S, R: Runtime> {
    breaker: &'a Breaker<S, R>,
    landed: bool,
}

impl<S, R: Runtime> Drop for Probe<'_, S, R> {
    fn drop(&mut self) {
        if !self.landed {
            self.breaker.open();
        }
    }
}

impl<S: Store, R: Runtime> Breaker<S, R> {
    /// `inner` behind a breaker configured by `config` (`None`: no breaker).
    pub fn new(inner: S, rt: R, config: Option<BreakerConfig>) -> Self {
        Breaker {
            inner,
            rt,
            config,
            state: Cell::new(State::Closed(0)),
            counts: Cell::new(BreakerCounts::default()),
        }
    }

    /// What the breaker has done so far.
    pub fn counts(&self) -> BreakerCounts {
        self.counts.get()
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn count(&self, f: impl FnOnce(&mut BreakerCounts)) {
        let mut counts = self.counts.get();
        f(&mut counts);
        self.counts.set(counts);
    }
}

impl<S, R: Runtime> Breaker<S, R> {
    fn open(&self) {
        let Some(config) = self.config else { return };
        self.state
            .set(State::Open(self.rt.now() + config.cool_down));
        let mut counts = self.counts.get();
        counts.opened += 1;
        self.counts.set(counts);
    }
}

impl<S: Store, R: Runtime> Breaker<S, R> {
    /// Sends one command (`send`) unless the breaker is open.
    async fn guard<T>(&self, send: impl Future<Output = Result<T>>) -> Result<T> {
        let Some(config) = self.config else {
            return send.await;
        };
        match self.state.get() {
            State::Closed(_) => {
                let result = send.await;
                // Only a closed breaker counts: a reply that comes back after it opened says
                // nothing new.
                if let State::Closed(failed) = self.state.get() {
                    match result {
                        Ok(_) => self.state.set(State::Closed(0)),
                        Err(_) if failed + 1 >= config.failures => self.open(),
                        Err(_) => self.state.set(State::Closed(failed + 1)),
                    }
                }
                result
            }
            State::Open(until) if self.rt.now() >= until => {
                self.state.set(State::Probing);
                self.count(|c| c.probes += 1);
                let mut probe = Probe {
                    breaker: self,
                    landed: false,
                };
                let result = send.await;
                probe.landed = true;
                match result {
                    Ok(_) => self.state.set(State::Closed(0)),
                    Err(_) => self.open(),
                }
                result
            }
            State::Open(_) | State::Probing => {
                self.count(|c| c.skipped += 1);
                Err(Error::Store {
                    detail: "circuit open: the cache is skipped for its cool-down".to_string(),
                })
            }
        }
    }
}

super::faults::guarded_store!(Breaker);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Executor, Sim};
    use crate::strategy::{Faults, Faulty, SimL2, Window};
    use crate::tiers::L2;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn at(n: u64) -> SimTime {
        SimTime::ZERO + ms(n)
    }

    #[test]
    fn it_opens_after_failures_in_a_row_skips_then_probes_and_closes() {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let l2 = SimL2::new(sim.clone(), L2::new(), ms(1));
        // Down from 0 to 50 ms; the breaker opens after 3 failures for 20 ms.
        let faults = Faults {
            outages: vec![Window::new(at(0), ms(50))],
            ..Faults::default()
        };
        let store = Breaker::new(
            Faulty::new(l2, sim.clone(), faults),
            sim.clone(),
            Some(BreakerConfig {
                failures: 3,
                cool_down: ms(20),
            }),
        );
        let h = sim.spawn({
            let sim: Sim = sim.clone();
            async move {
                let mut seen = Vec::new();
                for start in [0, 0, 0, 1, 10, 25, 26, 60, 61] {
                    sim.sleep_until(at(start)).await;
                    seen.push(store.get(b"k").await.is_ok());
                }
                (seen, store.counts(), store.inner().counts().refused)
            }
        });
        exec.run();
        let (seen, counts, refused) = h.try_take().unwrap();
        // Three refusals open it; at 1 and 10 ms it skips; at 25 ms the probe is refused (the
        // outage lasts to 50 ms) and it opens again until 45 ms; the 60 ms probe succeeds.
        assert_eq!(
            seen,
            [false, false, false, false, false, false, false, true, true]
        );
        assert_eq!(
            counts,
            BreakerCounts {
                opened: 2,
                skipped: 3,
                probes: 2
            }
        );
        assert_eq!(refused, 4);
    }

    #[test]
    fn without_a_config_it_passes_everything_through() {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let l2 = SimL2::new(sim.clone(), L2::new(), ms(1));
        let faults = Faults {
            outages: vec![Window::new(at(0), ms(50))],
            ..Faults::default()
        };
        let store = Breaker::new(Faulty::new(l2, sim.clone(), faults), sim.clone(), None);
        let h = sim.spawn(async move {
            for _ in 0..10 {
                let _ = store.get(b"k").await;
            }
            (store.counts(), store.inner().counts().refused)
        });
        exec.run();
        assert_eq!(h.try_take().unwrap(), (BreakerCounts::default(), 10));
    }
}
