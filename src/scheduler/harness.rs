//! An in-memory planner for tests: plans are checked by the same
//! `plan_check` the leader uses and applied through the same state machine
//! commands, without Raft. Evaluations are processed with the same
//! `process` loop as the leader's workers.

use std::sync::Arc;

use super::plan::{Plan, PlanResult};
use super::plan_check;
use super::process::{Planner, Processed, SchedError, process};
use crate::state::{Command, Fsm, State, StateHandle};
use crate::structs::{Evaluation, Job, Node};

/// A state machine driven directly, with an index counter.
pub struct Harness {
    fsm: Fsm,
    handle: StateHandle,
    index: u64,
    /// Plans submitted, in order.
    pub plans: Vec<Plan>,
    /// Evaluations written by `finish` (final states and created ones).
    pub evals: Vec<Evaluation>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        let (fsm, handle) = Fsm::new();
        Harness {
            fsm,
            handle,
            index: 0,
            plans: Vec::new(),
            evals: Vec::new(),
        }
    }

    pub fn snapshot(&self) -> Arc<State> {
        self.handle.snapshot()
    }

    /// Applies `cmd` at the next index.
    pub fn apply(&mut self, cmd: Command) -> u64 {
        self.index += 1;
        if let Err(e) = self.fsm.apply_command(self.index, cmd) {
            panic!("harness command refused: {e}");
        }
        self.index
    }

    pub fn add_node(&mut self, node: Node) -> u64 {
        self.apply(Command::NodeRegister { node })
    }

    /// Registers `job` with an evaluation and returns the evaluation.
    pub fn register(&mut self, job: Job) -> Evaluation {
        let mut job = job;
        crate::jobspec::canonicalize(&mut job);
        let eval = Evaluation {
            id: crate::ids::uuid(),
            namespace: job.namespace.clone(),
            priority: job.priority,
            eval_type: job.job_type.clone(),
            triggered_by: "job-register".into(),
            job_id: job.id.clone(),
            status: "pending".into(),
            ..Evaluation::default()
        };
        let id = eval.id.clone();
        self.apply(Command::JobRegister(crate::state::JobRegister {
            job,
            eval: Some(eval),
            enforce_index: None,
            ..Default::default()
        }));
        let stored = self.snapshot().eval(&id);
        stored.map(|e| (*e).clone()).unwrap_or_default()
    }

    /// Runs the scheduler on `eval` to its end.
    pub fn process(&mut self, eval: &Evaluation) -> Processed {
        let eval = eval.clone();
        match futures::executor::block_on(process(self, &eval)) {
            Ok(p) => p,
            Err(e) => panic!("processing failed: {e}"),
        }
    }
}

impl Planner for Harness {
    async fn state(&mut self, _min_index: u64) -> Result<Arc<State>, SchedError> {
        Ok(self.handle.snapshot())
    }

    async fn submit(&mut self, plan: Plan) -> Result<PlanResult, SchedError> {
        let (mut result, _) = plan_check::evaluate(&*self.handle.snapshot(), &plan);
        let cmd = result.to_command(&plan);
        result.alloc_index = self.apply(cmd);
        self.plans.push(plan);
        Ok(result)
    }

    async fn finish(
        &mut self,
        eval: Evaluation,
        created: Vec<Evaluation>,
    ) -> Result<(), SchedError> {
        let mut evals = vec![eval];
        evals.extend(created);
        self.evals.extend(evals.iter().cloned());
        self.apply(Command::EvalUpsert { evals });
        Ok(())
    }
}
