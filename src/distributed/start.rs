//! The common start of a distributed run: `--start-at` parsed (RFC 3339 or Unix seconds) into
//! nanoseconds since the Unix epoch, and mapped onto this process's monotonic clock
//! (crate::clock), which is what the schedule runs on. The wall clock is read only here.
use crate::clock::now_ns;

/// `2026-01-31T12:00:00Z`, `2026-01-31T12:00:00.250+01:00`, `1769860800` or `1769860800.25`:
/// nanoseconds since the Unix epoch.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let hint = "give RFC 3339 (2026-01-31T12:00:00Z, 2026-01-31T13:00:00.5+01:00) or Unix seconds (1769860800)";
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return unix_seconds(s).ok_or_else(|| format!("'{s}' is not a time: {hint}"));
    }
    rfc3339(s).ok_or_else(|| format!("'{s}' is not a time: {hint}"))
}

fn unix_seconds(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: u64 = whole.parse().ok()?;
    Some(secs.checked_mul(1_000_000_000)? + fraction_ns(frac)?)
}

/// ".25" → 250 000 000 ns: at most 9 digits.
fn fraction_ns(frac: &str) -> Option<u64> {
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{frac:0<9}");
    digits.parse().ok()
}

fn rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes().all(|c| c.is_ascii_digit()).then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ok = (1..=12).contains(&mo) && d >= 1 && d <= days_in_month(y, mo) && h < 24 && mi < 60 && sec < 61;
    if !ok {
        return None;
    }
    let rest = &s[19..];
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => r.split_at(r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len())),
        None => ("", rest),
    };
    let offset_s = zone_offset(zone)?;
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3_600 + mi * 60 + sec.min(59) - offset_s;
    let secs = u64::try_from(secs).ok()?;
    Some(secs * 1_000_000_000 + fraction_ns(frac)?)
}

/// `Z` → 0; `+01:00` → 3600; `-05:30` → −19800.
fn zone_offset(z: &str) -> Option<i64> {
    if z == "Z" || z == "z" {
        return Some(0);
    }
    let (sign, hm) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let (h, m) = hm.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(sign * (h * 3_600 + m * 60))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][(m - 1) as usize]
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds since the Unix epoch as RFC 3339 UTC with milliseconds: `2026-01-31T12:00:00.250Z`.
pub fn format_time(unix_ns: u64) -> String {
    let secs = (unix_ns / 1_000_000_000) as i64;
    let ms = unix_ns % 1_000_000_000 / 1_000_000;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z", rem / 3_600, rem % 3_600 / 60, rem % 60)
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Wall-clock nanoseconds since the Unix epoch.
pub fn wall_now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// The wall-clock/monotonic offset, read as the closest of a few bracketed reads.
#[derive(Clone, Copy, Debug)]
pub struct ClockMap {
    /// wall − monotonic, ns.
    pub offset_ns: i128,
    /// Half the bracket of the best read.
    pub uncertainty_ns: u64,
}

impl ClockMap {
    pub fn read() -> ClockMap {
        let mut best = ClockMap { offset_ns: 0, uncertainty_ns: u64::MAX };
        for _ in 0..5 {
            let a = now_ns();
            let w = wall_now_ns();
            let b = now_ns();
            let half = (b - a) / 2;
            if half < best.uncertainty_ns {
                best = ClockMap { offset_ns: w as i128 - (a + half) as i128, uncertainty_ns: half };
            }
        }
        best
    }

    /// The monotonic instant (crate::clock scale) of a wall-clock instant; before this
    /// process's clock base: 0 (the instant is long past anyway).
    pub fn monotonic(&self, unix_ns: u64) -> u64 {
        u64::try_from(unix_ns as i128 - self.offset_ns).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_unix_seconds() {
        let s = 1_000_000_000u64;
        let table = [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-01-31T12:00:00Z", 1_769_860_800 * s),
            ("2026-01-31T13:00:00+01:00", 1_769_860_800 * s),
            ("2026-01-31T06:30:00.25-05:30", 1_769_860_800 * s + 250_000_000),
            ("2024-02-29T00:00:00.000000001Z", 1_709_164_800 * s + 1),
            ("1769860800", 1_769_860_800 * s),
            ("1769860800.5", 1_769_860_800 * s + 500_000_000),
        ];
        for (text, ns) in table {
            assert_eq!(parse_time(text), Ok(ns), "{text}");
        }
        for bad in ["", "tomorrow", "2026-02-30T00:00:00Z", "2026-01-31T12:00:00", "2026-01-31T24:00:00Z", "1.2.3"] {
            let e = parse_time(bad).unwrap_err();
            assert!(e.contains("RFC 3339") && !e.contains('\n'), "{bad}: {e}");
        }
    }

    #[test]
    fn formats_what_it_parses() {
        for ns in [0u64, 1_769_860_800_250_000_000, 951_782_400_000_000_000, 4_102_444_799_999_000_000] {
            assert_eq!(parse_time(&format_time(ns)), Ok(ns), "{}", format_time(ns));
        }
        assert_eq!(format_time(1_769_860_800_250_000_000), "2026-01-31T12:00:00.250Z");
    }

    #[test]
    fn maps_the_wall_clock_onto_the_monotonic_clock() {
        let map = ClockMap::read();
        let (mono, wall) = (now_ns(), wall_now_ns());
        let mapped = map.monotonic(wall + 2_000_000_000) as i128;
        // Two seconds from now on the wall clock is two seconds from now on the monotonic clock,
        // give or take the time between the reads (a VM pause of tens of ms allowed).
        assert!((mapped - (mono as i128 + 2_000_000_000)).abs() < 100_000_000, "{mapped} vs {mono}");
    }
}
