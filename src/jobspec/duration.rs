//! Go duration syntax (`"10s"`, `"5m"`, `"1h30m"`, `"250ms"`, `"1.5h"`) to
//! nanoseconds, as Nomad's job files write durations.

/// Parses a Go duration string into nanoseconds.
///
/// Accepts an optional sign, then one or more `<number><unit>` pairs with
/// units `ns`, `us` (or `µs`/`μs`), `ms`, `s`, `m`, `h`; `"0"` alone is zero.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration {s:?}: expected a number and a unit, as in \"10s\"");
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map_or(rest.len(), |(i, _)| i);
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, next) = after.split_at(unit_len);
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("invalid duration {s:?}: missing unit")),
            other => return Err(format!("invalid duration {s:?}: unknown unit {other:?}")),
        };
        total += value * scale;
        rest = next;
    }
    if total > i64::MAX as f64 {
        return Err(format!("invalid duration {s:?}: too large"));
    }
    let ns = total.round() as i64;
    Ok(if negative { -ns } else { ns })
}

/// Renders nanoseconds as Go would (`10s`, `5m0s`, `1h30m0s`, `250ms`).
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let n = ns.unsigned_abs();
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", trim_frac(n, 1_000));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", trim_frac(n, 1_000_000));
    }
    let h = n / 3_600_000_000_000;
    let m = (n / 60_000_000_000) % 60;
    let s = trim_frac(n % 60_000_000_000, 1_000_000_000);
    match (h, m) {
        (0, 0) => format!("{sign}{s}s"),
        (0, _) => format!("{sign}{m}m{s}s"),
        _ => format!("{sign}{h}h{m}m{s}s"),
    }
}

fn trim_frac(n: u64, unit: u64) -> String {
    let whole = n / unit;
    let frac = n % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structs::SECOND;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("10s"), Ok(10 * SECOND));
        assert_eq!(parse_duration("5m"), Ok(300 * SECOND));
        assert_eq!(parse_duration("1h30m"), Ok(5400 * SECOND));
        assert_eq!(parse_duration("250ms"), Ok(SECOND / 4));
        assert_eq!(parse_duration("1.5h"), Ok(5400 * SECOND));
        assert_eq!(parse_duration("168h"), Ok(168 * 3600 * SECOND));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("-2s"), Ok(-2 * SECOND));
        assert_eq!(parse_duration("3us"), Ok(3000));
        assert_eq!(parse_duration("3µs"), Ok(3000));
        assert_eq!(parse_duration("7ns"), Ok(7));
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in [
            "",
            "5 minutes",
            "10",
            "s",
            "1x",
            "1.2.3s",
            "-",
            "1h 30m",
            "ééé",
            "5m✓",
        ] {
            let err = parse_duration(bad);
            assert!(err.is_err(), "{bad:?} parsed as {err:?}");
        }
        let msg = parse_duration("5 minutes").err().unwrap_or_default();
        assert!(msg.contains("\"5 minutes\""), "{msg}");
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(10 * SECOND), "10s");
        assert_eq!(format_duration(300 * SECOND), "5m0s");
        assert_eq!(format_duration(5400 * SECOND), "1h30m0s");
        assert_eq!(format_duration(SECOND / 4), "250ms");
        assert_eq!(format_duration(1500 * SECOND / 1000), "1.5s");
        assert_eq!(format_duration(0), "0s");
    }
}
