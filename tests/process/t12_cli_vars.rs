//! `drover namespace` and `drover var` against a real `drover agent -dev`:
//! create, list, show and delete namespaces; put (check-and-set by
//! default), get, list and purge variables, scoped by `-namespace`.

use super::cli_support::{drover, ok, start_dev};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_and_var_verbs() {
    let dev = start_dev().await;
    let a = dev.addr.as_str();

    let applied = ok(
        a,
        &["namespace", "apply", "-description", "team A", "team-a"],
    )
    .await;
    assert_eq!(applied.trim(), "Successfully applied namespace \"team-a\"!");
    let list = ok(a, &["namespace", "list"]).await;
    assert!(list.starts_with("Name"), "{list}");
    assert!(list.contains("default  Default shared namespace"), "{list}");
    assert!(list.contains("team-a   team A"), "{list}");
    let status = ok(a, &["namespace", "status", "team-a"]).await;
    assert!(
        status.contains("Description            = team A"),
        "{status}"
    );

    // put: created only if absent unless -force or the right -check-index.
    let put = ok(
        a,
        &[
            "var",
            "put",
            "-namespace",
            "team-a",
            "-out",
            "none",
            "app/cfg",
            "k=v",
            "n=1",
        ],
    )
    .await;
    assert!(
        put.starts_with("Created variable \"app/cfg\" with modify index"),
        "{put}"
    );
    let again = drover(a, &["var", "put", "-namespace", "team-a", "app/cfg", "k=w"]).await;
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("Check-and-Set conflict"),
        "{}",
        again.stderr
    );
    ok(
        a,
        &[
            "var",
            "put",
            "-namespace",
            "team-a",
            "-force",
            "app/cfg",
            "k=w",
        ],
    )
    .await;

    let got = ok(
        a,
        &[
            "var",
            "get",
            "-namespace",
            "team-a",
            "-out",
            "json",
            "app/cfg",
        ],
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&got).expect("json");
    assert_eq!(v["Items"], serde_json::json!({"k": "w"}));
    let item = ok(
        a,
        &[
            "var",
            "get",
            "-namespace",
            "team-a",
            "-item",
            "k",
            "app/cfg",
        ],
    )
    .await;
    assert_eq!(item.trim(), "w");
    let table = ok(
        a,
        &[
            "var",
            "get",
            "-namespace",
            "team-a",
            "-out",
            "table",
            "app/cfg",
        ],
    )
    .await;
    assert!(
        table.contains("Path        = app/cfg") && table.contains("k = w"),
        "{table}"
    );
    let missing = drover(a, &["var", "get", "app/cfg"]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("Variable not found"),
        "{}",
        missing.stderr
    );

    let listed = ok(a, &["var", "list", "-namespace", "*"]).await;
    assert!(listed.contains("team-a     app/cfg"), "{listed}");

    // The namespace holds a variable: not deleted until it is purged.
    let refused = drover(a, &["namespace", "delete", "team-a"]).await;
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("at least one variable"),
        "{}",
        refused.stderr
    );
    let index = v["ModifyIndex"].as_u64().expect("index");
    let stale = drover(
        a,
        &[
            "var",
            "purge",
            "-namespace",
            "team-a",
            "-check-index",
            &(index - 1).to_string(),
            "app/cfg",
        ],
    )
    .await;
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    let purged = ok(
        a,
        &[
            "var",
            "purge",
            "-namespace",
            "team-a",
            "-check-index",
            &index.to_string(),
            "app/cfg",
        ],
    )
    .await;
    assert_eq!(purged.trim(), "Successfully purged variable \"app/cfg\"!");
    let deleted = ok(a, &["namespace", "delete", "team-a"]).await;
    assert_eq!(deleted.trim(), "Successfully deleted namespace \"team-a\"!");
}

const PARAMETERIZED: &str = r#"job "work" {
  datacenters = ["dc1"]
  type        = "batch"
  parameterized {
    payload       = "required"
    meta_required = ["who"]
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat ${NOMAD_TASK_DIR}/input.txt; echo \" from ${NOMAD_META_who}\""]
      }
      dispatch_payload {
        file = "input.txt"
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
"#;

/// A dispatched child runs with its payload in `local/` and its meta in
/// the environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_runs_the_payload() {
    let dev = start_dev().await;
    let a = dev.addr.as_str();
    let dir = tempfile::tempdir().expect("temp dir");
    let job = dir.path().join("work.nomad");
    std::fs::write(&job, PARAMETERIZED).expect("write");
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "hello payload").expect("write");
    ok(a, &["run", "-detach", &job.display().to_string()]).await;

    let missing = drover(a, &["job", "dispatch", "-meta", "who=me", "work"]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("Payload is not provided but required"),
        "{}",
        missing.stderr
    );

    let out = ok(
        a,
        &[
            "job",
            "dispatch",
            "-meta",
            "who=me",
            "work",
            &input.display().to_string(),
        ],
    )
    .await;
    assert!(
        out.starts_with("Dispatched Job ID = work/dispatch-"),
        "{out}"
    );
    assert!(out.contains("finished with status \"complete\""), "{out}");
    let child = out
        .lines()
        .next()
        .and_then(|l| l.split(" = ").nth(1))
        .expect("child id")
        .to_string();
    let alloc = super::cli_support::wait_for("the child's allocation", || async {
        let (allocs, _) = dev
            .api
            .job_allocations(&child, &Default::default())
            .await
            .ok()?;
        allocs
            .into_iter()
            .find(|x| x.client_status == "complete")
            .map(|x| x.id)
    })
    .await;
    let logs = ok(a, &["alloc", "logs", &alloc, "t"]).await;
    assert_eq!(logs.trim(), "hello payload from me");
    let status = ok(a, &["status", "work"]).await;
    assert!(status.contains("Parameterized = true"), "{status}");
    assert!(status.contains("Payload           = required"), "{status}");
    assert!(status.contains("Parameterized Job Summary"), "{status}");
    assert!(status.contains(&format!("{child}  dead")), "{status}");
}
