//! A small single-threaded async executor on simulated time.
//!
//! Tasks are ordinary Rust futures. A task that sleeps registers a timer; when no task is ready to
//! run, the executor jumps the clock straight to the earliest timer, so a simulated minute costs
//! only the work done in it. There are no threads and no wall clock.
//!
//! ## Order of simultaneous events
//!
//! Every timer carries the time it fires and a sequence number taken when it was registered.
//! Timers fire strictly in `(time, sequence)` order, and after each one the executor runs every
//! ready task (first woken, first run) until none is left, before it fires the next timer — even
//! one at the same instant. A newly spawned task is ready at once and queues behind tasks already
//! ready. The clock only moves forward. So a run is a pure function of what was spawned.
//!
//! ## Wakers
//!
//! A task's [`Waker`] is just its slot number: cloning and dropping it cost nothing, which
//! matters because every sleep stores one. Waking pushes the slot onto a thread-local queue,
//! tagged with the executor that is running (spawning tags it with the spawning executor), and
//! the running executor drains the entries that are its own. A stale wake (for a task that has
//! finished, its slot perhaps reused) at worst polls a task once more for nothing — futures must
//! tolerate such spurious polls anyway. Wakers work while their executor runs, on its thread:
//! sharing a future's wake-ups between two executors is not supported.

use super::time::{SimDuration, SimTime};
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::future::{poll_fn, Future};
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

