//! What this machine offers, as a [`Node`]: CPU (cores x MHz), memory,
//! disk, the network interface and its address, kernel/OS attributes, and
//! the drivers with their health. Read from `/proc`, `/sys`, `statvfs` and
//! the interface list; the client config overrides and reserves.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use super::config::ClientConfig;
use super::driver::DriverFingerprint;
use crate::structs::{
    DriverInfo, NetworkResource, Node, NodeCpu, NodeDisk, NodeMemory, NodeReservedNetworks,
    NodeReservedResources, NodeResources,
};

/// CPU as fingerprinted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CpuInfo {
    pub cores: i64,
    pub mhz: i64,
    pub model: String,
}

/// Reads `/proc/cpuinfo` text: the number of processors, the highest
/// `cpu MHz` and the model name.
pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    let mut info = CpuInfo::default();
    let mut mhz = 0f64;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k.trim() {
            "processor" => info.cores += 1,
            "cpu MHz" => mhz = mhz.max(v.trim().parse().unwrap_or(0.0)),
            "model name" if info.model.is_empty() => info.model = v.trim().to_string(),
            _ => {}
        }
    }
    info.mhz = mhz.round() as i64;
    info
}

fn cpu() -> CpuInfo {
    let mut info = std::fs::read_to_string("/proc/cpuinfo")
        .map(|t| parse_cpuinfo(&t))
        .unwrap_or_default();
    if info.cores == 0 {
        info.cores = std::thread::available_parallelism()
            .map(|n| n.get() as i64)
            .unwrap_or(1);
    }
    if info.mhz == 0 {
        // The maximum frequency in kHz, where cpufreq is exposed.
        info.mhz = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(|khz| khz / 1000)
            .unwrap_or(1000);
    }
    info
}

/// `MemTotal` of `/proc/meminfo` text, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb.saturating_mul(1024))
}

/// Total and free bytes of the file system holding `path`.
fn disk(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable
    // statvfs the call fills in.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    let frsize = st.f_frsize as u64;
    Some((
        (st.f_blocks as u64).saturating_mul(frsize),
        (st.f_bavail as u64).saturating_mul(frsize),
    ))
}

/// The node's interface and address: the configured address (and the
/// interface holding it), else the configured interface's first IPv4
/// address, else the interface of the default route.
pub fn network(config: &ClientConfig) -> (String, IpAddr) {
    let ifaces = if_addrs::get_if_addrs().unwrap_or_default();
    if let Some(addr) = config.network_address.filter(|a| !a.is_unspecified()) {
        let device = ifaces
            .iter()
            .find(|i| i.ip() == addr)
            .map(|i| i.name.clone())
            .or_else(|| addr.is_loopback().then(|| "lo".to_string()))
            .unwrap_or_default();
        return (device, addr);
    }
    let wanted = config
        .network_interface
        .clone()
        .or_else(default_route_interface);
    let pick = |name: &str| {
        ifaces
            .iter()
            .filter(|i| i.name == name)
            .map(|i| i.ip())
            .find(IpAddr::is_ipv4)
    };
    if let Some(name) = wanted
        && let Some(ip) = pick(&name)
    {
        return (name, ip);
    }
    ("lo".into(), IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

/// The interface of the default IPv4 route (`/proc/net/route`).
fn default_route_interface() -> Option<String> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let mut f = l.split_whitespace();
        let iface = f.next()?;
        (f.next()? == "00000000").then(|| iface.to_string())
    })
}

