//! The report commands end to end through the binary: a plan run with every writer enabled keeps
//! its bearer token out of every file, stdout, stderr and the Pushgateway push, whether the token
//! is a named secret or written inline (`Bearer ${env:TOKEN}`, in a plan or with `-H`); `onslaught report`
//! regenerates byte-identical Markdown and JSON from the result file; `onslaught compare` exits
//! 0, 1 or 2 as documented.
mod support;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use support::{WRITERS, bin, exclusive, target, text};

const TOKEN: &str = "tok-7f3a9c51e2d84b06";
const RATE: u64 = 50;

fn dir(name: &str) -> PathBuf {
    support::scratch("report-cli", name)
}

/// A Pushgateway stand-in on 127.0.0.1:0: answers one push with 200 and hands back what it got.
/// Connections that send nothing (the run's reachability check before the load) are skipped.
fn gateway() -> (String, std::thread::JoinHandle<String>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        loop {
            let (s, _) = l.accept().unwrap();
            if let Some(pushed) = one_push(s) {
                return pushed;
            }
        }
    });
    (url, h)
}

/// The push read from `s` and answered with 200; None when `s` closes without sending anything.
fn one_push(s: std::net::TcpStream) -> Option<String> {
    let mut rd = BufReader::new(s.try_clone().unwrap());
    let (mut all, mut len) = (String::new(), 0);
    loop {
        let mut line = String::new();
        if rd.read_line(&mut line).unwrap() == 0 {
            assert!(all.is_empty(), "the push ended mid-head: {all}");
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        all.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    rd.read_exact(&mut body).unwrap();
    (&s).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap();
    Some(all + &String::from_utf8(body).unwrap())
}

#[test]
fn bearer_token_appears_in_no_report_log_or_push() {
    let _x = exclusive();
    let srv = target(|_| {});
    let d = dir("secrets");
    let plan = d.join("secret.yaml");
    std::fs::write(
        &plan,
        format!(
            "target:\n  base_url: http://{}\n  connections: 4\n  headers: {{ Authorization: \"Bearer {{{{ token }}}}\" }}\n\
             load:\n  stages:\n    - {{ duration: 1s, rate: {RATE} }}\n\
             endpoints:\n  - {{ name: home, path: / }}\n\
             secrets:\n  token: ${{env:TOKEN}}\n",
            srv.addr
        ),
    )
    .unwrap();
    let mut cmd = bin();
    cmd.arg("run").arg(&plan).args(["--cores", "1"]).env("TOKEN", TOKEN).current_dir(&d);
    let (code, out, pushed) = run_writing_all(cmd);
    srv.stop();
    assert!(matches!(code, Some(0 | 1 | 3)), "{out}");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("run.json")).unwrap()).unwrap();
    assert_eq!(summary["counts"]["intended"], RATE, "{out}");
    assert_eq!(summary["counts"]["ok"], RATE, "{out}");
    assert!(pushed.starts_with("PUT /metrics/job/onslaught/run/secret HTTP/1.1"), "{pushed}");
    assert!(pushed.contains(&format!("outcome=\"ok\"}} {RATE}")), "{pushed}");
    appears_nowhere(TOKEN, &d, &out, &pushed);
    hlog_counts_match(&d, summary["latency"]["count"].as_u64().unwrap());
    regenerates_identical(&d);
}

/// The run's `.hlog`, read by the hdrhistogram crate, holds every latency sample of the run.
fn hlog_counts_match(d: &Path, latency_count: u64) {
    use base64::Engine as _;
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    let log = std::fs::read(d.join("run.hlog")).unwrap();
    let mut total = 0;
    for e in IntervalLogIterator::new(&log) {
        if let LogEntry::Interval(i) = e.expect("the .hlog parses")
            && i.tag().is_none()
        {
            let bytes = base64::engine::general_purpose::STANDARD.decode(i.encoded_histogram()).unwrap();
            let h: hdrhistogram::Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
            total += h.len();
        }
    }
    assert_eq!(total, latency_count, "latency samples in the .hlog vs the summary");
}

