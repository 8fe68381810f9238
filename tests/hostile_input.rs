//! Nothing lost, nothing leaked, no input that can take the machine down (issue 15), through the
//! real binary: hostile YAML, report destinations checked before the load, the gate's exit code,
//! secrets in URLs and headers, outputs that would replace inputs, large plans, the end of a run
//! against a dead port, and terminal conventions. Each test is named after what it found.
mod support;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{WRITERS, bin, exclusive, target, text};

fn dir(name: &str) -> PathBuf {
    support::scratch("hostile", name)
}

/// A port nothing listens on (bound, then released).
fn dead_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// What `measured` saw of a child: its exit code, output, wall time, CPU time (user and
/// system: what the work cost, whatever else the VM runs) and peak RSS in bytes.
struct Measured {
    code: Option<i32>,
    out: String,
    wall: Duration,
    cpu: Duration,
    rss: u64,
}

/// Runs `cmd` to its end (wait4's rusage: this child's alone).
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn measured(cmd: &mut Command) -> Measured {
    use std::os::unix::process::ExitStatusExt;
    let begin = Instant::now();
    let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let (mut out, mut err) = (String::new(), String::new());
    let (mut so, mut se) = (child.stdout.unwrap(), child.stderr.unwrap());
    let t = std::thread::spawn(move || {
        let mut e = String::new();
        se.read_to_string(&mut e).unwrap();
        e
    });
    so.read_to_string(&mut out).unwrap();
    err.push_str(&t.join().unwrap());
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: wait4 writes into the two locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    let tv = |t: libc::timeval| Duration::from_micros(t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64);
    Measured {
        code: std::process::ExitStatus::from_raw(status).code(),
        out: out + &err,
        wall: begin.elapsed(),
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        rss: usage.ru_maxrss as u64 * 1024,
    }
}

/// `levels` anchors, each a list of `width` aliases to the one before: width^levels leaves.
fn alias_bomb(levels: usize, width: usize) -> String {
    let mut s = format!("a0: &a0 [{}]\n", vec!["lol"; width].join(", "));
    for l in 1..levels {
        s += &format!("a{l}: &a{l} [{}]\n", vec![format!("*a{}", l - 1); width].join(", "));
    }
    s
}

#[test]
fn a_511_byte_alias_bomb_exits_2_in_under_a_second_and_100_mb() {
    let d = dir("bomb");
    let bomb = d.join("bomb.yaml");
    std::fs::write(&bomb, alias_bomb(9, 9)).unwrap();
    let url = format!("http://{}/", dead_port());
    let b = bomb.to_str().unwrap();
    let cases: [&[&str]; 3] =
        [&["check", b], &["run", b], &["run", "--url", &url, "-R", "10", "-d", "1s", "--slo-file", b]];
    for args in cases {
        let m = measured(bin().args(args));
        assert_eq!(m.code, Some(2), "{args:?}: {}", m.out);
        assert!(m.out.contains("anchors and aliases expand this document too far"), "{args:?}: {}", m.out);
        assert!(m.wall < Duration::from_secs(1), "{args:?} took {:?}", m.wall);
        assert!(m.rss < 100 << 20, "{args:?} peaked at {} MB", m.rss >> 20);
    }
}

/// The built-in target, and `onslaught run` against it with `extra`: exit code, output, and
/// the requests the target answered.
fn run_against_target(extra: &[&str], d: &Path) -> (Option<i32>, String, u64) {
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let o = bin()
        .args(["run", "--url", &url, "-R", "50", "-d", "500ms", "-c", "2", "--cores", "1"])
        .args(extra)
        .current_dir(d)
        .output()
        .unwrap();
    let served = srv.stats().requests;
    srv.stop();
    (o.status.code(), text(&o), served)
}

