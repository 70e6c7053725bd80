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

use super::common::faults;
use super::lab::{drive, prepare_lab, run_variant, Guarded, LabConfig, LabL2};
use super::params::Params;
use super::report::VariantReport;
use crate::error::{Error, Result};
use crate::manager::{run_monitored, AlertThresholds, Monitor, Monitoring};
use crate::metrics::Metrics;
use crate::sim::{Executor, Runtime, Sim, SimDuration, SimTime};
use crate::strategy::{block_on_store, Ctx, Faulty, SimL2, Store};
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

    /// `SET key value [PX ttl]` of every entry, before the variant's traffic: on the simulator
    /// straight into the model at no network time (a cache filled before the run starts); live
    /// through the store, pipelined (what a real warm-up sends).
    fn preload(&self, store: &Self::Store, entries: &[Preload]) -> Result<()>;

    /// Runs a bench of the scenario's own: `start` spawns its tasks on [`Driver::runtime`]
    /// (arrivals, requests, background work), then time runs until every task has finished. On
    /// the simulator a monitor samples `store`'s model every `bucket` up to `horizon`, as `INFO`
    /// would, and its view is returned; live there is none (a shared server's `INFO` counts
    /// other clients too). Fails when a live run is interrupted (every task is dropped).
    fn run_tasks<H>(
        &self,
        store: &Self::Store,
        monitor: (SimDuration, AlertThresholds),
        horizon: SimTime,
        start: H,
    ) -> Result<Option<Monitoring>>
    where
        H: FnOnce() -> Result<()>;

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

/// One key a bench writes before its traffic starts ([`Driver::preload`]): key, value, TTL.
pub type Preload = (Vec<u8>, Vec<u8>, Option<SimDuration>);

/// A finished lab run's context and monitor (`None` live).
pub type LabContext<D> = (
    Rc<Ctx<Guarded<<D as Driver>::Store, <D as Driver>::Rt>, <D as Driver>::Rt>>,
    Option<Monitoring>,
);

/// The simulator: a fresh executor per variant, time from zero, and one modelled L2 server that
/// every store it hands out connects to.
pub struct SimDriver {
    exec: Executor,
    /// The server, once a store was asked for.
    server: RefCell<Option<SimL2>>,
}

impl SimDriver {
    /// A driver with its own executor at time zero.
    pub fn new() -> Self {
        SimDriver {
            exec: Executor::new(),
            server: RefCell::new(None),
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
        let mut server = self.server.borrow_mut();
        let server =
            server.get_or_insert_with(|| SimL2::new(self.exec.sim().clone(), L2::new(), rtt));
        Ok(server.connect_over(rtt))
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

    fn preload(&self, store: &SimL2, entries: &[Preload]) -> Result<()> {
        for (key, value, ttl) in entries {
            store.preload(key, value, *ttl)?;
        }
        Ok(())
    }

    fn run_tasks<H>(
        &self,
        store: &SimL2,
        (bucket, alerts): (SimDuration, AlertThresholds),
        horizon: SimTime,
        start: H,
    ) -> Result<Option<Monitoring>>
    where
        H: FnOnce() -> Result<()>,
    {
        start()?;
        let model = store.model();
        let monitor = Monitor::new(bucket, alerts, &model.borrow());
        Ok(Some(run_monitored(&self.exec, model, horizon, monitor)))
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

/// A driver's shared cache behind fault injection, on the driver's clock.
pub(super) type FaultyStore<D> = Faulty<<D as Driver>::Store, <D as Driver>::Rt>;

/// `d`'s store (a round trip `rtt` away) behind the faults of `p`'s fault knobs
/// ([`FAULTS`](super::common::FAULTS), or the outage's alone: see
/// [`FaultKnobs`](super::common::FaultKnobs)), which the lab applies through the same wrapper: a
/// scenario on a bench of its own meets the same faults, on the simulator and live. At the knobs' defaults nothing fails and the store answers as it would unwrapped.
/// The model behind it is `d.model(store.inner())`.
pub(super) fn faulty_store<D: Driver>(
    d: &D,
    rtt: SimDuration,
    p: &Params,
) -> Result<FaultyStore<D>> {
    Ok(Faulty::new(d.store(rtt)?, d.runtime(), faults(p)?))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manager::AlertThresholds;

    fn alerts() -> AlertThresholds {
        AlertThresholds {
            hit_ratio: 0.0,
            memory_mb: 0.0,
        }
    }

    #[test]
    fn every_store_of_the_simulator_is_one_server() {
        let d = SimDriver::new();
        let (near, far) = (
            d.store(SimDuration::ZERO).unwrap(),
            d.store(SimDuration::from_millis(4)).unwrap(),
        );
        d.block_on(near.set(b"k", b"v", None)).unwrap();
        let rt = d.runtime();
        let got = d.block_on(async {
            let got = far.get(b"k").await?;
            // The second store's own round trip.
            assert_eq!(rt.now(), SimTime::ZERO + SimDuration::from_millis(4));
            Ok(got)
        });
        assert_eq!(got.unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn a_preload_is_in_the_model_at_time_zero_with_its_ttl() {
        let d = SimDriver::new();
        let store = d.store(SimDuration::from_millis(1)).unwrap();
        let ttl = SimDuration::from_secs(2);
        let entries = vec![
            (b"a".to_vec(), b"1".to_vec(), Some(ttl)),
            (b"b".to_vec(), b"2".to_vec(), None),
        ];
        d.preload(&store, &entries).unwrap();
        assert_eq!(d.runtime().now(), SimTime::ZERO);
        let model = d.model(&store).unwrap();
        assert_eq!(model.borrow().dbsize(), 2);
        d.advance_to(SimTime::ZERO + SimDuration::from_secs(3))
            .unwrap();
        model.borrow_mut().advance_to(d.runtime().now());
        assert!(!model.borrow().is_live(b"a"));
        assert!(model.borrow().is_live(b"b"));
    }

    #[test]
    fn run_tasks_runs_what_start_spawned_to_its_end_under_the_monitor() {
        let d = SimDriver::new();
        let store = d.store(SimDuration::from_millis(1)).unwrap();
        let rt = d.runtime();
        let writes = Rc::new(std::cell::Cell::new(0));
        let bucket = SimDuration::from_millis(100);
        let horizon = SimTime::ZERO + SimDuration::from_secs(1);
        let monitoring = d
            .run_tasks(&store, (bucket, alerts()), horizon, || {
                for i in 0..5u64 {
                    let (rt2, store, writes) = (rt.clone(), store.connect(), writes.clone());
                    rt.spawn_detached(async move {
                        // The last task ends past the horizon: it still runs to its end.
                        rt2.sleep(SimDuration::from_millis(300 * i)).await;
                        store.set(&i.to_be_bytes(), b"v", None).await.unwrap();
                        writes.set(writes.get() + 1);
                    });
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(writes.get(), 5);
        assert!(rt.now() >= SimTime::ZERO + SimDuration::from_millis(1_200));
        // The monitor sampled the horizon bucket by bucket, and saw the five keys at the end.
        let monitoring = monitoring.unwrap();
        assert_eq!(monitoring.series.t_s.len(), 10);
        assert_eq!(monitoring.keys, 5);
        // A start that fails runs nothing.
        let failed = d.run_tasks(&store, (bucket, alerts()), horizon, || {
            Err(Error::Interrupted)
        });
        assert!(matches!(failed, Err(Error::Interrupted)));
    }
}
