//! The host's resource use for `GET /v1/client/stats` (Nomad's
//! `HostStats`): memory from `/proc/meminfo`, per-core CPU from two
//! readings of `/proc/stat`, uptime from `/proc/uptime`, and the disk
//! holding the data directory from `statvfs`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// The shortest time between the two CPU readings a percentage is taken
/// from; a reading older than [`CPU_STALE`] is not reused.
const CPU_GAP: Duration = Duration::from_millis(100);
const CPU_STALE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostMemoryStats {
    pub total: u64,
    pub available: u64,
    pub used: u64,
    pub free: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostCpuStats {
    #[serde(rename = "CPU")]
    pub cpu: String,
    pub user: f64,
    pub system: f64,
    pub idle: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostDiskStats {
    pub device: String,
    pub mountpoint: String,
    pub size: u64,
    pub used: u64,
    pub available: u64,
    pub used_percent: f64,
    pub inodes_used_percent: f64,
}

/// Nomad's `HostStats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostStats {
    pub memory: HostMemoryStats,
    #[serde(rename = "CPU")]
    pub cpu: Vec<HostCpuStats>,
    pub disk_stats: Vec<HostDiskStats>,
    pub device_stats: Vec<serde_json::Value>,
    pub alloc_dir_stats: HostDiskStats,
    /// Seconds since boot.
    pub uptime: u64,
    /// Unix nanoseconds.
    pub timestamp: i64,
    /// MHz in use across the node's cores.
    #[serde(rename = "CPUTicksConsumed")]
    pub cpu_ticks_consumed: f64,
}

/// One core's counters from `/proc/stat`, in clock ticks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub name: String,
    pub user: u64,
    pub system: u64,
    pub idle: u64,
    pub total: u64,
}

/// The per-core lines (`cpu0`, `cpu1`, ...) of `/proc/stat`.
pub fn parse_cpu_times(stat: &str) -> Vec<CpuTimes> {
    stat.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            let core = name.strip_prefix("cpu")?;
            if core.is_empty() || !core.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // user nice system idle iowait irq softirq steal (guest time
            // is already counted in user).
            let v: Vec<u64> = fields.take(8).map(|f| f.parse().unwrap_or(0)).collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            Some(CpuTimes {
                name: name.to_string(),
                user: at(0) + at(1),
                system: at(2) + at(5) + at(6),
                idle: at(3) + at(4),
                total: v.iter().sum(),
            })
        })
        .collect()
}

/// Percentages of each core's time between two readings.
pub fn cpu_percentages(before: &[CpuTimes], after: &[CpuTimes]) -> Vec<HostCpuStats> {
    after
        .iter()
        .map(|a| {
            let b = before.iter().find(|b| b.name == a.name);
            let delta = |f: fn(&CpuTimes) -> u64| f(a).saturating_sub(b.map_or(0, f)) as f64;
            let total = delta(|c| c.total);
            let pct = |v: f64| if total > 0.0 { v / total * 100.0 } else { 0.0 };
            HostCpuStats {
                cpu: a.name.clone(),
                user: pct(delta(|c| c.user)),
                system: pct(delta(|c| c.system)),
                idle: if total > 0.0 {
                    pct(delta(|c| c.idle))
                } else {
                    100.0
                },
            }
        })
        .collect()
}

/// Memory from `/proc/meminfo` (values there are in KiB).
pub fn parse_meminfo(text: &str) -> HostMemoryStats {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    let total = get("MemTotal");
    let free = get("MemFree");
    let cached = get("Cached") + get("SReclaimable");
    HostMemoryStats {
        total,
        available: get("MemAvailable"),
        used: total.saturating_sub(free + get("Buffers") + cached),
        free,
    }
}

/// Whole seconds since boot from `/proc/uptime`.
pub fn parse_uptime(text: &str) -> u64 {
    text.split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(0, |s| s as u64)
}

/// The device and mount point holding `path`, from `/proc/self/mounts`
/// text: the longest mount point that is a prefix of `path`.
pub fn mount_of(mounts: &str, path: &Path) -> Option<(String, String)> {
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let device = f.next()?;
            // Spaces in mount points are written as \040.
            let point = f.next()?.replace("\\040", " ");
            path.starts_with(&point)
                .then(|| (device.to_string(), point))
        })
        .max_by_key(|(_, point)| point.len())
}

/// The disk holding `path` (blocking).
fn disk(path: &Path) -> io::Result<HostDiskStats> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    // SAFETY: an all-zero statvfs is a valid value of this plain C struct.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let unit = s.f_frsize as u64;
    let size = s.f_blocks as u64 * unit;
    let available = s.f_bavail as u64 * unit;
    let used = (s.f_blocks as u64).saturating_sub(s.f_bfree as u64) * unit;
    let percent = |part: f64, whole: f64| {
        if whole > 0.0 {
            part / whole * 100.0
        } else {
            0.0
        }
    };
    let inodes_used = (s.f_files as u64).saturating_sub(s.f_ffree as u64);
    let (device, mountpoint) = std::fs::read_to_string("/proc/self/mounts")
        .ok()
        .and_then(|m| mount_of(&m, path))
        .unwrap_or_default();
    Ok(HostDiskStats {
        device,
        mountpoint,
        size,
        used,
        available,
        used_percent: percent(used as f64, (used + available) as f64),
        inodes_used_percent: percent(inodes_used as f64, s.f_files as f64),
    })
}

