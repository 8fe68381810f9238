//! `onslaught compare BASE CANDIDATE`: a Markdown table of deltas per metric (latency p50 to max,
//! throughput, error rate) and per endpoint, and the regressions beyond the tolerances
//! (`--max-regression p99=10%`; defaults in DEFAULT_TOLERANCES when none is given).
use super::fmt::{pct, rps};
use super::{Dist, Report};
use crate::units::fmt_ns;
use std::io::{self, Write};

/// Applied only when no `--max-regression` is given (docs/reports.md).
pub const DEFAULT_TOLERANCES: [&str; 3] = ["p99=10%", "throughput=10%", "error_rate=1%"];

/// Metrics a tolerance may name.
pub const METRICS: [&str; 7] = ["p50", "p95", "p99", "p99.9", "max", "throughput", "error_rate"];

/// How far a metric may move the wrong way: latency and throughput relative (percent of the
/// base), error rate absolute (percentage points).
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerance {
    pub metric: String,
    /// Percent (latency, throughput) or percentage points (error_rate).
    pub limit: f64,
}

pub fn parse_tolerance(s: &str) -> Result<Tolerance, String> {
    let hint = "write METRIC=PERCENT, e.g. p99=10% (metrics: p50, p95, p99, p99.9, max, throughput, error_rate)";
    let (m, v) = s.split_once('=').ok_or_else(|| format!("--max-regression '{s}': {hint}"))?;
    let metric = m.trim().to_string();
    if !METRICS.contains(&metric.as_str()) {
        return Err(format!("--max-regression '{s}': unknown metric '{metric}'; {hint}"));
    }
    let limit: f64 = v
        .trim()
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)
        .ok_or_else(|| format!("--max-regression '{s}': '{v}' is not a percentage; {hint}"))?;
    Ok(Tolerance { metric, limit })
}

/// One compared metric.
struct Row {
    metric: &'static str,
    base: f64,
    cand: f64,
}

impl Row {
    fn lower_is_better(&self) -> bool {
        self.metric != "throughput"
    }
    /// How much worse the candidate is: percent for latency and throughput, points for error rate.
    fn worse_by(&self) -> f64 {
        let d = if self.lower_is_better() { self.cand - self.base } else { self.base - self.cand };
        if self.metric == "error_rate" {
            100.0 * d
        } else if self.base == 0.0 {
            if d > 0.0 { f64::INFINITY } else { 0.0 }
        } else {
            100.0 * d / self.base
        }
    }
    fn show(&self, v: f64) -> String {
        match self.metric {
            "throughput" => rps(v),
            "error_rate" => pct(v),
            _ => fmt_ns(v as u64),
        }
    }
    fn delta(&self) -> String {
        if self.metric == "error_rate" {
            return format!("{:+.3} pp", 100.0 * (self.cand - self.base));
        }
        if self.base == 0.0 {
            return if self.cand == 0.0 { "0.0%".into() } else { "new".into() };
        }
        format!("{:+.1}%", 100.0 * (self.cand - self.base) / self.base)
    }
}

fn rows(r: &Report) -> Vec<(&'static str, f64)> {
    let d = &r.latency;
    let mut v = latency_rows(d);
    v.push(("throughput", r.rates.throughput_rps));
    v.push(("error_rate", r.rates.error_rate));
    v
}

fn latency_rows(d: &Dist) -> Vec<(&'static str, f64)> {
    vec![
        ("p50", d.p("p50") as f64),
        ("p95", d.p("p95") as f64),
        ("p99", d.p("p99") as f64),
        ("p99.9", d.p("p99.9") as f64),
        ("max", d.max_ns as f64),
    ]
}

