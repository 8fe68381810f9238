//! SLOs as text: thresholds (`200ms`, `1%`, `100/s`), `--slo` items (`p95=200ms`,
//! `endpoint:login:p99=300ms`, `abort_if=error_rate > 5% for 10s`) and `ONSLAUGHT_SLO_*`
//! variables. Pure: errors are one line saying what was expected (the caller adds where).
use super::spec::{AbortIf, METRICS, Metric, Rule, Scope, SloSet};
use crate::units::{parse_duration, parse_rate};

/// Prefix of the environment variables read as SLOs (`ONSLAUGHT_SLO_P95=200ms`).
pub const ENV_PREFIX: &str = "ONSLAUGHT_SLO_";

/// "unknown metric `p96`" with the list of valid ones.
pub fn unknown_metric(name: &str) -> String {
    format!("unknown SLO metric `{name}`: valid metrics are {}", METRICS.join(", "))
}

pub fn metric(name: &str) -> Result<Metric, String> {
    Metric::from_name(name.trim()).ok_or_else(|| unknown_metric(name.trim()))
}

/// A threshold in the metric's base unit (seconds, ratio, req/s).
pub fn threshold(m: Metric, text: &str) -> Result<f64, String> {
    let t = text.trim();
    match m {
        Metric::Latency(_) => {
            if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Err(format!("`{t}` has no unit: write e.g. {t}ms or {t}s"));
            }
            parse_duration(t).map(|ns| ns as f64 / 1e9)
        }
        Metric::ErrorRate | Metric::Checks => percent(t),
        Metric::Throughput => throughput(t),
    }
}

/// The units a throughput may be written in, longest first (`req/sec` before `/sec`).
const PER_SECOND: [&str; 10] =
    ["requests/second", "requests/sec", "requests/s", "req/second", "req/sec", "req/s", "rps", "/second", "/sec", "/s"];

/// `1000/s` (the canonical form), `1000 rps`, `1000 req/sec`, `1k req/s`, `2.5k`: requests per
/// second, as deployment specs write them.
fn throughput(t: &str) -> Result<f64, String> {
    let lower = t.to_ascii_lowercase();
    let number = PER_SECOND.iter().find_map(|u| lower.strip_suffix(u)).unwrap_or(&lower).trim();
    parse_rate(number).map(|r| r.per_sec()).map_err(|_| {
        format!(
            "`{t}` is not a throughput: write requests per second such as 100/s or 2k/s (also 100 rps, 100 req/sec)"
        )
    })
}

/// `1%`, `0.5%` (exactly: the decimal is read as an integer and divided once) into a ratio.
fn percent(t: &str) -> Result<f64, String> {
    let bad = || format!("`{t}` is not a percentage: write e.g. 1% or 0.5% (from 0% to 100%)");
    let n = t.strip_suffix('%').ok_or_else(bad)?.trim();
    let (int, frac) = n.split_once('.').unwrap_or((n, ""));
    let digits = format!("{int}{frac}");
    if digits.is_empty() || frac.len() > 9 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let mantissa: u64 = digits.parse().map_err(|_| bad())?;
    let v = mantissa as f64 / 10f64.powi(frac.len() as i32 + 2);
    if v > 1.0 { Err(bad()) } else { Ok(v) }
}

/// `error_rate > 5% for 10s` (also `>=`; any metric).
pub fn abort_if(text: &str) -> Result<AbortIf, String> {
    let bad =
        || format!("`{text}` is not a breaker: write METRIC > THRESHOLD for DURATION, e.g. error_rate > 5% for 10s");
    let (cond, dur) = text.rsplit_once(" for ").ok_or_else(bad)?;
    let (name, value) = cond.split_once(">=").or_else(|| cond.split_once('>')).ok_or_else(bad)?;
    let m = metric(name)?;
    if !super::spec::judged_per_interval(m) {
        return Err(format!("`{text}`: a breaker judges each interval on {}", super::spec::JUDGED));
    }
    let for_ns = parse_duration(dur.trim())?;
    if for_ns == 0 {
        return Err(format!("`{text}`: the duration must be longer than 0s"));
    }
    Ok(AbortIf { metric: m, threshold: threshold(m, value)?, for_ns, text: text.trim().to_string() })
}

