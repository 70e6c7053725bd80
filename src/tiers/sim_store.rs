//! [`SimL2`]: the L2 model reached over a simulated network, the model's side of the shared-cache
//! interface ([`Store`]).

use super::L2;
use crate::error::{Error, Result};
use crate::sim::{Sim, SimDuration};
use crate::strategy::{Cmd, Script, Server, Store};
use crate::tiers::l2::Reply;
use std::cell::RefCell;
use std::rc::Rc;

/// The L2 model reached over a simulated network: a command reaches the server half a round trip
/// after it is sent, runs there at that instant, and its reply arrives after the other half.
///
/// Every command travels equally long, so commands reach the server in the order they were
/// sent. The model therefore runs a command the moment it is sent, with its clock set to the
/// arrival half a trip later: the server sees exactly the same sequence of commands at the
/// same times, and the client waits one timer instead of two. A pipeline or a script is one
/// trip and runs at one instant; with a zero round trip every command answers at once.
pub struct SimL2 {
    sim: Sim,
    model: Rc<RefCell<L2>>,
    rtt: SimDuration,
    half_out: SimDuration,
}

impl SimL2 {
    /// The model `model`, one round trip `rtt` away.
    pub fn new(sim: Sim, model: L2, rtt: SimDuration) -> Self {
        SimL2 {
            sim,
            model: Rc::new(RefCell::new(model)),
            rtt,
            half_out: SimDuration(rtt.as_micros() / 2),
        }
    }

    /// Another client of the same server, as a second app instance would open: what one client
    /// writes, the other reads.
    ///
    /// ```
    /// use cachelab::{sim::{Executor, SimDuration}, strategy::{SimL2, Store}, tiers::L2};
    /// let exec = Executor::new();
    /// let first = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::from_millis(1));
    /// let second = first.connect();
    /// let h = exec.sim().spawn(async move {
    ///     first.set(b"k", b"v", None).await.unwrap();
    ///     second.get(b"k").await.unwrap()
    /// });
    /// exec.run();
    /// assert_eq!(h.try_take(), Some(Some(b"v".to_vec())));
    /// ```
    pub fn connect(&self) -> SimL2 {
        self.connect_over(self.rtt)
    }

    /// [`SimL2::connect`] with a round trip of its own (a loop that adds the modelled trip to
    /// its requests itself connects at zero).
    pub fn connect_over(&self, rtt: SimDuration) -> SimL2 {
        SimL2 {
            sim: self.sim.clone(),
            model: self.model.clone(),
            rtt,
            half_out: SimDuration(rtt.as_micros() / 2),
        }
    }

    /// The clock this store's round trips run on.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The model itself, for setting up a run (warming keys) without network time, and for the
    /// lab's instruments (the monitor reads its counters as `INFO` would).
    pub fn model(&self) -> &RefCell<L2> {
        &self.model
    }

    /// Brings the model's clock to the client's now. A real server's clock runs on its own (its
    /// background expiry works whether or not commands arrive); the model's moves when a
    /// command arrives, or when a loop that drives time itself says so here.
    pub fn sync_clock(&self) {
        self.model.borrow_mut().advance_to(self.sim.now());
    }

    /// `SET key value [PX ttl]` straight into the model at the current time, with no network
    /// time: for warming a cache before traffic starts.
    pub fn preload(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<()> {
        let mut model = self.model.borrow_mut();
        model.advance_to(self.sim.now());
        model.set(key, value, ttl).map_err(l2_error)
    }

    /// Runs `command` on the model as one step at the server and waits for the round trip.
    async fn call<T>(&self, command: impl FnOnce(&mut L2) -> T) -> T {
        let reply = {
            let mut model = self.model.borrow_mut();
            model.advance_to(self.sim.now() + self.half_out);
            command(&mut model)
        };
        self.sim.sleep(self.rtt).await;
        reply
    }
}

fn l2_error(e: super::l2::L2Error) -> Error {
    Error::Store {
        detail: e.to_string(),
    }
}

impl Store for SimL2 {
    async fn pipeline(&self, cmds: &[Cmd<'_>]) -> Result<Vec<Reply>> {
        Ok(self
            .call(|m| cmds.iter().map(|&cmd| m.call(cmd)).collect())
            .await)
    }

    async fn eval(&self, script: &dyn Script) -> Result<Reply> {
        match self.call(|m| script.run(m)).await {
            Reply::Error(detail) => Err(Error::Store {
                detail: format!("script {}: {detail}", script.name()),
            }),
            reply => Ok(reply),
        }
    }

    // The strategies' hot path: typed, without building a command.
    async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.call(|m| m.get(key)).await.map_err(l2_error)
    }

    async fn set(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<()> {
        self.call(|m| m.set(key, value, ttl))
            .await
            .map_err(l2_error)
    }

    async fn set_nx(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<bool> {
        self.call(|m| m.set_nx(key, value, ttl))
            .await
            .map_err(l2_error)
    }

    async fn del(&self, key: &[u8]) -> Result<bool> {
        Ok(self.call(|m| m.del(key)).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Executor, SimTime};

    #[test]
    fn commands_run_at_the_server_half_a_round_trip_after_sending() {
        let exec = Executor::new();
        let l2 = Rc::new(SimL2::new(
            exec.sim().clone(),
            L2::new(),
            SimDuration::from_millis(2),
        ));
        let (sim, store) = (exec.sim().clone(), l2.clone());
        let h = exec.sim().spawn(async move {
            store
                .set(b"k", b"v", Some(SimDuration::from_millis(3)))
                .await
                .unwrap();
            let first = store.get(b"k").await.unwrap(); // runs at 3 ms: fresh (set at 1 ms)
            let second = store.get(b"k").await.unwrap(); // runs at 5 ms: past 1 + 3 ms
            (first, second, sim.now())
        });
        exec.run();
        assert_eq!(
            h.try_take(),
            Some((Some(b"v".to_vec()), None, SimTime(6_000)))
        );
        assert_eq!(l2.model().borrow().now(), SimTime(5_000));
    }

    #[test]
    fn a_pipeline_is_one_round_trip_and_an_error_reply_stops_nothing() {
        let exec = Executor::new();
        let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::from_millis(2));
        let sim = exec.sim().clone();
        let h = exec.sim().spawn(async move {
            let members: &[&[u8]] = &[b"a", b"b"];
            let replies = store
                .pipeline(&[
                    Cmd::SAdd(b"s", members),
                    Cmd::IncrBy(b"s", 1),
                    Cmd::SCard(b"s"),
                ])
                .await
                .unwrap();
            (replies, sim.now())
        });
        exec.run();
        let (replies, at) = h.try_take().unwrap();
        assert_eq!(at, SimTime(2_000));
        assert_eq!(replies[0], Reply::Int(2));
        assert!(replies[1].is_error(), "{:?}", replies[1]);
        assert_eq!(replies[2], Reply::Int(2));
    }
}
