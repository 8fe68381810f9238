//! The one clock: CLOCK_MONOTONIC (std `Instant`) as integer nanoseconds since a process-wide
//! base, and the sleep-then-spin wait for an intended instant.
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

/// Wait until `t` (ns on this clock) on a glommio timer. Timers are cheap here: they live in the
/// executor's timer map, and the executor sleeps only to its timer lead before the earliest one,
/// then polls I/O until it is due (glommio patch 0010, set per shard from
/// timer_probe::Cadence): the sleep, then the spin, of MEASUREMENT.md §2.
pub async fn wait_until(t: u64) {
    let now = now_ns();
    if t > now {
        glommio::timer::sleep(Duration::from_nanos(t - now)).await;
    }
}
