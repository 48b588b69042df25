//! Query parameters read by Nomad's rules: Go booleans, `stale` without a
//! value, `wait` and `index`, pagination with `per_page` and `next_token`,
//! `filter`; and `/v1/jobs/parse` naming the job without canonicalising.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{TestCluster, job_json, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

/// GET with extra query pairs (encoded by reqwest): status, the
/// `X-Nomad-NextToken` header and the body.
async fn get_query(
    c: &TestCluster,
    path: &str,
    query: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let r = c
        .client
        .get(c.url(0, path))
        .query(query)
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    let token = r
        .headers()
        .get("X-Nomad-NextToken")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, token, body)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|j| j["ID"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Registers a job of no allocations: its evaluation places nothing and
/// leaves no blocked evaluation behind, so the lists stay as written.
async fn register(c: &TestCluster, id: &str) -> u64 {
    let (status, resp) = c
        .put(0, "/v1/jobs", &register_body(job_json(id, 0), None))
        .await;
    assert_eq!(status, 200, "{resp}");
    resp["Index"].as_u64().expect("index")
}

/// The jobs list's index once every evaluation has finished (a finished
/// evaluation moves its job's status, and so the jobs table's index).
async fn settled_jobs_index(c: &TestCluster) -> u64 {
    wait_for("evaluations to finish", Duration::from_secs(20), || async {
        let (_, evals) = c.get(0, "/v1/evaluations").await;
        let evals = evals.as_array()?.clone();
        evals
            .iter()
            .all(|e| e["Status"] == "complete")
            .then_some(())
    })
    .await;
    let r = c
        .client
        .get(c.url(0, "/v1/jobs"))
        .send()
        .await
        .expect("GET");
    r.headers()["X-Nomad-Index"]
        .to_str()
        .expect("header")
        .parse()
        .expect("number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booleans_take_go_spellings_and_unknown_parameters_are_ignored() {
    let c = TestCluster::start(1).await;
    register(&c, "a").await;
    register(&c, "b").await;

    // `purge=True` purges, as `strconv.ParseBool` reads it.
    let (status, body) = c.delete(0, "/v1/job/a?purge=True").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c.get(0, "/v1/job/a").await;
    assert_eq!(status, 404, "purged");

    // A value that is no boolean is refused, naming parameter and value,
    // and changes nothing.
    let (status, body) = c.delete(0, "/v1/job/b?purge=maybe").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!(
            "Failed to parse value of \"purge\" (maybe) as a bool: \
             strconv.ParseBool: parsing \"maybe\": invalid syntax"
        )
    );
    let (status, job) = c.get(0, "/v1/job/b").await;
    assert_eq!((status, job["Stop"].as_bool()), (200, Some(false)));

    // `stale` takes Go's booleans and means stale when it has no value.
    for q in [
        "stale=False",
        "stale=F",
        "stale=TRUE",
        "stale=1",
        "stale",
        "stale=",
    ] {
        let (status, body) = c.get(0, &format!("/v1/jobs?{q}")).await;
        assert_eq!(status, 200, "{q}: {body}");
    }
    let (status, body) = c.get(0, "/v1/jobs?stale=nope").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!("Expect `true` or `false` for `stale` query string parameter")
    );

    // Parameters no endpoint reads are ignored, on reads and writes; a
    // write does not read `wait` or `index` at all.
    let (status, _) = c.get(0, "/v1/jobs?flavour=mint&x&region=global").await;
    assert_eq!(status, 200);
    let (status, body) = c
        .delete(0, "/v1/job/b?purge=1&wait=abc&index=x&idempotency_token=t")
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c.get(0, "/v1/job/b").await;
    assert_eq!(status, 404, "purged");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_and_index_block_as_nomad_reads_them() {
    let c = TestCluster::start(1).await;
    register(&c, "first").await;
    let index = settled_jobs_index(&c).await;

    // Nothing changes: the answer comes when the wait ends.
    let started = Instant::now();
    let (status, _, _) = get_query(
        &c,
        "/v1/jobs",
        &[("wait", "200ms"), ("index", &index.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));

    // `wait=5s&index=N`: a registration answers the query before the wait.
    let url = c.url(0, &format!("/v1/jobs?wait=5s&index={index}"));
    let client = c.client.clone();
    let waiter = tokio::spawn(async move {
        let r = client.get(url).send().await.expect("GET");
        let idx: u64 = r.headers()["X-Nomad-Index"]
            .to_str()
            .expect("header")
            .parse()
            .expect("number");
        let body: Value = r.json().await.expect("json");
        (idx, body)
    });
    let started = Instant::now();
    let new_index = register(&c, "second").await;
    let (idx, body) = waiter.await.expect("waiter");
    assert!(idx >= new_index && idx > index, "{idx} after {new_index}");
    assert_eq!(ids(&body), ["first", "second"]);
    assert!(started.elapsed() < Duration::from_secs(5));

    // Refusals, in Nomad's words.
    for (q, text) in [
        ("wait=abc", "Invalid wait time"),
        ("wait=5", "Invalid wait time"),
        ("wait=5s&index=-1", "Invalid index"),
        ("index=abc", "Invalid index"),
        (
            "per_page=two",
            "Expect a number for `per_page` query string parameter",
        ),
    ] {
        let (status, body) = c.get(0, &format!("/v1/jobs?{q}")).await;
        assert_eq!((status, body), (400, json!(text)), "{q}");
    }
    // `wait=0` is the default wait, not an immediate answer; with no
    // `index` nothing blocks.
    let (status, _) = c.get(0, "/v1/jobs?wait=0").await;
    assert_eq!(status, 200);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paginated_with_next_tokens() {
    let c = TestCluster::start(1).await;
    for id in ["j1", "j2", "j3", "j4", "j5"] {
        register(&c, id).await;
    }

    // Jobs: `<namespace>.<id>` tokens, the next page's first job.
    let (status, token, page) = get_query(&c, "/v1/jobs", &[("per_page", "2")]).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), ["j1", "j2"]);
    assert_eq!(token.as_deref(), Some("default.j3"));
    let (_, token, page) = get_query(
        &c,
        "/v1/jobs",
        &[("per_page", "2"), ("next_token", "default.j3")],
    )
    .await;
    assert_eq!(ids(&page), ["j3", "j4"]);
    assert_eq!(token.as_deref(), Some("default.j5"));
    let (_, token, page) = get_query(
        &c,
        "/v1/jobs",
        &[("per_page", "2"), ("next_token", "default.j5")],
    )
    .await;
    assert_eq!(ids(&page), ["j5"]);
    assert_eq!(token, None, "the last page has no next token");
    let (_, token, page) =
        get_query(&c, "/v1/jobs", &[("per_page", "2"), ("reverse", "true")]).await;
    assert_eq!(ids(&page), ["j5", "j4"]);
    assert_eq!(token.as_deref(), Some("default.j3"));

    // `filter` (go-bexpr) selects; one that cannot be read is a 400.
    let (status, _, page) = get_query(&c, "/v1/jobs", &[("filter", r#"ID == "j2""#)]).await;
    assert_eq!((status, ids(&page)), (200, vec!["j2".to_string()]));
    let (status, _, _) = get_query(&c, "/v1/jobs", &[("filter", "ID ==")]).await;
    assert_eq!(status, 400);

    // Evaluations: `<create index>.<id>` tokens; walking the pages gives
    // every evaluation once, in create order.
    let (_, _, all) = get_query(&c, "/v1/evaluations", &[]).await;
    let all = ids(&all);
    assert_eq!(all.len(), 5);
    let mut walked = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..10 {
        let mut query = vec![("per_page", "2")];
        if let Some(t) = next.as_deref() {
            query.push(("next_token", t));
        }
        let (status, token, page) = get_query(&c, "/v1/evaluations", &query).await;
        assert_eq!(status, 200);
        assert!(ids(&page).len() <= 2);
        walked.extend(ids(&page));
        if let Some(t) = &token {
            let (index, _) = t.split_once('.').expect("index.id");
            index.parse::<u64>().expect("a create index");
        }
        next = token;
        if next.is_none() {
            break;
        }
    }
    assert_eq!(walked, all);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_names_the_job_without_canonicalize() {
    let c = TestCluster::start(1).await;
    let hcl = r#"
job "web" {
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image = "nginx"
      }
    }
  }
}
"#;
    for canonicalize in [false, true] {
        let (status, job) = c
            .put(
                0,
                "/v1/jobs/parse",
                &json!({"JobHCL": hcl, "Canonicalize": canonicalize}),
            )
            .await;
        assert_eq!(status, 200, "{job}");
        assert_eq!(
            (job["ID"].as_str(), job["Name"].as_str()),
            (Some("web"), Some("web"))
        );
    }
    // No canonicalisation: no defaults filled in.
    let (_, job) = c.put(0, "/v1/jobs/parse", &json!({"JobHCL": hcl})).await;
    assert_eq!(job["Priority"], 0, "{job}");

    // An `id` attribute changes the ID; the label still names the job.
    let with_id = hcl.replace("job \"web\" {", "job \"web\" {\n  id = \"web-2\"");
    let (status, job) = c
        .put(0, "/v1/jobs/parse", &json!({"JobHCL": with_id}))
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(
        (job["ID"].as_str(), job["Name"].as_str()),
        (Some("web-2"), Some("web"))
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_fields_are_chosen_by_parameters() {
    let c = TestCluster::start(1).await;
    let (status, body) = c
        .put(0, "/v1/node/register", &node_json(0, "dc1", 4096))
        .await;
    assert_eq!(status, 200, "{body}");
    let mut job = seed_job(&["dc1"], 1);
    job["Meta"] = json!({"owner": "ops"});
    c.put(0, "/v1/jobs", &register_body(job, None)).await;
    wait_for("an allocation", Duration::from_secs(20), || async {
        let (_, list) = c.get(0, "/v1/allocations").await;
        (!ids(&list).is_empty()).then_some(())
    })
    .await;

    // Allocations: `TaskStates` unless `task_states=false`,
    // `AllocatedResources` only with `resources=true`.
    let (_, plain) = c.get(0, "/v1/allocations").await;
    assert!(plain[0]["TaskStates"].is_object() || plain[0]["TaskStates"].is_null());
    assert!(plain[0]["AllocatedResources"].is_null(), "{plain}");
    let (_, chosen) = c
        .get(0, "/v1/allocations?resources=T&task_states=False")
        .await;
    assert!(chosen[0]["TaskStates"].is_null(), "{chosen}");
    assert!(
        chosen[0]["AllocatedResources"]["Tasks"].is_object(),
        "{chosen}"
    );
    let (status, body) = c.get(0, "/v1/allocations?task_states=nah").await;
    assert_eq!(status, 400, "{body}");

    // Nodes: resources and the OS name on request.
    let (_, plain) = c.get(0, "/v1/nodes").await;
    assert!(plain[0]["NodeResources"].is_null() && plain[0].get("Attributes").is_none());
    let (_, chosen) = c.get(0, "/v1/nodes?resources=true&os=1").await;
    assert!(chosen[0]["NodeResources"].is_object(), "{chosen}");
    assert!(chosen[0]["Attributes"]["os.name"].is_string(), "{chosen}");
    let (status, body) = c.get(0, "/v1/nodes?os=linux").await;
    assert_eq!(status, 400);
    assert!(
        body.as_str()
            .unwrap_or_default()
            .starts_with("Failed to parse node list fields: Failed to parse value of \"os\""),
        "{body}"
    );

    // Jobs: `Meta` with `meta=true`.
    let (_, plain) = c.get(0, "/v1/jobs").await;
    assert!(plain[0]["Meta"].is_null(), "{plain}");
    let (_, chosen) = c.get(0, "/v1/jobs?meta=true").await;
    assert_eq!(chosen[0]["Meta"], json!({"owner": "ops"}));
    c.shutdown().await;
}