/// `onslaught report result.json` writes the same Markdown and JSON bytes as the run did.
fn regenerates_identical(d: &Path) {
    let o = bin()
        .args(["report", "result.json", "--md", "re.md", "--json", "re.json", "--html", "re.html", "--junit", "re.xml"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Verdict"), "the terminal summary is printed again");
    for (a, b) in [("run.md", "re.md"), ("run.json", "re.json"), ("run.html", "re.html"), ("run.xml", "re.xml")] {
        let (x, y) = (std::fs::read(d.join(a)).unwrap(), std::fs::read(d.join(b)).unwrap());
        assert!(x == y, "{b} regenerated from the result file differs from {a} written by the run");
    }
    compare_exit_codes(d);
}

fn compare_exit_codes(d: &Path) {
    let code = |args: &[&str]| {
        let o = bin().arg("compare").args(args).current_dir(d).output().unwrap();
        (o.status.code(), text(&o))
    };
    let (c, out) = code(&["result.json", "run.json"]);
    assert_eq!(c, Some(0), "a run against itself: {out}");
    assert!(out.contains("| latency p99 |") && out.contains("No regression"), "{out}");
    let mut worse: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("run.json")).unwrap()).unwrap();
    let p99 = worse["latency"]["percentiles"]["p99"].as_u64().unwrap();
    worse["latency"]["percentiles"]["p99"] = (p99 * 3 + 1_000_000).into();
    std::fs::write(d.join("worse.json"), serde_json::to_vec(&worse).unwrap()).unwrap();
    let (c, out) = code(&["run.json", "worse.json", "--max-regression", "p99=10%"]);
    assert_eq!(c, Some(1), "p99 tripled: {out}");
    assert!(out.contains("**REGRESSION**: p99 +"), "{out}");
    let (c, out) = code(&["run.json", "worse.json", "--max-regression", "p50=10%"]);
    assert_eq!(c, Some(0), "only the given tolerance is judged: {out}");
    let (c, out) = code(&["run.json", "missing.json"]);
    assert_eq!(c, Some(2), "{out}");
    assert!(out.contains("cannot read 'missing.json'"), "{out}");
    let (c, out) = code(&["run.json", "run.json", "--max-regression", "p42=5%"]);
    assert_eq!(c, Some(2), "{out}");
    assert!(out.contains("unknown metric 'p42'"), "{out}");
    let (c, out) = code(&["run.md", "run.json"]);
    assert_eq!(c, Some(2), "{out}");
    assert!(out.contains("neither a result file"), "{out}");
}

#[test]
fn report_on_a_file_that_is_not_a_result_says_so() {
    let d = dir("bad");
    std::fs::write(d.join("x.json"), "{\"schema_version\": 1}").unwrap();
    let o = bin().args(["report", "x.json", "--md", "x.md"]).current_dir(&d).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("'x.json': not an onslaught result file") && err.contains("run --out"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!d.join("x.md").exists());
}

/// Runs `cmd` with every writer of WRITERS and a push to a local Pushgateway: its exit code,
/// its stdout and stderr, and the request the gateway received.
fn run_writing_all(mut cmd: std::process::Command) -> (Option<i32>, String, String) {
    let (gw, pushed) = gateway();
    cmd.args(["--push-gateway", &gw]);
    for (flag, file) in WRITERS {
        cmd.args([flag, file]);
    }
    let o = cmd.output().unwrap();
    (o.status.code(), text(&o), pushed.join().unwrap())
}

/// `token` is in no output: not stdout/stderr, not the push, not any file the run wrote in `d`.
fn appears_nowhere(token: &str, d: &Path, out: &str, pushed: &str) {
    assert!(!out.contains(token), "the token leaked to stdout/stderr:\n{out}");
    assert!(!pushed.contains(token), "the token leaked to the Pushgateway");
    for (flag, file) in WRITERS {
        let body = std::fs::read_to_string(d.join(file)).unwrap();
        assert!(!body.is_empty(), "{flag} wrote nothing");
    }
    for f in std::fs::read_dir(d).unwrap() {
        let f = f.unwrap().path();
        let body = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!body.contains(token), "the token leaked into {}", f.display());
    }
}

/// A token from the built-in target's `POST /login`: its `/api/items` accepts only that.
fn login(addr: std::net::SocketAddr) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let body = r#"{"user": "ann", "password": "pw"}"#;
    write!(s, "POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let json = resp.split_once("\r\n\r\n").expect("a response head").1;
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["token"].as_str().expect("a token").to_string()
}

/// The requests the run's summary counts as ok, which the target must have authorised one by one.
fn ok_count(d: &Path, out: &str) -> u64 {
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("run.json")).unwrap()).unwrap();
    assert_eq!(summary["counts"]["intended"], RATE, "{out}");
    summary["counts"]["ok"].as_u64().unwrap()
}

