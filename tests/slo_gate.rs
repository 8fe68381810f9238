//! SLOs, verdicts, breakers and gate mode through the real binary against the built-in target:
//! exit codes 0/1/2/4, every failed criterion named in the output and the JSON, the rollback
//! command run exactly when the gate fails, one deployment-report entry per run.
mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn onslaught(args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onslaught"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh directory for this test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("onslaught-slo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A plan: 100 req/s for 1 s to `/` of `addr`, named `home`, with `slo` as its slo: mapping.
fn plan(d: &Path, addr: std::net::SocketAddr, slo: &str) -> String {
    plan_for(d, addr, "1s", slo)
}

fn plan_for(d: &Path, addr: std::net::SocketAddr, duration: &str, slo: &str) -> String {
    let text = format!(
        "target: {{ base_url: http://{addr}, connections: 4, cores: 1 }}\nload:\n  stages:\n    - {{ duration: {duration}, rate: 100 }}\nendpoints:\n  - {{ name: home, path: / }}\nslo: {slo}\n"
    );
    let p = d.join("plan.yaml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Send lag is the generator's business, not these tests': a loaded CI host must not turn a
/// pass into "generator-bound" (exit 3).
const LAG: [&str; 2] = ["--max-send-lag", "1s"];

#[test]
fn generous_slos_pass_and_tight_ones_fail_naming_each_criterion() {
    let _g = support::exclusive();
    let server = support::target(|_| {});
    let d = dir("verdict");
    let generous = plan(
        &d,
        server.addr,
        "{ p50: 5s, p99: 10s, max: 10s, error_rate: 1%, throughput: 10/s, endpoints: { home: { p95: 10s } } }",
    );
    let j = d.join("pass.json");
    let out = onslaught(&["run", &generous, "--json", j.to_str().unwrap(), LAG[0], LAG[1]], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = json(&j);
    assert_eq!(v["slo"].as_array().unwrap().len(), 6);
    assert!(v["slo"].as_array().unwrap().iter().all(|r| r["pass"] == true), "{}", v["slo"]);
    assert!(out.stdout.contains("endpoint:home p95") && out.stdout.contains("PASS"), "{}", out.stdout);
    assert_eq!(out.stderr, "", "no terminal and under 10 s: no progress line");
    let check = onslaught(&["check", &generous], &[]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stdout.contains("  endpoint:home            p95 <= 10s\n"), "{}", check.stdout);

    // 100 responses in 1 s cannot reach 1000/s; no response comes back in 1 ns.
    let tight =
        plan(&d, server.addr, "{ p99: 1ns, throughput: 1000/s, endpoints: { home: { p50: 1ns } }, error_rate: 1% }");
    let j = d.join("fail.json");
    let out = onslaught(&["run", &tight, "--json", j.to_str().unwrap(), LAG[0], LAG[1]], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    for named in ["SLO total p99:", "> 1ns", "SLO total throughput:", "< 1000/s", "SLO endpoint:home p50:"] {
        assert!(out.stdout.contains(named), "{named} in {}", out.stdout);
    }
    assert!(!out.stdout.contains("SLO total error_rate"), "a passing criterion is no reason: {}", out.stdout);
    let v = json(&j);
    assert_eq!(v["verdict"]["exit_code"], 1);
    let failed: Vec<String> = v["slo"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["pass"] == false)
        .map(|r| format!("{} {}", r["scope"].as_str().unwrap(), r["metric"].as_str().unwrap()))
        .collect();
    assert_eq!(failed, ["total p99", "total throughput", "endpoint:home p50"]);
    let reasons = v["verdict"]["reasons"].to_string();
    assert!(reasons.contains("SLO total p99") && reasons.contains("SLO endpoint:home p50"), "{reasons}");
}

#[test]
fn gate_runs_the_rollback_only_on_failure_and_appends_one_entry_per_run() {
    let _g = support::exclusive();
    let server = support::target(|_| {});
    let d = dir("gate");
    let report = d.join("deploy").join("deployment_report.md");
    let marker = d.join("rolled-back");
    let on_fail = format!("touch '{}'; exit 7", marker.display());
    let url = format!("http://{}/", server.addr);
    let gate = |slo: &str| {
        // A secret in a header must reach no output: not the summary, not the deployment report.
        let auth = "Authorization: Bearer s3cr3t-gate-token";
        let args =
            ["gate", "--url", &url, "-R", "100", "-d", "1s", "-c", "4", "--cores", "1", "-H", auth, "--slo", slo];
        let mut args: Vec<&str> = args.to_vec();
        args.extend_from_slice(&LAG);
        let r = report.to_str().unwrap();
        args.extend_from_slice(&["--on-fail", &on_fail, "--append-report", r]);
        onslaught(&args, &[])
    };
    let out = gate("p99=10s");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!marker.exists(), "a passing gate must not roll back");
    let text = std::fs::read_to_string(&report).unwrap();
    assert_eq!(text.matches("\n## ").count(), 1, "{text}");
    assert!(text.contains("— PASS —") && text.contains("Rollback triggered: N"), "{text}");
    assert!(text.contains("p99 <= 10s (actual") && text.contains("100 requests"), "{text}");

    let out = gate("p99=1ns");
    assert_eq!(out.code, 1, "the gate's exit code is the verdict's: {}{}", out.stdout, out.stderr);
    assert!(marker.exists(), "a failing gate runs --on-fail");
    assert!(out.stdout.contains("BLOCKED") && out.stdout.contains("exit 7"), "{}", out.stdout);
    let text = std::fs::read_to_string(&report).unwrap();
    assert_eq!(text.matches("\n## ").count(), 2, "{text}");
    let last = text.rsplit("\n## ").next().unwrap();
    assert!(last.contains("— FAIL —") && last.contains("UTC"), "{last}");
    assert!(last.contains("SLO total p99:") && last.contains("> 1ns"), "{last}");
    assert!(last.contains("Rollback triggered: Y (`touch") && last.contains(": exit 7)"), "{last}");
    assert!(text.starts_with("# Deployment report\n"), "{text}");
    for shown in [&text, &out.stdout, &out.stderr] {
        assert!(!shown.contains("s3cr3t"), "the token leaked: {shown}");
    }
}

#[test]
fn abort_on_fail_stops_within_the_window_plus_one_interval() {
    let _g = support::exclusive();
    // Every answer is 500 from 0.5 s after the first request on.
    let server = support::target(|o| o.fail_after = Some(Duration::from_millis(500)));
    let d = dir("abort");
    let p = plan_for(&d, server.addr, "10s", "{ error_rate: 1%, abort_on_fail: { window: 500ms } }");
    let j = d.join("abort.json");
    let out = onslaught(&["run", &p, "--interval", "100ms", "--json", j.to_str().unwrap(), LAG[0], LAG[1]], &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("ABORTED (exit code 4)"), "{}", out.stdout);
    let v = json(&j);
    assert_eq!(v["verdict"]["status"], "interrupted");
    let why = v["aborted"].as_str().expect("the report says why it was aborted");
    assert!(why.contains("abort_on_fail") && why.contains("error_rate 100% > 1%"), "{why}");
    // Failing from 0.5 s, breached in each 100 ms interval of a 500 ms window: the breaker trips
    // when the interval ending at 1.0 s is merged, and no later than one interval after that
    // (plus a host-pause allowance); a 10 s run that went on would be far beyond.
    let window_s = v["window_s"].as_f64().unwrap();
    assert!((0.9..=1.0 + 0.1 + 0.4).contains(&window_s), "stopped after {window_s} s");
    assert!(v["counts"]["intended"].as_u64().unwrap() < 200, "{}", v["counts"]);
}

#[test]
fn abort_if_error_rate_breaker() {
    let _g = support::exclusive();
    let server = support::target(|o| o.fail_after = Some(Duration::from_millis(300)));
    let url = format!("http://{}/", server.addr);
    let args = ["run", "--url", &url, "-R", "100", "-d", "10s", "-c", "4", "--cores", "1", "--interval", "100ms"];
    let mut args = args.to_vec();
    args.extend_from_slice(&["--slo", "abort_if=error_rate > 5% for 300ms", LAG[0], LAG[1]]);
    let out = onslaught(&args, &[]);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("aborted by abort_if `error_rate > 5% for 300ms`"), "{}", out.stdout);
}

#[test]
fn no_data_fails_and_unknown_metrics_are_configuration_errors() {
    let _g = support::exclusive();
    let server = support::target(|_| {});
    let url = format!("http://{}/", server.addr);
    let quick = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["run", "--url", &url, "-R", "50", "-d", "1s", "-c", "2", "--cores", "1", LAG[0], LAG[1]];
        args.extend_from_slice(extra);
        onslaught(&args, env)
    };
    // Quick mode has no checks: an SLO on them has no data and fails.
    let out = quick(&["--slo", "checks=99%"], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("SLO total checks: no data"), "{}", out.stdout);

    for (extra, env, needle) in [
        (vec!["--slo", "p96=1ms"], vec![], "--slo: unknown SLO metric `p96`"),
        (vec![], vec![("ONSLAUGHT_SLO_LATENCY", "1ms")], "$ONSLAUGHT_SLO_LATENCY: unknown SLO metric `latency`"),
        (vec!["--slo", "p99=fast"], vec![], "--slo: p99: 'fast' is not a duration"),
        (vec!["--slo", "endpoint:home:p99=1s"], vec![], "quick mode has no named requests"),
        (
            vec!["--slo", "throughput=1/s", "--slo", "abort_on_fail=1s"],
            vec![],
            "abort_on_fail needs a global criterion",
        ),
    ] {
        let out = quick(&extra, &env);
        assert_eq!(out.code, 2, "{extra:?} {env:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{needle} in {}", out.stderr);
        assert!(
            out.stderr.contains("p99.9, p99.99, max, error_rate, throughput, checks") || !needle.contains("unknown"),
            "{}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "nothing was run");
    }
    let d = dir("unknown");
    let p = plan(&d, server.addr, "{ p99: 1s, endpoints: { home: { p96: 1ms } } }");
    let out = onslaught(&["check", &p], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("plan.yaml:7:38: ") && out.stderr.contains("slo.endpoints.home.p96: unknown key `p96`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`p99.9`") && out.stderr.contains("did you mean"), "{}", out.stderr);
    let file = d.join("performance_config.yml");
    std::fs::write(&file, "p99: 1s\nendpoints:\n  home: { p99.9: 1s, latncy: 2s }\nabort_if: error_rate > 5%\n")
        .unwrap();
    let out = quick(&["--slo-file", file.to_str().unwrap()], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("performance_config.yml:3:22: endpoints.home.latncy: unknown key `latncy`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("performance_config.yml:4:11: abort_if: `error_rate > 5%` is not a breaker"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "nothing was run");
    let p = plan(&d, server.addr, "{ p99: 200, error_rate: 0.01 }");
    let out = onslaught(&["check", &p], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("slo.p99: `200` has no unit") && out.stderr.contains("slo.error_rate:"),
        "{}",
        out.stderr
    );
}

#[test]
fn precedence_is_flag_over_env_over_file_over_plan() {
    let _g = support::exclusive();
    let server = support::target(|_| {});
    let d = dir("precedence");
    // The plan fails (1 ns); each source above it replaces the criterion with its own.
    let p = plan(&d, server.addr, "{ p99: 1ns }");
    let file = d.join("performance_config.yml");
    let run = |file_p99: Option<&str>, env_p99: Option<&str>, flag_p99: Option<&str>| {
        let j = d.join("p.json");
        let mut args = vec!["run".to_string(), p.clone(), "--json".into(), j.display().to_string()];
        args.extend(LAG.iter().map(|s| s.to_string()));
        if let Some(v) = file_p99 {
            std::fs::write(&file, format!("p99: {v}\n")).unwrap();
            args.extend(["--slo-file".to_string(), file.display().to_string()]);
        }
        if let Some(v) = flag_p99 {
            args.extend(["--slo".to_string(), format!("p99={v}")]);
        }
        let env: Vec<(&str, &str)> = env_p99.map(|v| ("ONSLAUGHT_SLO_P99", v)).into_iter().collect();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = onslaught(&argv, &env);
        let v = json(&j);
        let rows = v["slo"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 1, "one p99 criterion, whatever its source: {rows:?}");
        (out.code, rows[0]["threshold"].as_f64().unwrap())
    };
    assert_eq!(run(None, None, None), (1, 1e-9));
    assert_eq!(run(Some("10s"), None, None), (0, 10.0), "file over plan");
    assert_eq!(run(Some("10s"), Some("2ns"), None), (1, 2e-9), "env over file");
    assert_eq!(run(Some("10s"), Some("2ns"), Some("20s")), (0, 20.0), "flag over env");
    assert_eq!(run(None, Some("30s"), None), (0, 30.0), "env over plan");
}
