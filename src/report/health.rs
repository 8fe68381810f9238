//! The `generator` and `target` sections of the Report (summaries of the timeline's health
//! figures), and why a generator-bound run was bound: too few connections, saturated executors,
//! or the timer/host. Pure: computed from the merged timeline, never from live state.
use super::Dist;
use crate::merge::TimelineRow;
use serde::{Deserialize, Serialize};

/// An executor whose median busy share is at least this is saturated: it cannot take more.
pub const SATURATED: f64 = 0.9;
/// Due requests found waiting for a connection in at least this share of the control ticks of
/// some interval: the run was short of connections at least then. (A due request can only wait
/// unclaimed when every connection is busy: a free one always holds the next slot.)
pub const WAITING: f64 = 0.1;

/// The generator's own health over the run (docs/generator-health.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorHealth {
    /// Per core: median and maximum, over the run's intervals, of the share of time its
    /// executor thread was on a CPU.
    pub core_busy_p50: Vec<f64>,
    pub core_busy_max: Vec<f64>,
    /// Per core: median share of time its executor was runnable but waiting for a CPU (another
    /// process had it: the host is contended).
    pub core_runq_p50: Vec<f64>,
    /// Most due requests found waiting for a free connection on one core at one tick.
    pub backlog_max: u64,
    /// Share of control ticks (all cores, all intervals) that found due requests waiting.
    pub waiting_share: f64,
    /// The same in the interval where it was highest. Not restricted to the intervals with a
    /// high send lag: a request that waits is recorded when it is finally sent, often in the next
    /// interval.
    pub waiting_share_max: f64,
    /// The whole generator process: CPU cores used (user + system), mean and max per interval.
    pub cpu_cores_mean: f64,
    pub cpu_cores_max: f64,
    pub rss_max_bytes: u64,
    pub fds_max: u64,
    /// Sockets open at most (each holds a local port).
    pub sockets_max: u64,
    /// Set when send lag p99 exceeded `--max-send-lag`: why (report::verdict decides whether
    /// that made the run generator-bound).
    pub bound_cause: Option<BoundCause>,
    /// How late this host wakes a sleeping thread (the probe before the load): the floor under
    /// send lag.
    pub host_timer: super::lag::HostTimer,
    /// The same sampled during the run beside each executor (low rates only; `samples` 0 when
    /// not sampled): where present, the floor the verdict uses (report::lag::floor).
    pub host_timer_run: super::lag::HostTimer,
}

/// Why the generator, not the target, limited the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundCause {
    /// Due requests waited for a free connection while the executors had time to spare.
    Connections,
    /// An executor was busy (nearly) all the time.
    Cores,
    /// Requests found a free connection and an idle executor, yet left late: timer wake-up or
    /// the host (CPU steal, other processes).
    Timer,
    /// Due requests waited for a connection because the target held them: most of the time
    /// connections were busy went to requests it never answered within the timeout. Not the
    /// generator's doing: the run is judged on the target's errors.
    Target,
}

/// The watched target's resources over the run (`--watch-pid`, `--watch-cgroup`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetResources {
    /// "pid 1234" or "cgroup /sys/fs/cgroup/...".
    pub source: String,
    /// CPU cores used, per interval: mean and max (null: never read).
    pub cpu_cores_mean: Option<f64>,
    pub cpu_cores_max: Option<f64>,
    pub mem_max_bytes: Option<u64>,
    /// Seconds since the start when the process or cgroup was found gone (null: it lasted).
    pub gone_at_s: Option<f64>,
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (n, s) = v.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    if n == 0 { 0.0 } else { s / n as f64 }
}

/// The rows that describe the run itself: intervals starting before its end (the grace period
/// and a partial last interval would understate how busy the generator was).
fn run_rows(timeline: &[TimelineRow], run_s: f64) -> Vec<&TimelineRow> {
    let rows: Vec<&TimelineRow> = timeline.iter().filter(|r| r.start_s < run_s).collect();
    if rows.is_empty() { timeline.iter().collect() } else { rows }
}

