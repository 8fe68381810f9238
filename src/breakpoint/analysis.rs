//! What the steps of a breakpoint search add up to (pure): the maximum sustainable rate and what
//! it means, the knee, the collapse point, the recommended operating rate, and what saturated
//! first with its evidence. Thresholds are `step::Limits` (docs/capacity-planning.md).
use super::search::{Judgement, Outcome};
use super::step::{Limits, StepResult, TargetUsage};
use crate::units::fmt_ns;
use serde::{Deserialize, Serialize};

/// The capacity section, computed once; writers only format it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub outcome: Outcome,
    /// The highest rate that held the SLO; None when none did.
    pub max_sustainable_rps: Option<f64>,
    /// true: refined and confirmed, the target's capacity at the SLO; false: a lower bound only.
    pub measured: bool,
    /// One sentence on what the maximum means.
    pub summary: String,
    /// p95 of the lowest offered rate: the low-load reference for the knee.
    pub baseline_p95_ns: Option<u64>,
    /// Lowest offered rate whose p95 left the baseline (Limits::knee_factor and knee_floor_ns).
    pub knee_rps: Option<f64>,
    pub knee: String,
    /// Lowest offered rate where errors climbed or throughput fell while the offered rate rose.
    pub collapse_rps: Option<f64>,
    pub collapse: String,
    /// The share kept free below the maximum (0.4: 40%).
    pub headroom: f64,
    /// max × (1 − headroom).
    pub recommended_rps: Option<f64>,
    /// "target latency", "errors", "generator", "target CPU", "target memory", or "nothing".
    pub saturated_first: String,
    pub evidence: Vec<String>,
    pub advice: Vec<String>,
}

/// Steps that describe the target, by offered rate (generator-limited and interrupted steps say
/// nothing about it).
fn target_steps(steps: &[StepResult]) -> Vec<&StepResult> {
    let mut v: Vec<&StepResult> = steps
        .iter()
        .filter(|s| !matches!(s.judgement, Judgement::GeneratorLimited { .. } | Judgement::Interrupted))
        .filter(|s| s.requests > 0 && !s.rechecked)
        .collect();
    v.sort_by(|a, b| a.offered_rps.total_cmp(&b.offered_rps));
    v
}

/// The knee: the lowest offered rate from which on p95 stays above `knee_factor` × the baseline
/// p95 (the lowest rate's) and at least `knee_floor_ns` above it: at that step and at every
/// higher one measured, so one noisy step is not a knee. Returns (baseline p95, knee step).
pub fn knee<'a>(steps: &'a [StepResult], l: &Limits) -> (Option<u64>, Option<&'a StepResult>) {
    let by_rate = target_steps(steps);
    let Some(base) = by_rate.first().map(|s| s.p95_ns) else { return (None, None) };
    let limit = (base as f64 * l.knee_factor).max((base + l.knee_floor_ns) as f64);
    let above = |s: &&StepResult| s.p95_ns as f64 > limit;
    let from = by_rate.iter().rposition(|s| !above(s)).map_or(0, |i| i + 1);
    (Some(base), by_rate.get(from).copied().filter(|s| from > 0 && above(s)))
}

/// The collapse: the lowest offered rate (above the lowest) whose error rate exceeds
/// `collapse_error_rate`, or whose throughput is below `collapse_throughput` × the best
/// throughput measured at a lower offered rate.
pub fn collapse<'a>(steps: &'a [StepResult], l: &Limits) -> Option<(&'a StepResult, String)> {
    let mut best: Option<f64> = None;
    for s in target_steps(steps) {
        if s.error_rate > l.collapse_error_rate {
            let why = format!(
                "errors climbed to {:.1}% at {} req/s (limit {:.0}%)",
                100.0 * s.error_rate,
                s.offered_rps,
                100.0 * l.collapse_error_rate
            );
            return Some((s, why));
        }
        if let Some(b) = best.filter(|b| s.throughput_rps < l.collapse_throughput * b) {
            let why = format!(
                "throughput fell to {:.0}/s at {} req/s offered, from {b:.0}/s at a lower rate",
                s.throughput_rps, s.offered_rps
            );
            return Some((s, why));
        }
        best = Some(best.map_or(s.throughput_rps, |b| b.max(s.throughput_rps)));
    }
    None
}

