//! SLO evaluation: every rule of a run's `SloSet` judged against the finished `Report` (pure,
//! re-run on a loaded result file or a merged one). Comes after the report in the pipeline.
use super::spec::{Metric, Scope, SloSet};
use crate::report::{Dist, Report, SloRow};

/// Every rule judged against the finished run, in order.
pub fn evaluate(report: &Report, slos: &SloSet) -> Vec<SloRow> {
    slos.rules
        .iter()
        .map(|rule| {
            let actual = actual(report, &rule.scope, rule.metric);
            SloRow {
                scope: rule.scope.label(),
                metric: rule.metric,
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
        Scope::Endpoint(name) => endpoint(r, name, metric),
        Scope::Stage(name) => {
            let s = r.stages.iter().find(|s| &s.name == name || name.parse() == Ok(s.index))?;
            stage(s, metric)
        }
        Scope::Scenario(name) => stage(&r.scenarios.iter().find(|s| &s.row.name == name)?.row, metric),
        Scope::ScenarioEndpoint(sc, name) => {
            let s = r.scenarios.iter().find(|s| &s.row.name == sc)?;
            s.endpoints.contains(name).then(|| endpoint(r, name, metric)).flatten()
        }
    }
}

/// One named request's value.
fn endpoint(r: &Report, name: &str, metric: Metric) -> Option<f64> {
    let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    let e = r.endpoints.iter().find(|e| e.name == name)?;
    match metric {
        Metric::Latency(q) => latency(&e.latency, q),
        Metric::ErrorRate => ratio(e.errors, e.requests),
        Metric::Throughput => (e.requests > 0).then_some(e.ok_rps),
        Metric::Checks => ratio(e.requests - e.checks_failed.min(e.requests), e.requests),
    }
}

/// One stage's (or scenario's) value: throughput over its own window.
fn stage(s: &crate::report::StageRow, metric: Metric) -> Option<f64> {
    let secs = s.end_s - s.start_s;
    match metric {
        Metric::Latency(q) => latency(&s.latency, q),
        Metric::ErrorRate => (s.intended > 0).then(|| s.errors as f64 / s.intended as f64),
        Metric::Throughput => (s.intended > 0 && secs > 0.0).then(|| s.ok as f64 / secs),
        Metric::Checks => None,
    }
}

fn latency(d: &Dist, q: &str) -> Option<f64> {
    let ns = if q == "max" { d.max_ns } else { d.p(q) };
    (d.count > 0).then(|| ns as f64 / 1e9)
}
