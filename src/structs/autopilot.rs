//! The cluster's autopilot configuration (Nomad's `AutopilotConfiguration`),
//! set through `/v1/operator/autopilot/configuration` and kept in the
//! replicated state.
//!
//! Drover has no autopilot loop: `LastContactThreshold` and
//! `MaxTrailingLogs` decide whether `/v1/operator/autopilot/health` calls a
//! server healthy; the rest (`CleanupDeadServers`, `MinQuorum`,
//! `ServerStabilizationTime` and the Enterprise switches) is stored and
//! served only.
//!
//! Durations travel as Go duration strings (`"200ms"`), as Nomad's API
//! encodes them; a number of nanoseconds is accepted too.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::jobspec::{format_duration, parse_duration};

/// Nomad's `AutopilotConfiguration`, as served and as stored. Absent
/// fields decode as Go's zero values (a `PUT` replaces the whole
/// configuration); [`AutopilotConfiguration::initial`] is what a cluster
/// starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutopilotConfiguration {
    pub cleanup_dead_servers: bool,
    /// Nanoseconds a server may go without contact from the leader and
    /// still be healthy.
    #[serde(with = "go_duration")]
    pub last_contact_threshold: i64,
    /// Log entries a server may trail the leader by and still be healthy.
    pub max_trailing_logs: u64,
    pub min_quorum: u64,
    /// Nanoseconds.
    #[serde(with = "go_duration")]
    pub server_stabilization_time: i64,
    pub enable_redundancy_zones: bool,
    pub disable_upgrade_migration: bool,
    pub enable_custom_upgrades: bool,
    /// The Raft indexes of the entries that created and last changed the
    /// configuration (0 while it was never set).
    pub create_index: u64,
    pub modify_index: u64,
}

impl AutopilotConfiguration {
    /// Nomad's server defaults, served until a configuration is set.
    pub fn initial() -> Self {
        AutopilotConfiguration {
            cleanup_dead_servers: true,
            last_contact_threshold: 200 * 1_000_000,
            max_trailing_logs: 250,
            min_quorum: 0,
            server_stabilization_time: 10 * super::SECOND,
            ..AutopilotConfiguration::default()
        }
    }

    /// Durations must not be negative.
    pub fn validate(&self) -> Result<(), String> {
        if self.last_contact_threshold < 0 {
            return Err("LastContactThreshold must not be negative".into());
        }
        if self.server_stabilization_time < 0 {
            return Err("ServerStabilizationTime must not be negative".into());
        }
        Ok(())
    }
}

/// A duration as Go's `time.Duration.String()`, read back from that or
/// from a number of nanoseconds.
mod go_duration {
    use super::*;

    pub fn serialize<S: Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*ns))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Text(String),
        Nanos(i64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Given::deserialize(d)? {
            Given::Nanos(n) => Ok(n),
            Given::Text(t) if t.is_empty() => Ok(0),
            Given::Text(t) => parse_duration(&t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_values_and_json_shape_are_nomads() {
        let v = serde_json::to_value(AutopilotConfiguration::initial()).expect("encode");
        assert_eq!(v["CleanupDeadServers"], true);
        assert_eq!(v["LastContactThreshold"], "200ms");
        assert_eq!(v["MaxTrailingLogs"], 250);
        assert_eq!(v["MinQuorum"], 0);
        assert_eq!(v["ServerStabilizationTime"], "10s");
        assert_eq!(v["EnableRedundancyZones"], false);
        assert_eq!(v["CreateIndex"], 0);
    }

    #[test]
    fn durations_read_as_text_or_nanoseconds() {
        let c: AutopilotConfiguration =
            serde_json::from_str(r#"{"LastContactThreshold":"1s","ServerStabilizationTime":5000}"#)
                .expect("decode");
        assert_eq!(c.last_contact_threshold, 1_000_000_000);
        assert_eq!(c.server_stabilization_time, 5000);
        assert!(!c.cleanup_dead_servers, "absent is Go's zero value");
        let bad =
            serde_json::from_str::<AutopilotConfiguration>(r#"{"LastContactThreshold":"soon"}"#);
        assert!(bad.is_err());
        let back: AutopilotConfiguration =
            serde_json::from_value(serde_json::to_value(&c).expect("encode")).expect("decode");
        assert_eq!(back, c);
    }
}