/// Build the capacity section from the steps and the search's outcome.
pub fn capacity(steps: &[StepResult], outcome: &Outcome, l: &Limits, headroom: f64) -> Capacity {
    let max = outcome.max_sustainable();
    let (baseline, knee_step) = knee(steps, l);
    let knee_text = match (knee_step, baseline) {
        (Some(k), Some(b)) => format!(
            "p95 {} at {} req/s, over {}x the low-load p95 {} (and {} above it)",
            fmt_ns(k.p95_ns),
            k.offered_rps,
            l.knee_factor,
            fmt_ns(b),
            fmt_ns(l.knee_floor_ns)
        ),
        (None, Some(b)) => {
            format!("none: p95 stayed within {}x the low-load p95 {} at every rate measured", l.knee_factor, fmt_ns(b))
        }
        _ => "not measured".into(),
    };
    let coll = collapse(steps, l);
    let collapse_text = coll.as_ref().map_or_else(
        || "none observed: errors stayed low and throughput kept up with the offered rate".to_string(),
        |(_, why)| why.clone(),
    );
    let (saturated_first, evidence, advice) = bottleneck(steps, outcome);
    Capacity {
        outcome: outcome.clone(),
        max_sustainable_rps: max.map(|m| m.0),
        measured: max.is_some_and(|m| m.1),
        summary: summary(outcome),
        baseline_p95_ns: baseline,
        knee_rps: knee_step.map(|k| k.offered_rps),
        knee: knee_text,
        collapse_rps: coll.map(|(s, _)| s.offered_rps),
        collapse: collapse_text,
        headroom,
        recommended_rps: max.map(|m| super::search::round(m.0 * (1.0 - headroom))),
        saturated_first,
        evidence,
        advice,
    }
}

/// What the maximum means, in one sentence.
pub fn summary(o: &Outcome) -> String {
    match o {
        Outcome::Found { max } => format!("{max} req/s held the SLO, refined by bisection and confirmed by a hold"),
        Outcome::NotReached { max } => format!(
            "the SLO held at every rate up to --max {max} req/s: the capacity is at least that (raise --max to look further)"
        ),
        Outcome::GeneratorLimited { at, last_pass } => format!(
            "the generator, not the target, was the limit at {at} req/s; the target held the SLO up to {}: its capacity is at least that and was NOT measured",
            rate_or_none(*last_pass)
        ),
        Outcome::Blast { at, last_pass } => format!(
            "errors exploded at {at} req/s and the search stopped at once (blast radius); the SLO last held at {} (not refined)",
            rate_or_none(*last_pass)
        ),
        Outcome::BelowStart { at } => {
            format!("the SLO failed at the first step, {at} req/s: the capacity is below --start; lower it")
        }
        Outcome::Unconfirmed { .. } => {
            "no rate held the SLO through its confirming hold: the target (or the host) is too noisy for a stable answer; hold longer (--hold) or look at the steps".into()
        }
        Outcome::Interrupted { last_pass } => {
            format!("interrupted; the SLO last held at {} (not refined)", rate_or_none(*last_pass))
        }
    }
}

fn rate_or_none(r: Option<f64>) -> String {
    r.map_or("no rate".into(), |r| format!("{r} req/s"))
}

