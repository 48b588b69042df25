//! Error bodies say what was wrong in JSON's and HTTP's terms, never in
//! Rust's.

use crate::common::{TestCluster, job_json};

/// Words of Rust and of the libraries underneath that an answer must not show.
const INTERNAL_WORDS: [&str; 11] = [
    "struct",
    "JobRegisterRequest",
    "u64",
    "i64",
    "u32",
    "Vec",
    "sequence",
    "a map",
    "Failed to buffer",
    "length limit exceeded",
    "Invalid UTF-8 in",
];

fn assert_plain(text: &str) {
    for word in INTERNAL_WORDS {
        assert!(!text.contains(word), "{word:?} in {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_explained_in_json_terms_with_their_path() {
    let c = TestCluster::start(1).await;
    let mut count_as_text = job_json("a", 1);
    count_as_text["TaskGroups"][0]["Count"] = "three".into();
    let cases = [
        (
            serde_json::json!({"Job": "web"}),
            "Invalid request body at Job: expected an object, got a string (\"web\")",
        ),
        (
            serde_json::json!([{"Job": {}}]),
            "Invalid request body: expected an object, got an array",
        ),
        (
            serde_json::json!({"Job": count_as_text}),
            "Invalid request body at Job.TaskGroups[0].Count: expected a whole number, got a string (\"three\")",
        ),
        (
            serde_json::json!({"Job": {"ID": "a", "Datacenters": "dc1"}}),
            "Invalid request body at Job.Datacenters: expected an array, got a string (\"dc1\")",
        ),
        (
            serde_json::json!({"Job": job_json("a", 1), "JobModifyIndex": "7"}),
            "Invalid request body at JobModifyIndex: expected a whole number, got a string (\"7\")",
        ),
        (
            serde_json::json!({"Job": job_json("a", 1), "JobModifyIndex": -1}),
            "Invalid request body at JobModifyIndex: expected a whole number from 0 to 18446744073709551615, got the number -1",
        ),
        (
            serde_json::json!({"Job": {"ID": "a", "Meta": [1]}}),
            "Invalid request body at Job.Meta: expected an object, got an array",
        ),
    ];
    for (body, expected) in cases {
        let (status, text) = c.put_raw("/v1/jobs", body.to_string()).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert_eq!(text, expected, "{body}");
        assert_plain(&text);
    }
    let (_, jobs) = c.get(0, "/v1/jobs").await;
    assert_eq!(jobs.as_array().map(Vec::len), Some(0), "nothing was stored");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_bad_paths_are_refused_in_plain_words() {
    let c = TestCluster::start(1).await;
    let (status, text) = c.put_raw("/v1/jobs", vec![b' '; 5 * 1024 * 1024]).await;
    assert_eq!((status, text.as_str()), (413, "Request body exceeds 4 MiB"));

    let r = c
        .client
        .get(c.url(0, "/v1/job/%FF%FE"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.expect("body");
    assert_eq!(
        text,
        "Invalid URL: the ID in the URL path is not valid UTF-8 once percent-decoded"
    );
    assert_plain(&text);
    c.shutdown().await;
}
