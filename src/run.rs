//! One run, start to report: engine → merge → Report → SLO verdict. No printing, no exit: the
//! caller decides. A circuit breaker (crate::slo::breaker) fed by the timeline may stop the run
//! early through the same stop flag Ctrl-C raises; the report then says why.
use crate::clock::now_ns;
use crate::config::Config;
use crate::engine::{self, EngineError, StopFlag};
use crate::merge::{self, TimelineRow};
use crate::report::{Judged, Report, RunEnd};
use crate::slo::breaker::Breaker;
use std::sync::atomic::Ordering;

/// Run the configured load; `on_row` sees each completed timeline interval (live progress).
pub fn execute(cfg: &Config, stop: StopFlag, mut on_row: impl FnMut(&TimelineRow)) -> Result<Report, EngineError> {
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
    let mut merged = merge::collect(&running.rx, running.cores, e.interval_ns, |row| {
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
    let mut report =
        Report::build(merged, cfg.report.clone(), RunEnd { interrupted, window_s: window_ns as f64 / 1e9 });
    report.histograms.start_unix_s = unix_now_s() - now_ns().saturating_sub(t0) as f64 / 1e9;
    report.set_host_timer(&host_timer, &host_timer_run, period_ns);
    report.set_target(target.as_ref());
    let slo = crate::slo::evaluate::evaluate(&report, &cfg.slo);
    let replaces_max_error_rate = cfg.slo.has_total_error_rate();
    report.judge(Judged { slo, replaces_max_error_rate, aborted: aborted.map(|(why, _)| why) });
    crate::distributed::stamp(&mut report, cfg.distributed.as_ref(), clock);
    Ok(report)
}

/// Wall-clock seconds since the Unix epoch (only for labelling logs; never for measuring).
fn unix_now_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