/// An abort window, longer than 0.
pub fn window(text: &str) -> Result<u64, String> {
    match parse_duration(text)? {
        0 => Err("the window must be longer than 0s".into()),
        ns => Ok(ns),
    }
}

/// One `--slo` item into `set`: `[endpoint:NAME:|stage:NAME:|scenario:NAME:[endpoint:NAME:]]METRIC=VALUE`,
/// `abort_on_fail=30s` or `abort_if=error_rate > 5% for 10s`.
pub fn item(set: &mut SloSet, s: &str) -> Result<(), String> {
    let (key, value) = s.split_once('=').ok_or_else(|| {
        format!("`{s}` has no `=`: write METRIC=THRESHOLD, e.g. p95=200ms, error_rate=1%, endpoint:login:p99=300ms")
    })?;
    let key = key.trim();
    match key {
        "abort_on_fail" => set.abort_on_fail_ns = Some(window(value)?),
        "abort_if" => set.abort_if = Some(abort_if(value)?),
        _ => {
            let (scope, name) = match key.rsplit_once(':') {
                None => (Scope::Total, key),
                Some((scope, name)) => (scope_of(scope)?, name),
            };
            let m = metric(name)?;
            set.set(Rule { scope, metric: m, threshold: threshold(m, value).map_err(|e| format!("{name}: {e}"))? });
        }
    }
    Ok(())
}

/// `endpoint:NAME`, `stage:NAME`, `scenario:NAME` or `scenario:NAME:endpoint:NAME`.
fn scope_of(s: &str) -> Result<Scope, String> {
    match s.split_once(':') {
        Some(("endpoint", n)) if !n.is_empty() => Ok(Scope::Endpoint(n.to_string())),
        Some(("stage", n)) if !n.is_empty() => Ok(Scope::Stage(n.to_string())),
        Some(("scenario", rest)) => match rest.split_once(":endpoint:") {
            Some((sc, n)) if !sc.is_empty() && !n.is_empty() => Ok(Scope::ScenarioEndpoint(sc.into(), n.into())),
            None if !rest.is_empty() && !rest.contains(':') => Ok(Scope::Scenario(rest.to_string())),
            _ => Err(format!(
                "`{s}` is not a scope: write scenario:NAME:METRIC=... or scenario:NAME:endpoint:NAME:METRIC=..."
            )),
        },
        _ => Err(format!(
            "`{s}` is not a scope: write endpoint:NAME:METRIC=..., stage:NAME:METRIC=... or scenario:NAME:METRIC=..."
        )),
    }
}

/// Every `--slo` flag, in order (a later one replaces an earlier one on the same metric).
pub fn flags(items: &[String]) -> Result<SloSet, String> {
    let mut set = SloSet::default();
    for s in items {
        item(&mut set, s)?;
    }
    Ok(set)
}

