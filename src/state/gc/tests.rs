//! The GC rules and selection on states built through the state machine,
//! and apply's re-check: one test per rule.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::state::{Command, Fsm, GcReap, JobKey, JobRegister, NodeUpdate, State, StateHandle};
use crate::structs::{
    ALLOC_CLIENT_COMPLETE, ALLOC_CLIENT_FAILED, ALLOC_CLIENT_RUNNING, ALLOC_DESIRED_RUN,
    ALLOC_DESIRED_STOP, Allocation, EVAL_STATUS_COMPLETE, EVAL_STATUS_PENDING, Evaluation,
    JOB_STATUS_DEAD, Job, NODE_STATUS_DOWN, NODE_STATUS_READY, Node, ReschedulePolicy, SECOND,
    TaskGroup,
};

/// When everything in these states happened.
const T0: i64 = 1_800_000_000 * SECOND;
const HOUR: i64 = 3600 * SECOND;

fn job(id: &str, job_type: &str) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: "default".into(),
        job_type: job_type.into(),
        datacenters: vec!["dc1".into()],
        submit_time: T0,
        task_groups: vec![TaskGroup {
            name: "g".into(),
            count: 1,
            ..TaskGroup::default()
        }],
        ..Job::default()
    }
}

struct World {
    fsm: Fsm,
    handle: StateHandle,
    index: u64,
}

impl World {
    fn new() -> Self {
        let (fsm, handle) = Fsm::new();
        World {
            fsm,
            handle,
            index: 0,
        }
    }

    fn apply(&mut self, cmd: Command) -> u64 {
        self.index += 1;
        self.fsm
            .apply_command(self.index, cmd)
            .expect("command applies");
        self.index
    }

    fn state(&self) -> Arc<State> {
        self.handle.snapshot()
    }

    /// Registers `job` with a pending evaluation; returns its ID.
    fn register(&mut self, job: Job) -> String {
        let id = format!("eval-{}-{}", job.id, self.index + 1);
        let eval = Evaluation {
            id: id.clone(),
            namespace: job.namespace.clone(),
            eval_type: job.job_type.clone(),
            job_id: job.id.clone(),
            status: EVAL_STATUS_PENDING.into(),
            create_time: T0,
            modify_time: T0,
            ..Evaluation::default()
        };
        self.apply(Command::JobRegister(JobRegister {
            job,
            eval: Some(eval),
            enforce_index: None,
            ..Default::default()
        }));
        id
    }

    fn complete(&mut self, eval_id: &str) {
        let mut e = (*self.state().eval(eval_id).expect("eval")).clone();
        e.status = EVAL_STATUS_COMPLETE.into();
        e.modify_time = T0;
        self.apply(Command::EvalUpsert { evals: vec![e] });
    }

    /// An allocation of `job_id` placed by `eval_id` on `node`.
    fn place(&mut self, id: &str, job_id: &str, eval_id: &str, node: &str, client: &str) {
        let job = self.state().job("default", job_id);
        let alloc = Allocation {
            id: id.into(),
            namespace: "default".into(),
            eval_id: eval_id.into(),
            name: format!("{job_id}.g[0]"),
            node_id: node.into(),
            job_id: job_id.into(),
            job,
            task_group: "g".into(),
            desired_status: ALLOC_DESIRED_RUN.into(),
            client_status: client.into(),
            create_time: T0,
            modify_time: T0,
            ..Allocation::default()
        };
        self.apply(Command::AllocUpsert {
            allocs: vec![alloc],
        });
    }

    fn set_alloc(&mut self, id: &str, f: impl FnOnce(&mut Allocation)) {
        let mut a = (*self.state().alloc(id).expect("alloc")).clone();
        f(&mut a);
        self.apply(Command::AllocUpsert { allocs: vec![a] });
    }

    /// A node registered at T0, `down` at T0 if `down`.
    fn node(&mut self, id: &str, down: bool) {
        self.apply(Command::NodeRegister {
            node: Node {
                id: id.into(),
                name: id.into(),
                datacenter: "dc1".into(),
                status: NODE_STATUS_READY.into(),
                status_updated_at: T0 / SECOND,
                ..Node::default()
            },
        });
        if down {
            self.apply(Command::NodeUpdateStatus(NodeUpdate {
                node_id: id.into(),
                status: NODE_STATUS_DOWN.into(),
                time: T0,
                ..NodeUpdate::default()
            }));
        }
    }

