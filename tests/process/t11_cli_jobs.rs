//! The job verbs of the `drover` CLI against a real `drover agent -dev`
//! running raw_exec jobs: validate, plan, run (with placement failures),
//! status (list, prefix, ambiguity), history with diffs, revert, inspect,
//! stop and purge, with their exit codes and one-line errors.

use super::cli_support::{drover, ok, start_dev, wait_for};

fn job(id: &str, count: u32, memory: u32) -> String {
    format!(
        r#"job "{id}" {{
  datacenters = ["dc1"]
  group "g" {{
    count = {count}
    task "t" {{
      driver = "raw_exec"
      config {{
        command = "/bin/sh"
        args    = ["-c", "sleep 600"]
      }}
      resources {{
        cpu    = 100
        memory = {memory}
      }}
    }}
  }}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_verbs_against_a_dev_agent() {
    let dev = start_dev().await;
    let a = dev.addr.as_str();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("hello.nomad", &job("hello", 1, 64));
    let hello = path("hello.nomad");

    // validate: good, and bad HCL located at file:line:column.
    assert!(
        ok(a, &["job", "validate", &hello])
            .await
            .contains("Job validation successful")
    );
    write("bad.nomad", "job \"x\" {\n  group \"g\" {\n");
    let bad = drover(a, &["validate", &path("bad.nomad")]).await;
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("bad.nomad:") && bad.stderr.contains("syntax error"),
        "{}",
        bad.stderr
    );
    let plan_bad = drover(a, &["plan", &path("bad.nomad")]).await;
    assert_eq!(plan_bad.code, 255, "plan errors exit 255");

    // plan then run.
    let plan = drover(a, &["job", "plan", &hello]).await;
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(
        plan.stdout.starts_with("+ Job: \"hello\"\n"),
        "{}",
        plan.stdout
    );
    let run = ok(a, &["job", "run", "-check-index", "0", &hello]).await;
    assert!(run.contains("==> Evaluation \""), "{run}");
    let list = ok(a, &["status"]).await;
    assert!(
        list.starts_with("ID     Type     Priority  Status   Submit Date\n"),
        "{list}"
    );
    assert!(
        list.lines().any(|l| l.starts_with("hello  service  50  ")),
        "{list}"
    );

    // A second version, its diff in the history, and a revert to the first.
    write("hello.nomad", &job("hello", 2, 64));
    ok(a, &["run", &hello]).await;
    let history = ok(a, &["job", "history", "-p", "hello"]).await;
    assert!(history.starts_with("Version     = 1\n"), "{history}");
    assert!(history.contains("+/- Count: \"1\" => \"2\""), "{history}");
    assert!(history.contains("\n\nVersion     = 0\n"), "{history}");
    let revert = ok(a, &["job", "revert", "hello", "0"]).await;
    assert!(revert.contains("==> Monitoring evaluation"), "{revert}");
    // A fresh evaluation of the job as it stands, followed to its end.
    let eval = ok(a, &["job", "eval", "-force-reschedule", "hello"]).await;
    assert!(eval.contains("==> Monitoring evaluation"), "{eval}");
    assert!(eval.contains("finished with status \"complete\""), "{eval}");
    let detached = ok(a, &["job", "eval", "-detach", "hello"]).await;
    assert!(detached.starts_with("Evaluation ID: "), "{detached}");
    let inspect = ok(a, &["job", "inspect", "hello"]).await;
    let json: serde_json::Value = serde_json::from_str(&inspect).expect("inspect is JSON");
    assert_eq!(json["Job"]["Version"], 2);
    assert_eq!(json["Job"]["TaskGroups"][0]["Count"], 1);
    let current = drover(a, &["job", "revert", "hello", "2"]).await;
    assert_eq!(current.code, 1);
    assert!(
        current.stderr.contains("can't revert to current version"),
        "{}",
        current.stderr
    );
    // Scaling the job's only group: a new version with the new count.
    let scaled = ok(a, &["job", "scale", "hello", "2"]).await;
    assert!(scaled.contains("==> Monitoring evaluation"), "{scaled}");
    let inspect = ok(a, &["job", "inspect", "hello"]).await;
    assert!(inspect.contains("\"Count\": 2"), "{inspect}");
    let bad = drover(a, &["job", "scale", "hello", "many"]).await;
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("The count must be a number"),
        "{}",
        bad.stderr
    );

    // The index check, from the CLI.
    let stale = drover(a, &["run", "-check-index", "0", &hello]).await;
    assert_eq!(stale.code, 1);
    assert_eq!(
        stale.stderr.trim(),
        "Enforcing job modify index 0: job already exists\nJob not updated"
    );
    let output = ok(a, &["run", "-output", &hello]).await;
    assert!(output.starts_with("{\n    \"Job\": {"), "{output}");

    // A job that cannot be placed: exit 2 with the reasons.
    write("huge.nomad", &job("huge", 1, 100_000_000));
    let huge = drover(a, &["run", &path("huge.nomad")]).await;
    assert_eq!(huge.code, 2, "{}{}", huge.stdout, huge.stderr);
    assert!(
        huge.stdout
            .contains("finished with status \"complete\" but failed to place all allocations:"),
        "{}",
        huge.stdout
    );
    assert!(
        huge.stdout
            .contains("    Task Group \"g\" (failed to place 1 allocation):")
    );
    assert!(
        huge.stdout
            .contains("      * Dimension \"memory\" exhausted on 1 nodes"),
        "{}",
        huge.stdout
    );

    // Prefixes: one match, several, none.
    let by_prefix = ok(a, &["status", "hell"]).await;
    assert!(
        by_prefix.starts_with("ID            = hello\n"),
        "{by_prefix}"
    );
    write("hello2.nomad", &job("hello2", 1, 64));
    ok(a, &["run", "-detach", &path("hello2.nomad")]).await;
    let many = drover(a, &["job", "status", "hello2x"]).await;
    assert_eq!(many.code, 1);
    let ambiguous = drover(a, &["stop", "-yes", "hel"]).await;
    assert_eq!(ambiguous.code, 1);
    assert!(
        ambiguous
            .stderr
            .starts_with("Prefix \"hel\" matched multiple jobs"),
        "{}",
        ambiguous.stderr
    );

    // stop -purge forgets; stop keeps the job as stopped.
    ok(a, &["stop", "-purge", "hello2"]).await;
    let gone = drover(a, &["status", "hello2"]).await;
    assert_eq!(gone.code, 1, "{}", gone.stdout);
    let eval = ok(a, &["stop", "-detach", "hello"]).await;
    assert_eq!(eval.trim().len(), 36, "the evaluation ID: {eval}");
    wait_for("the job to be dead", || async {
        let s = drover(a, &["status", "-short", "hello"]).await;
        s.stdout
            .contains("Status        = dead (stopped)")
            .then_some(())
    })
    .await;
}
