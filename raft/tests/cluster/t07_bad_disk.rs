//! A damaged data directory stops the server with its path and cause,
//! instead of serving wrong state.

use drover_raft::RaftConfig;

use crate::support::{DEADLINE, TestCluster, fast};

fn snapshotting(config: &mut RaftConfig) {
    fast(config);
    config.snapshot_every = 20;
    config.logs_to_keep = 2;
}

/// A one-server cluster with a snapshot on disk, stopped.
async fn stopped_with_snapshot() -> TestCluster {
    let mut cluster = TestCluster::start_with(1, snapshotting).await;
    cluster.wait_leader().await;
    for k in 0..50 {
        cluster.write(0, &format!("k{k}"), "v").await;
    }
    cluster
        .node(0)
        .raft()
        .wait(Some(DEADLINE))
        .metrics(|m| m.snapshot.is_some(), "snapshot taken")
        .await
        .expect("snapshot");
    cluster.stop_node(0).await;
    cluster
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_server_restarts_from_its_snapshot_and_log() {
    let mut cluster = stopped_with_snapshot().await;
    cluster.start_node(0).await;
    cluster.wait_leader().await;
    let state = cluster.wait_converged(0).await;
    assert_eq!(state.len(), 50);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_snapshot_file_stops_the_server_with_its_path() {
    let mut cluster = stopped_with_snapshot().await;
    let path = cluster.config(0).data_dir.join("snapshot.bin");
    let mut bytes = std::fs::read(&path).expect("read snapshot");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).expect("write");

    let err = cluster.try_start_node(0).await.expect_err("refused");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("checksum mismatch"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_log_database_stops_the_server_with_its_path() {
    let mut cluster = stopped_with_snapshot().await;
    let db = cluster.config(0).data_dir.join("raft");
    for entry in std::fs::read_dir(&db).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::write(&path, b"").expect("truncate");
        }
    }
    let err = cluster.try_start_node(0).await.expect_err("refused");
    let text = err.to_string();
    assert!(text.contains(&db.display().to_string()), "{text}");
    assert!(text.contains("lost its contents"), "{text}");
}

#[tokio::test]
async fn invalid_configuration_names_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = RaftConfig::new(dir.path(), "127.0.0.1:4647");
    config.bootstrap_expect = 3;
    let err = config.validate().expect_err("3 servers expected, 1 known");
    assert!(err.to_string().contains("bootstrap_expect"), "{err}");

    let mut config = RaftConfig::new(dir.path(), "no-port");
    config.bootstrap_expect = 1;
    let err = config.validate().expect_err("bad address");
    assert!(err.to_string().contains("advertise_addr"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_of_another_server_is_refused() {
    let mut cluster = TestCluster::start(1).await;
    cluster.wait_leader().await;
    let id = cluster.node(0).id();
    cluster.stop_node(0).await;
    let mut config = cluster.config(0);
    config.node_id = Some(id + 1);
    let net = cluster.net.clone();
    let err =
        drover_raft::RaftNode::start(config, crate::support::Kv::default(), net.transport("x"))
            .await
            .err()
            .expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("node_id") && text.contains(&id.to_string()),
        "{text}"
    );
}