fn os_release() -> (String, String) {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    (get("ID="), get("VERSION_ID="))
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The host's name.
pub fn host_name() -> String {
    let h = read_trim("/proc/sys/kernel/hostname");
    if h.is_empty() { "drover".into() } else { h }
}

/// Builds the node this client registers. `id` and `secret` come from the
/// client's state; `drivers` from each driver's fingerprint.
pub fn node(
    config: &ClientConfig,
    id: &str,
    secret: &str,
    drivers: &BTreeMap<String, DriverFingerprint>,
) -> Node {
    let cpu = cpu();
    let total_mhz = config
        .cpu_total_compute
        .unwrap_or_else(|| cpu.cores.saturating_mul(cpu.mhz));
    let mem_bytes = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| parse_meminfo(&t))
        .unwrap_or(0);
    let memory_mb = config
        .memory_total_mb
        .unwrap_or((mem_bytes / (1024 * 1024)) as i64);
    let (disk_total, disk_free) = disk(&config.data_dir).unwrap_or((0, 0));
    let (device, ip) = network(config);
    let (os_name, os_version) = os_release();
    let hostname = host_name();
    let name = if config.node_name.is_empty() {
        hostname.clone()
    } else {
        config.node_name.clone()
    };

    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        attrs.insert(k.to_string(), v);
    };
    set(
        "kernel.name",
        read_trim("/proc/sys/kernel/ostype").to_lowercase(),
    );
    set("kernel.version", read_trim("/proc/sys/kernel/osrelease"));
    set("kernel.arch", std::env::consts::ARCH.into());
    set("cpu.arch", go_arch(std::env::consts::ARCH).into());
    set("os.name", os_name);
    set("os.version", os_version);
    set("cpu.numcores", cpu.cores.to_string());
    set("cpu.frequency", cpu.mhz.to_string());
    set("cpu.totalcompute", total_mhz.to_string());
    set("cpu.modelname", cpu.model.clone());
    set("memory.totalbytes", mem_bytes.to_string());
    set(
        "unique.storage.volume",
        config.data_dir.display().to_string(),
    );
    set("unique.storage.bytestotal", disk_total.to_string());
    set("unique.storage.bytesfree", disk_free.to_string());
    set("unique.hostname", hostname);
    set("unique.network.ip-address", ip.to_string());
    set("unique.advertise.address", config.http_addr.clone());
    set("nomad.version", crate::VERSION.into());
    set("nomad.advertise.address", config.http_addr.clone());
    set(
        "os.signals",
        "SIGHUP,SIGINT,SIGQUIT,SIGKILL,SIGTERM,SIGUSR1,SIGUSR2".into(),
    );

    let mut driver_info = BTreeMap::new();
    for (name, fp) in drivers {
        attrs.extend(fp.attributes.clone());
        driver_info.insert(
            name.clone(),
            DriverInfo {
                detected: fp.detected,
                healthy: fp.healthy,
                health_description: fp.description.clone(),
                attributes: fp.attributes.clone(),
                update_time: crate::structs::time::rfc3339(crate::ids::now_nanos()),
            },
        );
    }

    Node {
        id: id.to_string(),
        secret_id: secret.to_string(),
        datacenter: config.datacenter.clone(),
        name,
        http_addr: config.http_addr.clone(),
        attributes: attrs,
        node_resources: Some(NodeResources {
            cpu: NodeCpu {
                cpu_shares: total_mhz,
                total_cpu_cores: cpu.cores,
                reservable_cpu_cores: Vec::new(),
            },
            memory: NodeMemory { memory_mb },
            disk: NodeDisk {
                disk_mb: (disk_free / (1024 * 1024)) as i64,
            },
            networks: vec![NetworkResource {
                mode: "host".into(),
                device,
                cidr: match ip {
                    IpAddr::V4(_) => format!("{ip}/32"),
                    IpAddr::V6(_) => format!("{ip}/128"),
                },
                ip: ip.to_string(),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            min_dynamic_port: config.min_dynamic_port as i64,
            max_dynamic_port: config.max_dynamic_port as i64,
        }),
        reserved_resources: Some(NodeReservedResources {
            cpu: NodeCpu {
                cpu_shares: config.reserved.cpu,
                ..NodeCpu::default()
            },
            memory: NodeMemory {
                memory_mb: config.reserved.memory,
            },
            disk: NodeDisk {
                disk_mb: config.reserved.disk,
            },
            networks: NodeReservedNetworks {
                reserved_host_ports: config.reserved.reserved_ports.clone(),
            },
        }),
        meta: config.meta.clone(),
        node_class: config.node_class.clone(),
        node_pool: config.node_pool.clone(),
        drivers: driver_info,
        ..Node::default()
    }
}

/// Go's name for an architecture (`amd64`), as Nomad's attributes use.
fn go_arch(rust: &str) -> &str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_and_meminfo_parse() {
        let t = "processor\t: 0\nmodel name\t: Xeon\ncpu MHz\t\t: 2199.998\n\nprocessor\t: 1\ncpu MHz\t\t: 2200.001\n";
        let c = parse_cpuinfo(t);
        assert_eq!((c.cores, c.mhz, c.model.as_str()), (2, 2200, "Xeon"));
        assert_eq!(
            parse_meminfo("MemTotal:       24576000 kB\n"),
            Some(24576000 * 1024)
        );
        assert_eq!(parse_meminfo("nothing"), None);
    }

    #[test]
    fn the_node_carries_config_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let config = ClientConfig {
            data_dir: dir.path().to_path_buf(),
            network_address: Some("127.0.1.7".parse().unwrap()),
            cpu_total_compute: Some(4000),
            node_class: "web".into(),
            datacenter: "eu-west-1a".into(),
            ..ClientConfig::default()
        };
        let n = node(&config, "id", "secret", &BTreeMap::new());
        let res = n.node_resources.unwrap();
        assert_eq!(res.cpu.cpu_shares, 4000);
        assert_eq!(res.networks[0].ip, "127.0.1.7");
        assert_eq!(
            n.attributes.get("unique.network.ip-address").unwrap(),
            "127.0.1.7"
        );
        assert_eq!(n.datacenter, "eu-west-1a");
        assert!(res.memory.memory_mb > 0);
    }
}
