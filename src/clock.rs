//! The one clock: CLOCK_MONOTONIC (std `Instant`) as integer nanoseconds since a process-wide
//! base (a leaf: the engine, the signal handler, the resource watcher and `--start-at` all read it).
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A day before the first read, so that an instant up to a day in the past (a `--start-at` that
/// has already passed: crate::distributed::start) is still a number on this clock.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(|| {
        let now = Instant::now();
        now.checked_sub(Duration::from_secs(86_400)).unwrap_or(now)
    })
}

/// Monotonic nanoseconds since the process-wide base.
#[inline]
pub fn now_ns() -> u64 {
    Instant::now().saturating_duration_since(base()).as_nanos() as u64
}
