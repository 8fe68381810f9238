//! Per-shard recording: outcome classes, counters and the three latency histograms of
//! MEASUREMENT.md §1. Owned by one shard, never shared; merged by value (`AddAssign`).
pub mod counters;
pub mod health;
pub mod histograms;
pub mod hists;

pub use counters::{Counters, Outcome, TransportError};
pub use histograms::Histograms;

/// Per named request (plan endpoint or journey step): counts and latency from the intended time.
#[derive(Clone, Debug)]
pub struct LabelStats {
    pub requests: u64,
    pub ok: u64,
    /// Not ok: transport errors, timeouts, unexpected statuses, failed checks.
    pub errors: u64,
    /// Of `errors`: a complete response with an expected status that failed a later check or
    /// an extraction.
    pub checks_failed: u64,
    /// Failures per check, by index in the step's check list (0: the status check); grown on
    /// the first failure, so a label that never fails allocates nothing.
    pub check_fails: Vec<u64>,
    /// Failures per extraction, by index in the step's `extract` list.
    pub extract_fails: Vec<u64>,
    pub latency: hdrhistogram::Histogram<u64>,
    /// Of `errors`, by class: http_error (a response, not ok), transport_error, timeout, dropped
    /// (`CLASSES`). For the live per-interval figures; not kept in the result file.
    pub classes: [u64; 4],
}

/// The error classes of `LabelStats::classes`, as the live exposition labels them.
pub const CLASSES: [&str; 4] = ["http_error", "transport_error", "timeout", "dropped"];

/// The class index (into `CLASSES`) of a request that failed without a complete response.
fn class_of(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Transport(_) => 1,
        Outcome::Timeout => 2,
        Outcome::Dropped => 3,
    }
}

impl Default for LabelStats {
    fn default() -> Self {
        LabelStats {
            requests: 0,
            ok: 0,
            errors: 0,
            checks_failed: 0,
            check_fails: Vec::new(),
            extract_fails: Vec::new(),
            latency: histograms::new_hist(),
            classes: [0; 4],
        }
    }
}

/// `into[i] += from[i]`, growing `into` as needed.
fn add_counts(into: &mut Vec<u64>, from: &[u64]) {
    if into.len() < from.len() {
        into.resize(from.len(), 0);
    }
    into.iter_mut().zip(from).for_each(|(a, b)| *a += b);
}

fn bump(v: &mut Vec<u64>, i: usize) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += 1;
}

impl LabelStats {
    pub fn add(&mut self, o: &LabelStats) {
        self.requests += o.requests;
        self.ok += o.ok;
        self.errors += o.errors;
        self.checks_failed += o.checks_failed;
        add_counts(&mut self.check_fails, &o.check_fails);
        add_counts(&mut self.extract_fails, &o.extract_fails);
        let _ = self.latency.add(&o.latency);
        self.classes.iter_mut().zip(o.classes).for_each(|(a, b)| *a += b);
    }
}

/// Per load stage of a plan: requests attributed to the stage that contains their intended time.
/// The latency histogram is made on the first response, so stages an interval never touched cost
/// nothing to flush (a stress plan has nine stages; an interval touches one or two).
#[derive(Clone, Debug, Default)]
pub struct StageStats {
    pub intended: u64,
    /// Sent within the measured window.
    pub sent: u64,
    pub ok: u64,
    pub http_error: u64,
    /// Transport errors, timeouts and drops.
    pub failed: u64,
    pub incomplete: u64,
    /// c − t of complete responses.
    pub latency: Option<hdrhistogram::Histogram<u64>>,
    /// Of `failed`, by class: transport_error, timeout, dropped (`CLASSES[1..]`).
    pub classes: [u64; 3],
    /// Scenarios only: s − t of the requests sent (made on the first send).
    pub send_lag: Option<hdrhistogram::Histogram<u64>>,
    /// Scenarios only: c − s of complete responses (the scenario's percentile spectrum).
    pub service: Option<hdrhistogram::Histogram<u64>>,
    /// Scenarios only (closed model): users that started and retired.
    pub users_started: u64,
    pub users_retired: u64,
}

