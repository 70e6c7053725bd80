//! Fault injection behind the shared-cache interface: [`Faulty`] wraps any [`Store`] and makes
//! it fail the way a Redis does in production, on the runtime's clock (simulated time in a run,
//! so the faults are exact and repeatable):
//!
//! - an **outage** window: every command sent inside it is refused at once, as a connection to a
//!   server that is down is (`ECONNREFUSED` costs no wait);
//! - a **slow** window: every command sent inside it runs as usual at the server, but its reply
//!   arrives `delay` later (a server busy with a slow command, a saturated network);
//! - a client **timeout** per command: a reply that has not arrived after it fails the command
//!   with a timeout. The command may still have run at the server, as with any real client;
//! - a client **pool** of connections: a command holds one until its reply (or timeout), and a
//!   command that finds them all busy fails at once, as redis-py's default connection pool
//!   raises "Too many connections" rather than queueing.
//!
//! Every failure is [`Error::Store`], which callers count and fail open on; [`Faulty::counts`]
//! says how many of each fault the store injected.

use super::{Cmd, Script, Store};
use crate::error::{Error, Result};
use crate::sim::{Runtime, SimDuration, SimTime};
use crate::tiers::l2::Reply;
use std::cell::Cell;
use std::future::Future;

/// A span of time `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The first instant inside.
    pub from: SimTime,
    /// The first instant after.
    pub to: SimTime,
}

impl Window {
    /// `[from, from + length)`.
    pub fn new(from: SimTime, length: SimDuration) -> Window {
        Window {
            from,
            to: from + length,
        }
    }

    /// Whether `t` lies inside.
    pub fn contains(&self, t: SimTime) -> bool {
        self.from <= t && t < self.to
    }
}

/// What goes wrong, and when.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Windows in which every command is refused at once.
    pub outages: Vec<Window>,
    /// Windows in which every reply arrives this much later.
    pub slow: Vec<(Window, SimDuration)>,
    /// The client gives up on a command after this long.
    pub timeout: Option<SimDuration>,
    /// The client holds at most this many connections; a command that finds none free fails.
    pub pool: Option<u64>,
}

/// Commands that failed, by fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FaultCounts {
    /// Refused during an outage.
    pub refused: u64,
    /// Sent during a slow window (whether or not they then timed out).
    pub delayed: u64,
    /// Given up on by the client's timeout.
    pub timed_out: u64,
    /// Failed at once because every connection of the pool was busy.
    pub pool_exhausted: u64,
}

/// A store whose commands meet the [`Faults`] on the runtime `R`'s clock.
pub struct Faulty<S, R> {
    inner: S,
    rt: R,
    faults: Faults,
    counts: Cell<FaultCounts>,
    /// Connections busy with a command.
    busy: Cell<u64>,
}