impl GeneratorHealth {
    /// Summarise the timeline; `run_s` is warm-up plus duration.
    pub fn of(timeline: &[TimelineRow], cores: usize, run_s: f64) -> GeneratorHealth {
        let rows = run_rows(timeline, run_s);
        let col = |v: fn(&TimelineRow) -> &Vec<f64>, k: usize| -> Vec<f64> {
            rows.iter().map(|r| v(r).get(k).copied().unwrap_or(0.0)).collect()
        };
        let busy = |k: usize| col(|r| &r.health.core_busy, k);
        GeneratorHealth {
            core_busy_p50: (0..cores).map(|k| median(&mut busy(k))).collect(),
            core_busy_max: (0..cores).map(|k| busy(k).into_iter().fold(0.0, f64::max)).collect(),
            core_runq_p50: (0..cores).map(|k| median(&mut col(|r| &r.health.core_runq, k))).collect(),
            backlog_max: rows.iter().map(|r| r.health.backlog_max).max().unwrap_or(0),
            waiting_share: mean(rows.iter().map(|r| r.health.waiting_share)),
            waiting_share_max: rows.iter().map(|r| r.health.waiting_share).fold(0.0, f64::max),
            cpu_cores_mean: mean(rows.iter().map(|r| r.health.gen_cpu_cores)),
            cpu_cores_max: rows.iter().map(|r| r.health.gen_cpu_cores).fold(0.0, f64::max),
            rss_max_bytes: rows.iter().map(|r| r.health.gen_rss_bytes).max().unwrap_or(0),
            fds_max: rows.iter().map(|r| r.health.fds).max().unwrap_or(0),
            sockets_max: rows.iter().map(|r| r.health.sockets).max().unwrap_or(0),
            bound_cause: None,
            host_timer: super::lag::HostTimer::default(),
            host_timer_run: super::lag::HostTimer::default(),
        }
    }
}

impl TargetResources {
    pub fn of(timeline: &[TimelineRow], run_s: f64, info: &crate::watch::TargetInfo) -> TargetResources {
        let rows = run_rows(timeline, run_s);
        let cpu: Vec<f64> = rows.iter().filter_map(|r| r.health.target_cpu_cores).collect();
        TargetResources {
            source: info.source.clone(),
            cpu_cores_mean: (!cpu.is_empty()).then(|| mean(cpu.iter().copied())),
            cpu_cores_max: cpu.iter().copied().reduce(f64::max),
            mem_max_bytes: rows.iter().filter_map(|r| r.health.target_mem_bytes).max(),
            gone_at_s: info.gone_at_s,
        }
    }
}

/// What the run asked of its connections: Little's law, connections ≥ rate × mean time each
/// request holds one (its service time when answered, the whole timeout when not).
#[derive(Clone, Copy, Debug, Default)]
pub struct Demand {
    pub connections: usize,
    pub target_rps: Option<f64>,
    pub service_mean_s: f64,
    /// Service time p50 and p99: a typical answer, and how long the slowest held their
    /// connections.
    pub service_p50_s: f64,
    pub service_p99_s: f64,
    /// Latency p99 (what the pool's drain term is compared with).
    pub latency_p99_s: f64,
    /// Requests answered (ok or http_error), and sent requests that timed out unanswered.
    pub answered: u64,
    pub timeouts: u64,
    pub timeout_s: f64,
    /// Requests never sent: no connection came free before their timeout.
    pub dropped: u64,
    pub sent: u64,
}

impl Demand {
    /// Connection-seconds held by answered requests and by timed-out ones.
    fn held_s(&self) -> (f64, f64) {
        (self.answered as f64 * self.service_mean_s, self.timeouts as f64 * self.timeout_s)
    }

    /// Mean time a request held its connection (the service time when nothing was counted).
    pub fn hold_mean_s(&self) -> f64 {
        let (a, t) = self.held_s();
        let n = self.answered + self.timeouts;
        if n == 0 { self.service_mean_s } else { (a + t) / n as f64 }
    }

