//! Where a placement's time and memory go, in one process and without
//! Raft: the scheduler computes each evaluation's plan, the applier checks
//! it, the command is encoded as it travels through the log, then decoded
//! and applied by the state machine (once here; every server does it).
//! Prints the time per phase and the live heap per allocation.
//!
//!   bench-state [--nodes 5000] [--jobs 100] [--count 1000]

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc as System;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use drover::scheduler::{Plan, PlanResult, Planner, SchedError, plan_check, process};
use drover::state::{Command, Fsm, JobRegister, State, StateHandle};
use drover::structs::{Evaluation, Job, Node};
use drover_raft::StateMachine;
use serde_json::json;

/// The servers' allocator, counting live bytes.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Default)]
struct Times {
    check: Duration,
    encode: Duration,
    apply: Duration,
    bytes: usize,
}

struct Bench {
    fsm: Fsm,
    handle: StateHandle,
    index: u64,
    times: Times,
}

impl Bench {
    fn apply_bytes(&mut self, cmd: &Command) -> u64 {
        let t = Instant::now();
        let bytes = cmd.encode().expect("commands encode");
        self.times.encode += t.elapsed();
        self.times.bytes += bytes.len();
        self.index += 1;
        let t = Instant::now();
        self.fsm.apply(self.index, &bytes);
        self.fsm.entry_applied(self.index);
        self.times.apply += t.elapsed();
        self.index
    }
}

impl Planner for Bench {
    async fn state(&mut self, _min_index: u64) -> Result<Arc<State>, SchedError> {
        Ok(self.handle.snapshot())
    }

    async fn submit(&mut self, plan: Plan) -> Result<PlanResult, SchedError> {
        let t = Instant::now();
        let (mut result, _) = plan_check::evaluate(&*self.handle.snapshot(), &plan);
        let cmd = result.to_command(&plan);
        self.times.check += t.elapsed();
        result.alloc_index = self.apply_bytes(&cmd);
        Ok(result)
    }

    async fn finish(
        &mut self,
        eval: Evaluation,
        created: Vec<Evaluation>,
    ) -> Result<(), SchedError> {
        let mut evals = vec![eval];
        evals.extend(created);
        self.apply_bytes(&Command::EvalUpsert { evals });
        Ok(())
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn node(i: usize) -> Node {
    let ip = format!("10.{}.{}.{}", 200 + i / 65_536 % 50, i / 256 % 256, i % 256);
    let v = json!({
        "ID": format!("00000000-0000-4000-8000-{i:012}"),
        "Name": format!("sim-{i}"), "Datacenter": if i.is_multiple_of(2) { "dc1" } else { "dc2" },
        "Status": "ready", "SchedulingEligibility": "eligible", "NodeClass": "sim",
        "Attributes": {"kernel.name": "linux", "unique.hostname": format!("sim-{i}")},
        "Drivers": {"docker": {"Detected": true, "Healthy": true}},
        "NodeResources": {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 4096},
            "Disk": {"DiskMB": 100_000}, "Networks": [{"Device": "eth0", "IP": ip, "MBits": 10_000}],
            "MinDynamicPort": 20000, "MaxDynamicPort": 32000}
    });
    serde_json::from_value(v).expect("node fixture")
}

fn job(i: usize, count: usize) -> Job {
    let v = json!({"ID": format!("bench-{i}"), "Type": "service", "Datacenters": ["*"],
        "Update": {"MaxParallel": 0},
        "TaskGroups": [{"Name": "g", "Count": count, "Tasks": [{
            "Name": "t", "Driver": "docker", "Config": {"image": "redis:3.2"},
            "Resources": {"CPU": 10, "MemoryMB": 10}}]}]});
    let mut job: Job = serde_json::from_value(v).expect("job fixture");
    drover::jobspec::canonicalize(&mut job);
    job
}

fn main() {
    let (nodes, jobs, count) = (
        arg("--nodes", 5000),
        arg("--jobs", 100),
        arg("--count", 1000),
    );
    let (fsm, handle) = Fsm::new();
    let mut b = Bench {
        fsm,
        handle,
        index: 0,
        times: Times::default(),
    };
    for i in 0..nodes {
        b.apply_bytes(&Command::NodeRegister { node: node(i) });
    }
    let base = LIVE.load(Ordering::Relaxed);
    b.times = Times::default();
    let started = Instant::now();
    for j in 0..jobs {
        let job = job(j, count);
        let eval = Evaluation {
            id: drover::ids::uuid(),
            namespace: job.namespace.clone(),
            priority: job.priority,
            eval_type: job.job_type.clone(),
            triggered_by: "job-register".into(),
            job_id: job.id.clone(),
            status: "pending".into(),
            ..Evaluation::default()
        };
        let id = eval.id.clone();
        b.apply_bytes(&Command::JobRegister(JobRegister {
            job,
            eval: Some(eval),
            enforce_index: None,
            ..Default::default()
        }));
        let eval = b
            .handle
            .snapshot()
            .eval(&id)
            .map(|e| (*e).clone())
            .expect("eval stored");
        futures::executor::block_on(process(&mut b, &eval)).expect("process");
    }
    let total = started.elapsed();
    let state = b.handle.snapshot();
    let allocs = state.allocs_count();
    let heap = LIVE.load(Ordering::Relaxed) - base;
    let t = &b.times;
    let compute = total - t.check - t.encode - t.apply;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / allocs.max(1) as f64;
    println!(
        "{allocs} allocations on {nodes} nodes in {:.2} s ({:.0}/s)",
        total.as_secs_f64(),
        allocs as f64 / total.as_secs_f64()
    );
    println!(
        "per allocation: compute {:.1} us, plan check {:.1} us, encode {:.1} us, decode+apply {:.1} us",
        per(compute),
        per(t.check),
        per(t.encode),
        per(t.apply)
    );
    println!(
        "log bytes per allocation: {:.0}",
        t.bytes as f64 / allocs.max(1) as f64
    );
    sizes(&state);
    println!(
        "live heap per allocation: {:.0} bytes ({:.0} MiB in all)",
        heap as f64 / allocs.max(1) as f64,
        heap as f64 / 1048576.0
    );
}

/// Prints what one stored allocation costs, inline and on the heap.
fn sizes(state: &State) {
    let Some(a) = state.allocs_changed_after(0).into_iter().next() else {
        return;
    };
    let heap = |f: &dyn Fn() -> Box<dyn std::any::Any>| {
        let before = LIVE.load(Ordering::Relaxed);
        let keep = f();
        let after = LIVE.load(Ordering::Relaxed);
        drop(keep);
        after - before
    };
    let inline = std::mem::size_of::<drover::structs::Allocation>();
    let deep = heap(&|| Box::new((*a).clone())) - inline as i64;
    let metrics = heap(&|| Box::new(a.metrics.clone())) - std::mem::size_of_val(&a.metrics) as i64;
    let resources = heap(&|| Box::new(a.allocated_resources.clone()))
        - std::mem::size_of_val(&a.allocated_resources) as i64;
    println!(
        "one allocation: {inline} bytes inline + {deep} on the heap (metrics {metrics}, resources {resources})"
    );
}
