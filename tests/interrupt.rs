//! Ctrl-C: the run stops issuing, waits for what is due and in flight, and still writes every
//! report, marked interrupted (exit 4), with conservation intact.
mod support;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigint_still_writes_the_report() {
    let srv = support::target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let json = std::env::temp_dir().join(format!("onslaught-interrupt-{}.json", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_onslaught"))
        .args(["run", "--url", &url, "-R", "200", "-c", "4", "-d", "60s", "--json", json.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the target has answered some requests, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(20);
    while srv.stats().requests < 100 {
        assert!(Instant::now() < deadline, "no traffic reached the target");
        std::thread::yield_now();
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let out = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(4), "{out}");
    assert!(out.contains("INTERRUPTED"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["counts"]["conserved"], true);
    let ok = v["counts"]["ok"].as_u64().unwrap();
    assert!(ok >= 100, "{ok}");
    // Nothing the target answered is missing from the result.
    assert_eq!(ok, srv.stats().requests);
    assert!(v["window_s"].as_f64().unwrap() < 30.0);
    srv.stop();
}