    /// Connections the rate needs at the observed hold time (None in closed loop).
    pub fn needed(&self) -> Option<f64> {
        self.target_rps.map(|r| r * self.hold_mean_s())
    }

    /// Connections the rate needs while the target answers at its p99 (a stall holds them that
    /// long); at least `needed`.
    pub fn needed_at_p99(&self) -> Option<f64> {
        self.target_rps.map(|r| r * self.service_p99_s.max(self.hold_mean_s()))
    }

    /// What a pool of this size adds to latency when the target holds every connection for its
    /// p99 (a stall): the requests that piled up drain `connections` per typical answer,
    /// `floor(R·S/C)·d` (MEASUREMENT.md §5), S the service p99 and d its p50.
    pub fn drain_s(&self) -> f64 {
        let piled = self.target_rps.unwrap_or(0.0) * self.service_p99_s / self.connections.max(1) as f64;
        piled.floor() * self.service_p50_s
    }

    /// The pool's drain term is small beside the latency (report::lag::SMALL_SHARE): a pool that
    /// waited only while the target stalled did not distort the measurement.
    pub fn drain_small(&self) -> bool {
        self.drain_s() <= super::lag::SMALL_SHARE * self.latency_p99_s
    }

    /// Most of the connection time went to requests the target never answered.
    pub fn target_held(&self) -> bool {
        let (a, t) = self.held_s();
        self.timeouts > 0 && t >= a
    }
}

/// Why a generator-bound run was bound. Saturated executors first (more connections would not
/// help a core with no time left), then the connection pool — by Little's law on the mean, or due
/// requests seen waiting for one while the slowest answers (p99) held more connections than there
/// were — the target's doing when it held them with requests it never answered; else the timer
/// or the host (a host that froze everything for a moment also leaves requests waiting, but a
/// pool that the target's p99 does not fill was not short).
pub fn classify(g: &GeneratorHealth, d: &Demand) -> BoundCause {
    let c = d.connections as f64;
    let waited = g.waiting_share_max >= WAITING && d.needed_at_p99().is_some_and(|n| n > c);
    if g.core_busy_p50.iter().any(|b| *b >= SATURATED) {
        BoundCause::Cores
    } else if d.needed().is_some_and(|n| n > c) {
        if d.target_held() { BoundCause::Target } else { BoundCause::Connections }
    } else if waited {
        // Enough connections on average: they waited while the target held them all (a stall).
        if d.target_held() || d.drain_small() { BoundCause::Target } else { BoundCause::Connections }
    } else {
        BoundCause::Timer
    }
}

/// The line for a send lag over the limit, naming the cause and the remedy with the evidence.
pub fn bound_reason(cause: BoundCause, lag: &Dist, max_lag_ms: f64, g: &GeneratorHealth, d: &Demand) -> String {
    let lag_ms = lag.p("p99") as f64 / 1e6;
    if cause == BoundCause::Target {
        return target_reason(lag_ms, d);
    }
    let head = format!(
        "generator-bound: send lag p99 {lag_ms:.2} ms > {max_lag_ms:.2} ms, so latencies describe the generator, not the target"
    );
    let busiest = g.core_busy_p50.iter().copied().fold(0.0, f64::max) * 100.0;
    let starved = g.core_runq_p50.iter().copied().fold(0.0, f64::max) * 100.0;
    let cause = match cause {
        BoundCause::Cores => format!(
            "executors saturated (busiest core busy {busiest:.0}% of the time at the median): add cores (--cores) or more runners, or lower the rate"
        ),
        BoundCause::Connections => connections_reason(g, d, busiest),
        _ => format!(
            "requests left late with connections free and executors idle (at most {busiest:.0}% busy, waiting for a CPU {starved:.0}% of the time): {}; {}",
            super::lag::host_cause(lag, &g.host_timer, &g.host_timer_run),
            if starved >= 10.0 {
                "other processes took the generator's CPUs: give it dedicated cores (--cores) away from the target and other load"
            } else {
                "give a latency SLO (a criterion that passes is a pass whatever the lag), try --spin 50us or a quieter host"
            }
        ),
    };
    format!("{head}; {cause}")
}

