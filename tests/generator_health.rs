//! The generator watches itself and the target: a run limited by its own connections is reported
//! generator-bound with advice to add connections (not as a slow target); `--watch-pid` follows
//! the built-in target's CPU as the offered rate rises and survives the target exiting;
//! `--watch-cgroup` reads cgroup v2 files; fds and sockets are counted.
mod support;
use onslaught::merge::TimelineRow;
use onslaught::report::Report;
use onslaught::report::health::BoundCause;
use onslaught::watch::{self, Resources, WatchSpec};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use support::exclusive;

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("onslaught-health-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// `onslaught serve` as its own process (so it has a pid to watch), and its address.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start() -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_onslaught"))
            .args(["serve", "--listen", "127.0.0.1:0", "--cores", "1"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("onslaught serve starts");
        // The first stderr line names the address: "... listening on http://127.0.0.1:PORT/ ...".
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("address line").to_string();
        Served { child, url }
    }
    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The must-show: one core, one connection, a rate far above what one connection can
/// carry against a fast target. The run is generator-bound (exit 3) because due requests waited
/// for a connection, and the advice is to add connections: the target itself answered fast.
#[test]
fn one_connection_at_a_huge_rate_is_generator_bound_for_want_of_connections() {
    let _x = exclusive();
    let srv = support::target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let dir = temp("one-conn");
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("r.json");
    // `timeout` bounds the run whatever happens; --max-error-rate 100 keeps requests left
    // unsent at the end from turning the verdict into an error-rate failure.
    let out = Command::new("timeout")
        .args(["-s", "KILL", "120", env!("CARGO_BIN_EXE_onslaught"), "run", "--url", &url])
        .args(["--cores", "1", "-c", "1", "-R", "100k", "-d", "1s", "--timeout", "2s", "--max-error-rate", "100"])
        .args(["--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    srv.stop();
    let g = &r.generator;
    assert!(r.verdict.generator_bound, "{stdout}");
    assert_eq!(g.bound_cause, Some(BoundCause::Connections), "{g:?}\n{stdout}");
    let reason =
        r.verdict.reasons.iter().find(|l| l.starts_with("generator-bound:")).expect("a generator-bound reason");
    assert!(reason.contains("add connections (-c "), "{reason}");
    assert!(!reason.contains("--cores"), "the advice is connections, not cores: {reason}");
    // Evidence: requests piled up waiting for the one connection, whose round trips were short.
    assert!(g.backlog_max > 1000, "{g:?}");
    assert!(g.waiting_share_max > 0.5, "{g:?}");
    assert!(r.service_time.p("p50") < 10_000_000, "service p50 {} ns: the target was fast", r.service_time.p("p50"));
    assert!(r.send_lag.p("p99") > 100_000_000, "send lag p99 {} ns", r.send_lag.p("p99"));
    assert!(r.rates.achieved_rps < 0.9 * 100_000.0, "{:?}", r.rates);
    // The generator's own figures are there: one core, its process CPU and memory, one socket.
    assert_eq!(g.core_busy_p50.len(), 1);
    assert!(g.cpu_cores_max > 0.0 && g.rss_max_bytes > 1 << 20, "{g:?}");
    assert!(g.sockets_max >= 1 && g.fds_max > g.sockets_max, "{g:?}");
    assert!(stdout.contains("Generator  busy per core"), "{stdout}");
}

fn watched_run(url: &str, pid: &str, rate: &str) -> Report {
    support::run(&["--url", url, "-R", rate, "-c", "20", "-d", "2s", "--timeout", "2s", "--watch-pid", pid])
}

/// `--watch-pid` of the built-in target: its CPU rises with the offered rate.
#[test]
fn watch_pid_follows_the_target_cpu_as_the_rate_rises() {
    let _x = exclusive();
    let srv = Served::start();
    let low = watched_run(&srv.url, &srv.pid(), "100");
    let high = watched_run(&srv.url, &srv.pid(), "4000");
    for r in [&low, &high] {
        assert_eq!(r.counts.ok, r.counts.intended, "{:?}", r.counts);
        let t = r.target.as_ref().expect("a target section");
        assert_eq!(t.source, format!("pid {}", srv.pid()));
        assert_eq!(t.gone_at_s, None);
        assert!(t.mem_max_bytes.is_some_and(|m| m > 1 << 20), "{t:?}");
        assert!(r.timeline.iter().filter(|row| row.start_s < 2.0).all(|row| row.health.target_cpu_cores.is_some()));
    }
    let cpu = |r: &Report| r.target.as_ref().and_then(|t| t.cpu_cores_mean).unwrap();
    let (lo, hi) = (cpu(&low), cpu(&high));
    // 40x the requests: the target's CPU must grow by far more than the 10 ms tick resolution
    // of /proc/PID/stat (0.01 cores per 1 s interval) and more than double.
    assert!(hi > 2.0 * lo && hi - lo > 0.02, "target CPU at 100/s {lo:.3} cores, at 4000/s {hi:.3} cores");
}

/// The watched process exits mid-run: recorded as gone, the run goes on and reports.
#[test]
fn watch_pid_records_a_target_that_exits() {
    let _x = exclusive();
    let mut srv = Served::start();
    let cfg = support::config(&[
        "--url",
        &srv.url,
        "-R",
        "100",
        "-c",
        "2",
        "-d",
        "3s",
        "--timeout",
        "500ms",
        "--watch-pid",
        &srv.pid(),
    ]);
    let child = &mut srv.child;
    let r = onslaught::run::execute(&cfg, Arc::new(AtomicU8::new(0)), |row| {
        // After the first interval, the target dies (it stays a zombie until reaped: gone).
        if row.interval == 0 {
            let _ = child.kill();
        }
    })
    .expect("the run completes");
    let t = r.target.as_ref().expect("a target section");
    let gone = t.gone_at_s.expect("the exit was noticed");
    assert!((1.0..3.5).contains(&gone), "gone at {gone}s");
    assert!(r.timeline.iter().any(|row| row.health.target_cpu_cores.is_none()), "rows after the exit have no target");
    assert!(r.counts.transport_error > 0, "requests after the exit failed: {:?}", r.counts);
    assert!(r.counts.conserved);
}

#[test]
fn watch_pid_of_no_process_is_a_usage_error() {
    // stderr of a run with `watch` flags, which must stop with a usage error (exit 2).
    let usage_error = |watch: [&str; 2]| {
        let out = Command::new(env!("CARGO_BIN_EXE_onslaught"))
            .args(["run", "--url", "http://127.0.0.1:1/", "-d", "1s"])
            .args(watch)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{err}");
        err
    };
    let err = usage_error(["--watch-pid", "4294967295"]);
    assert!(err.contains("--watch-pid: no process 4294967295"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let err = usage_error(["--watch-cgroup", "/no/such/cgroup"]);
    assert!(err.contains("--watch-cgroup: '/no/such/cgroup' is not a cgroup v2 directory"), "{err}");
}

#[test]
fn cgroup_fixture_files_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cgroup");
    let cpu = std::fs::read_to_string(dir.join("cpu.stat")).unwrap();
    assert_eq!(watch::cpu_stat_usage_usec(&cpu), Some(8_123_456));
    let mem = std::fs::read_to_string(dir.join("memory.current")).unwrap();
    assert_eq!(watch::parse_memory_current(&mem), Some(52_428_800));
    assert_eq!(watch::cpu_stat_usage_usec("user_usec 5\nsystem_usec 6\n"), None);
    assert_eq!(watch::parse_memory_current("max\n"), None);
    assert_eq!(watch::parse_watch(None, Some(&dir)), Ok(Some(WatchSpec::Cgroup(dir.clone()))));
}

fn row(interval: u64) -> TimelineRow {
    TimelineRow { interval, start_s: interval as f64, ..Default::default() }
}

/// CPU cores = Δusage_usec / Δwall; memory = memory.current; a removed cgroup is gone.
#[test]
fn cgroup_usage_becomes_cores_per_interval() {
    let dir = temp("cgroup");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |usage: u64, mem: u64| {
        std::fs::write(dir.join("cpu.stat"), format!("usage_usec {usage}\nuser_usec 1\nsystem_usec 1\n")).unwrap();
        std::fs::write(dir.join("memory.current"), format!("{mem}\n")).unwrap();
    };
    write(1_000_000, 1000);
    let spec = watch::parse_watch(None, Some(&dir)).unwrap().unwrap();
    let s = 1_000_000_000u64;
    let mut res = Resources::start_at(Some(&spec), 0, 0);
    write(2_500_000, 4096); // 1.5 s of CPU in 1 s: 1.5 cores
    res.sample_at(0, s);
    write(2_750_000, 8192); // 0.25 s in the next 1 s
    res.sample_at(1, 2 * s);
    std::fs::remove_dir_all(&dir).unwrap(); // the cgroup went away
    res.sample_at(2, 3 * s);
    let mut timeline = vec![row(0), row(1), row(2)];
    let info = res.fill(&mut timeline).expect("a watched target");
    let cores: Vec<Option<f64>> = timeline.iter().map(|r| r.health.target_cpu_cores).collect();
    assert_eq!(cores, vec![Some(1.5), Some(0.25), None]);
    let mem: Vec<Option<u64>> = timeline.iter().map(|r| r.health.target_mem_bytes).collect();
    assert_eq!(mem, vec![Some(4096), Some(8192), None]);
    assert_eq!(info.source, format!("cgroup {}", dir.display()));
    assert_eq!(info.gone_at_s, Some(3.0));
}

/// fds are the entries of the fd directory; sockets are those that link to "socket:[inode]".
#[test]
fn fds_and_sockets_are_counted() {
    let dir = temp("fds");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, to) in [("0", "/dev/null"), ("1", "pipe:[11]"), ("3", "socket:[12]"), ("4", "socket:[13]")] {
        std::os::unix::fs::symlink(to, dir.join(name)).unwrap();
    }
    assert_eq!(watch::count_fds(&dir), (4, 2));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(watch::count_fds(&dir), (0, 0), "a missing directory counts nothing");
    // The live process: the three listeners held here are among its sockets.
    let held: Vec<_> = (0..3).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let (fds, sockets) = watch::count_fds(Path::new("/proc/self/fd"));
    assert!(sockets >= held.len() as u64 && fds > sockets, "fds {fds}, sockets {sockets}");
}
