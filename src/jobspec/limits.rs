//! Upper bounds on what a job may ask for, and the rule for names.
//!
//! Nomad sets lower bounds (CPU at least 1 MHz, memory at least 10 MB) and,
//! for most figures, no upper one; its Go integers wrap silently. Drover
//! refuses figures no machine could offer, so that every sum the scheduler,
//! the plan applier and the state machine form from them stays far inside
//! `i64` (and the sums saturate besides: see `structs::Usage`).

/// CPU of one task in MHz: 100 THz, 25,000 cores of 4 GHz.
pub const MAX_CPU_MHZ: i64 = 100_000_000;
/// Reserved cores of one task.
pub const MAX_CORES: i64 = 65_536;
/// Memory (and `memory_max`) of one task in MB: 1 PB.
pub const MAX_MEMORY_MB: i64 = 1_000_000_000;
/// A group's ephemeral disk in MB: 1 PB.
pub const MAX_DISK_MB: i64 = 1_000_000_000;
/// Bandwidth of one network in MBits: 1 Pbit/s.
pub const MAX_MBITS: i64 = 1_000_000_000;
/// IOPS of one task.
pub const MAX_IOPS: i64 = 1_000_000_000;

/// The first control character in `s` (NUL, newline, escape, ...), if any.
/// IDs and names are shown in terminals, logs and URLs: a control
/// character there can hide or rewrite what an operator sees.
pub fn control_char(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// The message for a name with a control character, or `None` when the
/// name is clean. `what` names the field: `Job ID`, `Task group name`.
pub fn control_char_error(what: &str, s: &str) -> Option<String> {
    control_char(s).map(|c| {
        format!(
            "{what} contains a control character (U+{:04X}); IDs and names may not contain control characters",
            c as u32
        )
    })
}

/// The message for a figure above its bound, or `None` when within it.
pub fn above(what: &str, value: i64, max: i64) -> Option<String> {
    (value > max).then(|| format!("maximum {what} value is {max}; got {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_and_unicode_and_slashes_are_not() {
        assert_eq!(control_char("a\0b"), Some('\0'));
        assert_eq!(control_char("a\nb"), Some('\n'));
        assert_eq!(control_char("\u{1b}[31mred"), Some('\u{1b}'));
        assert_eq!(control_char("\u{85}"), Some('\u{85}'));
        assert_eq!(control_char("web/frontend-äöü-日本"), None);
        assert!(
            control_char_error("Job ID", "x\ty")
                .is_some_and(|m| m.contains("U+0009") && m.starts_with("Job ID"))
        );
    }

    #[test]
    fn figures_above_their_bound_are_named() {
        assert_eq!(above("CPU", 5, 10), None);
        assert_eq!(
            above("CPU", 11, 10).as_deref(),
            Some("maximum CPU value is 10; got 11")
        );
    }
}
