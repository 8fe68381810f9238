//! The Report model: every number a writer prints, computed once by `Report::build` from the
//! merged result. Writers only format it: each takes `(&Report, &mut impl Write)`.
pub mod compare;
pub mod exporter;
pub mod files;
pub mod fmt;
pub mod health;
pub use crate::record::hists;
pub mod hlog;
pub mod html;
pub mod json;
pub mod junit;
pub mod lag;
pub mod live;
pub mod markdown;
pub mod preflight;
pub mod progress;
pub mod prometheus;
pub mod push;
pub mod result;
pub mod shards;
pub mod spectrum_chart;
pub mod terminal;
pub mod tty;
mod verdict;

use crate::merge::{Merged, TimelineRow};
use crate::record::TransportError;
use crate::record::histograms::percentile;
use crate::slo::spec::Metric;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u32 = 1;

/// The configuration as the report shows it (no secrets: header values are never included).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunConfig {
    pub url: String,
    pub method: String,
    /// None: closed loop (saturation).
    pub target_rate: Option<f64>,
    pub connections: usize,
    pub cores: usize,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub timeout_s: f64,
    /// Send-lag p99 above this marks the run generator-bound.
    pub max_send_lag_ms: f64,
    /// Error rate above this fails the run when no other criterion is given.
    pub max_error_rate: f64,
    /// https without certificate verification (`--insecure`).
    pub tls_insecure: bool,
    /// The plan file, in plan runs.
    pub plan: Option<String>,
    /// The plan's profile laid over it (`--profile`, `ONSLAUGHT_PROFILE`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Names of the plan's requests (endpoint, or journey/step), by label id.
    pub labels: Vec<String>,
    /// Closed model: the most virtual users at once (each owns one connection). None: open model.
    #[serde(default)]
    pub users: Option<u64>,
    /// The plan's measured load stages (empty in quick mode): what `Report::stages` reports on.
    #[serde(default)]
    pub stages: Vec<StagePlan>,
    /// The plan's scenarios (empty without `scenarios:`): what `Report::scenarios` reports on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<ScenarioPlan>,
    /// Per label id: its checks and extractions, as text (plan runs; empty in quick mode).
    #[serde(default)]
    pub label_checks: Vec<LabelChecks>,
}

/// One load stage as planned.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StagePlan {
    pub name: String,
    /// Seconds since the measured window began.
    pub start_s: f64,
    pub end_s: f64,
    /// "100 req/s", "0 -> 1000 req/s", "50 users".
    pub target: String,
}

impl RunConfig {
    /// The load model of a plan with scenarios, in one line: each scenario's model and load
    /// (None without scenarios: the run's own model describes it).
    pub fn scenarios_line(&self) -> Option<String> {
        if self.scenarios.is_empty() {
            return None;
        }
        let each: Vec<String> =
            self.scenarios.iter().map(|s| format!("{} ({}, {})", s.name, s.model, s.target)).collect();
        Some(format!(
            "{} scenarios at once: {}; each measured from its own intended times",
            each.len(),
            each.join(", ")
        ))
    }
}

/// One scenario as planned.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioPlan {
    pub name: String,
    /// "open" (arrivals at a rate) or "closed" (virtual users).
    pub model: String,
    /// Seconds since the measured window began: its first stage's start, its last stage's end.
    pub start_s: f64,
    pub end_s: f64,
    /// Its load in brief: "50 req/s", "20 users", "3 stages, peak 100 req/s".
    pub target: String,
    /// Its connections in all (closed: its peak users).
    pub connections: usize,
    /// Open model: the arrivals its schedule intends per second of its window (None: closed).
    #[serde(default)]
    pub target_rps: Option<f64>,
    /// Its named requests (label names: endpoint, or journey/step).
    pub endpoints: Vec<String>,
}

/// A plan request's checks and extractions, as a person reads them, by index.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LabelChecks {
    /// `status in 2xx, 3xx`, `body contains "items"`, ...; the status check first.
    pub checks: Vec<String>,
    /// `token <- json $.token`, ...
    pub extracts: Vec<String>,
}

/// One check or extraction of a plan request and how often it failed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckRow {
    /// The check (`body contains "items"`) or extraction (`token <- json $.token`).
    pub name: String,
    pub failed: u64,
}

