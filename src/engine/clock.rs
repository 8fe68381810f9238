//! Waiting on the process clock (crate::clock) inside an executor: the sleep for an intended
//! instant.
use std::time::Duration;

pub use crate::clock::now_ns;

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
