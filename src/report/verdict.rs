//! The verdict (docs/exit-codes.md): pass, failed, invalid or interrupted, with one reason line
//! per failed criterion or warning. Decides what the send lag may change (report::lag: a passing
//! latency criterion passes whatever the lag; a miss the lag could account for is inconclusive)
//! and whom a backlog blames (report::health: the generator's connections or cores, or a target
//! that held them). Pure: judged from the Report's own numbers.
use super::health::{self, BoundCause, Demand, GeneratorHealth};
use super::{Counts, Dist, Judged, MAX_INCOMPLETE, RATE_TOLERANCE, Rates, RunConfig, SloRow, Status, Verdict, lag};
use crate::record::TransportError;

/// What a verdict is judged on: the report's numbers, nothing live.
pub(crate) struct Evidence<'a> {
    pub cfg: &'a RunConfig,
    pub rates: &'a Rates,
    pub counts: &'a Counts,
    pub latency: &'a Dist,
    pub service: &'a Dist,
    pub lag: &'a Dist,
    pub generator: &'a GeneratorHealth,
    pub timeline: &'a [crate::merge::TimelineRow],
    /// Per scenario (plans with `scenarios:`): each open one's rate is judged as the run's is.
    pub scenarios: &'a [super::ScenarioRow],
}

impl Evidence<'_> {
    /// What the run asked of its connections, with how long each request held one.
    pub fn demand(&self) -> Demand {
        Demand {
            connections: self.cfg.connections,
            target_rps: self.cfg.target_rate,
            service_mean_s: self.service.mean_ns / 1e9,
            service_p50_s: self.service.p("p50") as f64 / 1e9,
            service_p99_s: self.service.p("p99") as f64 / 1e9,
            latency_p99_s: self.latency.p("p99") as f64 / 1e9,
            answered: self.counts.ok + self.counts.http_error,
            timeouts: self.counts.timeout,
            timeout_s: self.cfg.timeout_s,
            dropped: self.counts.dropped,
            sent: self.counts.sent,
        }
    }

    /// The target rate was missed: fewer sends in the window than 99% of the schedule, unless
    /// the shortfall is only the end of the run sent late (a freeze in the last interval): every
    /// full interval before it kept the rate and the sends after the window make up the rest.
    /// That lateness is send lag, judged as such; a rate the run never kept shows in every
    /// interval.
    fn rate_missed(&self) -> bool {
        let (r, cfg) = (self.rates, self.cfg);
        let Some(target) = r.target_rps.filter(|t| r.achieved_rps < t * RATE_TOLERANCE) else { return false };
        let window = cfg.duration_s;
        let short = target * window - r.achieved_rps * window;
        let late_made_up = self.counts.sent_after_window as f64 >= short.floor();
        !(late_made_up && self.kept_rate_before_last(target))
    }

    /// Every full measured interval but the last sent at least 99% of `target` (false when there
    /// is none to judge).
    fn kept_rate_before_last(&self, target: f64) -> bool {
        let rows = self.timeline;
        let Some(step) = rows.get(1).zip(rows.first()).map(|(b, a)| b.start_s - a.start_s).filter(|s| *s > 0.0) else {
            return false;
        };
        let (from, to) = (self.cfg.warmup_s, self.cfg.warmup_s + self.cfg.duration_s - step);
        let kept: Vec<_> =
            rows.iter().filter(|row| row.start_s >= from - 1e-9 && row.start_s + step <= to + 1e-9).collect();
        let sent: u64 = kept.iter().map(|row| row.sent).sum();
        !kept.is_empty() && sent as f64 >= RATE_TOLERANCE * target * step * kept.len() as f64
    }

    /// Each open scenario that missed its own target rate: "NAME: achieved A of T req/s". A
    /// shortfall no larger than what the whole run sent after its window is the end sent late
    /// (send lag, judged as such), as for the run's own rate.
    fn scenarios_missed(&self) -> Vec<String> {
        let late = self.counts.sent_after_window;
        let missed = |s: &&super::ScenarioRow| {
            let t = s.target_rps.unwrap_or(0.0);
            s.row.achieved_rps < t * RATE_TOLERANCE && s.row.intended.saturating_sub(s.row.sent) > late
        };
        self.scenarios
            .iter()
            .filter(missed)
            .map(|s| {
                let (a, t) = (s.row.achieved_rps, s.target_rps.unwrap_or(0.0));
                format!(
                    "scenario {}: achieved {a:.1} req/s of {t} req/s ({:.1}% short)",
                    s.row.name,
                    100.0 * (1.0 - a / t)
                )
            })
            .collect()
    }

    fn lag_high(&self) -> bool {
        self.lag.count > 0 && self.lag.p("p99") as f64 / 1e6 > self.cfg.max_send_lag_ms
    }
}

