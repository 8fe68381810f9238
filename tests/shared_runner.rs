//! Verdicts a CI gate can trust on a shared runner (docs/exit-codes.md, "Send lag and the
//! verdict"), through the real binary against the built-in target: consecutive gates with
//! generous SLOs all pass at default settings, the host timer probe is in every writer, a target
//! that is really slow still fails, a target at half the rate is still caught, a target that
//! never answers is blamed (not the generator) with unsent slots counted apart, a miss that only
//! the generator's own lateness explains is inconclusive, and a deployment spec's SLO file gates
//! a run as written.
mod support;
use onslaught::report::Report;
use onslaught::report::health::BoundCause;
use onslaught::units::fmt_ns;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::exclusive;

struct Out {
    code: i32,
    stdout: String,
}

/// `onslaught ARGS`, bounded by `timeout` whatever happens.
fn onslaught(args: &[&str]) -> Out {
    let out = Command::new("timeout")
        .args(["-s", "KILL", "120", env!("CARGO_BIN_EXE_onslaught")])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Out { code: out.status.code().unwrap_or(-1), stdout }
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("onslaught-shared-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn report(path: &Path) -> Report {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The deployment spec's threshold file, exactly as written there.
const PERFORMANCE_CONFIG: &str = "latency:
  p50: 100ms
  p95: 250ms
  p99: 400ms
error_rate: 0.5%
throughput: 1000 req/sec
";

/// The must-show at a CI size: consecutive gates at low rates with generous SLOs, at
/// default settings (no --max-send-lag), all exit 0 however late this host wakes the generator.
#[test]
fn consecutive_gates_with_generous_slos_all_pass_on_a_shared_runner() {
    let _x = exclusive();
    let srv = support::target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let mut codes = Vec::new();
    for rate in ["50", "500"] {
        for _ in 0..3 {
            let slo = ["--slo", "p99=500ms", "--slo", "error_rate=1%"];
            let out = onslaught(&[&["run", "--url", &url, "-R", rate, "-c", "4", "-d", "2s"][..], &slo].concat());
            codes.push((rate, out.code));
            assert!(out.code == 0, "{rate} req/s: exit {}\n{}", out.code, out.stdout);
        }
    }
    srv.stop();
    assert_eq!(codes.len(), 6);
}

/// The host timer probe is measured before every run and printed beside send lag in the terminal
/// summary, the Markdown, the HTML and the JSON.
#[test]
fn the_host_timer_probe_is_in_every_writer() {
    let _x = exclusive();
    let srv = support::target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let d = dir("probe");
    let (json, md, html) = (d.join("r.json"), d.join("r.md"), d.join("r.html"));
    let out = onslaught(&[
        "run",
        "--url",
        &url,
        "-R",
        "100",
        "-c",
        "2",
        "-d",
        "1s",
        "--slo",
        "p99=500ms",
        "--json",
        json.to_str().unwrap(),
        "--md",
        md.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    srv.stop();
    assert_eq!(out.code, 0, "{}", out.stdout);
    let r = report(&json);
    let (h, during) = (&r.generator.host_timer, &r.generator.host_timer_run);
    let cores = r.config.cores as u64;
    // At the executors' own pace: 100 slots in 1 s over `cores` executors.
    let c = onslaught::engine::timer_probe::Cadence::of(Some(100), 1_000_000_000, cores);
    assert_eq!((h.samples, h.period_ns), (c.samples as u64 * cores, c.period_ns), "{h:?}");
    // During the run, beside each executor: every instant of the measured second, half a period
    // after the schedule's (a stall makes late samples, never fewer).
    assert!(c.during_run);
    let instants = (1_000_000_000 - c.period_ns / 2).div_ceil(c.period_ns);
    assert_eq!((during.samples, during.period_ns), (instants * cores, c.period_ns), "{during:?}");
    // Nearest-rank order, and no sleep returns before its instant.
    assert!(h.p50_ns <= h.p99_ns && h.p99_ns <= h.max_ns && h.max_ns > 0, "{h:?}");
    assert!(during.p50_ns <= during.p99_ns && during.p99_ns <= during.max_ns && during.max_ns > 0, "{during:?}");
    let line = onslaught::report::lag::line(&r.send_lag, h, during);
    assert!(line.contains(&format!("{} sleeps every {} before the load", h.samples, fmt_ns(c.period_ns))), "{line}");
    assert!(
        line.contains(&format!("{} sleeps every {} during the run", during.samples, fmt_ns(c.period_ns))),
        "{line}"
    );
    assert!(out.stdout.contains(&format!("  Timer      {line}")), "{}", out.stdout);
    assert!(std::fs::read_to_string(&md).unwrap().contains(&format!("Timer: {line}.")));
    assert!(std::fs::read_to_string(&html).unwrap().contains(&format!("<p>Timer: {line}.</p>")));
    let _ = std::fs::remove_dir_all(&d);
}

/// A latency SLO just below the measured latency, missed only because the generator was late:
/// its process is frozen (SIGSTOP, as a VM pause freezes it) for 400 ms in the middle of a run
/// against a fast target. Every slot due during the freeze leaves up to 400 ms late, so latency
/// p99 is about that while service time stays fast: the lag accounts for the miss, the run is
/// inconclusive (exit 3), and the criterion is named with the lag beside it.
#[test]
fn a_latency_slo_missed_by_the_generators_own_lateness_is_inconclusive_and_named() {
    let _x = exclusive();
    let srv = support::target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let d = dir("frozen");
    let json = d.join("r.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onslaught"))
        .args(["run", "--url", &url, "-R", "200", "-c", "8", "-d", "3s", "--slo", "p99=100ms"])
        .args(["--json", json.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    // Freeze it once the load is flowing (bounded: the run itself lasts 3 s).
    let started = std::time::Instant::now();
    while srv.stats().requests < 100 && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // SAFETY: kill sends a signal to the process we started; no memory is involved.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    std::thread::sleep(std::time::Duration::from_millis(400));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    // Bounded whatever happens: a run that has not ended 60 s later is killed (and fails below).
    while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    srv.stop();
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let r = report(&json);
    // About 80 of 600 slots were due during the freeze: the top 13% of latencies carry it.
    assert!(r.latency.p("p99") > 300_000_000, "latency p99 {}", r.latency.p("p99"));
    assert!(r.send_lag.p("p99") > 300_000_000, "send lag p99 {}", r.send_lag.p("p99"));
    assert!(r.service_time.p("p99") < 100_000_000, "service p99 {}", r.service_time.p("p99"));
    assert_eq!((r.counts.intended, r.counts.ok), (600, 600), "{:?}", r.counts);
    assert_eq!(r.verdict.inconclusive, ["total p99"], "{:?}", r.verdict);
    let why = r.verdict.reasons.iter().find(|l| l.starts_with("inconclusive: SLO total p99")).expect("named");
    assert!(why.contains("while send lag p99 was") && why.contains("could account for the miss"), "{why}");
    assert!(stdout.contains(why.as_str()), "{stdout}");
    let _ = std::fs::remove_dir_all(&d);
}

/// The same SLO that an inconclusive run misses by its send lag, against a target that is really
/// slow: the service time alone misses it, so the target failed (exit 1, not 3).
#[test]
fn a_latency_slo_against_a_really_slow_target_fails_not_inconclusive() {
    let _x = exclusive();
    let srv = support::target(|_| {});
    let url = format!("http://{}/delay/300", srv.addr);
    let d = dir("slow");
    let json = d.join("r.json");
    let out = onslaught(&[
        "run",
        "--url",
        &url,
        "-R",
        "20",
        "-c",
        "16",
        "-d",
        "1s",
        "--slo",
        "p99=2ms",
        "--json",
        json.to_str().unwrap(),
    ]);
    srv.stop();
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("SLO total p99: 3") && out.stdout.contains("ms > 2ms (p99 <= 2ms)"), "{}", out.stdout);
    assert!(!out.stdout.contains("inconclusive"), "{}", out.stdout);
    let r = report(&json);
    assert!(r.verdict.inconclusive.is_empty(), "{:?}", r.verdict);
    assert!(r.service_time.p("p99") > 300_000_000, "service p99 {}", r.service_time.p("p99"));
    let _ = std::fs::remove_dir_all(&d);
}

/// A target with half the capacity asked of it is still caught: the target rate was missed
/// (exit 3), however the lag is judged.
#[test]
fn a_target_at_half_the_rate_is_still_a_missed_rate() {
    let _x = exclusive();
    let srv = support::target(|o| o.capacity = Some(100.0));
    let url = format!("http://{}/", srv.addr);
    let d = dir("half");
    let json = d.join("r.json");
    let slo = ["--slo", "p99=10s", "--max-error-rate", "100"];
    let run = ["run", "--url", &url, "-R", "200", "-c", "4", "-d", "2s", "--json", json.to_str().unwrap()];
    let out = onslaught(&[&run[..], &slo].concat());
    srv.stop();
    assert_eq!(out.code, 3, "{}", out.stdout);
    let r = report(&json);
    assert!(r.verdict.target_rate_missed, "{:?}", r.verdict);
    assert!(r.rates.achieved_rps < 0.99 * 200.0, "{:?}", r.rates);
    assert!(out.stdout.contains("target rate missed: achieved"), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(&d);
}

/// A target that accepts connections but never answers holds every connection for the whole
/// timeout: the slots that could not leave are the target's doing, counted as dropped (never
/// sent), not as timeouts, and the advice follows from the numbers (no "needs at least 0").
#[test]
fn a_target_that_never_answers_is_blamed_and_unsent_slots_are_not_timeouts() {
    let _x = exclusive();
    // Accepts (the kernel completes the handshake into the backlog) and never reads or answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", hung.local_addr().unwrap());
    let d = dir("hung");
    let json = d.join("r.json");
    let out = onslaught(&[
        "run",
        "--url",
        &url,
        "-R",
        "100",
        "-c",
        "8",
        "-d",
        "3s",
        "--timeout",
        "1s",
        "--json",
        json.to_str().unwrap(),
    ]);
    drop(hung);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let r = report(&json);
    let k = &r.counts;
    assert!(k.conserved, "{k:?}");
    assert_eq!(k.intended, k.ok + k.http_error + k.transport_error + k.timeout + k.dropped + k.incomplete);
    assert_eq!(k.intended, 300, "{k:?}");
    assert_eq!((k.ok, k.http_error, k.transport_error), (0, 0, 0), "{k:?}");
    // Every sent request either timed out or was in flight at the end: nothing unsent is a timeout.
    assert!(k.timeout <= k.sent && k.sent <= k.timeout + 8, "{k:?}");
    assert!(k.dropped > 100, "slots that waited past their timeout were never sent: {k:?}");
    assert!(!r.verdict.generator_bound, "{:?}", r.verdict);
    assert_eq!(r.generator.bound_cause, Some(BoundCause::Target));
    let why = r.verdict.reasons.iter().find(|l| l.starts_with("the target held every connection")).expect("blame");
    assert!(why.contains(&format!("{} were never sent", k.dropped)), "{why}");
    assert!(why.contains("8 connections could carry at most 8.0 req/s of the 100 asked"), "{why}");
    assert!(!out.stdout.contains("needs at least 0"), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(&d);
}

/// The deployment spec's performance_config.yml, unchanged, gates a run: it passes against a
/// fast target and fails (exit 1, each failed criterion named) against one that answers in 300 ms.
#[test]
fn a_deployment_spec_slo_file_gates_a_run_as_written() {
    let _x = exclusive();
    let srv = support::target(|_| {});
    let d = dir("spec");
    let file = d.join("performance_config.yml");
    std::fs::write(&file, PERFORMANCE_CONFIG).unwrap();
    let f = file.to_str().unwrap();
    let fast = format!("http://{}/", srv.addr);
    let out = onslaught(&["run", "--url", &fast, "-R", "1200", "-c", "8", "-d", "2s", "--slo-file", f]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let table: Vec<&str> = out.stdout.lines().filter(|l| l.ends_with("PASS")).collect();
    for criterion in ["p50", "p95", "p99", "error_rate", "throughput"] {
        assert!(table.iter().any(|l| l.trim_start().starts_with(criterion)), "{criterion}: {}", out.stdout);
    }
    assert!(table.iter().any(|l| l.contains(">= 1000/s")), "{}", out.stdout);
    let slow = format!("http://{}/delay/300", srv.addr);
    let out = onslaught(&["run", "--url", &slow, "-R", "100", "-c", "64", "-d", "2s", "--slo-file", f]);
    srv.stop();
    assert_eq!(out.code, 1, "{}", out.stdout);
    // 300 ms answers miss p50 <= 100ms and p95 <= 250ms, and 100 req/s misses 1000 req/s: each is
    // named with its threshold (p99 <= 400ms passes unless the host froze the run).
    for failed in ["SLO total p50: ", "> 100ms (p50 <= 100ms)", "SLO total p95: ", "> 250ms (p95 <= 250ms)"] {
        assert!(out.stdout.contains(failed), "{failed}: {}", out.stdout);
    }
    assert!(out.stdout.contains("SLO total throughput: ") && out.stdout.contains("< 1000/s"), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(&d);
}
