//! A job's `periodic` block, read from its free-form JSON, and the cron
//! arithmetic behind launches.
//!
//! Cron expressions are read as Nomad's (gorhill/cronexpr) reads them:
//! 5 fields (minute to weekday), 6 (a year after them) or 7 (seconds
//! first, year last), and the `@hourly`-style nicknames; croner does the
//! matching, in the block's `time_zone` (default UTC) through jiff.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde_json::Value;

use super::Job;

/// A job's periodic settings.
#[derive(Clone, Debug)]
pub struct PeriodicConfig {
    pub enabled: bool,
    /// `cron` and `crons` together.
    pub specs: Vec<String>,
    pub prohibit_overlap: bool,
    /// The IANA zone name; empty is UTC.
    pub time_zone: String,
}

/// The suffix of a periodic child's ID before its launch time.
pub const PERIODIC_LAUNCH_SUFFIX: &str = "/periodic-";

impl PeriodicConfig {
    /// The job's periodic block, if it has one.
    pub fn of(job: &Job) -> Option<PeriodicConfig> {
        job.periodic.as_ref().map(Self::from_json)
    }

    pub fn from_json(v: &Value) -> PeriodicConfig {
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut specs = Vec::new();
        let spec = text("Spec");
        if !spec.is_empty() {
            specs.push(spec);
        }
        if let Some(list) = v.get("Specs").and_then(Value::as_array) {
            specs.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
        }
        PeriodicConfig {
            enabled: v.get("Enabled").and_then(Value::as_bool).unwrap_or(true),
            specs,
            prohibit_overlap: v
                .get("ProhibitOverlap")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            time_zone: text("TimeZone"),
        }
    }

    pub fn zone(&self) -> Result<TimeZone, String> {
        if self.time_zone.is_empty() || self.time_zone == "UTC" {
            return Ok(TimeZone::UTC);
        }
        TimeZone::get(&self.time_zone)
            .map_err(|e| format!("Invalid time zone {:?}: {e}", self.time_zone))
    }

    fn crons(&self) -> Result<Vec<Cron>, String> {
        self.specs.iter().map(|s| parse_cron(s)).collect()
    }

    /// Nomad's checks of a periodic block: a spec is given, each parses,
    /// the zone exists, and each fires at some time after `now`.
    pub fn validate(&self, now_nanos: i64) -> Result<(), String> {
        if self.specs.is_empty() {
            return Err("Must specify a spec".into());
        }
        let zone = self.zone()?;
        for spec in &self.specs {
            let cron = parse_cron(spec)?;
            let from = zoned(now_nanos, &zone)?;
            if cron.find_next_occurrence(&from, false).is_err() {
                return Err(format!(
                    "Invalid cron spec {spec:?}: it never fires after the current time"
                ));
            }
        }
        Ok(())
    }

    /// The first launch strictly after `after` (unix ns), over every spec.
    pub fn next_after(&self, after_nanos: i64) -> Option<i64> {
        let zone = self.zone().ok()?;
        let from = zoned(after_nanos, &zone).ok()?;
        self.crons()
            .ok()?
            .iter()
            .filter_map(|c| c.find_next_occurrence(&from, false).ok())
            .map(|z| nanos(&z))
            .min()
    }

    /// The latest launch at or before `at` (unix ns), over every spec.
    pub fn latest_at_or_before(&self, at_nanos: i64) -> Option<i64> {
        let zone = self.zone().ok()?;
        let from = zoned(at_nanos, &zone).ok()?;
        self.crons()
            .ok()?
            .iter()
            .filter_map(|c| c.find_previous_occurrence(&from, true).ok())
            .map(|z| nanos(&z))
            .max()
    }
}

fn zoned(unix_nanos: i64, zone: &TimeZone) -> Result<Zoned, String> {
    Timestamp::from_nanosecond(i128::from(unix_nanos))
        .map(|t| t.to_zoned(zone.clone()))
        .map_err(|e| format!("time out of range: {e}"))
}

