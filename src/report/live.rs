//! The live Prometheus exposition (`--metrics-listen`, `--push-every`), built on the merge thread
//! as each interval completes, never on the engine's hot path. Two parts:
//! - the `--prom` file's families (same names, same labels), from everything merged so far: a
//!   prefix of the final totals, so `loadtest_requests_total` only grows; at the end they are the
//!   file's text exactly (`loadtest_slo_pass` appears only then, once the SLOs are judged);
//! - the current interval (`loadtest_interval_*`: offered, achieved and completed rates, latency
//!   p50/p95/p99, send lag p99, errors by class), `loadtest_active_users` and the run's progress.
//!
//! Pure text building; `exporter` serves and pushes it. Names are listed in `FAMILIES` (the
//! Grafana dashboard test checks its queries against them) and documented in docs/reports.md.
use super::exporter::Exporter;
use super::prometheus::{self, escape, head};
use super::{Report, RunConfig, RunEnd};
use crate::merge::{Merged, Progress};
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

/// The current interval's families (and the run's elapsed time), labelled as the file's.
pub fn interval(p: &Progress<'_>, cfg: &RunConfig, t: Timing) -> String {
    let run = escape(&run_label(cfg));
    let secs = t.interval_ns as f64 / 1e9;
    let (c, row) = (p.interval, p.row);
    let ns = |v: u64| v as f64 / 1e9;
    let mut out = Vec::new();
    let gauges: [(&str, &str, f64); 8] = [
        (
            FAMILIES[0],
            "Intended requests per second in the last interval (the offered load, journey steps included).",
            c.intended as f64 / secs,
        ),
        (FAMILIES[1], "Requests sent per second in the last interval.", row.sent as f64 / secs),
        (FAMILIES[2], "Responses completed per second in the last interval.", row.completed as f64 / secs),
        (FAMILIES[3], "Latency from the intended start, p50 of the last interval.", ns(row.latency_p50_ns)),
        (FAMILIES[4], "Latency from the intended start, p95 of the last interval.", ns(row.latency_p95_ns)),
        (FAMILIES[5], "Latency from the intended start, p99 of the last interval.", ns(row.latency_p99_ns)),
        (FAMILIES[6], "Send lag (send minus intended time), p99 of the last interval.", ns(row.send_lag_p99_ns)),
        (FAMILIES[8], "Closed model: virtual users active at the end of the last interval.", row.users as f64),
    ];
    for (name, help, v) in gauges {
        let _ = head(&mut out, name, help, "gauge");
        let _ = writeln!(out, "{name}{{run=\"{run}\",endpoint=\"all\"}} {v}");
    }
    let classes = [
        ("http_error", c.http_error),
        ("transport_error", c.transport_total()),
        ("timeout", c.timeout),
        ("dropped", c.dropped),
    ];
    let _ = head(&mut out, FAMILIES[7], "Requests of the last interval that ended in each error class.", "gauge");
    for (class, n) in classes {
        let _ = writeln!(out, "{}{{run=\"{run}\",endpoint=\"all\",class=\"{class}\"}} {n}", FAMILIES[7]);
    }
    let elapsed = (row.interval + 1) as f64 * secs;
    let _ = head(&mut out, FAMILIES[9], "Seconds since the run started (warm-up included).", "gauge");
    let _ = writeln!(out, "{}{{run=\"{run}\"}} {elapsed}", FAMILIES[9]);
    String::from_utf8(out).unwrap_or_default()
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