/// A connection taken from the pool, given back when the command ends — also when the caller
/// drops the command half-way (its request timed out).
struct Lease<'a>(&'a Cell<u64>);

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl<S: Store, R: Runtime> Faulty<S, R> {
    /// `inner`, failing as `faults` says on `rt`'s clock.
    pub fn new(inner: S, rt: R, faults: Faults) -> Self {
        Faulty {
            inner,
            rt,
            faults,
            counts: Cell::new(FaultCounts::default()),
            busy: Cell::new(0),
        }
    }

    /// The faults injected so far.
    pub fn counts(&self) -> FaultCounts {
        self.counts.get()
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn count(&self, f: impl FnOnce(&mut FaultCounts)) {
        let mut counts = self.counts.get();
        f(&mut counts);
        self.counts.set(counts);
    }

    /// Sends one command (`send` is its round trip to the inner store) through the faults.
    async fn guard<T>(&self, send: impl Future<Output = Result<T>>) -> Result<T> {
        let now = self.rt.now();
        if self.faults.outages.iter().any(|w| w.contains(now)) {
            self.count(|c| c.refused += 1);
            return Err(Error::Store {
                detail: "connection refused (injected outage)".to_string(),
            });
        }
        if self.faults.pool.is_some_and(|size| self.busy.get() >= size) {
            self.count(|c| c.pool_exhausted += 1);
            return Err(Error::Store {
                detail: "too many connections (the client's pool is exhausted)".to_string(),
            });
        }
        self.busy.set(self.busy.get() + 1);
        let _lease = Lease(&self.busy);
        let delay = self
            .faults
            .slow
            .iter()
            .filter(|(w, _)| w.contains(now))
            .map(|&(_, d)| d)
            .max();
        if delay.is_some() {
            self.count(|c| c.delayed += 1);
        }
        let reply = async {
            let reply = send.await;
            if let Some(delay) = delay {
                self.rt.sleep(delay).await;
            }
            reply
        };
        match self.faults.timeout {
            None => reply.await,
            Some(limit) => match self.rt.timeout(limit, reply).await {
                Ok(reply) => reply,
                Err(_) => {
                    self.count(|c| c.timed_out += 1);
                    Err(Error::Store {
                        detail: format!("timeout after {} µs (injected)", limit.as_micros()),
                    })
                }
            },
        }
    }
}

/// Implements [`Store`] for a wrapper `$ty<S, R>` whose `guard(send)` decides what becomes of
/// each command sent to its `inner` store (the fault injection, the circuit breaker): the two
/// required methods and the typed ones the model answers directly, all through the guard.
macro_rules! guarded_store {
    ($ty:ident) => {
        impl<S: Store, R: Runtime> Store for $ty<S, R> {
            async fn pipeline(&self, cmds: &[Cmd<'_>]) -> Result<Vec<Reply>> {
                self.guard(self.inner.pipeline(cmds)).await
            }

            async fn eval(&self, script: &dyn Script) -> Result<Reply> {
                self.guard(self.inner.eval(script)).await
            }

            async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
                self.guard(self.inner.get(key)).await
            }

            async fn set(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<()> {
                self.guard(self.inner.set(key, value, ttl)).await
            }

            async fn set_nx(
                &self,
                key: &[u8],
                value: &[u8],
                ttl: Option<SimDuration>,
            ) -> Result<bool> {
                self.guard(self.inner.set_nx(key, value, ttl)).await
            }

            async fn del(&self, key: &[u8]) -> Result<bool> {
                self.guard(self.inner.del(key)).await
            }
        }
    };
}
pub(super) use guarded_store;

guarded_store!(Faulty);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Executor;
    use crate::strategy::SimL2;
    use crate::tiers::L2;
    use std::rc::Rc;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn at(n: u64) -> SimTime {
        SimTime::ZERO + ms(n)
    }

    /// A 2 ms store with `faults`; `body` runs as a task and its output is returned.
    fn run<T: 'static, Fut: Future<Output = T> + 'static>(
        faults: Faults,
        body: impl FnOnce(Rc<Faulty<SimL2, crate::sim::Sim>>, crate::sim::Sim) -> Fut,
    ) -> (T, FaultCounts) {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let l2 = SimL2::new(sim.clone(), L2::new(), ms(2));
        let store = Rc::new(Faulty::new(l2, sim.clone(), faults));
        let h = sim.spawn(body(store.clone(), sim.clone()));
        exec.run();
        (h.try_take().expect("the task finished"), store.counts())
    }

    #[test]
    fn an_outage_refuses_at_once_and_only_inside_its_window() {
        let faults = Faults {
            outages: vec![Window::new(at(10), ms(5))],
            ..Faults::default()
        };
        let (seen, counts) = run(faults, |store, sim| async move {
            let mut seen = Vec::new();
            for start in [0, 10, 14, 15] {
                sim.sleep_until(at(start)).await;
                let ok = store.set(b"k", b"v", None).await.is_ok();
                seen.push((start, ok, sim.now().since(at(start)).as_micros()));
            }
            seen
        });
        // Refused commands cost no time; the others a 2 ms round trip.
        assert_eq!(
            seen,
            [
                (0, true, 2_000),
                (10, false, 0),
                (14, false, 0),
                (15, true, 2_000)
            ]
        );
        assert_eq!(counts.refused, 2);
    }

    #[test]
    fn a_slow_window_delays_replies_and_the_timeout_cuts_them_off() {
        let slow = Faults {
            slow: vec![(Window::new(at(0), ms(100)), ms(30))],
            ..Faults::default()
        };
        let with_timeout = Faults {
            timeout: Some(ms(10)),
            ..slow.clone()
        };
        let body = |store: Rc<Faulty<SimL2, crate::sim::Sim>>, sim: crate::sim::Sim| async move {
            let set = store.set(b"k", b"v", None).await.is_ok();
            let took = sim.now();
            // The command ran at the server even when the client gave up waiting.
            let stored = store.inner().model().borrow_mut().get(b"k").unwrap();
            (set, took, stored.is_some())
        };
        let (waited, counts) = run(slow, body);
        assert_eq!(waited, (true, at(32), true));
        assert_eq!((counts.delayed, counts.timed_out), (1, 0));
        let (gave_up, counts) = run(with_timeout, body);
        assert_eq!(gave_up, (false, at(10), true));
        assert_eq!((counts.delayed, counts.timed_out), (1, 1));
    }

    #[test]
    fn a_full_pool_refuses_at_once_until_a_connection_comes_back() {
        // Every reply 30 ms late, two connections: the third command sent at once fails at
        // once; one sent after the first two replies gets a connection again.
        let faults = Faults {
            slow: vec![(Window::new(at(0), ms(100)), ms(30))],
            pool: Some(2),
            ..Faults::default()
        };
        let (seen, counts) = run(faults, |store, sim| async move {
            let sent = |n: u64| {
                let (store, sim) = (store.clone(), sim.clone());
                async move {
                    sim.sleep_until(at(n)).await;
                    let ok = store.get(b"k").await.is_ok();
                    (n, ok, sim.now().since(at(n)).as_micros())
                }
            };
            let handles: Vec<_> = [0, 0, 1, 40]
                .into_iter()
                .map(|n| sim.spawn(sent(n)))
                .collect();
            sim.sleep(ms(100)).await;
            handles
                .iter()
                .map(|h| h.try_take().expect("done"))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            seen,
            [
                (0, true, 32_000),
                (0, true, 32_000),
                (1, false, 0),
                (40, true, 32_000)
            ]
        );
        assert_eq!((counts.pool_exhausted, counts.delayed), (1, 3));
    }

    #[test]
    fn scripts_and_pipelines_meet_the_same_faults() {
        let faults = Faults {
            outages: vec![Window::new(at(0), ms(1))],
            ..Faults::default()
        };
        let (failed, counts) = run(faults, |store, _| async move {
            let pipeline = store.pipeline(&[Cmd::Get(b"k")]).await.is_err();
            let typed = store.scard(b"s").await.is_err();
            let script = crate::strategy::SetIfNewer {
                key: b"k",
                slot: crate::strategy::Slot::Marker(1),
                ttl: None,
            };
            (pipeline, typed, script.run_on(&*store).await.is_err())
        });
        assert_eq!(failed, (true, true, true));
        assert_eq!(counts.refused, 3);
    }
}
