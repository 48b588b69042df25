//! Starts that cannot succeed: clear errors, and nothing left behind.

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use drover::client::driver::docker::{DockerDriver, DockerOptions};
use drover::client::driver::{Driver, DriverError};
use serde_json::json;

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_that_cannot_be_pulled_is_a_clear_recoverable_error() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let image = format!("drover-test-missing/nothing:{}", &drover::ids::uuid()[..8]);
    let spec = ctx.spec("missing", &image, json!({}));
    let started = Instant::now();
    let err = driver.start(&spec).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, DriverError::Recoverable(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("failed to pull image {image}: ")),
        "{err}"
    );
    assert!(!ctx.exists(&spec.instance_name).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configs_are_config_errors() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();

    let mut spec = ctx.shell("bad", "true");
    spec.config.remove("image");
    let err = driver.start(&spec).await.unwrap_err();
    assert_eq!(
        err,
        DriverError::Config("docker: config is missing \"image\"".into())
    );

    let spec = ctx.spec("bad", BUSYBOX, json!({"volumes": ["data:/data"]}));
    let err = driver.start(&spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("volumes")),
        "{err:?}"
    );

    let spec = ctx.spec("bad", BUSYBOX, json!({"privileged": true}));
    let err = driver.start(&spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("privileged")),
        "{err:?}"
    );

    let spec = ctx.spec("bad", BUSYBOX, json!({"args": "not-a-list"}));
    let err = driver.start(&spec).await.unwrap_err();
    assert!(
        matches!(&err, DriverError::Config(m) if m.contains("\"args\"")),
        "{err:?}"
    );
    assert!(!ctx.exists(&spec.instance_name).await);
}

/// With volumes enabled, a relative host path is the task directory's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabled_volumes_mount_relative_to_the_task_dir() {
    let Some(ctx) = setup().await else { return };
    let driver = DockerDriver::new(DockerOptions {
        volumes_enabled: true,
        ..DockerOptions::default()
    });
    let spec = ctx.spec(
        "vol",
        BUSYBOX,
        json!({"command": "sh", "args": ["-c", "cat /data/hello; cat /local/greeting; sleep 1000"],
               "volumes": ["data:/data:ro"]}),
    );
    std::fs::create_dir_all(spec.task_dir.join("data")).unwrap();
    std::fs::write(spec.task_dir.join("data/hello"), "from-volume\n").unwrap();
    std::fs::write(spec.local_dir.join("greeting"), "from-local\n").unwrap();
    let handle = driver.start(&spec).await.unwrap();
    eventually(
        Duration::from_secs(10),
        "the mounted files in the output",
        || log_text(&spec, "stdout") == "from-volume\nfrom-local\n",
    )
    .await;
    finish(&driver, &handle).await;
}

/// A host port already bound: the start fails and removes the container.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_host_port_fails_the_start_and_leaves_nothing() {
    let Some(ctx) = setup().await else { return };
    let driver = ctx.driver();
    let ip = Ipv4Addr::new(127, 0, 1, 2);
    let holder = TcpListener::bind((ip, 0)).unwrap();
    let taken = holder.local_addr().unwrap().port();
    let mut spec = ctx.spec("clash", REDIS, json!({}));
    spec.ports = vec![port("db", ip, taken, 6379)];
    let err = driver.start(&spec).await.unwrap_err();
    assert!(matches!(err, DriverError::Recoverable(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("failed to start container: "),
        "{err}"
    );
    assert!(!ctx.exists(&spec.instance_name).await);
    drop(holder);
}
