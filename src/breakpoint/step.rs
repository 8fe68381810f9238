//! One breakpoint step: what a run at one offered rate measured (`StepResult::of`, from its
//! Report), and what it means for the search (`judge`): pass, SLO failure, generator limit,
//! blast radius. Pure apart from reading the Report.
use super::search::{Judgement, Phase};
use crate::report::{Report, Status};
use crate::slo::{Metric, Scope, SloSet};
use serde::{Deserialize, Serialize};

/// The target's resource use during a step (from `--watch-pid` / `--watch-cgroup`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetUsage {
    /// Mean CPU cores used over the step's measured window.
    pub cpu_cores: f64,
    /// Peak memory, bytes.
    pub mem_bytes: u64,
}

/// The target's CPU and memory over the step's measured window (the settle period excluded),
/// from the timeline rows `--watch-pid` / `--watch-cgroup` filled. None when nothing was watched
/// or no sample fell in the window: the table then has no CPU/memory columns and the capacity
/// section explains how to watch the target. Never invent a value here.
pub fn target_usage(report: &Report) -> Option<TargetUsage> {
    report.target.as_ref()?;
    let (from, to) = (report.config.warmup_s, report.config.warmup_s + report.config.duration_s);
    let rows = report.timeline.iter().filter(|r| r.start_s + 1e-9 >= from && r.start_s < to);
    let (mut cpu, mut n, mut mem) = (0.0, 0u32, 0u64);
    for r in rows {
        if let Some(c) = r.health.target_cpu_cores {
            cpu += c;
            n += 1;
        }
        mem = mem.max(r.health.target_mem_bytes.unwrap_or(0));
    }
    (n > 0).then(|| TargetUsage { cpu_cores: cpu / f64::from(n), mem_bytes: mem })
}

/// What one step measured, as the table and the analysis read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub index: usize,
    pub phase: Phase,
    pub offered_rps: f64,
    /// Sent per second of the measured window.
    pub achieved_rps: f64,
    /// Completed per second of the measured window.
    pub throughput_rps: f64,
    pub requests: u64,
    /// Latency from the intended time (corrected), ns.
    pub p50_ns: u64,
    pub p95_ns: u64,
    pub p99_ns: u64,
    /// Service time (from the send), ns: the target's own share.
    pub service_p95_ns: u64,
    pub service_p99_ns: u64,
    pub service_mean_ns: f64,
    pub send_lag_p99_ns: u64,
    /// Share of the connections busy on average (Little's law: throughput × mean service time
    /// / connections): near 1, due requests waited for a free connection.
    pub connections_busy: f64,
    pub error_rate: f64,
    /// Every SLO held (and the run's own error-rate limit when no error SLO is given).
    pub slo_pass: bool,
    /// The failed criteria, as the verdict words them.
    pub slo_failures: Vec<String>,
    /// The run's verdict flags (send lag p99 over its threshold; achieved < 99% of offered).
    pub generator_bound: bool,
    pub rate_missed: bool,
    /// The latency SLOs judged on service time instead, and the error criteria: true when the
    /// target itself kept its SLO (so a failure came from waiting in the generator).
    pub target_ok: bool,
    pub interrupted: bool,
    /// A failure run again (`--recheck`): the next step at this rate replaced it in the search
    /// and the analysis; kept in the table as evidence of noise.
    #[serde(default)]
    pub rechecked: bool,
    /// Target resources; None: not watched.
    pub target: Option<TargetUsage>,
    pub judgement: Judgement,
}

impl StepResult {
    /// Summarise a finished step run (judgement still `Pass` until `judge` decides).
    pub fn of(index: usize, phase: Phase, offered: f64, r: &Report, slo: &SloSet) -> StepResult {
        let failures: Vec<String> = r.slo.iter().filter(|row| !row.pass).map(crate::report::SloRow::reason).collect();
        let default_error_fail = !slo.has_total_error_rate() && r.rates.error_rate > r.config.max_error_rate;
        let mut slo_failures = failures;
        if default_error_fail {
            slo_failures.insert(
                0,
                format!(
                    "error rate {:.2}% > {:.2}% (--max-error-rate)",
                    100.0 * r.rates.error_rate,
                    100.0 * r.config.max_error_rate
                ),
            );
        }
        StepResult {
            index,
            phase,
            offered_rps: offered,
            achieved_rps: r.rates.achieved_rps,
            throughput_rps: r.rates.throughput_rps,
            requests: r.counts.intended,
            p50_ns: r.latency.p("p50"),
            p95_ns: r.latency.p("p95"),
            p99_ns: r.latency.p("p99"),
            service_p95_ns: r.service_time.p("p95"),
            service_p99_ns: r.service_time.p("p99"),
            service_mean_ns: r.service_time.mean_ns,
            send_lag_p99_ns: r.send_lag.p("p99"),
            connections_busy: r.rates.throughput_rps * r.service_time.mean_ns
                / 1e9
                / r.config.connections.max(1) as f64,
            error_rate: r.rates.error_rate,
            slo_pass: slo_failures.is_empty() && r.counts.intended > 0,
            slo_failures,
            // Send lag over its threshold, whatever the run's verdict made of it (the verdict
            // passes a step whose SLO held despite the lag; `generator_limit` asks the same).
            generator_bound: r.send_lag.p("p99") as f64 / 1e6 > r.config.max_send_lag_ms,
            rate_missed: r.verdict.target_rate_missed,
            target_ok: target_ok(r, slo) && !default_error_fail,
            interrupted: r.verdict.status == Status::Interrupted && r.aborted.is_none(),
            rechecked: false,
            target: target_usage(r),
            judgement: Judgement::Pass,
        }
    }

