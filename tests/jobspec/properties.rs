//! Property tests of the job file parser: whatever the text, parsing,
//! canonicalising and validating end in a job or an error, never a panic;
//! and a job that parses survives the API's JSON round trip.

use drover::jobspec::parse_and_validate;
use drover::structs::Job;
use proptest::prelude::*;

const SEED_FILE: &str = include_str!("good/example.nomad");
const HCL1_FILE: &str = include_str!("good/example_oneline.nomad");

/// Characters that matter to the HCL lexer and the normaliser.
const SIGNIFICANT: &[char] = &[
    '{', '}', '[', ']', '(', ')', '"', '=', '#', '/', '*', '\n', '$', '%', '<', '>', '\\', ',',
    ':', '.', '-', '0', '9', 'a', ' ', '\t', 'é', '\u{0}', '\u{1b}',
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = proptest::sample::select(SIGNIFICANT);
    prop_oneof![
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), ch).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), 1..200usize).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

/// Applies `edits` at char positions (taken modulo the text's length).
fn mutate(src: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        match *e {
            Edit::Insert(i, c) => chars.insert(i % (n + 1).min(chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Edit::Replace(i, c) if !chars.is_empty() => chars[i % n] = c,
            Edit::Duplicate(i, len) if !chars.is_empty() => {
                let start = i % n;
                let end = (start + len).min(chars.len());
                let piece: Vec<char> = chars[start..end].to_vec();
                chars.splice(end..end, piece);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn check(src: &str) {
    if let Ok(job) = parse_and_validate("prop.nomad", src) {
        let json = serde_json::to_vec(&job).expect("a parsed job encodes");
        let back: Job = serde_json::from_slice(&json).expect("and decodes");
        assert_eq!(back.id, job.id);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_job_files_never_panic(edits in proptest::collection::vec(edit(), 1..12), hcl1 in any::<bool>()) {
        let base = if hcl1 { HCL1_FILE } else { SEED_FILE };
        check(&mutate(base, &edits));
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,400}") {
        check(&src);
        check(&format!("job \"x\" {{\n{src}\n}}\n"));
    }
}