fn is_latency(row: &SloRow) -> bool {
    matches!(row.metric, crate::slo::Metric::Latency(_))
}

/// The failed SLO rows split into definite failures and those the lag could account for
/// (inconclusive). A backlog the target caused makes every miss definite: the lag was its doing.
fn split_slo(e: &Evidence, j: &Judged, target_caused: bool) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut failed, mut inconclusive, mut named) = (Vec::new(), Vec::new(), Vec::new());
    for row in j.slo.iter().filter(|r| !r.pass) {
        match lag::accounts_for(row, e.service, e.lag).filter(|_| !target_caused) {
            Some(why) => {
                inconclusive.push(why);
                named.push(format!("{} {}", row.scope, row.metric.name()));
            }
            None => failed.push(row.reason()),
        }
    }
    (failed, inconclusive, named)
}

/// Exit code precedence: interrupted or aborted (4), then failed (1), then invalid (3), else
/// pass. Returns the verdict and, when the send lag was over `--max-send-lag`, why.
pub(crate) fn decide(e: &Evidence, interrupted: bool, j: &Judged) -> (Verdict, Option<BoundCause>) {
    let demand = e.demand();
    let f = Findings::of(e, j, &demand);
    let (slo_failed, inconclusive, named) = split_slo(e, j, f.cause == BoundCause::Target);
    let failed = f.default_failed || !slo_failed.is_empty() || e.counts.intended == 0;
    let invalid = f.generator_bound || f.target_rate_missed || f.too_many_incomplete || !named.is_empty();
    let reasons = reasons(e, j, &f, &demand, slo_failed, inconclusive);
    let status = status(interrupted, failed, invalid);
    let verdict = Verdict {
        status,
        exit_code: status.exit_code(),
        generator_bound: f.generator_bound,
        target_rate_missed: f.target_rate_missed,
        too_many_incomplete: f.too_many_incomplete,
        inconclusive: named,
        reasons,
    };
    (verdict, f.lag_high.then_some(f.cause))
}

/// What the run's own criteria found (MEASUREMENT.md §4), apart from the SLO rows.
struct Findings {
    /// Whom a send lag over `--max-send-lag` blames.
    cause: BoundCause,
    lag_high: bool,
    generator_bound: bool,
    target_rate_missed: bool,
    too_many_incomplete: bool,
    /// The error rate is over `--max-error-rate` (and no SLO replaces it).
    default_failed: bool,
}

impl Findings {
    fn of(e: &Evidence, j: &Judged, demand: &Demand) -> Findings {
        let (r, k) = (e.rates, e.counts);
        let cause = health::classify(e.generator, demand);
        let lag_high = e.lag_high();
        let latency_slo = j.slo.iter().any(is_latency);
        let generator_bound = lag_high
            && match cause {
                BoundCause::Cores | BoundCause::Connections => true,
                BoundCause::Target => false,
                BoundCause::Timer => !latency_slo && !lag::small(e.lag, e.latency),
            };
        Findings {
            cause,
            lag_high,
            generator_bound,
            target_rate_missed: e.rate_missed() || !e.scenarios_missed().is_empty(),
            too_many_incomplete: r.incomplete_rate > MAX_INCOMPLETE,
            default_failed: !j.replaces_max_error_rate && k.intended > 0 && r.error_rate > e.cfg.max_error_rate,
        }
    }
}

