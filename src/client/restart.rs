//! Whether, and when, a task runner starts its task again (Nomad's local
//! `restart` policy).
//!
//! Every exit or failed start inside the current interval window counts as
//! an attempt; the window starts again once `interval` has passed since it
//! began. Within `attempts` the task restarts after `delay` plus up to 25 %
//! of jitter (so that tasks failing together do not restart in lockstep);
//! beyond it, mode `fail` gives up (the allocation fails and the servers
//! may reschedule it) and mode `delay` waits for the window to end.
//!
//! The tracker is pure: the caller passes the current time, and the
//! jitter comes from a replaceable source, so decisions are reproducible
//! in tests.

use std::fmt;
use std::time::{Duration, Instant};

use crate::client::driver::ExitResult;
use crate::jobspec::format_duration;
use crate::structs::{JOB_TYPE_BATCH, JOB_TYPE_SYSBATCH, RestartPolicy, Task, TaskGroup};

/// Share of the delay added at most as jitter.
const JITTER: f64 = 0.25;

pub const REASON_WITHIN_POLICY: &str = "Restart within policy";
pub const REASON_DELAY: &str = "Exceeded allowed attempts, applying a delay";
pub const REASON_UNRECOVERABLE: &str = "Error was unrecoverable";
pub const REASON_NO_RESTARTS: &str = "Policy allows no restarts";
pub const REASON_TERMINATED: &str = "Restart unnecessary as task terminated successfully";
pub const REASON_KILLED: &str = "Task was killed by the client";

/// What the task runner does after the task stopped or failed to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start the task again after `delay` (a `Restarting` event).
    Restart { delay: Duration, reason: String },
    /// The task stays dead; `failed` when this is a failure (a `Not
    /// Restarting` event, the allocation fails), not when the task simply
    /// completed or was killed on purpose.
    NoRestart { reason: String, failed: bool },
}

/// How the last run ended, as far as the policy is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    Unrecoverable,
}

/// A source of jitter factors in [0, 1).
type JitterSource = Box<dyn FnMut() -> f64 + Send + Sync>;

/// The restart state of one task.
pub struct RestartTracker {
    /// Kept as given, for the wording of the "exceeded" reason.
    policy: RestartPolicy,
    attempts: u64,
    /// `None` when the policy's interval is not positive: every attempt
    /// then opens a new window, as in Nomad.
    interval: Option<Duration>,
    delay: Duration,
    delay_mode: bool,
    restart_on_success: bool,
    window_start: Option<Instant>,
    /// Attempts in the current window.
    count: u64,
    /// Restarts decided so far (`TaskState.Restarts`).
    restarts: u64,
    jitter: JitterSource,
}

impl fmt::Debug for RestartTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestartTracker")
            .field("policy", &self.policy)
            .field("restart_on_success", &self.restart_on_success)
            .field("window_start", &self.window_start)
            .field("count", &self.count)
            .field("restarts", &self.restarts)
            .finish_non_exhaustive()
    }
}

/// A non-negative duration from Nomad's nanoseconds (negative → zero).
fn nanos(v: i64) -> Duration {
    Duration::from_nanos(u64::try_from(v).unwrap_or(0))
}

impl RestartTracker {
    /// A tracker for a task of a `job_type` job. Batch and sysbatch tasks
    /// are done when they exit successfully; service and system tasks are
    /// restarted even then (see [`restarts_on_success`] for lifecycle
    /// tasks). The interval window opens at the first attempt unless
    /// [`RestartTracker::starting_at`] says otherwise.
    pub fn new(policy: &RestartPolicy, job_type: &str) -> Self {
        RestartTracker {
            policy: policy.clone(),
            attempts: u64::try_from(policy.attempts).unwrap_or(0),
            interval: (policy.interval > 0).then(|| nanos(policy.interval)),
            delay: nanos(policy.delay),
            delay_mode: policy.mode == "delay",
            restart_on_success: !is_batch(job_type),
            window_start: None,
            count: 0,
            restarts: 0,
            jitter: Box::new(rand::random::<f64>),
        }
    }