    /// Whether the generator, not the target, was the limit.
    pub fn generator_limited(&self) -> bool {
        matches!(self.judgement, Judgement::GeneratorLimited { .. })
    }
}

/// The target's side of the SLOs: every global latency criterion judged on service time (which
/// excludes any wait in the generator), and every error or checks criterion as measured.
fn target_ok(r: &Report, slo: &SloSet) -> bool {
    slo.rules.iter().all(|rule| match (&rule.scope, rule.metric) {
        (Scope::Total, Metric::Latency(q)) => {
            let d = &r.service_time;
            let ns = if q == "max" { d.max_ns } else { d.p(q) };
            d.count > 0 && rule.metric.passes(ns as f64 / 1e9, rule.threshold)
        }
        (_, Metric::Latency(_) | Metric::Throughput) => true,
        _ => r.slo.iter().any(|row| row.scope == rule.scope.label() && row.metric == rule.metric && row.pass),
    })
}

/// Thresholds of the judgement and the analysis (documented in docs/capacity-planning.md).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Error rate above which the search stops at once (0.5: 50%).
    pub blast_error_rate: f64,
    /// The knee: p95 above this multiple of the baseline p95 ...
    pub knee_factor: f64,
    /// ... and at least this much above it, ns (so a 0.2 ms → 0.5 ms blip is not a knee).
    pub knee_floor_ns: u64,
    /// Collapse: error rate above this share ...
    pub collapse_error_rate: f64,
    /// ... or throughput below this share of the best seen at a lower offered rate.
    pub collapse_throughput: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            blast_error_rate: 0.5,
            knee_factor: 2.0,
            knee_floor_ns: 1_000_000,
            collapse_error_rate: 0.05,
            collapse_throughput: 0.9,
        }
    }
}

/// Decide what a step means. Order: interrupted, blast radius (the target is failing, whatever
/// else), generator limit, then the SLOs.
pub fn judge(s: &StepResult, baseline: Option<&StepResult>, limits: &Limits) -> Judgement {
    if s.interrupted {
        return Judgement::Interrupted;
    }
    if s.error_rate > limits.blast_error_rate {
        return Judgement::Blast {
            why: format!(
                "error rate {:.1}% at {} req/s is above the blast-radius limit {:.0}% (--blast-radius): stopped at once to protect the target",
                100.0 * s.error_rate,
                s.offered_rps,
                100.0 * limits.blast_error_rate
            ),
        };
    }
    if let Some(why) = generator_limit(s, baseline.unwrap_or(s), limits) {
        return Judgement::GeneratorLimited { why };
    }
    if s.slo_pass { Judgement::Pass } else { Judgement::Fail { why: s.slo_failures.join("; ") } }
}

/// Connections this busy (Little's law) mean due requests queued for a free connection.
pub const CONNECTIONS_FULL: f64 = 0.75;

