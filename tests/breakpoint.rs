//! `onslaught breakpoint` end to end: against targets of known capacity (a FIFO queue of 4000/s,
//! a pool of workers with a fixed service time) the search finds the capacity at the SLO, a knee
//! at or below it, and never offers twice the capacity; Ctrl-C still writes what was measured; bad
//! flags are one-line errors. The target runs in-process on CPU 0, the generator on CPU 1.
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_onslaught"))
}

fn tmp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("onslaught-bp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).display().to_string()
}

/// Run a breakpoint search through the binary; returns (exit code, JSON result, stdout).
fn breakpoint(args: &[&str], json: &str) -> (i32, serde_json::Value, String) {
    let out = bin().arg("breakpoint").args(args).args(["--json", json, "-q"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(json).unwrap_or_else(|e| panic!("{json}: {e}\n{stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap(), stdout)
}

fn rates(v: &serde_json::Value) -> Vec<f64> {
    v["steps"].as_array().unwrap().iter().map(|s| s["offered_rps"].as_f64().unwrap()).collect()
}

/// The figures every capacity test asserts: found, within 10% of `capacity`, a knee at or below
/// the maximum, no step limited by the generator, never an offer of 2× the capacity.
fn assert_capacity(code: i32, v: &serde_json::Value, capacity: f64, stdout: &str) {
    let c = &v["capacity"];
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(c["outcome"]["kind"], "found", "{stdout}");
    assert_eq!(c["measured"], true);
    let max = c["max_sustainable_rps"].as_f64().unwrap();
    assert!((max - capacity).abs() <= 0.10 * capacity, "max {max} vs capacity {capacity}\n{stdout}");
    // These targets queue deterministically: latency is flat until the capacity and then climbs,
    // so the knee (p95 over 2x the low-load p95) lands below the maximum only when host jitter
    // queues some requests early; otherwise on the first rate past the capacity. It is never
    // beyond the first failing rate the search believed.
    let knee = c["knee_rps"].as_f64().unwrap_or_else(|| panic!("no knee\n{stdout}"));
    let first_fail = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["judgement"]["kind"] == "fail" && s["rechecked"] == false)
        .map(|s| s["offered_rps"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(knee <= first_fail, "knee {knee} beyond the first failing rate {first_fail}\n{stdout}");
    let limited: Vec<&serde_json::Value> =
        v["steps"].as_array().unwrap().iter().filter(|s| s["judgement"]["kind"] == "generator_limited").collect();
    assert!(limited.is_empty(), "the generator was the limit: {limited:?}\n{stdout}");
    let top = rates(v).into_iter().fold(0.0, f64::max);
    assert!(top < 2.0 * capacity, "offered {top} >= 2x capacity\n{stdout}");
    let rec = c["recommended_rps"].as_f64().unwrap();
    assert!((rec - 0.6 * max).abs() <= 1.0, "recommended {rec} = max {max} less 40%");
}

/// The FIFO queue of `serve --capacity 4000`, SLO p99 <= 50 ms. A debug generator cannot offer
/// 5000/s on one core of this class of machine (the search then rightly stops as
/// generator-limited), so this runs in release builds (`cargo test --release`, as CI does).
#[test]
#[cfg_attr(debug_assertions, ignore = "needs a release build to offer 5000 req/s from one core")]
fn finds_the_capacity_of_a_4000_per_second_queue() {
    let _g = support::exclusive();
    let server = support::target(|o| o.capacity = Some(4000.0));
    let url = format!("http://{}/", server.addr);
    let (json, md, html) = (tmp("q.json"), tmp("q.md"), tmp("q.html"));
    let args = [
        "--url",
        &url,
        "--cores",
        "1-1",
        "-c",
        "400",
        "--slo",
        "p99=50ms",
        "--start",
        "1000",
        "--max",
        "20k",
        "--step",
        "1.5x",
        "--hold",
        "1500ms",
        "--settle",
        "500ms",
        "--recheck",
        "1",
        "--md",
        &md,
        "--html",
        &html,
    ];
    let (code, v, stdout) = breakpoint(&args, &json);
    assert_capacity(code, &v, 4000.0, &stdout);
    // The ramp multiplies by 1.5 from --start until the first failure, and --max 20k is never near.
    let ramp: Vec<f64> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["phase"] == "ramp")
        .map(|s| s["offered_rps"].as_f64().unwrap())
        .collect();
    assert_eq!(ramp[..4], [1000.0, 1500.0, 2250.0, 3375.0], "{stdout}");
    assert_eq!(v["steps"].as_array().unwrap().last().unwrap()["phase"], "confirm");
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("## Capacity") && md.contains("| Maximum sustainable rate |"), "{md}");
    assert!(md.contains("--watch-pid"), "the report says how to watch the target");
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("id=\"latency-chart\"") && html.contains("id=\"throughput-chart\""));
    assert!(stdout.contains("Maximum sustainable rate"), "{stdout}");
}

/// A pool of 8 workers, each 10 ms per request: capacity 800/s (low enough for a debug build).
#[test]
fn finds_the_capacity_of_a_worker_pool() {
    let _g = support::exclusive();
    let server = support::target(|o| {
        o.workers = Some(onslaught::serve::Workers { count: 8, service: std::time::Duration::from_millis(10) })
    });
    let url = format!("http://{}/", server.addr);
    let json = tmp("w.json");
    let args = [
        "--url",
        &url,
        "--cores",
        "1-1",
        "-c",
        "200",
        "--slo",
        "p99=50ms",
        "--start",
        "200",
        "--max",
        "5000",
        "--step",
        "1.5x",
        "--hold",
        "1500ms",
        "--settle",
        "500ms",
        "--recheck",
        "1",
    ];
    let (code, v, stdout) = breakpoint(&args, &json);
    assert_capacity(code, &v, 800.0, &stdout);
}

/// `--watch-pid` puts the target's CPU beside each step (issue 6): the in-process target is this
/// test process, so its CPU is the target's. Offered 200 → 1600 req/s against a 4000/s queue (the
/// SLO holds throughout): the CPU at 1600/s is well above the CPU at 200/s.
#[test]
fn watch_pid_shows_the_target_cpu_rising_with_the_offered_rate() {
    let _g = support::exclusive();
    let server = support::target(|o| o.capacity = Some(4000.0));
    let url = format!("http://{}/", server.addr);
    let pid = std::process::id().to_string();
    let json = tmp("watch.json");
    let args = [
        "--url",
        &url,
        "--cores",
        "1-1",
        "-c",
        "100",
        "--slo",
        "p99=1s",
        "--start",
        "200",
        "--max",
        "1600",
        "--step",
        "2x",
        "--hold",
        "1500ms",
        "--settle",
        "500ms",
        "--watch-pid",
        &pid,
    ];
    let (code, v, stdout) = breakpoint(&args, &json);
    assert_eq!(code, 0, "the SLO holds up to --max\n{stdout}");
    let steps = v["steps"].as_array().unwrap();
    let cpu = |s: &serde_json::Value| s["target"]["cpu_cores"].as_f64().unwrap_or_else(|| panic!("no target CPU: {s}"));
    let (low, high) = (cpu(&steps[0]), cpu(steps.last().unwrap()));
    assert_eq!(steps[0]["offered_rps"].as_f64(), Some(200.0), "{stdout}");
    assert_eq!(steps.last().unwrap()["offered_rps"].as_f64(), Some(1600.0), "{stdout}");
    // 8x the requests: at least 0.02 cores more. Not a ratio: the target's idle cost (its timers)
    // and a host pause both add CPU to the low step (seen in CI: 0.07 cores at 200/s, 0.12 at
    // 1600/s), while neither can take the high step's extra work away.
    assert!(high - low >= 0.02, "target CPU {low:.3} cores at 200/s, {high:.3} at 1600/s\n{stdout}");
    assert!(stdout.contains("target CPU"), "the table shows the column\n{stdout}");
}

/// Ctrl-C during the search: the step in progress ends, the search stops, every file is written
/// with what was measured, exit code 4.
#[test]
fn ctrl_c_stops_the_search_and_writes_what_was_measured() {
    let _g = support::exclusive();
    let server = support::target(|_| {});
    let url = format!("http://{}/", server.addr);
    let (json, md) = (tmp("i.json"), tmp("i.md"));
    let mut child = bin()
        .args(["breakpoint", "--url", &url, "--cores", "1-1", "-c", "4", "--slo", "p99=1s", "--start", "50"])
        .args(["--max", "100k", "--step", "2x", "--hold", "2s", "--settle", "0s", "--json", &json, "--md", &md])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    // Wait (by reading, bounded by the search itself) for the first judged step.
    let first = lines.by_ref().map_while(Result::ok).find(|l| l.contains("step 1 "));
    assert!(first.is_some(), "no step was reported");
    // SAFETY: kill only signals our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{rest:?}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["capacity"]["outcome"]["kind"], "interrupted");
    let steps = v["steps"].as_array().unwrap();
    assert!(!steps.is_empty() && steps[0]["judgement"]["kind"] == "pass", "{steps:?}");
    assert!(std::fs::read_to_string(&md).unwrap().contains("## Capacity"));
}

#[test]
fn bad_breakpoint_flags_are_one_line_errors() {
    let cases: [(&[&str], &str); 5] = [
        (&["--url", "http://127.0.0.1:1/", "--max", "1k"], "no SLO to search against"),
        (&["--url", "http://127.0.0.1:1/", "--slo", "p99=50ms"], "--max: missing"),
        (&["--url", "http://127.0.0.1:1/", "--slo", "p99=50ms", "--max", "1k", "-R", "5"], "--rate/-R"),
        (&["--url", "http://127.0.0.1:1/", "--slo", "p99=50ms", "--max", "1k", "--step", "1x"], "--step"),
        (&["--url", "http://127.0.0.1:1/", "--slo", "p99=50ms", "--max", "1k", "--start", "2k"], "--start"),
    ];
    for (args, want) in cases {
        let out = bin().arg("breakpoint").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want) && err.lines().count() == 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// plans/breakpoint.yaml runs as-is with `check`, and its SLO and rates are what breakpoint uses.
#[test]
fn the_breakpoint_plan_checks() {
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/plans/breakpoint.yaml");
    let out = bin().args(["check", plan]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