#[test]
fn reports_are_checked_only_after_the_load() {
    let _x = exclusive();
    let d = dir("preflight");
    let gw = format!("http://{}", dead_port());
    let cases: [(&str, &str, &str); 6] = [
        ("--json", "/nonexistent/dir/r.json", "does not exist"),
        ("--md", "/proc/x.md", "cannot write '/proc/x.md'"),
        ("--out", "/dev/full", "it is a device"),
        ("--json", "/tmp", "it is a directory"),
        ("--html", "/proc/self/x.html", "cannot write"),
        ("--push-gateway", &gw, "cannot connect"),
    ];
    for (flag, path, why) in cases {
        let (code, out, served) = run_against_target(&[flag, path, "--prom", "kept.prom"], &d);
        assert_eq!(code, Some(2), "{flag} {path}: {out}");
        assert!(out.contains(flag) && out.contains(why) && out.contains("nothing was sent"), "{flag}: {out}");
        assert_eq!(served, 0, "{flag} {path}: requests were sent");
        assert!(!out.contains("Verdict"), "{flag}: a verdict was printed: {out}");
        assert!(!d.join("kept.prom").exists(), "{flag}: a report was written");
    }
}

#[test]
fn a_report_that_fails_after_the_load_loses_nothing_else_and_keeps_the_verdict() {
    let _x = exclusive();
    let srv = target(|_| {});
    let d = dir("late");
    std::fs::create_dir_all(d.join("doomed")).unwrap();
    let url = format!("http://{}/", srv.addr);
    let mut child = bin()
        .args(["gate", "--url", &url, "-R", "50", "-d", "1s", "-c", "2", "--cores", "1", "-q"])
        .args(["--out", "result.json", "--md", "run.md", "--json", "doomed/run.json"])
        .args(["--append-report", "doomed/deploy.md"])
        .current_dir(&d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the load has begun, the directory becomes a file: its reports can no longer be written.
    let begin = Instant::now();
    while srv.stats().requests == 0 {
        assert!(begin.elapsed() < Duration::from_secs(20), "the run never started");
        std::thread::yield_now();
    }
    std::fs::remove_dir_all(d.join("doomed")).unwrap();
    std::fs::write(d.join("doomed"), "a file now").unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    srv.stop();
    // The result file was written, and the exit code is its verdict's (never 2 after the load).
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("result.json")).unwrap()).unwrap();
    let verdict = result["summary"]["verdict"]["exit_code"].as_i64().expect("a verdict in the result file");
    assert_eq!(status.code(), Some(verdict as i32), "the verdict stands: {err}");
    assert_eq!(result["summary"]["counts"]["intended"], 50, "{result}");
    assert!(err.contains("WARNING: --json: cannot write 'doomed/run.json'"), "{err}");
    assert!(err.contains("WARNING: --append-report: cannot write 'doomed/deploy.md'"), "{err}");
    assert!(err.contains("; the verdict stands: ") && err.contains(&format!("(exit code {verdict})")), "{err}");
    assert!(std::fs::read_to_string(d.join("run.md")).unwrap().contains("# onslaught report"));
}

#[test]
fn the_gate_runs_the_rollback_then_lies_about_why() {
    let _x = exclusive();
    let d = dir("gate");
    for (slo, append) in [("p99=1us", "/proc/x.md"), ("p99=10s", "/proc/nonexistent/x.md")] {
        let srv = target(|_| {});
        let url = format!("http://{}/", srv.addr);
        let o = bin()
            .args(["gate", "--url", &url, "-R", "50", "-d", "500ms", "-c", "2", "--cores", "1"])
            .args(["--slo", slo, "--append-report", append, "--on-fail", "touch rolled-back"])
            .current_dir(&d)
            .output()
            .unwrap();
        let served = srv.stats().requests;
        srv.stop();
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{slo}: {out}");
        assert!(out.contains("--append-report: cannot write") && out.contains("nothing was sent"), "{out}");
        assert_eq!(served, 0, "{slo}: requests were sent");
        assert!(!d.join("rolled-back").exists(), "{slo}: the rollback ran");
    }
}

/// A target that answers 200 to every request and keeps each request head it read.
fn recording_target() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let h = heads.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let (Ok(s), h) = (s, h.clone()) else { return };
            std::thread::spawn(move || serve_recording(s, &h));
        }
    });
    (addr, heads)
}

fn serve_recording(s: std::net::TcpStream, heads: &Mutex<Vec<String>>) {
    let mut rd = BufReader::new(s.try_clone().unwrap());
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if rd.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        heads.lock().unwrap().push(head);
        if (&s).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").is_err() {
            return;
        }
    }
}