/// THE generator-limit decision, in one place (`baseline`: the lowest-rate step).
///
/// Nothing to decide unless the offered rate was not sent (achieved < 99%: the target never saw
/// the load) or the SLO failed while sends were late (send lag p99 over its threshold); late sends
/// in a step that passed do not matter, its latency, lateness included, met the SLO. Then:
/// - the target's own service time failed the SLO: the target's limit;
/// - every connection was busy and the target's mean service time had climbed (past the knee
///   multiple of the baseline): the target slowed down and filled the connections, its limit;
/// - every connection was busy at the target's usual speed: too few connections, the generator's;
/// - connections to spare: the generator could not send (CPU), the generator's.
///
/// When the generator's self-monitoring (per-core busy share, connection backlog) is in the
/// Report, it joins here. None: the target set the result.
pub fn generator_limit(s: &StepResult, baseline: &StepResult, l: &Limits) -> Option<String> {
    let late = s.generator_bound && !s.slo_pass;
    if !(s.rate_missed || late) || !s.target_ok {
        return None;
    }
    let base = baseline.service_mean_ns;
    let slowed = s.service_mean_ns > (l.knee_factor * base).max(base + l.knee_floor_ns as f64);
    let full = s.connections_busy >= CONNECTIONS_FULL;
    if full && slowed {
        return None;
    }
    let mut what = Vec::new();
    if s.rate_missed {
        what.push(format!("sent {:.0} of {} req/s", s.achieved_rps, s.offered_rps));
    }
    if s.generator_bound {
        what.push(format!("send lag p99 {}", crate::units::fmt_ns(s.send_lag_p99_ns)));
    }
    let fix = if full {
        format!(
            "every connection was busy ({:.0}% by Little's law) while the target answered at its usual speed: add connections (-c)",
            100.0 * s.connections_busy
        )
    } else {
        "give the generator more cores (--cores), run it on another host, or split the load over several runners"
            .to_string()
    };
    Some(format!(
        "the generator was the limit at {} req/s ({}) while the target's service time kept the SLO (p99 {}): \
         this is not the target's capacity; {fix}",
        s.offered_rps,
        what.join(", "),
        crate::units::fmt_ns(s.service_p99_ns)
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A synthetic step: offered rate, p95 and p99 in ms, error rate.
    pub fn step(offered: f64, p95_ms: f64, p99_ms: f64, errors: f64) -> StepResult {
        let ns = |ms: f64| (ms * 1e6) as u64;
        StepResult {
            index: 0,
            phase: Phase::Ramp,
            offered_rps: offered,
            achieved_rps: offered,
            throughput_rps: offered * (1.0 - errors),
            requests: offered as u64,
            p50_ns: ns(p95_ms / 2.0),
            p95_ns: ns(p95_ms),
            p99_ns: ns(p99_ms),
            service_p95_ns: ns(p95_ms),
            service_p99_ns: ns(p99_ms),
            service_mean_ns: ns(p95_ms / 2.0) as f64,
            send_lag_p99_ns: 10_000,
            connections_busy: 0.1,
            error_rate: errors,
            slo_pass: p99_ms <= 50.0 && errors <= 0.01,
            slo_failures: Vec::new(),
            generator_bound: false,
            rate_missed: false,
            target_ok: p99_ms <= 50.0 && errors <= 0.01,
            interrupted: false,
            rechecked: false,
            target: None,
            judgement: Judgement::Pass,
        }
    }

    #[test]
    fn judgement_order() {
        let l = Limits::default();
        let j = |s: &StepResult| judge(s, None, &l);
        assert_eq!(j(&step(100.0, 1.0, 2.0, 0.0)), Judgement::Pass);
        assert!(matches!(j(&step(100.0, 60.0, 80.0, 0.0)), Judgement::Fail { .. }));
        assert!(matches!(j(&step(100.0, 1.0, 2.0, 0.6)), Judgement::Blast { .. }));
        let mut g = step(100.0, 60.0, 80.0, 0.0);
        (g.generator_bound, g.rate_missed, g.target_ok) = (true, true, true);
        let Judgement::GeneratorLimited { why } = j(&g) else { panic!() };
        assert!(why.contains("not the target's capacity") && why.contains("--cores"), "{why}");
        // Late sends while the target itself was slow: the target's failure, not the generator's.
        g.target_ok = false;
        assert!(matches!(j(&g), Judgement::Fail { .. }));
        let mut i = step(100.0, 1.0, 2.0, 0.9);
        i.interrupted = true;
        assert_eq!(j(&i), Judgement::Interrupted);
    }

    #[test]
    fn full_connections_are_the_targets_fault_only_when_it_slowed() {
        let l = Limits::default();
        let base = step(1000.0, 1.0, 2.0, 0.0);
        // Every connection busy, service time within the SLO, rate missed.
        let mut s = step(5000.0, 300.0, 400.0, 0.0);
        (s.rate_missed, s.target_ok, s.connections_busy, s.service_p99_ns) = (true, true, 0.9, 25_000_000);
        s.service_mean_ns = 24e6; // from 0.5 ms at low load: the target slowed, the queue filled -c
        assert!(matches!(judge(&s, Some(&base), &l), Judgement::Fail { .. }));
        s.service_mean_ns = 0.6e6; // the target's usual speed: too few connections
        let Judgement::GeneratorLimited { why } = judge(&s, Some(&base), &l) else { panic!() };
        assert!(why.contains("add connections (-c)"), "{why}");
        // Connections to spare: the generator could not send, however slow the answers it read.
        s.connections_busy = 0.2;
        s.service_mean_ns = 24e6;
        let Judgement::GeneratorLimited { why } = judge(&s, Some(&base), &l) else { panic!() };
        assert!(why.contains("more cores"), "{why}");
    }
}
