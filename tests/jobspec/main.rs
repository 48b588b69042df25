//! The job file corpus: every `good/*.nomad` must parse, canonicalise and
//! validate, with per-file expectations below; every `bad/*.nomad` must
//! fail with the text of its first line (`# expect: <substring>`), name the
//! file and a line (and the exact line when a `# line: N` comment follows).

use std::fs;
use std::path::{Path, PathBuf};

use drover::jobspec::{canonicalize, parse, parse_and_validate, to_json, validate};
use drover::structs::{Job, SECOND};
use serde_json::json;

mod expectations;
mod properties;

fn corpus(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/jobspec")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "nomad"))
        .collect();
    files.sort();
    files
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn load(p: &Path) -> (String, String) {
    let src = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (name_of(p), src)
}

#[test]
fn good_files_parse_validate_and_match_expectations() {
    let files = corpus("good");
    assert!(files.len() >= 8, "corpus too small: {files:?}");
    for p in files {
        let (name, src) = load(&p);
        let job = parse_and_validate(&name, &src).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Canonicalisation is idempotent and keeps the job valid.
        let mut again = job.clone();
        canonicalize(&mut again);
        assert_eq!(again, job, "{name}: canonicalize is not idempotent");
        validate(&again).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The JSON form round-trips through the model.
        let back: Job = serde_json::from_value(to_json(&job)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, job, "{name}: JSON round trip");
        let checked = expectations::check(&name, &job);
        assert!(checked, "{name}: no expectations written for this file");
    }
}

#[test]
fn bad_files_fail_with_their_expected_message() {
    let files = corpus("bad");
    assert!(files.len() >= 20, "corpus too small: {files:?}");
    for p in files {
        let (name, src) = load(&p);
        let mut lines = src.lines();
        let expect = lines
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: ...`"))
            .trim();
        let want_line: Option<usize> = lines
            .next()
            .and_then(|l| l.strip_prefix("# line: "))
            .and_then(|n| n.trim().parse().ok());
        let err = match parse_and_validate(&name, &src) {
            Ok(job) => panic!("{name}: parsed, but expected an error: {job:?}"),
            Err(e) => e,
        };
        let text = err.to_string();
        assert!(text.contains(expect), "{name}: {text:?} lacks {expect:?}");
        assert!(
            text.contains(&format!("{name}:")),
            "{name}: {text:?} does not name the file"
        );
        assert!(err.line() >= 1, "{name}: no line in {text:?}");
        assert!(
            text.contains(&format!("{name}:{}", err.line())),
            "{name}: {text:?} does not show line {}",
            err.line()
        );
        if let Some(l) = want_line {
            assert_eq!(err.line(), l, "{name}: wrong line in {text:?}");
        }
    }
}

#[test]
fn example_variants_agree() {
    let read = |n: &str| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/jobspec/good")
            .join(n);
        let (name, src) = load(&p);
        parse_and_validate(&name, &src).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let eu = read("example_eu.nomad");
    let oneline = read("example_oneline.nomad");
    assert_eq!(eu, oneline, "the HCL1 one-line form must decode the same");
    let mut dc1 = read("example.nomad");
    dc1.datacenters = eu.datacenters.clone();
    assert_eq!(dc1, eu);
}

#[test]
fn parse_alone_does_not_apply_defaults() {
    let src =
        "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"exec\"\n    }\n  }\n}\n";
    let job = parse("x.nomad", src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(job.region, "");
    assert_eq!(job.task_groups[0].tasks[0].resources, None);
    let job = parse_and_validate("x.nomad", src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(job.region, "global");
    assert_eq!(job.namespace, "default");
    assert_eq!(job.datacenters, vec!["*"]);
    assert_eq!(job.node_pool, "default");
    let t = &job.task_groups[0].tasks[0];
    let r = t.resources.clone().unwrap_or_default();
    assert_eq!((r.cpu, r.memory_mb), (100, 300));
    assert_eq!(t.kill_timeout, 5 * SECOND);
    assert_eq!(
        to_json(&job)["TaskGroups"][0]["EphemeralDisk"],
        json!({"Sticky": false, "SizeMB": 300, "Migrate": false})
    );
}

#[test]
fn json_jobs_are_canonicalized_too() {
    let mut v = json!({
        "ID": "api", "TaskGroups": [{"Name": "g", "Count": 2,
          "Update": {"Canary": 1},
          "Tasks": [{"Name": "t", "Driver": "docker", "Config": {"image": "x"},
                     "Resources": {"CPU": 250}}]}]
    });
    drover::structs::strip_nulls(&mut v);
    let mut job: Job = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    canonicalize(&mut job);
    validate(&job).unwrap_or_else(|e| panic!("{e}"));
    let g = &job.task_groups[0];
    let u = g.update.clone().unwrap_or_default();
    assert_eq!((u.canary, u.max_parallel), (1, 1));
    assert_eq!(u.healthy_deadline, 300 * SECOND);
    let r = g.tasks[0].resources.clone().unwrap_or_default();
    assert_eq!((r.cpu, r.memory_mb), (250, 300));
    let e = validate(&Job::default()).err().map(|e| e.to_string());
    let text = e.unwrap_or_default();
    assert!(
        text.starts_with("7 errors occurred:\n\t* Missing job region\n"),
        "{text}"
    );
    assert!(text.ends_with("\t* Missing job task groups\n\n"), "{text}");
}

#[test]
fn mangled_files_never_panic() {
    for p in corpus("good") {
        let (name, src) = load(&p);
        // Every prefix cut at a char boundary (with a multi-byte char
        // appended so slicing near the end is exercised too).
        for (i, _) in src.char_indices().step_by(3) {
            let cut = format!("{}é\"{{", &src[..i]);
            let _ = parse_and_validate(&name, &cut);
            let _ = parse_and_validate(&name, &src[..i]);
        }
        // Every line removed in turn.
        let lines: Vec<&str> = src.lines().collect();
        for skip in 0..lines.len() {
            let mut s = String::new();
            for (i, l) in lines.iter().enumerate() {
                if i != skip {
                    s.push_str(l);
                    s.push('\n');
                }
            }
            let _ = parse_and_validate(&name, &s);
        }
        // Everything on one line, as an HCL1 user might.
        let flat = src
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join(" ");
        if !flat.contains("<<") {
            let job = parse_and_validate(&name, &flat);
            assert!(job.is_ok(), "{name} on one line: {:?}", job.err());
        }
    }
}