/// Write the comparison; returns the regressions found (empty: none beyond the tolerances).
pub fn write(
    base: &Report,
    cand: &Report,
    names: (&str, &str),
    tol: &[Tolerance],
    out: &mut impl Write,
) -> io::Result<Vec<String>> {
    writeln!(out, "# onslaught compare\n")?;
    writeln!(out, "- Base: `{}`: {}", names.0, summary(base))?;
    writeln!(out, "- Candidate: `{}`: {}\n", names.1, summary(cand))?;
    writeln!(out, "| Metric | Base | Candidate | Delta | Tolerance | Result |\n|---|---|---|---|---|---|")?;
    let mut regressions = Vec::new();
    for ((metric, b), (_, c)) in rows(base).into_iter().zip(rows(cand)) {
        let row = Row { metric, base: b, cand: c };
        let t = tol.iter().find(|t| t.metric == metric);
        let (limit, result) = match t {
            None => (String::new(), String::new()),
            Some(t) => {
                let unit = if metric == "error_rate" { " pp" } else { "%" };
                let sign = if row.lower_is_better() { "+" } else { "-" };
                let bad = row.worse_by() > t.limit;
                if bad {
                    regressions.push(format!("{metric} {} > {sign}{}{unit}", row.delta(), t.limit));
                }
                (format!("{sign}{}{unit}", t.limit), if bad { "**REGRESSION**".into() } else { "ok".into() })
            }
        };
        let name = if metric == "throughput" || metric == "error_rate" {
            metric.to_string()
        } else {
            format!("latency {metric}")
        };
        writeln!(out, "| {name} | {} | {} | {} | {limit} | {result} |", row.show(b), row.show(c), row.delta())?;
    }
    endpoints(base, cand, out)?;
    writeln!(out)?;
    if regressions.is_empty() {
        writeln!(out, "**No regression beyond the tolerances.**")?;
    } else {
        writeln!(out, "**REGRESSION**: {}", regressions.join("; "))?;
    }
    Ok(regressions)
}

fn summary(r: &Report) -> String {
    let target = r.config.target_rate.map_or("closed loop".into(), |t| format!("target {t} req/s"));
    format!(
        "{} {}, {target}, {:.1} s measured, verdict {:?}",
        r.config.method, r.config.url, r.window_s, r.verdict.status
    )
}

/// Endpoints present in both, by name: latency p50/p95/p99 and error rate (shown, not judged).
fn endpoints(base: &Report, cand: &Report, out: &mut impl Write) -> io::Result<()> {
    let pairs: Vec<_> = base
        .endpoints
        .iter()
        .filter_map(|b| cand.endpoints.iter().find(|c| c.name == b.name).map(|c| (b, c)))
        .collect();
    if pairs.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## Endpoints\n\n| Endpoint | Metric | Base | Candidate | Delta |\n|---|---|---|---|---|")?;
    for (b, c) in pairs {
        let err = |e: &super::EndpointRow| if e.requests == 0 { 0.0 } else { e.errors as f64 / e.requests as f64 };
        let mut list: Vec<(&'static str, f64, f64)> = latency_rows(&b.latency)
            .into_iter()
            .zip(latency_rows(&c.latency))
            .take(3)
            .map(|((m, x), (_, y))| (m, x, y))
            .collect();
        list.push(("error_rate", err(b), err(c)));
        for (metric, x, y) in list {
            let row = Row { metric, base: x, cand: y };
            writeln!(
                out,
                "| {} | {metric} | {} | {} | {} |",
                b.name.replace('|', "\\|"),
                row.show(x),
                row.show(y),
                row.delta()
            )?;
        }
    }
    Ok(())
}

/// A result file (`--out`) or a JSON summary (`--json`): either can be compared.
pub fn load(path: &std::path::Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    if text.contains(&format!("\"{}\"", super::result::FORMAT)) {
        return super::result::parse(&text).map_err(|e| format!("'{}': {e}", path.display()));
    }
    serde_json::from_str(&text).map_err(|e| {
        format!("'{}': neither a result file (run --out) nor a JSON summary (run --json): {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_parse_or_say_how() {
        assert_eq!(parse_tolerance("p99=10%").unwrap(), Tolerance { metric: "p99".into(), limit: 10.0 });
        assert_eq!(parse_tolerance("error_rate=0.5").unwrap().limit, 0.5);
        assert!(parse_tolerance("p42=10%").unwrap_err().contains("unknown metric 'p42'"));
        assert!(parse_tolerance("p99").unwrap_err().contains("METRIC=PERCENT"));
        assert!(parse_tolerance("p99=-3%").unwrap_err().contains("not a percentage"));
    }

    #[test]
    fn worse_means_up_for_latency_and_down_for_throughput() {
        let r = Row { metric: "p99", base: 100.0, cand: 120.0 };
        assert!((r.worse_by() - 20.0).abs() < 1e-9);
        let t = Row { metric: "throughput", base: 100.0, cand: 120.0 };
        assert!((t.worse_by() + 20.0).abs() < 1e-9);
        let e = Row { metric: "error_rate", base: 0.01, cand: 0.025 };
        assert!((e.worse_by() - 1.5).abs() < 1e-9);
        assert_eq!(Row { metric: "p99", base: 0.0, cand: 1.0 }.worse_by(), f64::INFINITY);
    }
}