/// `ONSLAUGHT_SLO_P95=200ms`, `ONSLAUGHT_SLO_P99_9=1s`, `ONSLAUGHT_SLO_ERROR_RATE=1%`,
/// `ONSLAUGHT_SLO_ABORT_ON_FAIL=30s`, `ONSLAUGHT_SLO_ABORT_IF=...`: global criteria only.
pub fn env(vars: &[(String, String)]) -> Result<SloSet, String> {
    let mut set = SloSet::default();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else { continue };
        let lower = rest.to_ascii_lowercase();
        let key = match lower.as_str() {
            "abort_on_fail" | "abort_if" | "error_rate" => lower.clone(),
            _ => lower.replace('_', "."),
        };
        if key != "abort_on_fail" && key != "abort_if" && Metric::from_name(&key).is_none() {
            return Err(format!("${name}: {}", unknown_metric(&lower)));
        }
        item(&mut set, &format!("{key}={value}")).map_err(|e| format!("${name}: {e}"))?;
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_in_base_units() {
        assert_eq!(threshold(Metric::Latency("p99"), "200ms"), Ok(0.2));
        assert_eq!(threshold(Metric::ErrorRate, "1%"), Ok(0.01));
        assert_eq!(threshold(Metric::ErrorRate, "0.1%"), Ok(1.0 / 1000.0));
        assert_eq!(threshold(Metric::Checks, "99.5%"), Ok(995.0 / 1000.0));
        assert_eq!(threshold(Metric::Throughput, "100/s"), Ok(100.0));
        assert_eq!(threshold(Metric::Throughput, "2k"), Ok(2000.0));
        for (text, rps) in [
            ("1000 req/sec", 1000.0),
            ("1000 rps", 1000.0),
            ("1000/s", 1000.0),
            ("1k req/s", 1000.0),
            ("1.5K RPS", 1500.0),
            ("250 requests/second", 250.0),
            ("2k/sec", 2000.0),
        ] {
            assert_eq!(threshold(Metric::Throughput, text), Ok(rps), "{text}");
        }
        for bad in ["req/s", "1000 req/min", "fast rps", "1000 reqs"] {
            let e = threshold(Metric::Throughput, bad).unwrap_err();
            assert!(e.contains("is not a throughput") && e.contains("100 rps"), "{bad}: {e}");
        }
        for (m, bad) in [
            (Metric::Latency("p99"), "200"),
            (Metric::Latency("p99"), "fast"),
            (Metric::ErrorRate, "0.01"),
            (Metric::ErrorRate, "101%"),
            (Metric::Throughput, "lots"),
        ] {
            assert!(threshold(m, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flag_items_with_scopes() {
        let s =
            flags(&["p95=200ms".into(), "endpoint:shop/login:p99=1s".into(), "stage:1:error_rate=2%".into()]).unwrap();
        assert_eq!(s.rules[0], Rule { scope: Scope::Total, metric: Metric::Latency("p95"), threshold: 0.2 });
        assert_eq!(s.rules[1].scope, Scope::Endpoint("shop/login".into()));
        assert_eq!(s.rules[2], Rule { scope: Scope::Stage("1".into()), metric: Metric::ErrorRate, threshold: 0.02 });
        let later = flags(&["p95=200ms".into(), "p95=300ms".into()]).unwrap();
        assert_eq!(later.rules.len(), 1);
        assert_eq!(later.rules[0].threshold, 0.3);
    }

    #[test]
    fn unknown_metric_lists_the_valid_ones() {
        let e = flags(&["p96=1ms".into()]).unwrap_err();
        assert!(e.contains("unknown SLO metric `p96`") && e.contains("p99.9") && e.contains("error_rate"), "{e}");
        assert!(flags(&["p95".into()]).unwrap_err().contains("no `=`"));
        assert!(flags(&["route:x:p95=1ms".into()]).unwrap_err().contains("not a scope"));
    }

    #[test]
    fn breakers() {
        let a = abort_if("error_rate > 5% for 10s").unwrap();
        assert_eq!((a.metric, a.threshold, a.for_ns), (Metric::ErrorRate, 0.05, 10_000_000_000));
        assert_eq!(abort_if("p99 >= 1s for 500ms").unwrap().threshold, 1.0);
        for bad in [
            "error_rate > 5%",
            "error_rate < 5% for 1s",
            "throughput > 1/s for 1s",
            "p99 > 1s for 0s",
            "p75 > 1s for 1s",
        ] {
            assert!(abort_if(bad).is_err(), "{bad}");
        }
        let s = flags(&["abort_on_fail=30s".into(), "abort_if=error_rate > 5% for 10s".into()]).unwrap();
        assert_eq!(s.abort_on_fail_ns, Some(30_000_000_000));
        assert!(s.abort_if.is_some());
    }

    #[test]
    fn environment() {
        let v = |k: &str, val: &str| (k.to_string(), val.to_string());
        let s = env(&[
            v("ONSLAUGHT_SLO_P95", "200ms"),
            v("ONSLAUGHT_SLO_P99_9", "1s"),
            v("ONSLAUGHT_SLO_ERROR_RATE", "2%"),
            v("ONSLAUGHT_SLO_ABORT_ON_FAIL", "5s"),
            v("ONSLAUGHT_LOAD_WARMUP", "1s"),
            v("PATH", "/bin"),
        ])
        .unwrap();
        let names: Vec<&str> = s.rules.iter().map(|r| r.metric.name()).collect();
        assert_eq!(names, ["p95", "p99.9", "error_rate"]);
        assert_eq!(s.abort_on_fail_ns, Some(5_000_000_000));
        let e = env(&[v("ONSLAUGHT_SLO_P96", "1ms")]).unwrap_err();
        assert!(e.starts_with("$ONSLAUGHT_SLO_P96: unknown SLO metric"), "{e}");
    }
}