    /// Opens the first window at `now` (the task's first start), as Nomad
    /// does when the tracker is created.
    pub fn starting_at(mut self, now: Instant) -> Self {
        self.window_start = Some(now);
        self
    }

    /// Whether a successful exit is restarted (lifecycle sidecars differ
    /// from their job type).
    pub fn restart_on_success(mut self, yes: bool) -> Self {
        self.restart_on_success = yes;
        self
    }

    /// Replaces the random jitter source; factors outside [0, 1] are
    /// clamped (NaN counts as 0).
    pub fn with_jitter(mut self, source: impl FnMut() -> f64 + Send + Sync + 'static) -> Self {
        self.jitter = Box::new(source);
        self
    }

    /// Applies an updated policy (an in-place job update) without losing
    /// the attempts already counted.
    pub fn set_policy(&mut self, policy: &RestartPolicy) {
        self.policy = policy.clone();
        self.attempts = u64::try_from(policy.attempts).unwrap_or(0);
        self.interval = (policy.interval > 0).then(|| nanos(policy.interval));
        self.delay = nanos(policy.delay);
        self.delay_mode = policy.mode == "delay";
    }

    /// Total restarts decided, for `TaskState.Restarts`.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Attempts counted in the current window.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The task exited (on its own or from outside the client).
    pub fn on_exit(&mut self, now: Instant, exit: &ExitResult) -> Decision {
        let outcome = if exit.successful() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        self.decide(now, outcome)
    }

    /// The task could not be started; an unrecoverable error (a bad
    /// configuration) is never retried.
    pub fn on_start_error(&mut self, now: Instant, recoverable: bool) -> Decision {
        let outcome = if recoverable {
            Outcome::Failure
        } else {
            Outcome::Unrecoverable
        };
        self.decide(now, outcome)
    }

    /// A health check's `check_restart` stopped the task: a failure that
    /// counts toward the policy's attempts, as a failed exit does.
    pub fn on_check_failure(&mut self, now: Instant) -> Decision {
        self.decide(now, Outcome::Failure)
    }

    /// The client killed the task on purpose (stop, update, drain): it is
    /// not restarted and did not fail.
    pub fn on_killed(&mut self) -> Decision {
        Decision::NoRestart {
            reason: REASON_KILLED.into(),
            failed: false,
        }
    }

    fn decide(&mut self, now: Instant, outcome: Outcome) -> Decision {
        if outcome == Outcome::Unrecoverable {
            return fail(REASON_UNRECOVERABLE.into());
        }
        let done = outcome == Outcome::Success && !self.restart_on_success;
        if self.attempts == 0 {
            return if done {
                terminated()
            } else {
                fail(REASON_NO_RESTARTS.into())
            };
        }
        self.advance_window(now);
        self.count = self.count.saturating_add(1);
        if done {
            return terminated();
        }
        if self.count <= self.attempts {
            let delay = self.jittered_delay();
            return self.restart(delay, REASON_WITHIN_POLICY);
        }
        if self.delay_mode {
            let delay = self.until_window_end(now);
            return self.restart(delay, REASON_DELAY);
        }
        fail(format!(
            "Exceeded allowed attempts {} in interval {} and mode is \"fail\"",
            self.policy.attempts,
            format_duration(self.policy.interval)
        ))
    }

    fn restart(&mut self, delay: Duration, reason: &str) -> Decision {
        self.restarts = self.restarts.saturating_add(1);
        Decision::Restart {
            delay,
            reason: reason.into(),
        }
    }

    /// When the window ends; `None` if it never does within `Instant`'s
    /// range (an absurdly long interval) or if there is no window yet.
    fn window_end(&self) -> Option<Instant> {
        self.window_start?.checked_add(self.interval?)
    }

    /// Opens a new window if there is none or the current one is over.
    fn advance_window(&mut self, now: Instant) {
        let expired = match (self.window_start, self.interval) {
            (None, _) | (_, None) => true,
            (Some(_), Some(_)) => self.window_end().is_some_and(|end| now > end),
        };
        if expired {
            self.window_start = Some(now);
            self.count = 0;
        }
    }

