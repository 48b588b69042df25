//! Rescheduling failed allocations: whether a failed allocation may be
//! replaced, after what delay, and what its replacement remembers.
//!
//! ```text
//!  failed alloc ─▶ eligible? (unlimited, or fewer than `attempts` reschedules
//!                  │          inside the trailing `interval`)
//!                  ├─ no  ─▶ stays failed (counts toward the group)
//!                  └─ yes ─▶ time = failure time + next delay
//!                            ├─ within 1 s, or this eval is its follow-up ─▶ now
//!                            └─ later ─▶ follow-up eval (WaitUntil), once
//! ```
//! Delays grow by the policy's function (`constant`, `exponential`,
//! `fibonacci`) up to `max_delay`; a failure long enough after a capped
//! reschedule starts again from `delay`.

use crate::structs::time::parse_rfc3339;
use crate::structs::{Allocation, RescheduleEvent, ReschedulePolicy, RescheduleTracker};

/// How close to its time a reschedule is done at once.
pub const NOW_WINDOW: i64 = 1_000_000_000;
/// Follow-ups whose times fall within this window share one evaluation.
pub const BATCH_WINDOW: i64 = 5_000_000_000;
/// How many past reschedules an unlimited policy carries forward.
const MAX_PAST_EVENTS: usize = 5;

/// What to do with one failed allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Replace it in this evaluation.
    Now,
    /// Replace it at this time (Unix nanoseconds), through a follow-up.
    Later(i64),
    /// Keep it as it is: not eligible, or its follow-up already exists.
    Keep,
}

fn events(a: &Allocation) -> &[RescheduleEvent] {
    a.reschedule_tracker
        .as_deref()
        .map_or(&[][..], |t| t.events.as_slice())
}

/// When the allocation failed: its tasks' latest finish, else its last
/// modification.
pub fn failure_time(a: &Allocation) -> i64 {
    a.task_states
        .values()
        .filter_map(|t| t.finished_at.as_deref().and_then(parse_rfc3339))
        .max()
        .filter(|t| *t > 0)
        .unwrap_or(a.modify_time)
}

/// The delay before the next reschedule of `a`.
pub fn next_delay(p: &ReschedulePolicy, a: &Allocation) -> i64 {
    let past = events(a);
    let Some(last) = past.last() else {
        return p.delay;
    };
    let grown = match p.delay_function.as_str() {
        "exponential" => last.delay.saturating_mul(2),
        "fibonacci" => match past.len().checked_sub(2).map(|i| &past[i]) {
            // A capped series that was reset starts again.
            Some(before) if before.delay == p.max_delay && last.delay == p.delay => last.delay,
            Some(before) => last.delay.saturating_add(before.delay),
            None => p.delay,
        },
        _ => return p.delay,
    };
    if p.max_delay > 0 && grown > p.max_delay {
        // Failing long after the last (capped) reschedule starts over.
        if failure_time(a).saturating_sub(last.reschedule_time) > p.max_delay {
            return p.delay;
        }
        return p.max_delay;
    }
    grown
}

/// Whether `a` may be rescheduled once more under `p`.
pub fn eligible(p: &ReschedulePolicy, a: &Allocation) -> bool {
    if p.unlimited {
        return true;
    }
    if p.attempts <= 0 {
        return false;
    }
    let failed = failure_time(a);
    let recent = events(a)
        .iter()
        .filter(|e| failed.saturating_sub(e.reschedule_time) < p.interval)
        .count() as i64;
    recent < p.attempts && (recent == 0 || next_delay(p, a) < p.interval)
}

/// Decides for one failed allocation during evaluation `eval_id` at `now`.
pub fn decide(p: &ReschedulePolicy, a: &Allocation, eval_id: &str, now: i64) -> Decision {
    if !eligible(p, a) {
        return Decision::Keep;
    }
    let at = failure_time(a).saturating_add(next_delay(p, a));
    if a.followup_eval_id == eval_id || at.saturating_sub(now) <= NOW_WINDOW {
        Decision::Now
    } else if a.followup_eval_id.is_empty() {
        Decision::Later(at)
    } else {
        Decision::Keep
    }
}

/// The tracker of the allocation that replaces `prev` at `now`: the past
/// reschedules still relevant, and this one.
pub fn tracker_for(p: &ReschedulePolicy, prev: &Allocation, now: i64) -> RescheduleTracker {
    let past = events(prev);
    let mut kept: Vec<RescheduleEvent> = if p.attempts > 0 && !p.unlimited {
        past.iter()
            .filter(|e| p.interval > 0 && now.saturating_sub(e.reschedule_time) <= p.interval)
            .cloned()
            .collect()
    } else {
        past[past.len().saturating_sub(MAX_PAST_EVENTS)..].to_vec()
    };
    kept.push(RescheduleEvent {
        reschedule_time: now,
        prev_alloc_id: prev.id.clone(),
        prev_node_id: prev.node_id.clone(),
        delay: next_delay(p, prev),
    });
    RescheduleTracker { events: kept }
}

