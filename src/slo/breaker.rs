//! The circuit breakers that stop a run hurting its target: `abort_on_fail` (the global SLOs
//! breached in every timeline interval of a sliding window) and `abort_if` (one metric beyond a
//! ceiling for a duration). Fed one completed `TimelineRow` at a time; only says *when* to stop
//! (the caller raises the stop flag and marks the report aborted).
//!
//! Per interval: latency quantiles p50, p95, p99, p99.9 and max, and the error rate
//! `errors / (ok + errors)` of the outcomes counted in it. Throughput, checks and the other
//! quantiles are judged on the whole run only. An interval with no data breaches nothing (it
//! breaks a streak): a breaker stops a run on evidence, never for want of it.
use super::spec::{AbortIf, Metric, Rule, Scope, SloSet};
pub use super::spec::{JUDGED, judged_per_interval as judges};
use crate::merge::TimelineRow;

pub struct Breaker {
    /// Global criteria the timeline can judge.
    rules: Vec<Rule>,
    /// Intervals the window covers, and how many in a row have breached.
    window: Option<(u64, usize)>,
    abort_if: Option<(AbortIf, usize)>,
    fail_streak: usize,
    if_streak: usize,
    /// Intervals starting at or after this (seconds since t0) are the grace period: ignored.
    end_s: f64,
}

/// Intervals needed to cover `ns` (at least one).
fn intervals(ns: u64, interval_ns: u64) -> usize {
    ns.div_ceil(interval_ns.max(1)).max(1) as usize
}

impl Breaker {
    /// `end_s`: where the measured window ends, seconds since t0 (warm-up plus duration).
    pub fn new(set: &SloSet, interval_ns: u64, end_s: f64) -> Breaker {
        let rules = set.rules.iter().filter(|r| r.scope == Scope::Total && judges(r.metric)).cloned().collect();
        Breaker {
            rules,
            window: set.abort_on_fail_ns.map(|w| (w, intervals(w, interval_ns))),
            abort_if: set.abort_if.clone().map(|a| {
                let n = intervals(a.for_ns, interval_ns);
                (a, n)
            }),
            fail_streak: 0,
            if_streak: 0,
            end_s,
        }
    }

    /// Whether anything can trip.
    pub fn is_armed(&self) -> bool {
        (self.window.is_some() && !self.rules.is_empty()) || self.abort_if.is_some()
    }

    /// One more completed interval. Returns the reason when a breaker trips.
    pub fn feed(&mut self, row: &TimelineRow) -> Option<String> {
        if row.start_s >= self.end_s {
            return None;
        }
        let breaches: Vec<String> = self
            .rules
            .iter()
            .filter_map(|r| {
                let v = value(row, r.metric)?;
                (!r.metric.passes(v, r.threshold))
                    .then(|| format!("{} {} > {}", r.metric.name(), r.metric.show(v), r.metric.show(r.threshold)))
            })
            .collect();
        self.fail_streak = if breaches.is_empty() { 0 } else { self.fail_streak + 1 };
        if let Some((w, n)) = self.window
            && self.fail_streak >= n
        {
            return Some(format!(
                "aborted by abort_on_fail: the SLOs were breached in every interval of the last {} (last interval: {})",
                Metric::Latency("max").show(w as f64 / 1e9),
                breaches.join(", ")
            ));
        }
        let (a, n) = self.abort_if.as_ref()?;
        let v = value(row, a.metric);
        let over = v.is_some_and(|v| v > a.threshold || (v == a.threshold && a.text.contains(">=")));
        self.if_streak = if over { self.if_streak + 1 } else { 0 };
        (self.if_streak >= *n).then(|| {
            let shown = a.metric.show(v.unwrap_or_default());
            format!("aborted by abort_if `{}`: {} was {shown} in the last interval", a.text, a.metric.name())
        })
    }
}

