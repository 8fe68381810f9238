//! Resource sampling outside the hot path: the generator process's own CPU, memory, file
//! descriptors and sockets, and the watched target's CPU and memory (`--watch-pid` from /proc,
//! `--watch-cgroup` from cgroup v2 files). Sampled by the aggregator once per timeline interval;
//! the shards never call into this module.
use crate::clock::now_ns;
use crate::merge::TimelineRow;
use std::path::{Path, PathBuf};

/// What to watch besides the generator itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchSpec {
    Pid(u32),
    /// A cgroup v2 directory (holds cpu.stat, and memory.current below the root).
    Cgroup(PathBuf),
}

impl WatchSpec {
    /// As reports name it: "pid 1234", "cgroup /sys/fs/cgroup/system.slice/nginx.service".
    pub fn describe(&self) -> String {
        match self {
            WatchSpec::Pid(p) => format!("pid {p}"),
            WatchSpec::Cgroup(p) => format!("cgroup {}", p.display()),
        }
    }
}

/// Validate `--watch-pid` / `--watch-cgroup` at start: the process or cgroup must exist now.
pub fn parse_watch(pid: Option<&str>, cgroup: Option<&Path>) -> Result<Option<WatchSpec>, String> {
    if let Some(p) = pid {
        let n: u32 = p.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!("--watch-pid: '{p}' is not a process id (a positive number, e.g. $(pidof nginx))")
        })?;
        let stat = std::fs::read_to_string(format!("/proc/{n}/stat"))
            .map_err(|e| format!("--watch-pid: no process {n} to watch (/proc/{n}/stat: {e}); check the pid"))?;
        if parse_proc_stat(&stat).is_none() {
            return Err(format!("--watch-pid: /proc/{n}/stat is not in the expected format; is /proc a Linux procfs?"));
        }
        return Ok(Some(WatchSpec::Pid(n)));
    }
    let Some(dir) = cgroup else { return Ok(None) };
    let dir =
        if dir.is_relative() && !dir.exists() { Path::new("/sys/fs/cgroup").join(dir) } else { dir.to_path_buf() };
    let hint = "give a cgroup v2 directory, e.g. /sys/fs/cgroup/system.slice/nginx.service \
                (see `cat /proc/PID/cgroup`)";
    let cpu = std::fs::read_to_string(dir.join("cpu.stat")).map_err(|e| {
        format!("--watch-cgroup: '{}' is not a cgroup v2 directory ({e} reading cpu.stat): {hint}", dir.display())
    })?;
    if cpu_stat_usage_usec(&cpu).is_none() {
        return Err(format!("--watch-cgroup: {}/cpu.stat has no usage_usec line: {hint}", dir.display()));
    }
    Ok(Some(WatchSpec::Cgroup(dir)))
}

/// utime + stime (clock ticks) and start time (ticks after boot) from /proc/PID/stat, and
/// whether the process is a zombie (exited, not yet reaped). The command name may hold spaces
/// and parentheses, so fields are counted after the last ')'.
pub fn parse_proc_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
    let num = |i: usize| f.get(i)?.parse::<u64>().ok();
    Some(ProcStat {
        cpu_ticks: num(11)? + num(12)?,
        start_ticks: num(19)?,
        zombie: matches!(f.first(), Some(&"Z" | &"X")),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub cpu_ticks: u64,
    pub start_ticks: u64,
    pub zombie: bool,
}

/// VmRSS from /proc/PID/status, in bytes (absent for a zombie).
pub fn parse_status_rss(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut it = line["VmRSS:".len()..].split_whitespace();
    let n: u64 = it.next()?.parse().ok()?;
    match it.next() {
        Some("kB") | None => Some(n * 1024),
        Some(_) => None,
    }
}

/// `usage_usec` from a cgroup v2 cpu.stat.
pub fn cpu_stat_usage_usec(text: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix("usage_usec ")).and_then(|v| v.trim().parse().ok())
}

/// A cgroup v2 memory.current: one number of bytes.
pub fn parse_memory_current(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// Entries of an fd directory (/proc/self/fd) and how many of them are sockets.
pub fn count_fds(dir: &Path) -> (u64, u64) {
    let Ok(rd) = std::fs::read_dir(dir) else { return (0, 0) };
    let (mut fds, mut sockets) = (0, 0);
    for e in rd.flatten() {
        fds += 1;
        if std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:")) {
            sockets += 1;
        }
    }
    (fds, sockets)
}

