//! The generator's own health, per core and per interval: how busy the executor thread was (its
//! CPU time, read once per interval) and how many due requests waited for a free connection
//! (sampled by the shard's 10 ms control tick). Never touched per request.

/// One core's health over one interval, carried in its Snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CoreHealth {
    /// CPU time the executor thread used in the interval (CLOCK_THREAD_CPUTIME_ID), ns.
    pub cpu_ns: u64,
    /// Time the executor thread was runnable but waiting for a CPU (another process or thread
    /// had it), from /proc/thread-self/schedstat; 0 where the kernel does not keep it.
    pub runq_ns: u64,
    /// Control ticks that sampled the backlog in the interval.
    pub ticks: u64,
    /// Of `ticks`: those that found due requests no connection had taken yet.
    pub waiting_ticks: u64,
    /// Sum and maximum of the sampled backlog (due, unclaimed requests).
    pub backlog_sum: u64,
    pub backlog_max: u64,
}

impl CoreHealth {
    pub fn add(&mut self, o: &CoreHealth) {
        self.cpu_ns += o.cpu_ns;
        self.runq_ns += o.runq_ns;
        self.ticks += o.ticks;
        self.waiting_ticks += o.waiting_ticks;
        self.backlog_sum += o.backlog_sum;
        self.backlog_max = self.backlog_max.max(o.backlog_max);
    }
}

/// Owned by a shard: accumulates the current interval and hands it over at each flush.
#[derive(Debug)]
pub struct Probe {
    cpu_mark: u64,
    runq_mark: u64,
    cur: CoreHealth,
}

impl Default for Probe {
    fn default() -> Self {
        Probe::new()
    }
}

impl Probe {
    /// Start counting CPU time from now (call on the executor's own thread).
    pub fn new() -> Probe {
        Probe { cpu_mark: thread_cpu_ns(), runq_mark: thread_runq_ns(), cur: CoreHealth::default() }
    }

    /// One control-tick sample: `due_unclaimed` requests were due and waited for a connection.
    pub fn backlog(&mut self, due_unclaimed: u64) {
        let c = &mut self.cur;
        c.ticks += 1;
        c.waiting_ticks += u64::from(due_unclaimed > 0);
        c.backlog_sum += due_unclaimed;
        c.backlog_max = c.backlog_max.max(due_unclaimed);
    }

    /// The interval's health (CPU time since the last take), and start the next.
    pub fn take(&mut self) -> CoreHealth {
        let (cpu, runq) = (thread_cpu_ns(), thread_runq_ns());
        let cpu_ns = cpu.saturating_sub(self.cpu_mark);
        let runq_ns = runq.saturating_sub(self.runq_mark);
        (self.cpu_mark, self.runq_mark) = (cpu, runq);
        CoreHealth { cpu_ns, runq_ns, ..std::mem::take(&mut self.cur) }
    }
}

/// CPU time used by the calling thread, ns (0 if the clock cannot be read).
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Time the calling thread has spent runnable but waiting for a CPU, ns: the second field of
/// /proc/thread-self/schedstat (0 when unavailable). Read once per interval, never per request.
pub fn thread_runq_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok().as_deref().and_then(parse_schedstat_wait).unwrap_or(0)
}

/// "on-cpu-ns runqueue-wait-ns timeslices" → the wait.
pub fn parse_schedstat_wait(text: &str) -> Option<u64> {
    text.split_whitespace().nth(1)?.parse().ok()
}

/// The per-interval health figures of the timeline (merged over cores, plus the process- and
/// target-level samples the aggregator's caller fills in).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RowHealth {
    /// Per core: share of the interval its executor thread was on a CPU (0..1).
    pub core_busy: Vec<f64>,
    /// Per core: share of the interval its executor was runnable but waiting for a CPU.
    pub core_runq: Vec<f64>,
    /// Largest number of due requests found waiting for a free connection on one core.
    pub backlog_max: u64,
    /// Mean sampled backlog over all cores' control ticks.
    pub backlog_mean: f64,
    /// Share of control ticks (all cores) that found due requests waiting for a connection.
    pub waiting_share: f64,
    /// The generator process: CPU cores used (user + system) and resident memory.
    pub gen_cpu_cores: f64,
    pub gen_rss_bytes: u64,
    /// File descriptors open in the generator process, and how many of them are sockets
    /// (each TCP socket holds one local port).
    pub fds: u64,
    pub sockets: u64,
    /// The watched target (--watch-pid / --watch-cgroup): null when not watched or gone.
    pub target_cpu_cores: Option<f64>,
    pub target_mem_bytes: Option<u64>,
}

impl RowHealth {
    /// The core-level figures of one interval from each core's CoreHealth.
    pub fn of_cores(per_core: &[CoreHealth], interval_ns: u64) -> RowHealth {
        let ticks: u64 = per_core.iter().map(|h| h.ticks).sum();
        let waiting: u64 = per_core.iter().map(|h| h.waiting_ticks).sum();
        let sum: u64 = per_core.iter().map(|h| h.backlog_sum).sum();
        let share = |n: u64| if ticks == 0 { 0.0 } else { n as f64 / ticks as f64 };
        let of_interval = |ns: u64| (ns as f64 / interval_ns.max(1) as f64).min(1.0);
        RowHealth {
            core_busy: per_core.iter().map(|h| of_interval(h.cpu_ns)).collect(),
            core_runq: per_core.iter().map(|h| of_interval(h.runq_ns)).collect(),
            backlog_max: per_core.iter().map(|h| h.backlog_max).max().unwrap_or(0),
            backlog_mean: share(sum),
            waiting_share: share(waiting),
            ..RowHealth::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_counts_ticks_and_backlog() {
        let mut p = Probe::new();
        for b in [0, 3, 0, 7] {
            p.backlog(b);
        }
        let h = p.take();
        assert_eq!((h.ticks, h.waiting_ticks, h.backlog_sum, h.backlog_max), (4, 2, 10, 7));
        let next = p.take();
        assert_eq!((next.ticks, next.backlog_max), (0, 0));
    }

    #[test]
    fn thread_cpu_time_grows_with_work() {
        let a = thread_cpu_ns();
        let mut x = 0u64;
        // Bounded busy work: a few million additions the optimiser cannot drop.
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        let b = thread_cpu_ns();
        assert!(b > a, "thread CPU time did not advance ({a} -> {b}, {x})");
    }

    #[test]
    fn schedstat_wait_is_the_second_field() {
        assert_eq!(parse_schedstat_wait("123456789 4242 17\n"), Some(4242));
        assert_eq!(parse_schedstat_wait("123"), None);
        assert_eq!(parse_schedstat_wait(""), None);
    }

    #[test]
    fn row_health_merges_cores() {
        let cores = [
            CoreHealth {
                cpu_ns: 500_000_000,
                runq_ns: 0,
                ticks: 100,
                waiting_ticks: 10,
                backlog_sum: 20,
                backlog_max: 4,
            },
            CoreHealth {
                cpu_ns: 2_000_000_000,
                runq_ns: 250_000_000,
                ticks: 100,
                waiting_ticks: 30,
                backlog_sum: 60,
                backlog_max: 9,
            },
        ];
        let r = RowHealth::of_cores(&cores, 1_000_000_000);
        assert_eq!(r.core_busy, vec![0.5, 1.0]);
        assert_eq!(r.core_runq, vec![0.0, 0.25]);
        assert_eq!(r.backlog_max, 9);
        assert!((r.waiting_share - 0.2).abs() < 1e-12);
        assert!((r.backlog_mean - 0.4).abs() < 1e-12);
    }
}
