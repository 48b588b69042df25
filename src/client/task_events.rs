//! Task events and states as the client records them (Nomad's event types
//! and messages, so `alloc status` readers see what they expect).

use std::time::Duration;

use crate::jobspec::format_duration;
use crate::structs::time::rfc3339_nanos;
use crate::structs::{TaskEvent, TaskState};

pub const TASK_PENDING: &str = "pending";
pub const TASK_RUNNING: &str = "running";
pub const TASK_DEAD: &str = "dead";

pub const RECEIVED: &str = "Received";
pub const TASK_SETUP: &str = "Task Setup";
pub const STARTED: &str = "Started";
pub const TERMINATED: &str = "Terminated";
pub const RESTARTING: &str = "Restarting";
pub const NOT_RESTARTING: &str = "Not Restarting";
pub const KILLING: &str = "Killing";
pub const KILLED: &str = "Killed";
pub const DRIVER_FAILURE: &str = "Driver Failure";
pub const SETUP_FAILURE: &str = "Setup Failure";
pub const RESTART_SIGNALED: &str = "Restart Signaled";
pub const SIGNALING: &str = "Signaling";
pub const FAILED_RESTORING: &str = "Failed Restoring Task";

/// Events kept per task (Nomad keeps the last 10).
pub const MAX_EVENTS: usize = 10;

/// A new event of `kind` now, with `message` shown to users.
pub fn event(kind: &str, message: impl Into<String>) -> TaskEvent {
    let message = message.into();
    TaskEvent {
        event_type: kind.to_string(),
        time: crate::ids::now_nanos(),
        display_message: message.clone(),
        message,
        ..TaskEvent::default()
    }
}

/// Appends `e`, dropping the oldest beyond [`MAX_EVENTS`].
pub fn push(state: &mut TaskState, e: TaskEvent) {
    state.events.push(e);
    if state.events.len() > MAX_EVENTS {
        let extra = state.events.len() - MAX_EVENTS;
        state.events.drain(..extra);
    }
}

/// Now, for a task state's `StartedAt`, `FinishedAt` and `LastRestart`:
/// RFC 3339 with nanoseconds, as Nomad's Go `time.Time` is written (whole
/// seconds would put a task's start up to a second early).
pub fn now_rfc3339() -> Option<String> {
    Some(rfc3339_nanos(crate::ids::now_nanos()))
}

/// "Task restarting in 15.3s".
pub fn restarting(delay: Duration, reason: &str) -> TaskEvent {
    let mut e = event(
        RESTARTING,
        format!(
            "Task restarting in {}",
            format_duration(delay.as_nanos().min(i64::MAX as u128) as i64)
        ),
    );
    e.restart_reason = reason.to_string();
    e.details
        .insert("start_delay".into(), delay.as_nanos().to_string());
    e.details
        .insert("restart_reason".into(), reason.to_string());
    e
}

/// How a task exited.
pub fn terminated(exit: &super::driver::ExitResult) -> TaskEvent {
    let mut text = format!(
        "Exit Code: {}{}",
        exit.exit_code,
        if exit.signal != 0 {
            format!(", Signal: {}", exit.signal)
        } else {
            String::new()
        }
    );
    if exit.oom_killed {
        text.push_str(", OOM Killed");
    }
    if let Some(err) = &exit.err {
        text = format!("{text}, Exit Message: {err:?}");
    }
    let mut e = event(TERMINATED, text);
    e.exit_code = exit.exit_code;
    e.signal = exit.signal;
    e.details
        .insert("exit_code".into(), exit.exit_code.to_string());
    e.details.insert("signal".into(), exit.signal.to_string());
    e.details
        .insert("oom_killed".into(), exit.oom_killed.to_string());
    e
}

/// The allocation's client status from its tasks' states: any task dead
/// and failed: failed; else any running: running; else any pending:
/// pending; else (all dead): complete.
pub fn alloc_status<'a>(states: impl IntoIterator<Item = &'a TaskState>) -> (&'static str, String) {
    let (mut failed, mut running, mut pending, mut any) = (false, false, false, false);
    for s in states {
        any = true;
        match s.state.as_str() {
            TASK_DEAD if s.failed => failed = true,
            TASK_RUNNING => running = true,
            TASK_DEAD => {}
            _ => pending = true,
        }
    }
    use crate::structs::{
        ALLOC_CLIENT_COMPLETE, ALLOC_CLIENT_FAILED, ALLOC_CLIENT_PENDING, ALLOC_CLIENT_RUNNING,
    };
    if failed {
        (ALLOC_CLIENT_FAILED, "Failed tasks".into())
    } else if running {
        (ALLOC_CLIENT_RUNNING, "Tasks are running".into())
    } else if pending || !any {
        (ALLOC_CLIENT_PENDING, "No tasks have started".into())
    } else {
        (ALLOC_CLIENT_COMPLETE, "All tasks have completed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(state: &str, failed: bool) -> TaskState {
        TaskState {
            state: state.into(),
            failed,
            ..TaskState::default()
        }
    }

    #[test]
    fn alloc_status_follows_nomads_rules() {
        assert_eq!(
            alloc_status([&st("dead", true), &st("running", false)]).0,
            "failed"
        );
        assert_eq!(
            alloc_status([&st("running", false), &st("pending", false)]).0,
            "running"
        );
        assert_eq!(alloc_status([&st("pending", false)]).0, "pending");
        assert_eq!(
            alloc_status([&st("dead", false), &st("dead", false)]).0,
            "complete"
        );
    }

    #[test]
    fn task_times_keep_their_fraction_of_a_second() {
        let before = crate::ids::now_nanos();
        let s = now_rfc3339().expect("a time");
        let after = crate::ids::now_nanos();
        let t = crate::structs::time::parse_rfc3339(&s).expect("RFC 3339");
        assert!(
            (before..=after).contains(&t),
            "{s} is not between {before} and {after}"
        );
    }

    #[test]
    fn events_keep_the_last_ten() {
        let mut s = TaskState::default();
        for i in 0..15 {
            push(&mut s, event(RECEIVED, i.to_string()));
        }
        assert_eq!(s.events.len(), MAX_EVENTS);
        assert_eq!(s.events[0].message, "5");
    }
}
