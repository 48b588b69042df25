//! `/v1/vars` and `/v1/var/{path}`: writes, reads, lists by prefix and
//! namespace, and check-and-set decided in the log (409 with the variable
//! as it is).

use serde_json::{Value, json};

use crate::common::TestCluster;

fn var(items: Value) -> Value {
    json!({ "Items": items })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_with_check_and_set() {
    let c = TestCluster::start(3).await;

    // Create only if absent (cas=0), from server 1; read on server 2.
    let (status, created) = c
        .put(
            1,
            "/v1/var/app/db?cas=0",
            &var(json!({"user": "u", "pass": "p"})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["Path"], "app/db");
    assert_eq!(created["Namespace"], "default");
    assert_eq!(created["Items"]["user"], "u");
    let first = created["ModifyIndex"].as_u64().expect("index");
    assert_eq!(created["CreateIndex"].as_u64(), Some(first));
    assert!(created["CreateTime"].as_i64().unwrap_or(0) > 0);
    let (status, read) = c.get(2, "/v1/var/app/db").await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["Items"], created["Items"]);

    // A second create-if-absent conflicts with the stored variable.
    let (status, conflict) = c
        .put(0, "/v1/var/app/db?cas=0", &var(json!({"user": "x"})))
        .await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["ModifyIndex"].as_u64(), Some(first));
    assert_eq!(conflict["Items"]["user"], "u");

    // The right index wins once; the same index again conflicts.
    let (status, updated) = c
        .put(
            0,
            &format!("/v1/var/app/db?cas={first}"),
            &var(json!({"user": "v"})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let second = updated["ModifyIndex"].as_u64().expect("index");
    assert!(second > first);
    assert_eq!(updated["CreateIndex"].as_u64(), Some(first));
    let (status, conflict) = c
        .put(
            0,
            &format!("/v1/var/app/db?cas={first}"),
            &var(json!({"user": "w"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(conflict["ModifyIndex"].as_u64(), Some(second));

    // CAS against a variable that does not exist: an empty one at the path.
    let (status, conflict) = c
        .put(0, "/v1/var/none?cas=7", &var(json!({"a": "b"})))
        .await;
    assert_eq!(status, 409);
    assert_eq!(conflict["Path"], "none");
    assert_eq!(conflict["ModifyIndex"], 0);

    // A plain write overwrites.
    let (status, _) = c.put(0, "/v1/var/app/cache", &var(json!({"k": "1"}))).await;
    assert_eq!(status, 200);
    let (status, _) = c.put(0, "/v1/var/other", &var(json!({"k": "1"}))).await;
    assert_eq!(status, 200);

    // Lists: metadata only, by prefix, paginated.
    let (status, list) = c.get(0, "/v1/vars?prefix=app/").await;
    assert_eq!(status, 200, "{list}");
    let paths: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["Path"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(paths, ["app/cache", "app/db"]);
    assert!(list[0].get("Items").is_none(), "{list}");
    let page = c
        .client
        .get(c.url(0, "/v1/vars?per_page=1"))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        page.headers()["X-Nomad-NextToken"].to_str().ok(),
        Some("default.app/db")
    );

    // Delete with a stale index conflicts; with the current one it goes.
    let (status, _) = c.delete(0, &format!("/v1/var/app/db?cas={first}")).await;
    assert_eq!(status, 409);
    let resp = c
        .client
        .delete(c.url(0, &format!("/v1/var/app/db?cas={second}")))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status().as_u16(), 204);
    let (status, body) = c.get(0, "/v1/var/app/db").await;
    assert_eq!(
        (status, body),
        (404, Value::String("variable not found".into()))
    );

    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_variables_are_refused_whole() {
    let c = TestCluster::start(1).await;
    for (path, body, want) in [
        ("/v1/var/a.b", var(json!({"k": "v"})), "invalid path"),
        ("/v1/var/a/..b", var(json!({"k": "v"})), "invalid path"),
        ("/v1/var/a%0Ab", var(json!({"k": "v"})), "invalid path"),
        ("/v1/var/nomad", var(json!({"k": "v"})), "reserved"),
        ("/v1/var/ok", json!({}), "missing required Items"),
        (
            "/v1/var/ok?cas=abc",
            var(json!({"k": "v"})),
            "can not parse cas",
        ),
        (
            "/v1/var/ok?lock-acquire",
            var(json!({"k": "v"})),
            "locks are not supported",
        ),
        (
            "/v1/var/ok",
            var(json!({"k": "x".repeat(70_000)})),
            "limited to 64KiB",
        ),
        (
            "/v1/var/ok?namespace=nowhere",
            var(json!({"k": "v"})),
            "does not exist",
        ),
    ] {
        let (status, body) = c.put(0, path, &body).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.to_string().contains(want), "{path}: {body}");
    }
    let (_, list) = c.get(0, "/v1/vars?namespace=*").await;
    assert_eq!(list, json!([]));
    c.shutdown().await;
}
