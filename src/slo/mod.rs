//! Service-level objectives: the rules (`SloSet`), their evaluation against a finished `Report`
//! (`evaluate`, pure) and against the live timeline (`breaker`, which only says when to stop).
//! Parsing of thresholds, `--slo` flags and `ONSLAUGHT_SLO_*` variables is in `parse`; the plan's
//! `slo:` key and `--slo-file` are read by crate::plan (positioned errors). Never prints.
//!
//! A criterion passes when the actual value is on the good side of the threshold *or equal to
//! it*: `p99 <= 200ms`, `error_rate <= 1%`, `throughput >= 100/s`, `checks >= 99%`. A criterion
//! with no samples to judge has no actual value and fails ("no data"): an SLO never passes for
//! want of evidence.
pub mod breaker;
pub mod parse;

use crate::report::{Dist, Report, SloRow};

/// Every metric an SLO can name, in the order the hint lists them.
pub const METRICS: [&str; 11] =
    ["p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99", "max", "error_rate", "throughput", "checks"];

/// What a criterion measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Latency from the intended time (CO-corrected) at a named quantile ("p99") or "max".
    Latency(&'static str),
    /// (requests − ok) / requests.
    ErrorRate,
    /// Responses per second of the measured window.
    Throughput,
    /// Share of requests whose checks all passed.
    Checks,
}

impl Metric {
    /// The metric called `name`, or None (the caller reports it with `METRICS` as the hint).
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "error_rate" => Some(Metric::ErrorRate),
            "throughput" => Some(Metric::Throughput),
            "checks" => Some(Metric::Checks),
            _ => METRICS[..8].iter().find(|m| **m == name).map(|m| Metric::Latency(m)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Latency(q) => q,
            Metric::ErrorRate => "error_rate",
            Metric::Throughput => "throughput",
            Metric::Checks => "checks",
        }
    }

    /// Lower is better (a ceiling), else a floor.
    pub fn is_ceiling(self) -> bool {
        matches!(self, Metric::Latency(_) | Metric::ErrorRate)
    }

    /// The boundary passes: `actual <= threshold` for ceilings, `actual >= threshold` for floors.
    pub fn passes(self, actual: f64, threshold: f64) -> bool {
        if self.is_ceiling() { actual <= threshold } else { actual >= threshold }
    }

    /// A value in base units (seconds, ratio, req/s) as people write it: 200ms, 1%, 100/s.
    pub fn show(self, v: f64) -> String {
        match self {
            Metric::Latency(_) => {
                let ns = (v * 1e9).round();
                let (x, unit) = match ns {
                    n if n < 1e3 => (n, "ns"),
                    n if n < 1e6 => (n / 1e3, "us"),
                    n if n < 1e9 => (n / 1e6, "ms"),
                    n => (n / 1e9, "s"),
                };
                format!("{}{unit}", trim(x, 2))
            }
            Metric::ErrorRate | Metric::Checks => format!("{}%", trim(100.0 * v, 3)),
            Metric::Throughput => format!("{}/s", trim(v, 1)),
        }
    }
}

/// `v` to at most `places` decimals, without trailing zeros.
fn trim(v: f64, places: usize) -> String {
    let s = format!("{v:.places$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// Where a criterion applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole measured window.
    Total,
    /// One named request of the plan (an endpoint's name, or `journey/step`).
    Endpoint(String),
    /// One load stage, by its name or its index (`stages[].index` in the JSON).
    Stage(String),
}

impl Scope {
    /// As `SloRow::scope` spells it: "total", "endpoint:<name>", "stage:<name>".
    pub fn label(&self) -> String {
        match self {
            Scope::Total => "total".into(),
            Scope::Endpoint(n) => format!("endpoint:{n}"),
            Scope::Stage(n) => format!("stage:{n}"),
        }
    }
}

/// One criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub scope: Scope,
    pub metric: Metric,
    /// Base units: seconds for latency, a ratio for error_rate and checks, req/s for throughput.
    pub threshold: f64,
}

impl Rule {
    /// "p99 <= 200ms".
    pub fn criterion(&self) -> String {
        let op = if self.metric.is_ceiling() { "<=" } else { ">=" };
        format!("{} {op} {}", self.metric.name(), self.metric.show(self.threshold))
    }
}

/// `abort_if: error_rate > 5% for 10s`: stop when the metric is beyond the threshold in every
/// timeline interval of the last `for_ns`.
#[derive(Clone, Debug, PartialEq)]
pub struct AbortIf {
    pub metric: Metric,
    pub threshold: f64,
    pub for_ns: u64,
    /// As written (for the abort reason).
    pub text: String,
}