/// Too few connections: how many Little's law asks for, with the arithmetic (or, when nothing
/// held a connection long enough to measure, twice the current number).
fn connections_reason(g: &GeneratorHealth, d: &Demand, busiest: f64) -> String {
    let need = d.needed().unwrap_or(0.0);
    let suggest = ((2.0 * need).ceil() as usize).max(2 * d.connections);
    let arithmetic = if need >= 1.0 {
        format!(
            "by Little's law {:.0} req/s x {:.2} ms mean hold time needs at least {:.0}, {} given",
            d.target_rps.unwrap_or(0.0),
            d.hold_mean_s() * 1e3,
            need.ceil(),
            d.connections
        )
    } else {
        format!("{} given were all busy while requests were due", d.connections)
    };
    format!(
        "due requests waited for a free connection (found waiting in {:.0}% of the checks of the worst interval, up to {} at once; executors at most {busiest:.0}% busy at the median): add connections (-c {suggest}; {arithmetic})",
        100.0 * g.waiting_share_max,
        g.backlog_max
    )
}

/// The target held the connections: requests it never answered kept each one for the whole
/// timeout, so the connections could carry only `connections / timeout` requests a second; or it
/// stalled with every connection in it, and the pool's drain term is small beside the latency.
fn target_reason(lag_ms: f64, d: &Demand) -> String {
    if !d.target_held() {
        return format!(
            "due requests waited (send lag p99 {lag_ms:.2} ms) while the target held every connection: its slowest answers took {:.2} ms (service time p99) against {:.2} ms at the median. Not for want of connections: by Little's law {:.0} req/s x {:.2} ms needs {:.1} of the {} given, and draining what piled up adds at most {:.2} ms to latency p99 {:.2} ms. The latency is the target's",
            d.service_p99_s * 1e3,
            d.service_p50_s * 1e3,
            d.target_rps.unwrap_or(0.0),
            d.hold_mean_s() * 1e3,
            d.needed().unwrap_or(0.0),
            d.connections,
            d.drain_s() * 1e3,
            d.latency_p99_s * 1e3
        );
    }
    let carry = d.connections as f64 / d.timeout_s.max(1e-9);
    let need = d.needed().unwrap_or(0.0);
    format!(
        "the target held every connection: {} of {} sent requests got no answer within the {} s timeout, each holding its connection that long, so {} connections could carry at most {carry:.1} req/s of the {:.0} asked; due requests waited (send lag p99 {lag_ms:.2} ms) and {} were never sent (dropped: no connection came free before their timeout). The target is the cause: fix it (or lower --timeout); more connections (Little's law: {:.0}) would only queue more requests in a target that does not answer",
        d.timeouts,
        d.sent,
        d.timeout_s,
        d.connections,
        d.target_rps.unwrap_or(0.0),
        d.dropped,
        need.ceil()
    )
}

/// The generator's resources in one line (terminal, Markdown, HTML say the same).
pub fn generator_line(g: &GeneratorHealth) -> String {
    let pct = |v: &[f64]| v.iter().map(|b| format!("{:.0}%", 100.0 * b)).collect::<Vec<_>>().join("/");
    format!(
        "busy per core p50 {} max {} (waiting for a CPU {}), backlog max {}, CPU {:.2} cores max, RSS {} max, {} fds ({} sockets)",
        pct(&g.core_busy_p50),
        pct(&g.core_busy_max),
        pct(&g.core_runq_p50),
        g.backlog_max,
        g.cpu_cores_max,
        mib(g.rss_max_bytes),
        g.fds_max,
        g.sockets_max
    )
}

