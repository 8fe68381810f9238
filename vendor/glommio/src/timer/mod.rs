// Unless explicitly stated otherwise all files in this repository are licensed
// under the MIT/Apache-2.0 License, at your convenience
//
// This product includes software developed at Datadog (https://www.datadoghq.com/). Copyright 2020 Datadog, Inc.
//
//! glommio::timer is a module that provides timing related primitives.
mod timer_impl;

use std::{future::Future, time::Duration};
pub use timer_impl::{Timer, TimerActionOnce, TimerActionRepeat};

/// onslaught patch (11): on this executor, sleep until `lead` before each timer and poll I/O
/// from there until the timer is due, instead of sleeping to the timer itself. A woken thread
/// starts running late by however long the host takes to schedule it; waking early absorbs
/// that, at the cost of polling for up to `lead` per timer. Zero (the default) restores
/// upstream's behaviour. Panics outside an executor, like the rest of this module.
pub fn set_timer_lead(lead: std::time::Duration) {
    crate::executor().reactor().set_timer_lead(lead);
}

/// onslaught patch (13): let this executor's next sleeps wait for `min` completions (of
/// sockets' readiness, mostly) instead of waking for the first, but never past its next timer
/// nor longer than `max_wait`. Effective only where the kernel defers completions' task work
/// to the waiting thread (IORING_SETUP_DEFER_TASKRUN, Linux 6.1): elsewhere every completion
/// wakes the thread anyway. `min` of 0 or 1 restores upstream's wait. A load generator that
/// reads each response's arrival instant from the kernel (SO_TIMESTAMPING) loses no precision
/// by reading it later, and saves the wake-ups. Panics outside an executor.
pub fn set_sleep_batch(min: u32, max_wait: std::time::Duration) {
    crate::executor().reactor().set_sleep_batch(min, max_wait);
}

type Result<T> = crate::Result<T, ()>;

/// Sleep for some time.
///
/// ```
/// use glommio::{timer::sleep, LocalExecutor};
/// use std::time::Duration;
///
/// let ex = LocalExecutor::default();
///
/// ex.run(async {
///     sleep(Duration::from_millis(100)).await;
/// });
/// ```
pub async fn sleep(wait: std::time::Duration) {
    Timer::new(wait).await;
}

/// Executes a future with a specified timeout
///
/// Returns a `Result`, with `Ok` if the future ran to completion
/// or a [`GlommioError::TimedOut`] error if the timeout was reached
///
/// ```
/// # use glommio::{
/// #    timer::{timeout, Timer},
/// #    LocalExecutor,
/// # };
/// # use std::time::Duration;
/// # let ex = LocalExecutor::default();
/// # ex.run(async {
/// timeout(Duration::from_millis(1), async move {
///     // this future will wait for 100ms, but won't complete, as the timeout is 1ms
///     Timer::new(Duration::from_millis(100)).await;
///     Ok(())
/// })
/// .await;
/// # });
/// ```
///
/// [`GlommioError::TimedOut`]: crate::GlommioError::TimedOut
pub async fn timeout<F, T>(dur: Duration, f: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    timer_impl::Timeout::new(f, dur).await
}
