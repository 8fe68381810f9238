//! Real servers from Debian that frame differently (issue 3): lighttpd (keep-alive, Content-Length)
//! and Python's http.server (HTTP/1.0, one connection per response). Counts must match each
//! server's own access log exactly. .ci/run installs lighttpd.
mod support;
use std::process::Command;
use support::*;

fn script(args: &[&str]) -> String {
    let s = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/real-servers.sh");
    let out = Command::new("bash").arg(s).args(args).output().expect("bash runs");
    assert!(out.status.success(), "real-servers.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn check(kind: &str, rate: &str, duration: &str, want: u64) {
    let _x = exclusive();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let dir = std::env::temp_dir().join(format!("onslaught-{kind}-{}", std::process::id()));
    let dir = dir.to_str().unwrap().to_string();
    script(&["start", kind, &port, &dir]);
    let r = run(&["--url", &format!("http://127.0.0.1:{port}/"), "-R", rate, "-c", "8", "-d", duration]);
    script(&["stop", &dir]);
    let logged: u64 = script(&["count", kind, &dir]).parse().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{kind}: intended {}, ok {}, server logged {logged}", r.counts.intended, r.counts.ok);
    assert_eq!(r.counts.intended, want, "{kind}");
    assert_eq!(r.counts.ok, want, "{kind}: {:?}", r.counts);
    assert!(r.counts.conserved);
    assert_eq!(logged, want, "{kind} logged {logged}");
}

#[test]
fn lighttpd_counts_match_its_access_log() {
    check("lighttpd", "1000", "2s", 2000);
}

#[test]
fn python_http10_close_delimited_counts_match_its_log() {
    check("python", "100", "2s", 200);
}