/// The watched target's resources in one line.
pub fn target_line(t: &TargetResources) -> String {
    let cores = |v: Option<f64>| v.map_or("n/a".to_string(), |c| format!("{c:.2}"));
    let gone = t.gone_at_s.map_or(String::new(), |s| format!("  (GONE at {s:.1}s)"));
    format!(
        "{}: CPU max {} cores, mean {} cores; memory max {}{gone}",
        t.source,
        cores(t.cpu_cores_max),
        cores(t.cpu_cores_mean),
        t.mem_max_bytes.map_or("n/a".to_string(), mib)
    )
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(busy: &[f64], waiting_max: f64) -> GeneratorHealth {
        GeneratorHealth {
            core_busy_p50: busy.to_vec(),
            core_busy_max: busy.to_vec(),
            waiting_share_max: waiting_max,
            ..GeneratorHealth::default()
        }
    }

    fn demand(connections: usize, rate: f64, service_ms: f64) -> Demand {
        Demand { connections, target_rps: Some(rate), service_mean_s: service_ms / 1e3, ..Demand::default() }
    }

    /// `demand` whose slowest 1% of answers took `p99_ms`, with a latency p99 that leaves the
    /// pool's drain term large (a short pool), unless a test sets it.
    fn stalled(connections: usize, rate: f64, service_ms: f64, p99_ms: f64) -> Demand {
        let d = demand(connections, rate, service_ms);
        Demand { service_p99_s: p99_ms / 1e3, service_p50_s: service_ms / 1e3, latency_p99_s: 0.0, ..d }
    }

    #[test]
    fn one_connection_at_a_huge_rate_is_short_of_connections() {
        // 100k req/s x 0.05 ms = 5 connections needed, 1 given; the executor is half idle.
        let (g, d) = (health(&[0.5], 0.98), demand(1, 100_000.0, 0.05));
        assert_eq!(classify(&g, &d), BoundCause::Connections);
        let lag = Dist::of(&crate::record::histograms::new_hist());
        let text = bound_reason(BoundCause::Connections, &lag, 1.0, &g, &d);
        assert!(text.starts_with("generator-bound:") && text.contains("add connections (-c 10;"), "{text}");
        assert!(text.contains("needs at least 5, 1 given"), "{text}");
    }

    #[test]
    fn waiting_while_late_means_connections_even_when_littles_law_holds() {
        // A stalling target holds every connection: requests wait for one during the stall.
        assert_eq!(classify(&health(&[0.2, 0.3], 0.4), &stalled(25, 500.0, 7.0, 400.0)), BoundCause::Connections);
    }

    #[test]
    fn waiting_while_the_target_stalls_with_a_small_drain_is_the_targets() {
        // The built-in target froze 340 ms at 50 req/s with 4 connections: 17 requests piled up
        // and drained 4 per 0.16 ms answer: 0.6 ms against a latency p99 of 378 ms.
        let g = health(&[0.01, 0.01], 0.2);
        let d = Demand { latency_p99_s: 0.378, ..stalled(4, 50.0, 0.16, 340.0) };
        assert_eq!(classify(&g, &d), BoundCause::Target);
        let lag = Dist::of(&crate::record::histograms::new_hist());
        let text = bound_reason(BoundCause::Target, &lag, 1.0, &g, &d);
        assert!(text.contains("while the target held every connection: its slowest answers took 340.00 ms"), "{text}");
        assert!(text.contains("adds at most 0.64 ms to latency p99 378.00 ms"), "{text}");
        // The same stall with a pool so small that draining it doubles the latency: short pool.
        let d = Demand { latency_p99_s: 0.378, ..stalled(1, 5000.0, 0.16, 340.0) };
        assert_eq!(classify(&g, &d), BoundCause::Connections);
    }

    #[test]
    fn waiting_after_a_host_freeze_is_not_a_short_pool() {
        // The whole host froze for 34 ms: requests piled up, then 8 connections drained them at
        // once (the target's p99 of 1.8 ms needs 2 at 1200 req/s). The pool was not short.
        let g = health(&[0.07, 0.09], 0.14);
        assert_eq!(classify(&g, &stalled(8, 1200.0, 0.1, 1.8)), BoundCause::Timer);
    }

    #[test]
    fn a_saturated_executor_means_cores() {
        let g = health(&[0.55, 0.97], 0.9);
        assert_eq!(classify(&g, &demand(200, 300_000.0, 0.1)), BoundCause::Cores);
        let lag = Dist::of(&crate::record::histograms::new_hist());
        let text = bound_reason(BoundCause::Cores, &lag, 1.0, &g, &demand(200, 300_000.0, 0.1));
        assert!(text.contains("add cores (--cores) or more runners"), "{text}");
        assert!(text.contains("busiest core busy 97%"), "{text}");
    }

    #[test]
    fn late_with_free_connections_and_idle_executors_is_the_timer() {
        let mut g = health(&[0.1], 0.0);
        assert_eq!(classify(&g, &demand(50, 5.0, 1.0)), BoundCause::Timer);
        // Closed loop: no rate, so Little's law says nothing.
        let closed = Demand { connections: 4, target_rps: None, service_mean_s: 0.001, ..Demand::default() };
        assert_eq!(classify(&g, &closed), BoundCause::Timer);
        let lag = Dist::of(&crate::record::histograms::new_hist());
        let text = bound_reason(BoundCause::Timer, &lag, 1.0, &g, &closed);
        assert!(text.contains("host timer was not probed") && text.contains("--spin"), "{text}");
        // Waiting for a CPU most of the time: the host is contended, and the advice says so.
        g.core_runq_p50 = vec![0.6];
        let text = bound_reason(BoundCause::Timer, &lag, 1.0, &g, &closed);
        assert!(text.contains("waiting for a CPU 60%") && text.contains("dedicated cores"), "{text}");
    }

    #[test]
    fn a_target_that_never_answers_holds_the_connections_not_the_generator() {
        // 100 req/s, 8 connections, 1 s timeout: 24 sent requests timed out, none answered,
        // 240 never left. Little's law on the hold time (the timeout) says 100, never "0".
        let d = Demand {
            connections: 8,
            target_rps: Some(100.0),
            service_mean_s: 0.0,
            service_p50_s: 0.0,
            service_p99_s: 0.0,
            latency_p99_s: 0.0,
            answered: 0,
            timeouts: 24,
            timeout_s: 1.0,
            dropped: 240,
            sent: 24,
        };
        let g = health(&[0.05], 1.0);
        assert_eq!(classify(&g, &d), BoundCause::Target);
        let lag = Dist::of(&crate::record::histograms::new_hist());
        let text = bound_reason(BoundCause::Target, &lag, 1.0, &g, &d);
        assert!(text.starts_with("the target held every connection: 24 of 24 sent"), "{text}");
        assert!(text.contains("at most 8.0 req/s of the 100 asked") && text.contains("240 were never sent"), "{text}");
        assert!(text.contains("(Little's law: 100)") && !text.contains("generator-bound"), "{text}");
        // Answered requests holding most of the time: the pool was too small after all.
        let slow = Demand { answered: 1000, service_mean_s: 0.2, timeouts: 10, ..d };
        assert_eq!(classify(&g, &slow), BoundCause::Connections);
        let text = bound_reason(BoundCause::Connections, &lag, 1.0, &g, &slow);
        assert!(text.contains("x 207.92 ms mean hold time needs at least 21, 8 given"), "{text}");
    }

    #[test]
    fn just_below_the_thresholds_is_not_enough() {
        assert_eq!(classify(&health(&[SATURATED - 0.01], WAITING - 0.01), &demand(10, 100.0, 1.0)), BoundCause::Timer);
        assert_eq!(classify(&health(&[SATURATED], 0.0), &demand(10, 100.0, 1.0)), BoundCause::Cores);
        assert_eq!(classify(&health(&[0.0], WAITING), &stalled(10, 100.0, 1.0, 200.0)), BoundCause::Connections);
        assert_eq!(classify(&health(&[0.0], WAITING), &stalled(10, 100.0, 1.0, 100.0)), BoundCause::Timer);
    }
}