fn nanos(z: &Zoned) -> i64 {
    i64::try_from(z.timestamp().as_nanosecond()).unwrap_or(i64::MAX)
}

/// One cron expression, with Nomad's field counts.
pub fn parse_cron(spec: &str) -> Result<Cron, String> {
    let trimmed = spec.trim();
    let fields = trimmed.split_whitespace().count();
    // croner reads a year only after seconds: six fields (a year after
    // the five) become seven with second 0.
    let mut text = trimmed.to_string();
    let (seconds, year) = match fields {
        _ if trimmed.starts_with('@') => (Seconds::Disallowed, Year::Disallowed),
        5 => (Seconds::Disallowed, Year::Disallowed),
        6 => {
            text = format!("0 {trimmed}");
            (Seconds::Required, Year::Required)
        }
        7 => (Seconds::Required, Year::Required),
        n => {
            return Err(format!(
                "Invalid cron spec {spec:?}: expected 5 to 7 fields, found {n}"
            ));
        }
    };
    CronParser::builder()
        .seconds(seconds)
        .year(year)
        .build()
        .parse(&text)
        .map_err(|e| format!("Invalid cron spec {spec:?}: {e}"))
}

/// A periodic child's ID: `<parent>/periodic-<unix seconds>`.
pub fn child_id(parent: &str, launch_nanos: i64) -> String {
    format!(
        "{parent}{PERIODIC_LAUNCH_SUFFIX}{}",
        launch_nanos.div_euclid(1_000_000_000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn cfg(spec: &str, zone: &str) -> PeriodicConfig {
        PeriodicConfig {
            enabled: true,
            specs: vec![spec.into()],
            prohibit_overlap: false,
            time_zone: zone.into(),
        }
    }

    /// 2026-12-04T10:00:30Z.
    const T: i64 = 1_796_378_430 * S;

    #[test]
    fn five_field_crons_fire_on_the_minute() {
        let c = cfg("*/15 * * * *", "");
        assert_eq!(c.next_after(T), Some((1_796_378_400 + 900) * S));
        assert_eq!(c.latest_at_or_before(T), Some(1_796_378_400 * S));
        assert_eq!(c.validate(T), Ok(()));
    }

    #[test]
    fn nicknames_seconds_and_years_as_nomad_reads_them() {
        assert_eq!(cfg("@hourly", "").next_after(T), Some(1_796_382_000 * S));
        // 7 fields: seconds first, year last.
        assert_eq!(
            cfg("10 * * * * * *", "").next_after(T),
            Some((1_796_378_430 + 40) * S)
        );
        // 6 fields: a year after the five; 2020 has passed.
        let past = cfg("0 0 1 1 * 2020", "");
        assert!(past.validate(T).is_err());
        assert!(cfg("0 0 1 1 * 2030", "").validate(T).is_ok());
    }

    #[test]
    fn time_zones_move_the_launch() {
        // 09:00 in Berlin is 08:00 UTC in December.
        let berlin = cfg("0 9 * * *", "Europe/Berlin");
        assert_eq!(
            berlin.next_after(T),
            Some((1_796_378_400 - 7_200 + 86_400) * S)
        );
        assert!(cfg("0 9 * * *", "Mars/Olympus").validate(T).is_err());
    }

    #[test]
    fn bad_specs_are_refused_with_the_spec() {
        for bad in ["", "* * *", "61 * * * *", "a b c d e", "* * 31 2 *"] {
            let e = cfg(bad, "").validate(T);
            assert!(e.is_err(), "{bad:?}");
        }
        let none = PeriodicConfig {
            specs: vec![],
            ..cfg("", "")
        };
        assert_eq!(none.validate(T), Err("Must specify a spec".into()));
    }

    #[test]
    fn child_ids_carry_the_launch_second() {
        assert_eq!(child_id("report", T + 5), "report/periodic-1796378430");
    }
}