/// One named request of a plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointRow {
    pub name: String,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub checks_failed: u64,
    /// Every check of the request in order (the status check first) with its failures: a
    /// request counts against the first check it failed only.
    #[serde(default)]
    pub checks: Vec<CheckRow>,
    /// Every extraction with the times it found nothing (checked only when every check passed).
    #[serde(default)]
    pub extractions: Vec<CheckRow>,
    /// ok responses of this request per second of the measured window.
    pub ok_rps: f64,
    /// From the intended time.
    pub latency: Dist,
}

/// Facts about how the run ended, from the caller.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunEnd {
    pub interrupted: bool,
    /// Measured window actually run, seconds (shorter than configured when interrupted).
    pub window_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dist {
    pub count: u64,
    pub min_ns: u64,
    pub mean_ns: f64,
    pub stdev_ns: f64,
    pub max_ns: u64,
    /// (quantile as text, value ns), in QUANTILES order.
    pub percentiles: BTreeMap<String, u64>,
}

pub const QUANTILES: [(&str, f64); 7] =
    [("p50", 0.5), ("p75", 0.75), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999), ("p99.99", 0.9999), ("p100", 1.0)];

/// Also computed for every distribution (SLOs are commonly set on p95).
const EXTRA: [(&str, f64); 1] = [("p95", 0.95)];

