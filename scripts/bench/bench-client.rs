//! The measuring half of `scripts/bench-client.sh` (see there).

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, RemoveContainerOptionsBuilder,
};
use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::Job;

struct Args {
    addr: String,
    client_pid: u32,
    runs: usize,
    allocs: usize,
}

fn args() -> Args {
    let mut a = Args {
        addr: "http://127.0.0.1:4646".into(),
        client_pid: 0,
        runs: 20,
        allocs: 50,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < argv.len() {
        let v = argv[i + 1].clone();
        match argv[i].trim_start_matches('-') {
            "addr" => a.addr = v,
            "client-pid" => a.client_pid = v.parse().expect("--client-pid N"),
            "runs" => a.runs = v.parse().expect("--runs N"),
            "allocs" => a.allocs = v.parse().expect("--allocs N"),
            other => panic!("unknown flag {other}"),
        }
        i += 2;
    }
    a
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name}: n={} p50={:.1} ms p99={:.1} ms min={:.1} ms max={:.1} ms",
        ms.len(),
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        ms[0],
        ms[ms.len() - 1]
    );
}

fn job(hcl: &str) -> Job {
    drover::jobspec::parse_and_validate("bench.nomad", hcl).expect("job")
}

fn sleeper(id: &str, count: usize) -> Job {
    job(&format!(
        r#"job "{id}" {{
  datacenters = ["dc1"]
  group "g" {{
    count = {count}
    task "t" {{
      driver = "docker"
      config {{
        image = "busybox:latest"
        command = "sleep"
        args = ["100000"]
      }}
      kill_timeout = "1s"
      resources {{
        cpu = 20
        memory = 16
      }}
    }}
  }}
}}"#
    ))
}

fn seed_redis(delay: &str) -> Job {
    job(&format!(
        r#"job "seed" {{
  datacenters = ["dc1"]
  group "cache" {{
    restart {{
      attempts = 10
      interval = "5m"
      delay = "{delay}"
      mode = "delay"
    }}
    task "redis" {{
      driver = "docker"
      config {{
        image = "redis:3.2"
        port_map {{
          db = 6379
        }}
      }}
      resources {{
        cpu = 500
        memory = 256
        network {{
          mbits = 10
          port "db" {{}}
        }}
      }}
    }}
  }}
}}"#
    ))
}

/// The container's `State.StartedAt`, once it runs.
async fn started_at(docker: &Docker, name: &str) -> Option<i128> {
    let c = docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()?;
    let st = c.state?;
    if st.running != Some(true) {
        return None;
    }
    let t: jiff::Timestamp = st.started_at?.parse().ok()?;
    Some(t.as_nanosecond())
}

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

async fn wait_gone(docker: &Docker, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("container {name} still there after 60 s");
}

