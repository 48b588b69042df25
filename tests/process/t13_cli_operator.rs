//! `drover operator scheduler|autopilot` against a real dev agent.

use super::cli_support::{drover, ok, start_dev, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_and_autopilot_verbs() {
    let dev = start_dev().await;
    let a = dev.addr.as_str();
    let cfg = ok(a, &["operator", "scheduler", "get-config"]).await;
    assert!(
        cfg.contains("Scheduler Algorithm               = binpack"),
        "{cfg}"
    );
    assert!(
        cfg.contains("Preemption System Scheduler       = true"),
        "{cfg}"
    );

    let set = ok(
        a,
        &[
            "operator",
            "scheduler",
            "set-config",
            "-scheduler-algorithm=spread",
        ],
    )
    .await;
    assert_eq!(set.trim(), "Scheduler configuration updated!");
    let cfg = ok(a, &["operator", "scheduler", "get-config"]).await;
    assert!(cfg.contains("= spread"), "{cfg}");
    let stale = drover(
        a,
        &[
            "operator",
            "scheduler",
            "set-config",
            "-check-index",
            "1",
            "-pause-eval-broker=true",
        ],
    )
    .await;
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    assert!(
        stale.stdout.contains("could not be atomically updated"),
        "{}",
        stale.stdout
    );
    let bad = drover(
        a,
        &[
            "operator",
            "scheduler",
            "set-config",
            "-scheduler-algorithm=best",
        ],
    )
    .await;
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("invalid scheduler algorithm"),
        "{}",
        bad.stderr
    );

    let ap = ok(a, &["operator", "autopilot", "get-config"]).await;
    assert!(ap.contains("LastContactThreshold = 200ms"), "{ap}");
    assert!(ap.contains("ServerStabilizationTime = 10s"), "{ap}");
    let health = wait_for("a healthy report", || async {
        let out = drover(a, &["operator", "autopilot", "health"]).await;
        (out.code == 0 && out.stdout.contains("Healthy          = true")).then_some(out.stdout)
    })
    .await;
    assert!(health.contains("LastContact"), "{health}");

    // System verbs print nothing on success.
    assert_eq!(ok(a, &["system", "gc"]).await, "");
    assert_eq!(ok(a, &["system", "reconcile", "summaries"]).await, "");
}