impl Dist {
    pub fn of(h: &Histogram<u64>) -> Dist {
        let e = h.is_empty();
        Dist {
            count: h.len(),
            min_ns: if e { 0 } else { h.min() },
            mean_ns: if e { 0.0 } else { h.mean() },
            stdev_ns: if e { 0.0 } else { h.stdev() },
            max_ns: if e { 0 } else { h.max() },
            percentiles: QUANTILES.iter().chain(&EXTRA).map(|(n, q)| (n.to_string(), percentile(h, *q))).collect(),
        }
    }
    pub fn p(&self, name: &str) -> u64 {
        self.percentiles.get(name).copied().unwrap_or(0)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Counts {
    pub intended: u64,
    pub sent: u64,
    /// Of `sent`: sent after the measured window, during the grace period.
    pub sent_after_window: u64,
    /// New connections opened during the measured run.
    pub connects: u64,
    pub ok: u64,
    pub http_error: u64,
    pub transport_error: u64,
    pub timeout: u64,
    pub dropped: u64,
    pub incomplete: u64,
    /// By class name; only non-zero classes.
    pub transport: BTreeMap<String, u64>,
    /// By status code; only codes seen.
    pub status: BTreeMap<String, u64>,
    /// intended = ok + http_error + transport_error + timeout + dropped + incomplete
    pub conserved: bool,
}

impl Counts {
    /// The conservation terms, named, in the order MEASUREMENT.md §3 writes them (every writer
    /// lists outcomes this way).
    pub fn outcomes(&self) -> [(&'static str, u64); 6] {
        [
            ("ok", self.ok),
            ("http_error", self.http_error),
            ("transport_error", self.transport_error),
            ("timeout", self.timeout),
            ("dropped", self.dropped),
            ("incomplete", self.incomplete),
        ]
    }

    fn of(c: &crate::record::Counters) -> Counts {
        Counts {
            intended: c.intended,
            sent: c.sent,
            sent_after_window: c.sent_late,
            connects: c.connects,
            ok: c.ok,
            http_error: c.http_error,
            transport_error: c.transport_total(),
            timeout: c.timeout,
            dropped: c.dropped,
            incomplete: c.incomplete,
            transport: TransportError::ALL
                .iter()
                .filter(|t| c.transport_of(**t) > 0)
                .map(|t| (t.name().to_string(), c.transport_of(*t)))
                .collect(),
            status: c.status.iter().enumerate().filter(|(_, n)| **n > 0).map(|(s, n)| (s.to_string(), *n)).collect(),
            conserved: c.conserved(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rates {
    pub target_rps: Option<f64>,
    /// Sent requests per second of the measured window.
    pub achieved_rps: f64,
    /// Completed responses per second of the measured window.
    pub throughput_rps: f64,
    /// (intended − ok) / intended
    pub error_rate: f64,
    /// incomplete / intended
    pub incomplete_rate: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Pass,
    Failed,
    Invalid,
    Interrupted,
}

impl Status {
    /// Exit codes (docs/exit-codes.md): stable.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Pass => 0,
            Status::Failed => 1,
            Status::Invalid => 3,
            Status::Interrupted => 4,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub status: Status,
    pub exit_code: i32,
    pub generator_bound: bool,
    pub target_rate_missed: bool,
    pub too_many_incomplete: bool,
    /// Latency criteria ("total p99") that failed where the send lag could account for the miss:
    /// the run is inconclusive on them (exit 3; report::lag).
    #[serde(default)]
    pub inconclusive: Vec<String>,
    /// One line per failed criterion or warning, with threshold and actual value.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CoreCounts {
    pub core: usize,
    pub intended: u64,
    pub ok: u64,
    pub conserved: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub config: RunConfig,
    pub interrupted: bool,
    /// Why a circuit breaker (`abort_on_fail`, `abort_if`) stopped the run early; None otherwise.
    #[serde(default)]
    pub aborted: Option<String>,
    pub window_s: f64,
    pub counts: Counts,
    pub rates: Rates,
    /// c − t: the headline, corrected for coordinated omission.
    pub latency: Dist,
    /// c − s: what a closed-loop tool reports.
    pub service_time: Dist,
    /// s − t: the generator's own lateness plus waiting for a free connection.
    pub send_lag: Dist,
    /// stop − t of incomplete requests (censored latencies, kept apart).
    pub incomplete_censored: Dist,
    /// Connection set-up time (TCP connect, plus TLS handshake), per new connection.
    pub connect_time: Dist,
    /// Of connect_time, the TLS handshake alone (https).
    pub tls_handshake: Dist,
    pub per_core: Vec<CoreCounts>,
    /// Per named request (plan runs; empty in quick mode).
    pub endpoints: Vec<EndpointRow>,
    pub timeline: Vec<TimelineRow>,
    /// Per load stage of a plan (empty in quick mode): filled by merge (issue 4, item 7).
    #[serde(default)]
    pub stages: Vec<StageRow>,
    /// Per scenario of a plan with `scenarios:` (absent without): requests attributed to the
    /// scenario that sent them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<ScenarioRow>,
    /// Every SLO criterion evaluated, in the order given (empty when none): filled by crate::slo.
    #[serde(default)]
    pub slo: Vec<SloRow>,
    pub verdict: Verdict,
    /// The merged histograms (for writers that need more than the summary; not in the JSON).
    #[serde(skip)]
    pub hists: crate::record::Histograms,
    /// HdrHistogram percentile distribution of latency, for `--latency` (not in the JSON).
    #[serde(skip)]
    pub spectrum: Vec<SpectrumLine>,
    /// Every histogram, V2 compressed: kept in the result file beside this summary, not in the JSON.
    #[serde(skip)]
    pub histograms: hists::EncodedHists,
    /// The generator's own health (docs/generator-health.md).
    #[serde(default)]
    pub generator: health::GeneratorHealth,
    /// The watched target's CPU and memory (`--watch-pid`, `--watch-cgroup`); null when none.
    #[serde(default)]
    pub target: Option<health::TargetResources>,
    /// A distributed run (`--shard`, `onslaught merge`): the run identity, each shard's clock
    /// and health. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed: Option<shards::Distributed>,
}

/// One load stage of a plan, measured: requests attributed by their intended time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageRow {
    pub index: usize,
    /// The stage's name in the plan, or "stage N".
    pub name: String,
    /// Seconds since the measured window began.
    pub start_s: f64,
    pub end_s: f64,
    /// The stage's target as written: "100 req/s", "0 -> 1000 req/s", "50 users".
    pub target: String,
    pub intended: u64,
    pub ok: u64,
    /// intended − ok of this stage.
    pub errors: u64,
    pub achieved_rps: f64,
    pub latency: Dist,
    /// Of intended: sent within the measured window (the numerator of achieved_rps).
    #[serde(default)]
    pub sent: u64,
    /// Of errors: unsent or unanswered when the run ended.
    #[serde(default)]
    pub incomplete: u64,
    /// intended = ok + http_error + transport_error + timeout + dropped + incomplete, per stage.
    #[serde(default)]
    pub conserved: bool,
}

/// One scenario, measured: its counts and latency as a stage's are (its window is its own, from
/// its start to the end of its last stage), with its model, connections and requests.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioRow {
    #[serde(flatten)]
    pub row: StageRow,
    /// "open" or "closed".
    pub model: String,
    pub connections: usize,
    /// Open model: the rate its schedule intends (None: closed), judged as the run's target rate.
    #[serde(default)]
    pub target_rps: Option<f64>,
    /// Its named requests (rows of `Report::endpoints`).
    pub endpoints: Vec<String>,
}

/// One SLO criterion, evaluated (crate::slo).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SloRow {
    /// "total", "endpoint:<name>" or "stage:<name>".
    pub scope: String,
    /// What it judged; written as its name: "p50", "p95", "p99", "p99.9", "max", "error_rate",
    /// "throughput", "checks".
    pub metric: Metric,
    /// The criterion as a person reads it: "p99 <= 200ms".
    pub criterion: String,
    /// In base units: seconds for latency, a ratio for rates, req/s for throughput.
    pub threshold: f64,
    /// None: no data (fails).
    pub actual: Option<f64>,
    pub pass: bool,
}

impl SloRow {
    /// The verdict's line for a failed row: what, threshold and actual.
    pub fn reason(&self) -> String {
        let (row, metric) = (self, self.metric);
        match row.actual {
            Some(a) => {
                let op = if metric.is_ceiling() { ">" } else { "<" };
                format!(
                    "SLO {} {}: {} {op} {} ({})",
                    row.scope,
                    metric.name(),
                    metric.show(a),
                    metric.show(row.threshold),
                    row.criterion
                )
            }
            None => {
                format!(
                    "SLO {} {}: no data: nothing was measured in this scope ({})",
                    row.scope,
                    metric.name(),
                    row.criterion
                )
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SpectrumLine {
    pub value_ns: u64,
    pub quantile: f64,
    /// Cumulative count up to this value.
    pub total: u64,
}

/// Incomplete above this share marks the run invalid (MEASUREMENT.md §4).
pub const MAX_INCOMPLETE: f64 = 0.001;
/// Achieved rate below this share of the target marks it missed.
pub const RATE_TOLERANCE: f64 = 0.99;

impl Report {
    /// The verdict as a word, the same in every writer: a breaker's stop reads ABORTED.
    pub fn status_word(&self) -> &'static str {
        match self.verdict.status {
            Status::Pass => "PASS",
            Status::Failed => "FAILED",
            Status::Invalid => "INVALID RUN",
            Status::Interrupted if self.aborted.is_some() => "ABORTED",
            Status::Interrupted => "INTERRUPTED",
        }
    }

    /// The report of a merged result, which it consumes: the timeline, the histograms and the
    /// encoded intervals move into the report (read once, never cloned or looked up again).
    pub fn build(mut m: Merged, config: RunConfig, end: RunEnd) -> Report {
        let c = &m.totals;
        let window = end.window_s.max(1e-9);
        let rates = Rates::of(c, config.target_rate, window);
        let send_lag = Dist::of(&m.hists.send_lag);
        let counts = Counts::of(c);
        let run_s = config.warmup_s + config.duration_s;
        let generator = health::GeneratorHealth::of(&m.timeline, config.cores, run_s);
        let service_time = Dist::of(&m.hists.service);
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: concat!("onslaught ", env!("CARGO_PKG_VERSION")).to_string(),
            interrupted: end.interrupted,
            aborted: None,
            window_s: end.window_s,
            counts,
            rates,
            latency: Dist::of(&m.hists.latency),
            service_time,
            send_lag,
            incomplete_censored: Dist::of(&m.hists.censored),
            connect_time: Dist::of(&m.hists.connect),
            tls_handshake: Dist::of(&m.hists.handshake),
            per_core: m
                .per_core
                .iter()
                .enumerate()
                .map(|(core, c)| CoreCounts { core, intended: c.intended, ok: c.ok, conserved: c.conserved() })
                .collect(),
            endpoints: endpoint_rows(&m.labels, &config, window),
            stages: stage_rows(&config.stages, &m.stages, end.window_s),
            scenarios: scenario_rows(&config.scenarios, &m.scenarios, end.window_s),
            slo: Vec::new(),
            verdict: Verdict::default(),
            spectrum: spectrum(&m.hists.latency),
            histograms: encoded_hists(&mut m, &config),
            timeline: m.timeline,
            hists: m.hists,
            config,
            generator,
            target: None,
            distributed: None,
        };
        report.decide(&Judged::default(), end.interrupted);
        report
    }
}

impl Rates {
    /// The rates of the measured window (`window_s` > 0): sends and completions that belong to it
    /// (not the late ones after it), error and incomplete shares of the intended requests.
    fn of(c: &crate::record::Counters, target_rps: Option<f64>, window_s: f64) -> Rates {
        let frac = |n: u64| {
            if c.intended == 0 { 0.0 } else { n as f64 / c.intended as f64 }
        };
        Rates {
            target_rps,
            achieved_rps: (c.sent - c.sent_late) as f64 / window_s,
            throughput_rps: (c.completed() - c.completed_late) as f64 / window_s,
            error_rate: frac(c.intended - c.ok.min(c.intended)),
            incomplete_rate: frac(c.incomplete),
        }
    }
}

/// The name of label `i` (`#i` when the config has none).
fn label_name(config: &RunConfig, i: usize) -> String {
    config.labels.get(i).cloned().unwrap_or_else(|| format!("#{i}"))
}

/// Per named request: counts, failed checks and extractions by name, ok/s over the window.
fn endpoint_rows(labels: &[crate::record::LabelStats], config: &RunConfig, window_s: f64) -> Vec<EndpointRow> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| EndpointRow {
            name: label_name(config, i),
            requests: l.requests,
            ok: l.ok,
            errors: l.errors,
            checks_failed: l.checks_failed,
            checks: check_rows(config.label_checks.get(i).map(|c| &c.checks[..]), &l.check_fails),
            extractions: check_rows(config.label_checks.get(i).map(|c| &c.extracts[..]), &l.extract_fails),
            ok_rps: l.ok as f64 / window_s,
            latency: Dist::of(&l.latency),
        })
        .collect()
}

/// Every histogram of the run in the result file's encoding: totals, the intervals merge
/// encoded (moved out of `m`), per endpoint and per plan stage (an empty one for a stage nothing
/// reached).
fn encoded_hists(m: &mut Merged, config: &RunConfig) -> hists::EncodedHists {
    let empty = crate::record::histograms::new_hist();
    hists::EncodedHists {
        start_unix_s: 0.0,
        total: hists::TotalHists::of(&m.hists),
        intervals: std::mem::take(&mut m.intervals),
        endpoints: m
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| hists::NamedHist::of(&label_name(config, i), &l.latency))
            .collect(),
        stages: config
            .stages
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let h = m.stages.get(i).and_then(|s| s.latency.as_ref()).unwrap_or(&empty);
                hists::NamedHist::of(&p.name, h)
            })
            .collect(),
        scenarios: config
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let s = m.scenarios.get(i);
                let h = |f: fn(&crate::record::StageStats) -> Option<&Histogram<u64>>| s.and_then(f).unwrap_or(&empty);
                hists::NamedHist::spectrum(
                    &p.name,
                    h(|s| s.latency.as_ref()),
                    h(|s| s.service.as_ref()),
                    h(|s| s.send_lag.as_ref()),
                )
            })
            .collect(),
        shards: Vec::new(),
    }
}

