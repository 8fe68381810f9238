//! The host timer probe (cyclictest-style): how late this host wakes a thread that sleeps to an
//! absolute instant, measured on each executor's own thread before the load starts, at the
//! executor's own pace, and at low rates again during the run by a thread beside each executor.
//! It is the floor under send lag: no wait on this host can be more punctual (docs/kpis.md).
//! Also sets the executor thread's timer slack, which the probe and the shard share.
use crate::record::histograms::new_hist;
use crate::signal::StopFlag;
use hdrhistogram::Histogram;
use std::sync::atomic::Ordering;

/// The probe's time budget before the load, per executor (all executors probe at once).
pub const BUDGET_NS: u64 = 300_000_000;
/// Its cadence when the run has no schedule (closed loop), and its bounds: a host's late wakes
/// come at so many per second, not per sleep, so a probe that sleeps more often than the
/// executor does dilutes them (measured on this project's 2-core VM under a build: p99 70 µs
/// sleeping every 1 ms, 0.8–4 ms sleeping every 5 ms, the same thread, the same minutes).
pub const PERIOD_NS: u64 = 1_000_000;
pub const MIN_PERIOD_NS: u64 = 100_000;
pub const MAX_PERIOD_NS: u64 = 10_000_000;
/// Least and most sleeps before the load.
pub const MIN_SAMPLES: u64 = 30;
pub const MAX_SAMPLES: u64 = 1_000;
/// Slower than this per executor (one slot every 1 ms or more), the host is also sampled
/// during the run: there a slot's send lag is mostly how late the executor was woken.
pub const WATCH_FROM_NS: u64 = 1_000_000;

/// The most an executor wakes before a timer to poll to it, and the share of its slot interval
/// it may spend so (timer lead: glommio::timer::set_timer_lead). A woken thread runs late by
/// however long the host takes to schedule it (tens of µs typically on a busy VM, ms at worst):
/// waking early absorbs the usual part of that for at most a twentieth of a core.
pub const LEAD_MAX_NS: u64 = 200_000;
pub const LEAD_SHARE: u64 = 20;

/// How to probe this host for a run: sleep at the executor's own pace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// The gap between sleeps, ns: the executor's mean slot interval, within the bounds above.
    pub period_ns: u64,
    /// Sleeps before the load (`BUDGET_NS` at `period_ns`, within the bounds above).
    pub samples: usize,
    /// Sample during the run too (open model at one slot per `WATCH_FROM_NS` or slower).
    pub during_run: bool,
    /// The executor's timer lead, ns: `LEAD_MAX_NS` or a `LEAD_SHARE`th of its slot interval,
    /// whichever is less; 0 in a closed loop (nothing is timed).
    pub lead_ns: u64,
}

impl Cadence {
    /// `slots`: the slots of the whole schedule due in `window_ns` (None: closed loop);
    /// `lanes`: how many executors share them (cores × shards).
    pub fn of(slots: Option<u64>, window_ns: u64, lanes: u64) -> Cadence {
        let interval = slots.filter(|&n| n > 0).map(|n| (window_ns as u128 * lanes.max(1) as u128 / n as u128) as u64);
        let period_ns = interval.unwrap_or(PERIOD_NS).clamp(MIN_PERIOD_NS, MAX_PERIOD_NS);
        let samples = (BUDGET_NS / period_ns).clamp(MIN_SAMPLES, MAX_SAMPLES) as usize;
        Cadence {
            period_ns,
            samples,
            during_run: interval.is_some_and(|i| i >= WATCH_FROM_NS),
            lead_ns: interval.map_or(0, |i| (i / LEAD_SHARE).min(LEAD_MAX_NS)),
        }
    }
}

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

/// The nice value asked for the executor threads (and the watch beside them) in a light run
/// (`Cadence::during_run`: one slot per ms or slower per executor). On a CPU that others want,
/// the scheduler favours a thread that barely runs (the probe) over one that does some work
/// (the executor) at each wake-up, and a woken executor waited up to a scheduler tick (4 ms)
/// behind a busy process. A higher weight puts it first, and costs nobody anything: at these
/// rates it uses a few percent of its CPU, and it cannot use more than it needs. Measured with
/// two busy loops on this project's 2-core VM (4 runs, 3 s, -c 4; send lag p99 medians): 200
/// req/s 3.9 ms at nice 0, 2.7 ms at -5, 1.5 ms at -10; 2 000 req/s 615 µs, 587 µs, 186 µs.
/// Lowering the nice value needs CAP_SYS_NICE (root has it); where refused the run goes on.
pub const LIGHT_RUN_NICE: i32 = -10;

/// Ask for `LIGHT_RUN_NICE` on this thread. False where refused.
pub fn raise_priority() -> bool {
    // SAFETY: gettid and setpriority act on the calling thread only.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, LIGHT_RUN_NICE) == 0
    }
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

/// Sleeps to absolute instants `period_ns` apart on CLOCK_MONOTONIC, `samples` instants in all;
/// each sample is how late the thread was running again (ns). Like the slots of a run (and
/// unlike cyclictest), an instant that passed while the thread waited to run is a sample too,
/// late by as much as a slot due then would have been: a 5 ms stall at a 1 ms pace is five
/// late samples, as it is five late requests (MEASUREMENT.md §2, coordinated omission).
pub fn probe(samples: usize, period_ns: u64) -> Vec<u64> {
    let mut out = Vec::with_capacity(samples);
    let mut next = ns(&monotonic()) + period_ns;
    while out.len() < samples {
        let woke = sleep_until(next);
        next = due(next, period_ns, woke, |_, late| {
            if out.len() < samples {
                out.push(late)
            }
        });
    }
    out
}

