//! IDs, times and sizes as Nomad's CLI prints them.

/// The first eight characters of an ID unless `verbose`.
pub fn short_id(id: &str, verbose: bool) -> &str {
    if verbose {
        return id;
    }
    match id.char_indices().nth(8) {
        Some((i, _)) => &id[..i],
        None => id,
    }
}

fn zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Unix nanoseconds as `06/28/17 09:07:11 CEST` in the local zone, as
/// Nomad 0.5 printed `Created At`.
pub fn time_short(unix_nanos: i64) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(unix_nanos)) {
        Ok(t) if unix_nanos > 0 => t
            .to_zoned(zone())
            .strftime("%m/%d/%y %H:%M:%S %Z")
            .to_string(),
        _ => "N/A".into(),
    }
}

/// Unix nanoseconds as RFC 3339 in the local zone (`2024-05-01T10:11:12+02:00`).
pub fn time_rfc3339(unix_nanos: i64) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(unix_nanos)) {
        Ok(t) if unix_nanos > 0 => t
            .to_zoned(zone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        _ => "N/A".into(),
    }
}

/// An RFC 3339 string (as the API serves some times) as unix nanoseconds;
/// None for the zero time or a bad value.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    drover::structs::time::parse_rfc3339(s).filter(|n| *n > 0)
}

/// How long ago unix-nanosecond `then` was, keeping the two largest units
/// among d/h/m/s (`1m5s ago`, `3h2m ago`, `0s ago`).
pub fn ago(then_nanos: i64, now_nanos: i64) -> String {
    if then_nanos <= 0 {
        return "N/A".into();
    }
    let (d, suffix) = if now_nanos >= then_nanos {
        (now_nanos - then_nanos, "ago")
    } else {
        (then_nanos - now_nanos, "from now")
    };
    format!("{} {suffix}", pretty_duration(d))
}

/// A duration in nanoseconds as its two largest units (`1d2h`, `5m3s`,
/// `0s`).
pub fn pretty_duration(nanos: i64) -> String {
    let mut secs = nanos.max(0) / 1_000_000_000;
    let units = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let mut parts = Vec::new();
    for (name, size) in units {
        if secs >= size || (name == "s" && parts.is_empty()) {
            parts.push(format!("{}{name}", secs / size));
            secs %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    // Drop a trailing zero unit (`1h0m` → `1h`).
    if parts.len() == 2 && parts[1].starts_with('0') {
        parts.pop();
    }
    parts.concat()
}

/// Now, in unix nanoseconds.
pub fn now_nanos() -> i64 {
    jiff::Timestamp::now()
        .as_nanosecond()
        .try_into()
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_and_durations() {
        assert_eq!(
            short_id("8dd4be51-d9c2-fd55-a1ff-7ba8d777484c", false),
            "8dd4be51"
        );
        assert_eq!(short_id("8dd4", false), "8dd4");
        assert_eq!(pretty_duration(65_000_000_000), "1m5s");
        assert_eq!(
            pretty_duration(3 * 3_600_000_000_000 + 120_000_000_000),
            "3h2m"
        );
        assert_eq!(pretty_duration(3_600_000_000_000), "1h");
        assert_eq!(pretty_duration(0), "0s");
        assert_eq!(ago(1, 1 + 5_000_000_000), "5s ago");
    }

    #[test]
    fn times_render_in_a_zone() {
        let t = time_short(1_498_633_631_000_000_000);
        assert_eq!(
            t.len(),
            "06/28/17 09:07:11 ".len() + t.rsplit(' ').next().unwrap().len()
        );
        assert!(t.starts_with("06/2"), "{t}");
        assert_eq!(time_short(0), "N/A");
        assert_eq!(
            parse_rfc3339("2017-06-28T07:07:11Z"),
            Some(1_498_633_631_000_000_000)
        );
    }
}
