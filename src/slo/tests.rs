//! Unit tests of `evaluate` on reports built from hand-made histograms.
use super::evaluate::evaluate;
use super::*;
use crate::merge::Merged;
use crate::record::{Counters, Histograms, LabelStats};
use crate::report::{Judged, Report, RunConfig, RunEnd, StageRow, Status};

fn config(labels: &[&str]) -> RunConfig {
    RunConfig {
        url: "http://127.0.0.1:1/".into(),
        method: "GET".into(),
        target_rate: None,
        connections: 1,
        cores: 1,
        duration_s: 10.0,
        warmup_s: 0.0,
        timeout_s: 1.0,
        max_send_lag_ms: 1000.0,
        max_error_rate: 0.01,
        tls_insecure: false,
        plan: None,
        profile: None,
        labels: labels.iter().map(|s| s.to_string()).collect(),
        users: None,
        stages: Vec::new(),
        scenarios: Vec::new(),
        label_checks: Vec::new(),
    }
}

/// A 10 s run: `ok` responses of `latency_ms` each and `errors` http errors; one endpoint "home"
/// with the same figures and `checks_failed`.
fn report(ok: u64, errors: u64, latency_ms: u64, checks_failed: u64) -> Report {
    let mut totals = Counters::default();
    let mut hists = Histograms::new();
    let mut home = LabelStats::default();
    for _ in 0..ok {
        hists.record_latency(latency_ms * 1_000_000);
        let _ = home.latency.record(latency_ms * 1_000_000);
    }
    totals.intended = ok + errors;
    totals.sent = ok + errors;
    totals.ok = ok;
    totals.http_error = errors;
    home.requests = ok + errors;
    home.ok = ok;
    home.errors = errors;
    home.checks_failed = checks_failed;
    let m = Merged {
        totals,
        hists,
        per_core: vec![],
        timeline: vec![],
        labels: vec![home],
        stages: vec![],
        scenarios: vec![],
        intervals: vec![],
    };
    Report::build(m, config(&["home"]), RunEnd { interrupted: false, window_s: 10.0 })
}

