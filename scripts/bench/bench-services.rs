//! The measuring half of `scripts/bench-services.sh` (see there).

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::InspectContainerOptions;
use drover::api_client::{ApiClient, QueryOptions};
use drover::structs::Job;

struct Args {
    addr: String,
    consul: String,
    clients: usize,
    client_pids: Vec<u32>,
    client_logs: Vec<String>,
    alloc_ids: String,
    runs: usize,
    tasks: usize,
    checks: usize,
    cpu_secs: u64,
    only: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        addr: "http://127.0.0.1:4646".into(),
        consul: "http://127.0.0.1:8500".into(),
        clients: 1,
        client_pids: Vec::new(),
        client_logs: Vec::new(),
        alloc_ids: "/dev/null".into(),
        runs: 20,
        tasks: 1000,
        checks: 1000,
        cpu_secs: 60,
        only: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < argv.len() {
        let v = argv[i + 1].clone();
        match argv[i].trim_start_matches('-') {
            "addr" => a.addr = v,
            "consul" => a.consul = v,
            "clients" => a.clients = v.parse().expect("--clients N"),
            "client-pids" => {
                a.client_pids = v
                    .split(',')
                    .map(|p| p.parse().expect("--client-pids N,N"))
                    .collect()
            }
            "client-logs" => a.client_logs = v.split(',').map(str::to_string).collect(),
            "alloc-ids" => a.alloc_ids = v,
            "runs" => a.runs = v.parse().expect("--runs N"),
            "tasks" => a.tasks = v.parse().expect("--tasks N"),
            "checks" => a.checks = v.parse().expect("--checks N"),
            "cpu-secs" => a.cpu_secs = v.parse().expect("--cpu-secs N"),
            "only" => a.only = Some(v),
            other => panic!("unknown flag {other}"),
        }
        i += 2;
    }
    assert!(a.clients >= 1, "--clients must be at least 1");
    a
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    if ms.is_empty() {
        println!("{name}: no samples");
        return;
    }
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

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

fn parse_time(s: &str) -> Option<i128> {
    let t: jiff::Timestamp = s.parse().ok()?;
    Some(t.as_nanosecond())
}

/// Remembers an allocation's ID for the script's cleanup (its Docker
/// containers are removed by their `alloc_id` label).
fn note_alloc(path: &str, id: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{id}");
    }
}

/// One read of a catalog URL: the index header `header` and the JSON
/// array's elements.
async fn read_list(
    http: &reqwest::Client,
    url: &str,
    header: &str,
    index: u64,
) -> Option<(u64, Vec<serde_json::Value>)> {
    let mut req = http.get(url);
    if index > 0 {
        req = req.query(&[("index", index.to_string()), ("wait", "5s".into())]);
    }
    let resp = req.send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let idx = resp
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let list: Vec<serde_json::Value> = resp.json().await.ok()?;
    Some((idx, list))
}