fn read_cpu() -> io::Result<Vec<CpuTimes>> {
    Ok(parse_cpu_times(&std::fs::read_to_string("/proc/stat")?))
}

/// Takes host readings; keeps the last CPU reading so that back-to-back
/// requests need not wait for a second one.
#[derive(Default)]
pub struct Sampler {
    last_cpu: Mutex<Option<(Instant, Vec<CpuTimes>)>>,
}

impl Sampler {
    fn recent_cpu(&self) -> Option<Vec<CpuTimes>> {
        let last = match self.last_cpu.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        last.filter(|(at, _)| (CPU_GAP..CPU_STALE).contains(&at.elapsed()))
            .map(|(_, times)| times)
    }

    fn keep_cpu(&self, times: Vec<CpuTimes>) {
        let entry = Some((Instant::now(), times));
        match self.last_cpu.lock() {
            Ok(mut g) => *g = entry,
            Err(p) => *p.into_inner() = entry,
        }
    }

    /// The host's stats; `data_dir` is where allocations live and `cpu_mhz`
    /// the node's total compute.
    pub async fn stats(&self, data_dir: PathBuf, cpu_mhz: f64) -> io::Result<HostStats> {
        let before = match self.recent_cpu() {
            Some(b) => b,
            None => {
                let b = read_cpu()?;
                tokio::time::sleep(CPU_GAP).await;
                b
            }
        };
        let after = read_cpu()?;
        let cpu = cpu_percentages(&before, &after);
        self.keep_cpu(after);
        let per_core = if cpu.is_empty() {
            0.0
        } else {
            cpu_mhz / cpu.len() as f64
        };
        let cpu_ticks_consumed = cpu
            .iter()
            .map(|c| (100.0 - c.idle).max(0.0) / 100.0 * per_core)
            .sum();
        let disk = tokio::task::spawn_blocking(move || disk(&data_dir))
            .await
            .map_err(io::Error::other)??;
        Ok(HostStats {
            memory: parse_meminfo(&std::fs::read_to_string("/proc/meminfo")?),
            cpu,
            disk_stats: vec![disk.clone()],
            device_stats: Vec::new(),
            alloc_dir_stats: disk,
            uptime: parse_uptime(&std::fs::read_to_string("/proc/uptime")?),
            timestamp: crate::ids::now_nanos(),
            cpu_ticks_consumed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percentages_come_from_two_readings() {
        let before = parse_cpu_times(
            "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40 0 0 0 0 0 0\nintr 1 2\n",
        );
        assert_eq!(before.len(), 2, "the all-cores line is left out");
        let after = parse_cpu_times("cpu0 35 0 15 100 0 0 0 0 0 0\ncpu1 5 0 5 140 0 0 0 0 0 0\n");
        let p = cpu_percentages(&before, &after);
        assert_eq!(p[0].cpu, "cpu0");
        assert_eq!((p[0].user, p[0].system, p[0].idle), (30.0, 10.0, 60.0));
        assert_eq!((p[1].user, p[1].system, p[1].idle), (0.0, 0.0, 100.0));
    }

    #[test]
    fn meminfo_and_uptime_parse() {
        let m = parse_meminfo(
            "MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nBuffers:          50 kB\nCached:          100 kB\nSwapCached:        0 kB\nSReclaimable:     50 kB\n",
        );
        assert_eq!(m.total, 1_024_000);
        assert_eq!(m.free, 204_800);
        assert_eq!(m.available, 614_400);
        assert_eq!(m.used, 600 * 1024);
        assert_eq!(parse_uptime("12345.67 999.0\n"), 12345);
    }

    #[test]
    fn the_longest_mount_point_wins() {
        let mounts = "overlay / overlay rw 0 0\n/dev/sdb1 /var/lib/my\\040data ext4 rw 0 0\n/dev/sdc1 /var ext4 rw 0 0\n";
        assert_eq!(
            mount_of(mounts, Path::new("/var/lib/my data/alloc")),
            Some(("/dev/sdb1".into(), "/var/lib/my data".into()))
        );
        assert_eq!(
            mount_of(mounts, Path::new("/srv")),
            Some(("overlay".into(), "/".into()))
        );
    }

    #[tokio::test]
    async fn stats_of_this_host() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sampler::default();
        let h = s.stats(dir.path().to_path_buf(), 2000.0).await.unwrap();
        assert!(h.memory.total > 0 && h.uptime > 0 && !h.cpu.is_empty());
        assert!(h.alloc_dir_stats.size > 0);
    }
}
