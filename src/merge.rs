//! The aggregator (a plain thread, or the caller's): folds per-core snapshots into totals, per-core
//! counters and a per-interval timeline. Interval k is complete once every core has moved past it.
use crate::record::health::{CoreHealth, RowHealth};
use crate::record::histograms::percentile;
use crate::record::hists::IntervalHists;
use crate::record::{Counters, Histograms, Snapshot};
use crossbeam_channel::Receiver;
use std::collections::BTreeMap;

/// One interval of the run, merged over cores, summarised (the histograms are not kept, so
/// memory stays flat however long the run).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TimelineRow {
    pub interval: u64,
    /// Interval start, seconds since t0.
    pub start_s: f64,
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    pub completed: u64,
    pub latency_p50_ns: u64,
    #[serde(default)]
    pub latency_p95_ns: u64,
    pub latency_p99_ns: u64,
    #[serde(default)]
    pub latency_p999_ns: u64,
    pub latency_max_ns: u64,
    pub send_lag_p99_ns: u64,
    /// Closed model: virtual users active at the end of the interval (0 in the open model).
    #[serde(default)]
    pub users: u64,
    /// The generator's health in this interval (and the watched target's resources).
    #[serde(flatten)]
    pub health: RowHealth,
}

pub struct Merged {
    pub totals: Counters,
    pub hists: Histograms,
    pub per_core: Vec<Counters>,
    pub timeline: Vec<TimelineRow>,
    /// Per named request (plan runs).
    pub labels: Vec<crate::record::LabelStats>,
    /// Per load stage (plan runs), merged over cores and intervals.
    pub stages: Vec<crate::record::StageStats>,
    /// Per scenario (plans with `scenarios:`), merged over cores and intervals.
    pub scenarios: Vec<crate::record::StageStats>,
    /// Each completed interval's histograms, V2 compressed as it completes (only these bytes are
    /// kept, so memory stays small however long the run): the result file's timeline.
    pub intervals: Vec<IntervalHists>,
}

struct Pending {
    counters: Counters,
    hists: Histograms,
    health: Vec<CoreHealth>,
    /// The interval's per-label and per-scenario figures (the live per-interval series).
    labels: Vec<crate::record::LabelStats>,
    scenarios: Vec<crate::record::StageStats>,
}

impl Merged {
    /// A snapshot into the run's totals: counters (also per core), histograms, labels, stages.
    fn add(&mut self, s: &Snapshot) {
        self.totals += &s.counters;
        self.hists.add(&s.hists);
        self.per_core[s.core] += &s.counters;
        if self.labels.len() < s.labels.len() {
            self.labels.resize_with(s.labels.len(), Default::default);
        }
        for (a, b) in self.labels.iter_mut().zip(&s.labels) {
            a.add(b);
        }
        add_all(&mut self.stages, &s.stages);
        add_all(&mut self.scenarios, &s.scenarios);
    }
}

/// `into[i] += from[i]`, growing `into` as needed.
fn add_all(into: &mut Vec<crate::record::StageStats>, from: &[crate::record::StageStats]) {
    if into.len() < from.len() {
        into.resize_with(from.len(), Default::default);
    }
    for (a, b) in into.iter_mut().zip(from) {
        a.add(b);
    }
}

impl Pending {
    fn new(cores: usize) -> Pending {
        Pending {
            counters: Counters::default(),
            hists: Histograms::new(),
            health: vec![CoreHealth::default(); cores],
            labels: Vec::new(),
            scenarios: Vec::new(),
        }
    }

    /// A snapshot into its interval (the core's health kept apart).
    fn add(&mut self, s: &Snapshot) {
        self.counters += &s.counters;
        self.hists.add(&s.hists);
        if let Some(h) = self.health.get_mut(s.core) {
            h.add(&s.health);
        }
        if self.labels.len() < s.labels.len() {
            self.labels.resize_with(s.labels.len(), Default::default);
        }
        for (a, b) in self.labels.iter_mut().zip(&s.labels) {
            a.add(b);
        }
        add_all(&mut self.scenarios, &s.scenarios);
    }
}