thread_local! {
    /// Wakes not yet picked up: `(executor id, task slot)`.
    static WOKEN: RefCell<VecDeque<(u64, u32)>> = const { RefCell::new(VecDeque::new()) };
    /// Hands out executor ids, so that wakes of one executor never run tasks of another.
    static NEXT_EXECUTOR: Cell<u64> = const { Cell::new(0) };
    /// The executor whose `run` is on the stack (innermost), which wakes are meant for.
    static RUNNING: Cell<u64> = const { Cell::new(u64::MAX) };
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// The waker slot of the future of [`Executor::block_on`], which is no task (task slots count up
/// from zero and never reach it).
const BLOCKED_ON: u32 = u32::MAX;

/// The waker of task slot `slot`: the slot number is the waker's data, never dereferenced.
fn slot_waker(slot: u32) -> Waker {
    let raw = RawWaker::new(std::ptr::without_provenance(slot as usize), &SLOT_WAKER);
    // SAFETY: the vtable's functions treat the data as a plain integer: nothing is dereferenced,
    // nothing is owned, so every clone, wake and drop is sound on any thread.
    unsafe { Waker::from_raw(raw) }
}

static SLOT_WAKER: RawWakerVTable =
    RawWakerVTable::new(clone_slot, wake_slot, wake_slot, drop_slot);

fn clone_slot(data: *const ()) -> RawWaker {
    RawWaker::new(data, &SLOT_WAKER)
}

fn wake_slot(data: *const ()) {
    let slot = data.addr() as u32;
    let executor = RUNNING.with(Cell::get);
    WOKEN.with(|q| q.borrow_mut().push_back((executor, slot)));
}

fn drop_slot(_: *const ()) {}

/// Where a registered timer is: timer number `n` of a lane, or the heap timer with this
/// sequence number.
#[derive(Clone, Copy, Debug)]
enum TimerId {
    Lane { lane: usize, n: u64 },
    Heap(u64),
}

/// Timers that fire no earlier than every timer queued before them in the same lane, kept in a
/// FIFO instead of the heap: pushing and popping are O(1), and the heap stays small.
///
/// A simulation's timers mostly come in such streams — timeouts of one fixed length, network
/// round trips of one fixed length, arrivals in time order — and each stream settles into a
/// lane of its own. Lanes and heap together still fire in exact `(time, sequence)` order.
#[derive(Default)]
struct Lane {
    timers: VecDeque<Timer>,
    /// Timers ever popped from the front: timer number `n` sits at index `n - popped`.
    popped: u64,
}

/// Lanes per executor: one for each common stream of timers, with room to spare.
const LANES: usize = 4;

/// A registered timer: fires at `at`; ties are broken by `seq`, the registration order.
struct Timer {
    at: SimTime,
    seq: u64,
    /// `None` once cancelled (timers in a lane are cancelled in place).
    waker: Option<Waker>,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Hashes a timer's sequence number, which is already unique: a multiply spreads it over the
/// table. (std's default hasher would also do, but seeds itself from the OS.)
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

struct Core {
    id: u64,
    now: Cell<SimTime>,
    next_seq: Cell<u64>,
    timers: RefCell<BinaryHeap<Reverse<Timer>>>,
    /// Timers that found a lane (see [`Lane`]); the others are in `timers`.
    lanes: RefCell<[Lane; LANES]>,
    /// Sequence numbers of heap timers whose sleep was dropped before they fired: they are
    /// skipped, so they neither wake anyone nor move the clock. (A cancelled lane timer loses
    /// its waker in place instead: no set needed for the common case, a finished timeout.)
    cancelled: RefCell<HashSet<u64, BuildHasherDefault<SeqHasher>>>,
    /// Task slots; `None` is free (listed in `free`) or currently being polled.
    tasks: RefCell<Vec<Option<Task>>>,
    free: RefCell<Vec<u32>>,
    live_tasks: Cell<u64>,
}

/// A cheap, cloneable handle to the executor: what tasks use to read the clock, sleep and spawn.
#[derive(Clone)]
pub struct Sim {
    core: Rc<Core>,
}

/// Owns the tasks and runs them. Dropping it drops every unfinished task (which also breaks the
/// reference cycles between tasks and the handles they hold).
pub struct Executor {
    sim: Sim,
}

/// Returned by [`Sim::timeout`] when the time ran out first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl Default for Executor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor {
    /// An executor with no tasks, at time zero.
    pub fn new() -> Self {
        let id = NEXT_EXECUTOR.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        Executor {
            sim: Sim {
                core: Rc::new(Core {
                    id,
                    now: Cell::new(SimTime::ZERO),
                    next_seq: Cell::new(0),
                    timers: RefCell::new(BinaryHeap::new()),
                    lanes: RefCell::new(Default::default()),
                    cancelled: RefCell::new(HashSet::default()),
                    tasks: RefCell::new(Vec::new()),
                    free: RefCell::new(Vec::new()),
                    live_tasks: Cell::new(0),
                }),
            },
        }
    }

    /// The handle that tasks use.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Runs until no task can make progress: nothing ready and no timer left. Tasks that wait for
    /// something that never happens stay unfinished (see [`Sim::live_tasks`]).
    ///
    /// ```
    /// use cachelab::sim::{Executor, SimDuration, SimTime};
    /// use std::{cell::RefCell, rc::Rc};
    /// let exec = Executor::new();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// for (name, ms) in [("slow", 30), ("fast", 10)] {
    ///     let (sim, log) = (exec.sim().clone(), log.clone());
    ///     exec.sim().spawn_detached(async move {
    ///         sim.sleep(SimDuration::from_millis(ms)).await;
    ///         log.borrow_mut().push((name, sim.now()));
    ///     });
    /// }
    /// exec.run();
    /// // The clock jumped from timer to timer: no real time passed.
    /// assert_eq!(*log.borrow(), [("fast", SimTime(10_000)), ("slow", SimTime(30_000))]);
    /// ```
    pub fn run(&self) {
        self.run_until(SimTime(u64::MAX));
    }

    /// Runs until no task can make progress or the next timer lies after `end`; the clock then
    /// reads the last timer that fired (never more than `end`).
    pub fn run_until(&self, end: SimTime) {
        self.run_inner(end, false);
    }

    /// Runs every task and timer up to `at`, then sets the clock to `at`: for a caller that
    /// drives time itself (a loop over arrivals) between [`Executor::block_on`] calls.
    ///
    /// ```
    /// use cachelab::sim::{Executor, SimTime};
    /// let exec = Executor::new();
    /// exec.advance_to(SimTime(7_000));
    /// assert_eq!(exec.sim().now(), SimTime(7_000));
    /// ```
    pub fn advance_to(&self, at: SimTime) {
        self.run_inner(at, false);
        let core = &self.sim.core;
        core.now.set(core.now.get().max(at));
    }

    /// Runs `future` to completion from outside the executor, running the executor's tasks and
    /// timers while it waits (the clock moves as it would for a task). `None` if it can never
    /// finish: it waits for something no task or timer will ever do.
    ///
    /// ```
    /// use cachelab::sim::{Executor, SimDuration, SimTime};
    /// let exec = Executor::new();
    /// let sim = exec.sim().clone();
    /// let woke = exec.block_on(async {
    ///     sim.sleep(SimDuration::from_millis(3)).await;
    ///     sim.now()
    /// });
    /// assert_eq!(woke, Some(SimTime(3_000)));
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        let waker = slot_waker(BLOCKED_ON);
        let mut cx = Context::from_waker(&waker);
        let core = &self.sim.core;
        loop {
            let outer = RUNNING.with(|r| r.replace(core.id));
            let polled = future.as_mut().poll(&mut cx);
            RUNNING.with(|r| r.set(outer));
            if let Poll::Ready(output) = polled {
                return Some(output);
            }
            if !self.run_inner(SimTime(u64::MAX), true) {
                return None;
            }
        }
    }

    /// The run loop: tasks, then timers in order, up to `end`. With `until_woken`, it stops as
    /// soon as the future of [`Executor::block_on`] is woken, and says whether it was.
    fn run_inner(&self, end: SimTime, until_woken: bool) -> bool {
        let core = &self.sim.core;
        let outer = RUNNING.with(|r| r.replace(core.id));
        let mut foreign = Vec::new();
        let mut woken = false;
        loop {
            while let Some((executor, slot)) = WOKEN.with(|q| q.borrow_mut().pop_front()) {
                if executor != core.id {
                    foreign.push((executor, slot));
                } else if slot == BLOCKED_ON {
                    woken = true;
                } else {
                    self.poll_slot(slot);
                }
            }
            if woken && until_woken {
                break;
            }
            let Some(timer) = self.next_timer(end) else {
                break;
            };
            let Some(waker) = timer.waker else {
                continue; // cancelled in the lane
            };
            {
                let mut cancelled = core.cancelled.borrow_mut();
                if !cancelled.is_empty() && cancelled.remove(&timer.seq) {
                    continue;
                }
            }
            // Timers pop in order, so this never moves the clock backwards.
            core.now.set(core.now.get().max(timer.at));
            waker.wake();
        }
        // Wakes meant for another executor (not ours to run) go back for it to find.
        WOKEN.with(|q| q.borrow_mut().extend(foreign));
        RUNNING.with(|r| r.set(outer));
        woken
    }

    /// Takes the earliest timer, from the heap or a lane, if it fires by `end`.
    fn next_timer(&self, end: SimTime) -> Option<Timer> {
        let core = &self.sim.core;
        let mut heap = core.timers.borrow_mut();
        let mut lanes = core.lanes.borrow_mut();
        // `None` stands for the heap.
        let mut best: Option<(&Timer, Option<usize>)> = heap.peek().map(|Reverse(t)| (t, None));
        for (i, lane) in lanes.iter().enumerate() {
            if let Some(t) = lane.timers.front() {
                if best.is_none_or(|(b, _)| t < b) {
                    best = Some((t, Some(i)));
                }
            }
        }
        let (timer, source) = best?;
        if timer.at > end {
            return None;
        }
        match source {
            None => heap.pop().map(|Reverse(t)| t),
            Some(i) => {
                let lane = &mut lanes[i];
                lane.popped += 1;
                lane.timers.pop_front()
            }
        }
    }

    fn poll_slot(&self, slot: u32) {
        let core = &self.sim.core;
        let index = slot as usize;
        // Take the task out while it runs, so that it may spawn (which touches `tasks`).
        let Some(mut task) = core
            .tasks
            .borrow_mut()
            .get_mut(index)
            .and_then(Option::take)
        else {
            return; // a stale wake for a finished task
        };
        let waker = slot_waker(slot);
        let mut cx = Context::from_waker(&waker);
        if task.as_mut().poll(&mut cx).is_ready() {
            core.free.borrow_mut().push(slot);
            core.live_tasks.set(core.live_tasks.get() - 1);
        } else {
            core.tasks.borrow_mut()[index] = Some(task);
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        let core = &self.sim.core;
        // Take everything out first: dropping a task may run code that touches the executor.
        let tasks = std::mem::take(&mut *core.tasks.borrow_mut());
        let timers = std::mem::take(&mut *core.timers.borrow_mut());
        let lanes = std::mem::take(&mut *core.lanes.borrow_mut());
        core.free.borrow_mut().clear();
        drop(tasks);
        drop(timers);
        drop(lanes);
        // Dropping a task may spawn another (a database query hands its connection to a task of
        // its own when its caller goes away): drop those too, or they would keep the core alive.
        loop {
            let spawned = std::mem::take(&mut *core.tasks.borrow_mut());
            if spawned.is_empty() {
                break;
            }
            drop(spawned);
            drop(std::mem::take(&mut *core.timers.borrow_mut()));
            drop(std::mem::take(&mut *core.lanes.borrow_mut()));
        }
        core.free.borrow_mut().clear();
        core.cancelled.borrow_mut().clear();
        let id = core.id;
        WOKEN.with(|q| q.borrow_mut().retain(|(e, _)| *e != id));
    }
}

impl Sim {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.core.now.get()
    }

    /// Tasks spawned and not yet finished.
    pub fn live_tasks(&self) -> u64 {
        self.core.live_tasks.get()
    }

    /// Starts `future` as a new task, ready to run after the tasks already ready, and forgets it.
    pub fn spawn_detached(&self, future: impl Future<Output = ()> + 'static) {
        let slot = self.insert_task(Box::pin(future));
        WOKEN.with(|q| q.borrow_mut().push_back((self.core.id, slot)));
    }

    /// Starts `future` as a new task at `at` (at once if that has passed), and forgets it. Its
    /// start is a timer like any other, so it keeps its place in the `(time, sequence)` order.
    ///
    /// ```
    /// use cachelab::sim::{Executor, SimTime};
    /// let exec = Executor::new();
    /// let sim = exec.sim().clone();
    /// let started = std::rc::Rc::new(std::cell::Cell::new(SimTime::ZERO));
    /// let s = started.clone();
    /// exec.sim().spawn_at(SimTime(2_500), async move { s.set(sim.now()) });
    /// exec.run();
    /// assert_eq!(started.get(), SimTime(2_500));
    /// ```
    pub fn spawn_at(&self, at: SimTime, future: impl Future<Output = ()> + 'static) {
        if at <= self.now() {
            return self.spawn_detached(future);
        }
        let slot = self.insert_task(Box::pin(future));
        self.register_timer(at, slot_waker(slot));
    }

    fn insert_task(&self, task: Task) -> u32 {
        let core = &self.core;
        core.live_tasks.set(core.live_tasks.get() + 1);
        match core.free.borrow_mut().pop() {
            Some(slot) => {
                core.tasks.borrow_mut()[slot as usize] = Some(task);
                slot
            }
            None => {
                let mut tasks = core.tasks.borrow_mut();
                tasks.push(Some(task));
                (tasks.len() - 1) as u32
            }
        }
    }

    /// Starts `future` as a new task and returns a handle that resolves to its output.
    ///
    /// ```
    /// use cachelab::sim::{Executor, SimDuration};
    /// let exec = Executor::new();
    /// let sim = exec.sim().clone();
    /// let out = std::rc::Rc::new(std::cell::Cell::new(0));
    /// let seen = out.clone();
    /// exec.sim().spawn_detached(async move {
    ///     let child = sim.spawn({
    ///         let sim = sim.clone();
    ///         async move { sim.sleep(SimDuration::from_millis(5)).await; 42 }
    ///     });
    ///     seen.set(child.await);
    /// });
    /// exec.run();
    /// assert_eq!(out.get(), 42);
    /// ```
    pub fn spawn<T: 'static>(&self, future: impl Future<Output = T> + 'static) -> JoinHandle<T> {
        let state = Rc::new(RefCell::new(JoinState {
            output: None,
            waiter: None,
        }));
        let shared = state.clone();
        self.spawn_detached(async move {
            let output = future.await;
            let waiter = {
                let mut s = shared.borrow_mut();
                s.output = Some(output);
                s.waiter.take()
            };
            if let Some(w) = waiter {
                w.wake();
            }
        });
        JoinHandle { state }
    }

    /// A future that completes `duration` from now (at once for zero).
    pub fn sleep(&self, duration: SimDuration) -> Sleep<'_> {
        self.sleep_until(self.now() + duration)
    }

    /// A future that completes at `deadline` (at once if it has passed).
    pub fn sleep_until(&self, deadline: SimTime) -> Sleep<'_> {
        Sleep {
            sim: self,
            deadline,
            timer: None,
        }
    }

    /// Runs `future`, giving up when `duration` has passed first (the future is then dropped).
    ///
    /// ```
    /// use cachelab::sim::{Elapsed, Executor, SimDuration};
    /// let exec = Executor::new();
    /// let sim = exec.sim().clone();
    /// let result = sim.spawn({
    ///     let sim = sim.clone();
    ///     async move {
    ///         let slow = sim.sleep(SimDuration::from_secs(2));
    ///         sim.timeout(SimDuration::from_secs(1), slow).await
    ///     }
    /// });
    /// exec.run();
    /// assert_eq!(result.try_take(), Some(Err(Elapsed)));
    /// assert_eq!(sim.now().as_millis(), 1_000);
    /// ```
    pub fn timeout<F: Future>(&self, duration: SimDuration, future: F) -> Timeout<'_, F> {
        Timeout {
            future,
            limit: self.sleep(duration),
        }
    }

    /// Cancels a timer that has not fired yet.
    fn cancel_timer(&self, id: TimerId) {
        match id {
            TimerId::Lane { lane, n } => {
                let lane = &mut self.core.lanes.borrow_mut()[lane];
                let index = n.checked_sub(lane.popped);
                if let Some(t) = index.and_then(|i| lane.timers.get_mut(i as usize)) {
                    t.waker = None;
                }
            }
            TimerId::Heap(seq) => {
                self.core.cancelled.borrow_mut().insert(seq);
            }
        }
    }

    /// Registers a timer and says where it went.
    fn register_timer(&self, at: SimTime, waker: Waker) -> TimerId {
        let seq = self.core.next_seq.get();
        self.core.next_seq.set(seq + 1);
        let timer = Timer {
            at,
            seq,
            waker: Some(waker),
        };
        let mut lanes = self.core.lanes.borrow_mut();
        // The first lane this timer can join without breaking its order.
        match lanes
            .iter_mut()
            .enumerate()
            .find(|(_, l)| l.timers.back().is_none_or(|last| last.at <= at))
        {
            Some((i, lane)) => {
                lane.timers.push_back(timer);
                TimerId::Lane {
                    lane: i,
                    n: lane.popped + lane.timers.len() as u64 - 1,
                }
            }
            None => {
                self.core.timers.borrow_mut().push(Reverse(timer));
                TimerId::Heap(seq)
            }
        }
    }
}

