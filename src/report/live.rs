//! The live Prometheus exposition (`--metrics-listen`, `--push-every`), built on the merge thread
//! as each interval completes, never on the engine's hot path. Two parts:
//! - the `--prom` file's families (same names, same labels), from everything merged so far: a
//!   prefix of the final totals, so `loadtest_requests_total` only grows; at the end they are the
//!   file's text exactly (`loadtest_slo_pass` appears only then, once the SLOs are judged);
//! - the current interval (`loadtest_interval_*`: offered, achieved and completed rates, latency
//!   p50/p95/p99, send lag p99, errors by class), `loadtest_active_users` and the run's progress;
//!   completed rate, latency and errors also per request name (`endpoint`), and with scenarios
//!   every figure per scenario (`SCENARIO_FAMILIES`, labelled `scenario`).
//!
//! Pure text building; `exporter` serves and pushes it. Names are listed in `FAMILIES` (the
//! Grafana dashboard test checks its queries against them) and documented in docs/reports.md.
use super::exporter::Exporter;
use super::prometheus::{self, escape, head};
use super::{Report, RunConfig, RunEnd};
use crate::merge::{Merged, Progress};
use crate::record::histograms::percentile;
use crate::record::{CLASSES, LabelStats, StageStats};
use std::io::Write;

/// Every family only the live exposition has (the file's are in `prometheus`).
pub const FAMILIES: [&str; 11] = [
    "loadtest_interval_offered_rps",
    "loadtest_interval_achieved_rps",
    "loadtest_interval_throughput_rps",
    "loadtest_interval_latency_p50_seconds",
    "loadtest_interval_latency_p95_seconds",
    "loadtest_interval_latency_p99_seconds",
    "loadtest_interval_send_lag_p99_seconds",
    "loadtest_interval_errors",
    "loadtest_active_users",
    "loadtest_run_elapsed_seconds",
    "loadtest_run_finished",
];

/// The run's timing, for rates and progress.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub interval_ns: u64,
    pub warmup_ns: u64,
}

/// The file's families from what is merged so far. The window is the measured time the
/// completed intervals cover (at least one interval, so rates stay finite during warm-up).
pub fn measures_during(p: &Progress<'_>, cfg: &RunConfig, t: Timing) -> String {
    let covered_ns = (p.row.interval + 1) * t.interval_ns;
    let window_s = covered_ns.saturating_sub(t.warmup_ns).max(t.interval_ns) as f64 / 1e9;
    let mut r = Report::build(summary_of(p.merged), cfg.clone(), RunEnd { interrupted: false, window_s });
    count_only_what_ended(&mut r, p);
    let mut out = Vec::new();
    let _ = prometheus::measures(&r, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// What the file's families need of the merge so far: counters, histograms, per endpoint and
/// stage; not the timeline or the encoded intervals, which grow with the run and are not read.
fn summary_of(m: &Merged) -> Merged {
    Merged {
        totals: m.totals.clone(),
        hists: m.hists.clone(),
        per_core: m.per_core.clone(),
        timeline: Vec::new(),
        labels: m.labels.clone(),
        stages: m.stages.clone(),
        scenarios: m.scenarios.clone(),
        intervals: Vec::new(),
    }
}

/// The aggregating thread's side of `--metrics-listen`: publishes each completed interval, then
/// the final values.
pub struct Feed<'a> {
    exporter: &'a Exporter,
    cfg: &'a RunConfig,
    timing: Timing,
    /// The last interval's families, kept for the final exposition.
    last_interval: String,
}

impl<'a> Feed<'a> {
    pub fn new(exporter: &'a Exporter, cfg: &'a RunConfig, timing: Timing) -> Feed<'a> {
        Feed { exporter, cfg, timing, last_interval: String::new() }
    }

    /// An interval completed: the file's families so far, this interval's, not finished.
    pub fn interval(&mut self, p: &Progress<'_>) {
        self.last_interval = interval(p, self.cfg, self.timing);
        let body = measures_during(p, self.cfg, self.timing) + &self.last_interval + &finished(self.cfg, false);
        self.exporter.publish(body);
    }

    /// The run is judged: the `--prom` file's text exactly, the last interval, finished = 1.
    pub fn finish(&self, r: &Report) {
        self.exporter.finish(measures_final(r) + &self.last_interval + &finished(self.cfg, true));
    }
}