/// Groups follow-up times into windows of [`BATCH_WINDOW`]: returns, per
/// input, the time of the window it belongs to.
pub fn batch_times(times: &[i64]) -> Vec<i64> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| times[i]);
    let mut out = vec![0; times.len()];
    let mut window: Option<i64> = None;
    for i in order {
        let start = match window {
            Some(w) if times[i].saturating_sub(w) < BATCH_WINDOW => w,
            _ => times[i],
        };
        window = Some(start);
        out[i] = start;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::SECOND;

    fn policy(function: &str, attempts: i64, unlimited: bool) -> ReschedulePolicy {
        ReschedulePolicy {
            attempts,
            interval: 3600 * SECOND,
            delay: 5 * SECOND,
            delay_function: function.into(),
            max_delay: 60 * SECOND,
            unlimited,
        }
    }

    fn failed_after(delays: &[i64], failed_at: i64) -> Allocation {
        let events = delays
            .iter()
            .enumerate()
            .map(|(i, d)| RescheduleEvent {
                reschedule_time: failed_at - (delays.len() - i) as i64 * SECOND,
                prev_alloc_id: format!("a{i}"),
                prev_node_id: "n".into(),
                delay: *d * SECOND,
            })
            .collect();
        Allocation {
            id: "x".into(),
            modify_time: failed_at,
            reschedule_tracker: Some(Box::new(RescheduleTracker { events })),
            ..Allocation::default()
        }
    }

    #[test]
    fn delays_grow_by_the_policy_function_up_to_the_cap() {
        let t = 1_000 * SECOND;
        let exp = policy("exponential", 0, true);
        assert_eq!(next_delay(&exp, &failed_after(&[], t)), 5 * SECOND);
        assert_eq!(next_delay(&exp, &failed_after(&[5], t)), 10 * SECOND);
        assert_eq!(
            next_delay(&exp, &failed_after(&[5, 10, 20, 40], t)),
            60 * SECOND
        );
        let fib = policy("fibonacci", 0, true);
        assert_eq!(next_delay(&fib, &failed_after(&[5], t)), 5 * SECOND);
        assert_eq!(next_delay(&fib, &failed_after(&[5, 5], t)), 10 * SECOND);
        assert_eq!(next_delay(&fib, &failed_after(&[5, 5, 10], t)), 15 * SECOND);
        let constant = policy("constant", 0, true);
        assert_eq!(
            next_delay(&constant, &failed_after(&[5, 5, 5], t)),
            5 * SECOND
        );
        // A failure long after a capped reschedule starts from the base.
        let mut late = failed_after(&[40], t);
        late.modify_time = t + 3600 * SECOND;
        assert_eq!(next_delay(&exp, &late), 5 * SECOND);
    }

    #[test]
    fn attempts_count_only_inside_the_interval() {
        let t = 10_000 * SECOND;
        let p = policy("constant", 2, false);
        assert!(eligible(&p, &failed_after(&[], t)));
        assert!(eligible(&p, &failed_after(&[5], t)));
        assert!(!eligible(&p, &failed_after(&[5, 5], t)));
        let mut old = failed_after(&[5, 5], t);
        old.modify_time = t + 2 * 3600 * SECOND;
        assert!(
            eligible(&p, &old),
            "events outside the interval do not count"
        );
        assert!(!eligible(
            &policy("constant", 0, false),
            &failed_after(&[], t)
        ));
    }

    #[test]
    fn decisions_now_later_and_keep() {
        let t = 10_000 * SECOND;
        let p = policy("constant", 0, true);
        let a = failed_after(&[], t);
        assert_eq!(decide(&p, &a, "e1", t), Decision::Later(t + 5 * SECOND));
        assert_eq!(decide(&p, &a, "e1", t + 5 * SECOND), Decision::Now);
        let mut waiting = a.clone();
        waiting.followup_eval_id = "f".into();
        assert_eq!(decide(&p, &waiting, "e1", t), Decision::Keep);
        assert_eq!(decide(&p, &waiting, "f", t), Decision::Now);
    }

    #[test]
    fn trackers_keep_recent_events_and_add_this_one() {
        let t = 10_000 * SECOND;
        let unlimited = policy("exponential", 0, true);
        let prev = failed_after(&[5, 10, 20, 40, 60, 60, 60], t);
        let tracker = tracker_for(&unlimited, &prev, t);
        assert_eq!(tracker.events.len(), MAX_PAST_EVENTS + 1);
        let last = tracker.events.last().expect("event");
        assert_eq!(
            (last.prev_alloc_id.as_str(), last.delay),
            ("x", 60 * SECOND)
        );
        let limited = policy("constant", 3, false);
        let tracker = tracker_for(&limited, &prev, t + 3600 * SECOND - 3 * SECOND);
        assert_eq!(
            tracker.events.len(),
            4,
            "three inside the interval, and this one"
        );
    }

    #[test]
    fn follow_up_times_share_five_second_windows() {
        let s = SECOND;
        assert_eq!(
            batch_times(&[10 * s, 2 * s, 4 * s, 8 * s, 30 * s]),
            [8 * s, 2 * s, 2 * s, 8 * s, 30 * s]
        );
    }
}