/// Per-scenario rows: each scenario's window and load with what was measured in it.
fn scenario_rows(plan: &[ScenarioPlan], measured: &[crate::record::StageStats], window_s: f64) -> Vec<ScenarioRow> {
    let as_stages: Vec<StagePlan> = plan
        .iter()
        .map(|p| StagePlan { name: p.name.clone(), start_s: p.start_s, end_s: p.end_s, target: p.target.clone() })
        .collect();
    let rows = stage_rows(&as_stages, measured, window_s);
    rows.into_iter()
        .zip(plan)
        .map(|(row, p)| ScenarioRow {
            row,
            model: p.model.clone(),
            connections: p.connections,
            target_rps: p.target_rps,
            endpoints: p.endpoints.clone(),
        })
        .collect()
}

/// Per-stage rows: the plan's stages with what was measured in each. The achieved rate is over
/// the part of the stage the run lasted (all of it unless interrupted).
fn stage_rows(plan: &[StagePlan], measured: &[crate::record::StageStats], window_s: f64) -> Vec<StageRow> {
    let none = crate::record::StageStats::default();
    let empty = crate::record::histograms::new_hist();
    plan.iter()
        .enumerate()
        .map(|(i, p)| {
            let m = measured.get(i).unwrap_or(&none);
            let ran = p.end_s.min(window_s) - p.start_s;
            StageRow {
                index: i,
                name: p.name.clone(),
                start_s: p.start_s,
                end_s: p.end_s,
                target: p.target.clone(),
                intended: m.intended,
                ok: m.ok,
                errors: m.intended - m.ok.min(m.intended),
                achieved_rps: if ran > 0.0 { m.sent as f64 / ran } else { 0.0 },
                latency: Dist::of(m.latency.as_ref().unwrap_or(&empty)),
                sent: m.sent,
                incomplete: m.incomplete,
                conserved: m.conserved(),
            }
        })
        .collect()
}