/// Mid-run, a request claimed from the schedule but still in flight is neither ok nor an error:
/// error rates and stage error counts take only requests that have ended, so the live error rate
/// is not inflated by what is in flight and the stage error counter only grows. (At the end every
/// intended request has ended, and these equal the report's own.)
fn count_only_what_ended(r: &mut Report, p: &Progress<'_>) {
    let k = &r.counts;
    let ended = k.ok + k.http_error + k.transport_error + k.timeout + k.dropped + k.incomplete;
    r.rates.error_rate = if ended == 0 { 0.0 } else { (ended - k.ok) as f64 / ended as f64 };
    for (row, m) in r.stages.iter_mut().zip(&p.merged.stages) {
        row.errors = m.http_error + m.failed + m.incomplete;
    }
    for (row, m) in r.scenarios.iter_mut().zip(&p.merged.scenarios) {
        row.row.errors = m.http_error + m.failed + m.incomplete;
    }
}

/// The file's families at the end: exactly what `--prom` writes.
pub fn measures_final(r: &Report) -> String {
    let mut out = Vec::new();
    let _ = prometheus::write(r, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// A request name's value in the current interval (its requests ended, its latency), given the
/// interval's length in seconds.
type PerEndpoint = fn(&LabelStats, f64) -> f64;

/// The current interval's families (and the run's elapsed time), labelled as the file's: the
/// whole run (`endpoint="all"`), each request name where it is measured per name, and (plans
/// with scenarios) each scenario.
pub fn interval(p: &Progress<'_>, cfg: &RunConfig, t: Timing) -> String {
    let run = escape(&run_label(cfg));
    let secs = t.interval_ns as f64 / 1e9;
    let (c, row) = (p.interval, p.row);
    let ns = |v: u64| v as f64 / 1e9;
    let mut out = Vec::new();
    let gauges: [(&str, &str, f64, Option<PerEndpoint>); 8] = [
        (
            FAMILIES[0],
            "Intended requests per second in the last interval (the offered load, journey steps included).",
            c.intended as f64 / secs,
            None,
        ),
        (FAMILIES[1], "Requests sent per second in the last interval.", row.sent as f64 / secs, None),
        (
            FAMILIES[2],
            "Responses completed per second in the last interval (per endpoint: its requests that ended).",
            row.completed as f64 / secs,
            Some(|l, secs| l.requests as f64 / secs),
        ),
        (
            FAMILIES[3],
            "Latency from the intended start, p50 of the last interval.",
            ns(row.latency_p50_ns),
            Some(|l, _| label_q(l, 0.5)),
        ),
        (
            FAMILIES[4],
            "Latency from the intended start, p95 of the last interval.",
            ns(row.latency_p95_ns),
            Some(|l, _| label_q(l, 0.95)),
        ),
        (
            FAMILIES[5],
            "Latency from the intended start, p99 of the last interval.",
            ns(row.latency_p99_ns),
            Some(|l, _| label_q(l, 0.99)),
        ),
        (FAMILIES[6], "Send lag (send minus intended time), p99 of the last interval.", ns(row.send_lag_p99_ns), None),
        (FAMILIES[8], "Closed model: virtual users active at the end of the last interval.", row.users as f64, None),
    ];
    for (name, help, v, per) in gauges {
        let _ = head(&mut out, name, help, "gauge");
        let _ = writeln!(out, "{name}{{run=\"{run}\",endpoint=\"all\"}} {v}");
        if let Some(f) = per {
            let _ = per_endpoint(&mut out, name, &run, p, cfg, |l| f(l, secs));
        }
    }
    let _ = errors(&mut out, &run, p, cfg);
    let elapsed = (row.interval + 1) as f64 * secs;
    let _ = head(&mut out, FAMILIES[9], "Seconds since the run started (warm-up included).", "gauge");
    let _ = writeln!(out, "{}{{run=\"{run}\"}} {elapsed}", FAMILIES[9]);
    let _ = scenarios(&mut out, &run, p, cfg, secs);
    String::from_utf8(out).unwrap_or_default()
}

/// A request name's latency at quantile `p` in the interval, in seconds.
fn label_q(l: &LabelStats, p: f64) -> f64 {
    percentile(&l.latency, p) as f64 / 1e9
}

/// A lazily made histogram's value at quantile `p`, in seconds (0 when nothing was recorded).
fn opt_q(h: &Option<hdrhistogram::Histogram<u64>>, p: f64) -> f64 {
    h.as_ref().map_or(0, |h| percentile(h, p)) as f64 / 1e9
}

/// One family's per-endpoint samples of the interval (the request names that ran in it).
fn per_endpoint(
    out: &mut Vec<u8>,
    name: &str,
    run: &str,
    p: &Progress<'_>,
    cfg: &RunConfig,
    f: impl Fn(&LabelStats) -> f64,
) -> std::io::Result<()> {
    for (i, l) in p.labels.iter().enumerate().filter(|(_, l)| l.requests > 0) {
        let endpoint = escape(cfg.labels.get(i).map_or("", String::as_str));
        writeln!(out, "{name}{{run=\"{run}\",endpoint=\"{endpoint}\"}} {}", f(l))?;
    }
    Ok(())
}

/// `loadtest_interval_errors{class}`: the whole run's, then each request name's (that ran).
fn errors(out: &mut Vec<u8>, run: &str, p: &Progress<'_>, cfg: &RunConfig) -> std::io::Result<()> {
    let c = p.interval;
    let all = [c.http_error, c.transport_total(), c.timeout, c.dropped];
    head(out, FAMILIES[7], "Requests of the last interval that ended in each error class.", "gauge")?;
    for (class, n) in CLASSES.iter().zip(all) {
        writeln!(out, "{}{{run=\"{run}\",endpoint=\"all\",class=\"{class}\"}} {n}", FAMILIES[7])?;
    }
    for (i, l) in p.labels.iter().enumerate().filter(|(_, l)| l.requests > 0) {
        let endpoint = escape(cfg.labels.get(i).map_or("", String::as_str));
        for (class, n) in CLASSES.iter().zip(l.classes) {
            writeln!(out, "{}{{run=\"{run}\",endpoint=\"{endpoint}\",class=\"{class}\"}} {n}", FAMILIES[7])?;
        }
    }
    Ok(())
}

/// `loadtest_run_finished`: 1 once the final values are published.
pub fn finished(cfg: &RunConfig, done: bool) -> String {
    let run = escape(&run_label(cfg));
    let mut out = Vec::new();
    let help = "1 when the run has ended and the file families hold the final values, else 0.";
    let _ = head(&mut out, FAMILIES[10], help, "gauge");
    let _ = writeln!(out, "{}{{run=\"{run}\"}} {}", FAMILIES[10], u8::from(done));
    String::from_utf8(out).unwrap_or_default()
}

/// The `run` label, as `prometheus::run_label` gives it for the finished report.
pub fn run_label(cfg: &RunConfig) -> String {
    cfg.plan
        .as_deref()
        .and_then(|p| std::path::Path::new(p).file_stem())
        .map_or_else(|| "quick".to_string(), |s| s.to_string_lossy().into_owned())
}

/// The families a plan with scenarios adds: the current interval per scenario, labelled `run` and
/// `scenario` as the file's `loadtest_scenario_*` are.
pub const SCENARIO_FAMILIES: [&str; 9] = [
    "loadtest_interval_scenario_offered_rps",
    "loadtest_interval_scenario_achieved_rps",
    "loadtest_interval_scenario_throughput_rps",
    "loadtest_interval_scenario_latency_p50_seconds",
    "loadtest_interval_scenario_latency_p95_seconds",
    "loadtest_interval_scenario_latency_p99_seconds",
    "loadtest_interval_scenario_send_lag_p99_seconds",
    "loadtest_interval_scenario_errors",
    "loadtest_scenario_active_users",
];

/// A scenario's value in the current interval, given the interval's length in seconds.
type PerScenario = fn(&StageStats, f64) -> f64;

/// Per scenario: the interval's offered, sent and completed rates, latency, send lag, errors by
/// class and active users (nothing for a plan without scenarios).
fn scenarios(out: &mut Vec<u8>, run: &str, p: &Progress<'_>, cfg: &RunConfig, secs: f64) -> std::io::Result<()> {
    let gauges: [(&str, &str, PerScenario); 7] = [
        (SCENARIO_FAMILIES[0], "Intended requests per second of each scenario in the last interval.", |s, t| {
            s.intended as f64 / t
        }),
        (SCENARIO_FAMILIES[1], "Requests each scenario sent per second in the last interval.", |s, t| {
            s.sent as f64 / t
        }),
        (SCENARIO_FAMILIES[2], "Requests of each scenario that ended per second in the last interval.", |s, t| {
            (s.ok + s.http_error + s.failed) as f64 / t
        }),
        (
            SCENARIO_FAMILIES[3],
            "Latency from the intended start within each scenario, p50 of the last interval.",
            |s, _| opt_q(&s.latency, 0.5),
        ),
        (
            SCENARIO_FAMILIES[4],
            "Latency from the intended start within each scenario, p95 of the last interval.",
            |s, _| opt_q(&s.latency, 0.95),
        ),
        (
            SCENARIO_FAMILIES[5],
            "Latency from the intended start within each scenario, p99 of the last interval.",
            |s, _| opt_q(&s.latency, 0.99),
        ),
        (SCENARIO_FAMILIES[6], "Send lag within each scenario, p99 of the last interval.", |s, _| {
            opt_q(&s.send_lag, 0.99)
        }),
    ];
    let named = || cfg.scenarios.iter().zip(p.scenarios.iter().map(Some).chain(std::iter::repeat(None)));
    if cfg.scenarios.is_empty() {
        return Ok(());
    }
    let none = StageStats::default();
    for (name, help, f) in gauges {
        head(out, name, help, "gauge")?;
        for (sc, s) in named() {
            writeln!(out, "{name}{{run=\"{run}\",scenario=\"{}\"}} {}", escape(&sc.name), f(s.unwrap_or(&none), secs))?;
        }
    }
    let name = SCENARIO_FAMILIES[7];
    head(out, name, "Requests of each scenario in the last interval that ended in each error class.", "gauge")?;
    for (sc, s) in named() {
        let s = s.unwrap_or(&none);
        let by = [s.http_error, s.classes[0], s.classes[1], s.classes[2]];
        for (class, n) in CLASSES.iter().zip(by) {
            writeln!(out, "{name}{{run=\"{run}\",scenario=\"{}\",class=\"{class}\"}} {n}", escape(&sc.name))?;
        }
    }
    let name = SCENARIO_FAMILIES[8];
    head(out, name, "Virtual users of each scenario active at the end of the last interval (0: open model).", "gauge")?;
    for (i, sc) in cfg.scenarios.iter().enumerate() {
        let users = p.scenario_users.get(i).copied().unwrap_or(0);
        writeln!(out, "{name}{{run=\"{run}\",scenario=\"{}\"}} {users}", escape(&sc.name))?;
    }
    Ok(())
}