    /// One pass at `T0 + after` with Nomad's thresholds, applied.
    fn gc(&mut self, after: i64, kinds: GcKinds) -> GcWork {
        let cutoffs = GcThresholds::default().cutoffs(T0 + after);
        let work = select(&self.state(), &cutoffs, kinds, usize::MAX);
        for cmd in work.commands(cutoffs, MAX_PER_COMMAND) {
            self.apply(Command::GcReap(cmd));
        }
        work
    }
}

const EVALS: GcKinds = GcKinds {
    jobs: false,
    evals: true,
    nodes: false,
};
const JOBS: GcKinds = GcKinds {
    jobs: true,
    evals: false,
    nodes: false,
};
const NODES: GcKinds = GcKinds {
    jobs: false,
    evals: false,
    nodes: true,
};

#[test]
fn an_evaluation_stays_while_one_of_its_allocations_is_live() {
    let mut w = World::new();
    let e = w.register(job("web", "service"));
    w.place("a1", "web", &e, "n1", ALLOC_CLIENT_COMPLETE);
    w.place("a2", "web", &e, "n1", ALLOC_CLIENT_RUNNING);
    w.complete(&e);
    // Two hours on: the terminal allocation goes, the evaluation and the
    // running allocation stay.
    let work = w.gc(2 * HOUR, GcKinds::ALL);
    assert_eq!(
        work.evals,
        vec![EvalGroup {
            eval: None,
            allocs: vec!["a1".into()]
        }]
    );
    let s = w.state();
    assert!(s.alloc("a1").is_none());
    assert!(s.alloc("a2").is_some() && s.eval(&e).is_some());
    // Too recent: a stop at T0 + 2h is not an hour old at T0 + 2h30.
    w.set_alloc("a2", |a| {
        a.client_status = ALLOC_CLIENT_COMPLETE.into();
        a.modify_time = T0 + 2 * HOUR;
    });
    assert!(w.gc(2 * HOUR + HOUR / 2, GcKinds::ALL).is_empty());
    let work = w.gc(4 * HOUR, EVALS);
    assert_eq!(work.objects(), 2);
    let s = w.state();
    assert!(s.alloc("a2").is_none() && s.eval(&e).is_none());
    assert!(s.evals_by_job("default", "web").is_empty());
    // The job itself is not stopped: it stays, dead, with its history.
    let j = s.job("default", "web").expect("job stays");
    assert_eq!(j.status, JOB_STATUS_DEAD);
    assert_eq!(s.job_versions("default", "web").len(), 1);
}

#[test]
fn batch_evaluations_wait_for_their_own_threshold() {
    let mut w = World::new();
    let mut batch = job("report", "batch");
    batch.stop = true;
    let eb = w.register(batch);
    w.place("b1", "report", &eb, "n1", ALLOC_CLIENT_COMPLETE);
    w.complete(&eb);
    let es = w.register(job("web", "service"));
    w.complete(&es);
    // Evaluation GC only (the stopped batch job would go by job GC).
    let work = w.gc(2 * HOUR, EVALS);
    assert_eq!(
        work.evals,
        vec![EvalGroup {
            eval: Some(es.clone()),
            allocs: vec![]
        }]
    );
    assert!(w.state().eval(&eb).is_some());
    assert!(w.gc(23 * HOUR, EVALS).is_empty());
    let work = w.gc(25 * HOUR, EVALS);
    assert_eq!(
        work.evals,
        vec![EvalGroup {
            eval: Some(eb.clone()),
            allocs: vec!["b1".into()]
        }]
    );
    assert!(w.state().alloc("b1").is_none());
}

#[test]
fn a_batch_job_that_still_runs_loses_only_older_versions_allocations() {
    let mut w = World::new();
    let e0 = w.register(job("etl", "batch"));
    w.place("old", "etl", &e0, "n1", ALLOC_CLIENT_COMPLETE);
    w.complete(&e0);
    let mut v1 = job("etl", "batch");
    v1.meta.insert("v".into(), "1".into());
    let e1 = w.register(v1);
    w.place("new-done", "etl", &e1, "n1", ALLOC_CLIENT_COMPLETE);
    w.place("new-live", "etl", &e1, "n1", ALLOC_CLIENT_RUNNING);
    w.complete(&e1);
    let work = w.gc(25 * HOUR, GcKinds::ALL);
    // e0's allocation is of an older version: it goes, and e0 with it;
    // e1's are the current version's, so e1 keeps them all.
    assert_eq!(
        work.evals,
        vec![EvalGroup {
            eval: Some(e0.clone()),
            allocs: vec!["old".into()]
        }]
    );
    assert!(work.jobs.is_empty());
    let s = w.state();
    assert!(s.eval(&e1).is_some() && s.alloc("new-done").is_some());
}