/// Blocks on `url` (a list answered with index header `header`) until
/// it holds at least `want` entries, starting from `index`; calls
/// `seen(len)` at each answer that changed the length. Returns the wall
/// clock (ns) of the answer that reached `want`.
async fn block_until(
    http: reqwest::Client,
    url: String,
    header: &'static str,
    mut index: u64,
    want: usize,
    deadline: Duration,
    mut seen: impl FnMut(usize, i128),
) -> Option<i128> {
    let t0 = Instant::now();
    let mut last = usize::MAX;
    while t0.elapsed() < deadline {
        match read_list(&http, &url, header, index).await {
            Some((idx, list)) => {
                let at = now_nanos();
                if list.len() != last {
                    last = list.len();
                    seen(last, at);
                }
                if list.len() >= want {
                    return Some(at);
                }
                // An index that went backwards restarts the wait (as
                // Consul's clients do).
                index = if idx < index { 0 } else { idx };
            }
            None => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    None
}

async fn index_of(http: &reqwest::Client, url: &str, header: &str) -> u64 {
    read_list(http, url, header, 0)
        .await
        .map(|(i, _)| i)
        .unwrap_or(0)
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

/// The container's `State.StartedAt` (ns), once it runs.
async fn container_started(docker: &Docker, name: &str) -> Option<i128> {
    let c = docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()?;
    let st = c.state?;
    if st.running != Some(true) {
        return None;
    }
    parse_time(&st.started_at?)
}

async fn wait_container_gone(docker: &Docker, name: &str) {
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

fn redis(id: &str, service: &str) -> Job {
    job(&format!(
        r#"job "{id}" {{
  datacenters = ["dc1"]
  constraint {{
    attribute = "${{node.unique.name}}"
    value     = "bench-client-1"
  }}
  group "g" {{
    task "redis" {{
      driver = "docker"
      config {{
        image = "redis:3.2"
        port_map {{
          db = 6379
        }}
      }}
      kill_timeout = "1s"
      resources {{
        cpu    = 100
        memory = 64
        network {{
          mbits = 1
          port "db" {{}}
        }}
      }}
      service {{
        name = "{service}"
        port = "db"
      }}
    }}
  }}
}}"#
    ))
}

/// Figure 1: a task starting to its registration visible.
async fn latency(a: &Args, api: &ApiClient, http: &reqwest::Client) {
    let docker = Docker::connect_with_local_defaults().expect("docker");
    println!(
        "== 1. task started -> registration visible ({} runs, redis:3.2 in Docker)",
        a.runs
    );
    let (mut cat, mut nomad, mut from_task, mut seen_running, mut submit_to_start) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..a.runs {
        let id = format!("lat-{i}");
        let svc = format!("bench-lat-{i}");
        let cat_url = format!("{}/v1/catalog/service/{svc}", a.consul);
        let nomad_url = format!("{}/v1/service/{svc}", a.addr);
        let ci = index_of(http, &cat_url, "X-Consul-Index").await;
        let ni = index_of(http, &nomad_url, "X-Nomad-Index").await;
        let limit = Duration::from_secs(120);
        let cat_w = tokio::spawn(block_until(
            http.clone(),
            cat_url,
            "X-Consul-Index",
            ci.max(1),
            1,
            limit,
            |_, _| {},
        ));
        let nomad_w = tokio::spawn(block_until(
            http.clone(),
            nomad_url.clone(),
            "X-Nomad-Index",
            ni.max(1),
            1,
            limit,
            |_, _| {},
        ));
        let sent = now_nanos();
        api.job_run(&redis(&id, &svc)).await.expect("register");
        let alloc = alloc_of(api, &id).await;
        note_alloc(&a.alloc_ids, &alloc);
        let name = format!("redis-{alloc}");
        let t0 = Instant::now();
        let (started, seen) = loop {
            if let Some(s) = container_started(&docker, &name).await {
                break (s, now_nanos());
            }
            assert!(t0.elapsed() < Duration::from_secs(120), "{name} never ran");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let c = cat_w.await.expect("join").expect("catalog: never visible");
        let n = nomad_w.await.expect("join").expect("nomad: never visible");
        let task_started = api
            .allocation(&alloc, &QueryOptions::default())
            .await
            .ok()
            .and_then(|(al, _)| {
                al.task_states
                    .get("redis")
                    .and_then(|ts| ts.started_at.as_deref().and_then(parse_time))
            });
        cat.push((c - started) as f64 / 1e6);
        nomad.push((n - started) as f64 / 1e6);
        seen_running.push((c - seen) as f64 / 1e6);
        submit_to_start.push((started - sent) as f64 / 1e6);
        if let Some(t) = task_started {
            from_task.push((c - t) as f64 / 1e6);
        }
        api.job_deregister(&id, true).await.expect("deregister");
        wait_container_gone(&docker, &name).await;
        // The registration leaves too (the next run's service differs,
        // but the catalog should be back to empty for a fair start).
        let deadline = Instant::now() + Duration::from_secs(60);
        while read_list(http, &nomad_url, "X-Nomad-Index", 0)
            .await
            .is_some_and(|(_, l)| !l.is_empty())
        {
            assert!(Instant::now() < deadline, "{svc} still registered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    summary(
        "container StartedAt -> in /v1/catalog/service (consul-compat)",
        cat,
    );
    summary("container StartedAt -> in /v1/service (nomad)", nomad);
    summary(
        "task state StartedAt (client) -> in /v1/catalog/service",
        from_task,
    );
    summary(
        "container first seen running (2 ms polls) -> in /v1/catalog/service",
        seen_running,
    );
    summary(
        "  for context: PUT /v1/jobs -> container StartedAt",
        submit_to_start,
    );
}

/// `stats.raft.applied_index` of the server at `addr`.
async fn applied_index(http: &reqwest::Client, addr: &str) -> u64 {
    let v: serde_json::Value = match http.get(format!("{addr}/v1/agent/self")).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => return 0,
    };
    v["stats"]["raft"]["applied_index"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Lines of the clients' logs that record a registration request, and
/// the upserts they carried.
fn sync_requests(logs: &[String]) -> (usize, usize) {
    let (mut n, mut upserts) = (0, 0);
    for path in logs {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for l in text
            .lines()
            .filter(|l| l.contains("synced service registrations"))
        {
            n += 1;
            upserts += l
                .split_whitespace()
                .find_map(|w| w.strip_prefix("upserts="))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
        }
    }
    (n, upserts)
}

fn sleeper(id: &str, node: &str, count: usize, service: &str) -> Job {
    job(&format!(
        r#"job "{id}" {{
  datacenters = ["dc1"]
  constraint {{
    attribute = "${{node.unique.name}}"
    value     = "{node}"
  }}
  group "g" {{
    count = {count}
    ephemeral_disk {{
      size = 10
    }}
    task "t" {{
      driver = "raw_exec"
      config {{
        command = "/bin/sleep"
        args    = ["3600"]
      }}
      kill_timeout = "1s"
      resources {{
        cpu    = 1
        memory = 10
        network {{
          mbits = 0
          port "p" {{}}
        }}
      }}
      service {{
        name = "{service}"
        port = "p"
      }}
    }}
  }}
}}"#
    ))
}

async fn wait_no_live_allocs(api: &ApiClient, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let live = api
            .allocations(&QueryOptions::default())
            .await
            .map(|(l, _)| {
                l.iter()
                    .filter(|a| a.client_status == "running" || a.client_status == "pending")
                    .count()
            })
            .unwrap_or(usize::MAX);
        if live == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{live} allocations still live");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Figure 2: registrations per second when many tasks start at once.
async fn burst(a: &Args, api: &ApiClient, http: &reqwest::Client) {
    println!(
        "== 2. {} raw_exec tasks (one service each) started at once on {} clients",
        a.tasks, a.clients
    );
    let svc = "bench-burst";
    let url = format!("{}/v1/service/{svc}", a.addr);
    let start_index = index_of(http, &url, "X-Nomad-Index").await;
    let raft_before = applied_index(http, &a.addr).await;
    let (req_before, _) = sync_requests(&a.client_logs);
    let first = std::sync::Arc::new(std::sync::Mutex::new(None::<i128>));
    let first_w = first.clone();
    let watcher = tokio::spawn(block_until(
        http.clone(),
        url.clone(),
        "X-Nomad-Index",
        start_index.max(1),
        a.tasks,
        Duration::from_secs(600),
        move |n, at| {
            let mut f = first_w.lock().unwrap_or_else(|p| p.into_inner());
            if n > 0 && f.is_none() {
                *f = Some(at);
            }
        },
    ));
    let sent = now_nanos();
    let jobs: Vec<Job> = (0..a.clients)
        .map(|k| {
            let count = a.tasks / a.clients + usize::from(k < a.tasks % a.clients);
            sleeper(
                &format!("burst-{k}"),
                &format!("bench-client-{}", k + 1),
                count,
                svc,
            )
        })
        .collect();
    futures::future::try_join_all(jobs.iter().map(|j| api.job_run(j)))
        .await
        .expect("register");
    let last = watcher
        .await
        .expect("join")
        .expect("not all registrations visible within 600 s");
    let raft_after = applied_index(http, &a.addr).await;
    let first = first
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .expect("first registration");
    let (_, regs) = read_list(http, &url, "X-Nomad-Index", 0)
        .await
        .expect("registrations");
    let entries: BTreeSet<u64> = regs
        .iter()
        .filter_map(|r| r["CreateIndex"].as_u64())
        .collect();
    // The sync loop logs after the answer; give the last lines a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (req_after, _) = sync_requests(&a.client_logs);
    let span = (last - first) as f64 / 1e9;
    println!(
        "PUT /v1/jobs -> first registration visible: {:.2} s",
        (first - sent) as f64 / 1e9
    );
    println!(
        "PUT /v1/jobs -> last registration visible: {:.2} s",
        (last - sent) as f64 / 1e9
    );
    println!(
        "first -> {}th registration visible: {:.2} s = {:.0} registrations/s ({:.0}/s from PUT /v1/jobs)",
        a.tasks,
        span,
        (a.tasks as f64 - 1.0) / span.max(1e-9),
        a.tasks as f64 / ((last - sent) as f64 / 1e9)
    );
    println!(
        "Raft entries carrying the {} registrations (distinct CreateIndex): {} = {:.1} registrations per write",
        regs.len(),
        entries.len(),
        regs.len() as f64 / entries.len().max(1) as f64
    );
    println!(
        "clients' PUT /v1/node/{{id}}/services requests: {}; leader's Raft index moved by {} meanwhile (every write: jobs, plans, allocation updates, registrations)",
        req_after.saturating_sub(req_before),
        raft_after.saturating_sub(raft_before)
    );
    // Where the time goes: the tasks' own start times (the client's
    // stamp), first to last.
    let mut starts = Vec::new();
    for j in &jobs {
        let (list, _) = api
            .job_allocations(&j.id, &QueryOptions::default())
            .await
            .expect("allocations");
        for stub in list {
            if let Ok((al, _)) = api.allocation(&stub.id, &QueryOptions::default()).await
                && let Some(t) = al
                    .task_states
                    .get("t")
                    .and_then(|ts| ts.started_at.as_deref().and_then(parse_time))
            {
                starts.push(t);
            }
        }
    }
    starts.sort();
    if let (Some(f), Some(l)) = (starts.first(), starts.last()) {
        let span = (l - f) as f64 / 1e9;
        println!(
            "for context: the {} tasks' StartedAt, first -> last: {span:.2} s = {:.0} task starts/s; first task StartedAt -> first registration visible {:.0} ms, last StartedAt -> last visible {:.0} ms",
            starts.len(),
            (starts.len() as f64 - 1.0) / span.max(1e-9),
            (first - f) as f64 / 1e6,
            (last - l) as f64 / 1e6
        );
    }
    for j in &jobs {
        api.job_deregister(&j.id, true).await.expect("deregister");
    }
    wait_no_live_allocs(api, Duration::from_secs(300)).await;
}

fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command's closing parenthesis; utime and
            // stime are the 14th and 15th of the whole line.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

fn listeners(id: &str, allocs: usize, services: usize, with_checks: bool) -> Job {
    let mut svc = String::new();
    for s in 0..services {
        let check = if with_checks {
            r#"
        check {
          name     = "alive"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }"#
        } else {
            ""
        };
        svc.push_str(&format!(
            r#"
      service {{
        name = "{id}-{s}"
        port = "p"{check}
      }}"#
        ));
    }
    job(&format!(
        r#"job "{id}" {{
  datacenters = ["dc1"]
  constraint {{
    attribute = "${{node.unique.name}}"
    value     = "bench-client-1"
  }}
  group "g" {{
    count = {allocs}
    ephemeral_disk {{
      size = 10
    }}
    task "t" {{
      driver = "raw_exec"
      config {{
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${{NOMAD_PORT_p}}"]
      }}
      kill_timeout = "1s"
      resources {{
        cpu    = 1
        memory = 10
        network {{
          mbits = 0
          port "p" {{}}
        }}
      }}{svc}
    }}
  }}
}}"#
    ))
}

/// Waits until each of the job's services has `allocs` instances, all of
/// whose checks pass (with no checks: just registered).
async fn wait_all_passing(a: &Args, http: &reqwest::Client, id: &str, allocs: usize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut ok = 0;
        for s in 0..n {
            let url = format!("{}/v1/service/{id}-{s}", a.addr);
            if let Some((_, list)) = read_list(http, &url, "X-Nomad-Index", 0).await {
                ok += list
                    .iter()
                    .filter(|r| {
                        r["Checks"].as_array().is_none_or(|cs| {
                            cs.iter().all(|c| c["Status"].as_str() == Some("passing"))
                        })
                    })
                    .count()
                    .min(allocs);
            }
        }
        if ok == allocs * n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id}: only {ok} of {} registrations passing",
            allocs * n
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The client's CPU over the window: (ms of CPU, % of one core).
async fn cpu_over(pid: u32, secs: u64) -> (f64, f64) {
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    let before = cpu_ticks(pid);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let ticks = cpu_ticks(pid).saturating_sub(before) as f64;
    let wall = t.elapsed().as_secs_f64();
    let ms = ticks / hz * 1000.0;
    (ms, ms / 10.0 / wall)
}

/// Figure 3: the CPU cost of tcp checks on one client.
async fn checks(a: &Args, api: &ApiClient, http: &reqwest::Client) {
    const PER_ALLOC: usize = 10;
    let allocs = a.checks.div_ceil(PER_ALLOC);
    let n = allocs * PER_ALLOC;
    let pid = *a.client_pids.first().expect("--client-pids");
    println!(
        "== 3. {n} tcp checks at 10 s ({allocs} raw_exec busybox httpd x {PER_ALLOC} services) on one client, CPU over {} s",
        a.cpu_secs
    );
    let mut results = Vec::new();
    for (id, with) in [("nochk", false), ("chk", true)] {
        let j = listeners(id, allocs, PER_ALLOC, with);
        let t = Instant::now();
        api.job_run(&j).await.expect("register");
        wait_all_passing(a, http, id, allocs, PER_ALLOC).await;
        let ready = t.elapsed().as_secs_f64();
        // Past the first round of checks and the registrations' writes.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let raft_before = applied_index(http, &a.addr).await;
        let (ms, pct) = cpu_over(pid, a.cpu_secs).await;
        let raft_delta = applied_index(http, &a.addr)
            .await
            .saturating_sub(raft_before);
        let what = if with {
            "with checks"
        } else {
            "same allocations, no checks"
        };
        println!(
            "{what}: all registered{} {ready:.1} s after PUT; client CPU {ms:.0} ms in {} s = {pct:.2}% of one core; Raft writes meanwhile: {raft_delta}",
            if with { " and passing" } else { "" },
            a.cpu_secs,
        );
        results.push(ms);
        api.job_deregister(id, true).await.expect("deregister");
        wait_no_live_allocs(api, Duration::from_secs(300)).await;
    }
    let runs = n as f64 * a.cpu_secs as f64 / 10.0;
    let extra = results[1] - results[0];
    println!(
        "check runs in the window: {runs:.0} (nominal: {n} every 10 s); CPU per check run: {:.3} ms all told, {:.3} ms beyond the no-check baseline; checks' share: {:.2}% of one core",
        results[1] / runs,
        extra / runs,
        extra / 10.0 / a.cpu_secs as f64
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let api = ApiClient::new(std::slice::from_ref(&a.addr)).expect("api client");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    // Wait for every client's node.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = api
            .nodes(&QueryOptions::default())
            .await
            .map(|(n, _)| n.iter().filter(|n| n.status == "ready").count())
            .unwrap_or(0);
        if ready >= a.clients {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {ready} of {} clients registered",
            a.clients
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let only = a.only.as_deref();
    if only.is_none_or(|o| o == "latency") {
        latency(&a, &api, &http).await;
    }
    if only.is_none_or(|o| o == "burst") {
        burst(&a, &api, &http).await;
    }
    if only.is_none_or(|o| o == "checks") {
        checks(&a, &api, &http).await;
    }
}
