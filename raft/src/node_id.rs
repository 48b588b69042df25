//! A server's identity, kept in its data directory.
//!
//! The id is drawn at random on first start and written to `node-id`, so a
//! server restarted from its data directory is the same member of the group.

use std::path::Path;

use crate::error::{ConfigError, StartError};
use crate::types::NodeId;

const FILE: &str = "node-id";

/// Returns the stored id, storing `wanted` (or a random id) on first start.
/// A configured id that differs from the stored one is refused: the data
/// directory belongs to another server.
pub(crate) fn load_or_create(dir: &Path, wanted: Option<NodeId>) -> Result<NodeId, StartError> {
    let path = dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let stored: NodeId = text.trim().parse().map_err(|e| StartError::Snapshot {
                path: path.display().to_string(),
                cause: format!("node id {:?} is not a number: {e}", text.trim()),
            })?;
            match wanted {
                Some(w) if w != stored => Err(ConfigError {
                    field: "node_id",
                    rule: format!(
                        "{w} differs from {stored}, the id of the server whose data is in {}",
                        dir.display()
                    ),
                }
                .into()),
                _ => Ok(stored),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = wanted.unwrap_or_else(|| rand::random::<u64>() >> 1);
            let tmp = dir.join(format!("{FILE}.tmp"));
            let io = |source| StartError::DataDir {
                path: path.display().to_string(),
                source,
            };
            std::fs::write(&tmp, id.to_string()).map_err(io)?;
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
            std::fs::rename(&tmp, &path).map_err(io)?;
            Ok(id)
        }
        Err(source) => Err(StartError::DataDir {
            path: path.display().to_string(),
            source,
        }),
    }
}
