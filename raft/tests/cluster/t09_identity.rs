//! The server id in `node-id` must be the one the Raft data beside it was
//! written by: an edited, damaged or lost file stops the server with a
//! message naming the file, instead of starting a server that is no member
//! of its own group (it would name its former id as leader and never get one).

use std::path::PathBuf;

use crate::support::TestCluster;

/// A one-server cluster with a few writes, stopped; returns the server's id.
async fn stopped_server() -> (TestCluster, u64) {
    let mut cluster = TestCluster::start(1).await;
    cluster.wait_leader().await;
    for k in 0..5 {
        cluster.write(0, &format!("k{k}"), "v").await;
    }
    let id = cluster.node(0).id();
    cluster.stop_node(0).await;
    (cluster, id)
}

fn node_id_file(cluster: &TestCluster) -> PathBuf {
    cluster.config(0).data_dir.join("node-id")
}

/// `id` with its last digit changed.
fn one_digit_changed(id: u64) -> String {
    let mut text = id.to_string();
    let last = text.pop().and_then(|c| c.to_digit(10)).expect("a digit");
    text.push_str(&((last + 1) % 10).to_string());
    text
}

/// Changes one digit of server `id`'s `node-id` file and starts it: gives
/// the altered id and the refusal's text, which must name the file.
async fn start_with_altered_node_id(cluster: &mut TestCluster, id: u64) -> (String, String) {
    let path = node_id_file(cluster);
    let altered = one_digit_changed(id);
    std::fs::write(&path, &altered).expect("alter node-id");
    let err = cluster.try_start_node(0).await.expect_err("refused");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    (altered, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_id_with_one_digit_changed_is_refused_naming_the_file() {
    let (mut cluster, id) = stopped_server().await;
    let (altered, text) = start_with_altered_node_id(&mut cluster, id).await;
    assert!(
        text.contains(&altered) && text.contains(&id.to_string()),
        "{text}"
    );

    // The unchanged file starts the same server again, with its data.
    std::fs::write(node_id_file(&cluster), id.to_string()).expect("restore node-id");
    cluster.start_node(0).await;
    cluster.wait_leader().await;
    assert_eq!(cluster.node(0).id(), id);
    assert_eq!(cluster.wait_converged(0).await.len(), 5);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_node_id_file_is_refused_as_damaged_naming_the_file() {
    let (mut cluster, _) = stopped_server().await;
    let path = node_id_file(&cluster);
    for (bytes, says) in [
        (&[0xff, 0xfe, 0x00, 0x9c][..], "is not text"),
        (&b"12x4"[..], "\"12x4\" is not a server id"),
        (&b""[..], "\"\" is not a server id"),
    ] {
        std::fs::write(&path, bytes).expect("damage node-id");
        let err = cluster.try_start_node(0).await.expect_err("refused");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("damaged") && text.contains(says), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_id_file_is_refused_when_the_raft_data_has_an_owner() {
    let (mut cluster, id) = stopped_server().await;
    let path = node_id_file(&cluster);
    std::fs::remove_file(&path).expect("remove node-id");
    let err = cluster.try_start_node(0).await.expect_err("refused");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(
        text.contains("missing") && text.contains(&id.to_string()),
        "{text}"
    );
}

/// A database written before the server id was recorded in it: the stored
/// membership is the only witness, and it lists this address under the old id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_recorded_id_the_stored_membership_refuses_an_altered_node_id() {
    let (mut cluster, id) = stopped_server().await;
    let db_path = cluster.config(0).data_dir.join("raft");
    {
        let db = drover_storage::Db::open(&db_path).expect("open raft db");
        let meta = db.tree("raft_meta").expect("raft_meta");
        assert!(meta.get("node_id").expect("read").is_some(), "id recorded");
        meta.remove("node_id").expect("forget the recorded id");
        db.flush().expect("flush");
    }
    let (altered, text) = start_with_altered_node_id(&mut cluster, id).await;
    assert!(
        text.contains("membership") && text.contains(&altered) && text.contains(&id.to_string()),
        "{text}"
    );

    // With the right id the server starts, and records it from then on.
    std::fs::write(node_id_file(&cluster), id.to_string()).expect("restore node-id");
    cluster.start_node(0).await;
    cluster.wait_leader().await;
    cluster.stop_node(0).await;
    let db = drover_storage::Db::open(&db_path).expect("open raft db");
    let recorded = db
        .tree("raft_meta")
        .expect("raft_meta")
        .get("node_id")
        .expect("read");
    assert_eq!(recorded, Some(id.to_string().into_bytes()));
}
