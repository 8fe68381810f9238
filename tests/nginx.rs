//! Against a real server: nginx (Debian package, started by scripts/nginx.sh on a free port).
//! Counts must match nginx's own access log exactly. Needs nginx installed (.ci/run installs it).
mod support;
use std::process::Command;
use support::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn nginx(args: &[&str], dir: &str) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/nginx.sh");
    let out = Command::new("bash").arg(script).args(args).env("NGINX_DIR", dir).output().expect("bash runs");
    assert!(
        out.status.success(),
        "scripts/nginx.sh {args:?} failed (is nginx installed? apt-get install -y nginx): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn counts_match_nginx_access_log_exactly() {
    let _x = exclusive();
    let port = free_port().to_string();
    let dir = std::env::temp_dir().join(format!("onslaught-nginx-test-{}", std::process::id()));
    let dir = dir.to_str().unwrap();
    nginx(&["start", &port], dir);
    let url = format!("http://127.0.0.1:{port}/");
    let r = run(&["--url", &url, "-R", "2000", "-c", "20", "-d", "3s"]);
    nginx(&["stop"], dir);
    let logged: u64 = std::fs::read_to_string(format!("{dir}/logs/access.log")).unwrap().lines().count() as u64;
    let _ = std::fs::remove_dir_all(dir);
    assert_eq!(r.counts.intended, 6000);
    assert_eq!(r.counts.ok, 6000);
    assert!(r.counts.conserved);
    assert_eq!(logged, 6000, "nginx logged {logged}");
    assert!((r.rates.achieved_rps - 2000.0).abs() / 2000.0 < 0.005);
}
