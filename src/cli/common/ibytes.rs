//! Sizes in binary units, as Nomad's CLI prints them (go-humanize's
//! `IBytes`): `0 B`, `1.0 MiB`, `256 MiB`, `7.7 GiB`.

const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// `bytes` in the largest binary unit it reaches, with one decimal below
/// ten of that unit.
pub fn ibytes(bytes: u64) -> String {
    if bytes < 10 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut scale = 1u64;
    while unit + 1 < UNITS.len() && bytes / scale >= 1024 {
        scale *= 1024;
        unit += 1;
    }
    let val = ((bytes as f64 / scale as f64) * 10.0 + 0.5).floor() / 10.0;
    if val < 10.0 {
        format!("{val:.1} {}", UNITS[unit])
    } else {
        format!("{val:.0} {}", UNITS[unit])
    }
}

/// Megabytes (as resources count them) rendered by [`ibytes`].
pub fn megabytes(mb: i64) -> String {
    ibytes(u64::try_from(mb).unwrap_or(0).saturating_mul(1024 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_units_as_nomad_prints_them() {
        assert_eq!(ibytes(0), "0 B");
        assert_eq!(ibytes(9), "9 B");
        assert_eq!(ibytes(1024), "1.0 KiB");
        assert_eq!(megabytes(1), "1.0 MiB");
        assert_eq!(megabytes(256), "256 MiB");
        assert_eq!(megabytes(7884), "7.7 GiB");
        assert_eq!(megabytes(300), "300 MiB");
        assert_eq!(megabytes(-5), "0 B");
    }
}