#[test]
fn inline_env_token_in_plan_headers_is_sent_and_appears_nowhere() {
    let _x = exclusive();
    let srv = target(|_| {});
    let token = login(srv.addr);
    let d = dir("inline-plan");
    let plan = d.join("inline.yaml");
    // The target's default header and a step's own header both carry the token inline.
    std::fs::write(
        &plan,
        format!(
            "target:\n  base_url: http://{}\n  connections: 4\n  headers: {{ Authorization: \"Bearer ${{env:TOKEN}}\" }}\n\
             load:\n  stages:\n    - {{ duration: 1s, rate: {RATE} }}\n\
             endpoints:\n  - {{ name: list, path: /api/items }}\n\
             \x20 - {{ name: one, path: /api/items/1, headers: {{ Authorization: \"Bearer ${{env:TOKEN}}\" }} }}\n",
            srv.addr
        ),
    )
    .unwrap();
    let check = bin().arg("check").arg(&plan).env("TOKEN", &token).output().unwrap();
    let shown = text(&check);
    assert_eq!(check.status.code(), Some(0), "{shown}");
    assert!(shown.contains("(inline)     ${env:TOKEN} = <redacted>"), "{shown}");
    assert!(!shown.contains(&token), "check printed the token:\n{shown}");
    let mut cmd = bin();
    cmd.arg("run").arg(&plan).args(["--cores", "1"]).env("TOKEN", &token).current_dir(&d);
    let (code, out, pushed) = run_writing_all(cmd);
    let stats = srv.stats();
    srv.stop();
    assert!(matches!(code, Some(0 | 1 | 3)), "{out}");
    let ok = ok_count(&d, &out);
    assert_eq!(ok, RATE, "{out}");
    // The target checked each request's token: it received the value, not `${env:TOKEN}`.
    assert_eq!((stats.authorized, stats.rejected, stats.logins), (RATE, 0, 1), "{stats:?}");
    appears_nowhere(&token, &d, &out, &pushed);
}

#[test]
fn inline_env_token_with_quick_mode_header_is_sent_and_appears_nowhere() {
    let _x = exclusive();
    let srv = target(|_| {});
    let token = login(srv.addr);
    let d = dir("inline-quick");
    let url = format!("http://{}/api/items", srv.addr);
    let rate = RATE.to_string();
    let mut cmd = bin();
    cmd.args(["gate", "--url", &url, "-R", &rate, "-d", "1s", "-c", "4", "--cores", "1"])
        .args(["-H", "Authorization: Bearer ${env:TOKEN}"])
        .args(["--append-report", "deploy.md"])
        .env("TOKEN", &token)
        .current_dir(&d);
    let (code, out, pushed) = run_writing_all(cmd);
    let stats = srv.stats();
    srv.stop();
    assert!(matches!(code, Some(0 | 1 | 3)), "{out}");
    assert_eq!(ok_count(&d, &out), RATE, "{out}");
    assert_eq!((stats.authorized, stats.rejected, stats.logins), (RATE, 0, 1), "{stats:?}");
    assert!(std::fs::read_to_string(d.join("deploy.md")).unwrap().contains("## "), "the gate appended its entry");
    appears_nowhere(&token, &d, &out, &pushed);
}

#[test]
fn missing_inline_env_var_is_a_usage_error_and_sends_nothing() {
    const VAR: &str = "ONSLAUGHT_TEST_UNSET_INLINE_TOKEN";
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let addr = l.local_addr().unwrap();
    let d = dir("inline-missing");
    let plan = d.join("missing.yaml");
    std::fs::write(
        &plan,
        format!(
            "target:\n  base_url: http://{addr}\n  headers: {{ Authorization: \"Bearer ${{env:{VAR}}}\" }}\n\
             load:\n  stages:\n    - {{ duration: 1s, rate: 10 }}\n\
             endpoints:\n  - {{ name: a, path: \"/a?k=${{env:{VAR}}}\", body: \"${{env:{VAR}}}\" }}\n"
        ),
    )
    .unwrap();
    let url = format!("http://{addr}/");
    let header = format!("Authorization: Bearer ${{env:{VAR}}}");
    let runs: [Vec<&str>; 3] = [
        vec!["run", plan.to_str().unwrap()],
        vec!["run", "--url", &url, "-R", "10", "-d", "1s", "-H", &header],
        vec!["gate", "--url", &url, "-R", "10", "-d", "1s", "-H", &header],
    ];
    for args in runs {
        let o = bin().args(&args).env_remove(VAR).current_dir(&d).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("environment variable `{VAR}` is not set")), "{args:?}: {err}");
        assert!(err.contains(&format!("export {VAR}=")), "{args:?}: the hint says how to fix it: {err}");
        if args.len() == 2 {
            // Reported once, where it is first used (target.headers), with the plan's position.
            let at = format!("onslaught: error: {}:3:29: target.headers.Authorization: ", plan.display());
            assert!(err.starts_with(&at), "{err}");
            assert_eq!(err.matches("is not set").count(), 1, "{err}");
        } else {
            assert!(err.starts_with("onslaught: error: --header/-H: ") && err.lines().count() == 1, "{err}");
        }
    }
    let nothing = l.accept().map(|_| ()).map_err(|e| e.kind());
    assert_eq!(nothing, Err(std::io::ErrorKind::WouldBlock), "no connection reached the target");
}