async fn alloc_of(api: &ApiClient, job: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((list, _)) = api.job_allocations(job, &QueryOptions::default()).await
            && let Some(a) = list.iter().find(|a| a.desired_status == "run")
        {
            return a.id.clone();
        }
        assert!(Instant::now() < deadline, "no allocation for {job}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn docker_baseline(docker: &Docker, runs: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for i in 0..runs {
        let name = format!("bench-baseline-{i}-{}", std::process::id());
        let t = Instant::now();
        let body = bollard::models::ContainerCreateBody {
            image: Some("busybox:latest".into()),
            cmd: Some(vec!["sleep".into(), "100000".into()]),
            ..Default::default()
        };
        let c = docker
            .create_container(
                Some(CreateContainerOptionsBuilder::default().name(&name).build()),
                body,
            )
            .await
            .expect("create");
        docker
            .start_container(
                &c.id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .expect("start");
        out.push(t.elapsed().as_secs_f64() * 1000.0);
        docker
            .remove_container(
                &c.id,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await
            .expect("remove");
    }
    out
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let a = args();
    let api = ApiClient::new(std::slice::from_ref(&a.addr)).expect("api client");
    let docker = Docker::connect_with_local_defaults().expect("docker");
    // Wait for the client's node.
    let deadline = Instant::now() + Duration::from_secs(60);
    while api
        .nodes(&QueryOptions::default())
        .await
        .map(|(n, _)| n.iter().all(|n| n.status != "ready"))
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "the client did not register");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    println!("== Docker's own create+start of busybox ({} runs)", a.runs);
    summary(
        "docker create+start",
        docker_baseline(&docker, a.runs).await,
    );

    println!("== PUT /v1/jobs to the container running ({} runs)", a.runs);
    let mut lat = Vec::new();
    for i in 0..a.runs {
        let id = format!("lat-{i}");
        let sent = now_nanos();
        api.job_run(&sleeper(&id, 1)).await.expect("register");
        let alloc = alloc_of(&api, &id).await;
        let name = format!("t-{alloc}");
        let t0 = Instant::now();
        let started = loop {
            if let Some(s) = started_at(&docker, &name).await {
                break s;
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "{name} never ran");
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        lat.push((started - sent) as f64 / 1e6);
        api.job_deregister(&id, true).await.expect("deregister");
        wait_gone(&docker, &name).await;
    }
    summary("PUT /v1/jobs -> container started", lat);

    println!("== docker stop of the seed's redis to its replacement running");
    for delay in ["1s", "25s"] {
        api.job_run(&seed_redis(delay))
            .await
            .expect("register seed");
        let alloc = alloc_of(&api, "seed").await;
        let name = format!("redis-{alloc}");
        let mut ms = Vec::new();
        let mut beyond: Vec<f64> = Vec::new();
        let runs = if delay == "1s" { 5 } else { 1 };
        for _ in 0..runs {
            let first = loop {
                if let Some(s) = started_at(&docker, &name).await {
                    break s;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            let t = now_nanos();
            let stop = std::process::Command::new("docker")
                .args(["stop", "-t", "0", &name])
                .output()
                .expect("docker stop");
            assert!(stop.status.success());
            let t0 = Instant::now();
            let next = loop {
                if let Some(s) = started_at(&docker, &name).await
                    && s != first
                {
                    break s;
                }
                assert!(t0.elapsed() < Duration::from_secs(120), "no replacement");
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            ms.push((next - t) as f64 / 1e6);
            // The delay the policy applied (with its jitter), from the
            // task's last Restarting event.
            let applied = api
                .allocation(&alloc, &QueryOptions::default())
                .await
                .ok()
                .and_then(|(a, _)| {
                    let ts = a.task_states.get("redis")?.clone();
                    ts.events
                        .iter()
                        .rev()
                        .find(|e| e.event_type == "Restarting")
                        .and_then(|e| e.details.get("start_delay")?.parse::<f64>().ok())
                })
                .unwrap_or(0.0);
            beyond.push((next - t) as f64 / 1e6 - applied / 1e6);
        }
        summary(
            &format!("docker stop -> running again (restart delay {delay})"),
            ms,
        );
        summary("  of which beyond the policy's delay", beyond);
        api.job_deregister("seed", true).await.expect("deregister");
        wait_gone(&docker, &name).await;
    }

    println!("== client RSS with {} running allocations", a.allocs);
    let before = rss_kib(a.client_pid);
    api.job_run(&sleeper("many", a.allocs))
        .await
        .expect("register");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (list, _) = api
            .job_allocations("many", &QueryOptions::default())
            .await
            .expect("allocs");
        let n = list.iter().filter(|a| a.client_status == "running").count();
        if n == a.allocs {
            break;
        }
        assert!(Instant::now() < deadline, "only {n} running");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let with = rss_kib(a.client_pid);
    println!(
        "client RSS: {:.1} MiB idle, {:.1} MiB with {} running allocations",
        before as f64 / 1024.0,
        with as f64 / 1024.0,
        a.allocs
    );
    api.job_deregister("many", true).await.expect("deregister");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::process::Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            "label=com.hashicorp.nomad.task_name=t",
        ])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "containers not removed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
