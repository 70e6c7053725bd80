//! The tiers a request passes through: L1 in the process, L2 (a model of Redis, and [`SimL2`], the
//! model behind a simulated network as the shared-cache interface reaches it), the database.

mod db;
mod l1;
pub mod l2;
mod sim_store;

pub use db::{Db, DbStats, LatencyModel, Row};
pub use l1::L1;
pub use l2::L2;
pub use sim_store::SimL2;