fn set(items: &[&str]) -> SloSet {
    parse::flags(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
}

#[test]
fn boundary_equal_to_the_threshold_passes() {
    let r = report(100, 1, 200, 0);
    let p99 = r.latency.p("p99");
    let exact = SloSet {
        rules: vec![Rule { scope: Scope::Total, metric: Metric::Latency("p99"), threshold: p99 as f64 / 1e9 }],
        ..SloSet::default()
    };
    let rows = evaluate(&r, &exact);
    assert_eq!(rows[0].actual, Some(p99 as f64 / 1e9));
    assert!(rows[0].pass, "p99 == threshold passes");
    let below = SloSet {
        rules: vec![Rule { scope: Scope::Total, metric: Metric::Latency("p99"), threshold: (p99 - 1) as f64 / 1e9 }],
        ..SloSet::default()
    };
    assert!(!evaluate(&r, &below)[0].pass, "1 ns under the actual fails");
    // 1 error in 100 intended... is 1/101 here; with 99 ok + 1 error it is exactly 1%.
    let r = report(99, 1, 5, 0);
    let rows = evaluate(&r, &set(&["error_rate=1%", "throughput=10/s", "checks=100%"]));
    assert_eq!(rows.iter().map(|r| r.actual).collect::<Vec<_>>(), [Some(0.01), Some(10.0), Some(1.0)]);
    assert!(rows.iter().all(|r| r.pass), "{rows:?}");
    let rows = evaluate(&r, &set(&["error_rate=0.99%", "throughput=10.1/s"]));
    assert!(rows.iter().all(|r| !r.pass), "{rows:?}");
}

#[test]
fn no_data_fails() {
    let r = report(0, 0, 0, 0);
    let rows = evaluate(&r, &set(&["p99=1s", "error_rate=100%", "endpoint:home:p50=1s", "stage:steady:p99=1s"]));
    assert_eq!(rows.len(), 4);
    for row in &rows {
        assert_eq!(row.actual, None, "{row:?}");
        assert!(!row.pass, "{row:?}");
    }
    assert!(rows[0].reason().contains("no data"), "{}", rows[0].reason());
    // Stage scopes only see stages that exist: one with samples is judged, a missing one is not.
    let mut r = report(10, 0, 5, 0);
    r.stages.push(StageRow {
        index: 1,
        name: "steady".into(),
        start_s: 2.0,
        end_s: 7.0,
        target: "2 req/s".into(),
        intended: 10,
        ok: 10,
        errors: 0,
        achieved_rps: 2.0,
        latency: r.latency.clone(),
        sent: 10,
        incomplete: 0,
        conserved: true,
    });
    let rows = evaluate(&r, &set(&["stage:steady:p99=1s", "stage:1:throughput=2/s", "stage:ramp:p99=1s"]));
    assert_eq!(rows.iter().map(|r| r.pass).collect::<Vec<_>>(), [true, true, false]);
    assert_eq!(rows[1].actual, Some(2.0));
}

#[test]
fn every_failed_criterion_is_in_the_verdict_with_threshold_and_actual() {
    let mut r = report(90, 10, 50, 5);
    let slos = set(&["p95=10ms", "error_rate=5%", "endpoint:home:checks=99%", "p50=1s"]);
    let slo = evaluate(&r, &slos);
    r.judge(Judged { slo, replaces_max_error_rate: slos.has_total_error_rate(), aborted: None });
    assert_eq!(r.verdict.status, Status::Failed);
    assert_eq!(r.verdict.exit_code, 1);
    let reasons = r.verdict.reasons.join("\n");
    assert!(reasons.contains("SLO total p95: 50") && reasons.contains("> 10ms (p95 <= 10ms)"), "{reasons}");
    assert!(reasons.contains("SLO total error_rate: 10% > 5%"), "{reasons}");
    assert!(reasons.contains("SLO endpoint:home checks: 95% < 99%"), "{reasons}");
    assert!(!reasons.contains("p50"), "passing criteria are not reasons: {reasons}");
    assert!(!reasons.contains("--max-error-rate"), "a global error_rate SLO replaces the default: {reasons}");
    assert_eq!(r.slo.len(), 4);
}

#[test]
fn default_error_rate_applies_without_an_slo_and_abort_is_exit_4() {
    let mut r = report(90, 10, 5, 0);
    r.judge(Judged::default());
    assert_eq!(r.verdict.exit_code, 1);
    assert!(r.verdict.reasons[0].contains("(--max-error-rate)"), "{:?}", r.verdict.reasons);
    r.judge(Judged { aborted: Some("aborted by abort_if".into()), ..Judged::default() });
    assert_eq!((r.verdict.status, r.verdict.exit_code), (Status::Interrupted, 4));
    assert_eq!(r.aborted.as_deref(), Some("aborted by abort_if"));
    assert_eq!(r.verdict.reasons[0], "aborted by abort_if");
    let mut ok = report(100, 0, 5, 0);
    ok.judge(Judged { slo: evaluate(&ok, &set(&["p99=1s"])), ..Judged::default() });
    assert_eq!((ok.verdict.status, ok.verdict.exit_code), (Status::Pass, 0));
}

#[test]
fn values_read_as_written() {
    let l = Metric::Latency("p99");
    assert_eq!(
        [l.show(0.2), l.show(1.0), l.show(0.01824), l.show(0.000_564_22)],
        ["200ms", "1s", "18.24ms", "564.22us"]
    );
    assert_eq!([Metric::ErrorRate.show(0.005), Metric::Throughput.show(99.95)], ["0.5%", "100/s"]);
    assert_eq!(Rule { scope: Scope::Total, metric: Metric::Checks, threshold: 0.99 }.criterion(), "checks >= 99%");
}

#[test]
fn overlay_replaces_same_scope_and_metric() {
    let mut base = set(&["p95=1s", "endpoint:home:p95=2s", "abort_on_fail=10s"]);
    base.overlay(set(&["p95=100ms", "p99=1s"]));
    let got: Vec<(String, &str, f64)> =
        base.rules.iter().map(|r| (r.scope.label(), r.metric.name(), r.threshold)).collect();
    assert_eq!(got, [("total".into(), "p95", 0.1), ("endpoint:home".into(), "p95", 2.0), ("total".into(), "p99", 1.0)]);
    assert_eq!(base.abort_on_fail_ns, Some(10_000_000_000));
}

#[test]
fn slo_row_metric_is_written_and_read_as_its_name() {
    let r = report(100, 0, 20, 0);
    let rows = evaluate(&r, &set(&["p99.9=50ms", "error_rate=1%", "throughput=5"]));
    let json = serde_json::to_value(&rows).unwrap();
    let names: Vec<&str> = json.as_array().unwrap().iter().map(|v| v["metric"].as_str().unwrap()).collect();
    assert_eq!(names, ["p99.9", "error_rate", "throughput"]);
    let back: Vec<crate::report::SloRow> = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back.iter().map(|r| r.metric).collect::<Vec<_>>(), rows.iter().map(|r| r.metric).collect::<Vec<_>>());
    let mut edited = json;
    edited[0]["metric"] = "p42".into();
    let err = serde_json::from_value::<Vec<crate::report::SloRow>>(edited).unwrap_err().to_string();
    assert!(err.starts_with("unknown SLO metric 'p42': one of p50, p75"), "{err}");
}

/// Regression: `onslaught merge` read a result file's SLO scopes back knowing only total,
/// endpoint and stage, so a distributed run of a plan with scenario SLOs could not be merged.
#[test]
fn every_scope_reads_back_from_its_label() {
    use crate::slo::spec::Scope;
    let scopes = [
        Scope::Total,
        Scope::Endpoint("shop/login".into()),
        Scope::Stage("stage 2".into()),
        Scope::Scenario("api".into()),
        Scope::ScenarioEndpoint("learners".into(), "learner/login".into()),
    ];
    for s in scopes {
        assert_eq!(Scope::from_label(&s.label()), Some(s.clone()), "{}", s.label());
    }
    assert_eq!(Scope::from_label("nope:x"), None);
}
