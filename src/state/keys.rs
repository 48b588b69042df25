//! Table keys.

use serde::{Deserialize, Serialize};

/// A job's identity: namespace and ID.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobKey {
    pub namespace: String,
    pub id: String,
}

impl JobKey {
    pub fn new(namespace: impl Into<String>, id: impl Into<String>) -> Self {
        JobKey {
            namespace: namespace.into(),
            id: id.into(),
        }
    }
}
