//! The seed walkthrough end to end, with the `drover` CLI against a real
//! cluster (3 server processes, 11 client agents in two datacenters) and
//! real Docker containers: `init`; `plan` refused on `dc1`; both
//! datacenters placed; `run -check-index`; `status`; count 15 planned as
//! `14 create, 1 in-place update` and run as 15 containers; count 50
//! refused on memory; a container stopped with `docker stop` replaced;
//! `stop` removes every container.

mod cluster;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{Cluster, containers, docker};

fn docker_ready() -> bool {
    let ok = Command::new("docker")
        .args(["image", "inspect", "redis:3.2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "the_seed_walkthrough: skipped: no Docker engine or no redis:3.2 image \
             (run scripts/test-images.sh)"
        );
    }
    ok
}

fn set_count(file: &std::path::Path, from: u32, to: u32) {
    let text = std::fs::read_to_string(file).expect("read job");
    let old = format!("count = {from}");
    assert!(text.contains(&old), "{old:?} in the job file");
    std::fs::write(file, text.replacen(&old, &format!("count = {to}"), 1)).expect("write job");
}

/// The `-check-index N` that `plan` says to run with.
fn check_index(plan: &str) -> String {
    plan.lines()
        .find_map(|l| l.strip_prefix("drover run -check-index "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no run hint in:\n{plan}"))
        .to_string()
}

async fn wait_running(cluster: &Cluster, n: usize, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let running = containers(&cluster.node_ids, false).len();
        if running == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{running} containers running, not {n}, after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_walkthrough() {
    if !docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = Cluster::start(dir.path(), 2).await;
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    let file = work.join("example.nomad");

    // `init` writes the example; a second `init` refuses to overwrite it.
    cluster
        .drover(&work, &["init"])
        .await
        .expect(0, &["Example job file written to example.nomad"]);
    let again = cluster.drover(&work, &["init"]).await;
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("Job 'example.nomad' already exists"));

    // The example asks for dc1, which this cluster does not have.
    cluster
        .drover(&work, &["plan", "example.nomad"])
        .await
        .expect(
            1,
            &[
                "+ Job: \"example\"",
                "+ Task Group: \"cache\" (1 create)",
                "  + Task: \"redis\" (forces create)",
                "Scheduler dry-run:",
                "- WARNING: Failed to place all allocations.",
                "  Task Group \"cache\" (failed to place 1 allocation):",
                "    * No nodes were eligible for evaluation",
                "    * No nodes are available in datacenter \"dc1\"",
                "Job Modify Index: 0",
            ],
        );

    // Both datacenters: placed.
    let text = std::fs::read_to_string(&file).expect("read job");
    std::fs::write(
        &file,
        text.replace(
            "datacenters = [\"dc1\"]",
            "datacenters = [\"eu-west-1a\", \"eu-west-1b\"]",
        ),
    )
    .expect("write job");
    let plan = cluster.drover(&work, &["plan", "example.nomad"]).await;
    plan.expect(
        1,
        &[
            "- All tasks successfully allocated.",
            "Job Modify Index: 0",
            "drover run -check-index 0 example.nomad",
        ],
    );

    let run = cluster
        .drover(&work, &["run", "-check-index", "0", "example.nomad"])
        .await;
    run.expect(
        0,
        &[
            "    Evaluation triggered by job \"example\"",
            "    Evaluation status changed: \"pending\" -> \"complete\"",
        ],
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("==> Monitoring evaluation \""),
        "{run:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("    Allocation \"")
            && l.contains("\" created: node \"")
            && l.ends_with("\", group \"cache\"")),
        "{run:#?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.ends_with("finished with status \"complete\"")),
        "{run:#?}"
    );

    // The same index again: the job exists now.
    let stale = cluster
        .drover(&work, &["run", "-check-index", "0", "example.nomad"])
        .await;
    assert_eq!(stale.code, 1, "{stale:#?}");
    assert_eq!(
        stale.stderr.trim(),
        "Enforcing job modify index 0: job already exists\nJob not updated"
    );

    wait_running(&cluster, 1, Duration::from_secs(60)).await;
    let status = cluster.drover(&work, &["status", "example"]).await;
    status.expect(
        0,
        &[
            "ID            = example",
            "Name          = example",
            "Type          = service",
            "Priority      = 50",
            "Datacenters   = eu-west-1a,eu-west-1b",
            "Status        = running",
            "Periodic      = false",
            "Parameterized = false",
            "Summary",
            "Task Group  Queued  Starting  Running  Failed  Complete  Lost",
            "cache       0       0         1        0       0         0",
            "Allocations",
            "ID        Eval ID   Node ID   Task Group  Desired  Status   Created At",
        ],
    );
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.contains("  cache       run      running  ")),
        "{status:#?}"
    );

    // Fifteen instances.
    set_count(&file, 1, 15);
    let plan = cluster.drover(&work, &["plan", "example.nomad"]).await;
    plan.expect(
        1,
        &[
            "+/- Job: \"example\"",
            "+/- Task Group: \"cache\" (14 create, 1 in-place update)",
            "  +/- Count: \"1\" => \"15\" (forces create)",
            "- All tasks successfully allocated.",
        ],
    );
    let index = check_index(&plan.stdout);
    assert_ne!(index, "0");
    let started = Instant::now();
    cluster
        .drover(&work, &["run", "-check-index", &index, "example.nomad"])
        .await
        .expect(0, &[]);
    wait_running(&cluster, 15, Duration::from_secs(120)).await;
    eprintln!(
        "the_seed_walkthrough: run to 15 containers running: {:?}",
        started.elapsed()
    );
    // Fifteen instances of the seed's service, at the published ports.
    let regs = wait_services(&cluster, 15).await;
    let ports = docker(&["ps", "--format", "{{.Ports}}"]);
    for r in &regs {
        assert!(cluster.client_ips.contains(&r.address), "{r:?}");
        assert!(
            ports.contains(&format!("{}:{}->6379/tcp", r.address, r.port)),
            "{r:?} not in {ports}"
        );
        assert_eq!(r.tags, ["global", "cache"]);
    }
    let dcs: std::collections::BTreeSet<&str> =
        regs.iter().map(|r| r.datacenter.as_str()).collect();
    assert_eq!(dcs.len(), 2, "both datacenters: {dcs:?}");

    cluster.drover(&work, &["service", "list"]).await.expect(
        0,
        &[
            "Service Name        Tags",
            "global-redis-check  [cache,global]",
        ],
    );
    let info = cluster
        .drover(&work, &["service", "info", "global-redis-check"])
        .await;
    info.expect(0, &[]);
    assert_eq!(info.stdout.lines().count(), 16, "{info:#?}");

    // The nodes, in the seed's spelling of the verb.
    let nodes = cluster.drover(&work, &["node-status"]).await;
    nodes.expect(0, &[]);
    assert_eq!(
        nodes.stdout.lines().count(),
        1 + cluster::NODES,
        "{nodes:#?}"
    );
    assert!(nodes.stdout.contains("eu-west-1a") && nodes.stdout.contains("eu-west-1b"));
    // An allocation by its short ID, through `status`.
    let status = cluster.drover(&work, &["status", "example"]).await;
    let alloc = status
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("ID        Eval ID"))
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("an allocation row")
        .to_string();
    let shown = cluster.drover(&work, &["status", &alloc]).await;
    shown.expect(0, &["Task \"redis\" is \"running\"", "Services:"]);
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.starts_with("global-redis-check  127.0.2.") && l.contains("  alive  tcp  ")),
        "{shown:#?}"
    );
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.starts_with("Client Status") && l.ends_with("= running")),
        "{shown:#?}"
    );
    // Two versions, the second with its change.
    let history = cluster
        .drover(&work, &["job", "history", "-p", "example"])
        .await;
    history.expect(0, &["Version     = 1", "Version     = 0"]);
    assert!(
        history.stdout.contains("Count: \"1\" => \"15\""),
        "{history:#?}"
    );

    // Published on the nodes' own addresses.
    let ports = docker(&["ps", "--format", "{{.Ports}}"]);
    assert!(ports.contains("127.0.2."), "{ports}");

    // Fifty do not fit: three 256 MB tasks per 768 MB node, 33 in all.
    set_count(&file, 15, 50);
    cluster
        .drover(&work, &["plan", "example.nomad"])
        .await
        .expect(
            1,
            &[
                "+/- Task Group: \"cache\" (35 create, 15 in-place update)",
                "  +/- Count: \"15\" => \"50\" (forces create)",
                "- WARNING: Failed to place all allocations.",
                "  Task Group \"cache\" (failed to place 17 allocations):",
                "    * Resources exhausted on 11 nodes",
                "    * Dimension \"memory\" exhausted on 11 nodes",
            ],
        );

    // A container stopped behind Drover's back is started again.
    let victim = containers(&cluster.node_ids, false)
        .into_iter()
        .next()
        .expect("a running container");
    docker(&["stop", "-t", "1", &victim]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let running = containers(&cluster.node_ids, false);
        if running.len() == 15 && !running.contains(&victim)
            || running.len() == 15
                && docker(&["inspect", "-f", "{{.State.Running}}", &victim]) == "true"
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stopped container was not replaced: {} running",
            running.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // `stop` removes every container.
    cluster
        .drover(&work, &["stop", "example"])
        .await
        .expect(0, &[]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let left = containers(&cluster.node_ids, true);
        if left.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} containers left after stop",
            left.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The clients report the allocations complete soon after.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = cluster
            .drover(&work, &["status", "-short", "example"])
            .await;
        if status.stdout.contains("Status        = dead (stopped)") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job is not dead after stop: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    wait_services(&cluster, 0).await;
}

/// Waits until the seed's service has `n` registrations; returns them.
async fn wait_services(cluster: &Cluster, n: usize) -> Vec<drover::structs::ServiceRegistration> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let regs = cluster
            .api
            .service("global-redis-check", &Default::default())
            .await
            .map(|(r, _)| r)
            .unwrap_or_default();
        if regs.len() == n {
            return regs;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} registrations of global-redis-check, not {n}",
            regs.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
