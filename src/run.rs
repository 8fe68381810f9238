//! One run, start to report: engine → merge → Report. No printing, no exit: the caller decides.
use crate::config::Config;
use crate::engine::{self, EngineError, StopFlag, clock::now_ns};
use crate::merge::{self, TimelineRow};
use crate::report::{Report, RunEnd};
use std::sync::atomic::Ordering;

/// Run the configured load; `on_row` sees each completed timeline interval (live progress).
pub fn execute(cfg: &Config, stop: StopFlag, on_row: impl FnMut(&TimelineRow)) -> Result<Report, EngineError> {
    let running = engine::start(cfg.engine.clone(), stop.clone())?;
    let t0 = running.clock.t0;
    // Process and target resources: read by this (aggregating) thread as each interval completes.
    let mut resources = crate::watch::Resources::start(cfg.watch.as_ref(), t0);
    let mut on_row = on_row;
    let mut merged = merge::collect(&running.rx, running.cores, cfg.engine.interval_ns, |row| {
        resources.sample(row.interval);
        on_row(row)
    });
    merged.target = resources.fill(&mut merged.timeline);
    running.join();
    let interrupted = stop.load(Ordering::SeqCst) > 0;
    let e = &cfg.engine;
    let measure_start = t0 + e.warmup_ns;
    let window_ns = if interrupted {
        crate::signal::first_stop_ns().unwrap_or_else(now_ns).saturating_sub(measure_start).min(e.duration_ns)
    } else {
        e.duration_ns
    };
    Ok(Report::build(&merged, cfg.report.clone(), RunEnd { interrupted, window_s: window_ns as f64 / 1e9 }))
}
