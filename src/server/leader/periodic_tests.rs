use super::*;
use crate::state::{Command, Fsm, JobRegister};

const S: i64 = 1_000_000_000;
/// 2026-12-04T10:00:30Z.
const T: i64 = 1_796_378_430 * S;

fn periodic_job(id: &str, spec: &str, overlap: bool) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: "default".into(),
        job_type: "batch".into(),
        priority: 50,
        submit_time: T - 3_600 * S,
        periodic: Some(serde_json::json!({
            "Spec": spec, "ProhibitOverlap": overlap, "Enabled": true
        })),
        ..Job::default()
    }
}

fn register(fsm: &mut Fsm, index: u64, job: Job) {
    fsm.apply_command(
        index,
        Command::JobRegister(JobRegister {
            job,
            eval: None,
            enforce_index: None,
            ..Default::default()
        }),
    )
    .expect("register");
}

#[test]
fn a_due_launch_is_made_once_and_the_next_is_scheduled() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 2, periodic_job("report", "*/15 * * * *", false));
    let (launches, next) = due(&handle.snapshot(), T);
    // Registered an hour ago: the latest slot (10:00) is due, once.
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].launch, 1_796_378_400 * S);
    assert!(!launches[0].skip);
    assert_eq!(next, Some((1_796_378_400 + 900) * S));

    let parent = handle.snapshot().job("default", "report").expect("job");
    let cmd = launch_command(&parent, launches[0].launch, false, false, T);
    fsm.apply_command(3, cmd.clone()).expect("launch");
    let st = handle.snapshot();
    let child = st
        .job("default", "report/periodic-1796378400")
        .expect("child");
    assert_eq!(child.parent_id, "report");
    assert!(child.periodic.is_none());
    assert_eq!(st.evals_by_job("default", &child.id).len(), 1);
    assert_eq!(
        st.job_summary("default", "report")
            .and_then(|s| s.children.clone())
            .map(|c| c.pending),
        Some(1)
    );
    // The same launch again (a new leader that read an older state) is
    // refused, and nothing is due until the next slot.
    assert!(fsm.apply_command(4, cmd).is_err());
    assert!(due(&handle.snapshot(), T).0.is_empty());
    let later = (1_796_378_400 + 900) * S + 1;
    assert_eq!(due(&handle.snapshot(), later).0.len(), 1);
}

#[test]
fn missed_slots_are_made_up_by_one_launch() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 2, periodic_job("m", "* * * * *", false));
    // A day without a leader: one launch, at the latest minute.
    let now = T + 86_400 * S;
    let (launches, _) = due(&handle.snapshot(), now);
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].launch, (1_796_378_400 + 86_400) * S);
}

#[test]
fn prohibit_overlap_skips_while_a_child_is_not_dead() {
    let (mut fsm, handle) = Fsm::new();
    register(&mut fsm, 2, periodic_job("o", "*/15 * * * *", true));
    let parent = handle.snapshot().job("default", "o").expect("job");
    let first = 1_796_378_400 * S;
    fsm.apply_command(3, launch_command(&parent, first, false, false, T))
        .expect("launch");
    let later = first + 900 * S + 1;
    let (launches, _) = due(&handle.snapshot(), later);
    assert_eq!(launches.len(), 1);
    assert!(launches[0].skip, "the first child is still pending");
    fsm.apply_command(
        4,
        launch_command(&parent, launches[0].launch, true, false, later),
    )
    .expect("skip recorded");
    assert!(due(&handle.snapshot(), later).0.is_empty());
    assert_eq!(
        handle
            .snapshot()
            .jobs_with_id_prefix("default", "o/periodic-")
            .count(),
        1
    );
}

#[test]
fn disabled_stopped_and_child_jobs_never_launch() {
    let (mut fsm, handle) = Fsm::new();
    let mut off = periodic_job("off", "* * * * *", false);
    off.periodic = Some(serde_json::json!({"Spec": "* * * * *", "Enabled": false}));
    register(&mut fsm, 2, off);
    let mut stopped = periodic_job("stopped", "* * * * *", false);
    stopped.stop = true;
    register(&mut fsm, 3, stopped);
    assert_eq!(due(&handle.snapshot(), T), (Vec::new(), None));
}
