//! Variables: set and delete, each optionally a check-and-set decided
//! here, against the state this entry applies to (Nomad's rules: CAS 0
//! means "only if absent"; a CAS on an absent variable conflicts with an
//! empty variable at that path).

use std::sync::Arc;

use crate::state::{Applied, ApplyError, JobKey, State, Table, VarApply, VarOp};
use crate::structs::Variable;

pub fn apply(state: &mut State, index: u64, req: VarApply) -> Result<Applied, ApplyError> {
    let VarApply { op, var, time } = req;
    let key = JobKey::new(&var.namespace, &var.path);
    let existing = state.variables.get(&key).cloned();
    if matches!(op, VarOp::Cas | VarOp::DeleteCas) {
        check(&var, existing.as_deref())?;
    }
    match op {
        VarOp::Set | VarOp::Cas => set(state, index, key, var, existing, time),
        VarOp::Delete | VarOp::DeleteCas => {
            if existing.is_some() {
                state.variables.remove(&key);
                state.index.bump(Table::Variables, index);
            }
            Ok(Applied::default())
        }
    }
}

/// Nomad's check-and-set outcomes.
fn check(want: &Variable, existing: Option<&Variable>) -> Result<(), ApplyError> {
    let conflict = |v: Variable| Err(ApplyError::VarConflict(Box::new(v)));
    match (want.modify_index, existing) {
        // "Only if absent": a delete of nothing succeeds (and does nothing).
        (0, None) => Ok(()),
        (0, Some(found)) => conflict(found.clone()),
        (_, None) => conflict(Variable::absent(&want.namespace, &want.path)),
        (n, Some(found)) if found.modify_index != n => conflict(found.clone()),
        _ => Ok(()),
    }
}

fn set(
    state: &mut State,
    index: u64,
    key: JobKey,
    mut var: Variable,
    existing: Option<Arc<Variable>>,
    time: i64,
) -> Result<Applied, ApplyError> {
    var.validate().map_err(ApplyError::Invalid)?;
    if !state.namespace_exists(&var.namespace) {
        return Err(ApplyError::Invalid(format!(
            "namespace {:?} does not exist",
            var.namespace
        )));
    }
    match existing {
        // An unchanged variable is not written: its indexes stay.
        Some(old) if old.items == var.items => {
            return Ok(Applied {
                variable: Some(Box::new((*old).clone())),
                ..Applied::default()
            });
        }
        Some(old) => {
            var.create_index = old.create_index;
            var.create_time = old.create_time;
        }
        None => {
            var.create_index = index;
            var.create_time = time;
        }
    }
    var.modify_index = index;
    var.modify_time = time;
    state.variables.insert(key, Arc::new(var.clone()));
    state.index.bump(Table::Variables, index);
    Ok(Applied {
        variable: Some(Box::new(var)),
        ..Applied::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Command, Fsm};

    fn var(path: &str, cas: u64, value: &str) -> Variable {
        let mut v = Variable::absent("default", path);
        v.modify_index = cas;
        v.items.insert("k".into(), value.into());
        v
    }

    fn run(fsm: &mut Fsm, index: u64, op: VarOp, v: Variable) -> Result<Applied, ApplyError> {
        fsm.apply_command(
            index,
            Command::VarApply(VarApply {
                op,
                var: v,
                time: index as i64,
            }),
        )
    }

    #[test]
    fn check_and_set_admits_one_of_two_writers() {
        let (mut fsm, handle) = Fsm::new();
        let created = run(&mut fsm, 10, VarOp::Cas, var("a", 0, "1")).unwrap();
        let stored = created.variable.unwrap();
        assert_eq!((stored.create_index, stored.modify_index), (10, 10));
        // Two writers both read index 10; the first in log order wins.
        assert!(run(&mut fsm, 11, VarOp::Cas, var("a", 10, "2")).is_ok());
        match run(&mut fsm, 12, VarOp::Cas, var("a", 10, "3")) {
            Err(ApplyError::VarConflict(found)) => {
                assert_eq!(found.modify_index, 11);
                assert_eq!(found.items["k"], "2");
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        let st = handle.snapshot();
        let now = st.variable("default", "a").unwrap();
        assert_eq!(
            (now.create_index, now.modify_index, now.items["k"].as_str()),
            (10, 11, "2")
        );
        assert_eq!(st.index(Table::Variables), 11);
    }

    #[test]
    fn cas_on_absent_conflicts_with_an_empty_variable() {
        let (mut fsm, _) = Fsm::new();
        match run(&mut fsm, 5, VarOp::Cas, var("b", 3, "x")) {
            Err(ApplyError::VarConflict(found)) => {
                assert_eq!((found.path.as_str(), found.modify_index), ("b", 0));
                assert!(found.items.is_empty());
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        // Delete "only if absent" of nothing succeeds.
        assert!(run(&mut fsm, 6, VarOp::DeleteCas, var("b", 0, "")).is_ok());
    }

    #[test]
    fn delete_cas_needs_the_current_index() {
        let (mut fsm, handle) = Fsm::new();
        run(&mut fsm, 5, VarOp::Set, var("c", 0, "x")).unwrap();
        assert!(matches!(
            run(&mut fsm, 6, VarOp::DeleteCas, var("c", 4, "")),
            Err(ApplyError::VarConflict(_))
        ));
        assert!(handle.snapshot().variable("default", "c").is_some());
        run(&mut fsm, 7, VarOp::DeleteCas, var("c", 5, "")).unwrap();
        assert!(handle.snapshot().variable("default", "c").is_none());
    }

    #[test]
    fn an_unchanged_set_moves_no_index() {
        let (mut fsm, handle) = Fsm::new();
        run(&mut fsm, 5, VarOp::Set, var("d", 0, "x")).unwrap();
        let again = run(&mut fsm, 6, VarOp::Set, var("d", 0, "x")).unwrap();
        assert_eq!(again.variable.unwrap().modify_index, 5);
        assert_eq!(handle.snapshot().index(Table::Variables), 5);
    }

    #[test]
    fn an_unknown_namespace_is_refused() {
        let (mut fsm, _) = Fsm::new();
        let mut v = var("e", 0, "x");
        v.namespace = "nowhere".into();
        assert_eq!(
            run(&mut fsm, 5, VarOp::Set, v),
            Err(ApplyError::Invalid(
                "namespace \"nowhere\" does not exist".into()
            ))
        );
    }
}