/// Every SLO of a run, merged from plan, `--slo-file`, environment and flags.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SloSet {
    pub rules: Vec<Rule>,
    /// `abort_on_fail: { window: 30s }`: stop when the global criteria are breached in every
    /// interval of the last window.
    pub abort_on_fail_ns: Option<u64>,
    pub abort_if: Option<AbortIf>,
}

impl SloSet {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.abort_on_fail_ns.is_none() && self.abort_if.is_none()
    }

    /// Adds `rule`, replacing one with the same scope and metric (a later source overrides).
    pub fn set(&mut self, rule: Rule) {
        match self.rules.iter_mut().find(|r| r.scope == rule.scope && r.metric == rule.metric) {
            Some(r) => *r = rule,
            None => self.rules.push(rule),
        }
    }

    /// `over` on top of `self`: its rules replace or add, its abort settings replace.
    pub fn overlay(&mut self, over: SloSet) {
        for r in over.rules {
            self.set(r);
        }
        if over.abort_on_fail_ns.is_some() {
            self.abort_on_fail_ns = over.abort_on_fail_ns;
        }
        if over.abort_if.is_some() {
            self.abort_if = over.abort_if;
        }
    }

    /// Whether a global error-rate criterion is given (it replaces `--max-error-rate`).
    pub fn has_total_error_rate(&self) -> bool {
        self.rules.iter().any(|r| r.scope == Scope::Total && r.metric == Metric::ErrorRate)
    }
}

/// Every rule judged against the finished run, in order.
pub fn evaluate(report: &Report, slos: &SloSet) -> Vec<SloRow> {
    slos.rules
        .iter()
        .map(|rule| {
            let actual = actual(report, &rule.scope, rule.metric);
            SloRow {
                scope: rule.scope.label(),
                metric: rule.metric.name().to_string(),
                criterion: rule.criterion(),
                threshold: rule.threshold,
                actual,
                pass: actual.is_some_and(|a| rule.metric.passes(a, rule.threshold)),
            }
        })
        .collect()
}

/// The measured value, in base units; None when nothing was measured in that scope.
fn actual(r: &Report, scope: &Scope, metric: Metric) -> Option<f64> {
    let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    match scope {
        Scope::Total => match metric {
            Metric::Latency(q) => latency(&r.latency, q),
            Metric::ErrorRate => (r.counts.intended > 0).then_some(r.rates.error_rate),
            Metric::Throughput => (r.counts.intended > 0).then_some(r.rates.throughput_rps),
            Metric::Checks => {
                let (n, failed) = r.endpoints.iter().fold((0, 0), |(n, f), e| (n + e.requests, f + e.checks_failed));
                ratio(n - failed.min(n), n)
            }
        },
        Scope::Endpoint(name) => {
            let e = r.endpoints.iter().find(|e| &e.name == name)?;
            match metric {
                Metric::Latency(q) => latency(&e.latency, q),
                Metric::ErrorRate => ratio(e.errors, e.requests),
                Metric::Throughput => (e.requests > 0).then_some(e.ok_rps),
                Metric::Checks => ratio(e.requests - e.checks_failed.min(e.requests), e.requests),
            }
        }
        Scope::Stage(name) => {
            let s = r.stages.iter().find(|s| &s.name == name || name.parse() == Ok(s.index))?;
            let secs = s.end_s - s.start_s;
            match metric {
                Metric::Latency(q) => latency(&s.latency, q),
                Metric::ErrorRate => ratio(s.errors, s.intended),
                Metric::Throughput => (s.intended > 0 && secs > 0.0).then(|| s.ok as f64 / secs),
                Metric::Checks => None,
            }
        }
    }
}

fn latency(d: &Dist, q: &str) -> Option<f64> {
    let ns = if q == "max" { d.max_ns } else { d.p(q) };
    (d.count > 0).then(|| ns as f64 / 1e9)
}

/// The verdict's line for a failed row: what, threshold and actual.
pub fn reason(row: &SloRow) -> String {
    let metric = Metric::from_name(&row.metric).unwrap_or(Metric::Throughput);
    match row.actual {
        Some(a) => {
            let op = if metric.is_ceiling() { ">" } else { "<" };
            format!(
                "SLO {} {}: {} {op} {} ({})",
                row.scope,
                row.metric,
                metric.show(a),
                metric.show(row.threshold),
                row.criterion
            )
        }
        None => {
            format!("SLO {} {}: no data: nothing was measured in this scope ({})", row.scope, row.metric, row.criterion)
        }
    }
}

#[cfg(test)]
mod tests;