fn clock_ticks_per_s() -> f64 {
    // SAFETY: sysconf reads a constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// CPU time (user + system) of this whole process, ns.
fn self_cpu_ns() -> u64 {
    // SAFETY: getrusage only writes the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0;
    }
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// One reading of the target: cumulative CPU ns, and memory bytes when known.
#[derive(Clone, Copy, Debug)]
struct TargetReading {
    cpu_ns: u64,
    mem: Option<u64>,
}

fn read_target(spec: &WatchSpec, start_ticks: Option<u64>) -> Option<TargetReading> {
    match spec {
        WatchSpec::Pid(p) => {
            let st = parse_proc_stat(&std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?)?;
            // Gone: exited (zombie) or the pid now names another process.
            if st.zombie || start_ticks.is_some_and(|s| s != st.start_ticks) {
                return None;
            }
            let mem = std::fs::read_to_string(format!("/proc/{p}/status")).ok().and_then(|s| parse_status_rss(&s));
            Some(TargetReading { cpu_ns: (st.cpu_ticks as f64 / clock_ticks_per_s() * 1e9) as u64, mem })
        }
        WatchSpec::Cgroup(dir) => {
            let usec = cpu_stat_usage_usec(&std::fs::read_to_string(dir.join("cpu.stat")).ok()?)?;
            let mem = std::fs::read_to_string(dir.join("memory.current")).ok().and_then(|s| parse_memory_current(&s));
            Some(TargetReading { cpu_ns: usec * 1_000, mem })
        }
    }
}

/// The watched target as the report names it.
#[derive(Clone, Debug, Default)]
pub struct TargetInfo {
    /// "pid 1234" or "cgroup PATH".
    pub source: String,
    /// Seconds since t0 when the process or cgroup was first found gone.
    pub gone_at_s: Option<f64>,
}

/// One sample per completed interval, attributed to that interval's row.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    gen_cpu_cores: f64,
    gen_rss_bytes: u64,
    fds: u64,
    sockets: u64,
    target_cpu_cores: Option<f64>,
    target_mem_bytes: Option<u64>,
}

/// Rates need this much wall time between readings; rows that complete together at the end of
/// a run share the last rate instead of dividing by almost nothing.
const MIN_SPAN_NS: u64 = 20_000_000;

/// The aggregator's sampler: baseline at start, one `sample` per completed interval.
pub struct Resources {
    t0: u64,
    at: u64,
    self_cpu: u64,
    target: Option<(WatchSpec, Option<u64>)>,
    target_cpu: Option<u64>,
    last: Sample,
    info: Option<TargetInfo>,
    samples: Vec<(u64, Sample)>,
}

impl Resources {
    /// Baseline readings now; `t0` is the run's start on the engine clock.
    pub fn start(watch: Option<&WatchSpec>, t0: u64) -> Resources {
        Resources::start_at(watch, t0, now_ns())
    }

    /// As `start`, on an injected clock (`now` on the engine clock's scale).
    pub fn start_at(watch: Option<&WatchSpec>, t0: u64, now: u64) -> Resources {
        let target = watch.map(|w| {
            let start = match w {
                WatchSpec::Pid(p) => std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .ok()
                    .and_then(|s| parse_proc_stat(&s))
                    .map(|s| s.start_ticks),
                WatchSpec::Cgroup(_) => None,
            };
            (w.clone(), start)
        });
        let target_cpu = target.as_ref().and_then(|(w, s)| read_target(w, *s)).map(|r| r.cpu_ns);
        Resources {
            t0,
            at: now,
            self_cpu: self_cpu_ns(),
            info: watch.map(|w| TargetInfo { source: w.describe(), gone_at_s: None }),
            target,
            target_cpu,
            last: Sample::default(),
            samples: Vec::new(),
        }
    }

    /// Read everything once, for the interval `interval` that has just completed.
    pub fn sample(&mut self, interval: u64) {
        self.sample_at(interval, now_ns());
    }