/// A Pushgateway stand-in: answers each push with 200 and keeps every byte it was sent.
fn gateway() -> (String, Arc<Mutex<String>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(String::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut all = Vec::new();
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
                let t = String::from_utf8_lossy(&all);
                if let Some((head, body)) = t.split_once("\r\n\r\n") {
                    let len = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).map(|v| v.parse().unwrap());
                    if len.is_some_and(|n: usize| body.len() >= n) {
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                        break;
                    }
                }
            }
            g.lock().unwrap().push_str(&String::from_utf8_lossy(&all));
        }
    });
    (url, got)
}

/// `gate --url URL` with every writer, the deployment report and a push: the exit code, the
/// output, and everything the run wrote and pushed.
fn gate_with_every_writer(url: &str, d: &Path, env: &[(&str, &str)], extra: &[&str]) -> (Option<i32>, String) {
    let (gw, pushed) = gateway();
    let mut cmd = bin();
    cmd.args(["gate", "--url", url, "-R", "20", "-d", "1s", "-c", "2", "--cores", "1", "--push-gateway", &gw]);
    cmd.args(["--append-report", "deploy.md"]).args(extra).current_dir(d).envs(env.iter().copied());
    for (flag, file) in WRITERS {
        cmd.args([flag, file]);
    }
    let o = cmd.output().unwrap();
    let mut everything = text(&o);
    everything += &pushed.lock().unwrap();
    for f in std::fs::read_dir(d).unwrap() {
        everything += &String::from_utf8_lossy(&std::fs::read(f.unwrap().path()).unwrap());
    }
    (o.status.code(), everything)
}

#[test]
fn secrets_in_urls_appear_in_no_output_while_the_server_received_them() {
    const KEY: &str = "K3Y-4f9e1c0b7a";
    const TOKEN: &str = "LIT-HDR-S3CRET-77";
    let _x = exclusive();
    let cases = [("literal", format!("?api_key={KEY}&v=2")), ("env", "?api_key=${env:QK}&v=2".to_string())];
    let header = format!("Authorization: Bearer {TOKEN}");
    for (name, query) in cases {
        let (addr, heads) = recording_target();
        let d = dir(&format!("url-{name}"));
        let url = format!("http://{addr}/p{query}");
        let (code, everything) = gate_with_every_writer(&url, &d, &[("QK", KEY)], &["-H", &header]);
        assert!(matches!(code, Some(0 | 1 | 3)), "{name}: {everything}");
        for (flag, file) in WRITERS {
            assert!(std::fs::metadata(d.join(file)).unwrap().len() > 0, "{name}: {flag} wrote nothing");
        }
        assert!(!everything.contains(KEY), "{name}: the key leaked:\n{everything}");
        assert!(!everything.contains(TOKEN), "{name}: the header's token leaked:\n{everything}");
        assert!(everything.contains("/p?api_key=***&v=***"), "{name}: the redacted URL is shown");
        assert!(everything.contains("PUT /metrics/job/onslaught"), "{name}: the push arrived");
        let heads = heads.lock().unwrap();
        let with_key = heads.iter().filter(|h| h.starts_with(&format!("GET /p?api_key={KEY}&v=2 HTTP/1.1"))).count();
        assert_eq!(with_key, 20, "{name}: the server received the key in every request: {heads:?}");
        assert!(heads.iter().all(|h| h.contains(&format!("\r\n{header}\r\n"))), "{name}: and the header");
    }
}

#[test]
fn show_query_shows_the_query_but_never_a_resolved_reference() {
    const KEY: &str = "K3Y-show-8d2e";
    let _x = exclusive();
    let (addr, heads) = recording_target();
    let d = dir("show-query");
    let url = format!("http://{addr}/p?api_key=${{env:QK}}&v=2");
    let (code, everything) = gate_with_every_writer(&url, &d, &[("QK", KEY)], &["--show-query"]);
    assert!(matches!(code, Some(0 | 1 | 3)), "{everything}");
    assert!(everything.contains("/p?api_key=${env:QK}&v=2"), "the query is shown as written");
    assert!(!everything.contains(KEY), "the resolved key leaked:\n{everything}");
    assert_eq!(heads.lock().unwrap().len(), 20);
}