/// Names and failure counts side by side (a count without a name, which cannot happen with the
/// engine's own config, is shown as `#i`).
fn check_rows(names: Option<&[String]>, failed: &[u64]) -> Vec<CheckRow> {
    let names = names.unwrap_or(&[]);
    (0..names.len().max(failed.len()))
        .map(|i| CheckRow {
            name: names.get(i).cloned().unwrap_or_else(|| format!("#{i}")),
            failed: failed.get(i).copied().unwrap_or(0),
        })
        .collect()
}

/// What crate::slo decided about a run: its SLO rows, whether they include a global error-rate
/// criterion (which then replaces `--max-error-rate`), and a circuit breaker's reason.
#[derive(Clone, Debug, Default)]
pub struct Judged {
    pub slo: Vec<SloRow>,
    pub replaces_max_error_rate: bool,
    pub aborted: Option<String>,
}

impl Report {
    /// Record the SLO evaluation (and an abort) and decide the verdict again with it.
    pub fn judge(&mut self, j: Judged) {
        let interrupted = self.interrupted || j.aborted.is_some();
        self.decide(&j, interrupted);
        self.interrupted = interrupted;
        self.slo = j.slo;
        self.aborted = j.aborted;
    }

    /// The host timer probe's samples (engine::timer_probe), ns, taken every `period_ns` before
    /// the load and (a histogram, maybe empty) during the run: summarised beside send lag and
    /// used in the verdict (call before `judge`).
    pub fn set_host_timer(&mut self, before: &[u64], during: &hdrhistogram::Histogram<u64>, period_ns: u64) {
        self.generator.host_timer = lag::HostTimer::of(before).every(period_ns);
        self.generator.host_timer_run = lag::HostTimer::of_hist(during).every(period_ns);
    }

