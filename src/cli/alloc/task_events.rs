//! A task event's description as `alloc status` shows it: the message
//! the client gave, or one built from the event's type and fields.

use drover::structs::TaskEvent;

/// The event's description.
pub fn describe(e: &TaskEvent) -> String {
    if !e.display_message.is_empty() {
        return e.display_message.clone();
    }
    let or = |field: &str, fallback: &str| {
        if field.is_empty() {
            fallback.to_string()
        } else {
            field.to_string()
        }
    };
    match e.event_type.as_str() {
        "Received" => "Task received by client".into(),
        "Started" => "Task started by client".into(),
        "Task Setup" => e.message.clone(),
        "Setup Failure" => or(&e.setup_error, "Task setup failed"),
        "Driver Failure" => or(&e.driver_error, "Failed to start task"),
        "Killing" => match e.kill_reason.as_str() {
            "" => "Sent interrupt".into(),
            r => format!("Killing task: {r}"),
        },
        "Killed" => "Task successfully killed".into(),
        "Terminated" => {
            let mut s = format!("Exit Code: {}", e.exit_code);
            if e.signal != 0 {
                s.push_str(&format!(", Signal: {}", e.signal));
            }
            if !e.message.is_empty() {
                s.push_str(&format!(", Exit Message: {:?}", e.message));
            }
            s
        }
        "Restarting" => match e
            .details
            .get("start_delay")
            .and_then(|d| d.parse::<i64>().ok())
        {
            Some(ns) => format!(
                "Task restarting in {}",
                drover::jobspec::format_duration(ns)
            ),
            None => "Task restarting".into(),
        },
        "Not Restarting" => or(&e.restart_reason, "Task exceeded restart policy"),
        "Restart Signaled" => or(&e.restart_reason, "User requested task to restart"),
        _ => e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str) -> TaskEvent {
        TaskEvent {
            event_type: kind.into(),
            ..TaskEvent::default()
        }
    }

    #[test]
    fn built_descriptions() {
        assert_eq!(describe(&ev("Started")), "Task started by client");
        let mut t = ev("Terminated");
        t.exit_code = 137;
        t.signal = 9;
        assert_eq!(describe(&t), "Exit Code: 137, Signal: 9");
        let mut r = ev("Restarting");
        r.details.insert("start_delay".into(), "15000000000".into());
        assert_eq!(describe(&r), "Task restarting in 15s");
        let mut d = ev("Started");
        d.display_message = "shown as is".into();
        assert_eq!(describe(&d), "shown as is");
    }
}