/// What `collect` shows its caller as each interval completes: the interval's row and counters,
/// and everything merged so far (a prefix of the final totals, so counts taken from it only grow).
pub struct Progress<'a> {
    pub row: &'a TimelineRow,
    /// The interval's counters, merged over cores (its offered arrivals, errors by class).
    pub interval: &'a Counters,
    /// The interval's figures per label (request name) and per scenario, merged over cores.
    pub labels: &'a [crate::record::LabelStats],
    pub scenarios: &'a [crate::record::StageStats],
    /// Per scenario: its virtual users active at the end of the interval.
    pub scenario_users: &'a [u64],
    pub merged: &'a Merged,
}

/// Consume snapshots until every core has sent its last. `on_row` sees each completed interval
/// as soon as it is complete (the live progress line and the live metrics feed on it).
pub fn collect(
    rx: &Receiver<Snapshot>,
    cores: usize,
    interval_ns: u64,
    mut on_row: impl FnMut(&Progress<'_>),
) -> Merged {
    let mut m = Merged {
        totals: Counters::default(),
        hists: Histograms::new(),
        per_core: vec![Counters::default(); cores],
        timeline: Vec::new(),
        labels: Vec::new(),
        stages: Vec::new(),
        scenarios: Vec::new(),
        intervals: Vec::new(),
    };
    let mut users = 0u64;
    let mut scenario_users: Vec<u64> = Vec::new();
    let mut progress = vec![0u64; cores];
    let mut done = vec![false; cores];
    let mut pending: BTreeMap<u64, Pending> = BTreeMap::new();
    while done.iter().any(|d| !d) {
        let Ok(s) = rx.recv() else { break };
        m.add(&s);
        pending.entry(s.interval).or_insert_with(|| Pending::new(cores)).add(&s);
        progress[s.core] = s.interval + 1;
        done[s.core] |= s.last;
        let complete_below = (0..cores).map(|c| if done[c] { u64::MAX } else { progress[c] }).min().unwrap_or(u64::MAX);
        while let Some(entry) = pending.first_entry() {
            if *entry.key() >= complete_below {
                break;
            }
            let (k, p) = entry.remove_entry();
            let mut row = summarise(k, interval_ns, &p);
            users = (users + p.counters.users_started).saturating_sub(p.counters.users_retired);
            row.users = users;
            active(&mut scenario_users, &p.scenarios);
            let (labels, scenarios) = (&p.labels[..], &p.scenarios[..]);
            let seen = Progress {
                row: &row,
                interval: &p.counters,
                labels,
                scenarios,
                scenario_users: &scenario_users,
                merged: &m,
            };
            on_row(&seen);
            m.timeline.push(row);
            m.intervals.push(IntervalHists::of(k, interval_ns, &p.hists));
        }
    }
    m
}

/// Each scenario's active users, moved on by one interval's starts and retirements.
fn active(users: &mut Vec<u64>, interval: &[crate::record::StageStats]) {
    users.resize(users.len().max(interval.len()), 0);
    for (u, s) in users.iter_mut().zip(interval) {
        *u = (*u + s.users_started).saturating_sub(s.users_retired);
    }
}

fn summarise(k: u64, interval_ns: u64, p: &Pending) -> TimelineRow {
    let c = &p.counters;
    TimelineRow {
        interval: k,
        start_s: (k * interval_ns) as f64 / 1e9,
        sent: c.sent,
        ok: c.ok,
        errors: c.http_error + c.transport_total() + c.timeout + c.dropped,
        completed: c.completed(),
        latency_p50_ns: percentile(&p.hists.latency, 0.5),
        latency_p95_ns: percentile(&p.hists.latency, 0.95),
        latency_p99_ns: percentile(&p.hists.latency, 0.99),
        latency_p999_ns: percentile(&p.hists.latency, 0.999),
        latency_max_ns: if p.hists.latency.is_empty() { 0 } else { p.hists.latency.max() },
        send_lag_p99_ns: percentile(&p.hists.send_lag, 0.99),
        users: 0,
        health: RowHealth::of_cores(&p.health, interval_ns),
    }
}
