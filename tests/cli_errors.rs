//! Bad input through the real binary: a one-line error naming the flag and the fix, exit 2, no
//! panic or backtrace, and nothing sent to the target.
mod support;
use std::net::TcpListener;
use std::process::Command;

fn onslaught(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_onslaught")).args(args).env("RUST_BACKTRACE", "1").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs `onslaught run` with `extra` flags against a listener that must see no connection.
fn rejected(extra: &[&str], flag: &str) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let mut args = vec!["run", "--url", &url];
    args.extend_from_slice(extra);
    if !extra.contains(&"-d") {
        args.extend_from_slice(&["-d", "1s"]);
    }
    let (code, err) = onslaught(&args);
    assert_eq!(code, 2, "{extra:?}: {err}");
    assert!(err.contains(flag), "{extra:?} should name {flag}: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(l.accept().is_err(), "{extra:?}: a connection was made");
}

#[test]
fn zero_rate() {
    rejected(&["-R", "0"], "--rate");
}

#[test]
fn negative_rate() {
    rejected(&["-R", "-5"], "--rate");
}

#[test]
fn duration_abc() {
    rejected(&["-d", "abc"], "--duration");
}

#[test]
fn header_without_colon() {
    rejected(&["-H", "X-Test"], "--header");
}

#[test]
fn unknown_core_list() {
    rejected(&["--cores", "0-4096"], "--cores");
}

#[test]
fn more_connections_than_the_fd_limit() {
    rejected(&["-c", "100000000"], "--connections");
}

#[test]
fn unparseable_url() {
    let (code, err) = onslaught(&["run", "--url", "not a url", "-d", "1s"]);
    assert_eq!(code, 2);
    assert!(err.contains("--url") && err.contains("http://"), "{err}");
}

#[test]
fn unknown_flag_is_usage_error() {
    let (code, err) = onslaught(&["run", "--no-such-flag"]);
    assert_eq!(code, 2);
    assert!(err.contains("--no-such-flag"), "{err}");
}

#[test]
fn unwritable_json_path_is_reported() {
    let srv = support::target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let (code, err) =
        onslaught(&["run", "--url", &url, "-R", "10", "-c", "1", "-d", "200ms", "--json", "/nonexistent/dir/r.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--json"), "{err}");
    srv.stop();
}