#[test]
fn literal_credentials_are_never_echoed_in_errors() {
    let dead = dead_port();
    let cases: [(&[&str], &str); 6] = [
        (&["--url", &format!("http://user:p4ssw0rd-9@{dead}/")], "p4ssw0rd-9"),
        (&["--url", &format!("http://{dead}/",), "-H", "Authorization Bearer S3CRET-TOKEN-1"], "S3CRET-TOKEN-1"),
        (&["--url", &format!("http://{dead}/"), "-H", "X-A: ok\r\nS3CRET-CRLF-2"], "S3CRET-CRLF-2"),
        (&["--url", &format!("http://{dead}/"), "-H", "Bad Name S3CRET-3: v"], "S3CRET-3"),
        (&["--url", &format!("http://{dead}/"), "--push-gateway", &format!("http://u:gw-p4ss-4@{dead}")], "gw-p4ss-4"),
        (&["--url", &format!("http://{dead}/x y?k=S3CRET-5")], "S3CRET-5"),
    ];
    for (args, secret) in cases {
        let o = bin().arg("run").args(args).args(["-d", "1s"]).output().unwrap();
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(!out.contains(secret), "echoed {secret}: {out}");
    }
    let o =
        bin().args(["run", "--url", "http://127.0.0.1:1/?k=${env:ONSLAUGHT_TEST_NOPE}", "-d", "1s"]).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "an unset reference in --url is refused, not sent literally: {out}");
    assert!(out.contains("ONSLAUGHT_TEST_NOPE") && out.contains("nothing was sent"), "{out}");
}

#[test]
fn outputs_overwrite_inputs_and_each_other() {
    let d = dir("overwrite");
    let dead = dead_port();
    let plan = "plan.yaml";
    let text_of_plan = format!(
        "target:\n  base_url: http://{dead}\nload:\n  stages:\n    - {{ duration: 1s, rate: 10 }}\nendpoints:\n  - {{ name: a, path: / }}\n"
    );
    std::fs::write(d.join(plan), &text_of_plan).unwrap();
    std::fs::write(d.join("slo.yaml"), "p99: 1s\n").unwrap();
    let url = format!("http://{dead}/");
    let cases: [(&[&str], &str); 4] = [
        (&["run", plan, "--json", plan], "it is also the plan"),
        (&["run", plan, "--md", "./slo.yaml", "--slo-file", "slo.yaml"], "it is also the --slo-file"),
        (&["run", "--url", &url, "--json", "same.txt", "--md", "same.txt"], "it is also the file of --json"),
        (&["run", "--url", &url, "--body", "@plan.yaml", "--out", "plan.yaml"], "it is also the --body file"),
    ];
    for (args, why) in cases {
        let o = bin().args(args).current_dir(&d).output().unwrap();
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(why) && out.contains("nothing was sent"), "{args:?}: {out}");
        assert_eq!(std::fs::read_to_string(d.join(plan)).unwrap(), text_of_plan, "{args:?} replaced the plan");
        assert!(!d.join("same.txt").exists());
    }
    let o = bin().args(["report", "plan.yaml", "--json", "plan.yaml"]).current_dir(&d).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(d.join(plan)).unwrap(), text_of_plan);
}

#[test]
fn large_plans_are_superlinear() {
    let d = dir("large");
    let n = 100_000;
    let mut plan = format!(
        "target:\n  base_url: http://{}\nload:\n  stages:\n    - {{ duration: 1s, rate: 10 }}\nendpoints:\n",
        dead_port()
    );
    for i in 0..n {
        plan += &format!("  - {{ name: e{i}, path: /p/{i}, weight: 1 }}\n");
    }
    std::fs::write(d.join("big.yaml"), &plan).unwrap();
    let m = measured(bin().args(["check", "big.yaml"]).current_dir(&d));
    assert_eq!(m.code, Some(0), "{}", &m.out[..m.out.len().min(2000)]);
    assert!(m.out.contains(&format!("e{}", n - 1)), "every endpoint is listed");
    // CPU time: the VM's other load stretches the wall clock, not the work (1.1 s measured).
    assert!(m.cpu < Duration::from_secs(2), "{n} endpoints took {:?} of CPU ({:?} wall)", m.cpu, m.wall);
}

