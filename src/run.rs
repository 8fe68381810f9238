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
    let mut merged = merge::collect(&running.rx, running.cores, cfg.engine.interval_ns, on_row);
    running.join();
    let interrupted = stop.load(Ordering::SeqCst) > 0;
    let e = &cfg.engine;
    let measure_start = t0 + e.warmup_ns;
    let window_ns = if interrupted {
        crate::signal::first_stop_ns().unwrap_or_else(now_ns).saturating_sub(measure_start).min(e.duration_ns)
    } else {
        e.duration_ns
    };
    // Moved, not cloned: in a long run the encoded intervals are the largest thing held.
    let intervals = std::mem::take(&mut merged.intervals);
    let mut report =
        Report::build(&merged, cfg.report.clone(), RunEnd { interrupted, window_s: window_ns as f64 / 1e9 });
    report.histograms.intervals = intervals;
    report.histograms.start_unix_s = unix_now_s() - now_ns().saturating_sub(t0) as f64 / 1e9;
    Ok(report)
}

/// Wall-clock seconds since the Unix epoch (only for labelling logs; never for measuring).
fn unix_now_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