/// The verdict's lines, in the order every writer lists them: an abort, no data, the error
/// rate, failed SLOs, inconclusive ones, the send lag, the rate, incomplete requests, hints.
fn reasons(
    e: &Evidence,
    j: &Judged,
    f: &Findings,
    demand: &Demand,
    slo_failed: Vec<String>,
    inconclusive: Vec<String>,
) -> Vec<String> {
    let (r, k, cfg) = (e.rates, e.counts, e.cfg);
    let mut reasons = Vec::new();
    reasons.extend(j.aborted.clone());
    if k.intended == 0 {
        reasons.push("no requests were measured".to_string());
    }
    if f.default_failed {
        let (a, t) = (100.0 * r.error_rate, 100.0 * cfg.max_error_rate);
        reasons.push(format!("error rate {a:.2}% > {t:.2}% (--max-error-rate)"));
    }
    reasons.extend(slo_failed);
    // An inconclusive criterion already says what the lag did; the note would only repeat it.
    let note = inconclusive.is_empty() || f.generator_bound || f.cause == BoundCause::Target;
    reasons.extend(inconclusive);
    if f.lag_high && note {
        reasons.extend(lag_reason(e, f.cause, f.generator_bound, demand));
    }
    reasons.extend(rate_reason(r, k, f.target_rate_missed, f.lag_high && f.cause == BoundCause::Target));
    reasons.extend(e.scenarios_missed().into_iter().map(|m| format!("target rate missed: {m}")));
    if f.too_many_incomplete {
        reasons.push(format!(
            "too many incomplete: {:.3}% of requests were unsent or unanswered at the end (limit {:.1}%)",
            100.0 * r.incomplete_rate,
            100.0 * MAX_INCOMPLETE
        ));
    }
    reasons.extend(resource_hints(k));
    reasons
}

/// Interrupted or aborted first, then failed, then invalid, else pass.
fn status(interrupted: bool, failed: bool, invalid: bool) -> Status {
    if interrupted {
        Status::Interrupted
    } else if failed {
        Status::Failed
    } else if invalid {
        Status::Invalid
    } else {
        Status::Pass
    }
}

/// The target rate missed (and, when `target_held`, that the target held the connections), or
/// the note that the window's rate fell short only because the run's end was sent late.
fn rate_reason(r: &Rates, k: &Counts, missed: bool, target_held: bool) -> Option<String> {
    let t = r.target_rps?;
    if missed {
        let whose = if target_held { ": the target held the connections" } else { "" };
        return Some(format!(
            "target rate missed: achieved {:.1} req/s of {t} req/s ({:.1}% short){whose}",
            r.achieved_rps,
            100.0 * (1.0 - r.achieved_rps / t)
        ));
    }
    (r.achieved_rps < t * RATE_TOLERANCE).then(|| {
        format!(
            "note: achieved {:.1} req/s of {t} req/s within the window only because the end of the run was sent late ({} requests after it, send lag); every earlier interval kept the rate",
            r.achieved_rps, k.sent_after_window
        )
    })
}

/// The line for a send lag over `--max-send-lag`: why it was high, and whether it counts. A
/// latency SLO, or a lag small beside the latency, makes a timer-bound lag an error bar.
fn lag_reason(e: &Evidence, cause: BoundCause, bound: bool, d: &Demand) -> Option<String> {
    let max = e.cfg.max_send_lag_ms;
    if bound || cause == BoundCause::Target {
        return Some(health::bound_reason(cause, e.lag, max, e.generator, d));
    }
    let lat = crate::units::fmt_ns(e.latency.p("p99"));
    let why = if lag::small(e.lag, e.latency) {
        format!("at most {:.0}% of latency p99 {lat}", 100.0 * lag::SMALL_SHARE)
    } else {
        "and every latency criterion passed (lag only adds to latency)".to_string()
    };
    Some(format!(
        "note: send lag p99 {} > {max:.2} ms {why}: reported as the error bar, not a verdict; {}",
        crate::units::fmt_ns(e.lag.p("p99")),
        lag::host_cause(e.lag, &e.generator.host_timer, &e.generator.host_timer_run)
    ))
}

