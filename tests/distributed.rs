//! Distributed runs end to end (docs/distributed.md): shards of one plan started from one
//! `--start-at`, merged by `onslaught merge`. On loopback: what merge refuses, and a late start.
//! In network namespaces (root): a target host and three load hosts, the merged run against the
//! plan, the target's own count and a single-host run of the same plan.
mod support;

use onslaught::schedule::{RateStage, Schedule};
use onslaught::units::Rate;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_onslaught");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("onslaught-dist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Unix seconds (with ms) `offset_ms` from now: a `--start-at` value.
fn unix_in(offset_ms: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let t = now + offset_ms;
    format!("{}.{:03}", t / 1000, t % 1000)
}

fn onslaught(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("onslaught runs")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run the shards concurrently (each its own process, as on separate hosts).
fn shards(runs: &[Vec<String>]) {
    shards_env(&runs.iter().map(|a| (a.clone(), Vec::new())).collect::<Vec<_>>());
}

/// A shard's arguments and its own environment (a Kubernetes Indexed Job's pod).
type Launch<'a> = (Vec<String>, Vec<(&'a str, String)>);

/// Run the shards concurrently, each with its own environment.
fn shards_env(runs: &[Launch]) {
    let children: Vec<Child> = runs
        .iter()
        .map(|(a, env)| {
            let mut c = Command::new(BIN);
            c.args(a).envs(env.iter().map(|(k, v)| (k, v))).stdout(Stdio::null()).stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_ne!(o.status.code(), Some(2), "a shard failed to start: {}", stderr(&o));
    }
}

#[test]
fn merge_refuses_a_foreign_a_missing_and_a_duplicate_shard() {
    let _x = support::exclusive();
    let t = support::target(|_| {});
    let dir = tmp("refuse");
    let url = format!("http://{}/", t.addr);
    let start = unix_in(800);
    let shard = |k: &str, rate: &str, out: &str| -> Vec<String> {
        let p = dir.join(out).display().to_string();
        ["-u", &url, "-R", rate, "-d", "500ms", "-c", "2", "--cores", "1", "-q", "--start-at", &start, "--out", &p]
            .iter()
            .map(|s| s.to_string())
            .chain(["--shard".to_string(), k.to_string()])
            .collect()
    };
    let run = |a: Vec<String>| {
        let mut v = vec!["run".to_string()];
        v.extend(a);
        v
    };
    shards(&[
        run(shard("0/2", "200", "a0.json")),
        run(shard("1/2", "200", "a1.json")),
        run(shard("0/2", "300", "b0.json")),
    ]);
    let f = |n: &str| dir.join(n).display().to_string();
    std::fs::copy(f("a0.json"), f("a0-copy.json")).unwrap();

    let ok = onslaught(&["merge", &f("a0.json"), &f("a1.json"), "--json", &f("m.json"), "--out", &f("merged.json")]);
    assert!(matches!(ok.status.code(), Some(0 | 3)), "{}", stderr(&ok));
    let m = json(&dir.join("m.json"));
    assert_eq!(m["counts"]["intended"], 100, "200/s for 0.5 s over two shards");
    assert_eq!(m["distributed"]["members"].as_array().unwrap().len(), 2);
    assert_eq!(m["distributed"]["partial"], false);
    // Every report, from the merged file: the JSON byte for byte as merge wrote it.
    let writers = ["--md", "--html", "--prom", "--junit", "--hlog"];
    let files: Vec<String> = ["m.md", "m.html", "m.prom", "m.xml", "m.hlog"].iter().map(|n| f(n)).collect();
    let mut args = vec!["report".to_string(), f("merged.json"), "--json".into(), f("again.json")];
    for (w, file) in writers.iter().zip(&files) {
        args.extend([w.to_string(), file.clone()]);
    }
    let again = Command::new(BIN).args(&args).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(std::fs::read(f("again.json")).unwrap(), std::fs::read(f("m.json")).unwrap());
    for file in &files {
        assert!(std::fs::metadata(file).unwrap().len() > 0, "{file}");
    }
    assert!(String::from_utf8_lossy(&again.stdout).contains("Shards     2 of 2 merged"));
    let md = std::fs::read_to_string(f("m.md")).unwrap();
    assert!(md.contains("## Shards") && md.contains("| 0/2 |") && md.contains("| 1/2 |"), "{md}");
    let hlog = std::fs::read_to_string(dir.join("m.hlog")).unwrap();
    assert!(hlog.contains("Tag=shard-0,") && hlog.contains("Tag=shard-1,"), "{hlog}");

    let cases: [(&[String], &str); 3] = [
        (&[f("a0.json"), f("a1.json"), f("b0.json")], "b0.json' is foreign to this run: plan digest"),
        (&[f("a0.json")], "shard 1/2 missing (1 of 2 result files given)"),
        (&[f("a0.json"), f("a0-copy.json"), f("a1.json")], "a0-copy.json' and '"),
    ];
    for (files, want) in cases {
        let mut args = vec!["merge".to_string()];
        args.extend(files.iter().cloned());
        let o = Command::new(BIN).args(&args).output().unwrap();
        let e = stderr(&o);
        println!("merge {:?}: exit {:?}: {}", files, o.status.code(), e.trim());
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.starts_with("onslaught merge: error: ") && e.contains(want), "{e}");
        assert_eq!(e.lines().count(), 1, "one line: {e}");
        assert!(o.stdout.is_empty(), "nothing merged");
    }
    let dup = stderr(&onslaught(&["merge", &f("a0.json"), &f("a0-copy.json"), &f("a1.json")]));
    assert!(dup.contains("are both shard 0/2: give each shard's result once"), "{dup}");

    let partial = onslaught(&["merge", &f("a0.json"), "--allow-partial", "--json", &f("p.json")]);
    assert_eq!(partial.status.code(), Some(3), "partial is not a pass: {}", stderr(&partial));
    let p = json(&dir.join("p.json"));
    assert_eq!(p["distributed"]["partial"], true);
    assert_eq!(p["distributed"]["missing"], serde_json::json!([1]));
    assert!(p["verdict"]["reasons"][0].as_str().unwrap().starts_with("partial: shard 1/2 missing"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shard_that_starts_after_its_start_time_says_it_is_late() {
    let _x = support::exclusive();
    let t = support::target(|_| {});
    let dir = tmp("late");
    let out = dir.join("late.json").display().to_string();
    let url = format!("http://{}/", t.addr);
    // The common start is already 400 ms past when this shard starts.
    let start = unix_in(-400);
    let o = onslaught(
        &["run", "-u", &url, "-R", "100", "-d", "1s", "-c", "2", "--cores", "1", "-q"]
            .into_iter()
            .chain(["--shard", "0/1", "--start-at", &start, "--out", &out])
            .collect::<Vec<_>>(),
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let r = json(Path::new(&out));
    let clock = &r["summary"]["distributed"]["clock"];
    let late_ms = clock["late_ms"].as_f64().unwrap();
    println!("late by {late_ms:.1} ms (bound {})", clock["late_bound_ms"]);
    assert!(late_ms >= 400.0, "{clock}");
    assert_eq!(clock["late"], true);
    // Slots due before the shard was up are still part of the run, counted from the schedule.
    assert_eq!(r["summary"]["counts"]["intended"], 100);
    let reasons = r["summary"]["verdict"]["reasons"].to_string();
    assert!(reasons.contains("shard 0/1 started") && reasons.contains("after --start-at"), "{reasons}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_closed_model_splits_its_users_over_shards() {
    let _x = support::exclusive();
    let t = support::target(|_| {});
    let dir = tmp("closed");
    let plan = dir.join("users.yaml");
    let text = format!(
        "target: {{ base_url: \"http://{}\" }}\nload:\n  stages:\n    - {{ duration: 2s, users: 6 }}\n\
         endpoints:\n  - {{ name: home, path: /, think: 50ms }}\n",
        t.addr
    );
    std::fs::write(&plan, text).unwrap();
    let (plan, start) = (plan.display().to_string(), unix_in(800));
    let out = |k: usize| dir.join(format!("u{k}.json")).display().to_string();
    let args = |k: usize, flags: bool| -> Vec<String> {
        let mut a: Vec<String> =
            ["run", &plan, "--cores", "1", "-q", "--out", &out(k)].iter().map(|s| s.to_string()).collect();
        if flags {
            a.extend(["--shard".into(), format!("{k}/3"), "--start-at".into(), start.clone()]);
        }
        a
    };
    // Shard 2 as a pod of an Indexed Job would run it: index, count and start from the environment.
    let job = vec![
        ("JOB_COMPLETION_INDEX", "2".to_string()),
        ("ONSLAUGHT_SHARDS", "3".into()),
        ("ONSLAUGHT_START_AT", start.clone()),
    ];
    shards_env(&[(args(0, true), Vec::new()), (args(1, true), Vec::new()), (args(2, false), job)]);
    let merged = dir.join("merged.json");
    let o = onslaught(&["merge", &out(0), &out(1), &out(2), "--json", &merged.display().to_string()]);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    for k in 0..3 {
        let r = json(Path::new(&out(k)));
        assert_eq!(r["summary"]["config"]["users"], 2, "users v ≡ {k} (mod 3) of 6");
        assert_eq!(r["summary"]["distributed"]["shard"], k);
    }
    let m = json(&merged);
    assert_eq!(m["config"]["users"], 6);
    let peak = m["timeline"].as_array().unwrap().iter().map(|r| r["users"].as_u64().unwrap()).max();
    assert_eq!(peak, Some(6), "six users active at once, two per shard");
    assert!(m["counts"]["conserved"].as_bool().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Network namespaces of this test, removed on drop (also when an assertion fails), and the
/// processes it started in them, ended first.
struct Lab {
    names: Vec<String>,
    children: Vec<Child>,
    /// Each child's stderr, past the line already read.
    logs: Vec<BufReader<std::process::ChildStderr>>,
}

impl Lab {
    fn ns(&self, role: &str) -> String {
        format!("o12-{}-{role}", std::process::id())
    }
    fn add(&mut self, role: &str) -> String {
        let name = self.ns(role);
        ip(&["netns", "add", &name]);
        self.names.push(name.clone());
        name
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for n in &self.names {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("ip runs");
    assert!(o.status.success(), "ip {}: {}", args.join(" "), stderr(&o));
}

/// The target host (address 10.212.100.1) and `n` load hosts, each on its own veth link.
fn topology(lab: &mut Lab, n: usize) -> (String, Vec<String>) {
    let t = lab.add("target");
    ip(&["-n", &t, "link", "set", "lo", "up"]);
    ip(&["-n", &t, "addr", "add", "10.212.100.1/32", "dev", "lo"]);
    let loads: Vec<String> = (0..n).map(|k| lab.add(&format!("load{k}"))).collect();
    for (k, l) in loads.iter().enumerate() {
        let (dev, near, far) = (format!("v{k}"), format!("10.212.{k}.1"), format!("10.212.{k}.2"));
        ip(&["-n", &t, "link", "add", &dev, "type", "veth", "peer", "name", "eth0", "netns", l]);
        ip(&["-n", &t, "addr", "add", &format!("{near}/24"), "dev", &dev]);
        ip(&["-n", &t, "link", "set", &dev, "up"]);
        ip(&["-n", l, "link", "set", "lo", "up"]);
        ip(&["-n", l, "addr", "add", &format!("{far}/24"), "dev", "eth0"]);
        ip(&["-n", l, "link", "set", "eth0", "up"]);
        ip(&["-n", l, "route", "add", "10.212.100.1/32", "via", &near]);
    }
    (t, loads)
}

/// `onslaught serve` in the target namespace, stalling 200 ms every second; its address.
fn serve(lab: &mut Lab, ns: &str) -> (usize, String) {
    let mut c = Command::new("ip")
        .args(["netns", "exec", ns, BIN, "serve", "--listen", "10.212.100.1:0", "--cores", "1"])
        .args(["--stall", "200ms", "--every", "1s"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut err = BufReader::new(c.stderr.take().unwrap());
    err.read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|s| s.split('/').next()).expect("serve says where").to_string();
    lab.children.push(c);
    lab.logs.push(err);
    (lab.children.len() - 1, addr)
}

/// Stop the target (SIGINT) and read how many responses it served.
fn served(lab: &mut Lab, i: usize) -> u64 {
    let c = &mut lab.children[i];
    // SAFETY: signals a child this test started.
    unsafe { libc::kill(c.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut lab.logs[i], &mut rest).unwrap();
    c.wait().unwrap();
    let n = rest.split("stopped after ").nth(1).and_then(|s| s.split_whitespace().next());
    n.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("serve's count: {rest:?}"))
}

fn plan(dir: &Path, name: &str, addr: &str) -> String {
    let text = format!(
        "target: {{ base_url: \"http://{addr}\", connections: 120 }}\n\
         load:\n  stages:\n    - {{ duration: 2s, rate: 150 -> 450 }}\n    - {{ duration: 2s, rate: 450 }}\n\
         endpoints:\n  - {{ name: home, path: / }}\n"
    );
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The plan's schedule, from the library: what a correct merged run must show.
fn planned() -> Schedule {
    let r = Rate::from_int;
    let s = |d: u64, a, b| RateStage { duration_ns: d * 1_000_000_000, from: r(a), to: r(b) };
    Schedule::Stages(vec![s(2, 150, 450), s(2, 450, 450)])
}

fn ns_run(ns: &str, args: &[&str]) -> Child {
    Command::new("ip")
        .args(["netns", "exec", ns, BIN, "run"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(c: Child) {
    let o = c.wait_with_output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 3)), "run: {:?}: {}", o.status.code(), stderr(&o));
}

fn p(r: &Value, dist: &str, q: &str) -> f64 {
    r[dist]["percentiles"][q].as_f64().unwrap()
}

#[test]
fn three_shards_on_three_hosts_merge_into_the_plan() {
    // SAFETY: geteuid only reads the process's credentials.
    let root = unsafe { libc::geteuid() } == 0;
    let has_ip = Command::new("ip").arg("-V").output().is_ok_and(|o| o.status.success());
    if !root || !has_ip {
        eprintln!(
            "\n!!!!! SKIPPED three_shards_on_three_hosts_merge_into_the_plan: it needs root and iproute2 (`ip netns`) to build its hosts; root={root} ip={has_ip} !!!!!\n"
        );
        return;
    }
    let _x = support::exclusive();
    let dir = tmp("netns");
    let mut lab = Lab { names: Vec::new(), children: Vec::new(), logs: Vec::new() };
    let (target, loads) = topology(&mut lab, 3);

    // Three shards on three hosts, one launched 300 ms after the others, one common start.
    let (server, addr) = serve(&mut lab, &target);
    let plan_file = plan(&dir, "plan.yaml", &addr);
    let start = unix_in(2_500);
    let out = |k: usize| dir.join(format!("shard-{k}.json")).display().to_string();
    let spawn = |k: usize| {
        let shard = format!("{k}/3");
        ns_run(
            &loads[k],
            &[&plan_file, "--shard", &shard, "--start-at", &start, "--cores", "1", "-q", "--out", &out(k)],
        )
    };
    let (a, b) = (spawn(0), spawn(1));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let c = spawn(2);
    for child in [a, b, c] {
        finished(child);
    }
    let target_count = served(&mut lab, server);
    let merged = dir.join("merged.json").display().to_string();
    let summary = dir.join("merged-summary.json");
    let m =
        onslaught(&["merge", &out(0), &out(1), &out(2), "--out", &merged, "--json", &summary.display().to_string()]);
    assert!(matches!(m.status.code(), Some(0 | 3)), "{}", stderr(&m));
    let m = json(&summary);

    // The same plan from one host, against a fresh stalling target.
    let (server, addr) = serve(&mut lab, &target);
    let single_plan = plan(&dir, "single.yaml", &addr);
    let single_out = dir.join("single.json").display().to_string();
    finished(ns_run(&loads[0], &[&single_plan, "--cores", "1", "-q", "--json", &single_out]));
    let single_count = served(&mut lab, server);
    let s = json(Path::new(&single_out));
    drop(lab);

    check_counts(&m, &s, target_count, single_count);
    check_rate(&m);
    check_latency(&m, &s);
    for k in 0..3 {
        let shard = json(Path::new(&out(k)));
        let clock = &shard["summary"]["distributed"]["clock"];
        let late_ms = clock["late_ms"].as_f64().unwrap();
        println!(
            "shard {k}/3: released {late_ms:+.1} ms from the common start, clock mapping ±{} us",
            clock["mapping_uncertainty_us"]
        );
        // Shard 2 was launched 300 ms after the others, yet all start together (within a VM pause).
        assert!(late_ms.abs() < 100.0, "shard {k} did not start at the common start: {clock}");
        assert_eq!(clock["late"], late_ms > clock["late_bound_ms"].as_f64().unwrap(), "{clock}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_counts(m: &Value, s: &Value, target_count: u64, single_count: u64) {
    let n = planned().slots_before(4_000_000_000).unwrap();
    println!(
        "plan {n} requests; merged intended {} ok {}; target served {target_count}",
        m["counts"]["intended"], m["counts"]["ok"]
    );
    println!(
        "single host: intended {} ok {}; target served {single_count}",
        s["counts"]["intended"], s["counts"]["ok"]
    );
    assert_eq!(m["counts"]["intended"], n, "merged intended = the plan's count");
    assert_eq!(m["counts"]["ok"], target_count, "merged ok = what the target served");
    assert_eq!(m["counts"]["ok"], n, "no errors");
    assert_eq!(s["counts"]["intended"], n);
    assert_eq!(s["counts"]["ok"], single_count);
    let members = m["distributed"]["members"].as_array().unwrap();
    let per: Vec<u64> = members.iter().map(|x| x["intended"].as_u64().unwrap()).collect();
    assert_eq!(per.iter().sum::<u64>(), n);
    assert!(per.iter().all(|c| c.abs_diff(n / 3) <= 1), "slots i ≡ K (mod 3): {per:?}");
}

/// Each second of the merged timeline sends what the plan schedules in it (a ramp, then a hold).
/// A request is never sent before its intended time and never later than the largest send lag
/// measured, so by the end of second k the merged run has sent at most the plan's count up to k
/// and at least its count up to k − (max send lag): exact bounds that a VM pause only widens (by
/// the lag it causes, which the run measures).
fn check_rate(m: &Value) {
    let plan = planned();
    let lag_max = m["send_lag"]["max_ns"].as_u64().unwrap();
    let cum_plan = |t: u64| plan.slots_before(t).unwrap();
    let rows = m["timeline"].as_array().unwrap();
    let mut cum_sent = 0;
    for (k, row) in rows.iter().enumerate() {
        let sent = row["sent"].as_u64().unwrap();
        cum_sent += sent;
        let end = (k as u64 + 1) * 1_000_000_000;
        let want = cum_plan(end) - cum_plan(end - 1_000_000_000);
        let (lo, hi) = (cum_plan(end.saturating_sub(lag_max)), cum_plan(end));
        println!("second {k}: merged sent {sent}, plan {want}; by its end {cum_sent} sent, plan {hi} (at least {lo})");
        assert!(cum_sent <= hi, "second {k}: {cum_sent} sent by its end, the plan has only {hi} due");
        assert!(cum_sent >= lo, "second {k}: {cum_sent} sent by its end, {lo} were due {lag_max} ns before");
    }
    assert_eq!(cum_sent, cum_plan(4_000_000_000), "every request sent once");
    println!("send lag max {:.1} ms", lag_max as f64 / 1e6);
    if lag_max < 50_000_000 {
        // A ramp: each second of it sends more than the one before.
        let sent: Vec<u64> = rows.iter().take(3).map(|r| r["sent"].as_u64().unwrap()).collect();
        assert!(sent[0] < sent[1] && sent[1] < sent[2], "the ramp: {sent:?}");
    }
}

/// MEASUREMENT.md §5: p50 and p99 of the merged run equal the single host's within +0.1%
/// rounding, max(2 ms, 0.5%) jitter, the drain term floor(R·S/C)·d, and the generators' own send
/// lag (latency = d + lag outside a freeze). The target serves on one core, so the requests frozen
/// together drain one at a time whatever the connections: C = 1 in the drain term (up to
/// 450/s × 0.2 s = 90 requests, each taking at most the service time d to answer and read).
fn check_latency(m: &Value, s: &Value) {
    let (rate, stall_s, drain_conc): (f64, f64, f64) = (450.0, 0.2, 1.0);
    let d = p(s, "service_time", "p50").max(p(m, "service_time", "p50"));
    let drain = (rate * stall_s / drain_conc).floor() * d;
    let lag = p(s, "send_lag", "p99").max(p(m, "send_lag", "p99"));
    println!("d {:.3} ms, drain term {:.3} ms, send lag p99 {:.3} ms", d / 1e6, drain / 1e6, lag / 1e6);
    // p50 is below the knee (q <= 1 − S/T = 0.8): no frozen request, no drain.
    for (q, frozen) in [("p50", 0.0), ("p99", 1.0)] {
        let (a, b) = (p(m, "latency", q), p(s, "latency", q));
        let tol = 0.001 * b + (0.005 * b).max(2e6) + frozen * drain + lag;
        println!("{q}: merged {:.3} ms, single host {:.3} ms, tolerance {:.3} ms", a / 1e6, b / 1e6, tol / 1e6);
        assert!((a - b).abs() <= tol, "{q}: merged {a} vs single {b} (±{tol})");
    }
    // The freeze is really in both: p99 lies in it (d + S − T·(1 − q) = ~190 ms for a constant rate).
    assert!(p(m, "latency", "p99") > 100e6 && p(s, "latency", "p99") > 100e6);
}

#[test]
fn bad_shard_flags_are_one_line_errors_and_nothing_is_sent() {
    let url = "http://127.0.0.1:1/";
    let cases: [(&[&str], &str); 6] = [
        (&["run", "-u", url, "--shard", "3/3"], "--shard: '3/3': the index must be 0 to 2 for 3 shards"),
        (&["run", "-u", url, "--shard", "1"], "--shard: '1' is not K/N"),
        (&["run", "-u", url, "--start-at", "tomorrow"], "--start-at: 'tomorrow' is not a time"),
        (
            &["run", "-u", url, "-c", "2", "--shard", "0/3"],
            "--shard: the run has 2 connections, fewer than its 3 shards",
        ),
        (&["run", "-u", url, "--shards", "3"], "--shards: 3 shards, but which one is this?"),
        (
            &["breakpoint", "-u", url, "--max", "100", "--slo", "p99=1s", "--shard", "0/2"],
            "--shard/--shards/--start-at: not a breakpoint flag",
        ),
    ];
    for (args, want) in cases {
        let o = Command::new(BIN).args(args).env_remove("JOB_COMPLETION_INDEX").output().unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(want), "{args:?}: {e}");
        assert_eq!(e.lines().count(), 1, "one line: {e}");
    }
}