impl StageStats {
    pub fn add(&mut self, o: &StageStats) {
        self.intended += o.intended;
        self.sent += o.sent;
        self.ok += o.ok;
        self.http_error += o.http_error;
        self.failed += o.failed;
        self.incomplete += o.incomplete;
        if let Some(h) = &o.latency {
            let _ = self.latency.get_or_insert_with(histograms::new_hist).add(h);
        }
        if let Some(h) = &o.send_lag {
            let _ = self.send_lag.get_or_insert_with(histograms::new_hist).add(h);
        }
        if let Some(h) = &o.service {
            let _ = self.service.get_or_insert_with(histograms::new_hist).add(h);
        }
        self.classes.iter_mut().zip(o.classes).for_each(|(a, b)| *a += b);
        self.users_started += o.users_started;
        self.users_retired += o.users_retired;
    }
    /// intended = ok + http_error + failed + incomplete, as for the totals.
    pub fn conserved(&self) -> bool {
        self.intended == self.ok + self.http_error + self.failed + self.incomplete
    }
}

/// One shard's recording for one interval, sent once per interval to the aggregator.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub core: usize,
    /// Interval index since t0 (interval length from the engine spec).
    pub interval: u64,
    pub counters: Counters,
    pub hists: Histograms,
    pub labels: Vec<LabelStats>,
    /// Per load stage (plan runs with stages; else empty).
    pub stages: Vec<StageStats>,
    /// Per scenario (plans with `scenarios:`; else empty), counted as the stages are.
    pub scenarios: Vec<StageStats>,
    /// Set on the shard's last snapshot: nothing more will come from this core.
    pub last: bool,
    /// The executor's own health over the interval (busy time, connection backlog).
    pub health: health::CoreHealth,
}

/// Why a step's request was not ok although its response was complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The check at this index of `Checks::list()` failed (0: the status check).
    Check(u16),
    /// The extraction at this index of `Step::extract` found nothing.
    Extract(u16),
}

/// What a shard records into: counters and histograms for the current interval.
#[derive(Debug)]
pub struct Recorder {
    pub counters: Counters,
    pub hists: Histograms,
    /// End of the measured window (clock ns): sends and completions at or after it are counted
    /// apart, so rates describe the window and not the grace period.
    pub window_end: u64,
    /// Per label (plan runs only; empty in quick mode).
    pub labels: Vec<LabelStats>,
    /// Per load stage (plan runs with stages; else empty), and the stage the next calls record
    /// into: the shard sets it from each request's intended time before recording.
    pub stages: Vec<StageStats>,
    pub stage: usize,
    /// Per scenario (plans with `scenarios:`; else empty), and the scenario the next calls
    /// record into (set with `stage`, from the request's scenario).
    pub scenarios: Vec<StageStats>,
    pub scenario: usize,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            counters: Counters::default(),
            hists: Histograms::new(),
            window_end: u64::MAX,
            labels: Vec::new(),
            stages: Vec::new(),
            stage: 0,
            scenarios: Vec::new(),
            scenario: 0,
        }
    }
}

/// The instants of one request (CLOCK_MONOTONIC ns): intended, sent, completed.
#[derive(Clone, Copy, Debug)]
pub struct Instants {
    pub intended: u64,
    pub sent: u64,
    pub completed: u64,
}

impl Recorder {
    /// A request was claimed from the schedule.
    #[inline]
    pub fn intended(&mut self) {
        self.counters.intended += 1;
        for s in self.parts() {
            s.intended += 1;
        }
    }

    /// A request's first byte went to the socket.
    #[inline]
    pub fn sent(&mut self, t: &Instants) {
        self.counters.sent += 1;
        self.counters.sent_late += u64::from(t.sent >= self.window_end);
        self.hists.record_send_lag(t.sent.saturating_sub(t.intended));
        let in_window = u64::from(t.sent < self.window_end);
        for s in self.parts() {
            s.sent += in_window;
        }
        if let Some(s) = self.scenarios.get_mut(self.scenario) {
            let lag = t.sent.saturating_sub(t.intended).clamp(histograms::LOW_NS, histograms::HIGH_NS);
            let _ = s.send_lag.get_or_insert_with(histograms::new_hist).record(lag);
        }
    }

    /// A complete response arrived: latency (c − t) and service time (c − s) are recorded.
    #[inline]
    pub fn response(&mut self, t: &Instants, status: u16, ok: bool) {
        if ok {
            self.counters.ok += 1;
        } else {
            self.counters.http_error += 1;
        }
        self.counters.count_status(status);
        self.counters.completed_late += u64::from(t.completed >= self.window_end);
        self.hists.record_latency(t.completed.saturating_sub(t.intended));
        self.hists.record_service(t.completed.saturating_sub(t.sent));
        let v = t.completed.saturating_sub(t.intended).clamp(histograms::LOW_NS, histograms::HIGH_NS);
        for s in self.parts() {
            s.ok += u64::from(ok);
            s.http_error += u64::from(!ok);
            let _ = s.latency.get_or_insert_with(histograms::new_hist).record(v);
        }
        if let Some(s) = self.scenarios.get_mut(self.scenario) {
            let service = t.completed.saturating_sub(t.sent).clamp(histograms::LOW_NS, histograms::HIGH_NS);
            let _ = s.service.get_or_insert_with(histograms::new_hist).record(service);
        }
    }