#[cfg(test)]
fn zero_row() -> TimelineRow {
    TimelineRow {
        interval: 0,
        start_s: 0.0,
        sent: 0,
        ok: 1,
        errors: 0,
        completed: 1,
        latency_p50_ns: 0,
        latency_p95_ns: 0,
        latency_p99_ns: 0,
        latency_p999_ns: 0,
        latency_max_ns: 0,
        send_lag_p99_ns: 0,
        ..Default::default()
    }
}

/// The metric over one interval, in base units; None when the interval cannot say.
fn value(row: &TimelineRow, m: Metric) -> Option<f64> {
    let latency = |ns: u64| (row.completed > 0).then(|| ns as f64 / 1e9);
    match m {
        Metric::Latency("p50") => latency(row.latency_p50_ns),
        Metric::Latency("p95") => latency(row.latency_p95_ns),
        Metric::Latency("p99") => latency(row.latency_p99_ns),
        Metric::Latency("p99.9") => latency(row.latency_p999_ns),
        Metric::Latency("max") => latency(row.latency_max_ns),
        Metric::ErrorRate => {
            let n = row.ok + row.errors;
            (n > 0).then(|| row.errors as f64 / n as f64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::parse::flags;

    #[test]
    fn the_breakers_judge_exactly_the_metrics_the_spec_names() {
        for name in crate::slo::METRICS {
            let m = Metric::from_name(name).unwrap();
            assert_eq!(value(&zero_row(), m).is_some(), judges(m), "{name}");
        }
    }

    fn row(k: u64, ok: u64, errors: u64, p99_ms: u64) -> TimelineRow {
        TimelineRow {
            interval: k,
            start_s: k as f64,
            ok,
            errors,
            completed: ok + errors,
            latency_p99_ns: p99_ms * 1_000_000,
            ..zero_row()
        }
    }

    #[test]
    fn abort_on_fail_needs_the_whole_window() {
        let set = flags(&["p99=100ms".into(), "error_rate=1%".into(), "abort_on_fail=3s".into()]).unwrap();
        let mut b = Breaker::new(&set, 1_000_000_000, 100.0);
        assert!(b.is_armed());
        assert_eq!(b.feed(&row(0, 100, 0, 200)), None);
        assert_eq!(b.feed(&row(1, 100, 0, 200)), None);
        assert_eq!(b.feed(&row(2, 100, 0, 5)), None, "a good interval breaks the streak");
        assert_eq!(b.feed(&row(3, 0, 0, 0)), None, "no data breaches nothing");
        assert_eq!(b.feed(&row(4, 50, 50, 5)), None);
        assert_eq!(b.feed(&row(5, 50, 50, 5)), None);
        let why = b.feed(&row(6, 0, 100, 5)).expect("three breached intervals in a row trip it");
        assert!(why.contains("abort_on_fail") && why.contains("error_rate 100% > 1%"), "{why}");
        assert!(why.contains("the last 3s "), "{why}");
    }

    #[test]
    fn abort_if_counts_intervals_of_its_duration() {
        let set = flags(&["abort_if=error_rate > 5% for 2s".into()]).unwrap();
        let mut b = Breaker::new(&set, 500_000_000, 100.0);
        let trips: Vec<bool> = [(95, 5), (90, 10), (90, 10), (90, 10), (89, 11)]
            .iter()
            .map(|(o, e)| b.feed(&row(0, *o, *e, 1)).is_some())
            .collect();
        assert_eq!(trips, [false, false, false, false, true], "5% is not above 5%; four intervals of 0.5s");
    }

    #[test]
    fn grace_period_and_unarmed() {
        let set = flags(&["abort_if=error_rate > 5% for 1s".into()]).unwrap();
        let mut b = Breaker::new(&set, 1_000_000_000, 2.0);
        assert_eq!(b.feed(&row(2, 0, 10, 1)), None, "after the window");
        assert!(!Breaker::new(&flags(&["p99=1ms".into()]).unwrap(), 1, 1.0).is_armed());
        assert!(
            !Breaker::new(&flags(&["throughput=1/s".into(), "abort_on_fail=1s".into()]).unwrap(), 1, 1.0).is_armed()
        );
    }
}