    /// As `sample`, on an injected clock.
    pub fn sample_at(&mut self, interval: u64, now: u64) {
        let span = now.saturating_sub(self.at);
        let rate = |d: u64| d as f64 / span as f64;
        let cpu = self_cpu_ns();
        let (fds, sockets) = count_fds(Path::new("/proc/self/fd"));
        let mut s = Sample {
            gen_rss_bytes: std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|t| parse_status_rss(&t))
                .unwrap_or(0),
            fds,
            sockets,
            ..self.last
        };
        let long_enough = span >= MIN_SPAN_NS;
        if long_enough {
            s.gen_cpu_cores = rate(cpu.saturating_sub(self.self_cpu));
            self.self_cpu = cpu;
        }
        if let Some((w, start)) = &self.target {
            match read_target(w, *start) {
                Some(r) => {
                    s.target_mem_bytes = r.mem;
                    if long_enough {
                        s.target_cpu_cores = self.target_cpu.map(|c| rate(r.cpu_ns.saturating_sub(c)));
                        self.target_cpu = Some(r.cpu_ns);
                    }
                }
                None => {
                    (s.target_cpu_cores, s.target_mem_bytes) = (None, None);
                    if let Some(i) = self.info.as_mut().filter(|i| i.gone_at_s.is_none()) {
                        i.gone_at_s = Some(now.saturating_sub(self.t0) as f64 / 1e9);
                    }
                }
            }
        }
        if long_enough {
            self.at = now;
        }
        self.last = s;
        self.samples.push((interval, s));
    }

    /// Write the samples into their timeline rows; returns the target's description.
    pub fn fill(self, timeline: &mut [TimelineRow]) -> Option<TargetInfo> {
        for (k, s) in &self.samples {
            if let Some(row) = timeline.iter_mut().find(|r| r.interval == *k) {
                let h = &mut row.health;
                h.gen_cpu_cores = s.gen_cpu_cores;
                h.gen_rss_bytes = s.gen_rss_bytes;
                h.fds = s.fds;
                h.sockets = s.sockets;
                h.target_cpu_cores = s.target_cpu_cores;
                h.target_mem_bytes = s.target_mem_bytes;
            }
        }
        self.info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_fields_after_the_command_name() {
        // A command name with spaces and a ')' inside: fields are counted after the last ')'.
        let text = "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 4 0 123456 \
                    100000000 2500 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(parse_proc_stat(text), Some(ProcStat { cpu_ticks: 325, start_ticks: 123456, zombie: false }));
        let z = text.replace(") S ", ") Z ");
        assert!(parse_proc_stat(&z).unwrap().zombie);
        assert_eq!(parse_proc_stat("4242 (short) S 1 2"), None);
        assert_eq!(parse_proc_stat("no parenthesis"), None);
    }

    #[test]
    fn status_rss_in_bytes() {
        let text = "Name:\tsrv\nVmPeak:\t  9000 kB\nVmRSS:\t    2048 kB\nThreads:\t4\n";
        assert_eq!(parse_status_rss(text), Some(2048 * 1024));
        assert_eq!(parse_status_rss("Name:\tzombie\nState:\tZ (zombie)\n"), None);
    }

    #[test]
    fn the_live_process_reads_as_itself() {
        let me = std::process::id();
        let stat = std::fs::read_to_string(format!("/proc/{me}/stat")).unwrap();
        let s = parse_proc_stat(&stat).expect("our own stat parses");
        assert!(!s.zombie && s.start_ticks > 0, "{s:?}");
        let rss = parse_status_rss(&std::fs::read_to_string("/proc/self/status").unwrap()).unwrap();
        assert!(rss > 1024 * 1024, "a test binary holds more than 1 MiB resident: {rss}");
    }

    #[test]
    fn watch_errors_name_the_flag_and_the_fix() {
        let e = parse_watch(Some("abc"), None).unwrap_err();
        assert!(e.starts_with("--watch-pid: 'abc' is not a process id"), "{e}");
        let e = parse_watch(Some("0"), None).unwrap_err();
        assert!(e.starts_with("--watch-pid:"), "{e}");
        let e = parse_watch(None, Some(Path::new("/nonexistent/cgroup"))).unwrap_err();
        assert!(e.starts_with("--watch-cgroup: '/nonexistent/cgroup' is not a cgroup v2 directory"), "{e}");
        assert!(e.contains("/sys/fs/cgroup/"), "{e}");
        assert_eq!(parse_watch(None, None), Ok(None));
        let me = std::process::id();
        assert_eq!(parse_watch(Some(&me.to_string()), None), Ok(Some(WatchSpec::Pid(me))));
    }
}
