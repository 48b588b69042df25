//! Follows an evaluation to its end, as Nomad's `run` and `stop` do:
//! the allocations it creates or changes, their status changes, its own
//! status, placement failures, and the evaluations that follow it.
//!
//! It waits with blocking queries on the evaluation and its allocations
//! rather than polling, so it prints a change as soon as the server has it.

use std::collections::HashMap;
use std::time::Duration;

use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::{AllocListStub, Evaluation};

use crate::cli::common::format::{pretty_duration, short_id};
use crate::cli::common::{CliError, metrics};

/// How long one blocking read waits for a change.
const WAIT: Duration = Duration::from_secs(2);

struct Monitor<'a> {
    api: &'a ApiClient,
    verbose: bool,
    /// Client status of each allocation seen so far.
    allocs: HashMap<String, String>,
}

/// Follows evaluation `eval_id`; the exit code is 0 when it finished
/// placing everything, 2 when it could not place all allocations.
pub async fn monitor(api: &ApiClient, eval_id: &str, verbose: bool) -> Result<u8, CliError> {
    let mut m = Monitor {
        api,
        verbose,
        allocs: HashMap::new(),
    };
    let mut id = eval_id.to_string();
    loop {
        match m.one(&id).await? {
            Next::Done(code) => return Ok(code),
            Next::Follow(next) => id = next,
        }
    }
}

enum Next {
    Done(u8),
    Follow(String),
}

impl Monitor<'_> {
    fn id<'s>(&self, s: &'s str) -> &'s str {
        short_id(s, self.verbose)
    }

    async fn eval(&self, id: &str, index: u64) -> Result<(Evaluation, u64), CliError> {
        let opts = if index == 0 {
            QueryOptions::default()
        } else {
            QueryOptions::blocking(index, WAIT)
        };
        let (e, meta) = self
            .api
            .get::<Evaluation>(&format!("/v1/evaluation/{id}"), &opts)
            .await
            .map_err(|e| CliError::api("Error reading evaluation", e))?;
        Ok((e, meta.index))
    }

    async fn one(&mut self, id: &str) -> Result<Next, CliError> {
        println!("==> Monitoring evaluation {:?}", self.id(id));
        let (mut eval, mut index) = self.eval(id, 0).await?;
        if !eval.job_id.is_empty() && eval.node_id.is_empty() {
            println!("    Evaluation triggered by job {:?}", eval.job_id);
        }
        if !eval.node_id.is_empty() {
            println!(
                "    Evaluation triggered by node {:?}",
                self.id(&eval.node_id)
            );
        }
        if !eval.deployment_id.is_empty() {
            println!(
                "    Evaluation within deployment: {:?}",
                self.id(&eval.deployment_id)
            );
        }
        let mut status = "pending".to_string();
        loop {
            self.allocations(&eval).await?;
            if eval.status != status {
                if eval.status != "pending" {
                    println!(
                        "    Evaluation status changed: {status:?} -> {:?}",
                        eval.status
                    );
                }
                status = eval.status.clone();
            }
            if eval.terminal() {
                return Ok(self.finish(&eval));
            }
            let (e, i) = self.eval(id, index.max(eval.modify_index)).await?;
            eval = e;
            index = i;
        }
    }

    async fn allocations(&mut self, eval: &Evaluation) -> Result<(), CliError> {
        let (mut allocs, _) = self
            .api
            .get::<Vec<AllocListStub>>(
                &format!("/v1/evaluation/{}/allocations", eval.id),
                &QueryOptions::default(),
            )
            .await
            .map_err(|e| CliError::api("Error reading allocations", e))?;
        allocs.sort_by(|a, b| (a.create_index, &a.name).cmp(&(b.create_index, &b.name)));
        for a in allocs {
            match self.allocs.get(&a.id) {
                None => {
                    let verb = if a.create_index < eval.create_index {
                        "modified"
                    } else {
                        "created"
                    };
                    println!(
                        "    Allocation {:?} {verb}: node {:?}, group {:?}",
                        self.id(&a.id),
                        self.id(&a.node_id),
                        a.task_group
                    );
                }
                Some(old) if *old != a.client_status => {
                    let desc = if a.client_description.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", a.client_description)
                    };
                    println!(
                        "    Allocation {:?} status changed: {old:?} -> {:?}{desc}",
                        self.id(&a.id),
                        a.client_status
                    );
                }
                Some(_) => {}
            }
            self.allocs.insert(a.id.clone(), a.client_status.clone());
        }
        Ok(())
    }

    fn finish(&self, eval: &Evaluation) -> Next {
        let id = self.id(&eval.id);
        if eval.failed_tg_allocs.is_empty() {
            println!(
                "==> Evaluation {id:?} finished with status {:?}",
                eval.status
            );
        } else {
            println!(
                "==> Evaluation {id:?} finished with status {:?} but failed to place all allocations:",
                eval.status
            );
            for (group, m) in &eval.failed_tg_allocs {
                println!("    {}", metrics::group_header(group, m));
                for l in metrics::lines(m, "      ") {
                    println!("{l}");
                }
            }
            if !eval.blocked_eval.is_empty() {
                println!(
                    "    Evaluation {:?} waiting for additional capacity to place remainder",
                    self.id(&eval.blocked_eval)
                );
            }
        }
        if !eval.next_eval.is_empty() && eval.wait > 0 {
            println!(
                "==> Monitoring next evaluation {:?} in {}",
                self.id(&eval.next_eval),
                pretty_duration(eval.wait)
            );
            return Next::Follow(eval.next_eval.clone());
        }
        Next::Done(if eval.failed_tg_allocs.is_empty() {
            0
        } else {
            2
        })
    }
}