/// What to do when the runner itself ran out of something.
pub(crate) fn resource_hints(k: &Counts) -> Vec<String> {
    let of = |t: TransportError| k.transport.get(t.name()).copied().unwrap_or(0);
    let mut out = Vec::new();
    let ports = of(TransportError::PortsExhausted);
    if ports > 0 {
        out.push(format!(
            "{ports} connects failed for want of local ports (EADDRNOTAVAIL): keep connections alive (avoid --no-keepalive), widen net.ipv4.ip_local_port_range, or let TIME_WAIT sockets be reused (net.ipv4.tcp_tw_reuse=1)"
        ));
    }
    let fds = of(TransportError::FdExhausted);
    if fds > 0 {
        out.push(format!(
            "{fds} connects failed for want of file descriptors (EMFILE/ENFILE): raise the limit (ulimit -n, LimitNOFILE=) or lower -c"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::Merged;
    use crate::record::{Counters, Histograms};
    use crate::report::{Report, RunEnd};

    /// A 10 s open-model run at 100 req/s, 4 connections, all ok: every request's service time
    /// is `service_us` and its send lag `lag_us` (so its latency is their sum).
    fn run(service_us: u64, lag_us: u64) -> Report {
        let mut hists = Histograms::new();
        for _ in 0..1000 {
            hists.record_service(service_us * 1_000);
            hists.record_send_lag(lag_us * 1_000);
            hists.record_latency((service_us + lag_us) * 1_000);
        }
        let totals = Counters { intended: 1000, sent: 1000, ok: 1000, ..Counters::default() };
        let m = Merged {
            totals,
            hists,
            per_core: vec![],
            timeline: vec![],
            labels: vec![],
            stages: vec![],
            scenarios: vec![],
            intervals: vec![],
        };
        let config = RunConfig {
            url: "http://127.0.0.1:1/".into(),
            method: "GET".into(),
            target_rate: Some(100.0),
            connections: 4,
            cores: 1,
            duration_s: 10.0,
            warmup_s: 0.0,
            timeout_s: 1.0,
            max_send_lag_ms: 1.0,
            max_error_rate: 0.01,
            tls_insecure: false,
            plan: None,
            profile: None,
            labels: vec![],
            users: None,
            stages: vec![],
            scenarios: vec![],
            label_checks: vec![],
        };
        let mut r = Report::build(m, config, RunEnd { interrupted: false, window_s: 10.0 });
        r.set_host_timer(&[300_000; 300], &crate::record::histograms::new_hist(), 1_000_000);
        r
    }

    fn judge(r: &mut Report, slo: &[&str]) {
        let set = crate::slo::parse::flags(&slo.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let rows = crate::slo::evaluate::evaluate(r, &set);
        r.judge(Judged { slo: rows, replaces_max_error_rate: set.has_total_error_rate(), aborted: None });
    }

    #[test]
    fn a_passing_latency_slo_passes_whatever_the_lag() {
        // The run: 2 ms answers, 4 ms send lag, p99=500ms.
        let mut r = run(2_000, 4_000);
        judge(&mut r, &["p99=500ms"]);
        assert_eq!(r.verdict.status, Status::Pass, "{:?}", r.verdict.reasons);
        assert!(!r.verdict.generator_bound && r.verdict.inconclusive.is_empty());
        assert_eq!(r.generator.bound_cause, Some(BoundCause::Timer));
        let note = r.verdict.reasons.join("\n");
        assert!(note.starts_with("note: send lag p99 4.00ms > 1.00 ms") && note.contains("not a verdict"), "{note}");
        assert!(note.contains("host woke timers late by up to 300.00us"), "{note}");
    }

    #[test]
    fn a_miss_the_lag_could_account_for_is_inconclusive_and_named() {
        // Service 1 ms, lag 4 ms, latency 5 ms; the SLO (2 ms) is met by the service time alone.
        let mut r = run(1_000, 4_000);
        judge(&mut r, &["p99=2ms", "p50=1s"]);
        assert_eq!((r.verdict.status, r.verdict.exit_code), (Status::Invalid, 3));
        assert_eq!(r.verdict.inconclusive, ["total p99"]);
        assert_eq!(r.verdict.reasons.len(), 1, "no note repeating it: {:?}", r.verdict.reasons);
        let why = &r.verdict.reasons[0];
        assert!(why.starts_with("inconclusive: SLO total p99: 5") && why.contains("send lag p99 was 4.00ms"), "{why}");
    }

    #[test]
    fn the_same_slo_against_a_slow_target_fails() {
        let mut r = run(300_000, 4_000);
        judge(&mut r, &["p99=2ms"]);
        assert_eq!((r.verdict.status, r.verdict.exit_code), (Status::Failed, 1));
        assert!(r.verdict.inconclusive.is_empty());
        assert!(r.verdict.reasons[0].starts_with("SLO total p99: 30"), "{:?}", r.verdict.reasons);
    }

    #[test]
    fn without_slos_small_lag_is_an_error_bar_and_large_lag_is_invalid() {
        // 1.5 ms of lag on 30 ms answers: at most a tenth of the latency.
        let mut r = run(30_000, 1_500);
        judge(&mut r, &[]);
        assert_eq!(r.verdict.status, Status::Pass, "{:?}", r.verdict.reasons);
        assert!(r.verdict.reasons[0].contains("at most 10% of latency p99"), "{:?}", r.verdict.reasons);
        // 4 ms of lag on 2 ms answers: the latency is mostly the generator's.
        let mut r = run(2_000, 4_000);
        judge(&mut r, &[]);
        assert_eq!((r.verdict.status, r.verdict.exit_code), (Status::Invalid, 3));
        assert!(r.verdict.generator_bound);
        let why = r.verdict.reasons.join("\n");
        assert!(why.starts_with("generator-bound: send lag p99 4.00 ms > 1.00 ms"), "{why}");
        assert!(why.contains("this host woke timers late by up to 300.00us"), "{why}");
    }

    /// `run` with a timeline of 1 s intervals that sent `per_interval` requests each, the last
    /// `late` of the schedule's 1000 sent after the window.
    fn timed(per_interval: [u64; 10], late: u64) -> Report {
        let mut r = run(2_000, 4_000);
        r.timeline = (0..10)
            .map(|i| crate::merge::TimelineRow {
                interval: i,
                start_s: i as f64,
                sent: per_interval[i as usize],
                ..Default::default()
            })
            .collect();
        r.counts.sent_after_window = late;
        r.rates.achieved_rps = (1000 - late) as f64 / 10.0;
        r
    }

    #[test]
    fn a_freeze_at_the_very_end_is_send_lag_not_a_missed_rate() {
        // 100 req/s; the host froze for the last 400 ms: 40 requests left after the window.
        let mut r = timed([100, 100, 100, 100, 100, 100, 100, 100, 100, 60], 40);
        judge(&mut r, &["p99=500ms"]);
        assert!(!r.verdict.target_rate_missed, "{:?}", r.verdict.reasons);
        assert_eq!(r.verdict.status, Status::Pass, "{:?}", r.verdict.reasons);
        assert!(
            r.verdict.reasons.iter().any(|l| l.contains("achieved 96.0 req/s of 100 req/s within the window only"))
        );
        // A target at half the rate never kept it: every interval short, however much was sent late.
        let mut r = timed([50; 10], 500);
        r.rates.achieved_rps = 50.0;
        judge(&mut r, &["p99=500ms"]);
        assert!(r.verdict.target_rate_missed && r.verdict.status == Status::Invalid, "{:?}", r.verdict.reasons);
        // Sent late but not all of it (30 never left): still missed.
        let mut r = timed([100, 100, 100, 100, 100, 100, 100, 100, 100, 60], 10);
        r.rates.achieved_rps = 96.0;
        judge(&mut r, &["p99=500ms"]);
        assert!(r.verdict.target_rate_missed, "{:?}", r.verdict.reasons);
    }

    #[test]
    fn lag_within_the_limit_is_no_verdict_at_all() {
        let mut r = run(100, 500);
        judge(&mut r, &[]);
        assert_eq!(r.verdict.status, Status::Pass);
        assert!(r.verdict.reasons.is_empty() && r.generator.bound_cause.is_none(), "{:?}", r.verdict.reasons);
    }

    #[test]
    fn a_backlog_for_want_of_connections_stays_invalid_even_when_the_slo_passes() {
        // 100 req/s of 100 ms answers need 10 connections; 4 were given.
        let mut r = run(100_000, 4_000);
        r.generator.waiting_share_max = 0.5;
        judge(&mut r, &["p99=500ms"]);
        assert_eq!((r.verdict.status, r.verdict.exit_code), (Status::Invalid, 3));
        let why = &r.verdict.reasons[0];
        assert!(r.verdict.generator_bound && why.contains("add connections (-c "), "{why}");
        assert!(why.contains("needs at least 11, 4 given") || why.contains("needs at least 10, 4 given"), "{why}");
        // The same waiting after a host freeze, with a pool the target's p99 never filled: a pass.
        let mut r = run(2_000, 4_000);
        r.generator.waiting_share_max = 0.5;
        judge(&mut r, &["p99=500ms"]);
        assert_eq!(r.verdict.status, Status::Pass, "{:?}", r.verdict.reasons);
    }
}
