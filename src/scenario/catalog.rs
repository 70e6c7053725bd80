//! The registry of scenarios: one line per scenario, in the order the faces list them. Each
//! scenario lives in its own module and follows the contract of `contract.rs`.

use super::contract::Scenario;
use crate::error::{Error, Result};

/// Every scenario, in the order the faces list them.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::of::<super::stampede::Stampede>(),
        Scenario::of::<super::avalanche::Avalanche>(),
        Scenario::of::<super::penetration::Penetration>(),
        Scenario::of::<super::schema_deploy::SchemaDeploy>(),
        Scenario::of::<super::consistency::Consistency>(),
        Scenario::of::<super::multilayer::MultiLayer>(),
        Scenario::of::<super::response_cache::ResponseCache>(),
        Scenario::of::<super::ratelimit::RateLimit>(),
        Scenario::of::<super::tags::TaggedPages>(),
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
