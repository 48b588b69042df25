//! Start, output, stop (inside and outside the driver) and removal.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use drover::client::driver::{Driver, LABEL_ALLOC_ID, LABEL_IMAGE_REF, LABEL_NODE_ID};
use serde_json::json;

use crate::*;

/// The seed walkthrough's redis task: resources, ports, env, image ID and
/// labels as the engine records them, and redis answering on the host port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_runs_with_the_tasks_resources_and_ports() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let ip = Ipv4Addr::new(127, 0, 1, 1);
    let host_port = free_port(ip);
    let mut spec = ctx.spec("redis", REDIS, json!({"port_map": [{"db": 6379}]}));
    spec.cpu_mhz = 500;
    spec.memory_mb = 256;
    spec.ports = vec![port("db", ip, host_port, 6379)];

    let handle = driver.start(&spec).await.unwrap();
    assert_eq!(handle.driver, "docker");
    let image_id = ctx.docker.inspect_image(REDIS).await.unwrap().id.unwrap();
    assert_eq!(handle.details["image_id"], image_id);
    assert_eq!(handle.details["image_ref"], REDIS);

    let c = ctx
        .docker
        .inspect_container(&handle.id, None)
        .await
        .unwrap();
    assert_eq!(
        c.name.as_deref(),
        Some(format!("/{}", spec.instance_name).as_str())
    );
    let host = c.host_config.unwrap();
    assert_eq!(host.cpu_shares, Some(500));
    assert_eq!(host.memory, Some(268435456));
    let bindings = host.port_bindings.unwrap();
    for key in ["6379/tcp", "6379/udp"] {
        let b = bindings[key].clone().unwrap();
        assert_eq!(b.len(), 1, "{key}");
        assert_eq!(b[0].host_ip.as_deref(), Some("127.0.1.1"), "{key}");
        assert_eq!(b[0].host_port, Some(host_port.to_string()), "{key}");
    }
    let config = c.config.unwrap();
    assert!(config.env.unwrap().contains(&"DROVER_TEST=yes".to_string()));
    assert_eq!(config.image.as_deref(), Some(image_id.as_str()));
    assert!(image_id.starts_with("sha256:"));
    let labels = config.labels.unwrap();
    assert_eq!(labels[LABEL_IMAGE_REF], REDIS);
    assert_eq!(labels[LABEL_ALLOC_ID], spec.alloc_id);
    assert_eq!(labels[LABEL_NODE_ID], ctx.node);

    let addr = SocketAddr::from((ip, host_port));
    eventually(Duration::from_secs(20), "redis to answer PING", || {
        redis_ping(addr)
    })
    .await;
    finish(&driver, &handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_lands_in_the_task_log_files() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let spec = ctx.shell("echo", "echo out; echo err 1>&2; sleep 1000");
    let handle = driver.start(&spec).await.unwrap();
    eventually(
        Duration::from_secs(20),
        "stdout and stderr in the log files",
        || log_text(&spec, "stdout") == "out\n" && log_text(&spec, "stderr") == "err\n",
    )
    .await;
    finish(&driver, &handle).await;
}

/// `docker stop` from outside the client is seen by `wait` as an exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_outside_the_driver_ends_the_wait() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let spec = ctx.shell(
        "outside",
        "trap 'exit 7' TERM; while true; do sleep 0.1; done",
    );
    let handle = driver.start(&spec).await.unwrap();
    let id = handle.id.clone();
    let stopper = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(500));
        Command::new("docker")
            .args(["stop", "-t", "5", &id])
            .output()
            .unwrap()
    });
    let exit = tokio::time::timeout(Duration::from_secs(20), driver.wait(&handle))
        .await
        .expect("wait returned")
        .unwrap();
    assert!(stopper.await.unwrap().status.success());
    assert_eq!(exit.exit_code, 7, "{exit:?}");
    assert_eq!(exit.signal, 0);
    assert!(!exit.oom_killed);
    assert!(!exit.successful());
    driver.destroy(&handle).await.unwrap();
}

