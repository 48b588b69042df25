//! Table keys.

use serde::{Deserialize, Serialize};

/// An object ID as a table key: cloning it (which copy-on-write tables do
/// for every key of a node they copy) is a reference count, not a string
/// copy.
pub type Id = std::sync::Arc<str>;

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
