//! The plan's `slo:` key and `--slo-file` (the same mapping at the top of its own file) into a
//! `crate::slo::spec::SloSet`, every problem reported with its position. Threshold syntax lives in
//! crate::slo::parse; this file only walks the YAML and says where.
use super::cx::Cx;
use super::path;
use super::raw::{RawCriteria, RawSlo};
use crate::slo::parse;
use crate::slo::spec::{Metric, Rule, Scope, SloSet};

/// `raw` found at `base` ("slo" in a plan, "" at the top of an SLO file).
pub(crate) fn slo(cx: &mut Cx<'_>, raw: Option<&RawSlo>, base: &str) -> Option<SloSet> {
    let Some(raw) = raw else { return Some(SloSet::default()) };
    let mut set = SloSet::default();
    let mut ok = criteria(cx, &raw.criteria(), base, Scope::Total, &mut set);
    let scopes = [
        ("endpoints", Scope::Endpoint as fn(String) -> Scope),
        ("stages", Scope::Stage),
        ("scenarios", Scope::Scenario),
    ];
    for (key, scope) in scopes {
        let p = path::key(base, key);
        for (name, c) in raw.endpoints_or_stages(key) {
            let cp = path::key(&p, name);
            if key != "endpoints" && c.checks.is_some() {
                let hint = "check results are counted per request: set `checks` globally or per endpoint";
                cx.err(
                    &path::key(&cp, "checks"),
                    format!("`checks` cannot be judged per {}", key.trim_end_matches('s')),
                    "a latency, error_rate or throughput",
                    hint,
                );
                ok = false;
            }
            ok &= criteria(cx, c, &cp, scope(name.clone()), &mut set);
        }
    }
    if let Some(a) = &raw.abort_on_fail {
        let p = path::key(&path::key(base, "abort_on_fail"), "window");
        match a.window.as_deref().map(parse::window) {
            Some(Ok(ns)) => set.abort_on_fail_ns = Some(ns),
            None => {
                cx.missing(&p, "a duration such as 30s", "e.g. `abort_on_fail: { window: 30s }`");
                ok = false;
            }
            Some(Err(e)) => {
                cx.err(&p, e, "a duration such as 30s", "");
                ok = false;
            }
        }
    }
    if let Some(text) = &raw.abort_if {
        match parse::abort_if(text) {
            Ok(a) => set.abort_if = Some(a),
            Err(e) => {
                let hint = "e.g. `abort_if: error_rate > 5% for 10s` or `abort_if: p99 > 2s for 30s`";
                cx.err(&path::key(base, "abort_if"), e, "METRIC > THRESHOLD for DURATION", hint);
                ok = false;
            }
        }
    }
    ok.then_some(set)
}

/// The criteria at `p`: the flat ones, then the `latency:` group's (a quantile given both ways is
/// an error: which one was meant?).
fn criteria(cx: &mut Cx<'_>, c: &RawCriteria, p: &str, scope: Scope, set: &mut SloSet) -> bool {
    let flat = c.written();
    let mut all: Vec<(String, &'static str, &str)> = flat.iter().map(|(n, t)| (path::key(p, n), *n, *t)).collect();
    let mut ok = true;
    if let Some(group) = &c.latency {
        let lp = path::key(p, "latency");
        for (name, text) in group.written() {
            if flat.iter().any(|(n, _)| *n == name) {
                let hint = format!("keep one: `{name}: ...` or `latency: {{ {name}: ... }}`");
                cx.err(&path::key(&lp, name), format!("`{name}` is given twice"), "each quantile once", &hint);
                ok = false;
            } else {
                all.push((path::key(&lp, name), name, text));
            }
        }
    }
    // One order however they were written: the metrics' own (p50 … max, error_rate, throughput).
    all.sort_by_key(|(_, n, _)| crate::slo::spec::METRICS.iter().position(|m| m == n));
    ok & thresholds(cx, &all, &scope, set)
}

/// Each (path, metric, threshold text) into a rule of `scope`, errors at their paths.
fn thresholds(cx: &mut Cx<'_>, all: &[(String, &'static str, &str)], scope: &Scope, set: &mut SloSet) -> bool {
    let mut ok = true;
    for (at, name, text) in all {
        let Some(metric) = Metric::from_name(name) else { continue };
        match parse::threshold(metric, text) {
            Ok(threshold) => set.set(Rule { scope: scope.clone(), metric, threshold }),
            Err(e) => {
                let expected = match metric {
                    Metric::Latency(_) => "a duration such as 200ms or 1.5s",
                    Metric::ErrorRate | Metric::Checks => "a percentage such as 1% or 99.5%",
                    Metric::Throughput => "requests per second such as 100/s",
                };
                cx.err(at, e, expected, "");
                ok = false;
            }
        }
    }
    ok
}

impl RawSlo {
    fn endpoints_or_stages(&self, key: &str) -> &[(String, RawCriteria)] {
        let m = match key {
            "endpoints" => &self.endpoints,
            "stages" => &self.stages,
            _ => &self.scenarios,
        };
        m.as_ref().map_or(&[], |m| m.0.as_slice())
    }
}