/// What gave out first, the evidence, and what to do.
fn bottleneck(steps: &[StepResult], o: &Outcome) -> (String, Vec<String>, Vec<String>) {
    let watch = "target CPU and memory were not watched: run again with --watch-pid PID (the target's process) or --watch-cgroup PATH (its cgroup v2 directory) to see which resource saturated".to_string();
    let watched = steps.iter().any(|s| s.target.is_some());
    let mut advice = if watched { Vec::new() } else { vec![watch] };
    if let Some(g) = steps.iter().find(|s| s.generator_limited())
        && let Judgement::GeneratorLimited { why } = &g.judgement
    {
        return ("generator".into(), vec![why.clone()], advice);
    }
    let by_rate = target_steps(steps);
    let first_fail = by_rate.iter().find(|s| !matches!(s.judgement, Judgement::Pass));
    let Some(f) = first_fail.copied() else {
        return ("nothing: no step failed".into(), Vec::new(), advice);
    };
    let pass = by_rate.iter().rev().find(|s| s.offered_rps < f.offered_rps && s.judgement == Judgement::Pass).copied();
    let mut evidence = latency_evidence(f, pass);
    let errors = f.slo_failures.iter().any(|r| r.contains("error")) || matches!(o, Outcome::Blast { .. });
    let mut what = if errors { "errors" } else { "target latency" }.to_string();
    if let (Some(p), Some(tp), Some(tf)) = (pass, pass.and_then(|p| p.target), f.target) {
        let (line, gave_out, hint) = resources(p, tp, f, tf, errors);
        evidence.push(line);
        what = gave_out.map_or(what, str::to_string);
        advice.extend(hint);
    }
    (what, evidence, advice)
}

/// The first failing step's reasons and latencies (the target's own time against the
/// generator's lag), after the highest passing step below it.
fn latency_evidence(f: &StepResult, pass: Option<&StepResult>) -> Vec<String> {
    let mut evidence = vec![format!("first failing rate {} req/s: {}", f.offered_rps, reasons(f))];
    if let Some(p) = pass {
        evidence.push(format!(
            "at {} req/s (the highest passing rate below it): p99 {}, service time p99 {}, errors {:.2}%",
            p.offered_rps,
            fmt_ns(p.p99_ns),
            fmt_ns(p.service_p99_ns),
            100.0 * p.error_rate
        ));
    }
    evidence.push(format!(
        "at {} req/s: p99 {}, service time p99 {} (the target's own time), send lag p99 {} (the generator's)",
        f.offered_rps,
        fmt_ns(f.p99_ns),
        fmt_ns(f.service_p99_ns),
        fmt_ns(f.send_lag_p99_ns)
    ));
    evidence
}

/// The watched target's CPU and memory at the last passing step `p` and the first failing `f`:
/// the evidence line, the resource that gave out (CPU that stopped growing with the load, unless
/// errors came first; memory that grew by half) and, for CPU, what to do.
fn resources(
    p: &StepResult,
    tp: TargetUsage,
    f: &StepResult,
    tf: TargetUsage,
    errors: bool,
) -> (String, Option<&'static str>, Option<String>) {
    let line = format!(
        "target CPU {:.2} cores at {} req/s, {:.2} at {} req/s; memory {:.1} MiB, then {:.1} MiB",
        tp.cpu_cores,
        p.offered_rps,
        tf.cpu_cores,
        f.offered_rps,
        tp.mem_bytes as f64 / 1048576.0,
        tf.mem_bytes as f64 / 1048576.0
    );
    let load_growth = f.offered_rps / p.offered_rps;
    if !errors && tp.cpu_cores > 0.0 && tf.cpu_cores / tp.cpu_cores < 1.0 + 0.5 * (load_growth - 1.0) {
        let advice = "CPU stopped growing with the load: the target is CPU-bound (more cores or instances, or a cheaper request path)";
        (line, Some("target CPU"), Some(advice.into()))
    } else if tp.mem_bytes > 0 && tf.mem_bytes as f64 > 1.5 * tp.mem_bytes as f64 {
        (line, Some("target memory"), None)
    } else {
        (line, None, None)
    }
}

