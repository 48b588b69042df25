//! A server's identity, kept in its data directory.
//!
//! The id is drawn at random on first start and written to `node-id`, so a
//! server restarted from its data directory is the same member of the group.
//! The Raft database records the id as well ([`SledLogStore::owner`]), and on
//! every start the two must agree. A `node-id` file that was edited,
//! replaced or lost would otherwise start a server that is not a member of
//! the group its own log describes: it names its former id as leader and
//! never gets one.
//!
//! A database written before the id was recorded in it is checked against
//! its stored membership instead: the server is refused when the membership
//! lists this server's address under another id and not under its own.
//! After a start that passes, the id is recorded.

use std::path::Path;

use drover_storage::SledLogStore;
use openraft::StorageHelper;

use crate::config::RaftConfig;
use crate::error::{ConfigError, StartError};
use crate::sm_store::SmStore;
use crate::state_machine::StateMachine;
use crate::types::{NodeId, TypeConfig};

const FILE: &str = "node-id";

/// What a restart needs when a server id check fails.
const REMEDY: &str =
    "restore the file, or start with an empty data directory to join as a new server";

/// Returns this server's id: the one in `node-id` (written on first start,
/// from the configured id or at random), after checking it against the
/// Raft data in `log` and `sm`.
pub(crate) async fn establish<S: StateMachine>(
    config: &RaftConfig,
    log: &mut SledLogStore<TypeConfig>,
    sm: &mut SmStore<S>,
) -> Result<NodeId, StartError> {
    let path = config.data_dir.join(FILE);
    let owner = log.owner()?;
    let id = match read(&path)? {
        Some(id) => id,
        None => {
            if let Some(owner) = owner {
                return Err(refused(
                    &path,
                    format!(
                        "the file is missing, but the Raft data in {} belongs to server {owner}; \
                         {REMEDY}",
                        log.path().display()
                    ),
                ));
            }
            let id = config.node_id.unwrap_or_else(|| rand::random::<u64>() >> 1);
            write(&path, id)?;
            id
        }
    };
    if let Some(wanted) = config.node_id
        && wanted != id
    {
        return Err(ConfigError {
            field: "node_id",
            rule: format!(
                "{wanted} differs from {id}, the id of the server whose data is in {}",
                config.data_dir.display()
            ),
        }
        .into());
    }
    match owner {
        Some(owner) if owner != id => Err(refused(
            &path,
            format!(
                "it names server {id}, but the Raft data in {} was written by server {owner}; \
                 {REMEDY}",
                log.path().display()
            ),
        )),
        Some(_) => Ok(id),
        None => {
            check_membership(&path, id, &config.advertise_addr, log, sm).await?;
            log.set_owner(id)?;
            Ok(id)
        }
    }
}

/// The id stored in `path`, or `None` when there is no such file.
fn read(path: &Path) -> Result<Option<NodeId>, StartError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StartError::DataDir {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        refused(
            path,
            "the file is damaged: it is not text (it holds this server's id as a decimal number)"
                .into(),
        )
    })?;
    let id = text.trim().parse().map_err(|e| {
        refused(
            path,
            format!(
                "the file is damaged: {:?} is not a server id (a decimal number): {e}",
                text.trim()
            ),
        )
    })?;
    Ok(Some(id))
}

/// Writes `id` to `path` atomically: a temp file, synced, then renamed.
fn write(path: &Path, id: NodeId) -> Result<(), StartError> {
    let tmp = path.with_extension("tmp");
    let io = |source| StartError::DataDir {
        path: path.display().to_string(),
        source,
    };
    std::fs::write(&tmp, id.to_string()).map_err(io)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Refuses `id` when the stored membership lists `addr` (this server's
/// address) under another id and not under `id`.
async fn check_membership<S: StateMachine>(
    path: &Path,
    id: NodeId,
    addr: &str,
    log: &mut SledLogStore<TypeConfig>,
    sm: &mut SmStore<S>,
) -> Result<(), StartError> {
    let state = StorageHelper::new(log, sm)
        .get_membership()
        .await
        .map_err(|e| StartError::Raft(format!("cannot read the stored membership: {e}")))?;
    let membership = state.effective().membership();
    if membership.get_node(&id).is_some() {
        return Ok(());
    }
    match membership.nodes().find(|(_, node)| node.addr == addr) {
        Some((other, _)) => Err(refused(
            path,
            format!(
                "it names server {id}, but the stored membership lists this server's address \
                 {addr} as server {other} and has no server {id}; {REMEDY}"
            ),
        )),
        None => Ok(()),
    }
}

fn refused(path: &Path, problem: String) -> StartError {
    StartError::NodeId {
        path: path.display().to_string(),
        problem,
    }
}
