//! The node, allocation, evaluation, server and operator verbs of the
//! `drover` CLI against a real `drover agent -dev` running a raw_exec job:
//! what they print, their exit codes, and their one-line errors.

use drover::api_client::QueryOptions;
use serde_json::{Value, json};

use super::cli_support::{drover, drover_in, ok, start_dev, wait_for};
use super::free_port;

fn job() -> Value {
    json!({"Job": {"ID": "hello", "Datacenters": ["dc1"], "Type": "service",
        "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "raw_exec",
            "Config": {"command": "/bin/sh",
                "args": ["-c", "echo hello; echo oops >&2; echo last; sleep 600"]},
            "Resources": {"CPU": 100, "MemoryMB": 64}}]}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_alloc_eval_server_and_operator_verbs_against_a_dev_agent() {
    let dev = start_dev().await;
    let a = dev.addr.as_str();
    let api = &dev.api;
    let node = dev.node.clone();
    let rpc = dev.rpc;
    let node8 = &node[..8];

    // Nodes.
    let list = ok(a, &["node", "status"]).await;
    let mut lines = list.lines();
    assert_eq!(
        lines.next(),
        Some("ID        Node Pool  DC   Name  Class   Drain  Eligibility  Status"),
        "{list}"
    );
    let row: Vec<&str> = lines
        .next()
        .expect("a node row")
        .split_whitespace()
        .collect();
    assert_eq!(
        row,
        [
            node8, "default", "dc1", "dev", "<none>", "false", "eligible", "ready"
        ]
    );
    let allocs = ok(a, &["node-status", "-allocs", "-verbose"]).await;
    assert!(
        allocs
            .lines()
            .next()
            .unwrap_or("")
            .ends_with("Status  Running Allocs"),
        "{allocs}"
    );
    let one = ok(a, &["node", "status", &node[..6]]).await;
    assert!(
        one.starts_with(&format!("ID            = {node}\nName          = dev\n")),
        "{one}"
    );
    for part in [
        "\nDriver Status = ",
        "raw_exec",
        "\n\nAllocated Resources\nCPU",
        "\n\nAllocations\nNo allocations placed",
    ] {
        assert!(one.contains(part), "{part:?} in {one}");
    }
    let me = ok(a, &["node", "status", "-self", "-short"]).await;
    assert!(me.starts_with(&format!("ID          = {node}\n")), "{me}");

    // Servers and Raft peers.
    let members = ok(a, &["server", "members"]).await;
    let mut lines = members.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Name        Address    Port   Status  Leader  Raft Version  Build  Datacenter  Region"
        )
    );
    let row: Vec<&str> = lines.next().expect("a member").split_whitespace().collect();
    assert_eq!(
        row[..6],
        [
            "dev.global",
            "127.0.0.1",
            &rpc.to_string(),
            "alive",
            "true",
            "3"
        ]
    );
    let peers = ok(a, &["operator", "raft", "list-peers"]).await;
    let mut lines = peers.lines();
    assert!(
        lines.next().unwrap_or("").starts_with("Node        ID"),
        "{peers}"
    );
    let row: Vec<&str> = lines.next().expect("a peer").split_whitespace().collect();
    assert_eq!(row[0], "dev.global");
    assert_eq!(
        row[2..],
        [format!("127.0.0.1:{rpc}").as_str(), "leader", "true", "3"]
    );

    // A raw_exec job: its allocation, evaluation and logs.
    let registered: Value = api.put("/v1/jobs", &job()).await.expect("register");
    let eval = registered["EvalID"].as_str().expect("eval ID").to_string();
    let alloc = wait_for("a running allocation", || async {
        let (allocs, _) = api.allocations(&QueryOptions::default()).await.ok()?;
        allocs
            .into_iter()
            .find(|x| x.job_id == "hello" && x.client_status == "running")
            .map(|x| x.id)
    })
    .await;
    let logs = wait_for("the task's output", || async {
        let o = drover(a, &["alloc", "logs", &alloc[..8]]).await;
        (o.code == 0 && o.stdout.ends_with("last\n")).then_some(o.stdout)
    })
    .await;
    assert_eq!(logs, "hello\nlast\n");
    assert_eq!(ok(a, &["logs", "-stderr", &alloc, "t"]).await, "oops\n");
    assert_eq!(
        ok(a, &["alloc", "logs", "-tail", "-n", "1", &alloc]).await,
        "last\n"
    );
    assert_eq!(ok(a, &["alloc", "logs", "-c", "5", &alloc]).await, "last\n");

    let status = ok(a, &["alloc", "status", &alloc[..8]]).await;
    for part in [
        format!("ID                  = {alloc}\n"),
        format!("Eval ID             = {}\n", &eval[..8]),
        "Name                = hello.g[0]\n".to_string(),
        format!("Node ID             = {node8}\n"),
        "Client Status       = running\n".to_string(),
        "\n\nTask \"t\" is \"running\"\nTask Resources:\nCPU      Memory  Disk".to_string(),
        "100 MHz  64 MiB".to_string(),
        "\nTotal Restarts = 0\n".to_string(),
        "\n\nRecent Events:\nTime".to_string(),
        "Task started by client".to_string(),
    ] {
        assert!(status.contains(&part), "{part:?} in {status}");
    }
    let ev = ok(a, &["eval", "status", &eval[..8]]).await;
    for part in [
        format!("ID                 = {}\n", &eval[..8]),
        "Status             = complete\n".to_string(),
        "TriggeredBy        = job-register\n".to_string(),
        "Job ID             = hello\n".to_string(),
        "Placement Failures = false\n".to_string(),
    ] {
        assert!(ev.contains(&part), "{part:?} in {ev}");
    }
    assert_eq!(ok(a, &["alloc", "restart", &alloc[..8]]).await, "");
    wait_for("the restart to show", || async {
        let s = drover(a, &["alloc-status", &alloc]).await.stdout;
        s.contains("Total Restarts = 1\n").then_some(())
    })
    .await;

    // Eligibility and drain.
    assert_eq!(
        ok(a, &["node", "eligibility", "-disable", node8]).await,
        format!("Node \"{node}\" scheduling eligibility set: ineligible for scheduling\n")
    );
    assert!(ok(a, &["node", "status"]).await.contains("  ineligible  "));
    assert_eq!(
        ok(a, &["node", "eligibility", "-enable", "-self"]).await,
        format!("Node \"{node}\" scheduling eligibility set: eligible for scheduling\n")
    );
    let no = drover_in(a, &["node", "drain", "-enable", node8], "n\n").await;
    assert_eq!(no.code, 0, "{}", no.stderr);
    assert_eq!(
        no.stdout,
        format!(
            "Are you sure you want to enable drain mode for node \"{node}\"? [y/N] \nCanceling drain toggle\n"
        )
    );
    assert_eq!(
        ok(a, &["node", "drain", "-enable", "-yes", "-detach", node8]).await,
        format!("Node \"{node}\" drain strategy set\n")
    );
    assert!(
        ok(a, &["node", "status", node8])
            .await
            .contains("\nDrain         = true; ")
    );
    assert_eq!(
        ok(a, &["node-drain", "-disable", "-yes", node8]).await,
        format!("Node \"{node}\" drain strategy unset\n")
    );
    // Stopping follows the evaluation that replaces the allocation: 0
    // when it is placed, 2 when it is not (a blocked replacement).
    let stopped = drover(a, &["alloc", "stop", &alloc[..8]]).await;
    assert!(
        matches!(stopped.code, 0 | 2),
        "{}{}",
        stopped.stdout,
        stopped.stderr
    );
    assert!(
        stopped.stdout.starts_with("==> Monitoring evaluation \""),
        "{}",
        stopped.stdout
    );
    let stop = ok(a, &["alloc", "stop", "-detach", &alloc[..8]]).await;
    let stop_eval = stop.trim();
    assert_eq!(stop_eval.len(), 36, "{stop}");
    ok(a, &["eval", "status", stop_eval]).await;

    // Errors: one line on stderr, exit 1.
    let cases: [(&[&str], String); 6] = [
        (
            &["alloc", "status", "ffffffff"],
            "No allocation(s) with prefix or id \"ffffffff\" found".into(),
        ),
        (
            &["node", "status", "ffffffff"],
            "No node(s) with prefix or id \"ffffffff\" found".into(),
        ),
        (
            &["eval", "status", "ffffffff"],
            "No evaluation(s) with prefix or id \"ffffffff\" found".into(),
        ),
        (
            &["node", "drain", node8],
            "Either the '-enable' or '-disable' flag must be set, unless using '-monitor'".into(),
        ),
        (
            &["node", "eligibility", node8],
            "Either the '-enable' or '-disable' flag must be set".into(),
        ),
        (
            &["alloc", "logs", &alloc, "nope"],
            format!(
                "Could not find task named \"nope\" in allocation \"{}\"; its tasks: t",
                &alloc[..8]
            ),
        ),
    ];
    for (args, message) in cases {
        let o = drover(a, args).await;
        assert_eq!(
            (o.code, o.stderr.trim_end()),
            (1, message.as_str()),
            "{args:?}"
        );
        assert_eq!(o.stderr.lines().count(), 1, "{args:?}: {}", o.stderr);
    }
    let closed = free_port();
    let gone = format!("http://127.0.0.1:{closed}");
    for args in [
        &["node", "status"][..],
        &["server", "members"],
        &["alloc", "status", "abcd"],
    ] {
        let o = drover(&gone, args).await;
        assert_eq!(o.code, 1, "{args:?}");
        assert_eq!(o.stderr.lines().count(), 1, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr.contains(&format!("127.0.0.1:{closed}")),
            "{args:?}: {}",
            o.stderr
        );
    }
}
