//! Where one variant runs: on the simulator ([`SimDriver`]) or, with the `redis` feature, against a
//! real Redis on the wall clock (`cachelab::redis::live::LiveDriver`). A scenario written against
//! [`Driver`] (see [`Experiment::run_on`](super::Experiment::run_on)) runs on both with the same
//! code: the same seeded traffic, the same decisions, the same report; only the clock and the
//! shared cache differ.
//!
//! A driver gives a variant's loop its clock ([`Driver::runtime`]), its shared cache
//! ([`Driver::store`]), a way to move to the next request's instant ([`Driver::advance_to`]: the
//! simulator jumps, the wall clock sleeps) and to wait for a store call ([`Driver::block_on`]).
//! The simulator's model is there to read directly ([`Driver::model`]) for the instruments that
//! look inside L2 (the monitor's `INFO` counters, a set's size without touching its LRU clock);
//! live there is no model, and a scenario measures through the store or leaves that number out.

use super::lab::{drive, prepare_lab, run_variant, Guarded, LabConfig, LabL2};
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::manager::Monitoring;
use crate::metrics::Metrics;
use crate::sim::{Executor, Runtime, Sim, SimDuration, SimTime};
use crate::strategy::{block_on_store, Ctx, SimL2, Store};
use crate::tiers::L2;
use crate::workload::Op;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

/// The clock and the shared cache one variant runs on.
pub trait Driver {
    /// Where time comes from.
    type Rt: Runtime + Clone + 'static;
    /// The shared cache.
    type Store: Store + 'static;

    /// The variant's clock (zero when the variant starts).
    fn runtime(&self) -> Self::Rt;

    /// The shared cache, a round trip `rtt` away on the simulator (a real server's round trip is
    /// what it is). Every store a driver hands out is one server: what one writes, another reads.
    fn store(&self, rtt: SimDuration) -> Result<Self::Store>;

    /// The model behind `store`, on the simulator; `None` live.
    fn model<'a>(&self, store: &'a Self::Store) -> Option<&'a RefCell<L2>>;

    /// Moves to `at` (no earlier than now): the simulator jumps there, running what is due; live,
    /// it sleeps until then. Fails when a live run is interrupted (Ctrl-C).
    fn advance_to(&self, at: SimTime) -> Result<()>;

    /// Runs `call` to its end and returns its result (a store call that never answers, or an
    /// interrupted live run, is an error).
    fn block_on<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T>;

    /// When the reply of a command sent at `sent` arrived: `sent + rtt` on the simulator, whose
    /// loops call a zero-round-trip store and add the modelled trip themselves; the clock's now
    /// live, where the trip was real.
    fn replied(&self, sent: SimTime, rtt: SimDuration) -> SimTime;

    /// Runs `config` on the lab bench (requests as tasks on the runtime) and reports it.
    fn run_lab(&self, name: &str, config: &LabConfig, seed: u64) -> Result<VariantReport>;

    /// The lab bench with a request handler of the scenario's own: builds and warms the bench,
    /// hands its context to `setup` (which starts what the scenario runs beside the requests
    /// and returns the handler), lets the traffic arrive until every task has finished, and
    /// returns the context and, on the simulator, what the monitor saw.
    fn run_lab_with<H, F, Fut>(
        &self,
        config: &LabConfig,
        seed: u64,
        setup: H,
    ) -> Result<LabContext<Self>>
    where
        H: FnOnce(&Rc<Ctx<Guarded<Self::Store, Self::Rt>, Self::Rt>>) -> Result<F>,
        F: Fn(Op) -> Fut + Clone + 'static,
        Fut: Future<Output = ()> + 'static;
}

/// A finished lab run's context and monitor (`None` live).
pub type LabContext<D> = (
    Rc<Ctx<Guarded<<D as Driver>::Store, <D as Driver>::Rt>, <D as Driver>::Rt>>,
    Option<Monitoring>,
);

/// The simulator: a fresh executor per variant, time from zero.
pub struct SimDriver {
    exec: Executor,
}

impl SimDriver {
    /// A driver with its own executor at time zero.
    pub fn new() -> Self {
        SimDriver {
            exec: Executor::new(),
        }
    }
}

impl Default for SimDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver for SimDriver {
    type Rt = Sim;
    type Store = SimL2;

    fn runtime(&self) -> Sim {
        self.exec.sim().clone()
    }

    fn store(&self, rtt: SimDuration) -> Result<SimL2> {
        Ok(SimL2::new(self.exec.sim().clone(), L2::new(), rtt))
    }

    fn model<'a>(&self, store: &'a SimL2) -> Option<&'a RefCell<L2>> {
        Some(store.model())
    }

    fn advance_to(&self, at: SimTime) -> Result<()> {
        self.exec.advance_to(at);
        Ok(())
    }

    fn block_on<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        block_on_store(&self.exec, call)
    }

    fn replied(&self, sent: SimTime, rtt: SimDuration) -> SimTime {
        sent + rtt
    }

    fn run_lab(&self, name: &str, config: &LabConfig, seed: u64) -> Result<VariantReport> {
        run_variant(name, config, seed)
    }

    fn run_lab_with<H, F, Fut>(
        &self,
        config: &LabConfig,
        seed: u64,
        setup: H,
    ) -> Result<LabContext<Self>>
    where
        H: FnOnce(&Rc<Ctx<LabL2>>) -> Result<F>,
        F: Fn(Op) -> Fut + Clone + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        // The config's faults and breaker apply to a scenario's own handler too.
        let (exec, ctx) = prepare_lab(config, seed)?;
        let serve = setup(&ctx)?;
        let monitoring = drive(&exec, ctx.l2.as_ref().model(), config, seed, serve)?;
        Ok((ctx, Some(monitoring)))
    }
}

/// A store call's result in a scenario's own loop, failing open: a store error is counted in
/// `metrics` (at `now`) and becomes `None`, and the request goes on without the cache; only an
/// interrupted live run ([`Error::Interrupted`]) stops the variant.
pub(super) fn fail_open<T>(
    metrics: &mut Metrics,
    now: SimTime,
    result: Result<T>,
) -> Result<Option<T>> {
    let answer = open(result)?;
    if answer.is_none() {
        metrics.record_l2_error(now);
    }
    Ok(answer)
}

/// A store call's result with a store error turned into `None` (the caller counts it); any other
/// error (an interrupted live run) stays one.
pub(super) fn open<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Store { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}