/// Runs two futures at once within one task and returns both outputs.
///
/// ```
/// use cachelab::sim::{join, Executor, SimDuration};
/// let exec = Executor::new();
/// let sim = exec.sim().clone();
/// let both = sim.spawn({
///     let sim = sim.clone();
///     async move {
///         let a = async { sim.sleep(SimDuration::from_millis(3)).await; 'a' };
///         let b = async { sim.sleep(SimDuration::from_millis(5)).await; 'b' };
///         let out = join(a, b).await;
///         (out, sim.now().as_micros())
///     }
/// });
/// exec.run();
/// // They overlapped: 5 ms in total, not 8.
/// assert_eq!(both.try_take(), Some((('a', 'b'), 5_000)));
/// ```
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (out_a, out_b) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// The future of [`Sim::timeout`].
pub struct Timeout<'a, F> {
    future: F,
    limit: Sleep<'a>,
}

impl<F: Future> Future for Timeout<'_, F> {
    type Output = Result<F::Output, Elapsed>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self` (there is no
        // `Drop` impl and no method that moves it), and `Timeout` is `Unpin` only when `F` is.
        // `limit` is `Unpin` and not treated as pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(out) = future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        if Pin::new(&mut this.limit).poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    }
}

/// The future of [`Sim::sleep`].
pub struct Sleep<'a> {
    sim: &'a Sim,
    deadline: SimTime,
    /// Its timer, once registered.
    timer: Option<TimerId>,
}

impl Future for Sleep<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sim.now() >= self.deadline {
            return Poll::Ready(());
        }
        // One timer per sleep: a spurious poll must not queue another.
        if self.timer.is_none() {
            self.timer = Some(self.sim.register_timer(self.deadline, cx.waker().clone()));
        }
        Poll::Pending
    }
}

impl Drop for Sleep<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.timer {
            if self.sim.now() < self.deadline {
                self.sim.cancel_timer(id);
            }
        }
    }
}

struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
}

/// The output of a spawned task, to await or to take once the executor has run. Dropping it
/// leaves the task running.
pub struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

impl<T> JoinHandle<T> {
    /// The output if the task has finished (and it was not taken before).
    pub fn try_take(&self) -> Option<T> {
        self.state.borrow_mut().output.take()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.output.take() {
            Some(out) => Poll::Ready(out),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    #[test]
    fn block_on_runs_the_tasks_it_waits_for_and_gives_up_on_what_never_comes() {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let flag = Rc::new(Cell::new(false));
        let (s, f) = (sim.clone(), flag.clone());
        exec.sim().spawn_detached(async move {
            s.sleep(ms(5)).await;
            f.set(true);
        });
        let seen = exec.block_on(async {
            sim.sleep(ms(10)).await;
            (flag.get(), sim.now())
        });
        assert_eq!(seen, Some((true, SimTime(10_000))));
        // Nothing will ever wake this one: no task, no timer.
        assert_eq!(exec.block_on(std::future::pending::<()>()), None);
        // A task's output, awaited from outside.
        let child = sim.spawn({
            let sim = sim.clone();
            async move {
                sim.sleep(ms(1)).await;
                7
            }
        });
        assert_eq!(exec.block_on(child), Some(7));
        assert_eq!(sim.now(), SimTime(11_000));
    }

    #[test]
    fn advance_to_fires_the_timers_on_the_way_and_stops_the_clock_there() {
        let exec = Executor::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        for at in [3, 8] {
            let (sim, log) = (exec.sim().clone(), log.clone());
            exec.sim().spawn_detached(async move {
                sim.sleep(ms(at)).await;
                log.borrow_mut().push(sim.now());
            });
        }
        exec.advance_to(SimTime(5_000));
        assert_eq!(*log.borrow(), [SimTime(3_000)]);
        assert_eq!(exec.sim().now(), SimTime(5_000));
        // Never backwards.
        exec.advance_to(SimTime(1_000));
        assert_eq!(exec.sim().now(), SimTime(5_000));
        exec.run();
        assert_eq!(*log.borrow(), [SimTime(3_000), SimTime(8_000)]);
    }

    #[test]
    fn simultaneous_timers_fire_in_registration_order() {
        let exec = Executor::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        for i in 0..5 {
            let (sim, log) = (exec.sim().clone(), log.clone());
            exec.sim().spawn_detached(async move {
                sim.sleep(ms(10)).await;
                log.borrow_mut().push(i);
                sim.sleep(ms(0)).await; // zero sleeps complete at once, in line
                log.borrow_mut().push(10 + i);
            });
        }
        exec.run();
        assert_eq!(*log.borrow(), [0, 10, 1, 11, 2, 12, 3, 13, 4, 14]);
        assert_eq!(exec.sim().now(), SimTime(10_000));
        assert_eq!(exec.sim().live_tasks(), 0);
    }

    #[test]
    fn lanes_and_heap_together_fire_in_time_then_registration_order() {
        // Deadlines from several interleaved streams (some monotonic, some random), so timers
        // land in lanes and in the heap; some sleeps are cancelled by timeouts.
        let exec = Executor::new();
        let fired = Rc::new(RefCell::new(Vec::new()));
        let mut rng = crate::sim::SimRng::new(5);
        for i in 0..400u64 {
            let delay = match i % 3 {
                0 => 1_000,
                1 => rng.below(5_000),
                _ => 3_000 + i,
            };
            let cancel_after = (i % 7 == 0).then(|| rng.below(4_000));
            let (sim, fired) = (exec.sim().clone(), fired.clone());
            exec.sim().spawn_at(SimTime(i * 10), async move {
                let sleep = sim.sleep(SimDuration(delay));
                let done = match cancel_after {
                    Some(limit) => sim.timeout(SimDuration(limit), sleep).await.is_ok(),
                    None => {
                        sleep.await;
                        true
                    }
                };
                fired.borrow_mut().push((sim.now(), i, done));
            });
        }
        exec.run();
        let fired = fired.borrow();
        assert_eq!(fired.len(), 400);
        assert!(
            fired.windows(2).all(|w| w[0].0 <= w[1].0),
            "time went backwards"
        );
        // Plain sleeps (no timeout) must wake exactly in (deadline, registration) order, and
        // task i registered its sleep before task i + 1 did.
        let plain: Vec<(SimTime, u64)> = fired
            .iter()
            .filter(|f| f.1 % 7 != 0)
            .map(|f| (f.0, f.1))
            .collect();
        let mut expected = plain.clone();
        expected.sort();
        assert_eq!(plain, expected);
    }

    #[test]
    fn time_never_goes_backwards_and_spawns_queue_behind_ready_tasks() {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        sim.clone().spawn_detached(async move {
            for step in [5, 0, 3, 1] {
                sim.sleep(ms(step)).await;
                s.borrow_mut().push(sim.now());
                let s2 = s.clone();
                let sim2 = sim.clone();
                sim.spawn_detached(async move { s2.borrow_mut().push(sim2.now()) });
            }
        });
        exec.run();
        let times = seen.borrow();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert_eq!(times.last(), Some(&SimTime(9_000)));
    }

    #[test]
    fn run_until_stops_before_later_timers_and_resumes() {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let h = sim.spawn({
            let sim = sim.clone();
            async move {
                sim.sleep(ms(50)).await;
                sim.now()
            }
        });
        exec.run_until(SimTime(20_000));
        assert_eq!(h.try_take(), None);
        exec.run();
        assert_eq!(h.try_take(), Some(SimTime(50_000)));
    }

    #[test]
    fn timeout_passes_through_results_that_arrive_in_time() {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let h = sim.spawn({
            let sim = sim.clone();
            async move {
                sim.timeout(ms(10), async {
                    sim.sleep(ms(4)).await;
                    7
                })
                .await
            }
        });
        exec.run();
        assert_eq!(h.try_take(), Some(Ok(7)));
        // The timeout's own timer was cancelled: it neither woke anyone nor moved the clock.
        assert_eq!(sim.now(), SimTime(4_000));
        assert!(exec.sim().core.cancelled.borrow().is_empty());
    }

    #[test]
    fn two_executors_do_not_run_each_others_tasks() {
        let a = Executor::new();
        let b = Executor::new();
        let hit = Rc::new(Cell::new(0));
        let h = hit.clone();
        a.sim().spawn_detached(async move { h.set(h.get() + 1) });
        b.run();
        assert_eq!(hit.get(), 0);
        a.run();
        assert_eq!(hit.get(), 1);
    }

    #[test]
    fn dropping_the_executor_drops_unfinished_tasks() {
        let marker = Rc::new(());
        {
            let exec = Executor::new();
            let sim = exec.sim().clone();
            let m = marker.clone();
            exec.sim().spawn_detached(async move {
                let _m = m;
                sim.sleep(SimDuration::from_secs(1_000)).await;
            });
            exec.run_until(SimTime(1));
            assert_eq!(Rc::strong_count(&marker), 2);
        }
        assert_eq!(Rc::strong_count(&marker), 1);
    }
}