#[test]
fn a_failed_allocation_its_job_may_reschedule_stays() {
    let mut w = World::new();
    let mut web = job("web", "service");
    web.task_groups[0].reschedule_policy = Some(ReschedulePolicy {
        unlimited: true,
        delay: 30 * SECOND,
        ..ReschedulePolicy::default()
    });
    let e = w.register(web);
    w.place("f1", "web", &e, "n1", ALLOC_CLIENT_FAILED);
    w.place("r1", "web", &e, "n1", ALLOC_CLIENT_RUNNING);
    w.complete(&e);
    assert!(w.gc(2 * HOUR, GcKinds::ALL).is_empty());
    // Once replaced (its history carried forward), it may go.
    w.set_alloc("f1", |a| a.next_allocation = "r1".into());
    let work = w.gc(2 * HOUR, GcKinds::ALL);
    assert_eq!(work.evals[0].allocs, vec!["f1".to_string()]);
}

#[test]
fn a_dead_job_goes_with_its_versions_summary_evaluations_and_allocations() {
    let mut w = World::new();
    let e0 = w.register(job("report", "batch"));
    w.place("r1", "report", &e0, "n1", ALLOC_CLIENT_COMPLETE);
    w.complete(&e0);
    let mut v1 = job("report", "batch");
    v1.meta.insert("v".into(), "1".into());
    let e1 = w.register(v1);
    w.place("r2", "report", &e1, "n1", ALLOC_CLIENT_COMPLETE);
    w.complete(&e1);
    // A service job that is not stopped is never job-collectable.
    let es = w.register(job("web", "service"));
    w.complete(&es);
    let s = w.state();
    assert_eq!(s.job("default", "report").expect("job").status, "dead");
    assert_eq!(s.job_versions("default", "report").len(), 2);
    assert!(w.gc(3 * HOUR, JOBS).is_empty());
    let work = w.gc(5 * HOUR, JOBS);
    assert_eq!(work.jobs, vec![(JobKey::new("default", "report"), 5)]);
    let s = w.state();
    assert!(s.job("default", "report").is_none());
    assert!(s.job_versions("default", "report").is_empty());
    assert!(s.job_summary("default", "report").is_none());
    assert!(s.eval(&e0).is_none() && s.eval(&e1).is_none());
    assert!(s.alloc("r1").is_none() && s.alloc("r2").is_none());
    assert!(s.allocs_by_job("default", "report").is_empty());
    assert!(s.node_allocs_count("n1") == 0);
    assert!(s.job("default", "web").is_some() && s.eval(&es).is_some());
}

#[test]
fn a_job_with_a_pending_evaluation_or_a_live_allocation_stays() {
    let mut w = World::new();
    let mut a = job("a", "batch");
    a.stop = true;
    let ea = w.register(a);
    w.place("a1", "a", &ea, "n1", ALLOC_CLIENT_RUNNING);
    w.complete(&ea);
    let mut b = job("b", "service");
    b.stop = true;
    w.register(b); // its evaluation stays pending
    assert!(w.gc(100 * HOUR, GcKinds::ALL).is_empty());
    assert!(w.state().job("default", "a").is_some());
    assert!(w.state().job("default", "b").is_some());
}

#[test]
fn a_down_node_goes_once_it_runs_nothing() {
    let mut w = World::new();
    w.node("idle", true);
    w.node("busy", true);
    w.node("up", false);
    let e = w.register(job("web", "service"));
    w.place("x", "web", &e, "busy", ALLOC_CLIENT_RUNNING);
    w.place("y", "web", &e, "idle", ALLOC_CLIENT_COMPLETE);
    w.complete(&e);
    assert!(w.gc(23 * HOUR, NODES).is_empty());
    let work = w.gc(25 * HOUR, NODES);
    assert_eq!(work.nodes, vec!["idle".to_string()]);
    let s = w.state();
    assert!(s.node("idle").is_none() && s.last_heartbeat("idle").is_none());
    assert!(s.node("busy").is_some() && s.node("up").is_some());
    // The scheduler marks the busy node's allocation lost: it goes next.
    w.set_alloc("x", |a| {
        a.client_status = "lost".into();
        a.desired_status = ALLOC_DESIRED_STOP.into();
    });
    assert_eq!(w.gc(25 * HOUR, NODES).nodes, vec!["busy".to_string()]);
    // A collected node whose last allocation goes leaves no entry.
    w.gc(26 * HOUR, EVALS);
    assert!(w.state().by_node.get("idle").is_none());
}

