//! Unit tests of the HCL1 -> HCL2 pass.

use super::normalize;

fn norm(s: &str) -> String {
    normalize(s).text
}

fn parses(s: &str) -> bool {
    hcl::edit::parser::parse_body(&norm(s)).is_ok()
}

#[test]
fn one_line_block_with_two_attributes() {
    let src = "update { stagger = \"10s\"  max_parallel = 1 }\n";
    let out = norm(src);
    assert_eq!(
        out,
        "update { \nstagger = \"10s\"  \nmax_parallel = 1 \n}\n"
    );
    assert!(parses(src));
}

#[test]
fn nested_one_liners() {
    let src = "group \"g\" { count = 2  task \"t\" { driver = \"docker\" config { image = \"x\" port_map { db = 6379 } } resources { cpu = 500 memory = 256 } } }\n";
    assert!(parses(src), "{}", norm(src));
}

#[test]
fn empty_blocks_stay() {
    let src = "network {\n  mbits = 10\n  port \"db\" {}\n  port \"http\" { }\n}\n";
    assert_eq!(norm(src), src);
    let one = "network { mbits = 10 port \"db\" {} port \"b\" {} }";
    assert!(parses(one), "{}", norm(one));
}

#[test]
fn strings_with_braces_and_interpolations() {
    let src = "constraint { attribute = \"${attr.kernel.name}\"  value = \"{ a = b }\" }\n";
    let out = norm(src);
    assert!(out.contains("\"${attr.kernel.name}\""));
    assert!(out.contains("\"{ a = b }\""));
    assert!(parses(src), "{out}");
    let nested = "env { A = \"${lookup(x, \"}\")}\" B = \"$${not}\" }";
    assert!(norm(nested).contains("\"${lookup(x, \"}\")}\""));
}

#[test]
fn comments_are_copied() {
    let src = "# a { comment\njob \"x\" { // b = 1 }\n  /* c { d = 1 } */ region = \"r\" }\n";
    let out = norm(src);
    assert!(out.contains("# a { comment\n"));
    assert!(out.contains("// b = 1 }\n"));
    assert!(out.contains("/* c { d = 1 } */"));
    assert!(parses(src), "{out}");
}

#[test]
fn heredocs_are_copied() {
    let src = "template {\n  data = <<EOF\n{ a = 1 b = 2 }\n  \"unterminated\nEOF\n  destination = \"x\" }\n";
    let out = norm(src);
    assert!(out.contains("<<EOF\n{ a = 1 b = 2 }\n  \"unterminated\nEOF\n"));
    assert!(parses(src), "{out}");
}

#[test]
fn valid_hcl2_is_unchanged() {
    let src = r#"job "example" {
  datacenters = ["dc1", "dc2"]
  meta = { a = "1", b = "2" }
  x = [for s in var.list : upper(s)]
  y = { for k, v in var.map : k => v }
  group "cache" {
    count = 1 # comment
    task "redis" {
      driver = "docker"
      config {
        image = "redis:3.2"
        ports = ["db"]
        labels = [{ a = "b" }]
      }
      resources {
        cpu = 500
      }
    }
  }
}
"#;
    assert_eq!(norm(src), src);
}

#[test]
fn idempotent() {
    let cases = [
        "update { stagger = \"10s\"  max_parallel = 1 }",
        "a { b = 1, c = 2 }",
        "j \"x\" { g \"y\" { t \"z\" { r { cpu = 1 memory = 2 } } } }",
        "env = { A = \"1\" B = \"2\" }",
        "x { y = f(1) z = [1, 2] w = { a = 1 } v = true }",
    ];
    for c in cases {
        let once = norm(c);
        assert_eq!(norm(&once), once, "{c}");
        assert!(parses(c), "{c} -> {once}");
    }
}

#[test]
fn commas_between_block_items() {
    let src = "restart { attempts = 2, interval = \"30m\", mode = \"fail\" }";
    assert!(parses(src), "{}", norm(src));
}

#[test]
fn lines_map_back_to_the_source() {
    let src = "job \"x\" {\n  update { stagger = \"10s\"  max_parallel = 1 }\n  bad = \n}\n";
    let n = normalize(src);
    let offset = n.text.find("max_parallel").unwrap_or(0);
    assert_eq!(n.source_line(offset), 2);
    let offset = n.text.find("bad").unwrap_or(0);
    assert_eq!(n.source_line(offset), 3);
    // The column of `max_parallel` in the source line is 29 (1-based).
    let line = n.text[..offset].matches('\n').count();
    let _ = line;
    let mp = n.text.find("max_parallel").unwrap_or(0);
    let out_line = n.text[..mp].matches('\n').count() + 1;
    assert_eq!(n.map(out_line, 1), (2, 29));
}

#[test]
fn arbitrary_utf8_does_not_panic() {
    for s in [
        "é { ü = \"ß\" ñ = 1 }",
        "\"unterminated ✓",
        "<<",
        "<<EOF",
        "{{{{",
        "}}}}",
        "a = \"${",
        "x = <<-E\n  é\n  E",
        "/* never closed",
    ] {
        let _ = normalize(s);
    }
}

#[test]
fn quoted_keys_start_items() {
    let src = "meta = { owner = \"a\" \"cost.center\" = 42 }";
    assert!(parses(src), "{}", norm(src));
    let once = norm(src);
    assert_eq!(norm(&once), once);
    // A string value followed by `==` is an expression, not a key.
    let expr = "x { a = b == \"c\" }";
    assert!(!norm(expr).contains("\n\"c\""));
}
