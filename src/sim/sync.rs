//! Waiting for each other on simulated time: a FIFO [`Semaphore`] (the database's connection
//! pool, where requests queue when every connection is busy) and a [`Flight`] (one task loads a
//! value, any number of others wait for that very load instead of starting their own).
//!
//! Both are single-threaded (`Rc`/`RefCell`): they belong to one [`Executor`](super::Executor).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A counting semaphore whose waiters are served strictly first come, first served.
pub struct Semaphore {
    state: RefCell<SemaphoreState>,
}

struct SemaphoreState {
    available: u64,
    /// Waiters in arrival order, with those that gave up still in place (skipped on release):
    /// leaving is O(1), so a crowd of timed-out waiters costs linear time, not quadratic.
    queue: VecDeque<Rc<QueuedAcquire>>,
    /// Waiters in the queue that have not given up.
    waiting: u64,
}

/// One task waiting in the queue. `granted` is set by the releasing task, which hands its permit
/// over directly so that nobody can overtake the queue; `gone` by a waiter that gave up.
struct QueuedAcquire {
    granted: Cell<bool>,
    gone: Cell<bool>,
    waker: RefCell<Waker>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: u64) -> Self {
        Semaphore {
            state: RefCell::new(SemaphoreState {
                available: permits,
                queue: VecDeque::new(),
                waiting: 0,
            }),
        }
    }

    /// Tasks waiting for a permit.
    pub fn queued(&self) -> u64 {
        self.state.borrow().waiting
    }

    /// Waits for a permit, which is given back when the returned [`Permit`] is dropped.
    ///
    /// ```
    /// use cachelab::sim::{Executor, Semaphore, SimDuration};
    /// use std::rc::Rc;
    /// let exec = Executor::new();
    /// let pool = Rc::new(Semaphore::new(1));
    /// let done = Rc::new(std::cell::RefCell::new(Vec::new()));
    /// for id in 0..3 {
    ///     let (sim, pool, done) = (exec.sim().clone(), pool.clone(), done.clone());
    ///     exec.sim().spawn_detached(async move {
    ///         let _permit = pool.acquire().await;          // one at a time
    ///         sim.sleep(SimDuration::from_millis(10)).await;
    ///         done.borrow_mut().push((id, sim.now().as_millis()));
    ///     });
    /// }
    /// exec.run();
    /// // They queued in arrival order: overload shows up as waiting time.
    /// assert_eq!(*done.borrow(), [(0, 10), (1, 20), (2, 30)]);
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            queued: None,
            done: false,
        }
    }

    /// [`Semaphore::acquire`] for a permit that does not borrow the semaphore.
    pub async fn acquire_owned(self: Rc<Self>) -> OwnedPermit {
        let permit = self.acquire().await;
        // The owned permit takes over the release.
        std::mem::forget(permit);
        OwnedPermit { semaphore: self }
    }

    fn release(&self) {
        let next = {
            let mut state = self.state.borrow_mut();
            loop {
                match state.queue.pop_front() {
                    Some(next) if next.gone.get() => continue,
                    Some(next) => {
                        state.waiting -= 1;
                        break Some(next);
                    }
                    None => {
                        state.available += 1;
                        break None;
                    }
                }
            }
        };
        if let Some(next) = next {
            next.granted.set(true);
            next.waker.borrow().wake_by_ref();
        }
    }
}

/// The future of [`Semaphore::acquire`]. Dropped while queued, it leaves the queue; dropped after
/// a permit was handed to it, it passes the permit on.
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    queued: Option<Rc<QueuedAcquire>>,
    done: bool,
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let semaphore = self.semaphore;
        match &self.queued {
            None => {
                let mut state = semaphore.state.borrow_mut();
                if state.available > 0 && state.waiting == 0 {
                    state.available -= 1;
                    drop(state);
                    self.done = true;
                    return Poll::Ready(Permit { semaphore });
                }
                let entry = Rc::new(QueuedAcquire {
                    granted: Cell::new(false),
                    gone: Cell::new(false),
                    waker: RefCell::new(cx.waker().clone()),
                });
                state.queue.push_back(entry.clone());
                state.waiting += 1;
                drop(state);
                self.queued = Some(entry);
                Poll::Pending
            }
            Some(entry) if entry.granted.get() => {
                self.done = true;
                Poll::Ready(Permit { semaphore })
            }
            Some(entry) => {
                entry.waker.borrow_mut().clone_from(cx.waker());
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(entry) = self.queued.take() else {
            return;
        };
        if self.done {
            return;
        }
        if entry.granted.get() {
            self.semaphore.release();
        } else {
            entry.gone.set(true);
            self.semaphore.state.borrow_mut().waiting -= 1;
        }
    }
}