/// Every instant from `next` on, `period_ns` apart, that has come by `woke`: `late(it, woke - it)`
/// for each (at least one: `next` itself); returns the first instant still ahead.
fn due(mut next: u64, period_ns: u64, woke: u64, mut late: impl FnMut(u64, u64)) -> u64 {
    loop {
        late(next, woke.saturating_sub(next));
        next += period_ns.max(1);
        if next > woke {
            return next;
        }
    }
}

/// Sample the host's timer during the run from a thread of its own on `cpu` (the executor's):
/// sleeps to absolute instants `period_ns` apart from `from` (half a period off the executor's
/// slots) until `until` or a stop request (both on the engine's clock, crate::engine::clock).
/// Returns the lateness of every wake, ns, in a
/// histogram (a long run at 1 ms is millions of sleeps).
pub fn watch(
    cpu: usize,
    from: u64,
    period_ns: u64,
    until: u64,
    stop: StopFlag,
) -> std::thread::JoinHandle<Histogram<u64>> {
    std::thread::Builder::new()
        .name(format!("onslaught-timer-{cpu}"))
        .spawn(move || {
            core_affinity::set_for_current(core_affinity::CoreId { id: cpu });
            tighten_timer_slack();
            shorten_slice();
            // The same class of thread as the executor it watches (`LIGHT_RUN_NICE`).
            raise_priority();
            let mut h = new_hist();
            // The engine's clock is CLOCK_MONOTONIC from another base: sleep on the raw clock.
            let offset = ns(&monotonic()) as i128 - super::clock::now_ns() as i128;
            let raw = |t: u64| (t as i128 + offset).max(0) as u64;
            let (mut next, until) = (raw(from), raw(until));
            while next < until && stop.load(Ordering::Relaxed) == 0 {
                let woke = sleep_until(next);
                next = due(next, period_ns, woke, |it, late| {
                    if it < until {
                        let _ = h.record(late.max(1));
                    }
                });
            }
            h
        })
        .expect("spawning a thread")
}

/// Sleep to `t` (CLOCK_MONOTONIC ns), retried when a signal cuts it short; the instant woken.
fn sleep_until(t: u64) -> u64 {
    let target = at(t);
    // SAFETY: clock_nanosleep reads the timespec we pass; no remainder is asked for.
    while unsafe { libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &target, std::ptr::null_mut()) }
        == libc::EINTR
    {}
    ns(&monotonic())
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
    fn instants_missed_while_waiting_to_run_are_late_samples_too() {
        let mut got = Vec::new();
        // Due at 10 ms, 1 ms apart, woken at 14.5 ms: 10, 11, 12, 13 and 14 ms were all due.
        let next = due(10_000_000, 1_000_000, 14_500_000, |_, l| got.push(l));
        assert_eq!(got, [4_500_000, 3_500_000, 2_500_000, 1_500_000, 500_000]);
        assert_eq!(next, 15_000_000);
        got.clear();
        assert_eq!(due(10_000_000, 1_000_000, 10_000_040, |_, l| got.push(l)), 11_000_000);
        assert_eq!(got, [40]);
    }

    #[test]
    fn the_watch_samples_its_window_at_its_pace_and_stops_by_itself() {
        let stop: StopFlag = Default::default();
        let from = super::super::clock::now_ns() + 1_000_000;
        // 20 ms at 2 ms: 10 instants, whatever the host's delays (missed ones count as late).
        let h = watch(0, from, 2_000_000, from + 20_000_000, stop).join().unwrap();
        assert_eq!(h.len(), 10);
    }

    #[test]
    fn the_pace_is_the_executors_own_within_bounds() {
        // 200/s over 3 s on 2 executors: a slot every 10 ms each; sampled during the run.
        let c = Cadence::of(Some(600), 3_000_000_000, 2);
        assert_eq!((c.period_ns, c.samples, c.during_run, c.lead_ns), (10_000_000, 30, true, LEAD_MAX_NS));
        // 50 000/s on 1 executor: 20 µs, kept at 100 µs; not sampled during the run.
        let c = Cadence::of(Some(150_000), 3_000_000_000, 1);
        assert_eq!((c.period_ns, c.samples, c.during_run, c.lead_ns), (MIN_PERIOD_NS, 1_000, false, 1_000));
        // 2 000/s on 2 executors: a slot every 1 ms each, polled for the last 50 µs.
        assert_eq!(Cadence::of(Some(6_000), 3_000_000_000, 2).lead_ns, 50_000);
        // Closed loop: 1 ms, 300 sleeps before the load only.
        assert_eq!(
            Cadence::of(None, 3_000_000_000, 2),
            Cadence { period_ns: 1_000_000, samples: 300, during_run: false, lead_ns: 0 }
        );
    }

    #[test]
    fn a_light_runs_threads_get_a_higher_weight_where_permitted() {
        let (raised, nice) = std::thread::spawn(|| {
            let raised = raise_priority();
            // SAFETY: gettid and getpriority read the calling thread's nice value.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) };
            (raised, nice)
        })
        .join()
        .unwrap();
        // Root (CAP_SYS_NICE) gets it; elsewhere the thread keeps the nice value it had.
        if raised {
            assert_eq!(nice, LIGHT_RUN_NICE);
        } else {
            assert!(nice > LIGHT_RUN_NICE, "{nice}");
        }
    }

    #[test]
    fn timer_slack_can_be_tightened() {
        assert!(tighten_timer_slack());
        // SAFETY: PR_GET_TIMERSLACK takes no argument and returns the calling thread's slack.
        let slack = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
        assert_eq!(slack as u64, SLACK_NS);
    }
}
