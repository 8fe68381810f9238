//! One run, start to report: engine → merge → Report → SLO verdict. No printing, no exit: the
//! caller decides. A circuit breaker (crate::slo::breaker) fed by the timeline may stop the run
//! early through the same stop flag Ctrl-C raises; the report then says why. Each stage gets only
//! its part of the Config: the engine its `EngineSpec`, the aggregating thread the SLO set, the
//! watch spec and the run's `Span`, the report its `RunConfig`.
use crate::clock::now_ns;
use crate::config::Config;
use crate::engine::{self, EngineError, Running, StopFlag};
use crate::merge::{self, Merged, TimelineRow};
use crate::report::exporter::Exporter;
use crate::report::progress::Span;
use crate::report::{Judged, Report, RunEnd, live};
use crate::slo::SloSet;
use crate::slo::breaker::Breaker;
use crate::watch::{TargetInfo, WatchSpec};
use std::sync::atomic::Ordering;

/// Run the configured load; `on_row` sees each completed timeline interval (live progress).
pub fn execute(cfg: &Config, stop: StopFlag, on_row: impl FnMut(&TimelineRow)) -> Result<Report, EngineError> {
    execute_with(cfg, stop, None, on_row)
}

/// As `execute`, publishing the live exposition to `live` (`--metrics-listen`) as each interval
/// completes (on the aggregating thread), and the final values once the report is judged.
pub fn execute_with(
    cfg: &Config,
    stop: StopFlag,
    live: Option<&Exporter>,
    on_row: impl FnMut(&TimelineRow),
) -> Result<Report, EngineError> {
    let running = engine::start(cfg.engine.clone(), stop.clone())?;
    let (clock, period_ns, host_timer) = (running.clock, running.cadence.period_ns, running.host_timer.clone());
    let e = &cfg.engine;
    let span = Span { warmup_ns: e.warmup_ns, duration_ns: e.duration_ns, interval_ns: e.interval_ns };
    let timing = live::Timing { interval_ns: e.interval_ns, warmup_ns: e.warmup_ns };
    let mut feed = live.map(|x| live::Feed::new(x, &cfg.report, timing));
    let a = aggregate(&running, span, &cfg.slo, cfg.watch.as_ref(), &stop, feed.as_mut(), on_row);
    let host_timer_run = running.join();
    let interrupted = stop.load(Ordering::SeqCst) > 0;
    let window_ns = window_ns(span, clock.t0, interrupted, a.aborted.as_ref().map(|(_, at)| *at));
    let end = RunEnd { interrupted, window_s: window_ns as f64 / 1e9 };
    let mut report = Report::build(a.merged, cfg.report.clone(), end);
    report.histograms.start_unix_s = unix_now_s() - now_ns().saturating_sub(clock.t0) as f64 / 1e9;
    report.set_host_timer(&host_timer, &host_timer_run, period_ns);
    report.set_target(a.target.as_ref());
    let slo = crate::slo::evaluate::evaluate(&report, &cfg.slo);
    let replaces_max_error_rate = cfg.slo.has_total_error_rate();
    report.judge(Judged { slo, replaces_max_error_rate, aborted: a.aborted.map(|(why, _)| why) });
    crate::distributed::stamp(&mut report, cfg.distributed.as_ref(), clock);
    if let Some(f) = &feed {
        f.finish(&report);
    }
    Ok(report)
}

/// What the aggregating thread leaves: the merged result, the watched target's resources, and a
/// breaker's stop (why, and when).
struct Aggregated {
    merged: Merged,
    target: Option<TargetInfo>,
    aborted: Option<(String, u64)>,
}

/// The aggregating stage, on this thread: merge folds the engine's snapshots; as each interval
/// completes, the live metrics are published, the watcher samples process and target resources,
/// the caller sees the row and the breakers judge it (raising the stop flag, as Ctrl-C does).
fn aggregate(
    running: &Running,
    span: Span,
    slos: &SloSet,
    watch: Option<&WatchSpec>,
    stop: &StopFlag,
    mut live: Option<&mut live::Feed<'_>>,
    mut on_row: impl FnMut(&TimelineRow),
) -> Aggregated {
    let mut breaker = Breaker::new(slos, span.interval_ns, (span.warmup_ns + span.duration_ns) as f64 / 1e9);
    let mut aborted: Option<(String, u64)> = None;
    let mut resources = crate::watch::Resources::start(watch, running.clock.t0);
    let mut merged = merge::collect(&running.rx, running.cores, span.interval_ns, |p| {
        let row = p.row;
        if let Some(f) = live.as_deref_mut() {
            f.interval(p);
        }
        resources.sample(row.interval);
        on_row(row);
        if aborted.is_none()
            && let Some(why) = breaker.feed(row)
        {
            stop.fetch_add(1, Ordering::SeqCst);
            aborted = Some((why, now_ns()));
        }
    });
    let target = resources.fill(&mut merged.timeline);
    Aggregated { merged, target, aborted }
}

/// The measured window that ran, ns: all of it, or up to the first stop (a breaker's, else
/// Ctrl-C's) when interrupted.
fn window_ns(span: Span, t0: u64, interrupted: bool, aborted_at: Option<u64>) -> u64 {
    if !interrupted {
        return span.duration_ns;
    }
    let stopped = aborted_at.or_else(crate::signal::first_stop_ns);
    stopped.unwrap_or_else(now_ns).saturating_sub(t0 + span.warmup_ns).min(span.duration_ns)
}

/// Wall-clock seconds since the Unix epoch (only for labelling logs; never for measuring).
fn unix_now_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