fn reasons(s: &StepResult) -> String {
    match &s.judgement {
        Judgement::Fail { why } | Judgement::Blast { why } | Judgement::GeneratorLimited { why } => why.clone(),
        _ => "passed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breakpoint::step::tests::step;

    fn judged(mut s: StepResult) -> StepResult {
        s.judgement = super::super::step::judge(&s, None, &Limits::default());
        s
    }

    fn queue_like() -> Vec<StepResult> {
        // rate, p95 ms, p99 ms, errors: latency climbs towards 4000/s, then fails.
        [(1000.0, 0.3, 0.5, 0.0), (2000.0, 0.35, 0.6, 0.0), (3000.0, 0.7, 1.0, 0.0), (3800.0, 3.0, 8.0, 0.0)]
            .iter()
            .chain(&[(4200.0, 60.0, 90.0, 0.0)])
            .map(|&(r, p95, p99, e)| judged(step(r, p95, p99, e)))
            .collect()
    }

    #[test]
    fn knee_is_the_first_p95_over_twice_the_baseline_and_the_floor() {
        let steps = queue_like();
        let (base, k) = knee(&steps, &Limits::default());
        assert_eq!(base, Some(300_000));
        // 3000/s: 0.7 ms is over 2 × 0.3 ms but not 1 ms above it: not the knee.
        assert_eq!(k.map(|k| k.offered_rps), Some(3800.0));
        let strict = Limits { knee_floor_ns: 0, ..Limits::default() };
        assert_eq!(knee(&steps, &strict).1.map(|k| k.offered_rps), Some(3000.0));
        // One noisy step below is not the knee: latency must stay above from there on.
        let mut noisy = queue_like();
        noisy[1].p95_ns = 5_000_000;
        assert_eq!(knee(&noisy, &Limits::default()).1.map(|k| k.offered_rps), Some(3800.0));
    }

    #[test]
    fn collapse_on_errors_or_falling_throughput() {
        let l = Limits::default();
        assert!(collapse(&queue_like(), &l).is_none());
        let mut steps = queue_like();
        steps.push(judged(step(5000.0, 80.0, 200.0, 0.2)));
        let (s, why) = collapse(&steps, &l).unwrap();
        assert_eq!(s.offered_rps, 5000.0);
        assert!(why.contains("errors climbed to 20.0%"), "{why}");
        let mut steps = queue_like();
        let mut falling = judged(step(5000.0, 80.0, 200.0, 0.0));
        falling.throughput_rps = 3000.0;
        steps.push(falling);
        let (s, why) = collapse(&steps, &l).unwrap();
        assert_eq!(s.offered_rps, 5000.0);
        assert!(why.contains("throughput fell to 3000/s"), "{why}");
    }

    #[test]
    fn capacity_recommends_headroom_below_the_max() {
        let steps = queue_like();
        let c = capacity(&steps, &Outcome::Found { max: 3900.0 }, &Limits::default(), 0.4);
        assert_eq!(c.max_sustainable_rps, Some(3900.0));
        assert!(c.measured);
        assert_eq!(c.recommended_rps, Some(2340.0));
        assert_eq!(c.knee_rps, Some(3800.0));
        assert_eq!(c.saturated_first, "target latency");
        assert!(c.advice.iter().any(|a| a.contains("--watch-pid")), "{:?}", c.advice);
    }

    #[test]
    fn a_generator_limit_is_named_and_never_a_measured_capacity() {
        let mut steps = queue_like();
        steps.truncate(3);
        let mut g = step(4000.0, 1.0, 2.0, 0.0);
        (g.rate_missed, g.achieved_rps) = (true, 3100.0);
        steps.push(judged(g));
        let o = Outcome::GeneratorLimited { at: 4000.0, last_pass: Some(3000.0) };
        let c = capacity(&steps, &o, &Limits::default(), 0.4);
        assert_eq!(c.saturated_first, "generator");
        assert!(!c.measured);
        assert!(c.summary.contains("NOT measured"), "{}", c.summary);
        assert!(c.evidence[0].contains("sent 3100 of 4000"), "{:?}", c.evidence);
    }

    #[test]
    fn errors_saturating_first() {
        let mut steps = queue_like();
        steps.truncate(3);
        steps.push(judged(step(4000.0, 1.0, 2.0, 0.03)));
        steps[3].slo_failures = vec!["error rate 3.00% > 1.00% (--max-error-rate)".into()];
        steps[3].judgement = Judgement::Fail { why: steps[3].slo_failures[0].clone() };
        let c = capacity(&steps, &Outcome::Found { max: 3000.0 }, &Limits::default(), 0.4);
        assert_eq!(c.saturated_first, "errors");
    }
}
