//! Counters and samples: lock-free counts, a short lock per sample.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A count since start.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Count, sum, min, max and sum of squares of observed values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampleStats {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub sum_sq: f64,
}

impl SampleStats {
    fn observe(&mut self, v: f64) {
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        if self.count == 0 || v > self.max {
            self.max = v;
        }
        self.count += 1;
        self.sum += v;
        self.sum_sq += v * v;
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// Sample standard deviation, as go-metrics computes it.
    pub fn stddev(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let n = self.count as f64;
        let var = (self.sum_sq - self.sum * self.sum / n) / (n - 1.0);
        var.max(0.0).sqrt()
    }
}

/// Observed durations (milliseconds).
#[derive(Default)]
pub struct Sample(Mutex<SampleStats>);

impl Sample {
    pub fn observe(&self, d: Duration) {
        self.observe_ms(d.as_secs_f64() * 1000.0);
    }
    pub fn observe_ms(&self, ms: f64) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).observe(ms);
    }
    pub fn stats(&self) -> SampleStats {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Samples by label values (a bounded set: routes, not raw paths).
#[derive(Default)]
pub struct LabeledSamples(Mutex<BTreeMap<Vec<(String, String)>, SampleStats>>);

impl LabeledSamples {
    pub fn observe(&self, labels: Vec<(String, String)>, d: Duration) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(labels)
            .or_default()
            .observe(d.as_secs_f64() * 1000.0);
    }
    pub fn stats(&self) -> Vec<(Vec<(String, String)>, SampleStats)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_follow_the_values() {
        let s = Sample::default();
        for v in [2.0, 4.0, 6.0] {
            s.observe_ms(v);
        }
        let st = s.stats();
        assert_eq!((st.count, st.min, st.max), (3, 2.0, 6.0));
        assert!((st.mean() - 4.0).abs() < 1e-9);
        assert!((st.stddev() - 2.0).abs() < 1e-9);
    }
}