    fn until_window_end(&self, now: Instant) -> Duration {
        match self.window_end() {
            Some(end) => end.saturating_duration_since(now),
            None => self.interval.unwrap_or_default(),
        }
    }

    /// `delay` plus up to a quarter of it.
    fn jittered_delay(&mut self) -> Duration {
        let j = (self.jitter)();
        let j = if j.is_finite() {
            j.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let extra =
            Duration::try_from_secs_f64(self.delay.as_secs_f64() * JITTER * j).unwrap_or_default();
        self.delay.saturating_add(extra)
    }
}

fn fail(reason: String) -> Decision {
    Decision::NoRestart {
        reason,
        failed: true,
    }
}

fn terminated() -> Decision {
    Decision::NoRestart {
        reason: REASON_TERMINATED.into(),
        failed: false,
    }
}

fn is_batch(job_type: &str) -> bool {
    job_type == JOB_TYPE_BATCH || job_type == JOB_TYPE_SYSBATCH
}

/// Whether `task` restarts after a successful exit: prestart and poststart
/// tasks only when they are sidecars, poststop tasks never, other tasks
/// unless the job is a batch or sysbatch job.
pub fn restarts_on_success(job_type: &str, task: &Task) -> bool {
    let lifecycle = task.lifecycle.as_ref().and_then(|l| l.as_object());
    let field =
        |upper: &str, lower: &str| lifecycle.and_then(|l| l.get(upper).or_else(|| l.get(lower)));
    let hook = field("Hook", "hook").and_then(|v| v.as_str()).unwrap_or("");
    let sidecar = field("Sidecar", "sidecar")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    match hook {
        "prestart" | "poststart" => sidecar,
        "poststop" => false,
        _ => !is_batch(job_type),
    }
}

/// The policy a task runs under: the job type's defaults, the group's
/// `restart` block over them, the task's over that.
///
/// `interval`, `delay` and `mode` fall through when zero or empty.
/// `attempts` (and `render_templates`) are taken from the most specific
/// block given, even when 0: `attempts = 0` is how a job says "never
/// restart", and the job decoder already starts a task's block from the
/// group's, so a 0 there was written by the user (canonicalisation leaves
/// `attempts` alone for the same reason).
pub fn effective_policy(group: &TaskGroup, task: &Task, job_type: &str) -> RestartPolicy {
    let mut policy = RestartPolicy::default_for(job_type);
    for layer in [group.restart_policy.as_ref(), task.restart_policy.as_ref()]
        .into_iter()
        .flatten()
    {
        overlay(&mut policy, layer);
    }
    policy
}

fn overlay(base: &mut RestartPolicy, layer: &RestartPolicy) {
    base.attempts = layer.attempts;
    base.render_templates = layer.render_templates;
    if layer.interval > 0 {
        base.interval = layer.interval;
    }
    if layer.delay > 0 {
        base.delay = layer.delay;
    }
    if !layer.mode.is_empty() {
        base.mode = layer.mode.clone();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::structs::SECOND;

    const MIN: i64 = 60 * SECOND;

    fn policy(attempts: i64, interval: i64, delay: i64, mode: &str) -> RestartPolicy {
        RestartPolicy {
            attempts,
            interval,
            delay,
            mode: mode.into(),
            render_templates: false,
        }
    }

    fn failed_exit() -> ExitResult {
        ExitResult {
            exit_code: 1,
            ..ExitResult::default()
        }
    }

    fn tracker(p: &RestartPolicy, job_type: &str) -> RestartTracker {
        RestartTracker::new(p, job_type).with_jitter(|| 0.0)
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn service_defaults_fail_after_two_attempts() {
        let p = RestartPolicy::default_for("service");
        let mut t = tracker(&p, "service");
        let t0 = Instant::now();
        let within = Decision::Restart {
            delay: secs(15),
            reason: REASON_WITHIN_POLICY.into(),
        };
        assert_eq!(t.on_exit(t0, &failed_exit()), within);
        assert_eq!(t.on_exit(t0 + secs(20), &failed_exit()), within);
        assert_eq!(
            t.on_exit(t0 + secs(40), &failed_exit()),
            Decision::NoRestart {
                reason: "Exceeded allowed attempts 2 in interval 30m0s and mode is \"fail\"".into(),
                failed: true,
            }
        );
        assert_eq!(t.restarts(), 2);
    }

    #[test]
    fn batch_defaults_name_a_day_long_interval() {
        let p = RestartPolicy::default_for("batch");
        let mut t = tracker(&p, "batch");
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(matches!(
                t.on_exit(t0 + secs(i), &failed_exit()),
                Decision::Restart { .. }
            ));
        }
        match t.on_exit(t0 + secs(5), &failed_exit()) {
            Decision::NoRestart { reason, failed } => {
                assert!(failed);
                assert_eq!(
                    reason,
                    "Exceeded allowed attempts 3 in interval 24h0m0s and mode is \"fail\""
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn batch_success_terminates_service_success_restarts() {
        let p = RestartPolicy::default_for("batch");
        let t0 = Instant::now();
        for job_type in ["batch", "sysbatch"] {
            let mut t = tracker(&p, job_type);
            assert_eq!(
                t.on_exit(t0, &ExitResult::default()),
                Decision::NoRestart {
                    reason: REASON_TERMINATED.into(),
                    failed: false,
                }
            );
            assert_eq!(t.restarts(), 0);
        }
        for job_type in ["service", "system"] {
            let mut t = tracker(&p, job_type);
            assert!(matches!(
                t.on_exit(t0, &ExitResult::default()),
                Decision::Restart { .. }
            ));
            // A clean exit still counts as an attempt.
            assert_eq!(t.count(), 1);
        }
    }

    #[test]
    fn signals_oom_and_lost_tasks_are_failures() {
        let p = RestartPolicy::default_for("batch");
        let t0 = Instant::now();
        for exit in [
            ExitResult {
                signal: 9,
                ..ExitResult::default()
            },
            ExitResult {
                oom_killed: true,
                ..ExitResult::default()
            },
            ExitResult {
                err: Some("lost".into()),
                ..ExitResult::default()
            },
        ] {
            let mut t = tracker(&p, "batch");
            assert!(matches!(t.on_exit(t0, &exit), Decision::Restart { .. }));
        }
    }

    #[test]
    fn the_window_resets_after_the_interval() {
        let p = policy(1, 5 * MIN, 10 * SECOND, "fail");
        let mut t = tracker(&p, "service");
        let t0 = Instant::now();
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::Restart { .. }
        ));
        // Exactly at the end of the window: still inside it.
        assert!(matches!(
            t.on_exit(t0 + secs(300), &failed_exit()),
            Decision::NoRestart { failed: true, .. }
        ));
        let mut t = tracker(&p, "service");
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::Restart { .. }
        ));
        assert!(matches!(
            t.on_exit(t0 + secs(301), &failed_exit()),
            Decision::Restart { .. }
        ));
        assert_eq!(t.count(), 1);
    }

    #[test]
    fn the_first_window_can_open_at_the_first_start() {
        let p = policy(1, 5 * MIN, SECOND, "fail");
        let t0 = Instant::now();
        let mut t = tracker(&p, "service").starting_at(t0);
        assert!(matches!(
            t.on_exit(t0 + secs(200), &failed_exit()),
            Decision::Restart { .. }
        ));
        // The window opened at t0 and is over at t0 + 5 min.
        assert!(matches!(
            t.on_exit(t0 + secs(301), &failed_exit()),
            Decision::Restart { .. }
        ));
        assert!(matches!(
            t.on_exit(t0 + secs(302), &failed_exit()),
            Decision::NoRestart { .. }
        ));
    }

    #[test]
    fn delay_mode_waits_for_the_window_to_end() {
        let p = policy(2, 10 * MIN, 15 * SECOND, "delay");
        let mut t = tracker(&p, "service");
        let t0 = Instant::now();
        t.on_exit(t0, &failed_exit());
        t.on_exit(t0 + secs(60), &failed_exit());
        assert_eq!(
            t.on_exit(t0 + secs(120), &failed_exit()),
            Decision::Restart {
                delay: secs(480),
                reason: REASON_DELAY.into(),
            }
        );
        assert_eq!(t.restarts(), 3);
        // After waiting, the next exit is in a fresh window.
        assert_eq!(
            t.on_exit(t0 + secs(601), &failed_exit()),
            Decision::Restart {
                delay: secs(15),
                reason: REASON_WITHIN_POLICY.into(),
            }
        );
    }

    #[test]
    fn jitter_adds_up_to_a_quarter_of_the_delay() {
        let p = policy(10, 30 * MIN, 20 * SECOND, "fail");
        let t0 = Instant::now();
        let delay_for = |j: f64| {
            let mut t = RestartTracker::new(&p, "service").with_jitter(move || j);
            match t.on_exit(t0, &failed_exit()) {
                Decision::Restart { delay, .. } => delay,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(delay_for(0.0), secs(20));
        assert_eq!(delay_for(0.5), Duration::from_millis(22_500));
        assert_eq!(delay_for(1.0), secs(25));
        assert_eq!(delay_for(7.0), secs(25));
        assert_eq!(delay_for(-1.0), secs(20));
        assert_eq!(delay_for(f64::NAN), secs(20));
        assert_eq!(delay_for(f64::INFINITY), secs(20));
        // The real source stays within bounds.
        let mut t = RestartTracker::new(&p, "service");
        for i in 0..10 {
            match t.on_exit(t0 + secs(i), &failed_exit()) {
                Decision::Restart { delay, .. } => {
                    assert!(delay >= secs(20) && delay <= secs(25), "{delay:?}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn start_errors() {
        let p = RestartPolicy::default_for("service");
        let t0 = Instant::now();
        let mut t = tracker(&p, "service");
        assert!(matches!(
            t.on_start_error(t0, true),
            Decision::Restart { .. }
        ));
        assert_eq!(
            t.on_start_error(t0, false),
            Decision::NoRestart {
                reason: REASON_UNRECOVERABLE.into(),
                failed: true,
            }
        );
        assert_eq!(t.restarts(), 1);
    }

    #[test]
    fn killed_tasks_are_not_restarted_nor_failed() {
        let mut t = tracker(&RestartPolicy::default_for("service"), "service");
        assert_eq!(
            t.on_killed(),
            Decision::NoRestart {
                reason: REASON_KILLED.into(),
                failed: false,
            }
        );
        assert_eq!(t.restarts(), 0);
    }

    #[test]
    fn zero_attempts_never_restart() {
        let p = policy(0, 30 * MIN, 15 * SECOND, "delay");
        let t0 = Instant::now();
        let mut t = tracker(&p, "service");
        assert_eq!(
            t.on_exit(t0, &failed_exit()),
            Decision::NoRestart {
                reason: REASON_NO_RESTARTS.into(),
                failed: true,
            }
        );
        let mut t = tracker(&p, "batch");
        assert_eq!(
            t.on_exit(t0, &ExitResult::default()),
            Decision::NoRestart {
                reason: REASON_TERMINATED.into(),
                failed: false,
            }
        );
        let mut t = tracker(&policy(-3, 0, 0, ""), "service");
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::NoRestart { failed: true, .. }
        ));
    }

    #[test]
    fn degenerate_policies_do_not_panic() {
        let t0 = Instant::now();
        // No interval: every attempt opens a new window.
        let mut t = tracker(&policy(1, 0, -5, "fail"), "service");
        for i in 0..5 {
            assert_eq!(
                t.on_exit(t0 + secs(i), &failed_exit()),
                Decision::Restart {
                    delay: Duration::ZERO,
                    reason: REASON_WITHIN_POLICY.into(),
                }
            );
        }
        let mut t = tracker(&policy(1, -MIN, i64::MIN, "delay"), "service");
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::Restart { .. }
        ));
        // Huge figures saturate instead of overflowing.
        let mut t = RestartTracker::new(&policy(1, i64::MAX, i64::MAX, "delay"), "service")
            .with_jitter(|| 0.99);
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::Restart { .. }
        ));
        match t.on_exit(t0 + secs(1), &failed_exit()) {
            Decision::Restart { delay, reason } => {
                assert_eq!(reason, REASON_DELAY);
                assert!(delay > secs(1_000_000));
            }
            other => panic!("{other:?}"),
        }
        // An unknown mode gives up rather than waiting.
        let mut t = tracker(&policy(1, MIN, SECOND, "sometimes"), "service");
        t.on_exit(t0, &failed_exit());
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::NoRestart { failed: true, .. }
        ));
    }