#[test]
fn waiting_for_nothing_a_dead_port_run_ends_with_its_schedule() {
    let _x = exclusive();
    let d = dir("dead");
    let url = format!("http://{}/", dead_port());
    for grace in ["10s", "300ms"] {
        let begin = Instant::now();
        let o = bin()
            .args(["run", "--url", &url, "-R", "10", "-d", "1s", "-c", "2", "--cores", "1", "-q"])
            .args(["--grace", grace, "--json", "dead.json"])
            .current_dir(&d)
            .output()
            .unwrap();
        let took = begin.elapsed();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        // One second of schedule, plus start-up and the last backoff (at most 250 ms): far below
        // the 10 s timeout and grace it used to wait out.
        assert!(took < Duration::from_secs(4), "grace {grace}: took {took:?}");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("dead.json")).unwrap()).unwrap();
        let c = &v["counts"];
        assert_eq!(c["intended"], 10, "{c}");
        assert_eq!(c["incomplete"], 0, "grace {grace}: {c}");
        assert_eq!(c["transport"]["connect_refused"], 10, "grace {grace}: {c}");
        assert_eq!(c["conserved"], true, "{c}");
    }
}

/// `args` run under a pseudo-terminal (`script`), with `env`: what the terminal showed.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_onslaught"));
    let o = Command::new("script").args(["-qec", &cmd, "/dev/null"]).envs(env.iter().copied()).output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn terminal_conventions_no_color_and_dumb_terminals() {
    let _x = exclusive();
    let url = format!("http://{}/", dead_port());
    let args = format!("run --url {url} -R 10 -d 1s -c 1 --cores 1 --interval 100ms --slo error_rate=1%");
    let plain = on_a_terminal(&args, &[("TERM", "xterm")]);
    assert!(plain.contains("\x1b[31mFAIL"), "FAIL is red on a terminal: {plain:?}");
    assert!(plain.contains("\r\x1b[2K"), "progress is redrawn on a terminal");
    let no_color = on_a_terminal(&args, &[("TERM", "xterm"), ("NO_COLOR", "1")]);
    assert!(no_color.contains("FAIL") && !no_color.contains("\x1b[3"), "NO_COLOR: {no_color:?}");
    let dumb = on_a_terminal(&args, &[("TERM", "dumb")]);
    assert!(dumb.contains("FAIL") && !dumb.contains('\x1b'), "TERM=dumb: {dumb:?}");
}

#[test]
fn terminal_conventions_completions_man_page_and_help() {
    let o = bin().args(["completions", "bash"]).output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    assert!(s.contains("_onslaught()") && s.contains("breakpoint") && s.contains("--push-gateway"), "{s}");
    let o = bin().args(["completions", "zsh"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("#compdef onslaught"));
    let o = bin().arg("man").output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.starts_with(".ie") || s.contains(".TH onslaught"), "{}", &s[..s.len().min(300)]);
    assert!(s.contains("breakpoint"), "subcommands are listed");
    let o = bin().arg("rnu").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("similar") && err.contains("run"), "a typo gets a suggestion: {err}");
    let o = bin().arg("run").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--url") && err.contains("PLAN"), "{err}");
    for r in ["1e12", "1000000000000"] {
        let o = bin().args(["run", "--url", "http://127.0.0.1:1/", "-R", r]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("too large"), "-R {r}: {err}");
    }
    let o = bin().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(!help.contains("[default: 0]") && help.contains("[default: all CPUs]"), "{help}");
    let every = help.lines().find(|l| l.contains("--every <EVERY>")).unwrap_or("");
    assert!(every.contains("period of the freeze"), "--every has help text: {help}");
    let o = bin().args(["run", "--url", "http://exa mple.com/", "-d", "1s"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("is not a valid URL") && !err.contains("resolve"), "{err}");
}