    /// The watched target's resources (crate::watch, read by the caller's aggregating thread) over
    /// this report's timeline; None: no target was watched.
    pub fn set_target(&mut self, info: Option<&crate::watch::TargetInfo>) {
        let run_s = self.config.warmup_s + self.config.duration_s;
        self.target = info.map(|t| health::TargetResources::of(&self.timeline, run_s, t));
    }

    /// Decide the verdict from this report's numbers (report::verdict).
    fn decide(&mut self, j: &Judged, interrupted: bool) {
        let e = verdict::Evidence {
            cfg: &self.config,
            rates: &self.rates,
            counts: &self.counts,
            latency: &self.latency,
            service: &self.service_time,
            lag: &self.send_lag,
            generator: &self.generator,
            timeline: &self.timeline,
            scenarios: &self.scenarios,
        };
        let (v, cause) = verdict::decide(&e, interrupted, j);
        self.verdict = v;
        self.generator.bound_cause = cause;
    }
}

/// HdrHistogram's percentile distribution (5 ticks per half distance), as wrk2 prints it.
pub(crate) fn spectrum(h: &Histogram<u64>) -> Vec<SpectrumLine> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut total = 0;
    h.iter_quantiles(5)
        .map(|v| {
            total += v.count_since_last_iteration();
            SpectrumLine {
                value_ns: h.highest_equivalent(v.value_iterated_to()),
                quantile: v.quantile_iterated_to(),
                total,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Counters, Outcome};

    #[test]
    fn resource_exhaustion_comes_with_its_fix() {
        let mut c = Counters::default();
        c.add_outcome(Outcome::Transport(TransportError::PortsExhausted));
        c.add_outcome(Outcome::Transport(TransportError::FdExhausted));
        let h = verdict::resource_hints(&Counts::of(&c));
        assert_eq!(h.len(), 2);
        assert!(h[0].contains("ip_local_port_range") && h[0].contains("keep connections alive"), "{}", h[0]);
        assert!(h[1].contains("ulimit -n"), "{}", h[1]);
        assert!(verdict::resource_hints(&Counts::of(&Counters::default())).is_empty());
    }
}