#[test]
fn apply_never_removes_a_live_object_even_when_named() {
    let mut w = World::new();
    w.node("up", false);
    let e = w.register(job("web", "service"));
    w.place("live", "web", &e, "up", ALLOC_CLIENT_RUNNING);
    let pending = w.register(job("other", "service"));
    let before = w.state();
    let far = GcThresholds::ZERO.cutoffs(T0 + 1000 * HOUR);
    w.apply(Command::GcReap(GcReap {
        cutoffs: far,
        allocs: vec!["live".into(), "unknown".into()],
        evals: vec![e.clone(), pending.clone()],
        jobs: vec![
            JobKey::new("default", "web"),
            JobKey::new("default", "other"),
        ],
        budget: 1000,
        nodes: vec!["up".into()],
    }));
    let s = w.state();
    assert!(s.alloc("live").is_some());
    assert!(s.eval(&e).is_some() && s.eval(&pending).is_some());
    assert!(s.job("default", "web").is_some() && s.job("default", "other").is_some());
    assert!(s.node("up").is_some());
    assert_eq!(s.allocs_count(), before.allocs_count());
}

#[test]
fn an_entry_decided_on_an_older_state_skips_what_changed_since() {
    let mut w = World::new();
    let mut report = job("report", "batch");
    report.stop = true;
    let e = w.register(report);
    w.place("r1", "report", &e, "n1", ALLOC_CLIENT_COMPLETE);
    w.complete(&e);
    let cutoffs = GcThresholds::default().cutoffs(T0 + 5 * HOUR);
    let work = select(&w.state(), &cutoffs, GcKinds::ALL, usize::MAX);
    assert_eq!(work.jobs.len(), 1);
    // The job is registered again before the entry applies.
    let mut again = job("report", "batch");
    again.submit_time = T0 + 5 * HOUR;
    let e2 = w.register(again);
    for cmd in work.commands(cutoffs, MAX_PER_COMMAND) {
        w.apply(Command::GcReap(cmd));
    }
    let s = w.state();
    assert!(s.job("default", "report").is_some());
    assert!(s.eval(&e2).is_some());
    assert!(
        s.alloc("r1").is_some(),
        "the new version's job keeps its history"
    );
}

#[test]
fn a_large_job_is_removed_over_several_bounded_entries_and_stays_dead_meanwhile() {
    let mut w = World::new();
    let mut big = job("big", "batch");
    big.stop = true;
    let e = w.register(big);
    for i in 0..25 {
        w.place(&format!("a{i:02}"), "big", &e, "n1", ALLOC_CLIENT_COMPLETE);
    }
    w.complete(&e);
    let cutoffs = GcThresholds::default().cutoffs(T0 + 5 * HOUR);
    let work = select(&w.state(), &cutoffs, JOBS, usize::MAX);
    assert_eq!(work.jobs, vec![(JobKey::new("default", "big"), 27)]);
    let commands = work.commands(cutoffs, 10);
    assert_eq!(commands.len(), 3);
    assert!(commands.iter().all(|c| c.budget == 10));
    w.apply(Command::GcReap(commands[0].clone()));
    let s = w.state();
    assert_eq!(s.allocs_by_job("default", "big").len(), 15);
    assert_eq!(
        s.job("default", "big").expect("job").status,
        JOB_STATUS_DEAD
    );
    for c in &commands[1..] {
        w.apply(Command::GcReap(c.clone()));
    }
    let s = w.state();
    assert!(s.job("default", "big").is_none() && s.eval(&e).is_none());
    assert_eq!(s.allocs_count(), 0);
}