/// A permit of a [`Semaphore`]; dropping it gives the permit to the next in the queue.
pub struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

/// A permit that holds its semaphore by `Rc` ([`Semaphore::acquire_owned`]), so that a task of
/// its own may keep it.
pub struct OwnedPermit {
    semaphore: Rc<Semaphore>,
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

/// A value that one task is producing and others wait for: an in-flight load, a held lock.
/// Cloning gives another handle to the same flight.
pub struct Flight<T> {
    state: Rc<RefCell<FlightState<T>>>,
}

struct FlightState<T> {
    value: Option<T>,
    waiters: Vec<Waker>,
}

impl<T> Clone for Flight<T> {
    fn clone(&self) -> Self {
        Flight {
            state: self.state.clone(),
        }
    }
}

impl<T: Clone> Default for Flight<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Flight<T> {
    /// A flight that has not landed yet.
    pub fn new() -> Self {
        Flight {
            state: Rc::new(RefCell::new(FlightState {
                value: None,
                waiters: Vec::new(),
            })),
        }
    }

    /// Lands the flight with `value` and wakes every waiter. Only the first landing counts.
    pub fn complete(&self, value: T) {
        let waiters = {
            let mut state = self.state.borrow_mut();
            if state.value.is_some() {
                return;
            }
            state.value = Some(value);
            std::mem::take(&mut state.waiters)
        };
        for w in waiters {
            w.wake();
        }
    }

    /// Whether it has landed.
    pub fn is_complete(&self) -> bool {
        self.state.borrow().value.is_some()
    }

    /// Waits for the value.
    ///
    /// ```
    /// use cachelab::sim::{Executor, Flight, SimDuration};
    /// let exec = Executor::new();
    /// let flight: Flight<u32> = Flight::new();
    /// let waiter = exec.sim().spawn({
    ///     let (sim, flight) = (exec.sim().clone(), flight.clone());
    ///     async move { (flight.wait().await, sim.now().as_millis()) }
    /// });
    /// let (sim, loader) = (exec.sim().clone(), flight.clone());
    /// exec.sim().spawn_detached(async move {
    ///     sim.sleep(SimDuration::from_millis(40)).await;   // the one load
    ///     loader.complete(7);
    /// });
    /// exec.run();
    /// assert_eq!(waiter.try_take(), Some((7, 40)));
    /// ```
    pub fn wait(&self) -> impl Future<Output = T> + '_ {
        poll_fn(|cx| {
            let mut state = self.state.borrow_mut();
            match &state.value {
                Some(v) => Poll::Ready(v.clone()),
                None => {
                    state.waiters.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Executor, SimDuration, SimTime};

    #[test]
    fn a_timed_out_waiter_leaves_the_queue_and_others_keep_their_turn() {
        let exec = Executor::new();
        let pool = Rc::new(Semaphore::new(1));
        let done = Rc::new(RefCell::new(Vec::new()));
        for (id, patience_ms) in [(0, 100), (1, 5), (2, 100)] {
            let (sim, pool, done) = (exec.sim().clone(), pool.clone(), done.clone());
            exec.sim().spawn_detached(async move {
                let work = async {
                    let _p = pool.acquire().await;
                    sim.sleep(SimDuration::from_millis(10)).await;
                };
                let r = sim
                    .timeout(SimDuration::from_millis(patience_ms), work)
                    .await;
                done.borrow_mut().push((id, r.is_ok(), sim.now()));
            });
        }
        exec.run();
        assert_eq!(
            *done.borrow(),
            [
                (1, false, SimTime(5_000)),
                (0, true, SimTime(10_000)),
                (2, true, SimTime(20_000))
            ]
        );
        assert_eq!(pool.queued(), 0);
    }

    #[test]
    fn a_flight_lands_once() {
        let f: Flight<u8> = Flight::new();
        f.complete(1);
        f.complete(2);
        assert!(f.is_complete());
        let exec = Executor::new();
        let h = exec.sim().spawn(async move { f.wait().await });
        exec.run();
        assert_eq!(h.try_take(), Some(1));
    }
}
