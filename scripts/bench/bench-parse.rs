//! How job file parsing, validation and JSON decoding scale with the size of
//! a job: a generated job of N groups (each like the seed's `cache` group,
//! one redis task) is parsed, canonicalised and validated, then encoded and
//! decoded as the API's JSON. Prints milliseconds per step and the size.
//!
//! `cargo run --release --example bench-parse -- 1000 10000` (also run by
//! `scripts/bench-heartbeat-load.sh`)

use std::time::Instant;

use drover::jobspec;
use drover::structs::Job;

fn job_file(groups: usize) -> String {
    let mut s = String::from("job \"big\" {\n  datacenters = [\"dc1\"]\n  type = \"service\"\n");
    s.push_str("  update { stagger = \"10s\"  max_parallel = 1 }\n");
    for g in 0..groups {
        s.push_str(&format!(
            r#"  group "g{g}" {{
    count = 1
    restart {{ attempts = 10  interval = "5m"  delay = "25s"  mode = "delay" }}
    ephemeral_disk {{ size = 300 }}
    task "redis" {{
      driver = "docker"
      config {{
        image = "redis:3.2"
        port_map {{ db = 6379 }}
      }}
      resources {{
        cpu    = 500
        memory = 256
        network {{
          mbits = 10
          port "db" {{}}
        }}
      }}
    }}
  }}
"#
        ));
    }
    s.push_str("}\n");
    s
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    println!("groups\tKB\tparse_ms\tvalidate_ms\tjson_KB\tjson_decode_ms");
    for n in sizes {
        let src = job_file(n);
        let t = Instant::now();
        let job = match jobspec::parse("bench.nomad", &src) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("parse failed: {e}");
                std::process::exit(1);
            }
        };
        let parse_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut checked = job.clone();
        let t = Instant::now();
        jobspec::canonicalize(&mut checked);
        let valid = jobspec::validate(&checked).is_ok();
        let validate_ms = t.elapsed().as_secs_f64() * 1e3;
        let json = serde_json::to_vec(&checked).unwrap_or_default();
        let t = Instant::now();
        let decoded: Result<Job, _> = serde_json::from_slice(&json);
        let decode_ms = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{n}\t{}\t{parse_ms:.1}\t{validate_ms:.1}{}\t{}\t{decode_ms:.1}{}",
            src.len() / 1024,
            if valid { "" } else { " (invalid)" },
            json.len() / 1024,
            if decoded.is_ok() { "" } else { " (failed)" },
        );
    }
}