#[test]
fn entries_hold_at_most_their_share_and_name_an_evaluation_after_its_allocations() {
    let work = GcWork {
        jobs: vec![(JobKey::new("default", "j"), 3)],
        evals: vec![EvalGroup {
            eval: Some("e".into()),
            allocs: (0..6).map(|i| format!("a{i}")).collect(),
        }],
        nodes: vec!["n".into()],
        truncated: false,
    };
    let commands = work.commands(GcCutoffs::default(), 4);
    let sizes: Vec<usize> = commands
        .iter()
        .map(|c| c.jobs.len() * 3 + c.allocs.len() + c.evals.len() + c.nodes.len())
        .collect();
    assert!(sizes.iter().all(|n| *n <= 4), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), work.objects());
    let eval_at = commands.iter().position(|c| !c.evals.is_empty());
    let last_alloc_at = commands.iter().rposition(|c| !c.allocs.is_empty());
    assert!(eval_at >= last_alloc_at);
}

#[test]
fn a_pass_stops_at_its_limit() {
    let mut w = World::new();
    for i in 0..5 {
        let e = w.register(job(&format!("j{i}"), "service"));
        w.complete(&e);
    }
    let cutoffs = GcThresholds::default().cutoffs(T0 + 2 * HOUR);
    let work = select(&w.state(), &cutoffs, EVALS, 3);
    assert_eq!(work.objects(), 3);
    assert!(work.truncated);
    let work = select(&w.state(), &cutoffs, EVALS, 10);
    assert_eq!((work.objects(), work.truncated), (5, false));
}

#[test]
fn reconcile_rebuilds_a_summary_from_the_allocations() {
    let mut w = World::new();
    let e = w.register(job("web", "service"));
    w.place("a1", "web", &e, "n1", ALLOC_CLIENT_RUNNING);
    let good = w.state().job_summary("default", "web").expect("summary");
    assert_eq!(good.summary["g"].running, 1);
    // Damage it, as an older server's bug might have.
    let mut bad = (*good).clone();
    bad.summary.get_mut("g").expect("group").running = 7;
    let mut damaged = (*w.state()).clone();
    damaged
        .summaries
        .insert(JobKey::new("default", "web"), Arc::new(bad));
    crate::state::apply::gc::reconcile_summaries(&mut damaged, 99).expect("reconcile");
    let fixed = damaged.job_summary("default", "web").expect("summary");
    assert_eq!(fixed.summary, good.summary);
    assert_eq!(fixed.modify_index, 99);
}

#[test]
fn thresholds_count_back_from_now() {
    let t = GcThresholds {
        eval: Duration::from_secs(1),
        batch_eval: Duration::from_secs(2),
        job: Duration::from_secs(3),
        node: Duration::from_secs(4),
    };
    let c = t.cutoffs(10 * SECOND);
    assert_eq!(
        (c.now, c.eval, c.batch_eval, c.job, c.node),
        (10 * SECOND, 9 * SECOND, 8 * SECOND, 7 * SECOND, 6 * SECOND)
    );
    assert_eq!(GcThresholds::ZERO.cutoffs(5).job, 5);
}

#[test]
fn removals_leave_the_indexes_as_a_restore_rebuilds_them() {
    let mut w = World::new();
    w.node("gone", true);
    let mut report = job("report", "batch");
    report.stop = true;
    let e = w.register(report);
    w.place("r1", "report", &e, "gone", ALLOC_CLIENT_COMPLETE);
    w.complete(&e);
    let e2 = w.register(job("web", "service"));
    w.place("w1", "web", &e2, "n2", ALLOC_CLIENT_COMPLETE);
    w.place("w2", "web", &e2, "n2", ALLOC_CLIENT_RUNNING);
    w.complete(&e2);
    let work = w.gc(30 * HOUR, GcKinds::ALL);
    assert_eq!((work.jobs.len(), work.nodes.len()), (1, 1));
    let live = w.state();
    let restored = crate::state::snapshot::decode(&crate::state::snapshot::encode(&live))
        .expect("snapshot decodes");
    assert_eq!(live.evals_by_job, restored.evals_by_job);
    assert_eq!(live.evals_by_index, restored.evals_by_index);
    assert_eq!(live.allocs_by_index, restored.allocs_by_index);
    assert_eq!(
        live.allocs_by_job.keys().collect::<Vec<_>>(),
        restored.allocs_by_job.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        live.by_node.keys().collect::<Vec<_>>(),
        restored.by_node.keys().collect::<Vec<_>>()
    );
    assert_eq!(live.nodes_by_allocs_index, restored.nodes_by_allocs_index);
    assert_eq!(live.allocs_count(), 1);
}