    #[test]
    fn set_policy_keeps_the_count() {
        let t0 = Instant::now();
        let mut t = tracker(&policy(3, 30 * MIN, SECOND, "fail"), "service");
        t.on_exit(t0, &failed_exit());
        t.on_exit(t0, &failed_exit());
        t.set_policy(&policy(1, 30 * MIN, SECOND, "fail"));
        assert!(matches!(
            t.on_exit(t0, &failed_exit()),
            Decision::NoRestart { failed: true, .. }
        ));
        assert!(format!("{t:?}").contains("count: 3"));
    }

    fn task_with(restart: Option<RestartPolicy>, lifecycle: Option<serde_json::Value>) -> Task {
        Task {
            name: "t".into(),
            restart_policy: restart,
            lifecycle,
            ..Task::default()
        }
    }

    #[test]
    fn lifecycle_decides_restart_on_success() {
        let plain = task_with(None, None);
        assert!(restarts_on_success("service", &plain));
        assert!(!restarts_on_success("batch", &plain));
        let sidecar = task_with(None, Some(json!({"Hook": "prestart", "Sidecar": true})));
        assert!(restarts_on_success("batch", &sidecar));
        let init = task_with(None, Some(json!({"Hook": "prestart"})));
        assert!(!restarts_on_success("service", &init));
        let post = task_with(None, Some(json!({"hook": "poststart", "sidecar": true})));
        assert!(restarts_on_success("batch", &post));
        let stop = task_with(None, Some(json!({"Hook": "poststop", "Sidecar": true})));
        assert!(!restarts_on_success("service", &stop));
        let odd = task_with(None, Some(json!("prestart")));
        assert!(restarts_on_success("service", &odd));
        let t0 = Instant::now();
        let mut t = tracker(&RestartPolicy::default_for("service"), "service")
            .restart_on_success(restarts_on_success("service", &init));
        assert!(matches!(
            t.on_exit(t0, &ExitResult::default()),
            Decision::NoRestart { failed: false, .. }
        ));
    }

    #[test]
    fn effective_policy_layers_defaults_group_and_task() {
        let mut group = TaskGroup::default();
        let plain = task_with(None, None);
        assert_eq!(
            effective_policy(&group, &plain, "batch"),
            RestartPolicy::default_for("batch")
        );
        group.restart_policy = Some(policy(5, 0, 20 * SECOND, ""));
        let p = effective_policy(&group, &plain, "service");
        assert_eq!(p, policy(5, 30 * MIN, 20 * SECOND, "fail"));
        let task = task_with(Some(policy(1, 10 * MIN, 0, "delay")), None);
        assert_eq!(
            effective_policy(&group, &task, "service"),
            policy(1, 10 * MIN, 20 * SECOND, "delay")
        );
        // attempts = 0 at any level means "never restart".
        let never = task_with(Some(policy(0, 0, 0, "")), None);
        assert_eq!(effective_policy(&group, &never, "service").attempts, 0);
        group.restart_policy = Some(policy(0, 0, 0, ""));
        assert_eq!(effective_policy(&group, &plain, "service").attempts, 0);
    }
}