/// A kill signal the task handles ends it at once; one it ignores is
/// followed by SIGKILL after the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_sends_the_kill_signal_then_kills() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();

    let spec = ctx.shell("int", "trap 'exit 3' INT; while true; do sleep 0.1; done");
    let handle = driver.start(&spec).await.unwrap();
    let started = Instant::now();
    driver
        .stop(&handle, "SIGINT", Duration::from_secs(10))
        .await
        .unwrap();
    let exit = driver.wait(&handle).await.unwrap();
    assert_eq!(exit.exit_code, 3, "{exit:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    driver.destroy(&handle).await.unwrap();

    let spec = ctx.shell("deaf", "trap '' INT; while true; do sleep 0.1; done");
    let handle = driver.start(&spec).await.unwrap();
    let started = Instant::now();
    driver
        .stop(&handle, "SIGINT", Duration::from_secs(1))
        .await
        .unwrap();
    let exit = driver.wait(&handle).await.unwrap();
    assert_eq!((exit.exit_code, exit.signal), (137, 9), "{exit:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    driver.destroy(&handle).await.unwrap();
}

/// Without a kill signal, stop is `docker stop`: SIGTERM, then SIGKILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_without_a_signal_is_a_docker_stop() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let spec = ctx.shell("term", "trap 'exit 4' TERM; while true; do sleep 0.1; done");
    let handle = driver.start(&spec).await.unwrap();
    driver
        .stop(&handle, "", Duration::from_secs(10))
        .await
        .unwrap();
    let exit = driver.wait(&handle).await.unwrap();
    assert_eq!(exit.exit_code, 4, "{exit:?}");
    // Stopping a stopped container is fine.
    driver
        .stop(&handle, "", Duration::from_secs(1))
        .await
        .unwrap();
    driver
        .stop(&handle, "SIGINT", Duration::from_secs(1))
        .await
        .unwrap();
    driver.destroy(&handle).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_removes_the_container_and_may_be_repeated() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let spec = ctx.shell("gone", "sleep 1000");
    let handle = driver.start(&spec).await.unwrap();
    assert!(ctx.exists(&spec.instance_name).await);
    driver.destroy(&handle).await.unwrap();
    assert!(!ctx.exists(&spec.instance_name).await);
    driver.destroy(&handle).await.unwrap();
    // Waiting on it now says it is gone rather than hanging.
    let exit = driver.wait(&handle).await.unwrap();
    assert!(exit.err.is_some(), "{exit:?}");
    assert!(
        driver
            .recover(&handle, &spec)
            .await
            .is_ok_and(|running| !running)
    );
}

/// A running container of the same allocation is adopted; a stopped one
/// holding the name is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leftover_container_is_adopted_or_replaced() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let spec = ctx.shell("again", "sleep 1000");
    let first = driver.start(&spec).await.unwrap();
    let adopted = driver.start(&spec).await.unwrap();
    assert_eq!(adopted.id, first.id);
    assert_eq!(adopted.details["image_ref"], BUSYBOX);

    driver
        .stop(&first, "SIGKILL", Duration::from_secs(1))
        .await
        .unwrap();
    driver.wait(&first).await.unwrap();
    let second = driver.start(&spec).await.unwrap();
    assert_ne!(second.id, first.id);
    assert!(ctx.docker.inspect_container(&first.id, None).await.is_err());
    finish(&driver, &second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_and_stats_reach_the_container() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let spec = ctx.shell(
        "sig",
        "trap 'echo got-hup' HUP; while true; do sleep 0.1; done",
    );
    let handle = driver.start(&spec).await.unwrap();
    // The shell sets its trap right after starting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver.signal(&handle, "SIGHUP").await.unwrap();
    eventually(Duration::from_secs(10), "the trap's output", || {
        log_text(&spec, "stdout").contains("got-hup")
    })
    .await;
    assert!(driver.signal(&handle, "SIGNOPE").await.is_err());
    let usage = driver.stats(&handle).await.unwrap();
    assert!(usage.memory_rss_bytes > 0, "{usage:?}");
    assert!(usage.cpu_total_ticks > 0.0, "{usage:?}");
    finish(&driver, &handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fingerprint_reports_the_engine() {
    let Some(ctx) = setup().await else { return };
    let fp = ctx.driver().fingerprint().await;
    assert!(fp.detected && fp.healthy, "{fp:?}");
    assert_eq!(fp.description, "Healthy");
    assert_eq!(fp.attributes["driver.docker"], "1");
    assert!(!fp.attributes["driver.docker.version"].is_empty());
    assert_eq!(fp.attributes["driver.docker.os_type"], "linux");
    assert_eq!(fp.attributes["driver.docker.volumes.enabled"], "false");
    assert_eq!(fp.attributes["driver.docker.privileged.enabled"], "false");
}
