//! The host-process primitives raw_exec needs: `/proc` reads, signals to a
//! process or a whole process group, sessions.
//!
//! Every system call is wrapped here in a small safe function, so the rest
//! of the driver holds no `unsafe`. Group signals refuse process IDs 0 and
//! 1: `kill(-0, ..)` would signal our own group and `kill(-1, ..)` every
//! process we may signal.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The fields of `/proc/<pid>/stat` the driver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    /// `R`, `S`, `Z` (exited, not yet reaped), ...
    pub state: char,
    pub pgrp: i32,
    /// Clock ticks spent in user and kernel mode.
    pub utime: u64,
    pub stime: u64,
    /// Clock ticks after boot at which the process started.
    pub start_time: u64,
}

/// Parses the text of `/proc/<pid>/stat`. The command name (field 2) is in
/// parentheses and may itself hold spaces and parentheses, so fields are
/// counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    // `rest` starts at field 3 (state): field n is at index n - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(5 - 3)?.parse().ok()?,
        utime: num(14)?,
        stime: num(15)?,
        start_time: num(22)?,
    })
}

/// Reads `/proc/<pid>/stat`; `None` when no such process exists.
pub fn read_stat(pid: i32) -> io::Result<Option<ProcStat>> {
    let text = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(t) => t,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    parse_stat(&text).map(Some).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("/proc/{pid}/stat: unexpected format"),
        )
    })
}

/// Whether the error says the process disappeared under us.
fn gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

/// Whether process `pid` is the one that started at `start_time` and has
/// not exited. A zombie (exited, waiting for its parent) counts as exited.
pub fn is_running(pid: i32, start_time: u64) -> io::Result<bool> {
    Ok(
        read_stat(pid)?
            .is_some_and(|s| s.start_time == start_time && !matches!(s.state, 'Z' | 'X')),
    )
}

/// The resident memory of `pid` in bytes (`/proc/<pid>/statm` field 2);
/// `None` when the process is gone.
pub fn rss_bytes(pid: i32) -> io::Result<Option<u64>> {
    let text = match std::fs::read_to_string(format!("/proc/{pid}/statm")) {
        Ok(t) => t,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let pages = text
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("/proc/{pid}/statm: unexpected format"),
            )
        })?;
    Ok(Some(pages * page_size()))
}

/// The memory page size in bytes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf reads a constant of the system; no memory is passed.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(v).ok().filter(|v| *v > 0).unwrap_or(4096)
}

/// Clock ticks per second (the unit of `/proc/<pid>/stat` times).
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: as in `page_size`.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(v).ok().filter(|v| *v > 0).unwrap_or(100)
}

fn check_pid(pid: i32) -> io::Result<()> {
    if pid > 1 {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to signal process {pid}"),
        ))
    }
}

/// Sends `sig` to every process of group `pgid`. `Ok(false)` when the group
/// no longer exists.
pub fn signal_group(pgid: i32, sig: i32) -> io::Result<bool> {
    check_pid(pgid)?;
    // SAFETY: kill takes plain integers; `pgid` > 1 so this names one group.
    let rc = unsafe { libc::kill(-pgid, sig) };
    signal_outcome(rc)
}

/// Sends `sig` to process `pid` alone. `Ok(false)` when it no longer exists.
pub fn signal_process(pid: i32, sig: i32) -> io::Result<bool> {
    check_pid(pid)?;
    // SAFETY: kill takes plain integers; `pid` > 1 so this names one process.
    let rc = unsafe { libc::kill(pid, sig) };
    signal_outcome(rc)
}

fn signal_outcome(rc: libc::c_int) -> io::Result<bool> {
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ESRCH) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Makes the calling process the leader of a new session (and process
/// group), detached from any terminal; nothing to do when it already leads
/// its session.
pub fn ensure_own_session() -> io::Result<()> {
    // SAFETY: getsid/getpid/setsid take and return plain integers.
    unsafe {
        if libc::getsid(0) == libc::getpid() {
            return Ok(());
        }
        if libc::setsid() == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes `cmd` start its process in a new session (and process group),
/// from the forked child before it executes the program: the process then
/// never belongs to the parent's group, so a terminal's Ctrl-C or a signal
/// to the parent's group cannot reach it even right after the fork.
pub fn start_in_new_session(cmd: &mut Command) {
    // SAFETY: the closure only calls setsid, which is async-signal-safe, as
    // required between fork and exec, and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

extern "C" fn do_nothing(_: libc::c_int) {}

/// Makes `signals` harmless to the calling process. A handler that does
/// nothing is installed rather than `SIG_IGN` on purpose: ignored signals
/// stay ignored across `exec`, so the task would inherit them (and could
/// not be stopped with SIGTERM), while handlers fall back to the default
/// action in the executed program.
pub fn survive_signals(signals: &[i32]) -> io::Result<()> {
    for &sig in signals {
        // SAFETY: a zeroed sigaction is a valid value; the handler does
        // nothing, so it is async-signal-safe; SA_RESTART keeps blocking
        // calls (read, wait) from failing with EINTR.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = do_nothing as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut())
        };
        if rc == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let text = "1234 (we ird) (name) S 1 1234 1234 0 -1 4194560 100 0 0 0 \
                    25 7 0 0 20 0 1 0 987654 1000000 200 18446744073709551615";
        let s = parse_stat(text).unwrap();
        assert_eq!(s.state, 'S');
        assert_eq!(s.pgrp, 1234);
        assert_eq!(s.utime, 25);
        assert_eq!(s.stime, 7);
        assert_eq!(s.start_time, 987654);
        assert_eq!(parse_stat("1234 (x) S 1 2"), None);
        assert_eq!(parse_stat("no parenthesis"), None);
    }

    #[test]
    fn our_own_process_is_running_and_a_wrong_start_time_is_not() {
        let me = std::process::id() as i32;
        let stat = read_stat(me).unwrap().unwrap();
        assert!(is_running(me, stat.start_time).unwrap());
        assert!(!is_running(me, stat.start_time + 1).unwrap());
        assert!(rss_bytes(me).unwrap().unwrap() > 0);
    }

    #[test]
    fn signals_to_pid_0_and_1_are_refused() {
        assert!(signal_group(0, 0).is_err());
        assert!(signal_group(1, 0).is_err());
        assert!(signal_process(-5, 0).is_err());
    }

    #[test]
    fn a_missing_group_is_not_an_error() {
        // Process IDs never reach i32::MAX (pid_max is at most 2^22).
        assert!(!signal_group(i32::MAX, 0).unwrap());
        assert!(read_stat(i32::MAX).unwrap().is_none());
    }
}
