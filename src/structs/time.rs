//! Timestamps: Unix nanoseconds inside, RFC 3339 strings where Nomad's JSON
//! has a Go `time.Time` (whose zero value is `0001-01-01T00:00:00Z`).

use serde::{Deserialize, Deserializer, Serializer};

/// Go's zero `time.Time`, which Nomad serves for "not set".
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

const NANOS: i64 = 1_000_000_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Unix nanoseconds as RFC 3339 (UTC, whole seconds).
pub fn rfc3339(nanos: i64) -> String {
    let secs = nanos.div_euclid(NANOS);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Unix nanoseconds as RFC 3339 with nanoseconds, Go's zero time for 0.
pub fn rfc3339_nanos(nanos: i64) -> String {
    if nanos == 0 {
        return ZERO_TIME.into();
    }
    let base = rfc3339(nanos);
    let frac = nanos.rem_euclid(NANOS);
    if frac == 0 {
        return base;
    }
    let digits = format!("{frac:09}");
    format!(
        "{}.{}Z",
        &base[..base.len() - 1],
        digits.trim_end_matches('0')
    )
}

/// Parses RFC 3339 (`2024-05-01T10:00:00Z`, optional fraction, `Z` or a
/// `+hh:mm` offset) into Unix nanoseconds; Go's zero time is 0.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    if s == ZERO_TIME || s.is_empty() {
        return Some(0);
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0i64;
    if let Some(after) = rest.strip_prefix('.') {
        let end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        if end == 0 {
            return None;
        }
        let digits = &after[..end.min(9)];
        frac = digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32);
        rest = &after[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    secs.checked_mul(NANOS)?.checked_add(frac)
}

/// Serde for an `i64` of Unix nanoseconds that Nomad's JSON carries as an
/// RFC 3339 string (Go's `time.Time`). Numbers are accepted too.
pub mod as_rfc3339 {
    use super::*;

    pub fn serialize<S: Serializer>(nanos: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339_nanos(*nanos))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Nanos(i64),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::Nanos(n) => Ok(n),
            Either::Text(t) => parse_rfc3339(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("{t:?} is not an RFC 3339 time"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_go_zero_time() {
        let t = 1_716_544_800_123_456_789;
        assert_eq!(rfc3339_nanos(t), "2024-05-24T10:00:00.123456789Z");
        assert_eq!(parse_rfc3339(&rfc3339_nanos(t)), Some(t));
        assert_eq!(rfc3339(t), "2024-05-24T10:00:00Z");
        assert_eq!(
            parse_rfc3339("2024-05-24T12:00:00+02:00"),
            Some(1_716_544_800 * NANOS)
        );
        assert_eq!(
            parse_rfc3339("2024-05-24T10:00:00.5Z"),
            Some(1_716_544_800 * NANOS + 500_000_000)
        );
        assert_eq!(rfc3339_nanos(0), ZERO_TIME);
        assert_eq!(parse_rfc3339(ZERO_TIME), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-05-24T10:00:00",
            "2024-05-24T10:00:00.Z",
            "2024-05-24T1a:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
