//! The L2 model behind the shared-cache interface at zero round trip, on a clock the test moves:
//! for tests that call the store from synchronous code, one instant at a time.
#![allow(dead_code)] // each suite uses the part it needs

use cachelab::sim::{Executor, Sim, SimDuration, SimTime};
use cachelab::strategy::{block_on_store, Faults, Faulty, SimL2};
use cachelab::tiers::L2;
use std::future::Future;

pub struct ModelStore {
    pub exec: Executor,
    pub store: Faulty<SimL2, Sim>,
}

impl ModelStore {
    /// A store that never fails.
    pub fn new() -> ModelStore {
        ModelStore::failing(Faults::default())
    }

    /// A store that fails as `faults` say.
    pub fn failing(faults: Faults) -> ModelStore {
        let exec = Executor::new();
        let sim = exec.sim().clone();
        let l2 = SimL2::new(sim.clone(), L2::new(), SimDuration::ZERO);
        ModelStore {
            exec,
            store: Faulty::new(l2, sim, faults),
        }
    }

    /// Runs `call` at `t` (which must not go back).
    pub fn at<T>(&self, t: SimTime, call: impl Future<Output = T>) -> T {
        self.exec.advance_to(t);
        self.exec
            .block_on(call)
            .expect("a zero-round-trip store answers at once")
    }

    /// Runs a store call at `t`.
    pub fn run<T>(
        &self,
        t: SimTime,
        call: impl Future<Output = cachelab::Result<T>>,
    ) -> cachelab::Result<T> {
        self.exec.advance_to(t);
        block_on_store(&self.exec, call)
    }

    /// A console command on the model.
    pub fn console(&self, line: &str) {
        let mut model = self.store.inner().model().borrow_mut();
        model.exec(line).expect("a valid command");
    }
}
