//! The two halves of the sleep/notify barrier.
//!
//! onslaught patch (6): upstream imported membarrier-rs here and issued `sys_membarrier` (or an
//! `mprotect` trick) on the sleeper's side, with a compiler fence on the waker's. A load
//! generator parks its executor tens of thousands of times a second and is woken from another
//! thread almost never, so that put the cost on the wrong side. Both halves are now a full
//! `SeqCst` fence, which keeps the Dekker-style protocol (sleeper: announce, fence, check the
//! queues; waker: queue, fence, check the announcement) correct without a system call.
use core::sync::atomic;

/// The waker's half: whatever it queued is visible before it reads whether the executor sleeps.
#[inline]
pub(crate) fn light() {
    atomic::fence(atomic::Ordering::SeqCst)
}

/// The sleeper's half: its announcement is visible before it checks the queues a last time.
#[inline]
pub(crate) fn heavy() {
    atomic::fence(atomic::Ordering::SeqCst)
}
