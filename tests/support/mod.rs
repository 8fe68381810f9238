//! Test support: the built-in target in-process on 127.0.0.1:0, runs built from quick-mode flags,
//! and a lock so load tests in one binary do not share the two cores with each other.
#![allow(dead_code)]
use clap::Parser;
use onslaught::cli::{Cli, Command};
use onslaught::config::{Config, from_args};
use onslaught::report::Report;
use onslaught::serve::{ServeOptions, ServerHandle, Stall};
use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

static LOAD: Mutex<()> = Mutex::new(());

/// The onslaught binary under test, for tests of the command line.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_onslaught"))
}

/// A fresh, empty scratch directory named after the test binary (`prefix`), this process and `name`.
pub fn scratch(prefix: &str, name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("onslaught-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file writer of `run`/`gate`, with a file name for each (tests that run them all).
pub const WRITERS: [(&str, &str); 7] = [
    ("--out", "result.json"),
    ("--json", "run.json"),
    ("--md", "run.md"),
    ("--html", "run.html"),
    ("--prom", "run.prom"),
    ("--junit", "run.xml"),
    ("--hlog", "run.hlog"),
];

/// What a command printed: stdout, then stderr.
pub fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Serialise load-generating tests within a test binary (timing tests must not compete).
pub fn exclusive() -> MutexGuard<'static, ()> {
    LOAD.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn target(opts: impl FnOnce(&mut ServeOptions)) -> ServerHandle {
    let mut o = ServeOptions { listen: "127.0.0.1:0".parse().unwrap(), cores: 1, ..Default::default() };
    opts(&mut o);
    onslaught::serve::start(o).expect("built-in target starts")
}

pub fn stall(length_ms: u64, every_ms: u64, phase_ms: u64) -> Option<Stall> {
    Some(Stall {
        length: Duration::from_millis(length_ms),
        every: Duration::from_millis(every_ms),
        phase: Duration::from_millis(phase_ms),
    })
}

/// A Config from quick-mode flags, as `onslaught run ARGS` would build it.
pub fn config(args: &[&str]) -> Config {
    let mut argv = vec!["onslaught", "run"];
    argv.extend_from_slice(args);
    let Command::Run(a) = Cli::try_parse_from(argv).expect("flags parse").command else { unreachable!() };
    from_args(&a).expect("config validates")
}

pub fn run(args: &[&str]) -> Report {
    let cfg = config(args);
    onslaught::run::execute(&cfg, Arc::new(AtomicU8::new(0)), |_| {}).expect("engine starts")
}

pub fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// A tool a check needs (xmllint, promtool, chromium): Some(name) when installed; under CI its
/// absence fails the test (.ci/run installs them).
pub fn tool(name: &str) -> Option<&'static str> {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(Box::leak(name.to_string().into_boxed_str()));
    }
    assert!(std::env::var_os("CI").is_none(), "{name} is not installed but CI is set: .ci/run must install it");
    eprintln!("NOT CHECKED here: {name} is not installed (CI installs it, see .ci/run)");
    None
}

/// `promtool check metrics` accepts `text` (a Prometheus exposition).
pub fn promtool_checks(promtool: &str, text: &str) {
    use std::io::Write as _;
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
