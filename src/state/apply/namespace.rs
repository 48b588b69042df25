//! Namespaces: upsert (whole) and delete, with Nomad's refusals: `default`
//! cannot be deleted, nor a namespace that holds a job that is not dead or
//! any variable.

use std::sync::Arc;

use crate::state::{Applied, ApplyError, State, Table};
use crate::structs::{DEFAULT_NAMESPACE, Namespace};

pub fn upsert(
    state: &mut State,
    index: u64,
    namespaces: Vec<Namespace>,
) -> Result<Applied, ApplyError> {
    for mut ns in namespaces {
        ns.validate().map_err(ApplyError::Invalid)?;
        let existing = state.namespace(&ns.name);
        ns.create_index = existing.as_ref().map_or(index, |e| e.create_index);
        ns.modify_index = existing.as_ref().map_or(index, |e| e.modify_index);
        let unchanged = existing.as_deref().is_some_and(|e| *e == ns);
        if unchanged {
            continue;
        }
        ns.modify_index = index;
        state.namespaces.insert(ns.name.clone(), Arc::new(ns));
        state.index.bump(Table::Namespaces, index);
    }
    Ok(Applied::default())
}

pub fn delete(state: &mut State, index: u64, names: Vec<String>) -> Result<Applied, ApplyError> {
    for name in names {
        if name == DEFAULT_NAMESPACE {
            return Err(ApplyError::Invalid(
                "default namespace can not be deleted".into(),
            ));
        }
        if !state.namespaces.contains_key(&name) {
            return Err(ApplyError::NotFound("namespace not found".into()));
        }
        // A range scan of this namespace's jobs, not of every job.
        if let Some(job) = state
            .jobs_with_id_prefix(&name, "")
            .find(|j| j.status != crate::structs::JOB_STATUS_DEAD)
        {
            return Err(ApplyError::Invalid(format!(
                "namespace {name:?} contains at least one non-terminal job {:?}. \
                 All jobs must be terminal in namespace before it can be deleted",
                job.id
            )));
        }
        if state.variables_in(&name, "").next().is_some() {
            return Err(ApplyError::Invalid(format!(
                "namespace {name:?} contains at least one variable. \
                 All variables in namespace must be deleted before it can be deleted"
            )));
        }
        state.namespaces.remove(&name);
        state.index.bump(Table::Namespaces, index);
    }
    Ok(Applied::default())
}
