//! One run, start to report: engine → merge → Report → SLO verdict. No printing, no exit: the
//! caller decides. A circuit breaker (crate::slo::breaker) fed by the timeline may stop the run
//! early through the same stop flag Ctrl-C raises; the report then says why.
use crate::clock::now_ns;
use crate::config::Config;
use crate::engine::{self, EngineError, StopFlag};
use crate::merge::{self, TimelineRow};
use crate::report::exporter::Exporter;
use crate::report::{Judged, Report, RunEnd, live};
use crate::slo::breaker::Breaker;
use std::sync::atomic::Ordering;

/// Run the configured load; `on_row` sees each completed timeline interval (live progress).
pub fn execute(cfg: &Config, stop: StopFlag, on_row: impl FnMut(&TimelineRow)) -> Result<Report, EngineError> {
    execute_with(cfg, stop, None, on_row)
}

/// As `execute`, publishing the live exposition to `live` (`--metrics-listen`) as each interval
/// completes (on this, the merging thread), and the final values once the report is judged.
pub fn execute_with(
    cfg: &Config,
    stop: StopFlag,
    live: Option<&Exporter>,
    mut on_row: impl FnMut(&TimelineRow),
) -> Result<Report, EngineError> {
    let running = engine::start(cfg.engine.clone(), stop.clone())?;
    let t0 = running.clock.t0;
    let host_timer = running.host_timer.clone();
    let period_ns = running.cadence.period_ns;
    let clock = running.clock;
    let e = &cfg.engine;
    let mut breaker = Breaker::new(&cfg.slo, e.interval_ns, (e.warmup_ns + e.duration_ns) as f64 / 1e9);
    let mut aborted: Option<(String, u64)> = None;
    // Process and target resources: read by this (aggregating) thread as each interval completes.
    let mut resources = crate::watch::Resources::start(cfg.watch.as_ref(), t0);
    let mut last_interval = String::new();
    let timing = live::Timing { interval_ns: e.interval_ns, warmup_ns: e.warmup_ns };
    let mut merged = merge::collect(&running.rx, running.cores, e.interval_ns, |p| {
        let row = p.row;
        if let Some(x) = live {
            last_interval = live::interval(p, &cfg.report, timing);
            let fin = live::finished(&cfg.report, false);
            x.publish(live::measures_during(p, &cfg.report, timing) + &last_interval + &fin);
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
    let host_timer_run = running.join();
    let interrupted = stop.load(Ordering::SeqCst) > 0;
    let measure_start = t0 + e.warmup_ns;
    let window_ns = if interrupted {
        let stopped = aborted.as_ref().map(|(_, at)| *at).or_else(crate::signal::first_stop_ns);
        stopped.unwrap_or_else(now_ns).saturating_sub(measure_start).min(e.duration_ns)
    } else {
        e.duration_ns
    };
    // Moved, not cloned: in a long run the encoded intervals are the largest thing held.
    let intervals = std::mem::take(&mut merged.intervals);
    let mut report =
        Report::build(&merged, cfg.report.clone(), RunEnd { interrupted, window_s: window_ns as f64 / 1e9 });
    report.histograms.intervals = intervals;
    report.histograms.start_unix_s = unix_now_s() - now_ns().saturating_sub(t0) as f64 / 1e9;
    report.set_host_timer(&host_timer, &host_timer_run, period_ns);
    report.set_target(target.as_ref());
    let slo = crate::slo::evaluate::evaluate(&report, &cfg.slo);
    let replaces_max_error_rate = cfg.slo.has_total_error_rate();
    report.judge(Judged { slo, replaces_max_error_rate, aborted: aborted.map(|(why, _)| why) });
    crate::distributed::stamp(&mut report, cfg.distributed.as_ref(), clock);
    if let Some(x) = live {
        // The file's exposition exactly (what --prom writes), the last interval, finished = 1.
        x.finish(live::measures_final(&report) + &last_interval + &live::finished(&cfg.report, true));
    }
    Ok(report)
}

/// Wall-clock seconds since the Unix epoch (only for labelling logs; never for measuring).
fn unix_now_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
