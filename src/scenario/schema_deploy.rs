//! placeholder
use serde::Serialize;
/// What a schema deploy did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaDeployReport {}
