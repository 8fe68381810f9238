//! The host timer probe (cyclictest-style): how late this host wakes a thread that sleeps to an
//! absolute instant, measured on each executor's own thread before the load starts. It is the
//! floor under send lag: no wait on this host can be more punctual than this (docs/kpis.md).
//! Also sets the executor thread's timer slack, which the probe and the shard share.

/// Sleeps per executor, and the gap between them: 150 × 1 ms ≈ 0.15 s before the run, every
/// executor at once (cyclictest's default interval; long enough for an idle vCPU to halt, as it
/// does between the slots of a low-rate run).
pub const SAMPLES: usize = 150;
pub const PERIOD_NS: u64 = 1_000_000;

/// Timer slack of the executor threads, ns. Linux lets a normal thread's timers fire up to 50 µs
/// late by default (to batch wake-ups); a load generator wants them on time. 1 ns is the least
/// PR_SET_TIMERSLACK accepts (0 means "back to the default").
pub const SLACK_NS: u64 = 1;

/// Ask the kernel to fire this thread's timers without slack. False when it refused (the run goes
/// on; the probe then measures the slack too).
pub fn tighten_timer_slack() -> bool {
    // SAFETY: PR_SET_TIMERSLACK takes one integer and touches only the calling thread.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, SLACK_NS as libc::c_ulong, 0, 0, 0) == 0 }
}

/// The scheduler slice asked for the executor threads, ns. Linux's EEVDF scheduler (6.6+; custom
/// slices from 6.12) lets a woken thread with a shorter slice than the one running preempt it at
/// once, where a default-slice thread would wait for the running one's slice (about 3 ms) to end:
/// on a shared host that wait, not the timer, is most of a late send. The executor sleeps far
/// more than it runs, so a short slice costs it nothing. 100 µs is the least the kernel accepts.
pub const SLICE_NS: u64 = 100_000;

/// Ask for `SLICE_NS` as this thread's slice, keeping its policy and nice value. False where the
/// kernel refuses (older than 6.12, or another policy): the run goes on with the default slice.
pub fn shorten_slice() -> bool {
    let size = std::mem::size_of::<libc::sched_attr>() as u32;
    // SAFETY: sched_attr is plain integers; all-zero is a valid value to be filled in.
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    // SAFETY: sched_getattr writes at most `size` bytes into attr, for the calling thread (0).
    let got = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &mut attr as *mut libc::sched_attr, size, 0) };
    if got != 0 || attr.sched_policy != libc::SCHED_OTHER as u32 {
        return false;
    }
    attr.size = size;
    attr.sched_runtime = SLICE_NS;
    // SAFETY: sched_setattr reads attr (size bytes) and changes only the calling thread.
    unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const libc::sched_attr, 0) == 0 }
}

fn monotonic() -> libc::timespec {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts
}

fn ns(ts: &libc::timespec) -> u64 {
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn at(ns: u64) -> libc::timespec {
    libc::timespec { tv_sec: (ns / 1_000_000_000) as libc::time_t, tv_nsec: (ns % 1_000_000_000) as libc::c_long }
}

/// `samples` sleeps to absolute instants `period_ns` apart on CLOCK_MONOTONIC; each sample is how
/// late the thread was running again (ns). A sleep the kernel cut short is retried to the same
/// instant, so a signal does not shorten a sample.
pub fn probe(samples: usize, period_ns: u64) -> Vec<u64> {
    let mut out = Vec::with_capacity(samples);
    let mut next = ns(&monotonic());
    for _ in 0..samples {
        next += period_ns;
        let target = at(next);
        // SAFETY: clock_nanosleep reads the timespec we pass; no remainder is asked for.
        while unsafe {
            libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &target, std::ptr::null_mut())
        } == libc::EINTR
        {}
        let woke = ns(&monotonic());
        out.push(woke.saturating_sub(next));
        // A wake-up later than a period does not make the next sleeps zero-length.
        next = next.max(woke);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_takes_every_sample_and_never_wakes_early() {
        let t = std::time::Instant::now();
        let s = probe(20, 200_000);
        assert_eq!(s.len(), 20);
        // 20 sleeps of 0.2 ms take at least 4 ms: none returned before its instant.
        assert!(t.elapsed() >= std::time::Duration::from_millis(4), "{:?}", t.elapsed());
    }

    #[test]
    fn timer_slack_can_be_tightened() {
        assert!(tighten_timer_slack());
        // SAFETY: PR_GET_TIMERSLACK takes no argument and returns the calling thread's slack.
        let slack = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
        assert_eq!(slack as u64, SLACK_NS);
    }
}
