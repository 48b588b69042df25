use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, node_secret, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

fn node_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

async fn fast_cluster() -> TestCluster {
    TestCluster::start_with(1, |c| {
        c.min_heartbeat_ttl = Duration::from_millis(500);
        c.heartbeat_grace = Duration::from_millis(500);
    })
    .await
}

async fn allocs(c: &TestCluster) -> Vec<Value> {
    c.get(0, "/v1/job/example/allocations")
        .await
        .1
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_heartbeating_goes_down_and_its_allocs_are_replaced() {
    let c = fast_cluster().await;
    for i in 0..3 {
        let (status, resp) = c
            .put(0, "/v1/node/register", &node_json(i, "dc1", 4096))
            .await;
        assert_eq!(status, 200, "{resp}");
        assert_eq!(resp["HeartbeatTTL"].as_i64(), Some(500_000_000));
    }
    c.put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 3), None))
        .await;
    let placed = wait_for("3 allocations", Duration::from_secs(20), || async {
        let a = allocs(&c).await;
        (a.len() == 3).then_some(a)
    })
    .await;
    let victim = placed[0]["NodeID"].as_str().expect("node").to_string();
    // Every node but the victim keeps heartbeating.
    let others: Vec<String> = (0..3).map(node_id).filter(|n| *n != victim).collect();
    let down = wait_for("the victim to go down", Duration::from_secs(20), || async {
        for n in &others {
            let (status, _) = c
                .put_as(
                    0,
                    &format!("/v1/node/{n}/heartbeat"),
                    &json!({}),
                    &node_secret(n),
                )
                .await;
            assert_eq!(status, 200);
        }
        let (_, node) = c.get(0, &format!("/v1/node/{victim}")).await;
        (node["Status"] == "down").then_some(node)
    })
    .await;
    assert!(
        down["Events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["Message"] == "Node heartbeat missed")
    );
    let lost = wait_for("replacements", Duration::from_secs(20), || async {
        for n in &others {
            c.put_as(
                0,
                &format!("/v1/node/{n}/heartbeat"),
                &json!({}),
                &node_secret(n),
            )
            .await;
        }
        let a = allocs(&c).await;
        let live: Vec<_> = a
            .iter()
            .filter(|a| a["DesiredStatus"] == "run")
            .cloned()
            .collect();
        let lost: Vec<_> = a
            .iter()
            .filter(|a| a["ClientStatus"] == "lost")
            .cloned()
            .collect();
        (live.len() == 3 && !lost.is_empty()).then_some((live, lost))
    })
    .await;
    assert!(lost.0.iter().all(|a| a["NodeID"] != victim.as_str()));
    assert!(lost.1.iter().all(|a| a["NodeID"] == victim.as_str()));
    // The victim comes back: a heartbeat makes it ready again.
    let (status, _) = c
        .put_as(
            0,
            &format!("/v1/node/{victim}/heartbeat"),
            &json!({}),
            &node_secret(&victim),
        )
        .await;
    assert_eq!(status, 200);
    let (_, node) = c.get(0, &format!("/v1/node/{victim}")).await;
    assert_eq!(node["Status"], "ready");
    let (status, body) = c
        .put(
            0,
            "/v1/node/00000000-0000-4000-8000-999999999999/heartbeat",
            &json!({}),
        )
        .await;
    assert_eq!((status, body), (404, json!("node not found")));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_updates_drive_status_and_failed_allocs_are_rescheduled() {
    let c = TestCluster::start(1).await;
    for i in 0..2 {
        c.put(0, "/v1/node/register", &node_json(i, "dc1", 4096))
            .await;
    }
    // Failures are rescheduled after a constant 5 s (the smallest delay).
    let mut job = seed_job(&["dc1"], 2);
    job["TaskGroups"][0]["ReschedulePolicy"] = json!({
        "Delay": 5_000_000_000i64, "DelayFunction": "constant", "Unlimited": true
    });
    c.put(0, "/v1/jobs", &register_body(job, None)).await;
    let placed = wait_for("2 allocations", Duration::from_secs(20), || async {
        let a = allocs(&c).await;
        (a.len() == 2).then_some(a)
    })
    .await;
    report_running(&c, &placed).await;
    let (_, summary) = c.get(0, "/v1/job/example/summary").await;
    assert_eq!(summary["Summary"]["cache"]["Running"], 2);
    let (_, job) = c.get(0, "/v1/job/example").await;
    assert_eq!(job["Status"], "running");

    // One fails: an alloc-failure evaluation schedules a follow-up for
    // the failure time plus the delay, which replaces it.
    let failed = &placed[0];
    let node = failed["NodeID"].as_str().expect("node");
    let body = json!({"Allocs": [{"ID": failed["ID"], "ClientStatus": "failed"}]});
    c.put_as(
        0,
        &format!("/v1/node/{node}/allocations"),
        &body,
        &node_secret(node),
    )
    .await;
    let failed_id = failed["ID"].as_str().expect("id");
    let follow_up = wait_for(
        "a follow-up evaluation",
        Duration::from_secs(20),
        || async {
            let (_, a) = c.get(0, &format!("/v1/allocation/{failed_id}")).await;
            a["FollowupEvalID"]
                .as_str()
                .filter(|id| !id.is_empty())
                .map(String::from)
        },
    )
    .await;
    let (_, e) = c.get(0, &format!("/v1/evaluation/{follow_up}")).await;
    assert_eq!(e["TriggeredBy"], "alloc-failure", "{e}");
    assert!(
        e["WaitUntil"].as_str().is_some_and(|t| t.starts_with("20")),
        "{e}"
    );
    let replacement = wait_for("a replacement", Duration::from_secs(20), || async {
        allocs(&c).await.into_iter().find(|a| {
            a["DesiredStatus"] == "run" && a["ID"] != failed["ID"] && a["ID"] != placed[1]["ID"]
        })
    })
    .await;
    assert_eq!(replacement["Name"], failed["Name"]);
    let (_, r) = c
        .get(
            0,
            &format!("/v1/allocation/{}", replacement["ID"].as_str().expect("id")),
        )
        .await;
    assert_eq!(r["PreviousAllocation"], failed["ID"]);
    assert_eq!(
        r["RescheduleTracker"]["Events"][0]["PrevAllocID"],
        failed["ID"]
    );
    assert_eq!(
        r["RescheduleTracker"]["Events"][0]["Delay"],
        5_000_000_000i64
    );
    let (_, old) = c.get(0, &format!("/v1/allocation/{failed_id}")).await;
    assert_eq!(old["NextAllocation"], r["ID"]);
    let (_, evals) = c.get(0, "/v1/job/example/evaluations").await;
    assert!(
        evals
            .as_array()
            .expect("evals")
            .iter()
            .any(|e| e["TriggeredBy"] == "alloc-failure")
    );
    // Another node may not report this node's allocations.
    let other = if node.ends_with('0') {
        node_id(1)
    } else {
        node_id(0)
    };
    let (status, _) = c
        .put_as(
            0,
            &format!("/v1/node/{other}/allocations"),
            &body,
            &node_secret(&other),
        )
        .await;
    assert_eq!(status, 400);
    c.shutdown().await;
}

async fn report_running(c: &TestCluster, allocs: &[Value]) {
    for a in allocs {
        let node = a["NodeID"].as_str().expect("node");
        let body = json!({"Allocs": [{"ID": a["ID"], "ClientStatus": "running"}]});
        let (status, resp) = c
            .put_as(
                0,
                &format!("/v1/node/{node}/allocations"),
                &body,
                &node_secret(node),
            )
            .await;
        assert_eq!(status, 200, "{resp}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_migrates_allocs_and_eligibility_controls_placement() {
    let c = TestCluster::start(1).await;
    for i in 0..2 {
        c.put(0, "/v1/node/register", &node_json(i, "dc1", 4096))
            .await;
    }
    // Only node 0 is eligible at first.
    let (status, resp) = c
        .put(
            0,
            &format!("/v1/node/{}/eligibility", node_id(1)),
            &json!({"Eligibility": "ineligible"}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    c.put(0, "/v1/jobs", &register_body(seed_job(&["dc1"], 2), None))
        .await;
    let placed = wait_for("2 allocations", Duration::from_secs(20), || async {
        let a = allocs(&c).await;
        (a.len() == 2).then_some(a)
    })
    .await;
    assert!(placed.iter().all(|a| a["NodeID"] == node_id(0).as_str()));
    report_running(&c, &placed).await;
    let (status, _) = c
        .put(
            0,
            &format!("/v1/node/{}/eligibility", node_id(1)),
            &json!({"Eligibility": "maybe"}),
        )
        .await;
    assert_eq!(status, 400);
    c.put(
        0,
        &format!("/v1/node/{}/eligibility", node_id(1)),
        &json!({"Eligibility": "eligible"}),
    )
    .await;

    // Drain node 0: allocations move to node 1 one at a time
    // (migrate.max_parallel = 1), each once the last replacement runs,
    // and then the drain completes.
    let (status, resp) = c
        .put(
            0,
            &format!("/v1/node/{}/drain", node_id(0)),
            &json!({"DrainSpec": {"Deadline": 3_600_000_000_000i64}}),
        )
        .await;
    assert_eq!(status, 200, "{resp}");
    assert!(resp["EvalIDs"].as_array().is_some_and(|e| !e.is_empty()));
    let (_, n) = c.get(0, &format!("/v1/node/{}", node_id(0))).await;
    assert_eq!(n["SchedulingEligibility"], "ineligible");
    let (status, _) = c
        .put(
            0,
            &format!("/v1/node/{}/eligibility", node_id(0)),
            &json!({"Eligibility": "eligible"}),
        )
        .await;
    assert_eq!(status, 400, "eligible while draining is refused");
    let on = |live: &[Value], i: usize| {
        live.iter()
            .filter(|a| a["NodeID"] == node_id(i).as_str())
            .cloned()
            .collect::<Vec<_>>()
    };
    let live_allocs = || async {
        allocs(&c)
            .await
            .into_iter()
            .filter(|a| a["DesiredStatus"] == "run")
            .collect::<Vec<_>>()
    };
    let first = wait_for("the first migration", Duration::from_secs(20), || async {
        let live = live_allocs().await;
        (live.len() == 2 && on(&live, 1).len() == 1).then_some(on(&live, 1))
    })
    .await;
    // Both moved in one plan would never show this state. The other
    // allocation moves only once the replacement runs (the deadline is an
    // hour away).
    report_running(&c, &first).await;
    let moved = wait_for("the second migration", Duration::from_secs(20), || async {
        let live = live_allocs().await;
        (live.len() == 2 && on(&live, 1).len() == 2).then_some(live)
    })
    .await;
    assert_eq!(moved.len(), 2);
    wait_for("drain completion", Duration::from_secs(20), || async {
        let (_, n) = c.get(0, &format!("/v1/node/{}", node_id(0))).await;
        (n["DrainStrategy"].is_null() && n["Drain"] == false).then_some(())
    })
    .await;
    let (_, list) = c.get(0, "/v1/nodes").await;
    assert!(
        list.as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["Drain"] == false)
    );

    // Evaluate re-runs the node's jobs.
    let (status, resp) = c
        .put(0, &format!("/v1/node/{}/evaluate", node_id(1)), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(resp["EvalIDs"].as_array().map(Vec::len), Some(1));
    let (status, _) = c
        .put(
            0,
            "/v1/node/00000000-0000-4000-8000-999999999999/drain",
            &json!({"DrainSpec": null}),
        )
        .await;
    assert_eq!(status, 404);
    c.shutdown().await;
}
