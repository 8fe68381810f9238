//! Ctrl-C: the first SIGINT/SIGTERM asks the run to stop issuing (grace period), the second to
//! stop now. The handler only touches atomics (async-signal-safe); the engine polls the flag
//! (`StopFlag` lives here, a leaf, so that the engine, the watcher and the breakers share it).
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Run-wide stop requests: 0 running, 1 stop issuing (grace period), 2 stop now (skip grace).
pub type StopFlag = Arc<AtomicU8>;

static FLAG: OnceLock<StopFlag> = OnceLock::new();
static FIRST_NS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    if let Some(f) = FLAG.get()
        && f.fetch_add(1, Ordering::SeqCst) == 0
    {
        FIRST_NS.store(crate::clock::now_ns().max(1), Ordering::SeqCst);
    }
}

/// Install the handlers once; returns the flag the engine watches.
pub fn install() -> StopFlag {
    let flag = FLAG.get_or_init(|| Arc::new(AtomicU8::new(0))).clone();
    let _ = crate::clock::now_ns();
    // SAFETY: the handler only performs atomic operations.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    flag
}

/// When the first stop signal arrived (clock ns), if one did.
pub fn first_stop_ns() -> Option<u64> {
    match FIRST_NS.load(Ordering::SeqCst) {
        0 => None,
        t => Some(t),
    }
}
