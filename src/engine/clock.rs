//! The one clock: CLOCK_MONOTONIC (std `Instant`) as integer nanoseconds since a process-wide
//! base, and the sleep-then-spin wait for an intended instant.
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Monotonic nanoseconds since the process-wide base.
#[inline]
pub fn now_ns() -> u64 {
    Instant::now().saturating_duration_since(base()).as_nanos() as u64
}

/// Wait until `t` (ns on this clock): sleep on a glommio timer to `spin_ns` before it, then spin.
/// Spinning holds the core (no other connection of this shard runs meanwhile), so the window is
/// a knob (`--spin`), off by default: glommio's timers already land within tens of µs, and send
/// lag measures the result either way.
pub async fn wait_until(t: u64, spin_ns: u64) {
    let now = now_ns();
    if t > now + spin_ns {
        glommio::timer::sleep(Duration::from_nanos(t - now - spin_ns)).await;
    }
    while spin_ns > 0 && now_ns() < t {
        std::hint::spin_loop();
    }
}