    /// A labelled request ended: `latency` is c − t when a response arrived.
    #[inline]
    pub fn label(&mut self, label: usize, ok: bool, check_failed: bool, latency: Option<u64>) {
        if let Some(l) = self.labels.get_mut(label) {
            l.requests += 1;
            l.ok += u64::from(ok);
            l.errors += u64::from(!ok);
            l.checks_failed += u64::from(check_failed);
            if let Some(v) = latency {
                let _ = l.latency.record(v.clamp(histograms::LOW_NS, histograms::HIGH_NS));
                l.classes[0] += u64::from(!ok);
            }
        }
    }

    /// Why a labelled request with a complete response was not ok: one failed check (by index)
    /// or extraction (by index). Called beside `label`, at most once per request.
    #[inline]
    pub fn label_failure(&mut self, label: usize, failure: Failure) {
        if let Some(l) = self.labels.get_mut(label) {
            match failure {
                Failure::Check(i) => bump(&mut l.check_fails, i as usize),
                Failure::Extract(i) => bump(&mut l.extract_fails, i as usize),
            }
        }
    }

    /// A labelled request failed without a complete response: its class (beside `label`).
    #[inline]
    pub fn label_outcome(&mut self, label: usize, outcome: Outcome) {
        if let Some(l) = self.labels.get_mut(label) {
            l.classes[class_of(outcome)] += 1;
        }
    }

    /// The request failed without a complete response.
    #[inline]
    pub fn failed(&mut self, outcome: Outcome) {
        self.counters.add_outcome(outcome);
        let class = class_of(outcome) - 1;
        for s in self.parts() {
            s.failed += 1;
            s.classes[class] += 1;
        }
    }

    /// A virtual user of the current scenario started (or, `false`, retired).
    pub fn user(&mut self, started: bool) {
        let (c, s) = (&mut self.counters, self.scenarios.get_mut(self.scenario));
        match started {
            true => c.users_started += 1,
            false => c.users_retired += 1,
        }
        if let Some(s) = s {
            s.users_started += u64::from(started);
            s.users_retired += u64::from(!started);
        }
    }

    /// A new connection was set up in `ns` (connect, plus TLS handshake).
    pub fn connected(&mut self, ns: u64, handshake_ns: Option<u64>) {
        self.counters.connects += 1;
        self.hists.record_connect(ns);
        if let Some(h) = handshake_ns {
            self.hists.record_handshake(h);
        }
    }

    /// Still unsent or in flight when the run stopped; `censored` = stop − t_i.
    pub fn incomplete(&mut self, censored: u64) {
        self.counters.incomplete += 1;
        self.hists.record_censored(censored);
        for s in self.parts() {
            s.incomplete += 1;
        }
    }

    /// The stage and the scenario the current request counts in (each absent when not tracked).
    #[inline]
    fn parts(&mut self) -> impl Iterator<Item = &mut StageStats> {
        let stage = self.stages.get_mut(self.stage);
        stage.into_iter().chain(self.scenarios.get_mut(self.scenario))
    }

    /// Hand over this interval's data and start a fresh one.
    pub fn take(&mut self) -> Recorder {
        let fresh = self.fresh();
        std::mem::replace(self, fresh)
    }

    /// An empty recorder shaped like this one (its histograms allocated: the costly part of a
    /// flush, which a shard does ahead of time, away from a due send).
    pub fn fresh(&self) -> Recorder {
        let labels = (0..self.labels.len()).map(|_| LabelStats::default()).collect();
        let stages = (0..self.stages.len()).map(|_| StageStats::default()).collect();
        let scenarios = (0..self.scenarios.len()).map(|_| StageStats::default()).collect();
        let (stage, scenario) = (self.stage, self.scenario);
        Recorder { window_end: self.window_end, labels, stages, stage, scenarios, scenario, ..Recorder::default() }
    }

    /// Hand over this interval's data and continue in `spare` (made by `fresh`): no allocation.
    pub fn take_into(&mut self, mut spare: Recorder) -> Recorder {
        (spare.window_end, spare.stage, spare.scenario) = (self.window_end, self.stage, self.scenario);
        std::mem::replace(self, spare)
    }
}
