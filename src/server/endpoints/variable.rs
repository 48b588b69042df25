//! Variables: writes and deletes, each proposed as one [`VarApply`]; the
//! check-and-set is decided in apply, and a conflict comes back with the
//! variable as it was at that point in the log.

use super::super::{Server, ServerError};
use crate::ids;
use crate::state::{Command, VarApply, VarOp};
use crate::structs::{Variable, validate_path};

/// What a write or delete did.
#[derive(Debug)]
pub enum VarWrite {
    /// Written (the variable as stored) or deleted (None), at this index.
    Done(Option<Box<Variable>>, u64),
    /// The check-and-set failed: the variable as it is (empty items and
    /// index 0 when there is none).
    Conflict(Box<Variable>),
}

/// `PUT /v1/var/{path}` (`cas`: the `ModifyIndex` expected, 0 = absent).
pub async fn put(
    server: &Server,
    mut var: Variable,
    cas: Option<u64>,
) -> Result<VarWrite, ServerError> {
    var.validate().map_err(ServerError::BadRequest)?;
    let op = match cas {
        Some(n) => {
            var.modify_index = n;
            VarOp::Cas
        }
        None => VarOp::Set,
    };
    propose(server, op, var).await
}

/// `DELETE /v1/var/{path}`.
pub async fn delete(
    server: &Server,
    namespace: &str,
    path: &str,
    cas: Option<u64>,
) -> Result<VarWrite, ServerError> {
    validate_path(path).map_err(ServerError::BadRequest)?;
    if namespace == "*" {
        return Err(ServerError::BadRequest(
            "can not target wildcard (\"*\")namespace".into(),
        ));
    }
    let mut var = Variable::absent(namespace, path);
    let op = match cas {
        Some(n) => {
            var.modify_index = n;
            VarOp::DeleteCas
        }
        None => VarOp::Delete,
    };
    propose(server, op, var).await
}

async fn propose(server: &Server, op: VarOp, var: Variable) -> Result<VarWrite, ServerError> {
    let command = Command::VarApply(VarApply {
        op,
        var,
        time: ids::now_nanos(),
    });
    match server.propose(&command).await {
        Ok((index, applied)) => Ok(VarWrite::Done(applied.variable, index)),
        Err(ServerError::VarConflict(found)) => Ok(VarWrite::Conflict(found)),
        Err(e) => Err(e),
    }
}
