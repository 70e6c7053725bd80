//! The tiers a request passes through: L1 in the process, L2 (a model of Redis), the database.

mod db;
mod l1;
pub mod l2;

pub use db::{Db, DbStats, LatencyModel, Row};
pub use l1::L1;
pub use l2::L2;
