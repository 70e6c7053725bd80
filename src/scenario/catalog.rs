//! The registry of scenarios: one line per scenario, in the order the faces list them. Each
//! scenario lives in its own module and follows the contract of `contract.rs`.

use super::contract::Scenario;
use crate::error::{Error, Result};

/// Every scenario, in the order the faces list them.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        super::stampede::scenario(),
        super::avalanche::scenario(),
        super::penetration::scenario(),
        super::schema_deploy::scenario(),
        super::consistency::scenario(),
        super::multilayer::scenario(),
        super::response_cache::scenario(),
        super::ratelimit::scenario(),
        super::tags::scenario(),
    ]
}

/// The scenario called `name`.
pub fn find(name: &str) -> Result<Scenario> {
    scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::UnknownName {
            kind: "scenario",
            name: name.to_string(),
            known: scenarios().iter().map(|s| s.name.to_string()).collect(),
        })
}
