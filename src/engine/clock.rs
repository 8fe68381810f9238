//! Waiting on the process clock (crate::clock) inside an executor: the sleep for an intended
//! instant.
use std::time::Duration;

pub use crate::clock::now_ns;

/// Wait until `t` (ns on this clock) on a glommio timer. Timers are cheap here: they live in the
/// executor's timer map, and an executor built with `spin_before_park` (`--spin`) fires them from
/// its polling loop without arming a kernel timeout while it is busy.
pub async fn wait_until(t: u64) {
    let now = now_ns();
    if t > now {
        glommio::timer::sleep(Duration::from_nanos(t - now)).await;
    }
}
