//! Human units for flags and plans: durations (`250ms`, `10s`, `2m`, `1h`), rates (`20k`, `1.5M`,
//! `0.5`) and counts. Pure parsing; errors say what was expected.
use std::fmt;

/// A positive rational number of requests per second, exact (no float drift in the schedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    pub fn per_sec(self) -> f64 {
        self.num as f64 / self.den as f64
    }
    pub fn from_int(r: u64) -> Rate {
        Rate { num: r, den: 1 }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.num.is_multiple_of(self.den) {
            return write!(f, "{}", self.num / self.den);
        }
        // An exact short decimal as it is (0.5, 2.5); a repeating one (2/min) to 5 places.
        let v = self.per_sec();
        let exact = format!("{v}");
        if exact.len() <= 8 { write!(f, "{exact}") } else { write!(f, "{}", format!("{v:.5}").trim_end_matches('0')) }
    }
}

/// Splits "1.5M" into an exact decimal (mantissa, decimal places) and a suffix.
fn decimal(s: &str) -> Option<(u128, u32, &str)> {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 9 || frac.contains('.') {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mantissa: u128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    Some((mantissa, frac.len() as u32, suffix))
}

/// A non-negative decimal exponent, `e12` or `E+3`: 12, 3.
fn exponent(suffix: &str) -> Option<u32> {
    let d = suffix.strip_prefix(['e', 'E'])?;
    let d = d.strip_prefix('+').unwrap_or(d);
    (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.parse().unwrap_or(u32::MAX))
}

/// Splits a rate's unit off: `/s` (or none), `/min`, `/h`; the seconds that unit is.
fn per_unit(s: &str) -> (&str, u128) {
    let t = s.trim();
    match (t.strip_suffix("/min"), t.strip_suffix("/h")) {
        (Some(n), _) => (n, 60),
        (_, Some(n)) => (n, 3600),
        _ => (t.trim_end_matches("/s"), 1),
    }
}

/// `20000`, `20k`, `1.5M`, `0.5`, `2e3`, optionally followed by `/s`; or per minute or hour
/// (`2/min`, `120/h`: a health check every 30 s). Must be > 0.
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let (t, per) = per_unit(s);
    let bad =
        || format!("'{s}' is not a rate: use a positive number of requests per second such as 500, 20k, 1.5M or 0.5");
    let (mantissa, places, suffix) = decimal(t).ok_or_else(bad)?;
    let too_large = || format!("rate '{s}' is too large");
    let mult: u128 = match (suffix, exponent(suffix)) {
        ("", _) => 1,
        ("k" | "K", _) => 1_000,
        ("m" | "M", _) => 1_000_000,
        (_, Some(e)) => 10u128.checked_pow(e).ok_or_else(too_large)?,
        _ => return Err(bad()),
    };
    let mut num = mantissa.checked_mul(mult).ok_or_else(too_large)?;
    let mut den = 10u128.pow(places) * per;
    let g = gcd(num, den);
    if num == 0 {
        return Err(format!("rate '{s}' must be greater than zero"));
    }
    num /= g;
    den /= g;
    if num > u64::MAX as u128 / 1_000_000_000 {
        return Err(too_large());
    }
    Ok(Rate { num: num as u64, den: den as u64 })
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `250ms`, `10s`, `1.5s`, `2m`, `1h`, `500us`; a bare number is seconds. Returns nanoseconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("'{s}' is not a duration: use a number with a unit, such as 250ms, 10s, 2m or 1h");
    let (mantissa, places, suffix) = decimal(t).ok_or_else(bad)?;
    let unit_ns: u128 = match suffix {
        "" | "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "us" | "µs" => 1_000,
        "ns" => 1,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(bad()),
    };
    let ns = mantissa * unit_ns / 10u128.pow(places);
    u64::try_from(ns).map_err(|_| format!("duration '{s}' is too long"))
}

/// Formats nanoseconds the way latency tables read best: `812us`, `1.23ms`, `4.56s`.
pub fn fmt_ns(ns: u64) -> String {
    let v = ns as f64;
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.2}us", v / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2}ms", v / 1e6)
    } else {
        format!("{:.2}s", v / 1e9)
    }
}

/// Durations as people write them: `250ms`, `10s`, `1m30s`, `4h`.
pub fn duration_text(ns: u64) -> String {
    use std::fmt::Write as _;
    const S: u64 = 1_000_000_000;
    if ns == 0 {
        return "0s".into();
    }
    if ns < S {
        return if ns.is_multiple_of(1_000_000) { format!("{}ms", ns / 1_000_000) } else { fmt_ns(ns) };
    }
    let (h, m, s, frac) = (ns / (3600 * S), ns / (60 * S) % 60, ns / S % 60, ns % S);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if s > 0 || frac > 0 {
        if frac > 0 {
            let f = format!("{:.3}", frac as f64 / S as f64);
            let _ = write!(out, "{s}{}s", f.trim_start_matches('0').trim_end_matches('0'));
        } else {
            let _ = write!(out, "{s}s");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        for (s, num, den) in [
            ("20000", 20000, 1),
            ("20k", 20000, 1),
            ("1.5M", 1_500_000, 1),
            ("0.5", 1, 2),
            ("2.5", 5, 2),
            ("100/s", 100, 1),
            ("0.001", 1, 1000),
            ("2e3", 2000, 1),
            ("1.5E+2", 150, 1),
            ("2/min", 1, 30),
            ("120/h", 1, 30),
            ("1.5/min", 1, 40),
        ] {
            assert_eq!(parse_rate(s).unwrap(), Rate { num, den }, "{s}");
        }
        for s in ["0", "-5", "abc", "", "5x", "1.2.3", "0.0"] {
            assert!(parse_rate(s).is_err(), "{s}");
        }
    }

    #[test]
    fn rates_print_exactly_or_to_five_places() {
        let shown: Vec<String> =
            ["500", "0.5", "0.001", "2/min", "1/h"].iter().map(|s| parse_rate(s).unwrap().to_string()).collect();
        assert_eq!(shown, ["500", "0.5", "0.001", "0.03333", "0.00028"]);
    }

    #[test]
    fn too_large_rates_say_so_in_any_notation() {
        for s in ["1e12", "1000000000000", "1E+12", "2e40", "1000000M"] {
            assert_eq!(parse_rate(s).unwrap_err(), format!("rate '{s}' is too large"), "{s}");
        }
    }

    #[test]
    fn durations() {
        for (s, ns) in [
            ("250ms", 250_000_000),
            ("10s", 10_000_000_000),
            ("2m", 120_000_000_000),
            ("1h", 3_600_000_000_000),
            ("1.5s", 1_500_000_000),
            ("30", 30_000_000_000),
            ("500us", 500_000),
        ] {
            assert_eq!(parse_duration(s).unwrap(), ns, "{s}");
        }
        for s in ["abc", "10x", "", "-1s", "ms"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
    }
}
