//! A point-in-time copy of the metrics, in Nomad's JSON or Prometheus text.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::SampleStats;

type Labels = Vec<(String, String)>;

/// A value read at scrape time.
#[derive(Clone, Debug)]
pub struct Gauge {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
}

/// Everything one scrape shows.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub gauges: Vec<Gauge>,
    pub counters: Vec<(String, Labels, u64)>,
    pub samples: Vec<(String, Labels, SampleStats)>,
}

fn labels_json(labels: &Labels) -> Value {
    Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn sampled(name: &str, labels: &Labels, s: &SampleStats) -> Value {
    json!({
        "Name": name,
        "Count": s.count,
        "Rate": s.sum / 10.0,
        "Sum": s.sum,
        "Min": s.min,
        "Max": s.max,
        "Mean": s.mean(),
        "Stddev": s.stddev(),
        "Labels": labels_json(labels),
    })
}

impl Snapshot {
    /// Nomad's `/v1/metrics` body; `timestamp` as Go prints a UTC time.
    pub fn to_json(&self, timestamp: &str) -> Value {
        let gauges: Vec<Value> = self
            .gauges
            .iter()
            .map(|g| json!({"Name": g.name, "Value": g.value, "Labels": labels_json(&g.labels)}))
            .collect();
        let counters: Vec<Value> = self
            .counters
            .iter()
            .map(|(name, labels, n)| {
                let v = *n as f64;
                let s = SampleStats {
                    count: *n,
                    sum: v,
                    min: if *n > 0 { 1.0 } else { 0.0 },
                    max: if *n > 0 { 1.0 } else { 0.0 },
                    sum_sq: v,
                };
                sampled(name, labels, &s)
            })
            .collect();
        let samples: Vec<Value> = self
            .samples
            .iter()
            .map(|(name, labels, s)| sampled(name, labels, s))
            .collect();
        json!({
            "Timestamp": timestamp,
            "Gauges": gauges,
            "Points": [],
            "Counters": counters,
            "Samples": samples,
        })
    }
}

/// `nomad.raft.commitTime` -> `nomad_raft_commitTime`.
fn prom_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn prom_labels(labels: &Labels, extra: Option<(&str, &str)>) -> String {
    let mut all: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.extend(extra);
    if all.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = all
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{}=\"{v}\"", prom_name(k))
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// Prometheus text format 0.0.4: one `# TYPE` per metric name.
pub fn prometheus_text(s: &Snapshot) -> String {
    let mut out = String::new();
    let mut typed = std::collections::HashSet::new();
    let mut head = |out: &mut String, name: &str, kind: &str| {
        if typed.insert(name.to_string()) {
            let _ = writeln!(out, "# HELP {name} {name}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
        }
    };
    for g in &s.gauges {
        let n = prom_name(&g.name);
        head(&mut out, &n, "gauge");
        let _ = writeln!(out, "{n}{} {}", prom_labels(&g.labels, None), g.value);
    }
    for (name, labels, v) in &s.counters {
        let n = prom_name(name);
        head(&mut out, &n, "counter");
        let _ = writeln!(out, "{n}{} {v}", prom_labels(labels, None));
    }
    for (name, labels, st) in &s.samples {
        let n = prom_name(name);
        head(&mut out, &n, "summary");
        let l = prom_labels(labels, None);
        let _ = writeln!(out, "{n}_sum{l} {}", st.sum);
        let _ = writeln!(out, "{n}_count{l} {}", st.count);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_name_every_metric() {
        let s = Snapshot {
            gauges: vec![Gauge {
                name: "nomad.broker.total_ready".into(),
                labels: vec![("k".into(), "a\"b".into())],
                value: 3.0,
            }],
            counters: vec![("nomad.raft.apply".into(), vec![], 7)],
            samples: vec![(
                "nomad.raft.commitTime".into(),
                vec![],
                SampleStats {
                    count: 1,
                    sum: 2.5,
                    min: 2.5,
                    max: 2.5,
                    sum_sq: 6.25,
                },
            )],
        };
        let text = prometheus_text(&s);
        assert!(text.contains("# TYPE nomad_broker_total_ready gauge"));
        assert!(text.contains("nomad_broker_total_ready{k=\"a\\\"b\"} 3"));
        assert!(text.contains("nomad_raft_apply 7"));
        assert!(text.contains("nomad_raft_commitTime_count 1"));
        let j = s.to_json("t");
        assert_eq!(j["Gauges"][0]["Value"], 3.0);
        assert_eq!(j["Counters"][0]["Count"], 7);
        assert_eq!(j["Samples"][0]["Name"], "nomad.raft.commitTime");
    }
}
